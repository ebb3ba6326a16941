"""Text composed from parts, stored as data and rendered in the reader's language.

A sentence a service composes at save time (the dispatch basis "权责清单……规定由街道(乡镇)承办", an
escalation "由A升级至B：……") is not stored as text in the language of whoever saved it: it is a
:class:`Phrase`, a registered code and its parameters, kept as ``{"code": …, "params": {…}}`` in a
JSON column and rendered by :func:`render` in the language active when it is read. A phrase's
template is a gettext message with named placeholders (``%(unit)s``); a parameter that is a code
(an SLA class, a handler level) is turned into its label at render time by the function registered
for it, so that it too follows the reader's language. Names of places, units and persons and text a
user typed are data: shown as stored.

Old rows hold plain text: :func:`render` returns a string unchanged, so they stay readable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import get_language

# code → (gettext_lazy template, {parameter: value → label})
_REGISTRY: dict[str, tuple[Any, dict[str, Callable[[Any], Any]]]] = {}

TEXT = "text"  # a phrase that is only text someone typed: {"code": "text", "params": {"text": …}}


def register(code: str, template: Any, **labels: Callable[[Any], Any]) -> str:
    """Declare a phrase: its code, its template (``gettext_lazy("……%(name)s……")``) and, for a
    parameter holding a code, the function giving its label. Returns the code."""
    _REGISTRY[code] = (template, labels)
    return code


@dataclass(frozen=True)
class Phrase:
    """A registered phrase with its parameters; ``str()`` renders it in the active language."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return render(self.as_data())

    def as_data(self) -> dict[str, Any]:
        return {"code": self.code, "params": dict(self.params)}


def phrase(code: str, /, **params: Any) -> Phrase:
    if code not in _REGISTRY and code != TEXT:
        raise KeyError(f"unregistered phrase {code!r}")
    return Phrase(code, params)


def as_data(item: Phrase | str | dict) -> dict[str, Any]:
    """The stored form of a phrase (plain text becomes a ``text`` phrase)."""
    if isinstance(item, Phrase):
        return item.as_data()
    if isinstance(item, dict):
        return item
    return {"code": TEXT, "params": {"text": str(item)}}


def render(item: Phrase | str | dict | None) -> str:
    """The text of a stored phrase in the active language; plain text (old rows) as it is."""
    if item is None:
        return ""
    if isinstance(item, Phrase):
        item = item.as_data()
    if not isinstance(item, dict):
        return str(item)
    code = item.get("code", "")
    params = dict(item.get("params") or {})
    if code == TEXT:
        return str(params.get("text", ""))
    entry = _REGISTRY.get(code)
    if entry is None:  # a phrase from a newer release or a removed one: its parameters, readable
        return " ".join(str(v) for v in params.values()) or code
    template, labels = entry
    for name, label in labels.items():
        if name in params and params[name] not in (None, ""):
            try:
                params[name] = label(params[name])
            except (KeyError, ValueError):
                pass
    try:
        return str(template) % params
    except (KeyError, TypeError, ValueError):
        return str(template)


def separator() -> str:
    """Between phrases of one text: the Chinese semicolon, or "; " in other languages."""
    return "；" if (get_language() or "zh").startswith("zh") else "; "


def render_all(items: Iterable[Phrase | str | dict] | None) -> str:
    return separator().join(t for t in (render(i) for i in items or ()) if t)
