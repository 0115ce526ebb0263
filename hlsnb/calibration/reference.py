"""Reference designs built without Keras: the hls4ml tutorial MLP, as hls4ml lays it out.

Used by the calibration (the forum's Resource report is of this network), the tests and the benchmarks.
"""

from __future__ import annotations

from ..design import Design, LayerSpec
from ..rules import valid_reuse_factors

__all__ = ["tutorial_mlp"]


def tutorial_mlp(strategy: str = "Latency", reuse_factor: int = 1, board: str | None = "pynq-z2",
                 precision: str = "ap_fixed<16,6>", clock_ns: float | None = None, part: str | None = None,
                 sizes: tuple[int, ...] = (16, 64, 32, 32, 5)) -> Design:
    """The 16-64-32-32-5 MLP (Dense + ReLU, softmax output) with ``strategy`` and ``reuse_factor`` on every Dense.

    Where ``reuse_factor`` is not valid for a layer under a Resource-type strategy (RF 64 on the 32x5 output layer:
    valid are 1, 2, 4, 8, 16, 32, 160), the largest valid value below it is used, as hls4ml would pick for RF 64.
    """
    L = [LayerSpec("input", "Input", "InputLayer", (sizes[0],), (sizes[0],), sizes[0], sizes[0],
                   result_precision=precision)]
    prev = "input"
    pairs = list(zip(sizes[:-1], sizes[1:]))
    for i, (a, b) in enumerate(pairs):
        last = i == len(pairs) - 1
        nm = "output" if last else f"fc{i + 1}"
        r = reuse_factor
        valid = valid_reuse_factors(a, b, strategy)
        if r not in valid:
            r = max(v for v in valid if v <= reuse_factor)
        L.append(LayerSpec(nm, "Dense", "Dense", (a,), (b,), a, b, n_weights=a * b, n_bias=b, strategy=strategy,
                           reuse_factor=r, weight_precision=precision, bias_precision=precision,
                           accum_precision=precision, result_precision=precision, inputs=(prev,)))
        prev = nm
        act = LayerSpec(nm + ("_softmax" if last else "_relu"), "Softmax" if last else "Activation",
                        "Softmax" if last else "ReLU", (b,), (b,), b, b, activation="softmax" if last else "relu",
                        result_precision=precision, inputs=(prev,))
        L.append(act)
        prev = act.name
    return Design(L, board=board, part=part, clock_ns=clock_ns)
