"""Conv1D / Conv2D: the matrix-vector product of one output pixel, repeated over the pixels; line buffers with
io_stream, im2col registers with io_parallel."""

from __future__ import annotations

from .._core import SRL_BITS_PER_LUT, Terms, layer_kind, not_estimated, prod, register
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
    lat_k, ii_k = matvec(acc, inp, cal, n_in, inp.n_out, inp.n_zeros, what="one output pixel")
    chans = int(in_shape[-1]) if in_shape else max(1, n_in)
    kh = int(inp.kernel_size[0]) if inp.kernel_size else 1
    per_px = max(1, ii_k)
    if inp.io_type == "io_stream":
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
        lat = out_px * per_px + lat_k
        acc.add("latency", out_px * per_px,
                f"io_parallel: {out_px} output pixels computed one after another (ParallelizationFactor 1)",
                "modelled")
        acc.add("ff", (in_px * chans * in_bits) * 0.5, "input image held in registers for im2col", "modelled")
        acc.warnings.append("io_parallel convolution: modelled as hls4ml >= 0.8 builds it (output pixels one after "
                            "another); the only reports of such layers (Duchstf/L1BTag, an older hls4ml that unrolls "
                            "every pixel) are up to 12x this LUT estimate: treat it as rough")
    return acc.finish(inp, lat, lat)
