"""Category suggestion and duplicate hints.

Suggestion: the text is cut into words by jieba; a TF-IDF + logistic
regression model (scikit-learn) is trained on the categorised requests in the
database (most recent first, capped), plus each category's keywords so that a
fresh database still gets suggestions. The model is cached per process and
retrained when the training data has grown noticeably or the categories have changed in any process
(the shared ``categories`` generation, ``core/generations.py``). The confidence is the
model's probability for its best class; below
``services.intake.SUGGESTION_THRESHOLD`` the suggestion is only shown, never used to
route.

Duplicate hints: open requests of the same category within the category's
radius, ranked by a score mixing distance and text similarity (cosine of the
same TF-IDF vectors).
"""

from __future__ import annotations

import functools
import logging
import math
import threading
import time
import warnings
from collections import Counter

import jieba
import numpy as np

from gongzhi.core import generations
from gongzhi.org.models import MatterCategory

jieba.setLogLevel(logging.WARNING)

MAX_TRAINING = 20000
RETRAIN_GROWTH = 0.2  # retrain when the labelled set has grown by this share
CHECK_EVERY_S = 60
# Radius (metres) within which open requests of the same category are possible duplicates, by major class.
DUPLICATE_RADIUS_M = {
    "01": 150,
    "02": 100,
    "03": 300,
    "04": 100,
    "05": 50,
    "06": 30,
    "07": 100,
    "08": 80,
    "09": 300,
    "10": 200,
}
DEFAULT_RADIUS_M = 150

_lock = threading.Lock()
_model = None  # (pipeline, labelled_count, checked_at, categories generation)


@functools.lru_cache(maxsize=20000)
def _cut(text: str) -> tuple[str, ...]:
    return tuple(w for w in jieba.lcut(text) if w.strip() and not _punct(w))


def tokens(text: str) -> list[str]:
    return list(_cut(text or ""))


def _punct(w: str) -> bool:
    return all(not ch.isalnum() for ch in w)


def _training_data():
    from gongzhi.core.redaction import ANONYMISED

    from .models import ServiceRequest

    texts, labels = [], []
    for code, kw, name in MatterCategory.objects.filter(code__regex=r"^\d{5}$").values_list("code", "keywords", "name"):
        texts.append(f"{name} {kw}")
        labels.append(code)
    rows = list(
        ServiceRequest.objects.filter(category__isnull=False, category__code__regex=r"^\d{5}$")
        .exclude(description=ANONYMISED)  # text removed by the retention purge teaches nothing
        .order_by("-id")
        .values_list("description", "category__code")[:MAX_TRAINING]
    )
    for d, c in rows:
        texts.append(d)
        labels.append(c)
    return texts, labels, len(rows)


def _labelled_count() -> int:
    from .models import ServiceRequest

    return ServiceRequest.objects.filter(category__isnull=False).count()


