"""The real settings with views that fail on purpose (for the logging test in a fresh process)."""

from gongzhi.settings import *  # noqa: F401,F403

ROOT_URLCONF = "tests.ops.urls_for_tests"
ALLOWED_HOSTS = ["testserver"]
