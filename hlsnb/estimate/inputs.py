"""The estimator's input: one frozen :class:`LayerInput` per layer, built in one place.

:func:`layer_input` turns keyword arguments (what :func:`hlsnb.estimate.estimate_layer` takes) into a validated,
normalised ``LayerInput``; :func:`design_inputs` does it for every layer of a :class:`hlsnb.design.Design` (the
precision a layer reads is its source layer's result precision, the part and clock are the design's). The layer
families read only ``LayerInput`` fields, so whatever builds one (a Design, keyword arguments, the pruning
objectives) gets the same numbers for the same layer. A ``LayerInput`` is hashable (its ``weights`` are left out
of equality and hash), which is what the estimate cache is keyed on.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

from ..errors import InvalidSetting
from ..rules import STRATEGIES, TOOLS, check_tool_version
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

__all__ = ["LayerInput", "layer_input", "design_inputs"]


@dataclass(frozen=True)
class LayerInput:
    """Every number the estimate of one layer depends on (normalised: no ``None`` where a default applies).

    ``layer_type``: hlsnb's layer type (a Keras class name such as ``ReLU`` is accepted too). ``n_in`` / ``n_out``:
    the matrix size hls4ml multiplies (Dense: features; Conv: channels x kernel, filters), element counts for other
    layers. Shapes exclude the batch dimension. ``strategy`` / ``reuse_factor``: hls4ml's Strategy and ReuseFactor.
    Bit widths in bits (``weight_int_bits``: integer bits of the weight type). ``part``: the FPGA part; ``clock_ns``:
    the clock period in ns. ``n_zeros``: zero weights. ``weights``: the kernel when known (not part of equality or
    hash: estimates with weights are not cached). ``mult_impl``: ``config_op mul -impl`` ("auto", "dsp", "fabric");
    ``tool``: "vivado_hls" or "vitis_hls"; ``tool_version``: its version ("2020.1"; the tool's default when not
    given: Vivado HLS 2020.1, Vitis HLS 2023.2). ``activation``: lower case, ``""`` for none.
    """

    layer_type: str
    name: str
    n_in: int | None = None
    n_out: int | None = None
    input_shape: tuple = ()
    output_shape: tuple = ()
    filters: int | None = None
    kernel_size: tuple = ()
    strides: tuple = ()
    padding: str | None = None
    pool_op: str | None = None
    activation: str = ""
    strategy: str = "Latency"
    reuse_factor: int = 1
    weight_bits: int = 16
    weight_int_bits: int = 6
    result_bits: int = 16
    accum_bits: int = 16
    input_bits: int = 16
    io_type: str = "io_parallel"
    part: Part = field(default_factory=lambda: resolve_part(None))
    clock_ns: float = 10.0
    n_zeros: int = 0
    weights: Any = field(default=None, compare=False, repr=False)
    mult_impl: str = "auto"
    tool: str = "vivado_hls"
    tool_version: str = "2020.1"

    def as_kwargs(self) -> dict:
        """The keyword arguments of :func:`hlsnb.estimate.estimate_layer` that give this input back."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _activation(value, layer: str) -> str:
    if value is not None and not isinstance(value, str):
        raise TypeError(f"layer {layer!r}: activation must be a string, got {value!r}")
    return (value or "").lower()


