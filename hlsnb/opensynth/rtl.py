"""From a Design (or an HGQ2 model) to distributed-arithmetic Verilog with da4ml.

da4ml traces the network on fixed-point variables: every Dense/Conv layer becomes a constant-matrix-vector
product solved as a shift-add adder graph (no multipliers), every result is cast to the Design's result precision
the way ``ap_fixed`` casts, ReLU is a comparison. ``da4ml.codegen.RTLModel.write`` then writes the
Verilog, a Verilator binder and da4ml's own bit-exact model of the same logic.

Supported here: Dense, Conv1D/Conv2D (valid padding; every output pixel computed at once), Flatten, ReLU / linear
activations, and a final softmax (left out of the RTL: it is monotonic, so the class decided by the logits is the
same; the check compares the softmax of the RTL's logits with Keras).
Result casts honour the precision's quantisation (``AP_TRN``, ``AP_RND``) and overflow (``AP_WRAP``, ``AP_SAT``,
``AP_SAT_SYM``) modes, the ones da4ml's logic has; any other mode is refused, naming the layer.

Weights are quantised to the Design's weight precision (as every other strategy's weight ROM or constant is).
hls4ml's own ``distributed_arithmetic`` pass does not: it builds its adder graph from the Keras weights as they are
(exact float32 values, up to 24 significant bits each), and is meant for quantisation-aware trained models whose
weights already are fixed-point values. :func:`quantised_model` gives the Keras model whose weights are the RTL's,
which hls4ml then builds into the same logic (see :mod:`hlsnb.opensynth.csim`).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InvalidSetting, ToolNotFound
from ..precision import as_hls4ml_writes, parse_precision

__all__ = ["DATrace", "RTLProject", "da_version", "trace_design", "trace_hgq", "write_rtl", "quantise",
           "quantised_model", "DA4ML_RANGE"]

#: da4ml versions hls4ml 1.3's ``[da]`` extra accepts (and the ones measured here)
DA4ML_RANGE = ((0, 5, 2), (0, 6))
#: da4ml's CMVM solver options, as hls4ml's distributed_arithmetic pass sets them
SOLVER_OPTIONS = {"hard_dc": 2}
_ACTIVATIONS = ("relu", "linear", None)
#: ap_fixed modes -> da4ml's names (da4ml's logic has only these)
_ROUND = {"AP_TRN": "TRN", "AP_RND": "RND"}
_OVERFLOW = {"AP_WRAP": "WRAP", "AP_SAT": "SAT", "AP_SAT_SYM": "SAT_SYM"}
#: weighted layers hls4ml builds with distributed_arithmetic that this path does not trace
_DA_NOT_TRACED = ("PointwiseConv1D", "PointwiseConv2D", "EinsumDense")
_CONV = ("Conv1D", "Conv2D")
#: layers that only re-index the flat, channels-last array (no logic, no cast: hls4ml removes them)
_WIRING = ("Reshape", "Flatten")


@dataclass
class DATrace:
    """The traced fixed-point logic of a network.

    ``comb`` is da4ml's ``CombLogic`` of the whole network; ``layers`` the names of the Design layers it holds;
    ``omitted`` the trailing layers left out (a softmax); ``per_layer`` one ``CombLogic`` per Dense layer (with its
    activation) when traced with ``per_layer=True``. ``seconds`` is the trace time.
    """

    comb: object
    layers: list[str]
    omitted: list[str] = field(default_factory=list)
    per_layer: dict[str, object] = field(default_factory=dict)
    input_precision: str | None = None
    seconds: float = 0.0
    output_precision: str | None = None  # the result precision of the last traced layer (the RTL's outputs)
    design: object = None  # the Design traced (None for an HGQ2 model): the C-simulation check converts it

    @property
    def da4ml_lut(self) -> float:
        """da4ml's own LUT estimate of the logic (its adder-graph cost model)."""
        return float(self.comb.cost)

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.comb.shape)


