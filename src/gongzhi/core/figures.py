"""The one registry of named figures.

A *figure* is a number the platform computes from its records: "cases.on_time_rate",
"plans.task_on_time_rate", "volunteers.hours".  Each is defined once, in the app that owns the
records, with :func:`figure`::

    @figure("cases.on_time_rate", label="按时办结率", unit="rate")
    def on_time_rate(region, start, end):
        ...

- ``name`` is ``<app label>.<figure>``;
- ``compute(region, start, end)`` answers for ``region``'s subtree and the days ``[start, end)``
  (dates, end exclusive);  a figure whose ``subject`` is not ``"region"`` (plans' task indicators)
  takes its own arguments, documented with it;
- the value is a number, ``None`` (nothing to count), or for a ratio a dict
  ``{"value", "num", "den"}`` (:func:`ratio`); :func:`value` gives the plain number either way;
  ``unit`` "rate" means a fraction in [0, 1] (a figure of another subject may name a display unit).

A figure may also have a *fast path*: another evaluator of the same figure (the command centre's
rollup tables), registered with :func:`fast_path` by the app that keeps it.
``compute(name, …, fast=True)`` uses it when there is one;  ``tests/command/test_figures.py`` checks
on the demo district that both give the same answer for every figure that has both.

Other registries read this one: report fields (:mod:`gongzhi.burden.sources`), indicator
sources (:mod:`gongzhi.plans.indicators`) and assessment measures
(:mod:`gongzhi.assessment.measures`) name figures of it.

The modules that register figures are imported at start-up by :func:`load` (called from
``CoreConfig.ready``): those an app's manifest names in its ``figures`` field.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

UNITS = ("count", "rate", "hours", "minutes", "share", "other")


class UnknownFigure(KeyError):
    """No figure of that name is registered."""


@dataclass(frozen=True)
class Figure:
    name: str
    label: str
    unit: str
    compute: Callable[..., Any]
    doc: str = ""
    subject: str = "region"  # what compute() takes: "region" → (region, start, end); else see doc
    fast: Callable[..., Any] | None = field(default=None, compare=False)
    params: dict[str, bool] = field(default_factory=dict, compare=False)  # named parameters (→ required?)

    @property
    def app(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def short(self) -> str:
        return self.name.split(".", 1)[1]


_REGISTRY: dict[str, Figure] = {}
_PENDING_FAST: dict[str, Callable] = {}
_loaded = False


def register(
    name: str,
    compute: Callable,
    *,
    label: str,
    unit: str = "count",
    doc: str = "",
    subject: str = "region",
    params: dict[str, bool] | None = None,
) -> Figure:
    """Register ``compute`` as figure ``name`` (once: registering a name twice with another
    function is a definition written twice, and refused)."""
    if "." not in name:
        raise ValueError(f"figure name {name!r} must be '<app label>.<figure>'")
    old = _REGISTRY.get(name)
    if old is not None and getattr(old.compute, "__qualname__", None) != getattr(compute, "__qualname__", None):
        raise ValueError(f"figure {name!r} is defined twice ({old.compute!r} and {compute!r})")
    fig = Figure(
        name,
        label,
        unit,
        compute,
        doc or (compute.__doc__ or "").strip(),
        subject,
        _PENDING_FAST.pop(name, None) or (old.fast if old else None),
        dict(params or {}),
    )
    _REGISTRY[name] = fig
    return fig


def figure(
    name: str,
    *,
    label: str,
    unit: str = "count",
    doc: str = "",
    subject: str = "region",
    params: dict[str, bool] | None = None,
) -> Callable[[F], F]:
    """Decorator: register the function as figure ``name``; the function is returned unchanged."""

    def deco(fn: F) -> F:
        register(name, fn, label=label, unit=unit, doc=doc, subject=subject, params=params)
        return fn

    return deco


def fast_path(name: str) -> Callable[[F], F]:
    """Decorator: record the function as the fast evaluator of figure ``name`` (same arguments, same answer)."""

    def deco(fn: F) -> F:
        if name in _REGISTRY:
            _REGISTRY[name] = replace(_REGISTRY[name], fast=fn)
        else:
            _PENDING_FAST[name] = fn
        return fn

    return deco


def get(name: str) -> Figure:
    try:
        return _REGISTRY[name]
    except KeyError:
        if not _loaded:
            load()
            if name in _REGISTRY:
                return _REGISTRY[name]
        raise UnknownFigure(name) from None


def exists(name: str) -> bool:
    try:
        get(name)
    except UnknownFigure:
        return False
    return True


def all(app: str | None = None, subject: str | None = "region") -> list[Figure]:  # noqa: A001
    """Registered figures (of ``app``; of ``subject``, None for every subject), in registration order."""
    if not _loaded:
        load()
    return [
        f for f in _REGISTRY.values() if (app is None or f.app == app) and (subject is None or f.subject == subject)
    ]


def names(app: str | None = None) -> list[str]:
    return [f.name for f in all(app)]


def ratio(num: float, den: float, scale: float = 1.0) -> dict:
    """A ratio figure's value: ``{"value": num / den (None when den is 0), "num", "den"}``."""
    return {"value": (num / den * scale) if den else None, "num": num, "den": den}


def value(v: Any) -> Any:
    """The plain number of a figure's value (a ratio's ``value``)."""
    return v.get("value") if isinstance(v, dict) else v


def compute(name: str, region: Any, start: dt.date, end: dt.date, *, fast: bool = False) -> Any:
    """Figure ``name`` for ``region``'s subtree over the days [start, end); ``fast`` uses its fast path
    when it has one."""
    fig = get(name)
    if fig.subject != "region":
        raise TypeError(f"figure {name!r} is computed per {fig.subject}, not per region and period")
    fn = fig.fast if fast and fig.fast is not None else fig.compute
    return fn(region, start, end)


# ------------------------------------------------------------------ shared work within one batch

_batch: ContextVar[dict | None] = ContextVar("figures_batch", default=None)


@contextlib.contextmanager
def batch(cache: dict | None = None) -> Iterator[dict]:
    """Within the block, work shared by several figures (:func:`shared`) is done once per key.
    Pass a dict to keep the results beyond the block (the caller then clears it)."""
    cache = {} if cache is None else cache
    token = _batch.set(cache)
    try:
        yield cache
    finally:
        _batch.reset(token)


def shared(key: tuple, fn: Callable[[], Any]) -> Any:
    """``fn()``, memoised by ``key`` inside a :func:`batch` (computed every time outside one)."""
    cache = _batch.get()
    if cache is None:
        return fn()
    if key not in cache:
        cache[key] = fn()
    return cache[key]


# ------------------------------------------------------------------ start-up


def load() -> None:
    """Import every installed app's figure modules, named by its manifest's ``figures``
    (core/manifest.py; every Gongzhi app has a manifest, checked at start-up)."""
    global _loaded
    from django.apps import apps

    _loaded = True
    for cfg in apps.get_app_configs():
        manifest = getattr(cfg, "manifest", None)
        declared = getattr(manifest, "figures", None)
        if isinstance(declared, str):
            declared = (declared,)
        for module in declared or ():
            importlib.import_module(module)
