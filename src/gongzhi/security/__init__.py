"""Platform security plumbing shared by every app: the shared cache behind rate limits,
rate-limit checks (django-ratelimit), and the log-in lock-out page (django-axes)."""
