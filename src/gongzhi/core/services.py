"""Core use cases: regions and API tokens. Each function is one transaction."""

from __future__ import annotations

import datetime as dt
import functools
import re

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from . import actors, contracts
from .contracts import CoreError
from .errors import DomainError, Forbidden, NotFound
from .events import emit
from .models import ApiToken, Region, _clear_region_cache

CODE_LENGTH = {"city": 6, "district": 6, "street": 9, "community": 12}
PARENT_LEVEL = {"district": "city", "street": "district", "community": "street"}


def _require_operator(actor, what: str) -> None:
    """Regions are the platform's reference data: the system (demo, migrations, operator commands) or a
    superuser changes them."""
    if not (actors.is_system(actor) or getattr(actor, "is_superuser", False)):
        raise Forbidden(f"无权{what}", action=what)


@transaction.atomic
def create_region(
    actor,
    *,
    code: str,
    name: str,
    level: str,
    kind: str = "urban",
    parent: Region | None = None,
    population: int = 0,
    area_km2: float = 0.0,
) -> Region:
    _require_operator(actor, "新建区域")
    if level not in CODE_LENGTH:
        raise DomainError(f"未知的区域层级：{level}（应为 city/district/street/community）", field="level")
    if not re.fullmatch(rf"\d{{{CODE_LENGTH[level]}}}", code or ""):
        raise DomainError(f"{level}级区域代码应为{CODE_LENGTH[level]}位数字，收到“{code}”", field="code")
    if not name:
        raise DomainError("请填写区域名称", field="name")
    if Region.objects.filter(code=code).exists():
        raise DomainError(f"区域代码{code}已存在", field="code", code=CoreError.DUPLICATE)
    want = PARENT_LEVEL.get(level)
    if want and (parent is None or parent.level != want):
        raise DomainError(f"{level}级区域的上级必须是{want}级区域", field="parent")
    if level != "city" and want is None:
        raise DomainError("区域层级错误", field="level")
    if parent is not None and level in ("street", "community") and not code.startswith(parent.code):
        raise DomainError(f"区域代码{code}应以上级代码{parent.code}开头", field="code")
    region = Region.objects.create(
        code=code,
        name=name,
        level=level,
        kind=kind,
        parent=parent,
        path=(parent.path if parent else "/") + code + "/",
        population=population,
        area_km2=area_km2,
    )
    emit(
        contracts.REGION_CREATED,
        aggregate_type="region",
        aggregate_id=region.code,
        region=region,
        actor=actor,
        payload={"code": code, "name": name, "level": level, "kind": kind},
    )
    return region


@transaction.atomic
def pair_regions(actor, street: Region, township: Region) -> None:
    """Urban–rural pairing: a street shares its platform and resources with a township."""
    _require_operator(actor, "城乡结对")
    if street.level != "street" or township.level != "street" or township.kind != "rural" or street.kind != "urban":
        raise DomainError("城乡结对须为一个街道与一个乡镇", field="paired_with")
    Region.objects.filter(pk=street.pk).update(paired_with=township)
    Region.objects.filter(pk=township.pk).update(paired_with=street)
    _clear_region_cache()
    emit(
        contracts.REGIONS_PAIRED,
        aggregate_type="region",
        aggregate_id=street.code,
        region=street,
        actor=actor,
        payload={"street": street.code, "township": township.code},
    )


def region_by_code(code: str) -> Region:
    try:
        return Region.objects.get(code=code)
    except Region.DoesNotExist:
        raise NotFound(f"区域代码{code}不存在", field="region") from None


@transaction.atomic
def issue_api_token(actor, user, name: str) -> str:
    """Create an API token for ``user`` (by the user themself, a superuser or the operator's ``gongzhi
    token``); returns the secret, which is shown once."""
    if not (
        actors.is_system(actor)
        or getattr(actor, "is_superuser", False)
        or (getattr(actor, "is_authenticated", False) and actor.pk == user.pk)
    ):
        raise Forbidden("无权为他人签发API令牌", action="issue_api_token")
    if not name:
        raise DomainError("请填写令牌名称", field="name")
    key = ApiToken.new_key()
    ApiToken.objects.create(user=user, name=name, key_hash=ApiToken.hash(key), prefix=key[:8])
    emit(
        contracts.API_TOKEN_ISSUED,
        aggregate_type="user",
        aggregate_id=user.pk,
        actor=actor,
        payload={"name": name},
        public=False,
    )
    return key


@functools.cache
def _token_query(alias: str):
    """Every API call runs this: one hand-written, prepared query (the ORM's compilation of the same
    join cost more than the query itself). Returns the SQL, the user's field names in column order
    and, per column, the converters a queryset would apply to it."""
    qn = connection.ops.quote_name
    user_model = get_user_model()
    fields = user_model._meta.concrete_fields
    cols = ", ".join(f"u.{qn(f.column)}" for f in fields)
    sql = (
        f"SELECT {cols}, t.id, (t.last_used_at IS NULL OR t.last_used_at < %s) "
        f"FROM {qn(user_model._meta.db_table)} u JOIN {qn(ApiToken._meta.db_table)} t ON t.user_id = u.id "
        f"WHERE t.key_hash = %s AND NOT t.revoked AND u.is_active"
    )
    converters = []
    for i, f in enumerate(fields):
        col = f.get_col(user_model._meta.db_table)
        found = connection.ops.get_db_converters(col) + f.get_db_converters(connection)
        if found:
            converters.append((i, col, found))
    return sql, [f.attname for f in fields], converters


def authenticate_token(key: str):
    """The active user of an unrevoked API token, or None. Marks the token used (at most once a minute)."""
    from .bulksql import cursor

    now = timezone.now()
    sql, attnames, converters = _token_query(connection.alias)
    with cursor() as cur:
        cur.execute(sql, [now - dt.timedelta(minutes=1), ApiToken.hash(key)])
        row = cur.fetchone()
    if row is None:
        return None
    n = len(attnames)
    values = list(row[:n])
    for i, col, found in converters:
        for convert in found:
            values[i] = convert(values[i], col, connection)
    user = get_user_model().from_db(connection.alias, attnames, values)
    token_id, stale = row[n], row[n + 1]
    if stale:
        ApiToken.objects.filter(pk=token_id).update(last_used_at=now)
    return user
