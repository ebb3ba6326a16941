"""Volunteer use cases: registration, certificates, service claims and their
confirmation, points by versioned rules, the double-entry points ledger,
redemption and transfers between time banks (通存通兑).

Every change of points is one :class:`Entry` whose movements sum to zero
(:func:`post`); a balance is the sum of an account's movements
(:func:`balance`).  Accounts are locked by a write on their row before the
balance is read, so two concurrent debits cannot both see the old balance.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.core import actors
from gongzhi.core.contracts import CoreError
from gongzhi.core.errors import Conflict, DomainError, Forbidden, NotFound
from gongzhi.core.events import emit
from gongzhi.org import permissions as perm
from gongzhi.org.kinds import StaffRoleKind as R
from gongzhi.org.models import Person, Unit

from . import contracts as C
from .models import (
    Account,
    CatalogueItem,
    Certificate,
    Entry,
    Field,
    Movement,
    PointsRule,
    Redemption,
    ServiceRecord,
    TaskType,
    TimeBank,
    Volunteer,
)

# ----------------------------------------------------------------- permissions
# Volunteer actions by role, within the role's region subtree, registered in
# gongzhi.org.permissions (the one place that decides).  A volunteer may also claim service and
# redeem for themselves (their Person is linked to their user).
MANAGE = "vol_manage"  # register volunteers, verify certificates, run the catalogue and rules
CONFIRM = "vol_confirm"  # confirm / reject service records (the organiser)
ACT_FOR = "vol_act_for"  # claim service or redeem on a volunteer's behalf

VOL_ACTIONS: dict[str, frozenset[str]] = {
    R.DISTRICT_ADMIN: frozenset({MANAGE, CONFIRM, ACT_FOR}),
    R.STREET_CADRE: frozenset({MANAGE, CONFIRM, ACT_FOR}),
    R.COMMUNITY_CADRE: frozenset({MANAGE, CONFIRM, ACT_FOR}),
    R.GRID_WORKER: frozenset({ACT_FOR}),
    R.DEPARTMENT_STAFF: frozenset(),
    R.AUDITOR: frozenset(),
}
# Roles that confirm the service records of activities their own unit organised.
CONFIRM_OWN_UNIT = frozenset({R.DISTRICT_ADMIN, R.STREET_CADRE, R.COMMUNITY_CADRE, R.DEPARTMENT_STAFF})
ACTION_LABELS = {MANAGE: _("管理志愿者"), CONFIRM: _("确认服务记录"), ACT_FOR: _("代志愿者办理")}


# registered in the one permission table from the app's manifest (apps.py)
vol_paths = perm.scope_paths
can = perm.allowed
require = perm.require


def is_self(user, volunteer: Volunteer) -> bool:
    return bool(getattr(user, "is_authenticated", False) and volunteer.person.user_id == user.pk)


def require_self_or(user, action: str, volunteer: Volunteer) -> None:
    if is_self(user, volunteer):
        return
    require(user, action, volunteer)


def can_confirm(user, record: ServiceRecord) -> bool:
    """The organiser confirms: a confirming role at the organising unit, or over the organiser's region."""
    if perm.is_system(user):
        return True
    if any(r.unit_id == record.organiser_id and r.role in CONFIRM_OWN_UNIT for r in perm._roles(user)):
        return True
    return can(user, CONFIRM, record.organiser.region)


def visible_volunteers(user):
    qs = Volunteer.objects.select_related("person", "region", "bank")
    if perm.is_system(user):
        return qs
    paths = perm.scope_paths(user, perm.VIEW) or []
    cond = Q(person__user_id=user.pk) if getattr(user, "is_authenticated", False) else Q(pk__in=[])
    for p in paths:
        cond |= Q(region__path__startswith=p)
    return qs.filter(cond)


def get_volunteer(user, pk) -> Volunteer:
    v = visible_volunteers(user).filter(pk=pk).first()
    if v is None:
        raise NotFound("志愿者不存在或不在您的管辖范围内")
    return v


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _today() -> dt.date:
    return timezone.localdate()


# ----------------------------------------------------------------- banks and accounts


