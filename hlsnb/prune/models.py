"""Keras helpers of the pruning workflow: copy a model, score it in Keras and in hls4ml's C simulation, the loss.

Public so that views (``hlsnb.widgets.pruning``) and benchmarks use the same copies and scores as :func:`prune`.
"""

from __future__ import annotations

import numpy as np

from ..csim import compile_csim

__all__ = ["clone_model", "model_accuracy", "default_loss", "csim_accuracy", "ends_in_softmax"]


def clone_model(model):
    """A copy of a Keras 3 Sequential or functional ``model`` with the same weights (the original is not touched).

    Raises ``ValueError`` naming the reason when Keras cannot copy the model (subclassed models, for example).
    """
    import keras

    try:
        clone = keras.models.clone_model(model)
    except Exception as e:  # Keras refuses a model it cannot clone with several error types: one message for all
        raise ValueError(f"cannot copy the model for pruning ({e}); use a Sequential or functional Keras model") from e
    clone.set_weights(model.get_weights())
    return clone


def predict(model, X) -> np.ndarray:
    """``model``'s outputs for ``X`` by direct calls (predict() retraces after every re-compile and warns)."""
    X = np.asarray(X, dtype=np.float32)
    return np.concatenate([np.asarray(model(X[i:i + 4096], training=False)) for i in range(0, len(X), 4096)])


def model_accuracy(model, X, y) -> float | None:
    """Top-1 accuracy of ``model`` on ``(X, y)`` (integer labels) in Keras; ``None`` when ``X`` is ``None``."""
    if X is None:
        return None
    return float(np.mean(np.argmax(predict(model, X), axis=1) == np.asarray(y).ravel()))


def ends_in_softmax(model) -> bool:
    """Whether the model's last layer outputs probabilities (a softmax activation or layer)."""
    last = model.layers[-1]
    act = getattr(last, "activation", None)
    return getattr(act, "__name__", "") == "softmax" or type(last).__name__ == "Softmax"


def default_loss(model):
    """Sparse categorical cross-entropy, on logits unless the model ends in a softmax."""
    import keras

    return keras.losses.SparseCategoricalCrossentropy(from_logits=not ends_in_softmax(model))


def csim_accuracy(model, design, X, y, output_dir: str) -> float:
    """Test accuracy of ``model`` converted with ``design`` and run in hls4ml's C simulation (g++ compile)."""
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):
        hm = design.convert(model, output_dir=output_dir)
        compile_csim(hm)  # hm.compile(), the library reused when the generated C++ is unchanged
    p = hm.predict(np.ascontiguousarray(X, dtype=np.float32))
    return float(np.mean(np.argmax(np.asarray(p), axis=1) == np.asarray(y).ravel()))
