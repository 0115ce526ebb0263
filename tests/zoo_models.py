"""The model zoo: Keras 3 versions of the architectures in hls4ml's own tests and tutorial.

Each builder returns a small, seeded, *untrained* Keras model (weights drawn by Keras' initialisers with a fixed
seed): the zoo tests geometry, estimates, fit and conversion, not accuracy. ``ZOO`` maps a name to its builder;
``INPUTS`` gives a function that draws a batch of inputs for a model (a list for multi-input models).
"""

from __future__ import annotations

import numpy as np

__all__ = ["ZOO", "build", "sample_inputs"]


def _k():
    import keras

    keras.utils.set_random_seed(0)
    return keras


def mlp():
    k = _k()
    i = k.Input((16,), name="x")
    h = k.layers.Dense(32, activation="relu", name="fc1")(i)
    h = k.layers.Dense(16, activation="relu", name="fc2")(h)
    o = k.layers.Dense(5, activation="softmax", name="out")(h)
    return k.Model(i, o)


def activations():
    k = _k()
    i = k.Input((8,), name="x")
    h = k.layers.Dense(8, name="fc")(i)
    for a in ("relu", "sigmoid", "tanh", "elu", "selu", "softplus", "softsign", "hard_sigmoid", "linear"):
        h = k.layers.Activation(a, name=f"act_{a}")(h)
    h = k.layers.LeakyReLU(negative_slope=0.1, name="leaky")(h)
    h = k.layers.ReLU(name="relu_layer")(h)
    o = k.layers.Softmax(name="sm")(h)
    return k.Model(i, o)


def hard_activations():
    k = _k()
    i = k.Input((8,), name="x")
    h = k.layers.Dense(8, name="fc")(i)
    h = k.layers.Activation("hard_sigmoid", name="hsig")(h)
    h = k.layers.Dense(8, name="fc2")(h)
    h = k.layers.Activation("hard_tanh", name="htanh")(h)
    o = k.layers.Dense(4, name="out")(h)
    return k.Model(i, o)


def batchnorm():
    k = _k()
    i = k.Input((16,), name="x")
    h = k.layers.Dense(16, name="fc")(i)
    h = k.layers.BatchNormalization(name="bn")(h)
    h = k.layers.Activation("relu", name="r")(h)
    o = k.layers.Dense(4, name="out")(h)
    return k.Model(i, o)


def conv1d():
    k = _k()
    i = k.Input((32, 3), name="x")
    h = k.layers.Conv1D(4, 3, activation="relu", name="c1")(i)
    h = k.layers.MaxPooling1D(2, name="p1")(h)
    h = k.layers.Conv1D(4, 3, activation="relu", name="c2")(h)
    h = k.layers.AveragePooling1D(2, name="p2")(h)
    h = k.layers.Flatten(name="fl")(h)
    o = k.layers.Dense(3, name="out")(h)
    return k.Model(i, o)


def conv2d():
    k = _k()
    i = k.Input((10, 10, 2), name="x")
    h = k.layers.Conv2D(4, (3, 3), activation="relu", name="c1")(i)
    h = k.layers.MaxPooling2D((2, 2), name="p1")(h)
    h = k.layers.Conv2D(4, (2, 2), name="c2")(h)
    h = k.layers.AveragePooling2D((2, 2), name="p2")(h)
    h = k.layers.Flatten(name="fl")(h)
    o = k.layers.Dense(3, name="out")(h)
    return k.Model(i, o)


def global_pooling():
    k = _k()
    i = k.Input((8, 8, 3), name="x")
    h = k.layers.Conv2D(4, (3, 3), name="c1")(i)
    a = k.layers.GlobalAveragePooling2D(name="gap")(h)
    b = k.layers.GlobalMaxPooling2D(name="gmp")(h)
    o = k.layers.Concatenate(name="cat")([a, b])
    return k.Model(i, o)