@transaction.atomic
def create_bank(
    actor,
    *,
    code: str,
    name: str,
    region,
    operator: Unit | None = None,
    accepts_transfers_in: bool = True,
    allows_transfers_out: bool = True,
) -> TimeBank:
    require(actor, MANAGE, region)
    code = (code or "").strip()
    if not code:
        raise DomainError("请填写时间银行编码", field="code")
    if TimeBank.objects.filter(code=code).exists():
        raise DomainError(f"编码{code}已被使用", field="code", code=CoreError.DUPLICATE)
    bank = TimeBank.objects.create(
        code=code,
        name=name,
        region=region,
        operator=operator,
        accepts_transfers_in=accepts_transfers_in,
        allows_transfers_out=allows_transfers_out,
    )
    Account.objects.create(bank=bank, kind=Account.Kind.ISSUANCE, allow_negative=True)
    Account.objects.create(bank=bank, kind=Account.Kind.REDEMPTION)
    emit(
        C.BANK_OPENED,
        aggregate_type="time_bank",
        aggregate_id=bank.code,
        region=region,
        actor=actor,
        payload={"name": name},
    )
    return bank


def bank_account(bank: TimeBank, kind: str) -> Account:
    return Account.objects.get(bank=bank, kind=kind)


def volunteer_account(volunteer: Volunteer, bank: TimeBank | None = None) -> Account:
    bank = bank or volunteer.bank
    try:
        with transaction.atomic():
            acc, _ = Account.objects.get_or_create(bank=bank, kind=Account.Kind.VOLUNTEER, volunteer=volunteer)
    except IntegrityError:
        acc = Account.objects.get(bank=bank, kind=Account.Kind.VOLUNTEER, volunteer=volunteer)
    return acc


def balance(account: Account) -> int:
    """The balance is derived: the sum of the account's movements."""
    return int(Movement.objects.filter(account=account).aggregate(s=Sum("amount"))["s"] or 0)


def balances(volunteer: Volunteer) -> list[dict]:
    rows = (
        Movement.objects.filter(account__volunteer=volunteer)
        .values("account__bank__code", "account__bank__name")
        .annotate(total=Sum("amount"))
        .order_by("account__bank__code")
    )
    return [
        {"bank": r["account__bank__code"], "bank_name": r["account__bank__name"], "balance": int(r["total"])}
        for r in rows
    ]


def _lock(account: Account) -> None:
    """Take the account's row lock (a write), so the balance read after it is current."""
    Account.objects.filter(pk=account.pk).update(version=F("version") + 1)


