"""Reference designs built without Keras: the hls4ml tutorial MLP, as hls4ml lays it out.

Used by the calibration (the forum's Resource report is of this network), the tests and the benchmarks.
"""

from __future__ import annotations

from ..design import Design, LayerSpec
from ..rules import valid_reuse_factors

__all__ = ["tutorial_mlp", "forum_mlp", "FORUM_ZEROS", "FORUM_ACCUM"]


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


#: Zero weights per Dense layer (fc1, fc2, fc3, output) of the public builds of the forum's design (the part-4
#: ``model_3``: 75 % pruned), from the committed weight files of nicologhielmetti/hls4ml-pynq (reports3.csv).
FORUM_ZEROS = (770, 1566, 772, 120)


#: The accumulator (= result) types hls4ml 1.x infers for the forum design's Dense layers, whose config says
#: ``result auto`` (Liu-Zhiheng's printed config; the same widths in enlupi's reports3 rows: 27, 19, 18, 18 bits).
FORUM_ACCUM = ("ap_fixed<27,12>", "ap_fixed<19,8>", "ap_fixed<18,7>", "ap_fixed<18,7>")


def forum_mlp(strategy: str = "Resource", reuse_factor: int = 64, *, weight: str = "ap_fixed<6,1>",
              relu: str = "ap_ufixed<6,0,AP_RND_CONV,AP_SAT>", accum: str | tuple = FORUM_ACCUM,
              zeros: tuple[int, ...] = FORUM_ZEROS, output_rf: int | None = None, io_type: str = "io_parallel",
              clock_ns: float = 5.0, tool_version: str = "2019.2"):
    """The forum's design as built: the hls4ml tutorial's part-7a model (part-4 ``model_3``, 16-64-32-32-5),
    QKeras ``quantized_bits(6,0,alpha=1)`` weights and biases (``weight``), ``quantized_relu(6)`` outputs (``relu``),
    Dense accumulators and results ``accum`` (one type, or one per Dense layer; default :data:`FORUM_ACCUM`, what
    hls4ml infers for ``result auto``), ``zeros`` zero weights per Dense layer, ``strategy`` with ``reuse_factor``
    on every Dense (``output_rf`` on the 32x5 output layer: default the same, as the forum's config has it; hls4ml
    keeps it for Latency and substitutes 32 for Resource), VivadoAccelerator on the PYNQ-Z2 at 5 ns, Vivado HLS
    2019.2.

    A :class:`hlsnb.design.Design` when the Design accepts the configuration; otherwise (a Design that refuses a
    Latency ReuseFactor hls4ml keeps, before the rules of issue 24 item 1) an object with the Design's public
    attributes, which is all :func:`hlsnb.estimate.estimate_design` reads."""
    from types import SimpleNamespace

    from ..errors import InvalidSetting
    from ..targets import get_board

    sizes = (16, 64, 32, 32, 5)
    accs = (accum,) * 4 if isinstance(accum, str) else tuple(accum)
    rf_out = output_rf if output_rf is not None else reuse_factor
    if strategy != "Latency":
        valid = valid_reuse_factors(32, 5, strategy)
        rf_out = rf_out if rf_out in valid else max(v for v in valid if v <= rf_out)
    L = [LayerSpec("input", "Input", "InputLayer", (16,), (16,), 16, 16, result_precision="ap_fixed<16,6>")]
    prev = "input"
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        last = i == len(sizes) - 2
        nm = "output" if last else f"fc{i + 1}"
        L.append(LayerSpec(nm, "Dense", "Dense", (a,), (b,), a, b, n_weights=a * b, n_zeros=zeros[i], n_bias=b,
                           strategy=strategy, reuse_factor=rf_out if last else reuse_factor,
                           weight_precision=weight, bias_precision=weight, accum_precision=accs[i],
                           result_precision=accs[i], inputs=(prev,)))
        prev = nm
        L.append(LayerSpec(nm + ("_softmax" if last else "_relu"), "Softmax" if last else "Activation",
                           "Softmax" if last else "ReLU", (b,), (b,), b, b,
                           activation="softmax" if last else "relu",
                           result_precision="ap_fixed<16,6>" if last else relu, inputs=(prev,)))
        prev = L[-1].name
    try:
        return Design(L, board="pynq-z2", clock_ns=clock_ns, io_type=io_type, backend="VivadoAccelerator",
                      tool_version=tool_version)
    except InvalidSetting:
        if strategy != "Latency":
            raise
    return SimpleNamespace(layers=L, part=get_board("pynq-z2").part, clock_ns=clock_ns, io_type=io_type,
                           tool="vivado_hls", tool_version=tool_version, input_precision="ap_fixed<16,6>")
