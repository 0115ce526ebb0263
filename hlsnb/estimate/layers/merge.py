"""Merge (Add, Subtract, Average, Maximum, Minimum, Concatenate): one element-wise operation per value;
Multiply: one multiplier per value; Dot: the products of two vectors and their adder tree."""

from __future__ import annotations

import math

from .._core import Terms, dsp_per_product, latency_depth, layer_kind, mult_mapping, prod, register


@register("merge")
def merge(inp, C):
    n = int(inp.n_out or inp.n_in or prod(inp.output_shape) or 0)
    px = 1
    if inp.io_type == "io_stream" and len(inp.output_shape) > 1:
        # io_stream: hls4ml's merge kernels read one pixel of each input stream per cycle (n_chan values), so one
        # pixel's operators are built and reused over the pixels
        px = prod(inp.output_shape[:-1])
        n = int(inp.output_shape[-1])
    kind = layer_kind(inp.layer_type)
    if kind == "Dot":
        return _dot(inp, C)
    if not n:
        raise ValueError(f"layer {inp.name!r}: Merge needs n_out")
    acc = Terms()
    if kind == "Multiply":
        _products(acc, inp, C, n, "element-wise products")
        lat = latency_depth(0, True, inp.clock_ns, C, inp.part.family)
        acc.add("latency", max(1, lat), "one multiply stage", "modelled")
        return acc.finish(inp, max(1, lat), 1)
    acc.add("lut", n * inp.result_bits * C["lut_add_per_bit"], f"{n} element-wise {inp.result_bits}-bit operations"
            + (f" (one pixel per cycle over {px} pixels)" if px > 1 else ""), "modelled")
    if px > 1:
        acc.add("latency", px + 1, f"io_stream: {px} pixels, one per cycle", "exact")
        return acc.finish(inp, px + 1, px)
    acc.add("latency", 1, "one operation stage", "modelled")
    return acc.finish(inp, 1, 1)


def _products(acc: Terms, inp, C, n: int, what: str) -> None:
    """``n`` run-time products of two ``input_bits`` operands (nnet_merge.h: ``data1[i] * data2[i]``): both are
    data, so nothing folds; DSPs at or above the DSP threshold, LUT multipliers below."""
    b = inp.input_bits
    on_dsp, why = mult_mapping(inp.mult_impl, b, b)
    if on_dsp:
        acc.add("dsp", n * dsp_per_product(b, b, inp.part), f"{n} {what} on DSPs ({why})", "exact")
    else:
        acc.add("lut", n * b * b * C["lut_gmul_per_bitprod"], f"{n} {b}x{b}-bit {what} in LUTs ({why})", "modelled")
    acc.add("ff", n * inp.result_bits * 0.5, "product registers", "modelled")


def _dot(inp, C):
    n = int(inp.n_in or 0)
    if not n:
        raise ValueError(f"layer {inp.name!r}: Dot needs n_in (the vector length)")
    acc = Terms()
    _products(acc, inp, C, n, "products of the dot product")
    acc.add("lut", max(0, n - 1) * inp.accum_bits * C["lut_add_per_bit"],
            f"{max(0, n - 1)} {inp.accum_bits}-bit adders of the unrolled sum", "modelled")
    levels = int(math.ceil(math.log2(max(2, n))))
    lat = latency_depth(levels, True, inp.clock_ns, C, inp.part.family)
    acc.add("latency", lat, f"multiply and a {levels}-level adder tree", "modelled")
    return acc.finish(inp, lat, 1)
