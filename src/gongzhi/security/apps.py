from django.apps import AppConfig
from django.db.models.signals import post_migrate

from gongzhi.core.manifest import Manifest


def _create_cache_table(sender, using="default", verbosity=1, **kwargs):
    """``gongzhi migrate`` also creates the database cache table (a no-op when the cache is Redis
    or the table exists), so a fresh install has the shared cache rate limits count in."""
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=max(0, verbosity - 1))


class SecurityConfig(AppConfig):
    name = "gongzhi.security"
    label = "security"
    verbose_name = "安全"

    manifest = Manifest()

    def ready(self):
        from django.contrib.auth.signals import user_login_failed

        from .ratelimit import count_login_failure

        post_migrate.connect(_create_cache_table, sender=self, dispatch_uid="gongzhi.security.cachetable")
        user_login_failed.connect(count_login_failure, dispatch_uid="gongzhi.security.login_failures")
