"""Each app's one declaration of what it adds to the platform: its manifest.

An app's ``AppConfig`` carries ``manifest = Manifest(...)``: its API router, its page URLs, its part
of ``gongzhi demo``, its periodic jobs, its permission actions, its outbox subscribers, the figures it
publishes, its navigation entries and its contracts module.  Everything that used to be listed by
hand in the core (``api/api.py``'s ``ROUTERS``, ``urls.py``, ``demo/generator.DEMO_MODULES``,
``core/schedule.JOBS``, ``permissions.register`` calls made on import, subscriber imports in
``ready()``, the links of ``base.html``) is read from here.

Every piece is a dotted path, ``"package.module"`` or ``"package.module:attribute"``.  :func:`load`
(``CoreConfig.ready``, so at start-up: every management command, the server, the tests) checks every
installed Gongzhi app has a manifest and imports every piece it names; a module that does not import
or an attribute that is missing raises :class:`~django.core.exceptions.ImproperlyConfigured` naming
the app and the piece.  Nothing is skipped silently.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.apps import AppConfig
from django.apps import apps as django_apps
from django.core.exceptions import ImproperlyConfigured

DEFAULT = "<app>.contracts"  # the contracts module's default: ``<app package>.contracts``, optional


@dataclass(frozen=True)
class Job:
    """A periodic job (``core.schedule``): enqueued by ``gongzhi schedule`` every ``every``."""

    name: str
    every: dt.timedelta
    task: str  # dotted path of a Django Tasks task
    why: str


@dataclass(frozen=True)
class Urls:
    """Page URLs: ``module`` (its ``urlpatterns``) included at ``prefix`` (``"requests/"``; ``""`` for the root)."""

    prefix: str
    module: str


@dataclass(frozen=True)
class Nav:
    """A link in the site's top navigation: ``label`` (translatable), ``url`` a URL name
    (``"cases:index"``) or a path (``"/api/v1/docs"``), placed by ``order`` among all apps' entries;
    ``staff`` links are shown to staff only; with ``action`` (a permission action name) a link is shown
    only to those who hold that action somewhere (``org.permissions.allowed``), so that a menu link never
    ends in a refusal and a resident's menu holds a resident's pages."""

    label: Any
    url: str
    order: int
    staff: bool = False
    action: str | None = None

    @property
    def href(self) -> str:
        from django.urls import reverse

        return self.url if self.url.startswith("/") else reverse(self.url)


@dataclass(frozen=True)
class DemoStep:
    """The app's part of ``gongzhi demo``: ``step`` is ``"module:function"`` with
    ``(*, seed, scale, progress) -> dict[str, int]`` (counts of what it wrote); steps run by
    ``order`` after the district is written (an app's demo may need another's data)."""

    step: str
    order: int


@dataclass(frozen=True)
class Permissions:
    """The app's actions in the one permission table (``org.permissions``): ``roles`` names a
    ``{role: frozenset(actions)}`` dict and ``labels`` an ``{action: label}`` dict; ``OrgConfig.ready``
    registers them."""

    roles: str
    labels: str


@dataclass(frozen=True)
class Manifest:
    api: str | None = None  # "gongzhi.cases.api:router"; mounted at the module's PREFIX ("" without one)
    urls: tuple[Urls, ...] = ()
    demo: DemoStep | None = None
    jobs: tuple[Job, ...] = ()
    permissions: Permissions | None = None
    subscribers: tuple[str, ...] = ()  # modules whose import registers @events.subscriber handlers
    figures: str | tuple[str, ...] | None = None  # modules registering the app's figures (core/figures.py)
    nav: tuple[Nav, ...] = ()
    contracts: str | None = DEFAULT  # the app's contracts module; None: it declares none


@dataclass
class Loaded:
    """What :func:`load` found: the imported pieces, in ``INSTALLED_APPS`` order."""

    manifests: dict[str, Manifest] = field(default_factory=dict)  # app label -> manifest
    routers: list[tuple[str, str, Any]] = field(default_factory=list)  # (label, prefix, router)
    urls: list[tuple[str, Urls]] = field(default_factory=list)
    demos: list[tuple[str, DemoStep, Callable]] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    permissions: list[tuple[str, dict, dict]] = field(default_factory=list)
    nav: list[Nav] = field(default_factory=list)
    contracts: list[tuple[str, Any]] = field(default_factory=list)  # (label, module)


_loaded: Loaded | None = None


def resolve(path: str, *, app: str, piece: str) -> Any:
    """Import ``"module"`` or ``"module:attribute"``; anything wrong is ImproperlyConfigured."""
    module_name, _, attr = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ImproperlyConfigured(f"app {app!r}: manifest {piece} {path!r} does not import: {exc}") from exc
    if not attr:
        return module
    try:
        return getattr(module, attr)
    except AttributeError as exc:
        raise ImproperlyConfigured(f"app {app!r}: manifest {piece} {path!r}: {module_name} has no {attr!r}") from exc


def gongzhi_apps() -> list[AppConfig]:
    return [c for c in django_apps.get_app_configs() if c.name.startswith("gongzhi.")]


def manifest_of(config: AppConfig) -> Manifest:
    m = getattr(config, "manifest", None)
    if not isinstance(m, Manifest):
        raise ImproperlyConfigured(
            f"app {config.label!r} ({type(config).__name__}) declares no "
            "`manifest = Manifest(...)` (gongzhi.core.manifest)"
        )
    return m


def contracts_module(config: AppConfig, m: Manifest) -> str | None:
    """The app's contracts module, or None when it declares none (the default module may be absent)."""
    if m.contracts is None:
        return None
    if m.contracts == DEFAULT:
        name = f"{config.name}.contracts"
        return name if importlib.util.find_spec(name) is not None else None
    return m.contracts


