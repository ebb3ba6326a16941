"""A request body that stops arriving frees its worker.

Under ``gongzhi serve`` the default worker class is gevent: a connection waiting for a slow
client costs a greenlet, not a thread, so a few stalled sockets no longer hold every worker. This
WSGI wrapper also bounds how long one read of the request body may wait
(``GONGZHI_BODY_READ_TIMEOUT`` seconds, default 20): past it the read fails, Django answers 400,
and the connection is closed. In production nginx in front buffers whole requests (docs/deploy.md).
"""

from __future__ import annotations

import os


class BodyReadTimeout:
    def __init__(self, app, seconds: float | None = None):
        self.app = app
        self.seconds = float(os.environ.get("GONGZHI_BODY_READ_TIMEOUT", "20")) if seconds is None else seconds

    def __call__(self, environ, start_response):
        sock = environ.get("gunicorn.socket")
        if sock is not None and self.seconds > 0:
            try:
                sock.settimeout(self.seconds)
            except OSError:  # the client is already gone
                pass
        return self.app(environ, start_response)
