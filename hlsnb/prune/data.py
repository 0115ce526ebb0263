"""The rows pruning trains, checks and reports on: :func:`split_data`."""

from __future__ import annotations

import numpy as np

__all__ = ["split_data"]


def split_data(data, validation=None, validation_split: float = 0.2, seed: int = 0):
    """(X_fit, y_fit, X_val, y_val, X_test, y_test) from a Dataset or tuples.

    ``data``: an :class:`hlsnb.data.Dataset`, ``(X_train, y_train)`` or ``(X_train, y_train, X_test, y_test)``.
    The tolerance check uses ``validation=(X, y)`` if given, else a seeded ``validation_split`` of the training
    rows that fine-tuning does not see; the test split is only used for the accuracies in the report.
    """
    if hasattr(data, "X_train"):
        Xtr, ytr, Xte, yte = data.X_train, data.y_train, data.X_test, data.y_test
    elif isinstance(data, (tuple, list)) and len(data) in (2, 4):
        Xtr, ytr = data[0], data[1]
        Xte, yte = (data[2], data[3]) if len(data) == 4 else (None, None)
    else:
        raise TypeError("data must be an hlsnb Dataset, (X_train, y_train) or (X_train, y_train, X_test, y_test)")
    Xtr, ytr = np.asarray(Xtr), np.asarray(ytr)
    if len(Xtr) != len(ytr) or len(Xtr) == 0:
        raise ValueError(f"training data: {len(Xtr)} rows of X but {len(ytr)} labels")
    if validation is not None:
        Xv, yv = np.asarray(validation[0]), np.asarray(validation[1])
        Xf, yf = Xtr, ytr
    elif validation_split and validation_split > 0:
        if not 0 < validation_split < 1:
            raise ValueError(f"validation_split must be in (0, 1), got {validation_split!r}")
        rng = np.random.default_rng(seed)
        idx = rng.permutation(len(Xtr))
        nv = max(1, int(round(validation_split * len(Xtr))))
        Xv, yv, Xf, yf = Xtr[idx[:nv]], ytr[idx[:nv]], Xtr[idx[nv:]], ytr[idx[nv:]]
    else:
        Xv = yv = None
        Xf, yf = Xtr, ytr
    return Xf, yf, Xv, yv, (None if Xte is None else np.asarray(Xte)), (None if yte is None else np.asarray(yte))
