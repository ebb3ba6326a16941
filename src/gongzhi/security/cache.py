"""The database cache with an atomic ``incr``.

Django's ``DatabaseCache`` increments by reading the value and writing it back, so two workers
counting the same key at once lose counts (django-ratelimit flags it as "does not support atomic
increment"). Here the increment first updates the row in place, which takes the row's write lock on
PostgreSQL and the database's write lock on SQLite, so concurrent increments queue and none is lost.
Used when no Redis URL is configured (``settings.CACHES``).
"""

from __future__ import annotations

import base64
import pickle

from django.core.cache.backends.db import DatabaseCache as _DatabaseCache
from django.db import connections, models, router, transaction
from django.utils.timezone import now as tz_now


class DatabaseCache(_DatabaseCache):
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
            for converter in connection.ops.get_db_converters(expression) + expression.get_db_converters(
                    connection):
                expires = converter(expires, expression, connection)
            if expires < tz_now().replace(microsecond=0):
                raise ValueError(f"Key '{key}' not found")
            value = pickle.loads(base64.b64decode(raw.encode())) + delta
            encoded = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
            cursor.execute(f"UPDATE {table} SET {v} = %s WHERE {k} = %s", [encoded, key])
        return value
