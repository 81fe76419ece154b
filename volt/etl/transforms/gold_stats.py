"""The statistical tests of dpe_vs_metered: Wilcoxon per label cell, Kendall trend per area."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
from scipy import special, stats

# Under ten pairs a signed-rank test or a rank correlation says little and, over thousands
# of cells, mostly produces noise; the cell keeps its quartiles with NULL tests.
MIN_PAIRS = 10

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Groups:
    """Contiguous runs of one sorted id column: where each group starts and how long it is."""

    ids: IntArray
    starts: IntArray
    sizes: IntArray

    @classmethod
    def of(cls, sorted_ids: IntArray) -> Groups:
        ids, starts, sizes = np.unique(sorted_ids, return_index=True, return_counts=True)
        return cls(ids.astype(np.int64), starts.astype(np.int64), sizes.astype(np.int64))

    def members(self) -> IntArray:
        """Positions of every member of the groups, group after group."""
        offsets = np.cumsum(self.sizes) - self.sizes
        return np.repeat(self.starts - offsets, self.sizes) + np.arange(int(self.sizes.sum()))

    def testable(self) -> Groups:
        keep = self.sizes >= MIN_PAIRS
        return Groups(self.ids[keep], self.starts[keep], self.sizes[keep])


def wilcoxon_by_group(diff: FloatArray, groups: Groups) -> tuple[FloatArray, FloatArray]:
    """Two-sided Wilcoxon signed-rank test of each group's differences (metered − DPE).

    Vectorised: groups of one size form one 2-D call. scipy picks the method (exact, permutation,
    normal approximation) from ties and zeros over the whole array, so groups with and without
    ties go in separate calls: every p-value is the one scipy gives for that group alone.
    """
    stat = np.full(len(groups.ids), np.nan)
    pval = np.full(len(groups.ids), np.nan)
    for size in np.unique(groups.sizes):
        rows = np.flatnonzero(groups.sizes == size)
        block = diff[groups.starts[rows, None] + np.arange(size)]
        tied = _has_ties_or_zeros(block)
        for subset in (rows[~tied], rows[tied]):
            if len(subset):
                sub = diff[groups.starts[subset, None] + np.arange(size)]
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    res = stats.wilcoxon(sub, axis=1, alternative="two-sided")
                stat[subset] = res.statistic
                pval[subset] = res.pvalue
    return stat, pval


def _has_ties_or_zeros(block: FloatArray) -> npt.NDArray[np.bool_]:
    ordered = np.sort(np.abs(block), axis=1)
    ties = (np.diff(ordered, axis=1) == 0).any(axis=1)
    return np.asarray(ties | (block == 0).any(axis=1))


def kendall_by_group(
    rank: FloatArray, ratio: FloatArray, groups: Groups
) -> tuple[FloatArray, FloatArray]:
    """Kendall's tau-b between label rank (A=1…G=7) and the metered/DPE ratio, per area.

    scipy.stats.kendalltau's formulas, vectorised over all areas at once (one scipy call per
    area costs ~0.2 ms, too slow for 30k areas). Ten pairs over seven labels always tie on the
    label, so scipy's "auto" method is always its normal approximation, computed here; an
    area without any tie (impossible with ranks 1..7 and n ≥ 10) is handed to scipy itself.
    """
    if not len(groups.ids):
        return np.empty(0), np.empty(0)
    k = _KendallCounts.of(rank, ratio, groups)
    n = groups.sizes.astype(np.float64)
    tot = n * (n - 1) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        tau = np.clip(k.s / np.sqrt(tot - k.xtie) / np.sqrt(tot - k.ytie), -1.0, 1.0)
        m = n * (n - 1)
        var = (m * (2 * n + 5) - k.x1 - k.y1) / 18 + 2 * k.xtie * k.ytie / m
        var += k.x0 * k.y0 / (9 * m * (n - 2))
        pval = 2 * special.ndtr(-np.abs(k.s / np.sqrt(var)))
    # All ratios (or all labels) equal: no trend measurable, as scipy says with NaN.
    undefined = (k.xtie == tot) | (k.ytie == tot)
    tau[undefined], pval[undefined] = np.nan, np.nan
    for i in np.flatnonzero((k.xtie == 0) & (k.ytie == 0)):
        lo, hi = groups.starts[i], groups.starts[i] + groups.sizes[i]
        res = stats.kendalltau(rank[lo:hi], ratio[lo:hi])
        tau[i], pval[i] = res.statistic, res.pvalue
    return tau, pval


@dataclass(frozen=True)
class _KendallCounts:
    """Per group: concordant − discordant pairs (s) and scipy's tie sums for x and y."""

    s: FloatArray
    xtie: FloatArray
    x0: FloatArray
    x1: FloatArray
    ytie: FloatArray
    y0: FloatArray
    y1: FloatArray

    @classmethod
    def of(cls, x: FloatArray, y: FloatArray, groups: Groups) -> _KendallCounts:
        n_groups = len(groups.ids)
        gid = np.repeat(np.arange(n_groups), groups.sizes)
        x, y = x[groups.members()], y[groups.members()]
        xtie, x0, x1 = _tie_sums(gid, x, n_groups)
        ytie, y0, y1 = _tie_sums(gid, y, n_groups)
        return cls(_concordance(gid, x, y, n_groups), xtie, x0, x1, ytie, y0, y1)


