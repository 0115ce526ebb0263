"""Estimate one layer: the public keyword API and the cache of layer estimates (keyed on input and calibration)."""

from __future__ import annotations

from functools import lru_cache

from ._calibration import Calibration, default_calibration
from ._core import (
    WEIGHT_FACTS,
    BoundedCache,
    LayerEstimate,
    estimate_input,
    weights_key,
)
from ._kernel import _magnitude_bits_for, _normal_quantiles, _share_for
from ._stage import check_stage, to_vsynth
from ._validate import _WEIGHTS_CHECKED, check_input
from .inputs import LayerInput, _design_layer_input, _keyword_signature, layer_input

__all__ = ["estimate", "estimate_layer", "clear_cache"]


@lru_cache(maxsize=4096)
def _cached(inp: LayerInput, cal: Calibration, stage: str) -> LayerEstimate:
    return _compute(inp, cal, stage)


#: Estimates of inputs with weights, keyed on the input, the weights' content (``weights_key``), calibration, stage.
_WITH_WEIGHTS = BoundedCache(2048)


def _compute(inp: LayerInput, cal: Calibration, stage: str) -> LayerEstimate:
    est = estimate_input(inp, cal)
    return to_vsynth(est, inp, cal) if stage == "vsynth" else est


def estimate(inp: LayerInput, calibration: Calibration | None = None, stage: str = "csynth") -> LayerEstimate:
    """The estimate of one :class:`LayerInput` with ``calibration`` (``None``: the default calibration, see
    :func:`hlsnb.calibration.default_calibration`) for ``stage`` ("csynth": the HLS report; "vsynth": Vivado
    post-synthesis utilisation). The coefficients of ``inp.tool`` are used (:meth:`Calibration.for_tool`).
    Estimates are cached (with weights: on their content); each call returns a copy. ``inp`` is checked first
    (once per input, see :func:`hlsnb.estimate.inputs.layer_input`): ``InvalidSetting`` / ``TypeError`` naming the
    layer and field."""
    if not isinstance(inp, LayerInput):
        raise TypeError(f"estimate: inp must be a LayerInput (see hlsnb.estimate.layer_input), got {inp!r}")
    check_input(inp)  # cached on the input: a lookup for one checked before
    check_stage(stage, f"layer {inp.name!r}")
    if calibration is not None and not isinstance(calibration, Calibration):
        raise TypeError(f"estimate: calibration must be a hlsnb.calibration.Calibration or None, got "
                        f"{type(calibration).__name__}")
    cal = (calibration if calibration is not None else default_calibration()).for_tool(inp.tool)
    if inp.weights is not None:  # the input's key leaves its weights out: add their content's
        key = weights_key(inp.weights)
        if key is None:
            return _compute(inp, cal, stage)
        hit = _WITH_WEIGHTS.get((inp, key, cal, stage))
        if hit is None:
            hit = _compute(inp, cal, stage)
            _WITH_WEIGHTS.put((inp, key, cal, stage), hit)
        return hit.copy()
    return _cached(inp, cal, stage).copy()


def estimate_layer(layer_type: str, n_in: int | None = None, n_out: int | None = None, *, stage: str = "csynth",
                   calibration: Calibration | None = None, **inputs) -> LayerEstimate:
    """Estimate one hls4ml layer: DSPs, LUTs, FFs, BRAM18Ks, latency and II, with the reasons.

    Parameters
    ----------
    layer_type : "Dense", "Conv1D", "Conv2D", "Activation" (with ``activation=``), "ReLU", "LeakyReLU", "Softmax",
        "BatchNormalization", "Pooling1D/2D", "GlobalPooling1D/2D", "ZeroPadding1D/2D", "Reshape", "Merge", "Input"
        (any type of :mod:`hlsnb.layer_types`, or a Keras class name it maps).
    n_in, n_out : matrix size hls4ml multiplies (Dense: features; Conv: channels x kernel, filters); element
        count for other layers.
    **inputs : the other estimator inputs, the fields of :class:`hlsnb.estimate.LayerInput` (one list:
        :data:`hlsnb.estimate.inputs.INPUT_FIELDS`, which this signature is generated from), among them
        ``strategy``, ``reuse_factor``; ``weight_bits``, ``weight_int_bits``, ``result_bits``, ``accum_bits``,
        ``input_bits`` (accumulator and input default to the result width; ``input_bits`` is the width of the
        previous layer's result type); ``result_rounding`` / ``result_saturation`` (the result type's modes,
        e.g. "AP_RND_CONV" / "AP_SAT" for a quantized ReLU); ``io_type``; ``part``; ``clock_ns`` (0.5 to 1000,
        default 10); ``sparsity`` / ``n_zeros``; ``weights`` (zeros, powers of two and constants with few signed
        digits counted exactly); ``mult_impl``; ``tool``, ``tool_version``.
    stage : "csynth" (default: what the HLS tool's csynth report says) or "vsynth" (what Vivado's
        ``report_utilization`` says after synthesis: the csynth terms plus explicit ratio terms per resource, DSPs
        capped at the part's count). ``LayerEstimate.stage`` says which.
    calibration : the :class:`hlsnb.calibration.Calibration` of the modelled terms; ``None`` (default): the
        session's default (:func:`hlsnb.calibration.default_calibration`).

    Returns
    -------
    LayerEstimate with ``breakdown`` terms that add up to every number. Unknown layer types give
    ``estimated=False`` and a ``reason``. Every value is checked before anything is estimated (see
    :func:`hlsnb.estimate.inputs.layer_input` and docs/errors.md): an invalid one raises ``InvalidSetting`` (a
    ``ValueError``) or ``TypeError`` naming the layer, the field, the value and what is valid.
    """
    return estimate(layer_input(layer_type, n_in, n_out, **inputs), calibration, stage)


estimate_layer.__signature__ = _keyword_signature((("stage", "csynth"), ("calibration", None)))


def clear_cache() -> None:
    """Forget cached estimates (to time a cold start; a new calibration needs no clearing: caches are keyed on it)."""
    _cached.cache_clear()
    WEIGHT_FACTS.clear()
    _share_for.cache_clear()
    _magnitude_bits_for.cache_clear()
    _WITH_WEIGHTS.clear()
    _WEIGHTS_CHECKED.clear()
    _normal_quantiles.cache_clear()
    _design_layer_input.cache_clear()
