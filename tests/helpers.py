"""Helpers shared by the permission-matrix tests."""

from __future__ import annotations

from django.db import transaction

from gongzhi.core.errors import Forbidden


class _Rollback(Exception):
    pass


def outcome(fn, refused=(Forbidden,)) -> bool:
    """True when ``fn`` is allowed (whatever it changed is rolled back), False when it is refused with one
    of ``refused``; any other error fails the test."""
    try:
        with transaction.atomic():
            fn()
            raise _Rollback
    except _Rollback:
        return True
    except refused:
        return False
