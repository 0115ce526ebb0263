"""DepthwiseConv1D / DepthwiseConv2D: per output pixel, each channel's kernel on its own channel
(``depthwise_conv_2d_latency_cl``: ``filt_height x filt_width x n_chan`` products, ``n_chan`` sums of a kernel's
products), pipelined with II = ReuseFactor over the pixels; line buffers with io_stream; with io_parallel the
output pixels in partitions of ParallelizationFactor pixels, as Conv (``conv.parallel_partitions``).

hls4ml builds them with the Latency strategy only (Resource aborts the io_parallel C simulation and io_stream
builds it as Latency), so the product is the Latency matrix-vector product of ``_kernel`` with ``n_in`` = kernel
size and ``n_out`` = channels.
"""

from __future__ import annotations

from .._core import SRL_BITS_PER_LUT, Terms, layer_kind, not_estimated, prod, register
from .._kernel import matvec
from .conv import parallel_partitions, partition_factor


@register("depthwise")
def depthwise(inp, cal):
    lt = inp.layer_type
    if not inp.output_shape or not inp.kernel_size:
        return not_estimated(inp.name, lt, "a depthwise convolution needs output_shape and kernel_size")
    acc = Terms()
    k = prod(inp.kernel_size)
    in_shape, in_bits = inp.input_shape, inp.input_bits
    chans = int(in_shape[-1]) if in_shape else int(inp.output_shape[-1])
    out_px = prod(inp.output_shape[:-1])
    in_px = prod(in_shape[:-1]) if in_shape else out_px
    pf = partition_factor(inp, out_px)
    kernel = Terms()
    lat_k, ii_k = matvec(kernel, inp, cal, k, chans, inp.n_zeros,
                         what=f"one output pixel: {chans} channels x {k} taps", copies=pf)
    per_px = max(1, ii_k)
    if inp.io_type == "io_stream":
        acc.add_copies(kernel, 1, "")
        width_px = int(in_shape[-2]) if len(in_shape) >= 3 else 1
        kh = int(inp.kernel_size[0])
        if layer_kind(lt) == "DepthwiseConv2D" and kh > 1:
            acc.add("lut", (kh - 1) * width_px * chans * in_bits / SRL_BITS_PER_LUT,
                    f"line buffer: {kh - 1} image rows x {width_px} pixels x {chans} channels x {in_bits} bits in "
                    "shift-register LUTs", "modelled")
        acc.add("ff", k * chans * in_bits, f"sliding window registers ({k} x {chans} x {in_bits} bits)", "exact")
        acc.add("latency", in_px * per_px, f"io_stream: {in_px} input pixels, one every {per_px} cycle(s)",
                "modelled")
        lat = in_px * per_px + lat_k
    else:
        # the same partition loop as Conv (ParallelizationFactor, fill_buffer, output image written by index)
        lat = parallel_partitions(acc, inp, cal, kernel, pf, out_px, in_px * chans, k * chans, chans, per_px, lat_k)
    return acc.finish(inp, lat, lat)
