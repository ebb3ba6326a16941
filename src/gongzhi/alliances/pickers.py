"""The alliance-goal picker source (see ``org/pickers.py``): a plan's goal taken from an approved goal of
a party-building alliance in the user's scope, picked by the alliance's or the goal's name."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from gongzhi.org import pickers

from .models import Goal

GOAL_PURPOSES = {"approved": Q(status=Goal.Status.APPROVED), "any": Q()}


def _rows(user: Any, purpose: str) -> QuerySet:
    qs = Goal.objects.filter(GOAL_PURPOSES[purpose]).select_related("alliance", "alliance__region")
    return pickers.scoped(user, qs, region_field="alliance__region")


def _match(qs: QuerySet, q: str, user: Any) -> QuerySet:
    cond = Q(title__icontains=q) | Q(alliance__name__icontains=q)
    if q.isdigit() and len(q) < 12:
        cond |= Q(pk=int(q))
    return qs.filter(cond)


def _choice(g: Any, user: Any) -> pickers.Choice:
    return pickers.Choice(str(g.pk), f"{g.alliance.name}：{g.title}", f"{g.get_status_display()} · {g.pk}")


pickers.register(
    pickers.Source(
        "goal",
        _("联合体目标"),
        tuple(GOAL_PURPOSES),
        _rows,
        _match,
        _choice,
        key="pk",
        order=("-pk",),
        numeric=True,
    )
)
