"""Showing a service's refusal on the form that caused it."""

from __future__ import annotations

from gongzhi.core.errors import DomainError


def mark(form, e: DomainError) -> None:
    """Add the refusal's message to the field it names (marked ``aria-invalid``), or to the whole form."""
    name = e.field if e.field in form.fields else None
    form.add_error(name, e.message)
    if name:
        form.fields[name].widget.attrs["aria-invalid"] = "true"
