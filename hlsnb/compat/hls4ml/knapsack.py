"""``hls4ml.optimization.dsp_aware_pruning.knapsack``: ``solve_knapsack`` with hls4ml's signature and results.

``solve_knapsack(values, weights, capacity, implementation='CBC_MIP', **kwargs) -> (optimal_value, selected)``,
``weights`` one row per resource dimension, integer weights and capacities, ``selected`` a list of item indices.
The special cases are hls4ml's (nothing to choose, everything fits, equal weights). Every implementation is hlsnb's
one knapsack solver, :func:`hlsnb.prune.knapsack.solve_knapsack` (the same that ``hlsnb.prune.prune`` uses):

- ``'dynamic'``: exact dynamic programming for one dimension (the same optimum as hls4ml's table).
- ``'greedy'``: value per rescaled weight, as hls4ml, then a fill pass over the items that still fit (hls4ml stops
  at the first item that does not fit, so it never keeps less than hls4ml's).
- ``'branch_bound'`` and ``'CBC_MIP'``: hls4ml calls OR-Tools (its pinned 9.4 has no wheel for Python 3.11);
  here both are the exact mixed-integer program solved by HiGHS through ``scipy.optimize.milp``, honouring
  ``time_limit`` (seconds; the greedy solution is the fallback when HiGHS finds none in time).
  ``scaling_factor`` is accepted and unused: HiGHS takes real-valued item values.
"""

from __future__ import annotations

import sys

import numpy as np

from hlsnb.prune.knapsack import solve_knapsack as _hlsnb_knapsack

__all__ = ["solve_knapsack"]

IMPLEMENTATIONS = ("dynamic", "greedy", "branch_bound", "CBC_MIP")


def solve_knapsack(values, weights, capacity, implementation="CBC_MIP", **kwargs):
    """Maximise ``values @ x`` subject to ``weights @ x <= capacity``, x binary; see the module docstring."""
    if implementation not in IMPLEMENTATIONS:
        raise ValueError(f"unknown knapsack implementation {implementation!r}; valid: {', '.join(IMPLEMENTATIONS)}")
    values, weights, capacity = np.asarray(values), np.asarray(weights), np.asarray(capacity)
    if values.ndim != 1:
        raise ValueError("knapsack values must be one-dimensional (one value per item)")
    if weights.ndim != 2:
        raise ValueError("knapsack weights must be a matrix, one row per resource (use [w] for one dimension)")
    if values.shape[0] != weights.shape[1]:
        raise ValueError(f"{values.shape[0]} values but weights for {weights.shape[1]} items")
    if not (np.all(values >= 0) and np.all(weights >= 0)):
        raise ValueError("knapsack values and weights must be non-negative")
    if not np.all(np.equal(np.mod(capacity, 1), 0)) or not np.all(np.equal(np.mod(weights, 1), 0)):
        raise ValueError("knapsack weights and capacities must be integers (scale them first)")
    n = values.shape[0]
    if n == 0:
        return 0, []
    if np.all(weights.sum(axis=1) <= capacity):
        return np.sum(values), list(range(n))
    if np.all(weights == weights[:, :1]):
        return _equal_weights(values, weights, capacity)
    if implementation == "dynamic" and weights.shape[0] != 1:
        raise ValueError("the 'dynamic' knapsack solves one resource dimension; use 'greedy' or 'CBC_MIP'")
    method = {"dynamic": "auto", "greedy": "greedy"}.get(implementation, "exact")
    res = _hlsnb_knapsack(values, weights, capacity, dp_cells=sys.maxsize, method=method,
                          time_limit=kwargs.get("time_limit"))
    sel = np.flatnonzero(res.selected)
    return values[sel].sum(), sel.tolist()


def _equal_weights(values, weights, capacity):
    # every item costs the same: the most valuable ones (hls4ml's order: descending value)
    order = np.argsort(values)[::-1]
    selected, acc = [], np.zeros(weights.shape[0])
    for i in order:
        if not np.all(acc + weights[:, i] <= capacity):
            break
        selected.append(int(i))
        acc += weights[:, i]
    return values[selected].sum() if selected else 0, selected
