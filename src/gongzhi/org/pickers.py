"""Pickers: a form field that takes a unit, region, grid, person, alliance goal or matter category is
searched by name (search as you type) and submits the record's code or id, never typed by hand.

One registry of *sources*, one per kind of record. A source says which rows a user may pick for a
field (``purpose``: e.g. only handling units for a dispatch, only leaf categories), how a typed text
matches them, what value the field submits and what label a person reads. The search endpoint
(``web/pickers.py``, ``/pick/<kind>/``) answers from it; the form field (:class:`PickerField`) checks a
submitted value against the same source, so the form reports an unknown or inadmissible code as a field
error with the form's other errors; the widget (:class:`PickerInput`) is a plain text input that
``static/gongzhi/picker.js`` turns into an ARIA combobox (it stays a text input for the code without
JavaScript).

Sources of apps above ``org`` register themselves (``alliances/pickers.py``: alliance goals)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django import forms
from django.db.models import Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from gongzhi.core.models import Region

from . import permissions as perm
from .admin_base import mask_name
from .kinds import PARTY_KINDS, UnitKind
from .models import Grid, MatterCategory, Person, Unit

_F = TypeVar("_F", bound=forms.BaseForm)

#: At most this many choices per answer.
LIMIT = 20


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    hint: str = ""

    def as_dict(self) -> dict:
        return {"value": self.value, "label": self.label, "hint": self.hint}


@dataclass(frozen=True)
class Source:
    """One kind of record a field may pick.

    ``rows(user, purpose)``: the rows the user may pick for that purpose (``user`` None: every row the
    purpose admits, for a form checked without a user); ``match(qs, q, user)``: those matching a typed
    text; ``value``/``choice``: what the field submits and what the person reads."""

    kind: str
    noun: object  # a lazy string: "单位"
    purposes: tuple[str, ...]
    rows: Callable[[object, str], QuerySet]
    match: Callable[[QuerySet, str, object], QuerySet]
    choice: Callable[[object, object], Choice]
    key: str = "code"  # the field the submitted value is looked up by
    order: tuple[str, ...] = ("code",)
    numeric: bool = field(default=False)


SOURCES: dict[str, Source] = {}


def register(source: Source) -> None:
    SOURCES[source.kind] = source


def get(kind: str) -> Source | None:
    return SOURCES.get(kind)


def may_pick(user: Any) -> bool:
    """A picker answers only to platform staff (a role somewhere) and the platform itself."""
    return perm.is_system(user) or perm.home_region(user) is not None


def search(kind: str, user: Any, q: str, purpose: str = "any", limit: int = LIMIT) -> list[Choice]:
    src = SOURCES[kind]
    qs = src.rows(user, purpose)
    q = (q or "").strip()
    if q:
        qs = src.match(qs, q, user)
    return [src.choice(o, user) for o in qs.order_by(*src.order)[:limit]]


def resolve(
    kind: str, values: Iterable[str], purpose: str = "any", user: Any = None
) -> tuple[dict[str, object], list[str]]:
    """The rows the values name among those the purpose (and the user, when given) admits: (found by
    value, values not found, in the order given)."""
    src = SOURCES[kind]
    values = [v for v in values if v]
    if src.numeric:
        good = [v for v in values if v.isdigit()]
    else:
        good = list(values)
    found = {str(getattr(o, src.key)): o for o in src.rows(user, purpose).filter(**{f"{src.key}__in": good})}
    return found, [v for v in values if v not in found]


def labels(kind: str, values: Iterable[str], purpose: str = "any", user: Any = None) -> dict[str, str]:
    src = SOURCES.get(kind)
    if src is None:
        return {}
    found, _missing = resolve(kind, values, purpose, user)
    return {v: src.choice(o, user).label for v, o in found.items()}


# ------------------------------------------------------------------ scoping helpers


def _ancestor_paths(paths: list[str]) -> list[str]:
    """Every region path above (and at) the given paths: a street's cadre may hand work to the
    district's departments, which sit at the district, above the street."""
    out = set()
    for p in paths:
        parts = [c for c in p.strip("/").split("/") if c]
        for i in range(1, len(parts) + 1):
            out.add("/" + "/".join(parts[:i]) + "/")
    return sorted(out)


def scoped(
    user: Any, qs: QuerySet, region_field: str = "region", *, above: bool = False, action: str = perm.VIEW
) -> QuerySet:
    """``qs`` within the user's scope for ``action``; ``above``: also rows at the regions above it."""
    if user is None:
        return qs
    paths = perm.scope_paths(user, action)
    if paths is None:
        return qs
    if not paths:
        return qs.none()
    prefix = f"{region_field}__path" if region_field else "path"
    cond = Q()
    for p in paths:
        cond |= Q(**{f"{prefix}__startswith": p})
    if above:
        cond |= Q(**{f"{prefix}__in": _ancestor_paths(paths)})
    return qs.filter(cond)


# ------------------------------------------------------------------ units