def post(
    kind: str,
    movements: list[tuple[Account, int]],
    *,
    actor,
    memo: str = "",
    reference: str = "",
    rule: PointsRule | None = None,
) -> Entry:
    """Write one journal entry; must run inside a transaction.

    The movements must sum to zero and none may be zero.  An account that
    does not allow a negative balance (and whose rule does not either) is
    refused a debit below zero.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("post() must run inside a transaction")
    actors.check(actor)
    if len(movements) < 2 or sum(a for _, a in movements) != 0 or any(a == 0 for _, a in movements):
        raise DomainError("记账分录须至少两笔、均不为零且合计为零", code=C.VolunteersError.UNBALANCED)
    for acc, amount in sorted(movements, key=lambda m: m[0].pk):
        if amount < 0:
            _lock(acc)
            allowed = acc.allow_negative or (rule is not None and rule.allow_negative)
            have = balance(acc)
            if not allowed and have + amount < 0:
                raise DomainError(
                    f"积分不足：余额{have}，需要{-amount}", field="points", code=C.VolunteersError.INSUFFICIENT
                )
    entry = Entry.objects.create(kind=kind, memo=memo[:200], reference=reference[:60], actor=_user(actor))
    Movement.objects.bulk_create([Movement(entry=entry, account=acc, amount=amount) for acc, amount in movements])
    return entry


def verify_ledger() -> list[str]:
    """Problems found: entries whose movements do not sum to zero, or non-negative accounts below zero."""
    problems = []
    for e in Entry.objects.annotate(s=Sum("movements__amount")).exclude(s=0):
        problems.append(f"entry {e.pk} sums to {e.s}")
    for row in (
        Movement.objects.filter(account__allow_negative=False)
        .values("account_id")
        .annotate(s=Sum("amount"))
        .filter(s__lt=0)
    ):
        problems.append(f"account {row['account_id']} is below zero ({row['s']})")
    return problems


# ----------------------------------------------------------------- volunteers and certificates


@transaction.atomic
def register_volunteer(actor, *, person: Person, bank: TimeBank, skills=(), joined_on=None) -> Volunteer:
    require(actor, MANAGE, person.region)
    if Volunteer.objects.filter(person=person).exists():
        raise DomainError(f"{person.name}已注册为志愿者", field="person", code=CoreError.DUPLICATE)
    skills = sorted({s.strip() for s in (skills.split(",") if isinstance(skills, str) else skills) if s.strip()})
    v = Volunteer.objects.create(
        person=person, region=person.region, bank=bank, skills=skills, joined_on=joined_on or _today()
    )
    volunteer_account(v)
    emit(
        C.REGISTERED,
        aggregate_type="volunteer",
        aggregate_id=v.pk,
        region=v.region,
        actor=actor,
        payload={"bank": bank.code, "skills": skills, "personal": {"name": person.name}},
    )
    return v


@transaction.atomic
def add_certificate(
    actor,
    volunteer: Volunteer,
    *,
    field: str,
    level: int,
    number: str,
    issued_on: dt.date,
    expires_on: dt.date,
    verified_by: Unit,
) -> Certificate:
    """Record a certificate verified by a unit (the verifying unit must be in the actor's scope)."""
    require(actor, MANAGE, volunteer)
    if field not in Field.values:
        raise DomainError(f"未知的专业领域：{field}；可选 {', '.join(Field.values)}", field="field")
    if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 5:
        raise DomainError("等级须为1–5的整数", field="level")
    if not (number or "").strip():
        raise DomainError("请填写证书编号", field="number")
    if expires_on <= issued_on:
        raise DomainError("有效期须晚于发证日期", field="expires_on")
    if verified_by is None:
        raise DomainError("请选择核验单位", field="verified_by")
    if Certificate.objects.filter(field=field, number=number.strip()).exists():
        raise DomainError(f"证书编号{number}已登记", field="number", code=CoreError.DUPLICATE)
    c = Certificate.objects.create(
        volunteer=volunteer,
        field=field,
        level=level,
        number=number.strip(),
        issued_on=issued_on,
        expires_on=expires_on,
        verified_by=verified_by,
    )
    emit(
        C.CERTIFICATE_VERIFIED,
        aggregate_type="volunteer",
        aggregate_id=volunteer.pk,
        region=volunteer.region,
        actor=actor,
        payload={"field": field, "level": level, "expires_on": expires_on.isoformat(), "verified_by": verified_by.code},
    )
    return c


def levels_on(volunteer: Volunteer, day: dt.date | None = None) -> dict[str, int]:
    """Highest valid certificate level by field on ``day``."""
    day = day or _today()
    out: dict[str, int] = {}
    for c in volunteer.certificates.all():
        if c.valid_on(day):
            out[c.field] = max(out.get(c.field, 0), c.level)
    return out


def may_take(volunteer: Volunteer, task_type: TaskType, day: dt.date | None = None) -> tuple[bool, str]:
    """Whether the volunteer's certificates permit the task type on ``day``, and why."""
    if not task_type.required_field or task_type.required_level <= 0:
        return True, "无资质要求"
    have = levels_on(volunteer, day).get(task_type.required_field, 0)
    label = Field(task_type.required_field).label
    if have >= task_type.required_level:
        return True, f"持有有效{label}资质{have}级（要求≥{task_type.required_level}级）"
    if have == 0:
        return False, f"“{task_type.name}”需要有效的{label}资质{task_type.required_level}级及以上，该志愿者没有有效证书"
    return False, f"“{task_type.name}”需要{label}资质{task_type.required_level}级及以上，该志愿者仅有{have}级"


# ----------------------------------------------------------------- rules and points


@transaction.atomic
def publish_rule(
    actor,
    bank: TimeBank,
    *,
    effective_from: dt.date,
    points_per_hour: int,
    daily_cap: int,
    yearly_cap: int,
    task_bonus: dict | None = None,
    allow_negative: bool = False,
) -> PointsRule:
    """A new version of the bank's points rule; earlier versions stay for earlier service dates."""
    require(actor, MANAGE, bank.region)
    for name, v in (("points_per_hour", points_per_hour), ("daily_cap", daily_cap), ("yearly_cap", yearly_cap)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise DomainError("须为≥0的整数", field=name)
    if daily_cap > yearly_cap:
        raise DomainError("每日上限不能大于每年上限", field="daily_cap")
    last = bank.rules.order_by("-version").first()
    if last is not None and effective_from <= last.effective_from:
        raise DomainError(f"新版本的生效日期须晚于上一版本（{last.effective_from}）", field="effective_from")
    rule = PointsRule.objects.create(
        bank=bank,
        version=(last.version + 1) if last else 1,
        effective_from=effective_from,
        points_per_hour=points_per_hour,
        daily_cap=daily_cap,
        yearly_cap=yearly_cap,
        task_bonus=task_bonus or {},
        allow_negative=allow_negative,
    )
    emit(
        C.RULE_PUBLISHED,
        aggregate_type="time_bank",
        aggregate_id=bank.code,
        region=bank.region,
        actor=actor,
        payload={
            "version": rule.version,
            "effective_from": effective_from.isoformat(),
            "points_per_hour": points_per_hour,
            "daily_cap": daily_cap,
            "yearly_cap": yearly_cap,
        },
    )
    return rule


def rule_on(bank: TimeBank, day: dt.date) -> PointsRule:
    rule = bank.rules.filter(effective_from__lte=day).order_by("-effective_from", "-version").first()
    if rule is None:
        raise DomainError(f"{bank.name}在{day}没有生效的积分规则", field="date", code=C.VolunteersError.NO_RULE)
    return rule


def points_for(rule: PointsRule, task_type: TaskType, hours: Decimal) -> int:
    base = (Decimal(rule.points_per_hour) * hours).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(base) + int(rule.task_bonus.get(task_type.code, 0))


def _awarded(volunteer: Volunteer, *, day=None, year=None, statuses=(ServiceRecord.Status.CONFIRMED,)) -> int:
    qs = ServiceRecord.objects.filter(volunteer=volunteer, status__in=statuses)
    if day is not None:
        qs = qs.filter(date=day)
    if year is not None:
        qs = qs.filter(date__year=year)
    return int(qs.aggregate(s=Sum("points"))["s"] or 0)


def _check_caps(volunteer, rule, day, points, statuses) -> None:
    d = _awarded(volunteer, day=day, statuses=statuses)
    if d + points > rule.daily_cap:
        raise DomainError(
            f"超过每日积分上限：{day}已计{d}分，本次{points}分，上限{rule.daily_cap}分（规则第{rule.version}版）",
            field="hours",
            code=C.VolunteersError.DAILY_CAP,
        )
    y = _awarded(volunteer, year=day.year, statuses=statuses)
    if y + points > rule.yearly_cap:
        raise DomainError(
            f"超过年度积分上限：{day.year}年已计{y}分，本次{points}分，上限{rule.yearly_cap}分"
            f"（规则第{rule.version}版）",
            field="hours",
            code=C.VolunteersError.YEARLY_CAP,
        )


@transaction.atomic
def claim_service(
    actor,
    volunteer: Volunteer,
    *,
    task_type: TaskType,
    task_ref: str,
    title: str,
    organiser: Unit,
    date: dt.date,
    hours,
) -> ServiceRecord:
    """A volunteer (or someone acting for them) claims a service; the organiser confirms later.

    Refused, with the reason: a second claim for the same activity, a task the
    volunteer's certificates do not permit, a claim over the daily or yearly cap.
    """
    require_self_or(actor, ACT_FOR, volunteer)
    if volunteer.status != Volunteer.Status.ACTIVE:
        raise DomainError("该志愿者已暂停服务", code=C.VolunteersError.SUSPENDED)
    task_ref = (task_ref or "").strip()
    if not task_ref:
        raise DomainError("请填写活动编号", field="task_ref")
    try:
        hours = Decimal(str(hours))
    except (InvalidOperation, ValueError):
        raise DomainError("时长须为数字（小时）", field="hours") from None
    if not (Decimal("0") < hours <= Decimal("24")):
        raise DomainError("时长须大于0且不超过24小时", field="hours")
    if date > _today():
        raise DomainError("服务日期不能晚于今天", field="date")
    ok, why = may_take(volunteer, task_type, date)
    if not ok:
        raise DomainError(why, field="task_type", code=C.VolunteersError.NOT_CERTIFIED)
    dup = (
        ServiceRecord.objects.filter(volunteer=volunteer, task_ref=task_ref)
        .exclude(status=ServiceRecord.Status.REJECTED)
        .first()
    )
    if dup is not None:
        raise DomainError(
            f"重复申报：活动{task_ref}已于{dup.created_at:%Y-%m-%d}申报（{dup.get_status_display()}）",
            field="task_ref",
            code=C.VolunteersError.DUPLICATE_CLAIM,
        )
    rule = rule_on(volunteer.bank, date)
    points = points_for(rule, task_type, hours)
    _check_caps(volunteer, rule, date, points, (ServiceRecord.Status.CLAIMED, ServiceRecord.Status.CONFIRMED))
    try:
        with transaction.atomic():
            rec = ServiceRecord.objects.create(
                volunteer=volunteer,
                task_type=task_type,
                task_ref=task_ref,
                title=title or task_type.name,
                organiser=organiser,
                region=volunteer.region,
                date=date,
                hours=hours,
                points=points,
                rule=rule,
                claimed_by=_user(actor),
            )
    except IntegrityError:
        raise DomainError(
            f"重复申报：活动{task_ref}已申报", field="task_ref", code=C.VolunteersError.DUPLICATE_CLAIM
        ) from None
    emit(
        C.SERVICE_CLAIMED,
        aggregate_type="volunteer",
        aggregate_id=volunteer.pk,
        region=volunteer.region,
        actor=actor,
        payload={
            "record": rec.pk,
            "task_type": task_type.code,
            "task_ref": task_ref,
            "hours": str(hours),
            "points": points,
            "rule_version": rule.version,
        },
    )
    return rec


@transaction.atomic
def confirm_service(actor, record: ServiceRecord, *, accept: bool = True, reason: str = "") -> ServiceRecord:
    """The organiser confirms (points are awarded by a balanced entry) or rejects a claim."""
    rec = (
        ServiceRecord.objects.select_for_update(of=("self",))
        .select_related("volunteer__bank", "rule", "task_type")
        .filter(pk=record.pk)
        .first()
    )
    if rec is None:
        raise NotFound("服务记录不存在")
    if not can_confirm(actor, rec):
        raise Forbidden("只有组织单位可以确认服务记录")
    if is_self(actor, rec.volunteer):
        raise Forbidden("不能确认自己申报的服务记录")
    if rec.status != ServiceRecord.Status.CLAIMED:
        raise Conflict(f"该记录已{rec.get_status_display()}，不能重复处理", code=CoreError.INVALID_STATE)
    v = rec.volunteer
    # lock the volunteer's account first: concurrent confirmations are serialised for the cap check
    acc = volunteer_account(v, rec.rule.bank)
    _lock(acc)
    if accept:
        _check_caps(v, rec.rule, rec.date, rec.points, (ServiceRecord.Status.CONFIRMED,))
        entry = None
        if rec.points > 0:
            entry = post(
                Entry.Kind.AWARD,
                [(bank_account(rec.rule.bank, Account.Kind.ISSUANCE), -rec.points), (acc, rec.points)],
                actor=actor,
                memo=f"{rec.title} {rec.hours}小时",
                reference=f"service:{rec.pk}",
            )
        ServiceRecord.objects.filter(pk=rec.pk).update(
            status=ServiceRecord.Status.CONFIRMED, confirmed_by=_user(actor), confirmed_at=timezone.now()
        )
    else:
        if not reason.strip():
            raise DomainError("驳回时请说明原因", field="reason")
        entry = None
        ServiceRecord.objects.filter(pk=rec.pk).update(
            status=ServiceRecord.Status.REJECTED,
            confirmed_by=_user(actor),
            confirmed_at=timezone.now(),
            reason=reason[:200],
        )
    rec.refresh_from_db()
    emit(
        C.SERVICE_CONFIRMED if accept else C.SERVICE_REJECTED,
        aggregate_type="volunteer",
        aggregate_id=v.pk,
        region=v.region,
        actor=actor,
        payload={
            "record": rec.pk,
            "points": rec.points if accept else 0,
            "entry": entry.pk if entry else None,
            "reason": reason,
        },
    )
    return rec


# ----------------------------------------------------------------- catalogue and redemption


@transaction.atomic
def add_item(
    actor, bank: TimeBank, *, code: str, name: str, points: int, stock: int, description: str = ""
) -> CatalogueItem:
    require(actor, MANAGE, bank.region)
    if not (code or "").strip():
        raise DomainError("请填写编码", field="code")
    if CatalogueItem.objects.filter(code=code).exists():
        raise DomainError(f"编码{code}已被使用", field="code", code=CoreError.DUPLICATE)
    if isinstance(points, bool) or not isinstance(points, int) or points <= 0:
        raise DomainError("所需积分须为正整数", field="points")
    if isinstance(stock, bool) or not isinstance(stock, int) or stock < 0:
        raise DomainError("库存须为≥0的整数", field="stock")
    return CatalogueItem.objects.create(
        bank=bank, code=code, name=name, points=points, stock=stock, description=description
    )


@transaction.atomic
def redeem(actor, volunteer: Volunteer, item: CatalogueItem, *, quantity: int = 1) -> Redemption:
    """Redeem points for an item: stock and points are taken in one transaction, or nothing is.

    Stock is taken by a conditional update (``stock >= quantity``), so of two
    redemptions racing for the last item exactly one succeeds.
    """
    require_self_or(actor, ACT_FOR, volunteer)
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise DomainError("数量须为正整数", field="quantity")
    item = CatalogueItem.objects.filter(pk=item.pk).select_related("bank").first()
    if item is None or not item.active:
        raise NotFound("兑换项目不存在或已下架")
    cost = item.points * quantity
    acc = Account.objects.filter(bank=item.bank, kind=Account.Kind.VOLUNTEER, volunteer=volunteer).first()
    if acc is None:
        raise DomainError(
            f"{volunteer}在{item.bank.name}没有积分账户；请先通存通兑转入",
            field="item",
            code=C.VolunteersError.NO_ACCOUNT,
        )
    taken = CatalogueItem.objects.filter(pk=item.pk, stock__gte=quantity).update(stock=F("stock") - quantity)
    if not taken:
        raise Conflict(
            f"“{item.name}”库存不足（剩余{CatalogueItem.objects.get(pk=item.pk).stock}）",
            code=C.VolunteersError.OUT_OF_STOCK,
        )
    rule = item.bank.rules.filter(effective_from__lte=_today()).order_by("-effective_from").first()
    entry = post(
        Entry.Kind.REDEEM,
        [(acc, -cost), (bank_account(item.bank, Account.Kind.REDEMPTION), cost)],
        actor=actor,
        memo=f"兑换{item.name}×{quantity}",
        reference=f"item:{item.code}",
        rule=rule,
    )
    r = Redemption.objects.create(item=item, volunteer=volunteer, quantity=quantity, points=cost, entry=entry)
    emit(
        C.REDEEMED,
        aggregate_type="volunteer",
        aggregate_id=volunteer.pk,
        region=volunteer.region,
        actor=actor,
        payload={"item": item.code, "quantity": quantity, "points": cost, "entry": entry.pk},
    )
    return r


@transaction.atomic
def transfer(actor, volunteer: Volunteer, *, from_bank: TimeBank, to_bank: TimeBank, points: int) -> Entry:
    """通存通兑: move a volunteer's points between two community time banks, if both allow it."""
    require_self_or(actor, ACT_FOR, volunteer)
    if isinstance(points, bool) or not isinstance(points, int) or points <= 0:
        raise DomainError("转移积分须为正整数", field="points")
    if from_bank.pk == to_bank.pk:
        raise DomainError("转出与转入时间银行不能相同", field="to_bank")
    if not from_bank.allows_transfers_out:
        raise DomainError(
            f"{from_bank.name}不允许转出（未加入通存通兑）", field="from_bank", code=C.VolunteersError.NOT_ALLOWED
        )
    if not to_bank.accepts_transfers_in:
        raise DomainError(
            f"{to_bank.name}不接受转入（未加入通存通兑）", field="to_bank", code=C.VolunteersError.NOT_ALLOWED
        )
    src = Account.objects.filter(bank=from_bank, kind=Account.Kind.VOLUNTEER, volunteer=volunteer).first()
    if src is None:
        raise DomainError(f"{volunteer}在{from_bank.name}没有积分账户", field="from_bank")
    dst = volunteer_account(volunteer, to_bank)
    entry = post(
        Entry.Kind.TRANSFER,
        [(src, -points), (dst, points)],
        actor=actor,
        memo=f"{from_bank.name} → {to_bank.name}",
        reference=f"transfer:{from_bank.code}:{to_bank.code}",
    )
    emit(
        C.TRANSFERRED,
        aggregate_type="volunteer",
        aggregate_id=volunteer.pk,
        region=volunteer.region,
        actor=actor,
        payload={"from": from_bank.code, "to": to_bank.code, "points": points, "entry": entry.pk},
    )
    return entry


def scope_records_to_confirm(user):
    qs = ServiceRecord.objects.filter(status=ServiceRecord.Status.CLAIMED).select_related(
        "volunteer__person", "task_type", "organiser", "region"
    )
    if perm.is_system(user):
        return qs
    units = [r.unit_id for r in perm._roles(user) if r.role in CONFIRM_OWN_UNIT]
    cond = Q(organiser_id__in=units)
    for p in vol_paths(user, CONFIRM) or []:
        cond |= Q(organiser__region__path__startswith=p)
    return qs.filter(cond)


def movements_of(volunteer: Volunteer, limit: int = 50):
    return (
        Movement.objects.filter(account__volunteer=volunteer)
        .select_related("entry", "account__bank")
        .order_by("-id")[:limit]
    )
