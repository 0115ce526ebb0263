"""The Pareto front of a score table over the user's objectives.

A configuration is on the front when no other one is at least as good in every objective and better in one.
The front is built in one pass over the points sorted by the first objective, each compared (vectorised) only with
the front found so far: O(n x front size), which for a few thousand configurations and a front of tens to hundreds
takes milliseconds, where the all-pairs comparison would need n^2 x objectives booleans.
"""

from __future__ import annotations

import numpy as np

__all__ = ["pareto_front", "pareto_mask", "MAXIMISED"]

#: Objectives where more is better; every other column is minimised.
MAXIMISED = frozenset({"accuracy", "keras_accuracy"})


def pareto_mask(points: np.ndarray) -> np.ndarray:
    """Boolean mask of the non-dominated rows of ``points`` (n x k), every column minimised.

    Rows with a NaN are never on the front. Identical rows do not dominate each other: all are kept.
    """
    pts = np.asarray(points, dtype=float)
    if pts.ndim != 2:
        raise ValueError(f"points must be a 2-d array (configurations x objectives), got shape {pts.shape}")
    mask = np.zeros(len(pts), dtype=bool)
    ok = np.flatnonzero(~np.isnan(pts).any(axis=1))
    order = ok[np.lexsort(pts[ok].T[::-1])]  # by the first objective, ties by the next ones
    front = np.empty((0, pts.shape[1]))
    for i in order:
        p = pts[i]
        if len(front) and np.any(np.all(front <= p, axis=1) & np.any(front < p, axis=1)):
            continue
        mask[i] = True
        front = np.vstack([front, p])
    return mask


def pareto_front(scores, objectives=("lut_pct", "dsp_pct", "latency_ns"), *, maximise=(), fits_only: bool = True):
    """The configurations of ``scores`` on the Pareto front of ``objectives``, sorted by the first objective.

    Parameters
    ----------
    scores : Scores
        From :func:`hlsnb.sweep.score` (``scores.with_accuracy(...)`` to use measured accuracy).
    objectives : sequence of str
        Column names. ``accuracy`` (and names in ``maximise``) are maximised, the others minimised.
    fits_only : bool
        Only configurations whose estimate fits the part (every resource <= 100 %).
    """
    missing = [o for o in objectives if o not in scores.columns]
    if missing:
        raise KeyError(f"no column {missing} in the scores; columns: {', '.join(scores.columns)}")
    up = MAXIMISED | set(maximise)
    pts = np.column_stack([-scores[o] if o in up else scores[o] for o in objectives]).astype(float)
    # with fits_only: the front among the configurations that fit, not the fitting part of the overall front
    sel = np.flatnonzero(scores["fits"]) if fits_only else np.arange(len(scores))
    mask = np.zeros(len(scores), dtype=bool)
    mask[sel[pareto_mask(pts[sel])]] = True
    return scores.subset(mask).sort_by(objectives[0], descending=objectives[0] in up)
