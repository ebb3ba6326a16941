"""Settings for the test suite: the real settings, with background tasks run
immediately (so a test sees what a worker would do) and a fast password hasher."""

from .settings import *  # noqa: F401,F403
from .settings import TASK_QUEUES

TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": TASK_QUEUES}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# django-axes needs the request in authenticate(), which the test client's login() does not pass;
# the log-in lock-out tests switch it on (tests/security/test_login_lockout.py).
AXES_ENABLED = False
# Declared contracts (core/contracts.py): an undeclared event type or error code fails the test.
GONGZHI_CHECK_CONTRACTS = True
# A "replica" database mirroring default (issue 18) for the read-replica router's tests
# (tests/core/test_replica.py); nothing reads from it unless a test installs the router.
DATABASES.setdefault("replica", {**DATABASES["default"], "TEST": {"MIRROR": "default"}})  # noqa: F405
