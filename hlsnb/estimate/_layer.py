"""Estimate one layer: the public keyword API and the cache of layer estimates (keyed on input and calibration)."""

from __future__ import annotations

from functools import lru_cache

from ._calibration import Calibration, default_calibration
from ._core import LayerEstimate, _weight_classes_cached, estimate_input
from ._kernel import _normal_quantiles, _share_for
from ._stage import check_stage, to_vsynth
from ._validate import check_input
from .inputs import LayerInput, layer_input

__all__ = ["estimate", "estimate_layer", "clear_cache"]


@lru_cache(maxsize=4096)
def _cached(inp: LayerInput, cal: Calibration, stage: str) -> LayerEstimate:
    return _compute(inp, cal, stage)


def _compute(inp: LayerInput, cal: Calibration, stage: str) -> LayerEstimate:
    est = estimate_input(inp, cal)
    return to_vsynth(est, inp, cal) if stage == "vsynth" else est


def estimate(inp: LayerInput, calibration: Calibration | None = None, stage: str = "csynth") -> LayerEstimate:
    """The estimate of one :class:`LayerInput` with ``calibration`` (``None``: the default calibration, see
    :func:`hlsnb.calibration.default_calibration`) for ``stage`` ("csynth": the HLS report; "vsynth": Vivado
    post-synthesis utilisation). The coefficients of ``inp.tool`` are used (:meth:`Calibration.for_tool`).
    Estimates without weights are cached; each call returns a copy. ``inp`` is checked first (once per input, see
    :func:`hlsnb.estimate.inputs.layer_input`): ``InvalidSetting`` / ``TypeError`` naming the layer and field."""
    if not isinstance(inp, LayerInput):
        raise TypeError(f"estimate: inp must be a LayerInput (see hlsnb.estimate.layer_input), got {inp!r}")
    check_input(inp)  # cached on the input: a lookup for one checked before
    check_stage(stage, f"layer {inp.name!r}")
    if calibration is not None and not isinstance(calibration, Calibration):
        raise TypeError(f"estimate: calibration must be a hlsnb.calibration.Calibration or None, got "
                        f"{type(calibration).__name__}")
    cal = (calibration if calibration is not None else default_calibration()).for_tool(inp.tool)
    if inp.weights is not None:  # weights are not in the key: compute
        return _compute(inp, cal, stage)
    return _cached(inp, cal, stage).copy()


def estimate_layer(
    layer_type: str,
    n_in: int | None = None,
    n_out: int | None = None,
    *,
    name: str | None = None,
    input_shape=None,
    output_shape=None,
    filters: int | None = None,
    kernel_size=None,
    strides=None,
    padding: str | None = None,
    pool_op: str | None = None,
    activation: str | None = None,
    strategy: str = "Latency",
    reuse_factor: int = 1,
    weight_bits: int = 16,
    weight_int_bits: int = 6,
    result_bits: int = 16,
    accum_bits: int | None = None,
    input_bits: int | None = None,
    io_type: str = "io_parallel",
    part="pynq-z2",
    clock_ns: float | None = None,
    sparsity: float = 0.0,
    n_zeros: int | None = None,
    weights=None,
    mult_impl: str = "auto",
    tool: str = "vivado_hls",
    tool_version: str | None = None,
    stage: str = "csynth",
    calibration: Calibration | None = None,
) -> LayerEstimate:
    """Estimate one hls4ml layer: DSPs, LUTs, FFs, BRAM18Ks, latency and II, with the reasons.

    Parameters
    ----------
    layer_type : "Dense", "Conv1D", "Conv2D", "Activation" (with ``activation=``), "ReLU", "LeakyReLU", "Softmax",
        "BatchNormalization", "Pooling1D/2D", "GlobalPooling1D/2D", "ZeroPadding1D/2D", "Reshape", "Merge", "Input"
        (any type of :mod:`hlsnb.layer_types`, or a Keras class name it maps).
    n_in, n_out : matrix size hls4ml multiplies (Dense: features; Conv: channels x kernel, filters); element
        count for other layers.
    strategy, reuse_factor : hls4ml's Strategy and ReuseFactor.
    weight_bits, weight_int_bits, result_bits, accum_bits, input_bits : fixed-point widths in bits (accumulator and
        input default to the result width).
    io_type : "io_parallel" or "io_stream". part : board or part name (or a :class:`hlsnb.boards.Part`).
    clock_ns : target clock period in ns, 0.5 to 1000 (default: 10 ns, the PYNQ-Z2's).
    sparsity / n_zeros : zero weights (fraction / count). weights : the kernel itself; when given, zeros,
        powers of two and constants with few signed digits are counted exactly (they cost no multiplier in Latency).
    mult_impl : "auto", "dsp" or "fabric" (``config_op mul -impl``). tool : "vivado_hls" or "vitis_hls";
        tool_version : its version ("2020.1"; default: Vivado HLS 2020.1, Vitis HLS 2023.2).
    stage : "csynth" (default: what the HLS tool's csynth report says) or "vsynth" (what Vivado's
        ``report_utilization`` says after synthesis: the csynth terms plus explicit ratio terms per resource, DSPs
        capped at the part's count). ``LayerEstimate.stage`` says which.
    calibration : the :class:`hlsnb.calibration.Calibration` of the modelled terms; ``None`` (default): the user's
        saved refit if there is one, else the shipped coefficients, looked up at call time.

    Returns
    -------
    LayerEstimate with ``breakdown`` terms that add up to every number. Unknown layer types give
    ``estimated=False`` and a ``reason``. Every value is checked before anything is estimated (see
    :func:`hlsnb.estimate.inputs.layer_input` and docs/errors.md): an invalid one raises ``InvalidSetting`` (a
    ``ValueError``) or ``TypeError`` naming the layer, the field, the value and what is valid.
    """
    inp = layer_input(layer_type, n_in, n_out, name=name, input_shape=input_shape, output_shape=output_shape,
                      filters=filters, kernel_size=kernel_size, strides=strides, padding=padding, pool_op=pool_op,
                      activation=activation, strategy=strategy, reuse_factor=reuse_factor, weight_bits=weight_bits,
                      weight_int_bits=weight_int_bits, result_bits=result_bits, accum_bits=accum_bits,
                      input_bits=input_bits, io_type=io_type, part=part, clock_ns=clock_ns, sparsity=sparsity,
                      n_zeros=n_zeros, weights=weights, mult_impl=mult_impl, tool=tool, tool_version=tool_version)
    return estimate(inp, calibration, stage)


def clear_cache() -> None:
    """Forget cached estimates (to time a cold start; a new calibration needs no clearing: caches are keyed on it)."""
    _cached.cache_clear()
    _weight_classes_cached.cache_clear()
    _share_for.cache_clear()
    _normal_quantiles.cache_clear()
