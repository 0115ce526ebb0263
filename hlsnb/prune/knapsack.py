"""Keep the most importance within a resource budget: the 0/1 knapsack behind DSP-aware pruning.

Items are groups of weights (see :mod:`hlsnb.prune.structures`); an item's value is its importance, its weight
the objective units (DSPs, parameters, ...) it costs while kept, which are the units pruning it saves. Selected
items are kept, the others pruned. Solvers (no OR-Tools, which hls4ml needs and which has no wheel for
Python 3.11 at the version hls4ml pins):

- every item costs the same: the most important ones first (exact);
- one resource dimension with integer costs: dynamic programming over the capacity (exact), or greedy by
  value/cost when the table would exceed ``dp_cells`` or costs are fractional;
- several dimensions: greedy by value over the cost rescaled per dimension, then a fill pass (approximate, like
  hls4ml's greedy solver).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InfeasibleBudget

__all__ = ["solve_knapsack", "KnapsackResult", "InfeasibleBudget"]


@dataclass
class KnapsackResult:
    selected: np.ndarray  # bool per item: kept
    value: float  # total importance kept
    used: np.ndarray  # cost of the kept items, per dimension
    method: str  # "all fit", "equal cost", "dynamic programming", "greedy"


def solve_knapsack(values, costs, capacity, forced=None, dp_cells: int = 30_000_000) -> KnapsackResult:
    """Select items maximising the summed ``values`` with summed ``costs`` <= ``capacity`` in every dimension.

    Parameters
    ----------
    values : (n,) non-negative floats.
    costs : (n,) or (m, n) non-negative numbers (m resource dimensions). Integer costs in one dimension are solved
        exactly by dynamic programming; fractional costs by the greedy solver unless every item costs the same.
    capacity : scalar or (m,) numbers.
    forced : optional (n,) bool, items that must be kept; raises :class:`InfeasibleBudget` if they alone exceed
        the capacity.
    """
    v = np.asarray(values, dtype=np.float64).ravel()
    c = np.asarray(costs)
    if c.ndim == 1:
        c = c[None, :]
    if c.shape[1] != v.size:
        raise ValueError(f"{v.size} values but costs for {c.shape[1]} items")
    if np.any(v < 0) or np.any(c < 0):
        raise ValueError("knapsack values and costs must be non-negative")
    integer = bool(np.all(np.equal(np.mod(c, 1), 0)))
    c = c.astype(np.int64) if integer else c.astype(np.float64)
    cap = np.atleast_1d(np.asarray(capacity)).astype(np.float64)
    if cap.size != c.shape[0]:
        raise ValueError(f"capacity has {cap.size} dimensions, costs have {c.shape[0]}")
    cap = np.floor(cap + 1e-9).astype(np.int64) if integer else cap + 1e-9
    n = v.size
    selected = np.zeros(n, dtype=bool)
    if forced is not None:
        selected |= np.asarray(forced, dtype=bool)
    free = np.all(c == 0, axis=0)
    selected |= free
    used = c[:, selected].sum(axis=1)
    if np.any(used > cap):
        raise InfeasibleBudget(f"the items that must be kept cost {used.tolist()}, above the capacity {cap.tolist()}")
    rest = np.flatnonzero(~selected)
    left = cap - used

    def done(method):
        u = c[:, selected].sum(axis=1)
        return KnapsackResult(selected, float(v[selected].sum()), u, method)

    if rest.size == 0:
        return done("all fit")
    if np.all(c[:, rest].sum(axis=1) <= left):
        selected[rest] = True
        return done("all fit")
    cr = c[:, rest]
    # every remaining item costs the same in every dimension: most important first
    if np.all(cr == cr[:, :1]):
        per = cr[:, 0]
        k = int(min(np.floor(left[d] / per[d] + 1e-9) for d in range(len(per)) if per[d] > 0))
        order = rest[np.argsort(-v[rest], kind="stable")]
        selected[order[:k]] = True
        return done("equal cost")
    if integer and c.shape[0] == 1 and rest.size * (int(left[0]) + 1) <= dp_cells:
        w = cr[0]
        W = int(left[0])
        dp = np.zeros(W + 1)
        keep = np.zeros((rest.size, W + 1), dtype=bool)
        for i in range(rest.size):
            wi = int(w[i])
            if wi > W:
                continue
            cand = dp[: W + 1 - wi] + v[rest[i]]
            take = cand > dp[wi:]
            keep[i, wi:] = take
            dp[wi:] = np.where(take, cand, dp[wi:])
        cc = W
        for i in range(rest.size - 1, -1, -1):
            if keep[i, cc]:
                selected[rest[i]] = True
                cc -= int(w[i])
        return done("dynamic programming")
    # greedy: value per (rescaled) cost, then fill in whatever still fits
    scale = np.maximum(cr.max(axis=1, keepdims=True), 1)
    ratio = v[rest] / np.maximum((cr / scale).sum(axis=0), 1e-12)
    acc = np.zeros_like(left)
    for j in np.argsort(-ratio, kind="stable"):
        if np.all(acc + cr[:, j] <= left):
            selected[rest[j]] = True
            acc += cr[:, j]
    return done("greedy")