#: Units a matter may be handed to (dispatch, task responsibility): not party households or groups.
HANDLING_KINDS = frozenset(
    {
        UnitKind.GOVERNMENT,
        UnitKind.DEPARTMENT,
        UnitKind.RESIDENTS_COMMITTEE,
        UnitKind.VILLAGERS_COMMITTEE,
        UnitKind.PROPERTY_COMPANY,
        UnitKind.ENTERPRISE_STATE,
        UnitKind.SCHOOL,
        UnitKind.HOSPITAL,
        UnitKind.SOCIAL_ORG,
        UnitKind.OWNERS_COMMITTEE,
    }
)
COMMITTEE_KINDS = frozenset({UnitKind.RESIDENTS_COMMITTEE, UnitKind.VILLAGERS_COMMITTEE})

#: purpose → (kinds admitted or None for all, reach the regions above the user's scope too)
UNIT_PURPOSES: dict[str, tuple[frozenset | None, bool]] = {
    "any": (None, False),
    "responsible": (None, True),
    "handling": (HANDLING_KINDS, True),
    "department": (frozenset({UnitKind.DEPARTMENT}), True),
    "issuer": (None, True),  # demands and directives come from any unit here or above
    "party": (PARTY_KINDS, False),
    "committee": (COMMITTEE_KINDS, False),
    "host": (frozenset(UnitKind.values) - PARTY_KINDS, False),
}


def _unit_rows(user: Any, purpose: str) -> QuerySet:
    kinds, above = UNIT_PURPOSES[purpose]
    qs = Unit.objects.filter(status=Unit.Status.ESTABLISHED).select_related("region")
    if kinds is not None:
        qs = qs.filter(kind__in=kinds)
    return scoped(user, qs, above=above)


def _unit_match(qs: QuerySet, q: str, user: Any) -> QuerySet:
    return qs.filter(Q(name__icontains=q) | Q(code__istartswith=q))


def _unit_choice(u: Any, user: Any) -> Choice:
    return Choice(u.code, u.name, f"{u.get_kind_display()} · {u.region.name} · {u.code}")


register(
    Source(
        "unit",
        _("单位"),
        tuple(UNIT_PURPOSES),
        _unit_rows,
        _unit_match,
        _unit_choice,
        order=("region__path", "code"),
    )
)

# ------------------------------------------------------------------ regions

REGION_PURPOSES = {"any": None, "community": ("community",), "street": ("street",), "area": ("street", "community")}


def _region_rows(user: Any, purpose: str) -> QuerySet:
    levels = REGION_PURPOSES[purpose]
    qs = Region.objects.all()
    if levels:
        qs = qs.filter(level__in=levels)
    return scoped(user, qs, region_field="")


def _region_choice(r: Any, user: Any) -> Choice:
    return Choice(r.code, r.name, f"{r.level_label()} · {r.code}")


register(
    Source(
        "region",
        _("区域"),
        tuple(REGION_PURPOSES),
        _region_rows,
        lambda qs, q, user: qs.filter(Q(name__icontains=q) | Q(code__startswith=q)),
        _region_choice,
        order=("path",),
    )
)

# ------------------------------------------------------------------ grids


def _grid_rows(user: Any, purpose: str) -> QuerySet:
    return scoped(user, Grid.objects.select_related("region"))


def _grid_choice(g: Any, user: Any) -> Choice:
    return Choice(g.code, f"{g.region.name} · {g.name}", g.code)


register(
    Source(
        "grid",
        _("网格"),
        ("any",),
        _grid_rows,
        lambda qs, q, user: qs.filter(Q(name__icontains=q) | Q(code__startswith=q) | Q(region__name__icontains=q)),
        _grid_choice,
    )
)

# ------------------------------------------------------------------ people

PERSON_PURPOSES = {"any": Q(), "party_member": Q(party_status="full")}


def _person_rows(user: Any, purpose: str) -> QuerySet:
    return scoped(user, Person.objects.filter(PERSON_PURPOSES[purpose]).select_related("region"))


def _person_match(qs: QuerySet, q: str, user: Any) -> QuerySet:
    """By number among everyone the user may pick; by name only among those whose name the user may
    read (a name typed in must not confirm who lives where to someone who may not see it)."""
    cond = Q(pk=int(q)) if q.isdigit() and len(q) < 12 else Q(pk__in=[])
    by_name = scoped(user, qs.filter(name__startswith=q), action=perm.VIEW_PERSONAL)
    return qs.filter(cond | Q(pk__in=by_name.values("pk")))


def _person_choice(p: Any, user: Any) -> Choice:
    """The usual rule: the name in clear only to who may see the person's details (``view_personal`` in
    the person's region); never an ID number or a full phone number in a picker."""
    clear = user is not None and perm.allowed(user, perm.VIEW_PERSONAL, p)
    name = p.name if clear else mask_name(p.name)
    hint = f"{p.region.name} · {p.pk}"
    if clear and p.phone:
        hint += f" · {perm.mask_phone(p.phone)}"
    return Choice(str(p.pk), name, hint)


register(
    Source(
        "person",
        _("人员"),
        tuple(PERSON_PURPOSES),
        _person_rows,
        _person_match,
        _person_choice,
        key="pk",
        order=("region__path", "pk"),
        numeric=True,
    )
)