@dataclass
class RTLProject:
    """A written da4ml RTL project: ``path/src/<name>.v`` (+ wrapper, static cells, lookup tables)."""

    path: Path
    name: str
    trace: DATrace
    model: object  # da4ml RTLModel (holds the Verilator emulator once compiled)

    @property
    def sources(self) -> list[Path]:
        """Verilog files Yosys must read: the design, its I/O wrapper is left out (it only re-packs the ports)."""
        src = self.path / "src"
        return sorted(p for p in src.glob("*.v") if not p.name.endswith("_wrapper.v")) + sorted(
            (src / "static").glob("*.v"))

    @property
    def memfiles(self) -> list[Path]:
        """Lookup-table contents; only present (and only to be read) when the logic uses tables."""
        return sorted((self.path / "src" / "memfiles").glob("*"))


def _type(precision: str, what: str):
    try:
        return parse_precision(precision)
    except ValueError as e:
        raise InvalidSetting(f"{what}: cannot read precision {precision!r}: {e}") from None


def _kif(precision: str, what: str) -> tuple[int, int, int]:
    t = _type(precision, what)
    k = int(t.signed)
    return k, t.integer - k, t.fractional


def _modes(precision: str, what: str) -> dict:
    """da4ml's ``overflow_mode`` / ``round_mode`` for ``precision``; ``InvalidSetting`` for modes it lacks."""
    t = _type(precision, what)
    if t.rounding not in _ROUND or t.saturation not in _OVERFLOW:
        raise InvalidSetting(f"{what}: {precision} uses {t.rounding}/{t.saturation}; da4ml's logic has the "
                             f"quantisation modes {', '.join(_ROUND)} and the overflow modes {', '.join(_OVERFLOW)}")
    return {"overflow_mode": _OVERFLOW[t.saturation], "round_mode": _ROUND[t.rounding]}


def quantise(values, precision: str, what: str = "values") -> np.ndarray:
    """``values`` as ``ap_fixed`` holds them after a cast from float (its quantisation, then overflow mode)."""
    from ..board.fixed import quantise_scaled  # the exact ap_fixed rounding of every mode, shared with the board

    t = _type(precision, what)
    q = quantise_scaled(np.ldexp(np.asarray(values, dtype=np.float64), t.fractional), t.rounding)
    lo, hi = (-(2.0 ** (t.width - 1)), 2.0 ** (t.width - 1) - 1) if t.signed else (0.0, 2.0**t.width - 1)
    if t.saturation == "AP_WRAP":
        span = 2.0**t.width
        q = np.mod(q - lo, span) + lo
    elif t.saturation == "AP_SAT_ZERO":
        q = np.where((q < lo) | (q > hi), 0.0, q)
    else:  # AP_SAT, AP_SAT_SYM (the most negative code unused)
        q = np.clip(q, -hi if t.saturation == "AP_SAT_SYM" and t.signed else lo, hi)
    return np.ldexp(q, -t.fractional)


def _quantise_const(values, precision: str, what: str) -> np.ndarray:
    """Weights and biases as hls4ml's firmware holds them: its writer prints each value with as many decimals as the
    type has fractional bits (``WeightVariable.precision_fmt``; the C simulation reads the same text), and the C++
    initialisation casts that number with the type's modes (:func:`quantise`). A weight a hair under an LSB boundary
    is printed on it: 0.999999 in ``ap_fixed<6,1>`` prints as 1.00000 and wraps to -1."""
    return quantise(as_hls4ml_writes(values, _type(precision, what).fractional), precision, what)


def da_version(design):
    """A copy of ``design`` with every Dense/Conv layer on ``distributed_arithmetic`` at ReuseFactor 1."""
    da = design.copy()
    da.set_all(strategy="distributed_arithmetic", reuse_factor=1)
    return da


