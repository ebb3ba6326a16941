"""Idempotency keys for POSTs: a retry with the same key gets the first answer and changes nothing."""

from __future__ import annotations

import functools
import json

from django.db import IntegrityError, transaction
from django.http import JsonResponse

from gongzhi.core.models import IdempotencyKey

HEADER = "HTTP_IDEMPOTENCY_KEY"


def idempotent(view):
    """Wrap a Ninja operation returning ``(status, body)``: the first answer for
    (user, path, key) is stored in the same transaction as the change it made."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        key = request.META.get(HEADER, "").strip()
        if not key:
            return view(request, *args, **kwargs)
        if len(key) > 120:
            return 400, {"detail": "Idempotency-Key 过长（最多120个字符）", "code": "invalid", "field": "Idempotency-Key"}
        scope = f"{request.user.pk}:{request.path}"
        prior = IdempotencyKey.objects.filter(scope=scope, key=key).first()
        if prior is not None:
            return JsonResponse(prior.response, status=prior.status, headers={"Idempotent-Replayed": "true"})
        try:
            with transaction.atomic():
                status, body = view(request, *args, **kwargs)
                payload = json.loads(json.dumps(body, default=str))
                if 200 <= status < 300:
                    IdempotencyKey.objects.create(scope=scope, key=key, status=status, response=payload)
        except IntegrityError:
            prior = IdempotencyKey.objects.get(scope=scope, key=key)
            return JsonResponse(prior.response, status=prior.status, headers={"Idempotent-Replayed": "true"})
        return status, body

    return wrapper
