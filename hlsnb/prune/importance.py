"""How much a group of weights matters: the value side of the knapsack.

- ``l1``: sum of |w| over the group (hls4ml's default ranking).
- ``l2``: Euclidean norm of the group.
- ``taylor``: sum of |w * dL/dw| over the group, the first-order Taylor estimate of the loss change when the
  group is zeroed (gradient of the training loss over the given batch of data).
- ``activation``: sum of |w| * rms(x) over the group, x the input the weight multiplies on the training rows
  (Sun et al. 2023, "Wanda"): a weight on an input that is always zero (a blank pixel) matters nothing whatever
  its size, and the scale of every layer's inputs makes the ranks comparable across layers.

Values are raw (not normalised per layer), as in hls4ml's global pruning: a layer whose weights are small
compared with the others gives up more of them.
"""

from __future__ import annotations

import numpy as np

__all__ = ["IMPORTANCE_METRICS", "group_importance", "kernel_gradients", "input_scales", "needs_data"]

IMPORTANCE_METRICS = ("l1", "l2", "taylor", "activation")


def group_importance(kernel: np.ndarray, groups: np.ndarray, n_groups: int, metric: str = "l1",
                     gradient: np.ndarray | None = None) -> np.ndarray:
    """Importance of every group (length ``n_groups``, all >= 0). ``gradient``: dL/dw for ``taylor``, the
    input scale broadcastable to the kernel (:func:`input_scales`) for ``activation``."""
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
    elif metric == "activation":
        if gradient is None:
            raise ValueError("importance metric 'activation' needs the scale of the layer's inputs")
        scaled = np.abs(np.asarray(kernel, dtype=np.float64)) * np.asarray(gradient, dtype=np.float64)
        v = np.bincount(g, weights=scaled.ravel(), minlength=n_groups)
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


def needs_data(metric: str) -> bool:
    """Whether ``metric`` needs the model run on data before every ranking (``taylor``, ``activation``)."""
    return metric in ("taylor", "activation")


def input_scales(model, layer_names, X, batch_size: int = 1024) -> dict:
    """Root mean square of every input feature (channel, for convolutions) of each named layer on rows ``X``,
    shaped to broadcast against the layer's kernel (the input axis is the kernel's second to last)."""
    import keras

    layers = [model.get_layer(n) for n in layer_names]
    inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    probe = keras.Model(inputs, [l.input for l in layers])
    sums = [None] * len(layers)
    for start in range(0, len(X), batch_size):
        outs = probe(np.asarray(X[start:start + batch_size], dtype=np.float32), training=False)
        outs = outs if isinstance(outs, (list, tuple)) else [outs]
        for i, o in enumerate(outs):
            o = np.asarray(o, dtype=np.float64)
            sq = (o ** 2).reshape(-1, o.shape[-1]).sum(axis=0)
            sums[i] = sq if sums[i] is None else sums[i] + sq
    out = {}
    for name, layer, sq in zip(layer_names, layers, sums):
        rows = len(X) * int(np.prod(layer.input.shape[1:-1]) if len(layer.input.shape) > 2 else 1)
        rms = np.sqrt(sq / max(rows, 1))
        k = tuple(layer.kernel.shape)
        out[name] = rms.reshape((1,) * (len(k) - 2) + (k[-2], 1))
    return out
