"""``prune``'s arguments checked before any training: one clear error naming the parameter, not a failure deep in TF.

Without these checks a NaN in the training data ends, minutes later, in "masked weights are not zero", a label
out of range or a one-hot label matrix fails inside TensorFlow's loss, and ``batch_size=0`` runs. Labels are integer
class indices (what the default sparse cross-entropy loss and the accuracy take): one-hot labels are refused with
the one-line fix (``y.argmax(axis=1)``) rather than silently converted, so the caller's data means one thing.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..errors import InvalidSetting
from .finetune import L1_AUTO

__all__ = ["check_prune_inputs", "l1_setting"]

METRICS = ("l1", "l2", "taylor", "activation")
L1_CHOICES = ("step", "warmup", "unpruned")


#: what ``prune``'s tolerance is measured against: the unpruned model's validation accuracy as given, after the
#: same fine-tune without pruning, or the lower of the two (:func:`hlsnb.prune.finetune.run_schedule`)
REFERENCES = ("model", "control", "lower", "start")


def _int(name: str, v, lo: int) -> None:
    if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < lo:
        raise InvalidSetting(f"prune: {name} must be an integer >= {lo}; got {v!r}")


def _real(name: str, v, lo: float, hi: float, lo_open: bool, hi_open: bool = True) -> None:
    ok = not isinstance(v, bool) and isinstance(v, numbers.Real) and math.isfinite(v)
    ok = ok and (v > lo if lo_open else v >= lo) and (v < hi if hi_open else v <= hi)
    if not ok:
        span = f"{'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"
        raise InvalidSetting(f"prune: {name} must be a finite number in {span}; got {v!r}")


def _features(name: str, X) -> np.ndarray:
    X = np.asarray(X)
    if X.dtype == bool or X.dtype.kind not in "fiu":
        raise InvalidSetting(f"prune: {name} must hold real numbers; got dtype {X.dtype}")
    if X.ndim < 2 or len(X) == 0:
        raise InvalidSetting(f"prune: {name} must be a non-empty batch (n_samples, features...); got shape {X.shape}")
    if X.dtype.kind == "f":
        bad = ~np.isfinite(X)
        if bad.any():
            first = tuple(int(i) for i in np.unravel_index(int(np.argmax(bad)), X.shape))
            raise InvalidSetting(f"prune: {name} has {int(bad.sum())} NaN or infinite value(s) (first at index "
                                 f"{first}); training on them would destroy the weights: clean the data first")
    return X


def _labels(name: str, y, n_rows: int, n_classes: int | None) -> None:
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        raise InvalidSetting(f"prune: {name} has shape {y.shape}: one-hot labels; prune takes integer class labels "
                             f"of shape ({y.shape[0]},): pass y.argmax(axis=1)")
    if y.ndim == 2:
        y = y[:, 0]
    if y.ndim != 1:
        raise InvalidSetting(f"prune: {name} must be integer class labels of shape (n_samples,); got shape {y.shape}")
    if len(y) != n_rows:
        raise InvalidSetting(f"prune: {name} has {len(y)} labels for {n_rows} rows of X")
    if y.dtype == bool or y.dtype.kind not in "fiu":
        raise InvalidSetting(f"prune: {name} must be integer class labels; got dtype {y.dtype}")
    if y.dtype.kind == "f" and not (np.isfinite(y).all() and np.all(y == np.round(y))):
        raise InvalidSetting(f"prune: {name} must be integer class labels; it holds non-integer or NaN values")
    if len(y) and (y.min() < 0 or (n_classes is not None and y.max() >= n_classes)):
        valid = f"0..{n_classes - 1} (the model has {n_classes} outputs)" if n_classes else ">= 0"
        raise InvalidSetting(f"prune: {name} holds labels from {y.min():g} to {y.max():g}; valid class labels are "
                             f"{valid}")


def _pairs(data, validation):
    """(name of X, X, name of y, y) for every split given, in the shapes ``split_data`` accepts."""
    if hasattr(data, "X_train"):
        parts = [("X_train", data.X_train, "y_train", data.y_train)]
        if getattr(data, "X_test", None) is not None:
            parts.append(("X_test", data.X_test, "y_test", data.y_test))
    elif isinstance(data, (tuple, list)) and len(data) in (2, 4):
        parts = [("data[0] (X_train)", data[0], "data[1] (y_train)", data[1])]
        if len(data) == 4 and data[2] is not None:
            parts.append(("data[2] (X_test)", data[2], "data[3] (y_test)", data[3]))
    else:
        raise TypeError("data must be an hlsnb Dataset, (X_train, y_train) or (X_train, y_train, X_test, y_test)")
    if validation is not None:
        if not (isinstance(validation, (tuple, list)) and len(validation) == 2):
            raise InvalidSetting(f"prune: validation must be a pair (X, y); got {type(validation).__name__}")
        parts.append(("validation[0]", validation[0], "validation[1]", validation[1]))
    return parts


def l1_setting(l1) -> tuple[float, tuple]:
    """``(strength, candidates)`` of ``prune``'s ``l1``: a number is the strength itself (no candidates);
    ``"auto"`` or a sequence of two or more different strengths are candidates, chosen on the validation rows
    (strength 0 until then). Raises :class:`InvalidSetting` naming the value and what is valid."""
    valid = ("a strength in [0, 1) (e.g. 1e-4), 'auto' (chosen on the validation rows among "
             + ", ".join(f"{c:g}" for c in L1_AUTO) + ") or a list of two or more different strengths in [0, 1)")
    if isinstance(l1, str):
        if l1.strip().lower() != "auto":
            raise InvalidSetting(f"prune: l1 must be {valid}; got {l1!r}")
        return 0.0, L1_AUTO
    if isinstance(l1, (tuple, list, np.ndarray)):
        vals = list(l1)
        for v in vals:
            if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v) or not 0 <= v < 1:
                raise InvalidSetting(f"prune: l1 candidate {v!r} (in {l1!r}) is not a strength in [0, 1); l1 must "
                                     f"be {valid}")
        if len(set(float(v) for v in vals)) != len(vals) or len(vals) < 2:
            raise InvalidSetting(f"prune: l1 candidates {l1!r} must be two or more different strengths (a single "
                                 f"strength is passed as the number); l1 must be {valid}")
        return 0.0, tuple(float(v) for v in vals)
    if isinstance(l1, bool) or not isinstance(l1, numbers.Real) or not math.isfinite(l1) or not 0 <= l1 < 1:
        raise InvalidSetting(f"prune: l1 must be {valid}; got {l1!r}")
    return float(l1), ()


def check_prune_inputs(model, data, *, validation, epochs, batch_size, learning_rate, validation_split,
                       cutoff_bad_trials, min_keep, metric, seed, ramp=0, distill=0.0,
                       best_epoch=False, l1=0.0, reference="lower", rewind=0, warmup=0,
                       l1_choice="step") -> None:
    """Raise :class:`InvalidSetting` (a ``ValueError``) naming the first bad argument of ``prune``; nothing else.

    ``data=None`` and ``tolerance`` are left to ``prune``'s own checks. Class labels must lie in
    ``0..n_outputs-1`` of ``model``.
    """
    _int("epochs", epochs, 1)
    _int("batch_size", batch_size, 1)
    _int("cutoff_bad_trials", cutoff_bad_trials, 1)
    _int("min_keep", min_keep, 0)
    _int("seed", seed, 0)
    _int("ramp", ramp, 0)
    if ramp > epochs:
        raise InvalidSetting(f"prune: ramp ({ramp}) spreads a step's pruning over its first epochs, so it must be at "
                             f"most epochs ({epochs})")
    _int("rewind", rewind, 0)
    _int("warmup", warmup, 0)
    if rewind and rewind + max(ramp, 1) > epochs:
        raise InvalidSetting(f"prune: rewind ({rewind}) trains the last epochs of every step without the masks, so "
                             f"epochs ({epochs}) must leave at least {max(ramp, 1)} masked epoch(s) before them"
                             + (f" (ramp {ramp})" if ramp else "") + f": rewind at most {epochs - max(ramp, 1)}")
    _real("distill", distill, 0.0, 1.0, lo_open=False)
    _, candidates = l1_setting(l1)
    if not (isinstance(l1_choice, str) and l1_choice in L1_CHOICES):
        raise InvalidSetting(f"prune: l1_choice (where the L1 candidates are tried) must be one of "
                             f"{', '.join(repr(c) for c in L1_CHOICES)}; got {l1_choice!r}")
    if l1_choice != "step" and not (candidates and warmup):
        raise InvalidSetting(f"prune: l1_choice={l1_choice!r} tries every L1 candidate on the unpruned model before "
                             "the warm-up, so it needs both: "
                             f"candidates (l1=[...] or 'auto'; got {l1!r}) and warmup epochs (got {warmup!r})")
    if not isinstance(best_epoch, bool):
        raise InvalidSetting(f"prune: best_epoch must be True or False; got {best_epoch!r}")
    if not (isinstance(reference, str) and reference in REFERENCES):
        raise InvalidSetting(f"prune: reference (what the tolerance is measured against) must be one of "
                             f"{', '.join(repr(r) for r in REFERENCES)}; got {reference!r}")
    _real("learning_rate", learning_rate, 0.0, 10.0, lo_open=True, hi_open=False)
    if validation_split is not None:
        _real("validation_split", validation_split, 0.0, 1.0, lo_open=False)
    if not (isinstance(metric, str) and metric in METRICS):
        raise InvalidSetting(f"prune: metric must be one of {', '.join(METRICS)}; got {metric!r}")
    if data is None:
        return
    try:
        n_classes = int(model.output_shape[-1])
    except (AttributeError, TypeError, ValueError, IndexError):  # a model without a known output width
        n_classes = None
    for xname, X, yname, y in _pairs(data, validation):
        X = _features(xname, X)
        if y is None:
            raise InvalidSetting(f"prune: {yname} is missing (None) for {xname}")
        _labels(yname, y, len(X), n_classes)
