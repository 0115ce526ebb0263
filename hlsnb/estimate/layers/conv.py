"""Conv1D / Conv2D: the matrix-vector product of one output pixel, repeated over the pixels; line buffers with
io_stream, im2col registers with io_parallel."""

from __future__ import annotations

from ...rules import PARALLELIZATION_IO_TYPE, check_parallelization_factor
from .._core import SRL_BITS_PER_LUT, Terms, layer_kind, mux_luts, not_estimated, prod, register
from .._kernel import matvec, stream_wrapper


@register("conv")
def conv(inp, cal):
    lt = inp.layer_type
    if not inp.n_in or not inp.n_out:
        raise ValueError(f"layer {inp.name!r}: {lt} needs n_in (channels x kernel) and n_out (filters)")
    if not inp.output_shape:
        return not_estimated(inp.name, lt, "convolution needs output_shape (pixels) to be estimated")
    acc = Terms()
    n_in, in_shape, in_bits = inp.n_in, inp.input_shape, inp.input_bits
    out_px = prod(inp.output_shape[:-1])
    in_px = prod(in_shape[:-1]) if in_shape else out_px
    pf = partition_factor(inp, out_px)
    kernel = Terms()
    lat_k, ii_k = matvec(kernel, inp, cal, n_in, inp.n_out, inp.n_zeros, what="one output pixel", copies=pf)
    chans = int(in_shape[-1]) if in_shape else max(1, n_in)
    kh = int(inp.kernel_size[0]) if inp.kernel_size else 1
    per_px = max(1, ii_k)
    if inp.io_type == "io_stream":
        acc.add_copies(kernel, 1, "")
        stream_wrapper(acc, inp, cal, conv=True)
        if inp.strategy == "Resource" and inp.reuse_factor > 1 and cal["res_px_c"] >= 0:
            # the per-pixel kernel of a Resource conv: its RF-long reuse loop plus res_px_c cycles (fitted per tool)
            per_px = inp.reuse_factor + int(round(cal["res_px_c"]))
        width_px = int(in_shape[-2]) if len(in_shape) >= 3 else 1
        if layer_kind(lt) == "Conv2D" and kh > 1:
            lb_bits = (kh - 1) * width_px * chans * in_bits
            acc.add("lut", lb_bits / SRL_BITS_PER_LUT,
                    f"line buffer: {kh - 1} image rows x {width_px} pixels x {chans} channels x {in_bits} bits "
                    "in shift-register LUTs", "modelled")
        acc.add("ff", n_in * in_bits, f"sliding window registers ({n_in} x {in_bits} bits)", "exact")
        lat = in_px * per_px + lat_k
        acc.add("latency", in_px * per_px, f"io_stream: {in_px} input pixels, one every {per_px} cycle(s)",
                "modelled")
    else:
        lat = parallel_partitions(acc, inp, cal, kernel, pf, out_px, in_px * chans, n_in, inp.n_out, per_px, lat_k)
    return acc.finish(inp, lat, lat)


def partition_factor(inp, out_px: int) -> int:
    """The ParallelizationFactor a convolution is built with: its own (checked as hls4ml 1.3 would take it, refused
    otherwise) under io_parallel, 1 under io_stream (no partitions there)."""
    if inp.io_type != PARALLELIZATION_IO_TYPE:
        return 1
    return check_parallelization_factor(inp.name, inp.parallelization_factor, out_px)


def parallel_partitions(acc: Terms, inp, cal, kernel: Terms, pf: int, out_px: int, in_values: int, window: int,
                        n_out: int, per_px: int, lat_k: int) -> int:
    """hls4ml 1.3's io_parallel convolution loop (``conv_*d_latency_cl``, ``depthwise_conv_*d_latency_cl``): the
    ``out_px`` output pixels in ``out_px / PF`` partitions of ParallelizationFactor pixels each, the per-pixel
    ``kernel`` (``window`` inputs, ``n_out`` results) copied PF times, one partition every ``per_px`` cycles; the
    ``in_values`` input values held for im2col, and with more than one partition the im2col selects and the output
    image registers. ``pf``: :func:`partition_factor`. Returns the latency."""
    acc.add_copies(kernel, pf, f"output pixels computed at once (ParallelizationFactor {pf})")
    in_bits = inp.input_bits
    parts = out_px // pf
    acc.add("latency", parts * per_px,
            f"io_parallel: {out_px} output pixels in {parts} partition{'s' * (parts > 1)} of {pf} (Parallelization"
            f"Factor {pf}), one partition every {per_px} cycle(s)", "modelled")
    acc.add("ff", in_values * in_bits * 0.5, "input image held in registers for im2col", "modelled")
    if parts > 1:
        # hls4ml's generated fill_buffer picks each window value of the partition out of the whole image, and
        # each partition's results are written into the output image by its index
        acc.add("lut", mux_luts(parts) * pf * window * in_bits * cal["lut_mux_scale"],
                f"im2col: each of {pf} x {window} window values ({in_bits} bits) selects 1 of {parts} image "
                "positions, one per partition", "modelled")
        out_bits = out_px * n_out * inp.result_bits
        acc.add("ff", out_bits, f"output image registers: {out_px} pixels x {n_out} x {inp.result_bits} "
                "bits, written one partition at a time", "modelled")
        acc.add("lut", out_bits * mux_luts(2) * cal["lut_mux_scale"], "output image write selects (keep or "
                "take the partition's result), one per output bit", "modelled")
    acc.warnings.append("io_parallel convolution: the im2col selects and output registers are modelled from "
                        "hls4ml's templates and checked on one Vitis HLS report (seanlipps/ECE226_CoDesign, "
                        "ParallelizationFactor 1); the pixel copies on older reports that compute every pixel "
                        "at once (Duchstf/L1BTag): treat it as rough")
    return parts * per_px + lat_k