def global_pooling1d():
    k = _k()
    i = k.Input((16, 4), name="x")
    h = k.layers.Conv1D(4, 3, name="c1")(i)
    o = k.layers.GlobalAveragePooling1D(name="gap")(h)
    return k.Model(i, o)


def merges():
    k = _k()
    i = k.Input((8,), name="x")
    a = k.layers.Dense(8, name="fa")(i)
    b = k.layers.Dense(8, name="fb")(i)
    h = k.layers.Add(name="add")([a, b])
    h2 = k.layers.Multiply(name="mul")([h, b])
    h3 = k.layers.Subtract(name="sub")([h2, a])
    h4 = k.layers.Average(name="avg")([h3, a])
    h5 = k.layers.Maximum(name="max")([h4, b])
    h6 = k.layers.Minimum(name="min")([h5, a])
    o = k.layers.Concatenate(name="cat")([h6, a])
    return k.Model(i, o)


def two_inputs():
    k = _k()
    i1 = k.Input((8,), name="x1")
    i2 = k.Input((8,), name="x2")
    a = k.layers.Dense(8, name="fa")(i1)
    b = k.layers.Dense(8, name="fb")(i2)
    h = k.layers.Add(name="add")([a, b])
    o = k.layers.Dense(2, name="out")(h)
    return k.Model([i1, i2], o)


def dot():
    k = _k()
    i1 = k.Input((8,), name="x1")
    i2 = k.Input((8,), name="x2")
    o = k.layers.Dot(axes=1, name="dot")([i1, i2])
    return k.Model([i1, i2], o)


def reshape():
    k = _k()
    i = k.Input((16,), name="x")
    h = k.layers.Reshape((4, 4, 1), name="rs")(i)
    h = k.layers.Conv2D(2, (2, 2), name="c1")(h)
    h = k.layers.Flatten(name="fl")(h)
    o = k.layers.Dense(2, name="out")(h)
    return k.Model(i, o)


def upsampling1d():
    k = _k()
    i = k.Input((8, 2), name="x")
    h = k.layers.UpSampling1D(2, name="up")(i)
    o = k.layers.Conv1D(2, 3, name="c1")(h)
    return k.Model(i, o)


def upsampling2d():
    k = _k()
    i = k.Input((4, 4, 2), name="x")
    h = k.layers.UpSampling2D((2, 2), name="up")(i)
    o = k.layers.Conv2D(2, (3, 3), name="c1")(h)
    return k.Model(i, o)


def padding():
    k = _k()
    i = k.Input((6, 6, 2), name="x")
    h = k.layers.ZeroPadding2D(1, name="pad")(i)
    h = k.layers.Conv2D(2, (3, 3), name="c1")(h)
    h = k.layers.Reshape((36, 2), name="rs")(h)
    h = k.layers.ZeroPadding1D(2, name="pad1")(h)
    o = k.layers.Conv1D(2, 3, name="c2")(h)
    return k.Model(i, o)


def cropping():
    k = _k()
    i = k.Input((8, 8, 2), name="x")
    h = k.layers.Cropping2D(((1, 1), (2, 0)), name="crop")(i)
    h = k.layers.Conv2D(2, (3, 3), name="c1")(h)
    h = k.layers.Reshape((16, 2), name="rs")(h)
    o = k.layers.Cropping1D((1, 2), name="crop1")(h)
    return k.Model(i, o)


def separable():
    k = _k()
    i = k.Input((8, 8, 3), name="x")
    h = k.layers.SeparableConv2D(4, (3, 3), name="sep")(i)
    h = k.layers.Reshape((36, 4), name="rs")(h)
    o = k.layers.SeparableConv1D(2, 3, name="sep1")(h)
    return k.Model(i, o)


def depthwise():
    k = _k()
    i = k.Input((8, 8, 3), name="x")
    h = k.layers.DepthwiseConv2D((3, 3), name="dw")(i)
    h = k.layers.Reshape((36, 3), name="rs")(h)
    o = k.layers.DepthwiseConv1D(3, name="dw1")(h)
    return k.Model(i, o)


