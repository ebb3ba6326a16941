"""Idempotency keys for POSTs: a retry with the same key gets the first answer and changes nothing.

A key belongs to its author: the stored scope is the authenticated user (an API client's token
resolves to its user) or, for a browser without a user, its session, plus the path, so another
author sending the same value makes a request of their own and never sees the first answer. The
first answer is stored with a fingerprint of the request (method, query, body); the same key with a
different request is refused with 422 instead of being answered with the first one."""

from __future__ import annotations

import functools
import hashlib
import json

from django.db import IntegrityError, transaction
from django.http import JsonResponse
from django.http.request import RawPostDataException

from gongzhi.core.errors import IdempotencyMismatch
from gongzhi.core.models import IdempotencyKey

HEADER = "HTTP_IDEMPOTENCY_KEY"
MAX_KEY = 120  # IdempotencyKey.key
MAX_SCOPE = 120  # IdempotencyKey.scope

# The stored answer: {STORED_BODY: answer, STORED_FINGERPRINT: sha256}. Rows written before the
# fingerprint existed hold the bare answer and are replayed without the check.
STORED_BODY = "body"
STORED_FINGERPRINT = "request_sha256"


def author(request) -> str | None:
    """Who a key belongs to: ``u<user id>``, ``s<session key>``, or None (nobody to bind it to)."""
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return f"u{user.pk}"
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        return f"s{session.session_key}"
    return None


def scope_of(request) -> str | None:
    who = author(request)
    if who is None:
        return None
    scope = f"{who}:{request.path}"
    if len(scope) > MAX_SCOPE:  # a long path: its digest keeps the scope within the column
        scope = f"{who}:#{hashlib.sha256(request.path.encode()).hexdigest()}"
    return scope


def fingerprint(request) -> str:
    """A digest of what the request asks for: JSON bodies compared by content (key order and spacing
    do not matter), forms by their fields and files' bytes (not their names)."""
    h = hashlib.sha256()
    h.update(request.method.encode())
    h.update(b"\0" + json.dumps(sorted(request.GET.lists()), ensure_ascii=False).encode())
    try:
        raw = request.body
    except RawPostDataException:  # a multipart form, already parsed
        raw = None
    if raw is not None and not request.content_type.startswith("multipart/"):
        try:
            canonical = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            h.update(b"\0j" + canonical.encode())
        except (ValueError, UnicodeDecodeError):
            h.update(b"\0r" + raw)
    else:
        h.update(b"\0f" + json.dumps(sorted(request.POST.lists()), ensure_ascii=False).encode())
        for name, files in sorted(request.FILES.lists()):
            for f in files:
                d = hashlib.sha256()
                for chunk in f.chunks():
                    d.update(chunk)
                f.seek(0)
                h.update(f"\0{name}:{d.hexdigest()}".encode())
    return h.hexdigest()


def _replay(prior: IdempotencyKey, fp: str) -> JsonResponse:
    stored = prior.response
    if isinstance(stored, dict) and set(stored) == {STORED_BODY, STORED_FINGERPRINT}:
        if stored[STORED_FINGERPRINT] != fp:
            raise IdempotencyMismatch(
                "该 Idempotency-Key 已用于另一个不同的请求；新的请求请使用新的键", field="Idempotency-Key"
            )
        stored = stored[STORED_BODY]
    return JsonResponse(stored, status=prior.status, safe=False, headers={"Idempotent-Replayed": "true"})


def idempotent(view):
    """Wrap a Ninja operation returning ``(status, body)``: the first answer for
    (author, path, key) is stored in the same transaction as the change it made."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        key = request.META.get(HEADER, "").strip()
        if not key:
            return view(request, *args, **kwargs)
        if len(key) > MAX_KEY:
            return 400, {
                "detail": f"Idempotency-Key 过长（最多{MAX_KEY}个字符）",
                "code": "invalid",
                "field": "Idempotency-Key",
            }
        scope = scope_of(request)
        if scope is None:  # nobody to bind the key to: no replay rather than a shared one
            return view(request, *args, **kwargs)
        fp = fingerprint(request)
        prior = IdempotencyKey.objects.filter(scope=scope, key=key).first()
        if prior is not None:
            return _replay(prior, fp)
        try:
            with transaction.atomic():
                status, body = view(request, *args, **kwargs)
                payload = json.loads(json.dumps(body, default=str))
                if 200 <= status < 300:
                    IdempotencyKey.objects.create(
                        scope=scope, key=key, status=status, response={STORED_BODY: payload, STORED_FINGERPRINT: fp}
                    )
        except IntegrityError:
            prior = IdempotencyKey.objects.filter(scope=scope, key=key).first()
            if prior is None:
                raise
            return _replay(prior, fp)
        return status, body

    return wrapper