def _tie_sums(gid: IntArray, v: FloatArray, n_groups: int) -> tuple[FloatArray, ...]:
    order = np.lexsort((v, gid))
    g, v = gid[order], v[order]
    new = np.r_[True, (g[1:] != g[:-1]) | (v[1:] != v[:-1])]
    starts = np.flatnonzero(new)
    c: FloatArray = np.diff(np.r_[starts, len(v)]).astype(np.float64)
    owner: IntArray = g[starts]
    return tuple(
        np.bincount(owner, weights=w, minlength=n_groups).astype(np.float64)
        for w in (c * (c - 1) / 2, c * (c - 1) * (c - 2), c * (c - 1) * (2 * c + 5))
    )


def _concordance(gid: IntArray, x: FloatArray, y: FloatArray, n_groups: int) -> FloatArray:
    """Σ over pairs with x_i < x_j of sign(y_j − y_i), one pass per distinct x value."""
    order = np.lexsort((y, gid))
    g, x, y = gid[order], x[order], y[order]
    pos = np.arange(len(y))
    block_new = np.r_[True, (g[1:] != g[:-1]) | (y[1:] != y[:-1])]
    first = np.maximum.accumulate(np.where(block_new, pos, 0))  # first of its y-tie block
    block_end = np.r_[np.flatnonzero(block_new)[1:], len(y)]
    last = block_end[np.cumsum(block_new) - 1]  # one past its y-tie block
    g_start = np.searchsorted(g, g, side="left")
    g_end = np.searchsorted(g, g, side="right")
    s = np.zeros(n_groups)
    for value in np.unique(x)[1:]:
        below = np.r_[0, np.cumsum(x < value)]  # below[k]: how many of the first k
        less = below[first] - below[g_start]
        greater = (below[g_end] - below[g_start]) - (below[last] - below[g_start])
        hit = x == value
        s += np.bincount(g[hit], weights=(less - greater)[hit], minlength=n_groups)
    return s


def register_tests(con: duckdb.DuckDBPyConnection, pairs_view: str) -> int:
    """Run both tests on the pairs of `pairs_view` and register g_vs_wilcoxon and g_vs_trend.

    Returns the number of pairs read.
    """
    cols = con.execute(
        f"SELECT cell_id, area_id, label_rank, diff, ratio FROM {pairs_view}"
    ).fetchnumpy()
    cell_id = np.asarray(cols["cell_id"], dtype=np.int64)
    area_id = np.asarray(cols["area_id"], dtype=np.int64)
    diff = np.asarray(cols["diff"], dtype=np.float64)
    ratio = np.asarray(cols["ratio"], dtype=np.float64)
    rank = np.asarray(cols["label_rank"], dtype=np.float64)
    cells = Groups.of(cell_id).testable()
    w_stat, w_p = wilcoxon_by_group(diff, cells)
    # Cells nest inside areas and the pairs come in cell order: areas are contiguous too.
    areas = Groups.of(area_id).testable()
    k_tau, k_p = kendall_by_group(rank, ratio, areas)
    wilcoxon = _table("cell_id", cells.ids, w_stat, w_p, "statistic")
    trend = _table("area_id", areas.ids, k_tau, k_p, "tau")
    con.register("g_vs_wilcoxon", wilcoxon)
    con.register("g_vs_trend", trend)
    return len(cell_id)


def _table(key: str, ids: IntArray, value: FloatArray, pval: FloatArray, name: str) -> pa.Table:
    # NaN (all differences zero, a constant ratio) is "no result": NULL, not a number.
    return pa.table(
        {
            key: pa.array(ids, type=pa.int64()),
            name: pa.array(value, type=pa.float64(), mask=np.isnan(value)),
            "p_value": pa.array(pval, type=pa.float64(), mask=np.isnan(pval)),
        }
    )