def train():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    texts, labels, n = _training_data()
    if len(set(labels)) < 2:
        return None
    # Identical (text, category) pairs become one weighted sample: much faster on repetitive data.
    counts = Counter(zip(texts, labels))
    texts = [t for t, _ in counts]
    labels = [c for _, c in counts]
    weights = np.array(list(counts.values()), dtype=float)
    pipe = make_pipeline(
        TfidfVectorizer(tokenizer=tokens, token_pattern=None, lowercase=False, sublinear_tf=True),
        LogisticRegression(max_iter=500, C=20.0),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # few samples per class on a fresh database
        pipe.fit(texts, labels, logisticregression__sample_weight=weights)
    return pipe, n


def model(force: bool = False):
    global _model
    with _lock:
        t = time.monotonic()
        if _model is not None and not force and t - _model[2] < CHECK_EVERY_S:
            return _model[0]
        # A category added, renamed or given new keywords in any process moves the shared generation.
        gen = generations.current("categories")
        count = _labelled_count()
        grown = _model is not None and count > _model[1] * (1 + RETRAIN_GROWTH) + 20
        if _model is not None and not force and not grown and gen == _model[3]:
            _model = (_model[0], _model[1], t, _model[3])
            return _model[0]
        trained = train()
        if trained is None:
            _model = None
            return None
        _model = (trained[0], count, t, gen)
        return trained[0]


def invalidate() -> None:
    global _model
    with _lock:
        _model = None


_warming: threading.Thread | None = None
# Train in a background thread when a page or an intake needs a model (off in the test suite).
BACKGROUND = True


def warm() -> threading.Thread | None:
    """Train (importing scikit-learn and jieba's dictionary, seconds on a cold process) in the background."""
    global _warming
    if not BACKGROUND:
        return None
    with _lock:
        if _warming is None or not _warming.is_alive():
            _warming = threading.Thread(target=_warm_run, name="cases-classifier", daemon=True)
            _warming.start()
        return _warming


def _warm_run():
    from django.db import connection

    try:
        model()
    except Exception:  # a failed warm-up leaves suggestions off until the next try
        logging.getLogger("gongzhi.cases").exception("classifier training failed")
    finally:
        connection.close()


def suggest(text: str, k: int = 1, timeout: float | None = None):
    """``(category, confidence)`` for the best guess (or the ``k`` best as a list), or None.
    With ``timeout``, wait at most that long for a model still being trained (then None)."""
    if timeout is not None and _model is None and BACKGROUND:
        warm().join(timeout)
        if _model is None:
            return None
    pipe = model()
    if pipe is None or not (text or "").strip():
        return None
    proba = pipe.predict_proba([text])[0]
    order = np.argsort(proba)[::-1][: max(k, 1)]
    codes = [pipe.classes_[i] for i in order]
    cats = MatterCategory.objects.in_bulk(codes, field_name="code")
    out = [(cats[c], float(proba[i])) for c, i in zip(codes, order) if c in cats]
    if not out:
        return None
    return out[0] if k == 1 else out


def distance_m(lon1, lat1, lon2, lat2) -> float:
    r = 6_371_008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def radius_for(category: MatterCategory) -> float:
    return DUPLICATE_RADIUS_M.get(category.code[:2], DEFAULT_RADIUS_M)


def similarity(a: str, b: str) -> float:
    ta, tb = set(tokens(a)), set(tokens(b))
    if not ta or not tb:
        return 0.0
    return len(ta & tb) / math.sqrt(len(ta) * len(tb))


def duplicates(
    *,
    category: MatterCategory,
    lon: float,
    lat: float,
    within,
    text: str = "",
    exclude_id: int | None = None,
    limit: int = 5,
    mask=None,
) -> list[dict]:
    """Open requests of the same category within the category's radius, best first, among ``within``
    (the requests the asking user may see: a scope is required, never all requests); ``mask``, when
    given, is applied to each description shown (those the user may not see the reporter's details of)."""
    from .models import OPEN_STATES

    radius = radius_for(category)
    dlat = radius / 111_320
    dlon = radius / (111_320 * max(math.cos(math.radians(lat)), 0.01))
    qs = within.filter(
        category=category,
        state__in=OPEN_STATES,
        merged_into__isnull=True,
        lon__range=(lon - dlon, lon + dlon),
        lat__range=(lat - dlat, lat + dlat),
    )
    if exclude_id:
        qs = qs.exclude(pk=exclude_id)
    out = []
    for r in qs[:200]:
        d = distance_m(lon, lat, r.lon, r.lat)
        if d > radius:
            continue
        sim = similarity(text, r.description) if text else 0.0
        score = 0.5 * (1 - d / radius) + 0.5 * sim
        out.append(
            {
                "number": r.number,
                "distance_m": round(d, 1),
                "similarity": round(sim, 3),
                "score": round(score, 3),
                "state": r.state,
                "description": (mask(r) if mask else r.description)[:80],
                "created_at": r.created_at,
            }
        )
    out.sort(key=lambda x: (-x["score"], x["distance_m"]))
    return out[:limit]
