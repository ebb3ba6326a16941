"""The hot path's hand-written queries: the token check builds the same user the ORM would, and on
PostgreSQL its statements are prepared once per connection and reused."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from gongzhi.core import bulksql
from gongzhi.core.actors import SYSTEM
from gongzhi.core.models import ApiToken
from gongzhi.core.services import authenticate_token, issue_api_token


def test_token_check_builds_the_users_every_field(world, users):
    user = users["street_cadre"]
    token = issue_api_token(SYSTEM, user, "t")
    found = authenticate_token(token)
    fresh = get_user_model().objects.get(pk=user.pk)
    for f in get_user_model()._meta.concrete_fields:
        assert getattr(found, f.attname) == getattr(fresh, f.attname), f.name
    assert found._state.db == "default" and not found._state.adding
    assert authenticate_token(token + "x") is None
    assert authenticate_token("") is None


def test_revoked_after_use_is_refused_at_once(world, users):
    token = issue_api_token(SYSTEM, users["street_cadre"], "t")
    assert authenticate_token(token) is not None
    ApiToken.objects.filter(prefix=token[:8]).update(revoked=True)
    assert authenticate_token(token) is None  # no cache: the next call sees the revocation


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_hot_path_statements_are_prepared_and_reused(world, users):
    token = issue_api_token(SYSTEM, users["street_cadre"], "t")

    def prepared():
        with connection.cursor() as cur:
            cur.execute("SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s", ["%key_hash%"])
            return [r[0] for r in cur.fetchall()]

    for _ in range(3):
        assert authenticate_token(token) is not None
    assert len(prepared()) == 1  # one statement, prepared once, reused by the later calls
    with bulksql.cursor() as cur:
        cur.execute("SELECT %s::int + 1", [41])
        assert cur.fetchone() == (42,)
