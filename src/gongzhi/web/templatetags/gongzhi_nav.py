"""The site's top navigation, read from the apps' manifests (``nav=`` in each ``AppConfig.manifest``)."""

from typing import Any

from django import template

from gongzhi.core import manifest

register = template.Library()


@register.simple_tag
def nav_entries(user: Any) -> list[Any]:
    """The links ``user`` sees, in order: staff-only entries for staff only, an entry with an action
    for those who hold that action somewhere."""
    from gongzhi.org import permissions as perm

    return [
        n
        for n in manifest.loaded().nav
        if (not n.staff or getattr(user, "is_staff", False)) and (n.action is None or perm.allowed(user, n.action))
    ]
