"""Small training helpers: the tutorial MLP, seeded training with a progress bar, and a cached quick model."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .data import Dataset, load_dataset

__all__ = ["build_mlp", "build_qat_mlp", "qat_available", "train_model", "fit", "quick_model", "accuracy"]


def build_mlp(n_in: int = 16, hidden: tuple[int, ...] = (64, 32, 32), n_out: int = 5, seed: int = 0):
    """The hls4ml tutorial's MLP (16-64-32-32-5 by default): Dense+ReLU layers ``fc1..``, softmax ``output``."""
    import keras

    keras.utils.set_random_seed(seed)
    layers = [keras.Input((n_in,), name="inputs")]  # hls4ml reserves the name "input"
    for i, h in enumerate(hidden, start=1):
        layers.append(keras.layers.Dense(h, activation="relu", name=f"fc{i}"))
    layers.append(keras.layers.Dense(n_out, activation="softmax", name="output"))
    return keras.Sequential(layers, name="mlp_" + "_".join(map(str, (n_in, *hidden, n_out))))


def qat_available() -> bool:
    """True when HGQ2 (the ``[qat]`` extra, quantisation-aware training that converts bit-exactly) is installed."""
    import importlib.util

    return importlib.util.find_spec("hgq") is not None


def build_qat_mlp(n_in: int = 16, hidden: tuple[int, ...] = (64, 32, 32), n_out: int = 5, seed: int = 0,
                  beta: float = 1e-6):
    """The same MLP, quantisation-aware with HGQ2: every weight and activation learns its own bit width.

    The last layer outputs logits (train with ``train_model(..., from_logits=True)``); hls4ml converts it bit-exactly.
    ``beta`` weighs the resource (EBOPs) regulariser against the loss. Needs the ``[qat]`` extra.
    """
    if not qat_available():
        raise ImportError("quantisation-aware training needs HGQ2: pip install 'hlsnb[qat]'")
    import keras
    from hgq.config import LayerConfigScope, QuantizerConfigScope
    from hgq.layers import QDense

    keras.utils.set_random_seed(seed)
    with QuantizerConfigScope(place="all", default_q_type="kbi", overflow_mode="SAT_SYM"), \
            QuantizerConfigScope(place="datalane", default_q_type="kif", overflow_mode="WRAP"), \
            LayerConfigScope(enable_ebops=True, beta0=beta):
        layers = [keras.Input((n_in,), name="inputs")]
        for i, h in enumerate(hidden, start=1):
            layers.append(QDense(h, activation="relu", name=f"fc{i}"))
        layers.append(QDense(n_out, name="output"))
        return keras.Sequential(layers, name="qat_mlp_" + "_".join(map(str, (n_in, *hidden, n_out))))


class _TqdmCallback:
    """A Keras callback showing one tqdm bar over epochs (widget bar in Jupyter, text elsewhere)."""

    def __new__(cls, epochs: int, desc: str):
        import keras
        from tqdm.auto import tqdm

        class CB(keras.callbacks.Callback):
            def on_train_begin(self, logs=None):
                self.bar = tqdm(total=epochs, desc=desc, unit="epoch")

            def on_epoch_end(self, epoch, logs=None):
                logs = logs or {}
                self.bar.set_postfix({k: f"{v:.3f}" for k, v in logs.items() if "acc" in k or "loss" in k})
                self.bar.update(1)

            def on_train_end(self, logs=None):
                self.bar.close()

        return CB()


def train_model(model, data: Dataset, epochs: int = 30, batch_size: int = 64, lr: float = 3e-3, seed: int = 0,
                progress: bool = True, callbacks=(), compile: bool = True, validation: bool = True,
                from_logits: bool = False):
    """Train ``model`` on ``data`` (sparse categorical cross-entropy), seeded, with a progress bar.

    ``from_logits=True`` for models whose last layer has no softmax (the QAT model).

    Returns the Keras History.
    """
    import keras

    keras.utils.set_random_seed(seed)
    if compile:
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits)
        model.compile(optimizer=keras.optimizers.Adam(lr), loss=loss, metrics=["accuracy"])
    cbs = list(callbacks)
    if progress:
        cbs.append(_TqdmCallback(epochs, f"training {model.name}"))
    return model.fit(
        data.X_train, data.y_train, epochs=epochs, batch_size=batch_size, verbose=0, shuffle=True,
        validation_data=(data.X_test, data.y_test) if validation else None, callbacks=cbs,
    )


# The first name of train_model; kept because the notebooks and user code call it. hlsnb has two other fits
# (hlsnb.fit: fit a design to a board; the calibration refit), hence the distinct name.
fit = train_model


def accuracy(model_or_probs, X: np.ndarray | None = None, y: np.ndarray | None = None) -> float:
    """Argmax accuracy of a Keras model on (X, y), or of an array of class scores against y."""
    probs = model_or_probs if X is None else model_or_probs.predict(X, verbose=0)
    return float(np.mean(np.argmax(np.asarray(probs), axis=1) == y))


def quick_model(path: str | Path | None = None, epochs: int = 30, seed: int = 0, data: Dataset | None = None,
                progress: bool = True):
    """The digits16 16-64-32-32-5 MLP, loaded from ``path`` if it exists, else trained (a few seconds) and saved.

    Returns ``(model, data)``.
    """
    import keras

    data = data or load_dataset("digits16", seed=seed)
    if path is not None and Path(path).exists():
        return keras.models.load_model(path), data
    model = build_mlp(seed=seed)
    train_model(model, data, epochs=epochs, seed=seed, progress=progress)
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        model.save(path)
    return model, data
