"""Core's use cases and the security audit log name who acts (issue 22): the platform itself is
``SYSTEM``; a missing actor is refused, never read as the system."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from gongzhi.core import audit
from gongzhi.core.actors import SYSTEM, MissingActor
from gongzhi.core.errors import Forbidden
from gongzhi.core.models import ApiToken, Region, SecurityLog
from gongzhi.core.services import create_region, issue_api_token

pytestmark = pytest.mark.django_db


def test_regions_are_the_operators(django_user_model):
    cadre = django_user_model.objects.create_user("t_cadre")
    with pytest.raises(Forbidden):
        create_region(cadre, code="990100", name="市", level="city")
    assert not Region.objects.exists()
    root = django_user_model.objects.create_superuser("t_root")
    assert create_region(root, code="990100", name="市", level="city").code == "990100"
    with pytest.raises(MissingActor):
        create_region(None, code="990101", name="市", level="city")


def test_a_token_is_issued_by_its_user_the_operator_or_a_superuser(django_user_model):
    User = get_user_model()
    alice, bob = User.objects.create_user("t_alice"), User.objects.create_user("t_bob")
    with pytest.raises(Forbidden):
        issue_api_token(bob, alice, "not yours")
    assert issue_api_token(alice, alice, "mine") and issue_api_token(SYSTEM, alice, "cli")
    assert ApiToken.objects.filter(user=alice).count() == 2 and not ApiToken.objects.filter(name="not yours").exists()


def test_the_audit_log_refuses_a_missing_actor():
    with pytest.raises(MissingActor):
        audit.record("admin_action", actor=None)
    with pytest.raises(TypeError):
        audit.record("admin_action")  # the actor is a required argument
    row = audit.record("admin_action", actor=SYSTEM, target="x")
    assert row.user_id is None and row.username == "" and SecurityLog.objects.filter(pk=row.pk).exists()
