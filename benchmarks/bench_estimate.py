"""Time hlsnb.estimate.estimate_design: the 16-64-32-32-5 MLP (16-bit, and the forum's quantized, pruned build) and a
14-layer CNN (target < 1 ms per design).

    python benchmarks/bench_estimate.py
"""

import statistics
import time

from hlsnb import rules
from hlsnb.design import Design, LayerSpec
from hlsnb.estimate import clear_cache, estimate_design

P = "ap_fixed<16,6>"


def _rf(layer_type, n_in, n_out, strategy, rf):
    """``rf`` if hls4ml builds it for this layer, else the nearest value it builds (hls4ml would substitute it)."""
    if strategy == "Latency":
        return rf
    valid = rules.template_reuse_factors(layer_type, n_in, n_out, strategy, "io_stream")
    return rf if rf in valid else rules.closest_reuse_factors(valid, rf, k=1)[0]


def _dense(name, a, b, prev, strategy, rf, shape_in=None):
    return LayerSpec(name, "Dense", "Dense", shape_in or (a,), (b,), a, b, n_weights=a * b, n_bias=b,
                     strategy=strategy, reuse_factor=_rf("Dense", a, b, strategy, rf), weight_precision=P,
                     bias_precision=P, accum_precision=P, inputs=(prev,))


def _act(name, shape, prev, kind="relu"):
    n = 1
    for s in shape:
        n *= s
    lt = "Softmax" if kind == "softmax" else "Activation"
    return LayerSpec(name, lt, kind, shape, shape, n, n, activation=kind, inputs=(prev,))


def mlp(strategy="Latency", rf=1):
    L = [LayerSpec("input", "Input", "InputLayer", (16,), (16,), 16, 16)]
    prev = "input"
    for i, (a, b) in enumerate([(16, 64), (64, 32), (32, 32), (32, 5)]):
        nm = f"fc{i + 1}"
        L.append(_dense(nm, a, b, prev, strategy, rf if b != 5 else min(rf, 32)))
        L.append(_act(nm + "_act", (b,), nm, "relu" if b != 5 else "softmax"))
        prev = nm + "_act"
    return Design(L, board="pynq-z2")


def cnn(strategy="Latency", rf=1):
    def conv(name, hw, cin, cout, prev):
        return LayerSpec(name, "Conv2D", "Conv2D", (hw, hw, cin), (hw, hw, cout), cin * 9, cout, filters=cout,
                         kernel_size=(3, 3), strides=(1, 1), padding="same", n_weights=9 * cin * cout, n_bias=cout,
                         strategy=strategy, reuse_factor=_rf("Conv2D", cin * 9, cout, strategy, rf),
                         weight_precision=P, bias_precision=P, accum_precision=P, inputs=(prev,))

    def pool(name, hw, c, prev):
        return LayerSpec(name, "Pooling2D", "MaxPooling2D", (hw, hw, c), (hw // 2, hw // 2, c), hw * hw * c,
                         hw * hw * c // 4, kernel_size=(2, 2), strides=(2, 2), pool_op="max", inputs=(prev,))

    L = [LayerSpec("input", "Input", "InputLayer", (16, 16, 3), (16, 16, 3), 768, 768),
         conv("conv1", 16, 3, 8, "input"), _act("conv1_relu", (16, 16, 8), "conv1"), pool("pool1", 16, 8, "conv1_relu"),
         conv("conv2", 8, 8, 16, "pool1"), _act("conv2_relu", (8, 8, 16), "conv2"), pool("pool2", 8, 16, "conv2_relu"),
         conv("conv3", 4, 16, 16, "pool2"), _act("conv3_relu", (4, 4, 16), "conv3"),
         LayerSpec("flatten", "Reshape", "Flatten", (4, 4, 16), (256,), 256, 256, inputs=("conv3_relu",)),
         _dense("fc1", 256, 32, "flatten", strategy, rf), _act("fc1_relu", (32,), "fc1"),
         _dense("out", 32, 10, "fc1_relu", strategy, 1 if rf == 1 else 32),
         _act("out_softmax", (10,), "out", "softmax")]
    return Design(L, board="zcu102", io_type="io_stream")


def with_weights(design, seed=0):
    """``design`` with a random kernel on every Dense/Conv layer (as a Keras-built design carries its model's): its
    estimates are cached on the weights' content."""
    import dataclasses

    import numpy as np

    rng = np.random.default_rng(seed)
    layers = [dataclasses.replace(l, weights=rng.normal(0, 0.3, (l.n_in, l.n_out)).astype(np.float32), n_zeros=0)
              if l.is_mult_layer else l for l in design.layers]
    return Design(layers, board=design.board, io_type=design.io_type)


def bench(design, n=300, stage="csynth"):
    estimate_design(design, stage=stage)
    ts = []
    for _ in range(n):
        t = time.perf_counter()
        estimate_design(design, stage=stage)
        ts.append(time.perf_counter() - t)
    clear_cache()
    t = time.perf_counter()
    estimate_design(design, stage=stage)
    cold = time.perf_counter() - t
    return statistics.median(ts) * 1e3, cold * 1e3


if __name__ == "__main__":
    from hlsnb.calibration.reference import forum_mlp

    for label, d in [("MLP 16-64-32-32-5, Latency RF1", mlp()),
                     ("forum MLP 6-bit 75 % zeros, Latency RF64", forum_mlp("Latency", 64)),
                     ("forum MLP 6-bit 75 % zeros, Resource RF64", forum_mlp("Resource", 64)),
                     ("MLP 16-64-32-32-5, Resource RF64", mlp("Resource", 64)),
                     ("MLP 16-64-32-32-5 with weights, Latency RF1", with_weights(mlp())),
                     (f"CNN {len(cnn())} layers io_stream, Latency RF1", cnn()),
                     (f"CNN {len(cnn())} layers io_stream, Resource RF~8", cnn("Resource", 8)),
                     ("MLP 16-64-32-32-5, Resource RF64, vsynth", mlp("Resource", 64)),
                     (f"CNN {len(cnn())} layers io_stream, Resource RF~8, vsynth", cnn("Resource", 8))]:
        warm, cold = bench(d, stage="vsynth" if label.endswith("vsynth") else "csynth")
        print(f"{label:47s} median {warm:.3f} ms per design (first call after clear_cache: {cold:.2f} ms)")
