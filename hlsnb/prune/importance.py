"""How much a group of weights matters: the value side of the knapsack.

- ``l1``: sum of |w| over the group (hls4ml's default ranking).
- ``l2``: Euclidean norm of the group.
- ``taylor``: sum of |w * dL/dw| over the group, the first-order Taylor estimate of the loss change when the
  group is zeroed (gradient of the training loss over the given batch of data).

Values are raw (not normalised per layer), as in hls4ml's global pruning: a layer whose weights are small
compared with the others gives up more of them.
"""

from __future__ import annotations

import numpy as np

__all__ = ["IMPORTANCE_METRICS", "group_importance", "kernel_gradients"]

IMPORTANCE_METRICS = ("l1", "l2", "taylor")


def group_importance(kernel: np.ndarray, groups: np.ndarray, n_groups: int, metric: str = "l1",
                     gradient: np.ndarray | None = None) -> np.ndarray:
    """Importance of every group (length ``n_groups``, all >= 0)."""
    w = np.asarray(kernel, dtype=np.float64).ravel()
    g = np.asarray(groups).ravel()
    if metric == "l1":
        v = np.bincount(g, weights=np.abs(w), minlength=n_groups)
    elif metric == "l2":
        v = np.sqrt(np.bincount(g, weights=w * w, minlength=n_groups))
    elif metric == "taylor":
        if gradient is None:
            raise ValueError("importance metric 'taylor' needs the loss gradient of the kernel")
        v = np.bincount(g, weights=np.abs(w * np.asarray(gradient, dtype=np.float64).ravel()), minlength=n_groups)
    else:
        raise ValueError(f"unknown importance metric {metric!r}; valid: {', '.join(IMPORTANCE_METRICS)}")
    return v


def kernel_gradients(model, layer_names, X, y, loss_fn, batch_size: int = 256) -> dict:
    """Gradient of the mean training loss with respect to each named layer's kernel (numpy arrays)."""
    import keras
    import tensorflow as tf  # hlsnb runs Keras 3 on the TensorFlow backend (pyproject pins tensorflow)

    if keras.backend.backend() != "tensorflow":
        raise RuntimeError("importance metric 'taylor' needs the TensorFlow Keras backend; use 'l1' or 'l2'")
    kernels = {n: model.get_layer(n).kernel for n in layer_names}
    total = {n: np.zeros(tuple(k.shape), np.float64) for n, k in kernels.items()}
    rows = len(X)
    for start in range(0, rows, batch_size):
        xb, yb = X[start:start + batch_size], y[start:start + batch_size]
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(loss_fn(yb, model(xb, training=False)))
        grads = tape.gradient(loss, [kernels[n].value for n in layer_names])
        for n, gr in zip(layer_names, grads):
            if gr is not None:
                total[n] += np.asarray(gr) * (len(xb) / rows)
    return total
