"""Pooling1D/2D and GlobalPooling1D/2D: a compare (max) or add (average) tree per output; line buffers with
io_stream.

hls4ml's stream kernels (``nnet_pooling_stream.h``, line-buffer implementation) run one input pixel per pipelined
iteration: the pixel goes into ``(pool_height - 1) x n_filt`` shift registers of ``in_width`` values and a
``pool_height x pool_width x n_filt`` window; when the window is full, the ``FiltLoop`` (a PIPELINE inside the
pipelined pixel loop, so unrolled) reduces every channel with ``pool - 1`` comparators (max) or adders and a divide
(average); four ``static int`` counters (pX, pY, sX, sY) say when. Global pooling keeps one running maximum or sum
per channel and updates it once per pixel.

Vivado HLS 2019-2020 (``stream_pool_pad`` = 1, fitted per tool by :mod:`hlsnb.calibration.pool_pad`) prices this
per *comparator*, not per bit (``pool_lut_cmp``, 62-69 LUT in every fold: the 16-bit rows of one repository and
the 32-bit rows of another agree), plus a per-layer control term (``pool_lut_ctrl``: the counters, the
window-ready test and the stream handshakes). With the switch off (Vitis HLS, whose few pooling rows do not pin a
model) the comparators are priced per bit as adders (``lut_add_per_bit``).
"""

from __future__ import annotations

import math

from .._core import SRL_BITS_PER_LUT, Terms, latency_depth, layer_kind, prod, register


def _ops(kind: str, inp, chans: int, n: int) -> tuple[int, int]:
    """(operations, outputs computed per iteration): the comparators (max) or adders (average) the hardware holds,
    and how many outputs one pipelined iteration (io_stream) or the layer (io_parallel) produces."""
    if "Global" in kind:
        if inp.io_type == "io_stream":
            # compute_global_pool: one running max / sum per channel, updated once per input pixel
            return chans, chans
        # io_parallel: every channel reduces its whole input at once
        pixels = max(1, prod(inp.input_shape[:-1])) if inp.input_shape else 1
        return chans * (pixels - 1), chans
    # as before the split into families: prod(()) is 1, so a missing kernel_size counts as a 1-wide pool
    outs = chans if inp.io_type == "io_stream" else (n or chans)  # stream: one output pixel per iteration
    return outs * (prod(inp.kernel_size) - 1), outs


@register("pooling")
def pooling(inp, C):
    kind = layer_kind(inp.layer_type)
    in_shape, out_shape, in_bits = inp.input_shape, inp.output_shape, inp.input_bits
    n = int(inp.n_out or inp.n_in or prod(out_shape) or 0)
    chans = int(out_shape[-1]) if out_shape else 1
    ops, outs = _ops(kind, inp, chans, n)
    op = inp.pool_op or "max"
    stream = inp.io_type == "io_stream"
    what = "comparators" if op == "max" else "adders"
    acc = Terms()
    if stream and C["stream_pool_pad"] >= 0.5 and op == "max":
        acc.add("lut", ops * C["pool_lut_cmp"],
                f"max pooling: {ops} compare-and-select of {in_bits} bits ({outs} channels x "
                f"{ops // max(outs, 1)}), priced per comparator as Vivado HLS reports them", "modelled")
    else:
        acc.add("lut", ops * in_bits * C["lut_add_per_bit"],
                f"{op} pooling: {ops} {what} of {in_bits} bits ({outs} outputs)", "modelled")
    if stream and C["stream_pool_pad"] >= 0.5:
        acc.add("lut", C["pool_lut_ctrl"], "pixel loop control: pX/pY/sX/sY counters (32-bit static ints), the "
                "window-ready test, stream handshakes", "modelled")
    levels = int(math.ceil(math.log2(max(2, ops // max(outs, 1) + 1))))  # the tree (or one op) per output
    lat = latency_depth(levels, False, inp.clock_ns, C, inp.part.family)
    if stream:
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
