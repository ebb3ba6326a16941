"""Consensus math for cloud consultation (云协商): a pol.is-equivalent pipeline on sparse data.

Every step and formula is written out in ``docs/consultation.md``. In short:

1. vote matrix ``V`` (participants × statements; agree +1, disagree −1, pass 0, the last vote counts),
   stored sparse with passes as explicit entries;
2. participants *in the analysis*: at least ``min(7, statements)`` votes;
3. mean imputation and centring in one step *without a dense matrix*: a missing entry imputed with the
   column mean μ_j is 0 once centred, so the centred imputed matrix is the sparse matrix with the same
   pattern as ``V`` and values ``v_ij − μ_j``;
4. PCA to 2 components (truncated SVD of that sparse matrix, ARPACK, start vector from the seed);
5. sparsity-aware projection: ``x_i = (V_i − μ) · W × sqrt(n_statements / n_votes_i)``;
6. base clusters (k-means, k = min(100, distinct points)), then groups: weighted k-means on the base
   centres for k = 2 … min(5, 2 + ⌊bases / 12⌋), the k with the best silhouette (over base centres)
   wins; k-means keeps the best of several deterministic starts, or warm-starts from ``previous``;
7. per group and statement counts A (agree), D (disagree), S (seen); representative statements with the
   two one-sided z-tests at 1.2816 (90 %); majority consensus; group-informed consensus
   ``Π_g (A_g + 1) / (S_g + 2)`` — the 最大公约数 list.

Everything is deterministic for a given ``seed``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.linalg import eigh
from scipy.sparse.linalg import svds
from scipy.spatial import cKDTree
from scipy.spatial.distance import cdist
from sklearn import config_context as sklearn_config
from sklearn.cluster import kmeans_plusplus
from sklearn.metrics import silhouette_score
from threadpoolctl import threadpool_limits

from .polis_io import latest_votes

__all__ = [
    "Z_90",
    "VoteMatrix",
    "StatementStat",
    "Analysis",
    "build_vote_matrix",
    "analyse",
    "prop_test",
    "two_prop_test",
    "group_informed_consensus",
    "statement_extremity",
    "next_statement_priority",
    "ClusterState",
]

Z_90 = 1.2816  # one-sided 90 % critical value of the standard normal, as pol.is uses
MIN_VOTES = 7
BASE_K = 100
MAX_GROUPS = 5
BASE_ITERS = 100
GROUP_ITERS = 20
K_BUFFER = 4  # pol.is group-k-buffer
PLUS_PLUS_STARTS = 10
FIRST_POINTS_LIMIT = 2000  # the first-points start is tried up to this many points
GREEDY_N = 15
PCA_GRAM_MAX = 600  # up to this many statements the axes come from the Gram matrix (LAPACK)
GRAM_RANK_TOL = 1e-11  # an eigenvalue below this share of the largest is taken as zero
SILHOUETTE_DIRECT = 2000  # up to this many points the silhouette is computed here
BURST_GAP_MS = 1000  # one update per burst of votes: pol.is polls for new votes every second
MIN_PARTICIPANTS = 4  # fewer participants in the analysis than this: no groups are formed


@dataclass
class VoteMatrix:
    """Sparse participants × statements matrix; ``data`` holds +1/−1/0 with passes stored explicitly."""

    participants: np.ndarray  # sorted participant ids (rows)
    statements: np.ndarray  # sorted statement ids (columns)
    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray  # float64 votes, aligned with indices
    # (VᵀV, VᵀO, OᵀO) over these columns when already known (a replay keeps them up to date)
    cooccurrence: tuple[np.ndarray, np.ndarray, np.ndarray] | None = field(default=None, repr=False)

    @property
    def shape(self) -> tuple[int, int]:
        return (self.participants.shape[0], self.statements.shape[0])

    @property
    def nnz(self) -> int:
        return int(self.indices.shape[0])

    def row_of_entries(self) -> np.ndarray:
        return np.repeat(np.arange(self.shape[0]), np.diff(self.indptr))

    def csr(self, data: np.ndarray | None = None) -> sp.csr_array:
        """CSR view; the constructor used keeps explicit zeros (passes)."""
        return sp.csr_array((self.data if data is None else data, self.indices, self.indptr), shape=self.shape)


def _dense_ids(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct ids and each entry's index among them (``np.unique(..., return_inverse=True)``),
    by a presence table when the ids are small non-negative integers, which is linear time."""
    if ids.size and ids.min() >= 0 and ids.max() <= 4 * ids.size + 1_000_000:
        present = np.zeros(int(ids.max()) + 1, dtype=bool)
        present[ids] = True
        index = np.cumsum(present) - 1
        return np.flatnonzero(present), index[ids]
    return np.unique(ids, return_inverse=True)


def _check_votes(value) -> None:
    if np.size(value) and (np.abs(np.asarray(value, dtype=np.int64)) > 1).any():
        raise ValueError("votes must be -1 (disagree), 0 (pass) or 1 (agree)")