def embedding():
    k = _k()
    i = k.Input((6,), name="x")
    h = k.layers.Embedding(10, 4, name="emb")(i)
    h = k.layers.Flatten(name="fl")(h)
    o = k.layers.Dense(2, name="out")(h)
    return k.Model(i, o)


def simple_rnn():
    k = _k()
    i = k.Input((5, 3), name="x")
    o = k.layers.SimpleRNN(4, name="rnn")(i)
    return k.Model(i, o)


def lstm():
    k = _k()
    i = k.Input((5, 3), name="x")
    o = k.layers.LSTM(4, name="lstm")(i)
    return k.Model(i, o)


def lstm_seq():
    k = _k()
    i = k.Input((5, 3), name="x")
    h = k.layers.LSTM(4, return_sequences=True, name="lstm")(i)
    h = k.layers.Flatten(name="fl")(h)
    o = k.layers.Dense(2, name="out")(h)
    return k.Model(i, o)


def gru():
    k = _k()
    i = k.Input((5, 3), name="x")
    o = k.layers.GRU(4, name="gru")(i)
    return k.Model(i, o)


def bidirectional():
    k = _k()
    i = k.Input((5, 3), name="x")
    o = k.layers.Bidirectional(k.layers.LSTM(4), name="bi")(i)
    return k.Model(i, o)


def einsum_dense():
    k = _k()
    i = k.Input((4, 8), name="x")
    o = k.layers.EinsumDense("btd,dh->bth", output_shape=(4, 6), bias_axes="h", name="ed")(i)
    return k.Model(i, o)


def reused_layer():
    k = _k()
    i1 = k.Input((8, 2), name="x1")
    i2 = k.Input((12, 2), name="x2")
    conv = k.layers.Conv1D(3, 3, name="conv")
    a = k.layers.Flatten(name="fa")(conv(i1))
    b = k.layers.Flatten(name="fb")(conv(i2))
    h = k.layers.Concatenate(name="cat")([a, b])
    o = k.layers.Dense(2, name="out")(h)
    return k.Model([i1, i2], o)


def big_gap():
    """GlobalAveragePooling2D over 324 pixels after a conv: overflows ap_fixed<16,6> in hls4ml (issue 14)."""
    k = _k()
    i = k.Input((20, 20, 1), name="x")
    h = k.layers.Conv2D(2, (3, 3), kernel_initializer="ones", name="c1")(i)
    o = k.layers.GlobalAveragePooling2D(name="gap")(h)
    return k.Model(i, o)


def permute():
    k = _k()
    i = k.Input((4, 6), name="x")
    h = k.layers.Permute((2, 1), name="perm")(i)
    o = k.layers.Dense(2, name="out")(h)
    return k.Model(i, o)


ZOO = {f.__name__: f for f in (
    mlp, activations, hard_activations, batchnorm, conv1d, conv2d, global_pooling, global_pooling1d, merges,
    two_inputs, dot, reshape, upsampling1d, upsampling2d, padding, cropping, separable, depthwise, embedding,
    simple_rnn, lstm, lstm_seq, gru, bidirectional, einsum_dense, reused_layer, big_gap, permute)}


def build(name: str):
    """The zoo model ``name`` (a fresh, seeded Keras model)."""
    return ZOO[name]()


def sample_inputs(model, n: int = 64, seed: int = 0):
    """``n`` rows of inputs for ``model`` (integers in [0, 10) for an Embedding input), a list when it has several."""
    rng = np.random.default_rng(seed)
    xs = []
    for t in model.inputs:
        shape = (n,) + tuple(int(d) for d in t.shape[1:])
        if any(type(l).__name__ == "Embedding" for l in model.layers) and len(model.inputs) == 1:
            xs.append(rng.integers(0, 10, size=shape).astype("float32"))
        else:
            xs.append(rng.uniform(-1, 1, size=shape).astype("float32"))
    return xs if len(xs) > 1 else xs[0]