# ------------------------------------------------------------------ matter categories

CATEGORY_PURPOSES = {"leaf": r"^\d{5}$", "major": r"^\d{2}$", "any": r"^\d+$"}


def _category_rows(user: Any, purpose: str) -> QuerySet:
    return MatterCategory.objects.filter(code__regex=CATEGORY_PURPOSES[purpose]).select_related("parent")


def _category_choice(c: Any, user: Any) -> Choice:
    label = f"{c.parent.name}·{c.name}" if c.parent_id else c.name
    return Choice(c.code, label, c.code)


register(
    Source(
        "category",
        _("事项类别"),
        tuple(CATEGORY_PURPOSES),
        _category_rows,
        lambda qs, q, user: qs.filter(
            Q(name__icontains=q) | Q(code__startswith=q) | Q(keywords__icontains=q) | Q(parent__name__icontains=q)
        ),
        _category_choice,
    )
)


# ------------------------------------------------------------------ the widget and the field


def split(raw: str) -> list[str]:
    """Several values typed or picked into one field: commas (either width), semicolons or new lines."""
    for sep in ("，", "、", ";", "；", "\n", "\r"):
        raw = raw.replace(sep, ",")
    return [v.strip() for v in raw.split(",") if v.strip()]


class PickerInput(forms.TextInput):
    """A text input for the code (or id) that ``picker.js`` turns into a search-as-you-type combobox:
    the person reads and types names, the form submits the code. Without JavaScript it stays a text
    input for the code. ``data-picker-labels`` carries the current value's labels for redisplay."""

    def __init__(
        self, kind: str, purpose: str = "any", multiple: bool = False, attrs: dict[str, Any] | None = None
    ) -> None:
        super().__init__(attrs)
        self.kind, self.purpose, self.multiple = kind, purpose, multiple

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        ctx = super().get_context(name, value, attrs)
        a = ctx["widget"]["attrs"]
        try:
            url = reverse("picker", args=[self.kind])
        except NoReverseMatch:  # pragma: no cover - the page shell is always installed
            url = ""
        a.update(
            {
                "data-picker": self.kind,
                "data-picker-url": url,
                "data-picker-for": self.purpose,
                "data-picker-empty": str(_("没有匹配的选项")),
                "data-picker-hint": str(_("输入名称搜索，上下键选择，回车确定")),
                "autocomplete": "off",
                "spellcheck": "false",
            }
        )
        if self.multiple:
            a["data-picker-multiple"] = "1"
            a["data-picker-remove"] = str(_("移除"))
        raw = ctx["widget"].get("value") or ""
        values = split(str(raw)) if self.multiple else [str(raw).strip()]
        values = [v for v in values if v]
        if values:
            try:
                known = labels(self.kind, values, self.purpose)
            except Exception:  # noqa: BLE001 - a label is a nicety; a value the source cannot read shows as typed
                known = {}
            a["data-picker-labels"] = json.dumps(known, ensure_ascii=False)
        return ctx


class PickerField(forms.CharField):
    """A field that takes the code (or id) of one record, or several (``multiple``), of a picker kind.

    Cleaning checks every value against the source for the field's purpose (and the user's scope when
    the view binds one, :func:`bind`) and names all unknown values in one error, so the form shows it
    with every other field's error; the cleaned value is the code (or the codes joined by commas),
    which the form's ``clean_<field>`` may turn into records."""

    def __init__(
        self, kind: str, *, purpose: str = "any", multiple: bool = False, admit: str | None = None, **kw: Any
    ) -> None:
        src = SOURCES[kind]
        assert purpose in src.purposes and (admit is None or admit in src.purposes), f"{kind}: no such purpose"
        self.kind, self.purpose, self.multiple = kind, purpose, multiple
        # what the form accepts, when wider than what the picker offers (the service then says why a
        # value does not qualify, e.g. founders who are not full party members)
        self.admit = admit or purpose
        self.user: Any = None
        kw.setdefault("widget", PickerInput(kind, purpose, multiple))
        kw.setdefault("max_length", 2000 if multiple else 40)
        super().__init__(**kw)

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        if not value:
            return value
        values = split(value) if self.multiple else [value.strip()]
        _found, missing = resolve(self.kind, values, self.admit, self.user)
        if missing:
            self.widget.attrs["aria-invalid"] = "true"  # this form's own copy of the field
            raise forms.ValidationError(
                _("没有可选的%(what)s：%(values)s（请输入名称并从列表中选择）"),
                code="not_pickable",
                params={"what": SOURCES[self.kind].noun, "values": "、".join(missing)},
            )
        return ",".join(dict.fromkeys(values)) if self.multiple else values[0]


def bind(form: _F, user: Any) -> _F:
    """Check the form's picker fields against what ``user`` may pick (their scope), not only what exists."""
    for f in form.fields.values():
        if isinstance(f, PickerField):
            f.user = user
    return form


def mark_all(form: forms.BaseForm) -> None:
    """Mark every field with an error for assistive technology (``aria-invalid``)."""
    for name in form.errors:
        if name in form.fields:
            form.fields[name].widget.attrs["aria-invalid"] = "true"