def build_vote_matrix(participant, statement, value, timestamp=None) -> VoteMatrix:
    """Build the sparse vote matrix; repeated (participant, statement) pairs keep the latest vote."""
    p, s, v, _ = latest_votes(participant, statement, value, timestamp)
    _check_votes(v)
    # latest_votes sorted the entries by participant: row numbers follow from the changes of id.
    starts = np.r_[True, p[1:] != p[:-1]] if p.size else np.zeros(0, dtype=bool)
    participants = p[starts]
    rows = np.cumsum(starts) - 1
    statements, cols = _dense_ids(s)
    # latest_votes returns entries sorted by participant then statement: already CSR order.
    counts = np.bincount(rows, minlength=participants.shape[0])
    indptr = np.zeros(participants.shape[0] + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    return VoteMatrix(
        participants=participants,
        statements=statements,
        indptr=indptr,
        indices=cols.astype(np.int32 if statements.shape[0] < 2**31 else np.int64),
        data=v.astype(np.float64),
    )


# --- statistics -----------------------------------------------------------------------------


def prop_test(successes, n):
    """One-proportion z-score against 1/2 with pol.is pseudo-counts: 2·√(n+1)·((x+1)/(n+1) − ½)."""
    successes = np.asarray(successes, dtype=np.float64) + 1.0
    n = np.asarray(n, dtype=np.float64) + 1.0
    return 2.0 * np.sqrt(n) * (successes / n - 0.5)


def two_prop_test(succ_in, n_in, succ_out, n_out):
    """Two-proportion z-score (in-group vs rest), pseudo-counts (x+1)/(n+1) on both sides."""
    s1 = np.asarray(succ_in, dtype=np.float64) + 1.0
    n1 = np.asarray(n_in, dtype=np.float64) + 1.0
    s2 = np.asarray(succ_out, dtype=np.float64) + 1.0
    n2 = np.asarray(n_out, dtype=np.float64) + 1.0
    p1, p2 = s1 / n1, s2 / n2
    p_hat = (s1 + s2) / (n1 + n2)
    denom = np.sqrt(p_hat * (1.0 - p_hat) * (1.0 / n1 + 1.0 / n2))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (p1 - p2) / denom
    return np.where(denom > 0, z, 0.0)


def group_informed_consensus(counts_x: np.ndarray, counts_seen: np.ndarray) -> np.ndarray:
    """Π over groups of (X_g + 1) / (S_g + 2), per statement (arrays are groups × statements)."""
    return np.prod((counts_x + 1.0) / (counts_seen + 2.0), axis=0)


@dataclass
class StatementStat:
    statement: int
    direction: str  # "agree" or "disagree"
    n_success: int
    n_seen: int
    p_success: float
    p_test: float
    repness: float | None = None
    repness_test: float | None = None
    significant: bool = True
    score: float = 0.0

    def as_dict(self) -> dict:
        return {k: (round(v, 6) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


@dataclass
class ClusterState:
    """What one analysis hands to the next, as pol.is carries it between updates."""

    statements: np.ndarray  # statement ids the components refer to
    components: np.ndarray  # (2, statements)
    in_analysis: np.ndarray  # participant ids that have entered the analysis (they stay in)
    base_clusters: list[tuple[int, np.ndarray]]  # (base id, participant ids)
    group_clusterings: dict[int, list[tuple[int, np.ndarray]]]  # k -> [(group id, base ids)]
    last_k: int | None = None
    last_k_count: int = 0
    smoothed_k: int | None = None

    def to_json(self) -> dict:
        """Plain JSON (lists and numbers) that :meth:`from_json` turns back into an equal state."""
        return {
            "statements": self.statements.tolist(),
            "components": self.components.tolist(),
            "in_analysis": self.in_analysis.tolist(),
            "base_clusters": [[int(c), m.tolist()] for c, m in self.base_clusters],
            "group_clusterings": {
                str(k): [[int(g), m.tolist()] for g, m in groups] for k, groups in self.group_clusterings.items()
            },
            "last_k": self.last_k,
            "last_k_count": self.last_k_count,
            "smoothed_k": self.smoothed_k,
        }

    @classmethod
    def from_json(cls, data: dict) -> ClusterState:
        def ids(values):
            return np.asarray(values, dtype=np.int64)

        return cls(
            statements=ids(data["statements"]),
            components=np.asarray(data["components"], dtype=np.float64).reshape(2, -1),
            in_analysis=ids(data["in_analysis"]),
            base_clusters=[(int(c), ids(m)) for c, m in data["base_clusters"]],
            group_clusterings={
                int(k): [(int(g), ids(m)) for g, m in groups] for k, groups in data["group_clusterings"].items()
            },
            last_k=data["last_k"],
            last_k_count=int(data["last_k_count"]),
            smoothed_k=data["smoothed_k"],
        )


@dataclass
class Analysis:
    participants: np.ndarray  # participant ids (rows of the vote matrix)
    statements: np.ndarray  # statement ids (columns)
    in_analysis: np.ndarray  # bool per participant
    projection: np.ndarray  # (participants, 2); NaN when the PCA could not run
    components: np.ndarray  # (2, statements)
    center: np.ndarray  # column means μ
    labels: np.ndarray  # group per participant, −1 when not grouped
    n_groups: int
    silhouettes: dict[int, float]
    too_small: str | None  # why no groups were formed, else None
    base_labels: np.ndarray  # base cluster per participant, −1 outside the analysis
    base_centers: np.ndarray
    counts: dict[str, np.ndarray] = field(default_factory=dict)  # "A", "D", "S": groups × statements
    group_consensus_agree: np.ndarray | None = None
    group_consensus_disagree: np.ndarray | None = None
    consensus: dict[str, list[StatementStat]] = field(default_factory=dict)
    representative: dict[int, list[StatementStat]] = field(default_factory=dict)
    divisive: list[tuple[int, float]] = field(default_factory=list)
    moderated_out: tuple[int, ...] = ()
    state: ClusterState | None = None

    def group_of(self) -> dict[int, int | None]:
        return {int(pid): (int(g) if g >= 0 else None) for pid, g in zip(self.participants, self.labels)}

    def group_sizes(self) -> list[int]:
        return [int((self.labels == g).sum()) for g in range(self.n_groups)]

    def most_common_ground(self, limit: int = 10, direction: str = "agree") -> list[tuple[int, float]]:
        """The 最大公约数 list: statements by group-informed consensus, highest first."""
        values = self.group_consensus_agree if direction == "agree" else self.group_consensus_disagree
        if values is None:
            return []
        allowed = ~np.isin(self.statements, np.asarray(self.moderated_out, dtype=np.int64))
        order = np.lexsort((self.statements, -values))
        out = [(int(self.statements[j]), float(values[j])) for j in order if allowed[j]]
        return out[:limit]


# --- pipeline steps -------------------------------------------------------------------------


def _members(ids: np.ndarray, labels: np.ndarray, k: int) -> list[np.ndarray]:
    """``[ids[labels == i] for i in range(k)]`` in one sort."""
    order = np.argsort(labels, kind="stable")
    return np.split(ids[order], np.cumsum(np.bincount(labels, minlength=k))[:-1])


def _cooccurrence(vm: VoteMatrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``VᵀV``, ``VᵀO`` and ``OᵀO`` (m × m; ``O`` is 1 where a vote was cast, passes included).

    Integer-valued, so exact in floating point however they are summed: a replay that updates
    them vote by vote holds the same numbers as this computation from scratch.
    """
    if vm.cooccurrence is not None:
        return vm.cooccurrence
    v = vm.csr()
    o = vm.csr(np.ones_like(vm.data))
    vt = v.T.tocsr()
    return (vt @ v).toarray(), (vt @ o).toarray(), (o.T.tocsr() @ o).toarray()


def _centred_gram(cooccurrence, center: np.ndarray, col_out: np.ndarray) -> np.ndarray:
    """``XᵀX`` of the centred matrix (X_ij = v_ij − μ_j where a vote was cast, else 0) from the
    co-occurrences: ``G_jk = A_jk − μ_k C_jk − μ_j C_kj + μ_j μ_k N_jk``; moderated-out columns 0."""
    a, c, nn = cooccurrence
    cmu = c * center[None, :]
    gram = a - cmu - cmu.T + nn * np.outer(center, center)
    gram[col_out, :] = 0.0
    gram[:, col_out] = 0.0
    return gram


def _pca(xc: sp.csr_array, seed: int, gram=None) -> np.ndarray:
    """Top two principal axes (2 × statements) of the centred sparse matrix.

    ``gram()`` gives its ``XᵀX``, used when there are at most ``PCA_GRAM_MAX`` statements."""
    n, m = xc.shape
    comps = np.zeros((2, m))
    if xc.nnz == 0 or not np.any(xc.data):
        return comps  # everyone voted alike: no direction of difference
    if min(n, m) <= 3:
        # Tiny matrix: ARPACK needs k < min(shape); a dense SVD of at most 3 rows/columns is trivial.
        _, sing, vt = np.linalg.svd(xc.toarray(), full_matrices=False)
        r = min(2, vt.shape[0])
        comps[:r] = vt[:r] * (sing[:r, None] > 1e-12)
    elif m <= PCA_GRAM_MAX:
        # Few statements: the axes are the top eigenvectors of the m × m Gram matrix XᵀX, formed
        # from the sparse X (never an n × m dense one), and solved directly (LAPACK): no start
        # vector, so the same votes give the same axes bit for bit whatever ran before (ARPACK
        # keeps a hidden random state for its restarts).
        g = gram() if gram is not None else (xc.T @ xc).toarray()
        eigval, eigvec = eigh(g, subset_by_index=[m - 2, m - 1], driver="evx")
        order = np.argsort(-eigval)
        eigval, comps = eigval[order], eigvec[:, order].T
        # Eigenvalues are exact to about eps·λ₁: below that an axis is rounding noise, not opinion.
        comps = comps * (eigval[:, None] > GRAM_RANK_TOL * max(float(eigval[0]), 1.0))
    else:
        rng = np.random.default_rng(seed)
        v0 = rng.standard_normal(min(n, m))
        _, sing, vt = svds(xc, k=2, v0=v0, solver="arpack", maxiter=10000, tol=1e-10)
        order = np.argsort(-sing)
        comps = vt[order] * (sing[order, None] > 1e-12)
    # Fix the sign: the largest-magnitude loading of each axis is positive.
    for r in range(2):
        if comps[r].any():
            j = int(np.argmax(np.abs(comps[r])))
            if comps[r, j] < 0:
                comps[r] = -comps[r]
    return comps


def _first_distinct_rows(points: np.ndarray, k: int | None = None) -> np.ndarray:
    """Row numbers of the first k distinct rows of ``points`` (2 columns), in order of appearance."""
    flat = np.ascontiguousarray(points, dtype=np.float64).view(np.complex128).ravel()
    _, first = np.unique(flat, return_index=True)
    return np.sort(first)[:k]


def _weighted_means(points, labels, weights, k):
    wsum = np.bincount(labels, weights=weights, minlength=k)
    cx = np.bincount(labels, weights=weights * points[:, 0], minlength=k)
    cy = np.bincount(labels, weights=weights * points[:, 1], minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.column_stack([cx / wsum, cy / wsum]), wsum


def _assign(points, centers):
    """Index of the nearest centre for every point (a k-d tree over the centres)."""
    return cKDTree(centers).query(points)[1]


def _lloyd(points, weights, ids, centers, max_iter, threshold=0.01):
    """Weighted Lloyd iterations as pol.is runs them.

    Clusters left without members are dropped (their ids with them); iteration stops after
    ``max_iter`` steps or once no centre moved by ``threshold`` or more. Returns (ids, centers, labels).
    """
    ids = np.asarray(ids)
    for _ in range(max_iter + 1):
        labels = _assign(points, centers)
        new_centers, wsum = _weighted_means(points, labels, weights, centers.shape[0])
        keep = wsum > 0
        if keep.all() and np.sqrt(((new_centers - centers) ** 2).sum(axis=1)).max() < threshold:
            centers = new_centers
            break
        ids, centers = ids[keep], new_centers[keep]
    labels = _assign(points, centers)
    return ids, centers, labels


def _clean_start(points, weights, point_ids, previous, k):
    """Start centres for a warm k-means from the previous clustering (pol.is ``clean-start-clusters``).

    ``previous`` is a list of (cluster id, member ids). Each previous cluster is re-centred on the
    positions its members have now; clusters with identical centres merge (the merged cluster keeps
    the id of the larger part, ties: the earlier one); while there are fewer clusters than
    min(k, distinct points), the point farthest from every centre becomes a new cluster.
    """
    n = points.shape[0]
    # Which previous cluster each current point belonged to (-1: none, e.g. a new participant).
    owner = np.full(n, -1, dtype=np.int64)
    sizes = [np.size(members) for _, members in previous]
    if n and sum(sizes):
        members = np.concatenate([np.asarray(m, dtype=np.int64).ravel() for _, m in previous])
        cluster_of = np.repeat(np.arange(len(previous)), sizes)
        sorter = np.argsort(point_ids, kind="stable")
        sorted_ids = np.asarray(point_ids)[sorter]
        pos = np.minimum(np.searchsorted(sorted_ids, members), n - 1)
        hit = sorted_ids[pos] == members
        owner[sorter[pos[hit]]] = cluster_of[hit]
    held = owner >= 0
    if not held.any():
        rows = _first_distinct_rows(points, k)
        return np.arange(rows.shape[0]), points[rows].copy()
    centres, _ = _weighted_means(points[held], owner[held], weights[held], len(previous))
    count = np.bincount(owner[held], minlength=len(previous))
    prev_ids = [int(cid) for cid, _ in previous]

    # Merge clusters whose centres coincide, in the order of ``previous``.
    merged_ids: list[int] = []
    merged_size: list[int] = []
    merged_centres: list[np.ndarray] = []
    into = np.full(len(previous), -1, dtype=np.int64)  # previous cluster -> merged cluster
    by_centre: dict[tuple[float, float], int] = {}
    for i in np.flatnonzero(count):
        key = (float(centres[i, 0]), float(centres[i, 1]))
        j = by_centre.get(key)
        if j is None:
            by_centre[key] = j = len(merged_ids)
            merged_ids.append(prev_ids[i])
            merged_size.append(int(count[i]))
            merged_centres.append(centres[i])
        else:
            if count[i] > merged_size[j]:
                merged_ids[j] = prev_ids[i]
            merged_size[j] += int(count[i])
        into[i] = j
    label = np.where(held, into[owner], -1)
    next_id = max(prev_ids[i] for i in np.flatnonzero(count)) + 1  # new clusters: ids after every old one

    possible = min(k, _first_distinct_rows(points).shape[0])
    while len(merged_ids) < possible:
        # Exact squared distances (differences, not the expanded form): a point on a centre is 0.
        dmin = ((points[:, None, :] - np.array(merged_centres)[None, :, :]) ** 2).sum(axis=2).min(axis=1)
        far = int(np.argmax(dmin))
        if dmin[far] <= 0:
            break
        j = int(label[far])
        if j >= 0:
            label[far] = -1
            rows = label == j
            if not rows.any():  # far was all its cluster held yet off its centre: no progress to make
                label[far] = j
                break
            merged_centres[j] = np.average(points[rows], axis=0, weights=weights[rows])
        merged_ids.append(next_id)
        next_id += 1
        merged_centres.append(points[far].copy())
        label[far] = len(merged_ids) - 1
    ids = np.array(merged_ids)
    order = np.argsort(ids, kind="stable")
    return ids[order], np.array(merged_centres)[order]


def _distal_start(points, weights, k):
    """Farthest-point start: the weighted mean, then repeatedly the point farthest from every centre
    chosen so far (the way pol.is grows clusters in ``clean-start-clusters``)."""
    centers = [np.average(points, axis=0, weights=weights)]
    dmin = ((points - centers[0]) ** 2).sum(axis=1)
    limit = k
    while len(centers) < limit:
        far = int(np.argmax(dmin))
        if dmin[far] <= 0:
            break
        centers.append(points[far].copy())
        np.minimum(dmin, ((points - points[far]) ** 2).sum(axis=1), out=dmin)
    return np.array(centers)


def _inertia(points, weights, centers, labels) -> float:
    return float((weights * ((points - centers[labels]) ** 2).sum(axis=1)).sum())


def _kmeans(points, k, max_iter, *, seed=0, weights=None, point_ids=None, previous=None, plus_plus=True):
    """k-means → (cluster ids, centres, labels).

    With a previous clustering it is warm-started from it (pol.is). Otherwise it is run from
    several starts — the farthest-point start, the first distinct points (pol.is's fresh start; up to
    ``FIRST_POINTS_LIMIT`` points) and (``plus_plus``) ten k-means++ starts drawn from ``seed``
    (scikit-learn) — and the run with the lowest weighted within-cluster sum of squares is kept
    (ties: the earlier start in that list).
    """
    weights = np.ones(points.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)
    if point_ids is None:
        point_ids = np.arange(points.shape[0])
    if previous:
        ids, centers = _clean_start(points, weights, point_ids, previous, k)
        return _lloyd(points, weights, ids, centers, max_iter)
    first = _first_distinct_rows(points)
    k = min(k, first.shape[0])
    starts = [_distal_start(points, weights, k)]
    if points.shape[0] <= FIRST_POINTS_LIMIT:
        starts.insert(0, points[first[:k]].copy())
    runs = []
    for centers in starts:
        ids, c, labels = _lloyd(points, weights, np.arange(centers.shape[0]), centers, max_iter)
        runs.append((_inertia(points, weights, c, labels), ids, c, labels))
    if not plus_plus:
        _, ids, c, labels = min(runs, key=lambda r: r[0])
        return np.arange(ids.shape[0]), c, labels
    rng = np.random.RandomState(seed)
    points = np.ascontiguousarray(points, dtype=np.float64)
    for _ in range(PLUS_PLUS_STARTS):
        # The inputs are checked already; skipping scikit-learn's validation saves most of the call.
        with sklearn_config(skip_parameter_validation=True, assume_finite=True):
            centers, _ = kmeans_plusplus(points, k, sample_weight=weights, random_state=rng)
        ids, c, labels = _lloyd(points, weights, np.arange(k), centers, max_iter)
        runs.append((_inertia(points, weights, c, labels), ids, c, labels))
    best = min(runs, key=lambda r: r[0])  # ties: the earlier start
    _, ids, c, labels = best
    return np.arange(ids.shape[0]), c, labels


def _silhouette(points, labels) -> float:
    """Mean silhouette coefficient (scikit-learn's ``silhouette_score``; -1 when undefined).

    Up to ``SILHOUETTE_DIRECT`` points (the base centres always are) it is computed here from the
    full distance matrix: scikit-learn's input checks cost more than the sum itself, and the math
    runs thousands of times when a conversation is replayed. Same definition, tested against it.
    """
    codes, lab = np.unique(labels, return_inverse=True)
    n, k = points.shape[0], codes.shape[0]
    if k < 2 or k >= n:
        return -1.0
    if n > SILHOUETTE_DIRECT:
        return float(silhouette_score(points, labels))
    per_group = cdist(points, points) @ np.eye(k)[lab]  # distance sums, point × group
    size = np.bincount(lab, minlength=k)
    rows = np.arange(n)
    a = per_group[rows, lab] / np.maximum(size[lab] - 1, 1)
    per_group /= size
    per_group[rows, lab] = np.inf
    b = per_group.min(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = (b - a) / np.maximum(a, b)
    s[size[lab] == 1] = 0.0
    return float(np.nan_to_num(s).mean())


def _count_by_group(vm: VoteMatrix, rows_group: np.ndarray, n_groups: int):
    """A, D, S counts as (groups × statements) arrays."""
    m = vm.shape[1]
    g = rows_group[vm.row_of_entries()]
    keep = g >= 0
    key = g[keep] * m + vm.indices[keep]
    vals = vm.data[keep]
    size = n_groups * m
    seen = np.bincount(key, minlength=size).reshape(n_groups, m).astype(np.float64)
    agree = np.bincount(key[vals > 0], minlength=size).reshape(n_groups, m).astype(np.float64)
    disagree = np.bincount(key[vals < 0], minlength=size).reshape(n_groups, m).astype(np.float64)
    return agree, disagree, seen


def _consensus(vm, a, d, s, allowed, pick_max):
    out: dict[str, list[StatementStat]] = {}
    for direction, x in (("agree", a), ("disagree", d)):
        p = (x + 1.0) / (s + 2.0)
        z = prop_test(x, s)
        ok = allowed & (p > 0.5) & (z > Z_90)
        idx = np.flatnonzero(ok)
        score = p * z
        idx = idx[np.lexsort((vm.statements[idx], -score[idx]))][:pick_max]
        out[direction] = [
            StatementStat(
                statement=int(vm.statements[j]),
                direction=direction,
                n_success=int(x[j]),
                n_seen=int(s[j]),
                p_success=float(p[j]),
                p_test=float(z[j]),
                score=float(score[j]),
            )
            for j in idx
        ]
    return out


def _representative(vm, a, d, s, allowed, pick_max):
    n_groups = a.shape[0]
    ta, td, ts = a.sum(0), d.sum(0), s.sum(0)
    reps: dict[int, list[StatementStat]] = {}
    for g in range(n_groups):
        na, nd, ns = a[g], d[g], s[g]
        ra_, rd_, rs_ = ta - na, td - nd, ts - ns
        pa, pd = (na + 1) / (ns + 2), (nd + 1) / (ns + 2)
        pat, pdt = prop_test(na, ns), prop_test(nd, ns)
        ra = pa / ((ra_ + 1) / (rs_ + 2))
        rd = pd / ((rd_ + 1) / (rs_ + 2))
        rat, rdt = two_prop_test(na, ns, ra_, rs_), two_prop_test(nd, ns, rd_, rs_)
        agree_dir = rat > rdt
        p = np.where(agree_dir, pa, pd)
        pt = np.where(agree_dir, pat, pdt)
        r = np.where(agree_dir, ra, rd)
        rt = np.where(agree_dir, rat, rdt)
        score = r * rt * p * pt
        passes = allowed & (ns > 0) & (pt > Z_90) & (rt > Z_90)
        order = np.lexsort((vm.statements, -score))

        def stat(j, significant=True):
            direction = "agree" if agree_dir[j] else "disagree"
            return StatementStat(
                statement=int(vm.statements[j]),
                direction=direction,
                n_success=int(na[j] if agree_dir[j] else nd[j]),
                n_seen=int(ns[j]),
                p_success=float(p[j]),
                p_test=float(pt[j]),
                repness=float(r[j]),
                repness_test=float(rt[j]),
                significant=significant,
                score=float(score[j]),
            )

        chosen = [j for j in order if passes[j]][:pick_max]
        agree_best = [j for j in order if passes[j] and agree_dir[j]]
        if chosen and agree_best and not any(agree_dir[j] for j in chosen):
            # As pol.is does: keep the best agreed statement among a group's representatives.
            chosen = [agree_best[0]] + chosen[: pick_max - 1]
        if chosen:
            reps[g] = [stat(j) for j in chosen]
        else:
            fallback = [j for j in order if allowed[j] and ns[j] > 0][:1]
            reps[g] = [stat(j, significant=False) for j in fallback]
    return reps


def analyse(
    vm: VoteMatrix,
    moderated_out=(),
    *,
    seed: int = 0,
    min_votes: int = MIN_VOTES,
    base_k: int = BASE_K,
    max_groups: int = MAX_GROUPS,
    pick_max: int = 5,
    min_participants: int = MIN_PARTICIPANTS,
    previous: ClusterState | None = None,
    greedy: bool = True,
    statistics: bool = True,
) -> Analysis:
    """Run the whole pipeline on a vote matrix. See the module docstring and docs/consultation.md.

    ``previous`` is the :class:`ClusterState` of the last analysis of the same conversation (if any):
    participants once in the analysis stay in, k-means starts from the previous clusters and the
    number of groups changes only after the silhouette has preferred the new number
    ``K_BUFFER`` times in a row — exactly what pol.is carries from one update to the next.

    ``statistics=False`` stops once the groups are formed (step 7 is skipped): a replay needs the
    statistics of its last update only.
    """
    n, m = vm.shape
    finish = _finish_without_groups if statistics else (lambda result, *_: result)
    mod_out = np.asarray(sorted(set(int(t) for t in moderated_out)), dtype=np.int64)
    col_out = np.isin(vm.statements, mod_out)  # moderated-out columns (zeroed for everyone)
    allowed = ~col_out
    votes_per_row = np.diff(vm.indptr)

    # 2. participants in the analysis.
    in_analysis = votes_per_row >= min(min_votes, m) if m else np.zeros(n, dtype=bool)
    if previous is not None:
        in_analysis |= np.isin(vm.participants, previous.in_analysis)
    short = GREEDY_N - int(in_analysis.sum())
    if short > 0 and greedy:
        # pol.is: while fewer than 15 are in, the most active voters are taken in as well.
        rest = np.flatnonzero(~in_analysis & (votes_per_row > 0))
        rest = rest[np.lexsort((vm.participants[rest], -votes_per_row[rest]))][:short]
        in_analysis[rest] = True

    # 3. column means over cast votes; centred values (moderated-out columns are constant 0 → 0).
    entry_col = vm.indices
    seen_per_col = np.bincount(entry_col, minlength=m).astype(np.float64)
    sum_per_col = np.bincount(entry_col, weights=vm.data, minlength=m)
    center = np.divide(sum_per_col, seen_per_col, out=np.zeros(m), where=seen_per_col > 0)
    center[col_out] = 0.0
    centred = vm.data - center[entry_col]
    centred[col_out[entry_col]] = 0.0
    xc = vm.csr(centred)

    result = Analysis(
        participants=vm.participants,
        statements=vm.statements,
        in_analysis=in_analysis,
        projection=np.full((n, 2), np.nan),
        components=np.zeros((2, m)),
        center=center,
        labels=np.full(n, -1, dtype=np.int64),
        n_groups=0,
        silhouettes={},
        too_small=None,
        base_labels=np.full(n, -1, dtype=np.int64),
        base_centers=np.zeros((0, 2)),
        moderated_out=tuple(int(t) for t in mod_out),
    )
    n_in = int(in_analysis.sum())
    if int(allowed.sum()) < 2:
        result.too_small = "needs at least 2 statements with votes to place participants"
        return result
    if n_in < min_participants:
        result.too_small = (
            f"only {n_in} participant(s) in the analysis (at least {min(min_votes, m)} votes each); "
            f"at least {min_participants} are needed to form groups"
        )
        return finish(result, vm, allowed, in_analysis, pick_max)

    # 4. PCA on all participants' rows, as pol.is does.
    start = None
    if previous is not None:
        _, ia, ib = np.intersect1d(vm.statements, previous.statements, return_indices=True)
        start = np.zeros((2, m))
        start[:, ia] = previous.components[:, ib]
    comps = _pca(xc, seed, gram=lambda: _centred_gram(_cooccurrence(vm), center, col_out))
    if start is not None:
        # Keep each axis pointing the way it pointed last time (pol.is restarts its power
        # iteration from the previous axes, which has the same effect).
        for r in range(2):
            if float(comps[r] @ start[r]) < 0:
                comps[r] = -comps[r]
    result.components = comps

    # 5. sparsity-aware projection. Moderated-out columns count as voted (pol.is zeroes them for all).
    rows_of_entries = vm.row_of_entries()
    out_votes = np.bincount(rows_of_entries[col_out[entry_col]], minlength=n)
    n_votes = votes_per_row - out_votes + int(col_out.sum())
    proj = xc @ comps.T
    proj *= np.sqrt(m / np.maximum(n_votes, 1))[:, None]
    result.projection = proj

    # 6. base clusters on the participants in the analysis, in participant-id order.
    rows_in = np.flatnonzero(in_analysis)
    pts = proj[rows_in]
    distinct = _first_distinct_rows(pts).shape[0]
    if distinct < 2:
        result.too_small = (
            f"the {n_in} participants in the analysis all take the same position; "
            "there are no differing opinion groups to form"
        )
        return finish(result, vm, allowed, in_analysis, pick_max)
    k_base = min(base_k, distinct)
    pids_in = vm.participants[rows_in]
    base_ids, base_centers, base_of_pt = _kmeans(
        pts,
        k_base,
        BASE_ITERS,
        seed=seed,
        point_ids=pids_in,
        plus_plus=False,
        previous=previous.base_clusters if previous is not None else None,
    )
    weights = np.bincount(base_of_pt, minlength=base_ids.shape[0]).astype(np.float64)
    result.base_labels[rows_in] = base_of_pt
    result.base_centers = base_centers
    n_base = base_centers.shape[0]
    state = ClusterState(
        statements=vm.statements.copy(),
        components=comps.copy(),
        in_analysis=pids_in.copy(),
        base_clusters=list(zip(base_ids.tolist(), _members(pids_in, base_of_pt, base_ids.shape[0]))),
        group_clusterings={},
    )
    result.state = state

    k_max = min(max_groups, 2 + n_base // 12, n_base - 1)
    clusterings = {}
    for k in range(2, k_max + 1):
        prev_groups = previous.group_clusterings.get(k) if previous is not None else None
        g_ids, _, glabels = _kmeans(
            base_centers,
            k,
            GROUP_ITERS,
            seed=seed,
            weights=weights,
            point_ids=base_ids,
            previous=prev_groups,
        )
        state.group_clusterings[k] = [(int(g), base_ids[glabels == i]) for i, g in enumerate(g_ids)]
        result.silhouettes[k] = _silhouette(base_centers, glabels)
        clusterings[k] = glabels
    if n_base == 2:
        # Exactly two positions (a perfectly split conversation): they are the two groups. The
        # silhouette of two single-centre groups is 0 by definition.
        clusterings[2] = np.array([0, 1])
        result.silhouettes[2] = 0.0
        state.group_clusterings[2] = [(0, base_ids[:1]), (1, base_ids[1:])]
    valid = {k: v for k, v in result.silhouettes.items() if v > -1.0}
    if not valid:
        result.too_small = f"{n_base} opinion clusters are too few to split into groups"
        return finish(result, vm, allowed, in_analysis, pick_max)
    this_k = max(sorted(valid), key=lambda k: valid[k])
    # k-smoothing: switch to a new number of groups only after it won K_BUFFER times in a row.
    last_k = previous.last_k if previous is not None else None
    count = (previous.last_k_count + 1) if (previous is not None and last_k == this_k) else 1
    smoothed = previous.smoothed_k if previous is not None else None
    if count >= K_BUFFER or smoothed not in valid:
        smoothed = this_k
    state.last_k, state.last_k_count, state.smoothed_k = this_k, count, smoothed
    k = smoothed
    glabels = clusterings[k]

    # Order groups by size (largest first), ties by the lowest participant row.
    part_group = glabels[base_of_pt]
    raw_ids = np.unique(part_group)
    sizes = np.array([(part_group == g).sum() for g in raw_ids])
    first = np.array([np.flatnonzero(part_group == g)[0] for g in raw_ids])
    order = np.lexsort((first, -sizes))
    relabel = np.full(glabels.max() + 1, -1)
    relabel[raw_ids[order]] = np.arange(raw_ids.shape[0])
    result.labels[rows_in] = relabel[part_group]
    result.n_groups = int(raw_ids.shape[0])

    if not statistics:
        return result

    # 7. statistics per group.
    a, d, s = _count_by_group(vm, result.labels, result.n_groups)
    result.counts = {"A": a, "D": d, "S": s}
    result.group_consensus_agree = group_informed_consensus(a, s)
    result.group_consensus_disagree = group_informed_consensus(d, s)
    result.consensus = _consensus(vm, a.sum(0), d.sum(0), s.sum(0), allowed, pick_max)
    result.representative = _representative(vm, a, d, s, allowed, pick_max)
    pa = (a + 1) / (s + 2)
    spread = pa.max(0) - pa.min(0)
    idx = np.flatnonzero(allowed & (s.min(0) > 0))
    idx = idx[np.lexsort((vm.statements[idx], -spread[idx]))][:pick_max]
    result.divisive = [(int(vm.statements[j]), float(spread[j])) for j in idx]
    return result


# --- updating as votes arrive (§8) -------------------------------------------------------------


def bursts(timestamp, gap_ms: int = BURST_GAP_MS) -> np.ndarray:
    """Where each burst of a time-ordered vote log ends (exclusive positions, ascending).

    A burst is a run of votes each at most ``gap_ms`` after the one before; the next vote more than
    ``gap_ms`` later starts a new one. pol.is's math worker polls for new votes every second and
    runs one update on what arrived, so one update per burst at 1 s is its cadence, computed from
    the log alone: the same votes give the same updates whenever they are processed.
    """
    t = np.asarray(timestamp, dtype=np.int64)
    if t.size == 0:
        return np.zeros(0, dtype=np.int64)
    if (np.diff(t) < 0).any():
        raise ValueError("the vote log must be in time order")
    return np.r_[np.flatnonzero(np.diff(t) > gap_ms) + 1, t.size].astype(np.int64)


class _GrowingLog:
    """The vote matrix of ever longer prefixes of one vote log, without re-sorting the log each time.

    Equal to ``build_vote_matrix(log[:end])`` for every ``end`` (a test checks it); the log must be
    in time order, so a later event is a later (or equally timed, later listed) vote.
    """

    def __init__(self, participant, statement, value):
        _check_votes(value)
        self.value = np.asarray(value, dtype=np.float64)
        self.pids, prow = np.unique(participant, return_inverse=True)
        self.sids, scol = np.unique(statement, return_inverse=True)
        self.width = max(self.sids.shape[0], 1)
        keys = prow.astype(np.int64) * self.width + scol
        self.key_values, self.key_of = np.unique(keys, return_inverse=True)  # sorted: row, then column
        self.latest = np.full(self.key_values.shape[0], -1, dtype=np.int64)  # latest event per pair
        self.end = 0
        self.prow = prow
        # Co-occurrences over all the log's statements, updated row by row (few statements only).
        m = self.sids.shape[0]
        self.cooc = [np.zeros((m, m)) for _ in range(3)] if m <= PCA_GRAM_MAX else None
        self.row_start = np.searchsorted(self.key_values // self.width, np.arange(self.pids.shape[0] + 1))

    def _rows(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The current votes (V) and cast marks (O) of some participants, dense over all statements."""
        lens = self.row_start[rows + 1] - self.row_start[rows]
        at = np.repeat(self.row_start[rows] - np.cumsum(np.r_[0, lens[:-1]]), lens) + np.arange(lens.sum())
        event = self.latest[at]
        cast = event >= 0
        r = np.repeat(np.arange(rows.shape[0]), lens)[cast]
        c = (self.key_values[at] % self.width)[cast]
        v = np.zeros((rows.shape[0], self.sids.shape[0]))
        o = np.zeros_like(v)
        v[r, c] = self.value[event[cast]]
        o[r, c] = 1.0
        return v, o

    def upto(self, end: int) -> VoteMatrix:
        """The vote matrix of ``log[:end]``; its co-occurrences are valid until the next call."""
        if end < self.end:
            raise ValueError("a growing log only grows")
        if self.cooc is not None:
            rows = np.unique(self.prow[self.end : end])
            v0, o0 = self._rows(rows)
        np.maximum.at(self.latest, self.key_of[self.end : end], np.arange(self.end, end))
        if self.cooc is not None:
            v1, o1 = self._rows(rows)
            # Only the statements these participants voted on change: update that block in place
            # (a matrix handed out by the previous call changes with it; replay uses each at once).
            cols = np.flatnonzero((o0 + o1).any(axis=0))
            block = np.ix_(cols, cols)
            v0, o0, v1, o1 = v0[:, cols], o0[:, cols], v1[:, cols], o1[:, cols]
            a, c, nn = self.cooc
            a[block] += v1.T @ v1 - v0.T @ v0
            c[block] += v1.T @ o1 - v0.T @ o0
            nn[block] += o1.T @ o1 - o0.T @ o0
        self.end = end
        present = np.flatnonzero(self.latest >= 0)
        keys = self.key_values[present]
        rows, cols = keys // self.width, keys % self.width
        starts = np.r_[True, rows[1:] != rows[:-1]] if rows.size else np.zeros(0, dtype=bool)
        participants = self.pids[rows[starts]]
        row_index = np.cumsum(starts) - 1
        col_ids, col_index = _dense_ids(cols)
        indptr = np.zeros(participants.shape[0] + 1, dtype=np.int64)
        np.cumsum(np.bincount(row_index, minlength=participants.shape[0]), out=indptr[1:])
        return VoteMatrix(
            participants=participants,
            statements=self.sids[col_ids],
            indptr=indptr,
            indices=col_index.astype(np.int32 if col_ids.shape[0] < 2**31 else np.int64),
            data=self.value[self.latest[present]],
            cooccurrence=None
            if self.cooc is None
            else (
                tuple(self.cooc)
                if col_ids.shape[0] == self.sids.shape[0]  # every statement voted on
                else tuple(x[np.ix_(col_ids, col_ids)] for x in self.cooc)
            ),
        )


@dataclass
class Replay:
    """Where a replay of a vote log stopped."""

    state: ClusterState | None  # after the last update (None: no update has formed clusters yet)
    prior: ClusterState | None  # before the last update: analyse(log[:through], previous=prior) redoes it
    through: int  # votes of the log covered by the updates
    updates: int  # updates run by this call
    analysis: Analysis | None  # the last update's analysis (None when no update ran)


def replay(
    participant,
    statement,
    value,
    timestamp,
    moderated_out=(),
    *,
    ends=None,
    start: int = 0,
    previous: ClusterState | None = None,
    prior: ClusterState | None = None,
    seed: int = 0,
    statistics: bool = True,
    stop=None,
    progress=None,
) -> Replay:
    """Run one update per burst of the vote log (:func:`bursts`), each continuing from the last.

    The log is the vote events in time order (every event, not only the latest per pair: an update
    sees the votes cast by then). ``start`` and ``previous``/``prior`` continue an earlier replay
    that covered ``log[:start]``; ``ends`` overrides the burst ends. ``stop()`` is asked after each
    update and ends the replay early when true (a time budget); ``progress(n)`` is told each update.
    With ``statistics`` the last update's analysis has its statistics (step 7).
    """
    p = np.asarray(participant, dtype=np.int64)
    s = np.asarray(statement, dtype=np.int64)
    v = np.asarray(value, dtype=np.int8)
    t = np.asarray(timestamp, dtype=np.int64)
    ends = bursts(t) if ends is None else np.asarray(ends, dtype=np.int64)
    ends = ends[ends > start]
    log = _GrowingLog(p, s, v)
    state, through, updates, an = previous, start, 0, None
    with threadpool_limits(limits=1):  # many small products: threads cost more than they give
        for i, end in enumerate(ends):
            last = i == ends.shape[0] - 1
            vm = log.upto(int(end))
            an = analyse(vm, moderated_out, seed=seed, previous=state, statistics=statistics and last)
            prior, through, updates = state, int(end), updates + 1
            if an.state is not None:
                state = an.state
            if progress is not None:
                progress(updates)
            if not last and stop is not None and stop():
                if statistics:  # the caller gets a full analysis of where the replay stopped
                    an = analyse(vm, moderated_out, seed=seed, previous=prior)
                break
    return Replay(state=state, prior=prior, through=through, updates=updates, analysis=an)


def statement_extremity(an: Analysis) -> np.ndarray:
    """How far each statement sits from the centre of the opinion map (pol.is's comment extremity).

    A statement is placed where a participant who agreed with it and voted on nothing else would be:
    ``(1 − μ_j) · (w_1j, w_2j) · sqrt(m / 1)``; the extremity is the length of that vector.
    """
    m = an.statements.shape[0]
    if m == 0:
        return np.zeros(0)
    return np.abs(1.0 - an.center) * np.sqrt(m) * np.sqrt((an.components**2).sum(axis=0))


def next_statement_priority(agree, passes, seen, extremity):
    """pol.is's priority for showing a statement next (higher first), elementwise:

    ``importance = (1 − p) · (E + 1) · a`` with ``p = (P+1)/(S+2)``, ``a = (A+1)/(S+2)``;
    ``priority = (importance · (1 + 8 · 2^(−S/5)))²`` — informative statements, and new ones while
    few have seen them.
    """
    agree, passes, seen, extremity = (np.asarray(x, dtype=np.float64) for x in (agree, passes, seen, extremity))
    p = (passes + 1.0) / (seen + 2.0)
    a = (agree + 1.0) / (seen + 2.0)
    importance = (1.0 - p) * (extremity + 1.0) * a
    return (importance * (1.0 + 8.0 * np.power(2.0, -seen / 5.0))) ** 2


def _finish_without_groups(result, vm, allowed, in_analysis, pick_max):
    """Majority consensus is still meaningful without groups; group statistics are not."""
    rows_group = np.where(in_analysis, 0, -1)
    a, d, s = _count_by_group(vm, rows_group, 1)
    result.consensus = _consensus(vm, a[0], d[0], s[0], allowed, pick_max)
    return result