def _check_da4ml() -> str:
    """da4ml's version, or ``ToolNotFound`` saying what to install."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        v = version("da4ml")
    except PackageNotFoundError:
        raise ToolNotFound("da4ml is not installed; install it with: pip install 'da4ml>=0.5.2,<0.6'") from None
    parts = tuple(int(x) for x in re.findall(r"\d+", v)[:3])
    if not (DA4ML_RANGE[0] <= parts < DA4ML_RANGE[1]):
        raise ToolNotFound(f"da4ml {v} found; hlsnb (and hls4ml 1.3's [da] extra) need da4ml>=0.5.2,<0.6")
    return v


def trace_design(design, model, *, per_layer: bool = False) -> DATrace:
    """Trace the distributed-arithmetic logic of ``design`` (precisions) with ``model``'s weights.

    Parameters
    ----------
    design : hlsnb.design.Design
        Its Dense layers must use ``distributed_arithmetic`` (see :func:`da_version`).
    model : keras.Model
        The model the Design was made from (weights and biases are read by layer name).
    per_layer : bool
        Also trace each Dense/Conv layer (with its activation) on its own, for per-layer synthesis.

    Raises
    ------
    InvalidSetting
        A layer is not distributed_arithmetic, or of a type / activation the open path does not build (named).
    """
    _check_da4ml()
    from da4ml.trace import FixedVariableArray, HWConfig, comb_trace

    t0 = time.monotonic()
    layers = [l for l in design.layers if l.layer_type != "Input"]
    other = [f"{l.name} ({l.layer_type})" for l in layers if l.layer_type in _DA_NOT_TRACED]
    if other:
        raise InvalidSetting(
            f"layers {', '.join(other)}: hls4ml builds these with distributed_arithmetic, but hlsnb's open-synthesis "
            "path traces Dense, Conv1D and Conv2D layers only: convert the model with hls4ml and read each layer's "
            "'da_kernel_cost' (da4ml's LUT estimate of its kernel)")
    n_in = int(np.prod(design.layers[0].output_shape or (layers[0].n_in,)))
    k, i, f = _kif(design.input_precision, "input")

    def fresh(kif):
        return FixedVariableArray.from_kif(*kif, HWConfig(1, -1, -1), solver_options=SOLVER_OPTIONS)

    inp = fresh((np.full(n_in, k), np.full(n_in, i), np.full(n_in, f)))
    shape = tuple(design.layers[0].output_shape or (n_in,))
    out, traced, omitted, _ = _trace_layers(layers, model, inp, None, shape)
    comb = comb_trace(inp, out)
    per = {}
    if per_layer:  # a second pass, each Dense group from fresh inputs of the precision it receives
        per = _trace_layers(layers, model, fresh((np.full(n_in, k), np.full(n_in, i), np.full(n_in, f))), fresh,
                            shape)[3]
    # the outputs are values of the last layer that casts (a trailing Flatten only re-indexes them)
    last = next(l for l in reversed(layers) if l.name in traced and l.layer_type not in _WIRING)
    return DATrace(comb=comb, layers=traced, omitted=omitted, per_layer=per, input_precision=design.input_precision,
                   seconds=time.monotonic() - t0, output_precision=last.result_precision, design=design)


def _im2col(shape, kl, name: str) -> tuple[np.ndarray, tuple]:
    """Indices into the flat channels-last input of every output pixel's receptive field, ``(pixels, k*k*C)``, in
    the order of the kernel's rows (``kernel.reshape(-1, filters)``, as hls4ml's DA pass flattens it)."""
    cfg = kl.get_config()
    if (cfg.get("padding") != "valid" or any(d != 1 for d in np.ravel(cfg.get("dilation_rate", 1)))
            or cfg.get("groups", 1) != 1 or cfg.get("data_format", "channels_last") != "channels_last"):
        raise InvalidSetting(
            f"layer {name!r}: the open-synthesis path traces convolutions with padding='valid', no dilation, no "
            f"groups and channels_last; this one has padding={cfg.get('padding')!r}, "
            f"dilation_rate={cfg.get('dilation_rate')}, groups={cfg.get('groups', 1)}")
    kernel = np.asarray(kl.get_weights()[0])
    sizes, strides = kernel.shape[:-2], tuple(np.ravel(cfg.get("strides", 1)))
    dims, chans = shape[:-1], shape[-1]
    out = [(n - k) // s + 1 for n, k, s in zip(dims, sizes, strides)]
    flat = np.arange(int(np.prod(shape))).reshape(shape)
    rows = []
    for pix in np.ndindex(*out):
        window = tuple(slice(p * s, p * s + k) for p, s, k in zip(pix, strides, sizes))
        rows.append(flat[window + (slice(0, chans),)].ravel())
    return np.array(rows), tuple(out) + (kernel.shape[-1],)


def _trace_layers(layers, model, x, fresh, shape):
    """Apply ``layers`` to the flat fixed-point array ``x`` of channels-last ``shape``. With ``fresh`` (a kif -> new
    input array), also cut the network into one ``CombLogic`` per weighted layer and the activations after it
    (returned as a dict).

    A convolution computes every output pixel at once (the kernel's product once per pixel); hls4ml's io_parallel
    DA convolution computes ``ParallelizationFactor`` pixels per clock with that many copies of it.
    """
    from da4ml.trace import comb_trace

    traced, omitted, per = [], [], {}
    group_in = group_name = None
    for idx, l in enumerate(layers):
        last = idx == len(layers) - 1
        act = (l.activation or "linear").lower() if l.layer_type in ("Activation", "Softmax") else None
        if l.layer_type == "Dense" or l.layer_type in _CONV:
            if fresh is not None:
                if group_name is not None:
                    per[group_name] = comb_trace(group_in, x)
                group_in, group_name = fresh(x.kif), l.name
                x = group_in
            kl = model.get_layer(l.keras_name)
            w, b = kl.get_weights()[0], (kl.get_weights()[1] if kl.use_bias else None)
            wq = _quantise_const(w, l.weight_precision or l.result_precision, f"{l.name} weights")
            if l.layer_type in _CONV:
                cols, shape = _im2col(shape, kl, l.name)
                x = x[cols] @ wq.reshape(-1, wq.shape[-1])
            else:
                x = x @ wq
                shape = (wq.shape[-1],)
            if b is not None:
                x = x + _quantise_const(b, l.bias_precision or l.result_precision, f"{l.name} bias")
            x = x.ravel()
        elif l.layer_type in _WIRING:
            shape = tuple(l.output_shape or shape)
            traced.append(l.name)
            continue
        elif act == "softmax" and last:
            omitted.append(l.name)
            continue
        elif l.layer_type == "Activation" and act in _ACTIVATIONS:
            if act == "relu":
                x = x.relu()
        else:
            raise InvalidSetting(
                f"layer {l.name!r} ({l.layer_type}{', ' + act if act else ''}): the open-synthesis path builds Dense, "
                "Conv1D/Conv2D and Flatten layers with ReLU/linear activations and a final softmax only")
        what = f"{l.name} result"
        x = x.quantize(*_kif(l.result_precision, what), **_modes(l.result_precision, what))
        traced.append(l.name)
    if fresh is not None and group_name is not None:
        per[group_name] = comb_trace(group_in, x)
    return x, traced, omitted, per


def _keras_owner(name: str, keras_names) -> str:
    """The Keras layer a Design layer comes from (hls4ml splits ``fc1``'s activation off as ``fc1_relu``)."""
    if name in keras_names:
        return name
    owner = max((k for k in keras_names if name.startswith(k + "_")), key=len, default=None)
    if owner is None:
        raise InvalidSetting(f"layer {name!r} of the Design has no Keras layer in the model (was the Design made "
                             "from this model?)")
    return owner


def quantised_model(trace: DATrace, model):
    """The Keras model the RTL computes: ``model`` cut after the last traced layer (a left-out softmax removed,
    also one inside a Dense), each Dense layer's weights and biases replaced by their quantised values.

    hls4ml's ``distributed_arithmetic`` pass takes the Keras weights as they are (it ignores the weight precision):
    converting this model instead of ``model`` makes hls4ml build the same logic as the RTL, so the two can be
    compared bit for bit.
    """
    import keras

    design = trace.design
    if design is None:
        raise InvalidSetting("this trace has no Design (an HGQ2 model): its quantisers already fix the weights")
    names = [ly.name for ly in model.layers]
    last = _keras_owner(trace.layers[-1], names)
    linearise = bool(trace.omitted) and _keras_owner(trace.omitted[0], names) == last

    def clone(layer):
        cfg = layer.get_config()
        if linearise and layer.name == last:
            cfg["activation"] = "linear"
        return layer.__class__.from_config(cfg)

    q = keras.models.clone_model(model, clone_function=clone)
    q.set_weights(model.get_weights())
    for spec in design.layers:
        if (spec.layer_type == "Dense" or spec.layer_type in _CONV) and spec.name in trace.layers:
            kl = q.get_layer(spec.keras_name)
            w = kl.get_weights()
            for prec in (spec.weight_precision, spec.bias_precision):
                if prec and _type(prec, spec.name).width > 24:
                    raise InvalidSetting(f"{spec.name}: {prec} is wider than float32's 24 significant bits; Keras "
                                         "weights could not hold its values exactly")
            w[0] = _quantise_const(w[0], spec.weight_precision or spec.result_precision, f"{spec.name} weights")
            if kl.use_bias:
                w[1] = _quantise_const(w[1], spec.bias_precision or spec.result_precision, f"{spec.name} bias")
            kl.set_weights([v.astype(np.float32) for v in w])  # exact: <= 24 significant bits
    return keras.Model(q.inputs, q.get_layer(last).output, name=f"{model.name}_da_rtl")


def trace_hgq(model, *, inputs_kif: tuple[int, int, int] | None = None) -> DATrace:
    """Trace an HGQ2 model (its quantisers decide every precision) with da4ml's own converter."""
    _check_da4ml()
    from da4ml.converter import trace_model
    from da4ml.trace import HWConfig, comb_trace

    t0 = time.monotonic()
    inp, out = trace_model(model, HWConfig(1, -1, -1), SOLVER_OPTIONS, inputs_kif=inputs_kif)
    return DATrace(comb=comb_trace(inp, out), layers=[ly.name for ly in model.layers],
                   seconds=time.monotonic() - t0)


def write_rtl(trace: DATrace, path, name: str = "model", *, latency_cutoff: float = -1,
              part: str = "xc7z020clg400-1", clock_ns: float = 10.0) -> RTLProject:
    """Write the Verilog project of ``trace`` to ``path`` (``src/``, ``sim/``, ``model/``, ``metadata.json``).

    ``latency_cutoff`` < 0 writes purely combinational logic (no registers: FF counts are then 0); a positive value
    pipelines it with that many adder delays per stage (da4ml's units), adding registers.
    """
    _check_da4ml()
    from da4ml.codegen import RTLModel

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    rtl = RTLModel(trace.comb, name, path, flavor="verilog", latency_cutoff=latency_cutoff, print_latency=False,
                   part_name=part, clock_period=clock_ns)
    rtl.write({"hlsnb_layers": trace.layers, "hlsnb_omitted": trace.omitted})
    (path / "hlsnb_trace.json").write_text(json.dumps({"layers": trace.layers, "omitted": trace.omitted,
                                                        "da4ml_lut": trace.da4ml_lut}))
    return RTLProject(path=path, name=name, trace=trace, model=rtl)
