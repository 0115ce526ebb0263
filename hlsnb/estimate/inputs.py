"""The estimator's input: one frozen :class:`LayerInput` per layer, declared once.

The fields of :class:`LayerInput` are the one declaration of what an estimate depends on. Each carries its
keyword default and its check (``metadata``); from that list come the keyword API (:func:`layer_input`,
:func:`hlsnb.estimate.estimate_layer`, whose signatures are generated from it), the Design adapter
(:func:`design_inputs` fills a dict that :func:`check_fields` holds to the list) and the calibration rows
(:mod:`hlsnb.calibration.rows` checks each row's keyword arguments with :func:`check_fields`). A new setting that
changes an estimate is one field here plus its model in a layer family (and, if the Design carries it, one line in
:func:`design_inputs`).

The layer families read only ``LayerInput`` fields, so whatever builds one (a Design, keyword arguments, the pruning
objectives) gets the same numbers for the same layer. A ``LayerInput`` is hashable (its ``weights`` are left out
of equality and hash), which is what the estimate cache is keyed on.
"""

from __future__ import annotations

import inspect
import json
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from typing import Any

import numpy as np

from ..errors import InvalidSetting
from ..precision import ROUNDING_MODES, SATURATION_MODES
from ..rules import STRATEGIES, TOOLS, check_tool_version, takes_reuse_factor
from ..targets import Part
from ._core import bits, resolve_part
from ._validate import (
    IO_TYPES,
    MAX_BITS,
    MULT_IMPLS,
    as_bits,
    as_count,
    as_fraction,
    as_shape,
    check_clock,
    check_input,
    kernel_weight_count,
)

__all__ = ["LayerInput", "layer_input", "design_inputs", "INPUT_FIELDS", "KEYWORD_ONLY", "check_fields"]

_DERIVED = object()  # keyword default "derived from other fields" (documented per field)


def _f(default, doc: str, kw=_DERIVED, check=None, **extra):
    """One input field: its ``LayerInput`` default, its keyword default (``_DERIVED``: same as ``default``), the
    function that checks and normalises a keyword value (``check(value, layer) -> value``) and what it means."""
    meta = {"doc": doc, "kw": default if kw is _DERIVED else kw, "check": check}
    return field(default=default, metadata=meta, **extra)


def _opt(fn):
    """A check that lets ``None`` through (the field's default then applies)."""
    return lambda v, layer, _f=fn: None if v is None else _f(v, layer)


def _choice(name: str, valid, default: str):
    def check(v, layer):
        v = v or default
        if v not in valid:
            raise InvalidSetting(f"layer {layer!r}: {name} {v!r} is not valid; valid: {', '.join(valid)}")
        return v
    return check


def _mode(name: str, valid, default: str):
    def check(v, layer):
        if v is None:
            return default
        if not isinstance(v, str):
            raise TypeError(f"layer {layer!r}: {name} must be a string such as {default!r}, got {v!r}")
        m = v.upper() if v.upper().startswith("AP_") else "AP_" + v.upper()
        if m not in valid:
            raise InvalidSetting(f"layer {layer!r}: {name} {v!r} is not valid; valid: {', '.join(valid)}")
        return m
    return check


def _str_or_none(name):
    def check(v, layer):
        if v is not None and not isinstance(v, str):
            raise TypeError(f"layer {layer!r}: {name} must be a string or None, got {v!r}")
        return v
    return check


def _activation(value, layer: str) -> str:
    if value is not None and not isinstance(value, str):
        raise TypeError(f"layer {layer!r}: activation must be a string, got {value!r}")
    return (value or "").lower()


def _part(value, layer: str) -> Part:
    if isinstance(value, Part):
        return value
    if isinstance(value, str) or value is None:
        try:
            return resolve_part(value)
        except ValueError as e:
            raise InvalidSetting(f"layer {layer!r}: part {value!r}: {e}") from None
    raise TypeError(f"layer {layer!r}: part must be a board or part name or a hlsnb.targets.Part, got {value!r}")


def _shape(name):
    return lambda v, layer: as_shape(v, name, layer)


def _count(name, lo=1, hi=None):
    if hi is None:
        return _opt(lambda v, layer: as_count(v, name, layer, lo))
    return _opt(lambda v, layer: as_count(v, name, layer, lo, hi))