def load(configs: list[AppConfig] | None = None) -> Loaded:
    """Read every Gongzhi app's manifest and import what it names (start-up: ``CoreConfig.ready``)."""
    global _loaded
    found = Loaded()
    for config in configs if configs is not None else gongzhi_apps():
        app = config.label
        m = manifest_of(config)
        found.manifests[app] = m
        if m.api:
            if ":" not in m.api:
                raise ImproperlyConfigured(f"app {app!r}: manifest api {m.api!r} must name the router, 'module:router'")
            router = resolve(m.api, app=app, piece="api")
            module = resolve(m.api.partition(":")[0], app=app, piece="api")
            found.routers.append((app, getattr(module, "PREFIX", ""), router))
        for urls in m.urls:
            resolve(urls.module, app=app, piece="urls")
            found.urls.append((app, urls))
        if m.demo is not None:
            fn = resolve(m.demo.step, app=app, piece="demo")
            if not callable(fn):
                raise ImproperlyConfigured(f"app {app!r}: manifest demo {m.demo.step!r} is not callable")
            found.demos.append((app, m.demo, fn))
        for job in m.jobs:
            module, _, name = job.task.rpartition(".")
            resolve(f"{module}:{name}", app=app, piece="job")
            found.jobs.append(job)
        if m.permissions is not None:
            roles = resolve(m.permissions.roles, app=app, piece="permissions")
            labels = resolve(m.permissions.labels, app=app, piece="permissions")
            found.permissions.append((app, roles, labels))
        for sub in m.subscribers:
            resolve(sub, app=app, piece="subscribers")
        for fig in (m.figures,) if isinstance(m.figures, str) else m.figures or ():
            resolve(fig, app=app, piece="figures")
        found.nav.extend(m.nav)
        contracts = contracts_module(config, m)
        if contracts:
            found.contracts.append((app, resolve(contracts, app=app, piece="contracts")))
    found.demos.sort(key=lambda d: d[1].order)
    found.nav.sort(key=lambda n: n.order)
    if configs is None:
        _loaded = found
    return found


def loaded() -> Loaded:
    """The manifests read at start-up (read now if start-up has not happened in this process yet)."""
    return _loaded if _loaded is not None else load()
