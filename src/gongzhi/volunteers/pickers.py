"""The volunteer picker source (see ``org/pickers.py``): a volunteer of the user's scope, found by number
or (where the user may read names) by name, labelled by the masking rule with their time bank."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from gongzhi.org import permissions as perm
from gongzhi.org import pickers
from gongzhi.org.admin_base import mask_name

from .models import Volunteer


def _rows(user: Any, purpose: str) -> QuerySet:
    qs = Volunteer.objects.filter(status=Volunteer.Status.ACTIVE).select_related("person", "region", "bank")
    return pickers.scoped(user, qs)


def _match(qs: QuerySet, q: str, user: Any) -> QuerySet:
    cond = Q(pk=int(q)) if q.isdigit() and len(q) < 12 else Q(pk__in=[])
    by_name = pickers.scoped(user, qs.filter(person__name__startswith=q), action=perm.VIEW_PERSONAL)
    return qs.filter(cond | Q(pk__in=by_name.values("pk")))


def _choice(v: Any, user: Any) -> pickers.Choice:
    clear = user is not None and perm.allowed(user, perm.VIEW_PERSONAL, v)
    name = v.person.name if clear else mask_name(v.person.name)
    return pickers.Choice(str(v.pk), name, f"{v.bank.name} · {v.region.name} · {v.pk}")


pickers.register(
    pickers.Source(
        "volunteer",
        _("志愿者"),
        ("any",),
        _rows,
        _match,
        _choice,
        key="pk",
        order=("region__path", "pk"),
        numeric=True,
    )
)
