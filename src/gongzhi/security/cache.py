"""The database cache with an atomic ``incr``.

Django's ``DatabaseCache`` increments by reading the value and writing it back, so two workers
counting the same key at once lose counts (django-ratelimit flags it as "does not support atomic
increment"). Here the increment first updates the row in place, which takes the row's write lock on
PostgreSQL and the database's write lock on SQLite, so concurrent increments queue and none is lost.
``add`` (how django-ratelimit opens a window's counter) is one ``INSERT … ON CONFLICT DO NOTHING``
instead of Django's count of the whole table, read and insert; expired rows are culled now and then.
Used when no Redis URL is configured (``settings.CACHES``).
"""

from __future__ import annotations

import base64
import pickle
import random
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.db import DatabaseCache as _DatabaseCache
from django.db import connections, models, router, transaction
from django.utils.timezone import now as tz_now


class DatabaseCache(_DatabaseCache):
    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        if connection.vendor not in ("postgresql", "sqlite"):
            return super().add(key, value, timeout, version)
        key = self.make_and_validate_key(key, version=version)
        timeout = self.get_backend_timeout(timeout)
        exp = datetime.max if timeout is None else datetime.fromtimestamp(timeout, tz=UTC if settings.USE_TZ else None)
        exp = connection.ops.adapt_datetimefield_value(exp.replace(microsecond=0))
        now = connection.ops.adapt_datetimefield_value(tz_now().replace(microsecond=0))
        encoded = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
        qn = connection.ops.quote_name
        table, k, v, e = qn(self._table), qn("cache_key"), qn("value"), qn("expires")
        with transaction.atomic(using=db), connection.cursor() as cursor:
            if random.random() < 1 / max(1, self._cull_frequency * 10):
                cursor.execute(f"DELETE FROM {table} WHERE {e} < %s", [now])  # cull every expired row
            else:
                cursor.execute(f"DELETE FROM {table} WHERE {k} = %s AND {e} < %s", [key, now])
            cursor.execute(
                f"INSERT INTO {table} ({k}, {v}, {e}) VALUES (%s, %s, %s) ON CONFLICT ({k}) DO NOTHING",
                [key, encoded, exp],
            )
            return cursor.rowcount == 1

    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        qn = connection.ops.quote_name
        table, k, v, e = qn(self._table), qn("cache_key"), qn("value"), qn("expires")
        with transaction.atomic(using=db), connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET {e} = {e} WHERE {k} = %s", [key])  # lock first
            if cursor.rowcount == 0:
                raise ValueError(f"Key '{key}' not found")
            cursor.execute(f"SELECT {v}, {e} FROM {table} WHERE {k} = %s", [key])
            raw, expires = cursor.fetchone()
            expression = models.Expression(output_field=models.DateTimeField())
            for converter in connection.ops.get_db_converters(expression) + expression.get_db_converters(connection):
                expires = converter(expires, expression, connection)
            if expires < tz_now().replace(microsecond=0):
                raise ValueError(f"Key '{key}' not found")
            value = pickle.loads(base64.b64decode(raw.encode())) + delta
            encoded = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
            cursor.execute(f"UPDATE {table} SET {v} = %s WHERE {k} = %s", [encoded, key])
        return value
