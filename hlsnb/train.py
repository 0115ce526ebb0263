"""Small training helpers: the tutorial MLP, seeded training with a progress bar, and a cached quick model."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .data import Dataset, load_dataset

__all__ = ["build_mlp", "build_qat_mlp", "build_fixed_qat_mlp", "snap_to_quantized", "qat_available", "train_model",
           "fit", "quick_model", "accuracy", "EpochBar"]


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


def _kif(keep_negative: int, integer: int, fraction: int, place: str, overflow: str = "SAT"):
    """A fixed (not trained) HGQ2 quantizer: ``keep_negative`` sign bit, ``integer`` integer bits without the sign,
    ``fraction`` fractional bits; hls4ml converts it to ap_[u]fixed<k+i+f, k+i>."""
    from hgq.config import QuantizerConfig

    return QuantizerConfig("kif", place, k0=keep_negative, i0=integer, f0=fraction, round_mode="RND",
                           overflow_mode=overflow, trainable=False, ic=None, fc=None, ir=None, fr=None)


def build_fixed_qat_mlp(n_in: int = 16, hidden: tuple[int, ...] = (64, 32, 32), n_out: int = 5, *, bits: int = 6,
                        input_bits: tuple[int, int] = (16, 6), seed: int = 0, softmax: bool = True):
    """The hls4ml tutorial's quantized MLP (part 4 ``model_3``): every weight and bias ``ap_fixed<bits,1>``, every
    ReLU output ``ap_ufixed<bits,0>``, the input ``ap_fixed<input_bits>``, quantization-aware with HGQ2.

    The tutorial trains it with QKeras (``quantized_bits(6,0,alpha=1)`` kernels and biases, ``quantized_relu(6)``),
    which does not run on Keras 3; HGQ2's fixed quantizers (not trained: the bit widths stay as given) are the same
    types, and hls4ml converts them bit-exactly. Layers ``fc1..`` (Dense + ReLU), ``output`` (logits) and, with
    ``softmax``, a ``softmax`` Activation as in the tutorial. Needs the ``[qat]`` extra.
    """
    if not qat_available():
        raise ImportError("quantisation-aware training needs HGQ2: pip install 'hlsnb[qat]'")
    if not (isinstance(bits, int) and 2 <= bits <= 16):
        raise ValueError(f"bits (weight, bias and ReLU output width) must be an integer in 2..16, got {bits!r}")
    w_in, i_in = input_bits
    if not (1 <= i_in <= w_in <= 32):
        raise ValueError(f"input_bits (width, integer bits) must satisfy 1 <= integer <= width <= 32, got "
                         f"{input_bits!r}")
    import keras
    from hgq.layers import QDense

    keras.utils.set_random_seed(seed)
    weight = lambda place: _kif(1, 0, bits - 1, place)  # noqa: E731  ap_fixed<bits,1>
    relu_out = lambda: _kif(0, 0, bits, "datalane")  # noqa: E731  ap_ufixed<bits,0>
    layers = [keras.Input((n_in,), name="inputs")]  # hls4ml reserves the name "input"
    sizes = list(hidden) + [n_out]
    for i, h in enumerate(sizes, start=1):
        last = i == len(sizes)
        iq = _kif(1, i_in - 1, w_in - i_in, "datalane") if i == 1 else relu_out()
        layers.append(QDense(h, activation=None if last else "relu", name="output" if last else f"fc{i}",
                             kq_conf=weight("weight"), bq_conf=weight("bias"), iq_conf=iq, enable_ebops=False))
    if softmax:
        layers.append(keras.layers.Activation("softmax", name="softmax"))
    return keras.Sequential(layers, name="forum_mlp_" + "_".join(map(str, (n_in, *hidden, n_out))))


def snap_to_quantized(model) -> None:
    """Set every HGQ2 layer's float kernel and bias to their quantized values, in place.

    The model computes exactly the same (quantizing a value on the grid returns it), but its stored weights are now
    the ones hls4ml writes: a weight that rounds to zero is a zero everywhere (``Design.attach_weights`` counts it).
    """
    for layer in model.layers:
        for key in ("kernel", "bias"):
            q = getattr(layer, f"q{key}", None)
            var = getattr(layer, key, None)
            if q is not None and var is not None:
                var.assign(np.asarray(q, dtype=np.float32))


class EpochBar:
    """One progress bar over several ``model.fit`` calls (tqdm: a widget in Jupyter, text elsewhere).

    ``progress``: True (a bar), False (nothing) or a callable ``f(done_epochs, total_epochs, text)``.
    ``callback()`` gives the Keras callback of the next fit; ``describe(text)`` relabels the bar.
    """

    def __init__(self, total: int, desc: str, progress=True):
        self.total, self.done, self.text = int(total), 0, desc
        self._fn = progress if callable(progress) else None
        self._bar = None
        if progress is True:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=self.total, desc=desc, unit="epoch")

    def describe(self, text: str) -> None:
        self.text = text
        if self._bar is not None:
            self._bar.set_description(text)

    def step(self, logs=None) -> None:
        self.done += 1
        if self._bar is not None:
            logs = logs or {}
            self._bar.set_postfix({k: f"{v:.3f}" for k, v in logs.items() if "acc" in k or "loss" in k})
            self._bar.update(1)
        if self._fn is not None:
            self._fn(self.done, self.total, self.text)

    def callback(self):
        import keras

        bar = self

        class _CB(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                bar.step(logs)

        return _CB()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


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