def _bits(name):
    return _opt(lambda v, layer: as_bits(v, name, layer))


def _flag(name):
    def check(v, layer):
        if not isinstance(v, (bool, np.bool_)):
            raise InvalidSetting(f"layer {layer!r}: {name} must be True or False, got {v!r}")
        return bool(v)
    return _opt(check)


@dataclass(frozen=True)
class LayerInput:
    """Every number the estimate of one layer depends on (normalised: no ``None`` where a default applies).

    The fields, with their meaning, keyword defaults and checks, are the one list of the estimator's inputs
    (:data:`INPUT_FIELDS`; ``docs/estimator.md``, "Inputs"). Shapes exclude the batch dimension; bit widths in bits.
    ``weights``: the kernel when known (not part of equality or hash: estimates with weights are not cached).
    """

    layer_type: str = _f("", "hlsnb's layer type (a Keras class name such as ReLU is accepted too)")
    name: str = _f("", "the layer's name (default: its type)", kw=None)
    n_in: int | None = _f(None, "matrix inputs hls4ml multiplies (Dense: features; Conv: channels x kernel); "
                          "element count for other layers", check=_count("n_in"))
    n_out: int | None = _f(None, "matrix outputs (Dense: units; Conv: filters); element count for other layers",
                           check=_count("n_out"))
    input_shape: tuple = _f((), "input shape", kw=None, check=_shape("input_shape"))
    output_shape: tuple = _f((), "output shape", kw=None, check=_shape("output_shape"))
    filters: int | None = _f(None, "convolution filters", check=_count("filters"))
    kernel_size: tuple = _f((), "convolution / pooling kernel", kw=None, check=_shape("kernel_size"))
    strides: tuple = _f((), "strides", kw=None, check=_shape("strides"))
    padding: str | None = _f(None, "'valid' or 'same'", check=_str_or_none("padding"))
    pool_op: str | None = _f(None, "'max' or 'average'", check=_str_or_none("pool_op"))
    activation: str = _f("", "activation name, lower case ('' for none)", kw=None, check=_activation)
    strategy: str = _f("Latency", "hls4ml's Strategy", check=_choice("strategy", STRATEGIES, "Latency"))
    reuse_factor: int = _f(1, "hls4ml's ReuseFactor", check=lambda v, layer: 1 if v is None else
                           as_count(v, "reuse_factor", layer))
    weight_bits: int = _f(16, "weight type width", check=_bits("weight_bits"))
    weight_int_bits: int = _f(6, "weight type integer bits (sign included)",
                              check=_count("weight_int_bits", -MAX_BITS, MAX_BITS))
    result_bits: int = _f(16, "result type width", check=_bits("result_bits"))
    result_rounding: str = _f("AP_TRN", "rounding mode of the result type (AP_RND_CONV for QKeras' quantized_relu): "
                              "rounding a narrower result costs an adder", check=_mode("result_rounding",
                                                                                        ROUNDING_MODES, "AP_TRN"))
    result_saturation: str = _f("AP_WRAP", "saturation mode of the result type (AP_SAT for quantized_relu): "
                                "saturating costs a range compare and select",
                                check=_mode("result_saturation", SATURATION_MODES, "AP_WRAP"))
    accum_bits: int = _f(16, "accumulator width (keyword default: the result width)", kw=None,
                         check=_bits("accum_bits"))
    accum_rounding: str = _f("AP_TRN", "rounding mode of the accumulator type: a rounding accum_t rounds every "
                             "product it takes", check=_mode("accum_rounding", ROUNDING_MODES, "AP_TRN"))
    accum_saturation: str = _f("AP_WRAP", "saturation mode of the accumulator type: a saturating accum_t saturates "
                               "every product and every partial sum", check=_mode("accum_saturation",
                                                                                   SATURATION_MODES, "AP_WRAP"))
    input_bits: int = _f(16, "width of the type the layer reads: the previous layer's result type (keyword "
                         "default: the result width)", kw=None, check=_bits("input_bits"))
    io_type: str = _f("io_parallel", "io_parallel or io_stream", check=_choice("io_type", IO_TYPES, "io_parallel"))
    part: Part = _f(None, "board or part name, or a hlsnb.targets.Part (default: the PYNQ-Z2's)", kw="pynq-z2",
                    check=_part)
    clock_ns: float = _f(10.0, "clock period in ns, 0.5 to 1000", kw=None,
                         check=_opt(lambda v, layer: check_clock(v, f"layer {layer!r}")))
    n_zeros: int = _f(0, "zero weights (keyword default: from ``sparsity``)", kw=None,
                      check=_count("n_zeros", 0))
    weights: Any = _f(None, "the kernel when known: zeros, powers of two and few-digit constants counted exactly",
                      compare=False, repr=False)
    mult_impl: str = _f("auto", "config_op mul -impl: auto, dsp or fabric",
                        check=_choice("mult_impl", MULT_IMPLS, "auto"))
    result_signed: bool = _f(True, "the result type is signed (ap_fixed; False: ap_ufixed): a ReLU's always-zero "
                             "sign bit is not registered", check=_flag("result_signed"))
    dataflow: bool = _f(False, "the layer is a process of a DATAFLOW top function (hls4ml's pipeline style: io_stream, "
                        "an io_parallel convolution or a Resource layer): its io_parallel outputs are registered",
                        check=_flag("dataflow"))
    parallelization_factor: int = _f(1, "output pixels an io_parallel convolution computes at once (hls4ml's "
                                     "ParallelizationFactor; 1: one pixel after another)",
                                     check=_count("parallelization_factor", 1))
    tool: str = _f("vivado_hls", "vivado_hls or vitis_hls", check=_choice("tool", TOOLS, "vivado_hls"))
    tool_version: str = _f("2020.1", "the tool's version (default: Vivado HLS 2020.1, Vitis HLS 2023.2)", kw=None)

    def __post_init__(self):
        if self.part is None:  # the dataclass default: the PYNQ-Z2's part (resolved once, cached)
            object.__setattr__(self, "part", resolve_part(None))

    def as_kwargs(self) -> dict:
        """The keyword arguments of :func:`hlsnb.estimate.estimate_layer` that give this input back."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


#: The estimator's inputs, in order: ``(name, keyword default, what it means)`` (generated from LayerInput).
INPUT_FIELDS = tuple((f.name, f.metadata["kw"], f.metadata["doc"]) for f in fields(LayerInput))
_NAMES = frozenset(f.name for f in fields(LayerInput))
#: (name, keyword default, check, LayerInput default) of the fields :func:`layer_input` checks, in order.
_CHECKS = tuple((f.name, f.metadata["kw"], f.metadata["check"], f.default) for f in fields(LayerInput)
                if f.name not in ("layer_type", "name"))
#: Keyword arguments :func:`layer_input` takes that are not fields: ``sparsity`` (a fraction, gives ``n_zeros``).
KEYWORD_ONLY = ("sparsity",)


def check_fields(kwargs: dict, where: str) -> dict:
    """``kwargs`` if every key is an estimator input (or ``sparsity``), else ``TypeError`` naming the unknown ones:
    the Design adapter and the calibration rows are held to the one field list so."""
    unknown = set(kwargs) - _NAMES - set(KEYWORD_ONLY)
    if unknown:
        raise TypeError(f"{where}: unknown estimator input(s) {', '.join(sorted(unknown))}; valid: "
                        f"{', '.join(f.name for f in fields(LayerInput))}, {', '.join(KEYWORD_ONLY)}")
    return kwargs


def layer_input(layer_type: str, n_in=None, n_out=None, **kw) -> LayerInput:
    """Validate and normalise the arguments of :func:`hlsnb.estimate.estimate_layer` into a :class:`LayerInput`.

    Keyword arguments: the fields of :class:`LayerInput` (see :data:`INPUT_FIELDS`) and ``sparsity``. Defaults (for
    ``None``): 16-bit result, input and accumulator = result width, weights 16 bits with 6 integer bits, truncating
    and wrapping result types, the PYNQ-Z2's part, a 10 ns clock; ``sparsity`` (a fraction) or ``weights`` (their
    zeros) give ``n_zeros`` when no count is given. Every value is checked first (``docs/errors.md``,
    "Estimator"): sizes and shapes positive integers, bit widths 1 to 1024, the clock 0.5 to 1000 ns (0 is refused,
    not replaced), sparsity in [0, 1], ``n_zeros`` within the kernel, the ReuseFactor one hls4ml builds for the
    strategy, weights of the kernel's size and finite. Raises ``InvalidSetting`` (a ``ValueError``) or ``TypeError``
    naming the layer, the field, the value and what is valid.
    """
    check_fields(kw, f"layer {kw.get('name') or layer_type!r}")
    name = kw.get("name") or layer_type
    if not isinstance(name, str):
        raise TypeError(f"layer name must be a string, got {name!r}")
    if not isinstance(layer_type, str) or not layer_type:
        raise TypeError(f"layer {name!r}: layer_type must be a non-empty string, got {layer_type!r}")
    kw = dict(kw, n_in=n_in, n_out=n_out)
    values = {"layer_type": layer_type, "name": name}
    for fname, kw_default, check, default in _CHECKS:
        v = kw.get(fname, kw_default)
        if check is not None:
            v = check(v, name)
        if v is not None or default is None:
            values[fname] = v
    tool = values["tool"]
    values["tool_version"] = check_tool_version(tool, kw.get("tool_version"), f"layer {name!r}")
    res = values.get("result_bits", 16)
    values.setdefault("accum_bits", res)
    values.setdefault("input_bits", res)
    values.setdefault("clock_ns", 10.0)
    sparsity = kw.get("sparsity", 0.0)
    frac = as_fraction(sparsity, "sparsity", name) if kw.get("n_zeros") is None and sparsity is not None else 0.0
    values.setdefault("n_zeros", 0)
    w = values.get("weights")
    if w is not None and kw.get("n_zeros") is None and not frac:
        try:  # the kernel is given: its zeros are counted (checked for shape and values by check_input below)
            values["n_zeros"] = int(np.count_nonzero(np.asarray(w, dtype=np.float64) == 0))
        except (TypeError, ValueError):
            pass
    inp = LayerInput(**values)
    if frac:  # a fraction of the kernel's weights (a depthwise kernel is smaller than n_in x n_out)
        inp = replace(inp, n_zeros=int(round(frac * (kernel_weight_count(inp) or 0))))
    check_input(inp)
    return inp


def _keyword_signature(extra=()) -> inspect.Signature:
    P = inspect.Parameter
    params = [P("layer_type", P.POSITIONAL_OR_KEYWORD, annotation=str),
              P("n_in", P.POSITIONAL_OR_KEYWORD, default=None), P("n_out", P.POSITIONAL_OR_KEYWORD, default=None)]
    for f in fields(LayerInput):
        if f.name in ("layer_type", "n_in", "n_out"):
            continue
        params.append(P(f.name, P.KEYWORD_ONLY, default=f.metadata["kw"]))
        if f.name == "clock_ns":
            params.append(P("sparsity", P.KEYWORD_ONLY, default=0.0))
    params += [P(n, P.KEYWORD_ONLY, default=d) for n, d in extra]
    return inspect.Signature(params)


layer_input.__signature__ = _keyword_signature()


def design_inputs(design) -> list[tuple]:
    """``(layer, LayerInput)`` for every layer of ``design``, in order.

    The one place that turns a Design's layers into estimator inputs: a layer's input width is the result precision
    of the layer it reads (``inputs[0]``, else the one before; the design's input precision for the first);
    ``"auto"`` or missing precisions count as 16 bits; the result and accumulator types' rounding and saturation
    modes are read from their precision strings. Layers without multipliers get Latency, ReuseFactor 1 and no
    weights. A layer may carry ``mult_impl`` (``config_op mul -impl``; the calibration's report rows do), else
    "auto". Reads only the public Design API (layers, part, clock_ns, io_type, tool, tool_version,
    input_precision).
    """
    part: Part = design.part
    if not isinstance(part, Part):
        raise TypeError(f"design: part must be a hlsnb.targets.Part, got {part!r}")
    clock = check_clock(design.clock_ns, "design")
    io = design.io_type
    tool = getattr(design, "tool", "vivado_hls")
    tool_version = getattr(design, "tool_version", None)
    layers = design.layers
    by_name = {l.name: l for l in layers}
    from ._design import top_style  # the design's pipeline style (hls4ml's VivadoPipelineStyle pass)

    dataflow = top_style(design)[0] == "dataflow"
    in_prec = getattr(design, "input_precision", None)
    out = []
    for i, l in enumerate(layers):
        src = by_name.get(l.inputs[0]) if getattr(l, "inputs", None) else (layers[i - 1] if i else None)
        src_prec = src.result_precision if src is not None else in_prec
        try:
            res_bits, _ = bits(l.result_precision, 16)
            in_bits, _ = bits(src_prec, res_bits)
            # a layer without a weight type is costed as ap_fixed<16,6>; "auto" counts 16 bits, all integer
            w_bits, w_int = bits(l.weight_precision, 16) if l.weight_precision else (16, 6)
            acc_bits, _ = bits(l.accum_precision, res_bits)
            modes = _modes(l.result_precision) if l.result_precision not in (None, "auto") else (None, None, None)
            acc_modes = _modes(l.accum_precision) if l.accum_precision not in (None, "auto") else (None, None, None)
        except (TypeError, ValueError) as e:  # a precision the Design should have refused: name the layer
            raise InvalidSetting(f"layer {l.name!r}: a precision is not valid: {e}") from None
        mult = l.is_mult_layer
        kw = check_fields(dict(
            name=l.name, input_shape=_stream_input_shape(l, src, by_name) if io == "io_stream" else l.input_shape,
            output_shape=l.output_shape, filters=l.filters,
            kernel_size=l.kernel_size, strides=l.strides, padding=l.padding, pool_op=l.pool_op,
            activation=l.activation, strategy=l.strategy if mult else "Latency",
            reuse_factor=l.reuse_factor if mult or takes_reuse_factor(l.layer_type, io) else 1,  # io_stream softmax
            weight_bits=w_bits, weight_int_bits=w_int, result_bits=res_bits, result_rounding=modes[0],
            result_saturation=modes[1], accum_bits=acc_bits, accum_rounding=acc_modes[0],
            accum_saturation=acc_modes[1], input_bits=in_bits,
            io_type=io, part=part, clock_ns=clock, n_zeros=l.n_zeros if mult else None,
            weights=l.weights if mult else None, tool=tool, tool_version=tool_version,
            mult_impl=getattr(l, "mult_impl", None) or "auto", dataflow=dataflow,
            result_signed=modes[2],
            parallelization_factor=_parallelization_factor(l) if mult else None), "design_inputs")
        if kw["weights"] is None:  # the same layer in the same design: one check, then a lookup
            try:
                out.append((l, _design_layer_input(l.layer_type, l.n_in, l.n_out, tuple(kw.items()))))
                continue
            except TypeError:  # an unhashable value: the uncached path names it
                pass
        out.append((l, layer_input(l.layer_type, l.n_in, l.n_out, **kw)))
    return out


def _stream_input_shape(layer, src, by_name: dict):
    """The input shape an io_stream layer reads word by word: a Dense after a Flatten reads the stream of the layer
    before the Flatten, words of its channels (hls4ml's ``ReshapeStream`` repacks every Reshape but a 1-D one: a
    Flatten leaves the stream as it is), so its ``n_in`` inputs arrive as ``(n_in / channels, channels)``; any other
    layer, its own input shape."""
    shape = tuple(getattr(layer, "input_shape", None) or ())
    if layer.layer_type != "Dense" or len(shape) != 1:
        return layer.input_shape
    seen = 0
    while src is not None and src.layer_type == "Reshape" and len(tuple(src.output_shape or ())) == 1 and seen < 64:
        ins = getattr(src, "inputs", None)
        src, seen = (by_name.get(ins[0]) if ins else None), seen + 1
    out = tuple(getattr(src, "output_shape", None) or ()) if src is not None else ()
    chans = int(out[-1]) if len(out) > 1 else 0
    n = int(shape[0])
    return (n // chans, chans) if 0 < chans < n and n % chans == 0 else layer.input_shape


def _parallelization_factor(layer):
    """The ParallelizationFactor a design's layer carries among its hls4ml keys (``hls4ml_extra``), or None."""
    text = getattr(layer, "hls4ml_extra", None)
    return _extra_pf(text) if text else None


@lru_cache(maxsize=1024)
def _extra_pf(text: str):
    return json.loads(text).get("ParallelizationFactor")


@lru_cache(maxsize=4096)
def _design_layer_input(layer_type, n_in, n_out, items: tuple) -> LayerInput:
    return layer_input(layer_type, n_in, n_out, **dict(items))


@lru_cache(maxsize=1024)
def _modes(prec: str):
    """(rounding, saturation, signed) of a precision string (parsed once per string)."""
    from ..precision import parse_precision

    t = parse_precision(prec)
    return t.rounding, t.saturation, t.signed