def layer_input(layer_type: str, n_in=None, n_out=None, *, name=None, input_shape=None, output_shape=None,
                filters=None, kernel_size=None, strides=None, padding=None, pool_op=None, activation=None,
                strategy="Latency", reuse_factor=1, weight_bits=16, weight_int_bits=6, result_bits=16,
                accum_bits=None, input_bits=None, io_type="io_parallel", part="pynq-z2", clock_ns=None,
                sparsity=0.0, n_zeros=None, weights=None, mult_impl="auto", tool="vivado_hls",
                tool_version=None) -> LayerInput:
    """Validate and normalise the arguments of :func:`hlsnb.estimate.estimate_layer` into a :class:`LayerInput`.

    Defaults (for ``None``): 16-bit result, input and accumulator = result width, weights 16 bits with 6 integer
    bits, the PYNQ-Z2's part, a 10 ns clock; ``sparsity`` (a fraction) gives ``n_zeros`` when no count is given.
    Every value is checked first (:mod:`hlsnb.estimate._validate`; ``docs/errors.md``, "Estimator"): sizes and
    shapes positive integers, bit widths 1 to 1024, the clock 0.5 to 1000 ns (0 is refused, not replaced), sparsity
    in [0, 1], ``n_zeros`` within the kernel, the ReuseFactor one hls4ml builds for the strategy, weights of the
    kernel's size and finite. Raises ``InvalidSetting`` (a ``ValueError``) or ``TypeError`` naming the layer, the
    field, the value and what is valid.
    """
    name = name or layer_type
    if not isinstance(name, str):
        raise TypeError(f"layer name must be a string, got {name!r}")
    if not isinstance(layer_type, str) or not layer_type:
        raise TypeError(f"layer {name!r}: layer_type must be a non-empty string, got {layer_type!r}")
    strategy = strategy or "Latency"
    rf = as_count(reuse_factor, "reuse_factor", name) if reuse_factor is not None else 1
    res_bits = as_bits(result_bits, "result_bits", name) if result_bits is not None else 16
    io_type = io_type or "io_parallel"
    if io_type not in IO_TYPES:
        raise InvalidSetting(f"layer {name!r}: io_type {io_type!r} is not valid; valid: io_parallel, io_stream")
    mult_impl = mult_impl or "auto"
    if mult_impl not in MULT_IMPLS:
        raise InvalidSetting(f"layer {name!r}: mult_impl {mult_impl!r} is not valid; valid: auto, dsp, fabric")
    tool = tool or "vivado_hls"
    if tool not in TOOLS:
        raise InvalidSetting(f"layer {name!r}: tool {tool!r} is not valid; valid: vivado_hls, vitis_hls")
    tool_version = check_tool_version(tool, tool_version, f"layer {name!r}")
    if strategy not in STRATEGIES:
        raise InvalidSetting(f"layer {name!r}: strategy {strategy!r} is not valid; valid: Latency, Resource, "
                             "Resource_Unrolled, distributed_arithmetic")
    n_in = as_count(n_in, "n_in", name) if n_in is not None else None
    n_out = as_count(n_out, "n_out", name) if n_out is not None else None
    zeros = as_count(n_zeros, "n_zeros", name, 0) if n_zeros is not None else 0
    frac = as_fraction(sparsity, "sparsity", name) if n_zeros is None and sparsity is not None else 0.0
    if isinstance(part, (str, Part)) or part is None:
        try:
            part = resolve_part(part)
        except ValueError as e:
            raise InvalidSetting(f"layer {name!r}: part {part!r}: {e}") from None
    else:
        raise TypeError(f"layer {name!r}: part must be a board or part name or a hlsnb.targets.Part, got {part!r}")
    inp = LayerInput(
        layer_type=layer_type, name=name, n_in=n_in, n_out=n_out,
        input_shape=as_shape(input_shape, "input_shape", name),
        output_shape=as_shape(output_shape, "output_shape", name),
        filters=as_count(filters, "filters", name) if filters is not None else None,
        kernel_size=as_shape(kernel_size, "kernel_size", name), strides=as_shape(strides, "strides", name),
        padding=padding, pool_op=pool_op, activation=_activation(activation, name), strategy=strategy,
        reuse_factor=rf,
        weight_bits=as_bits(weight_bits, "weight_bits", name) if weight_bits is not None else 16,
        weight_int_bits=(as_count(weight_int_bits, "weight_int_bits", name, -MAX_BITS, MAX_BITS)
                         if weight_int_bits is not None else 6),
        result_bits=res_bits,
        accum_bits=as_bits(accum_bits, "accum_bits", name) if accum_bits is not None else res_bits,
        input_bits=as_bits(input_bits, "input_bits", name) if input_bits is not None else res_bits,
        io_type=io_type, part=part,
        clock_ns=check_clock(clock_ns, f"layer {name!r}") if clock_ns is not None else 10.0,
        n_zeros=zeros, weights=weights, mult_impl=mult_impl, tool=tool, tool_version=tool_version)
    if frac:  # a fraction of the kernel's weights (a depthwise kernel is smaller than n_in x n_out)
        inp = replace(inp, n_zeros=int(round(frac * (kernel_weight_count(inp) or 0))))
    check_input(inp)
    return inp


def design_inputs(design) -> list[tuple]:
    """``(layer, LayerInput)`` for every layer of ``design``, in order.

    The one place that turns a Design's layers into estimator inputs: a layer's input width is the result precision
    of the layer it reads (``inputs[0]``, else the one before; the design's input precision for the first);
    ``"auto"`` or missing precisions count as 16 bits. Layers without multipliers get Latency, ReuseFactor 1 and no
    weights. A layer may carry ``mult_impl`` (``config_op mul -impl``; the calibration's report rows do), else
    "auto". Reads only the public Design API (layers, part, clock_ns, io_type, tool, tool_version, input_precision).
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
        except (TypeError, ValueError) as e:  # a precision the Design should have refused: name the layer
            raise InvalidSetting(f"layer {l.name!r}: a precision is not valid: {e}") from None
        mult = l.is_mult_layer
        out.append((l, layer_input(
            l.layer_type, l.n_in, l.n_out, name=l.name, input_shape=l.input_shape, output_shape=l.output_shape,
            filters=l.filters, kernel_size=l.kernel_size, strides=l.strides, padding=l.padding, pool_op=l.pool_op,
            activation=l.activation, strategy=l.strategy if mult else "Latency",
            reuse_factor=l.reuse_factor if mult else 1, weight_bits=w_bits, weight_int_bits=w_int,
            result_bits=res_bits, accum_bits=acc_bits, input_bits=in_bits, io_type=io, part=part, clock_ns=clock,
            n_zeros=l.n_zeros if mult else None, weights=l.weights if mult else None, tool=tool,
            tool_version=tool_version, mult_impl=getattr(l, "mult_impl", None) or "auto")))
    return out
