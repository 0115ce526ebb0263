"""Pooling1D/2D and GlobalPooling1D/2D: a compare (max) or add (average) tree per output; line buffers with
io_stream."""

from __future__ import annotations

import math

from .._core import SRL_BITS_PER_LUT, Terms, latency_depth, layer_kind, prod, register


@register("pooling")
def pooling(inp, C):
    kind = layer_kind(inp.layer_type)
    in_shape, out_shape, in_bits = inp.input_shape, inp.output_shape, inp.input_bits
    n = int(inp.n_out or inp.n_in or prod(out_shape) or 0)
    # as before the split into families: prod(()) is 1, so a missing kernel_size counts as a 1-wide pool
    pool = prod(inp.kernel_size) or (max(1, prod(in_shape[:-1])) if "Global" in kind else 2)
    chans = int(out_shape[-1]) if out_shape else 1
    outs = n or chans
    if inp.io_type == "io_stream":
        outs = chans  # hls4ml's stream kernel computes one output pixel (n_chan values) per iteration
    op = inp.pool_op or "max"
    acc = Terms()
    acc.add("lut", outs * (pool - 1) * in_bits * C["lut_add_per_bit"],
            f"{op} pooling: {outs} outputs x {pool - 1} {'comparators' if op == 'max' else 'adders'} of "
            f"{in_bits} bits", "modelled")
    levels = int(math.ceil(math.log2(max(2, pool))))
    lat = latency_depth(levels, False, inp.clock_ns, C)
    if inp.io_type == "io_stream":
        in_px = prod(in_shape[:-1]) if in_shape else outs
        width_px = int(in_shape[-2]) if len(in_shape) >= 3 else 1
        kh = int(inp.kernel_size[0]) if inp.kernel_size else 1
        if kind == "Pooling2D" and kh > 1:
            lb_bits = (kh - 1) * width_px * chans * in_bits
            if C["pool_lb_ff"] >= 0.5:
                # Vivado HLS 2019-2020 keeps the line buffer and the pooling window in registers (26x26x4, 4x4
                # pool, 16 bits: 3x26x4x16 + 16x4x16 = 6016 bits; the report has 4979 FF)
                win_bits = prod(inp.kernel_size) * chans * in_bits
                acc.add("ff", lb_bits + win_bits, f"line buffer ({kh - 1} rows x {width_px} pixels x {chans} "
                        f"channels x {in_bits} bits) and pooling window ({prod(inp.kernel_size)} x {chans} x "
                        f"{in_bits} bits) in registers", "modelled")
            else:
                acc.add("lut", lb_bits / SRL_BITS_PER_LUT, "line buffer in shift-register LUTs", "modelled")
        acc.add("latency", in_px, f"io_stream: {in_px} input pixels, one per cycle", "exact")
        return acc.finish(inp, lat + in_px, in_px + 1)
    acc.add("latency", lat, f"{levels}-level compare/add tree", "modelled")
    return acc.finish(inp, lat, 1)
