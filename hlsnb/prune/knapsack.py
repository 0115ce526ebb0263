"""Keep the most importance within a resource budget: the 0/1 knapsack behind DSP-aware pruning.

Items are groups of weights (see :mod:`hlsnb.prune.structures`); an item's value is its importance, its weight
the objective units (DSPs, parameters, ...) it costs while kept, which are the units pruning it saves. Selected
items are kept, the others pruned. This is the one solver of hlsnb: :func:`hlsnb.prune.prune` and the hls4ml
drop-in (:func:`hlsnb.compat.hls4ml.knapsack.solve_knapsack`, all of its implementations) call it.

- every item costs the same: the most important ones first (exact);
- one resource dimension with integer costs: dynamic programming over the capacity (exact) while the table stays
  below ``dp_cells``;
- several dimensions: exact to HiGHS' optimality gap (``MIP_GAP``, 1e-4 relative): the greedy answer when it is
  within that gap of the LP relaxation's bound, else a mixed-integer program solved by HiGHS
  (``scipy.optimize.milp``) within ``time_limit`` seconds;
- one dimension with fractional costs (hlsnb's per-weight DSP prices) or a table above ``dp_cells``: the greedy
  answer, which misses the optimum by less than one item's value; ``method`` gives its distance to the LP bound
  (``method="exact"`` runs the MILP anyway). If HiGHS finds no solution in time, or finds one worse
  than the greedy solver's, the greedy one is kept and ``method`` says so (``"greedy (MILP: ...)"``);
- ``method="greedy"``: value per rescaled cost, then a fill pass (hls4ml's greedy, approximate), for comparisons.

(OR-Tools, which hls4ml uses for its exact solvers, pins a version without a wheel for Python 3.11.)
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
    method: str  # "all fit", "equal cost", "dynamic programming", "MILP", "greedy", "greedy (MILP: why)"
    greedy_value: float | None = None  # what the greedy solver keeps on the same problem, when the MILP ran


#: Relative optimality gap: HiGHS' default ``mip_rel_gap``; an answer this close to the LP bound is optimal.
MIP_GAP = 1e-4

#: Solver choices of :func:`solve_knapsack`.
METHODS = ("auto", "exact", "greedy")


def solve_knapsack(values, costs, capacity, forced=None, dp_cells: int = 30_000_000, *, method: str = "auto",
                   time_limit: float | None = 10.0) -> KnapsackResult:
    """Select items maximising the summed ``values`` with summed ``costs`` <= ``capacity`` in every dimension.

    Parameters
    ----------
    values : (n,) non-negative floats.
    costs : (n,) or (m, n) non-negative numbers (m resource dimensions). Integer costs in one dimension are solved
        exactly by dynamic programming; fractional costs by the greedy solver unless every item costs the same.
    capacity : scalar or (m,) numbers.
    forced : optional (n,) bool, items that must be kept; raises :class:`InfeasibleBudget` if they alone exceed
        the capacity.
    method : ``"auto"`` (exact: special cases, dynamic programming or the MILP; see the module docstring),
        ``"exact"`` (also one dimension with fractional costs goes to the MILP) or ``"greedy"``.
    time_limit : seconds HiGHS may take (``None``: no limit); the greedy solution is the fallback.
    """
    if method not in METHODS:
        raise ValueError(f"unknown knapsack method {method!r}; valid: {', '.join(METHODS)}")
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

    def done(how, greedy_value=None):
        u = c[:, selected].sum(axis=1)
        return KnapsackResult(selected, float(v[selected].sum()), u, how, greedy_value)

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
    if method != "greedy" and integer and c.shape[0] == 1 and rest.size * (int(left[0]) + 1) <= dp_cells:
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
    greedy = _greedy(v[rest], cr, left)
    if method == "greedy":
        selected[rest[greedy]] = True
        return done("greedy")
    # the LP relaxation bounds the optimum from above (milliseconds): a greedy answer within HiGHS' own optimality
    # gap of it is optimal in HiGHS' sense, and the MILP (seconds on thousands of similar items) is not needed
    bound = _lp_bound(v[rest], cr, left)
    g_rest = float(v[rest][greedy].sum())
    if bound is not None and g_rest >= (1.0 - MIP_GAP) * bound:
        selected[rest[greedy]] = True
        return done("greedy (within the MILP gap of the LP bound: optimal)", float(v[selected].sum()))
    if c.shape[0] == 1 and method == "auto":
        # one dimension, fractional costs: the greedy answer misses the optimum by less than one item's value (the
        # LP bound says how much at most); a MILP over thousands of near-equal ratios does not finish in seconds
        selected[rest[greedy]] = True
        gap = 100 * (1 - g_rest / bound) if bound else float("nan")
        return done(f"greedy (one dimension: within {gap:.3f} % of the LP bound)", float(v[selected].sum()))
    exact, why = _milp(v[rest], cr, left, time_limit)
    g_value = float(v[selected].sum() + v[rest][greedy].sum())  # with the forced and free items, as done() counts
    if exact is None or float(v[rest][exact].sum()) < float(v[rest][greedy].sum()):
        selected[rest[greedy]] = True
        return done(f"greedy (MILP: {why or 'below the greedy solution'})", g_value)
    selected[rest[exact]] = True
    return done("MILP" if why is None else f"MILP ({why})", g_value)


def _greedy(v, c, left) -> np.ndarray:
    """Greedy by value per cost rescaled per dimension, then whatever still fits: a bool selection."""
    scale = np.maximum(c.max(axis=1, keepdims=True), 1)
    ratio = v / np.maximum((c / scale).sum(axis=0), 1e-12)
    acc = np.zeros_like(left)
    sel = np.zeros(v.size, dtype=bool)
    for j in np.argsort(-ratio, kind="stable"):
        if np.all(acc + c[:, j] <= left):
            sel[j] = True
            acc += c[:, j]
    return sel


def _lp_bound(v, c, left) -> float | None:
    """The LP relaxation's optimum (an upper bound on the 0/1 optimum), or None if HiGHS fails. One dimension:
    Dantzig's bound (items by value per cost, the last one fractional)."""
    if c.shape[0] == 1:
        w = c[0].astype(np.float64)
        order = np.argsort(-v / np.maximum(w, 1e-300), kind="stable")
        cum = np.cumsum(w[order])
        k = int(np.searchsorted(cum, float(left[0]), side="right"))
        bound = float(v[order[:k]].sum())
        if k < order.size:
            room = float(left[0]) - (cum[k - 1] if k else 0.0)
            bound += float(v[order[k]]) * room / max(float(w[order[k]]), 1e-300)
        return bound
    from scipy.optimize import linprog

    res = linprog(-v, A_ub=c.astype(np.float64), b_ub=np.asarray(left, dtype=np.float64), bounds=(0, 1),
                  method="highs")
    return None if res.status != 0 else float(-res.fun)


def _milp(v, c, left, time_limit) -> tuple[np.ndarray | None, str | None]:
    """The exact 0/1 program by HiGHS: (bool selection or None, why it is not a proven optimum or None)."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    options = {"mip_rel_gap": MIP_GAP} if time_limit is None else {"time_limit": float(time_limit),
                                                                      "mip_rel_gap": MIP_GAP}
    # values scaled to ~1: HiGHS' relative gap then means what it says for tiny importances too
    scale = float(v.max()) if v.size and v.max() > 0 else 1.0
    res = milp(-v / scale, integrality=np.ones(v.size), bounds=Bounds(0, 1),
               constraints=LinearConstraint(c.astype(np.float64), -np.inf, np.asarray(left, dtype=np.float64)),
               options=options)
    if res.x is None:
        return None, f"no solution ({res.message.strip()})"
    sel = res.x > 0.5
    if np.any(c[:, sel].sum(axis=1) > left + 1e-6):  # integrality tolerance: never return an over-full knapsack
        return None, "solution over capacity"
    return sel, None if res.status == 0 else f"time limit {time_limit:g} s, not proven optimal"