def rf_image():
    """Conv2D, DepthwiseConv2D and Dense in one model: one compile covers an RF class of all three."""
    k = _k()
    i = k.Input((6, 6, 2), name="x")
    h = k.layers.Conv2D(3, (3, 3), name="c2")(i)
    h = k.layers.DepthwiseConv2D((3, 3), name="dw2")(h)
    h = k.layers.Flatten(name="fl")(h)
    o = k.layers.Dense(4, name="fc")(h)
    return k.Model(i, o)


def rf_sequence():
    """Conv1D, DepthwiseConv1D, LSTM and GRU in one model: one compile covers an RF class of all four."""
    k = _k()
    i = k.Input((8, 2), name="x")
    h = k.layers.Conv1D(4, 3, name="c1")(i)
    h = k.layers.DepthwiseConv1D(3, name="dw1")(h)
    # features = state size, so the kernel and the recurrent kernel share their valid ReuseFactors
    h = k.layers.LSTM(4, return_sequences=True, name="lstm")(h)
    o = k.layers.GRU(4, name="gru")(h)
    return k.Model(i, o)


ZOO.update({"rf_image": rf_image, "rf_sequence": rf_sequence})

#: RF classes the compile test covers: (strategy preference, which offered RF).
RF_CLASSES = {
    "resource_max": (("Resource",), max),
    "resource_min": (("Resource",), lambda v: min([r for r in v if r > 1] or v)),
    "unrolled_mid": (("Resource_Unrolled", "Resource"), lambda v: sorted(v)[len(v) // 2]),
    "latency_max": (("Latency",), max),
}


def choices_for(design, rf_class: str) -> dict:
    """Per multiplier layer, the (strategy, ReuseFactor) of ``rf_class`` among what the design offers
    (``"default"``: none, the Design's own settings)."""
    if rf_class == "default":  # the Design's own settings
        return {}
    prefs, pick = RF_CLASSES[rf_class]
    out = {}
    for l in design.layers:
        if not l.is_mult_layer:
            continue
        s = next((p for p in prefs if p in design.strategies(l.name) and design.valid_reuse_factors(l.name, p)),
                 "Latency")
        out[l.name] = (s, int(pick(design.valid_reuse_factors(l.name, s))))
    return out


def _worker() -> None:
    """Subprocess entry: read jobs (JSON lines: name, io_type, rf_class, optional ``override``: layer -> [strategy,
    RF] written into the hls4ml config past hlsnb's checks) from stdin; convert, compile and predict each; print one
    JSON line per job. An hls4ml template ``assert`` aborts this process: the caller sees which job was running."""
    import contextlib
    import io
    import json
    import sys
    import tempfile

    import hls4ml

    from hlsnb import Design
    from hlsnb.design.hls4ml_config import hls4ml_kwargs

    for line in sys.stdin:
        job = json.loads(line)
        print(json.dumps({"start": job}), flush=True)
        model = build(job["name"])
        design = Design.from_keras(model, io_type=job["io_type"])
        choices = choices_for(design, job["rf_class"])
        for n, (s, rf) in choices.items():
            design.set(n, strategy=s, reuse_factor=rf)
        x = sample_inputs(model, 4)
        with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(io.StringIO()):
            kw = hls4ml_kwargs(design, output_dir=tmp)
            for n, (s, rf) in job.get("override", {}).items():
                kw["hls_config"]["LayerName"][n].update(Strategy=s, ReuseFactor=rf)
            hm = hls4ml.converters.convert_from_keras_model(model, **kw)
            hm.compile()
            y = np.asarray(hm.predict(x if isinstance(x, list) else np.ascontiguousarray(x)))
        ref = np.asarray(model.predict(x, verbose=0))
        print(json.dumps({"done": job, "choices": choices, "finite": bool(np.isfinite(y).all()),
                          "size": int(y.size), "ref_size": int(ref.size),
                          "max_err": float(np.max(np.abs(y.reshape(ref.shape) - ref)))}), flush=True)


if __name__ == "__main__":
    _worker()
