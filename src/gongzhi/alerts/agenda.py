"""Data-driven agenda setting (大数据技术可以精准识别民生需求以优化议题设置, seed 003): find the matters
that recur in residents' requests, per community and period, so that a cadre can put them on the
agenda as a consultation topic or a plan goal, with the requests as evidence.

Pure: no database. The texts are cut into words by the intake classifier's tokeniser
(:func:`gongzhi.cases.classify.tokens`, jieba), stop words and one-character particles dropped,
weighted by TF-IDF (scikit-learn; the inverse document frequency is fitted over every text of the
scan, so that words common to the whole district weigh little), and clustered per community by
average-linkage agglomerative clustering on cosine distance: two groups merge only while their
mean similarity is at least ``threshold``; the similarity of two requests filed under different
categories counts ``CROSS_CATEGORY`` times (they merge only when their texts nearly agree). A group of at least ``min_size`` requests is a recurring
matter. Its label is its heaviest terms (the centroid's largest weights); its signature, the sorted
top terms, identifies the same matter in a later scan of the same community and period.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

THRESHOLD = 0.2  # least mean cosine similarity within a cluster
MIN_SIZE = 3  # fewest requests that make a recurring matter
TOP_TERMS = 3  # terms in the label and the signature
CROSS_CATEGORY = 0.5  # similarity factor between requests filed under different categories
PRIOR_DOCS = 50
# Major classes of matter categories that residents settle among themselves (物业管理, 邻里纠纷, 农村事务):
# a recurring matter of these is proposed for consultation whatever its requests' state.
CONSULT_CLASSES = frozenset({"04", "05", "10"})  # empty documents added to the IDF fit (see _vectorise)

# Function words and request boilerplate that say nothing about the matter.
STOP = frozenset(
    """的 了 在 是 我 我们 你 你们 他 她 它 他们 有 和 与 及 或 也 都 就 还 又 很 太 非常 一直 已经 没有 没
    不 个 这 那 这个 那个 这里 那里 这边 那边 请 请求 希望 要求 反映 反应 问题 情况 及时 尽快 处理 解决 一下
    能否 能 可以 麻烦 谢谢 相关 部门 现在 目前 经常 总是 每天 天天 多次 多日 几天 好几天 一些 一个 有人 居民
    小区 社区 附近 门口 旁边 这种 进行 造成 导致 影响 严重 给 被 把 让 对 从 到 上 下 中 里 后 前 时 时候 啊
    吧 呢 吗 哦 呀 等 等等 该 此 其 之 为 以 于 而 但 但是 因为 所以 如果 虽然 还是 并 并且 着 过 得 地 会""".split()
)


@dataclass(frozen=True)
class Doc:
    """One request as the clustering sees it."""

    id: int
    text: str
    community_id: int
    place: str = ""  # the grid's name (or the address) for the evidence's places
    category: str | None = None  # the category's code
    closed: bool = False  # handled and closed (resolved, confirmed, closed)


@dataclass
class Cluster:
    community_id: int
    ids: list[int]
    terms: list[str]  # the heaviest terms, heaviest first
    signature: str
    places: list[tuple[str, int]]  # (place, requests), most first
    categories: list[tuple[str, int]]  # (category code, requests), most first
    closed: int
    cohesion: float  # mean pairwise cosine similarity
    weights: list[float] = field(default_factory=list)

    @property
    def label(self) -> str:
        return "、".join(self.terms)

    @property
    def size(self) -> int:
        return len(self.ids)


def tokenise(text: str) -> list[str]:
    """The classifier's jieba tokens of ``text`` without stop words, single characters or numbers,
    and the two-character pieces of longer words (jieba cuts "路灯不亮" and "灯不亮" differently;
    their pieces "不亮" meet)."""
    from gongzhi.cases.classify import tokens

    out = []
    for w in tokens(text):
        if len(w) < 2 or w in STOP or w.isdigit():
            continue
        out.append(w)
        if len(w) > 2:
            out.extend(b for b in (w[i : i + 2] for i in range(len(w) - 1)) if b not in STOP and not b.isdigit())
    return out


def signature(terms: list[str]) -> str:
    """The identity of a matter across scans: a hash of its sorted top terms."""
    return hashlib.sha256("|".join(sorted(terms)).encode()).hexdigest()[:32]


def _vectorise(docs: list[Doc]) -> tuple[Any, list[str]]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(analyzer=tokenise, sublinear_tf=True, norm="l2", min_df=1)
    try:
        # PRIOR_DOCS empty texts: a small scan (a few requests, all on one matter) must not read its
        # shared words as common (idf ≈ 1) and cluster on the odd words instead
        X = vec.fit_transform([d.text for d in docs] + [""] * PRIOR_DOCS)
    except ValueError:  # no term at all
        return None, []
    return X[: len(docs)], list(vec.get_feature_names_out())


def _groups(S: np.ndarray, threshold: float) -> list[list[int]]:
    """Average-linkage agglomerative clustering of the rows of a similarity matrix, cut at ``threshold``."""
    n = S.shape[0]
    if n == 1:
        return [[0]]
    from sklearn.cluster import AgglomerativeClustering

    D = np.clip(1.0 - S, 0.0, 2.0)
    np.fill_diagonal(D, 0.0)
    labels = AgglomerativeClustering(
        n_clusters=None, metric="precomputed", linkage="average", distance_threshold=1.0 - threshold
    ).fit_predict(D)
    out: dict[int, list[int]] = {}
    for i, lab in enumerate(labels):
        out.setdefault(int(lab), []).append(i)
    return list(out.values())


def _top_terms(centroid: np.ndarray, names: list[str]) -> list[int]:
    """The heaviest ``TOP_TERMS`` terms, leaving out a piece of a longer candidate ("垃圾" of "垃圾桶")."""
    ranked = [int(j) for j in np.argsort(-centroid, kind="stable")[: 4 * TOP_TERMS] if centroid[j] > 0]
    words = [names[j] for j in ranked]
    keep = [j for j, w in zip(ranked, words, strict=True) if not any(w != o and w in o for o in words)]
    return keep[:TOP_TERMS]


def clusters(docs: list[Doc], *, threshold: float = THRESHOLD, min_size: int = MIN_SIZE) -> list[Cluster]:
    """The recurring matters among ``docs``, per community, largest first."""
    if not 0 < threshold <= 1:
        raise ValueError("threshold must be in (0, 1]")
    if min_size < 2:
        raise ValueError("min_size must be at least 2")
    docs = [d for d in docs if (d.text or "").strip()]
    if len(docs) < min_size:
        return []
    X, names = _vectorise(docs)
    if X is None:
        return []
    X = X.tocsr()
    by_comm: dict[int, list[int]] = {}
    for i, d in enumerate(docs):
        by_comm.setdefault(d.community_id, []).append(i)
    found: list[Cluster] = []
    for comm, rows in sorted(by_comm.items()):
        rows = [i for i in rows if X[i].nnz > 0]
        if len(rows) < min_size:
            continue
        sub = X[rows]
        S = (sub @ sub.T).toarray()
        cats = [docs[i].category for i in rows]
        if any(cats):
            # texts filed under different categories merge only when they say nearly the same
            same = np.array([[a == b or not a or not b for b in cats] for a in cats])
            S = np.where(same, S, S * CROSS_CATEGORY)
        for group in _groups(S, threshold):
            if len(group) < min_size:
                continue
            centroid = np.asarray(sub[group].mean(axis=0)).ravel()
            top = _top_terms(centroid, names)
            terms = [names[j] for j in top]
            members = [docs[rows[i]] for i in group]
            pairs = S[np.ix_(group, group)]
            k = len(group)
            cohesion = float((pairs.sum() - np.trace(pairs)) / (k * (k - 1)))
            found.append(
                Cluster(
                    community_id=comm,
                    ids=sorted(m.id for m in members),
                    terms=terms,
                    signature=signature(terms),
                    places=Counter(m.place for m in members if m.place).most_common(),
                    categories=Counter(m.category for m in members if m.category).most_common(),
                    closed=sum(1 for m in members if m.closed),
                    cohesion=round(cohesion, 3),
                    weights=[round(float(centroid[j]), 4) for j in top],
                )
            )
    found.sort(key=lambda c: (-c.size, c.community_id, c.signature))
    return found


def kind_of(cluster: Cluster) -> tuple[str, str, dict]:
    """What to propose for a matter, with the reason as a code and its parameters.

    * A matter filed mostly under a category of a class residents settle among themselves (property
      management, neighbours, village affairs: ``CONSULT_CLASSES``) is a *consultation topic*.
    * Else a matter that keeps coming back although its requests were handled and closed one by one
      (at least a third of them closed) is not fixed case by case: a *plan goal* (a root-cause fix
      decomposed into tasks).
    * Else (still open across several requests) a shared public matter: a *consultation topic*."""
    top = cluster.categories[0][0] if cluster.categories else None
    if top and str(top)[:2] in CONSULT_CLASSES and cluster.categories[0][1] * 2 > cluster.size:
        return "topic", "residents_decide", {"category": str(top), "total": cluster.size}
    if cluster.closed * 3 >= cluster.size:
        return "goal", "recurs_after_closing", {"closed": cluster.closed, "total": cluster.size}
    return "topic", "shared_open_matter", {"open": cluster.size - cluster.closed, "total": cluster.size}
