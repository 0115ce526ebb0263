"""UpSampling1D/2D (hls4ml's Resize, nearest neighbour) and Cropping1D/2D: wiring with io_parallel (the output
array is the input's elements, repeated or cut); with io_stream a pixel loop that copies pixels
(``nnet_image_stream.h`` keeps one input row to repeat it; ``nnet_cropping_stream.h`` reads and drops)."""

from __future__ import annotations

from .._core import Terms, layer_kind, prod, register
from .wiring import wiring


@register("resize")
def resize(inp, cal):
    if inp.io_type == "io_parallel":
        return wiring(inp, cal)
    in_shape, out_shape = inp.input_shape, inp.output_shape
    if not in_shape or not out_shape:
        raise ValueError(f"layer {inp.name!r}: {inp.layer_type} needs input_shape and output_shape")
    chans = int(out_shape[-1])
    in_px, out_px = prod(in_shape[:-1]), prod(out_shape[:-1])
    acc = Terms()
    acc.add("lut", 30 + chans * inp.result_bits * 0.5, "stream control and output select", "modelled")
    acc.add("ff", 30, "pixel counters", "modelled")
    if layer_kind(inp.layer_type) == "Resize" and len(in_shape) >= 3:
        row = int(in_shape[-2]) * chans * inp.input_bits
        acc.add("ff", row, f"one input row ({in_shape[-2]} pixels x {chans} channels x {inp.input_bits} bits) kept "
                "to repeat it", "modelled")
    cycles = max(in_px, out_px) + 2
    acc.add("latency", cycles, f"reads {in_px} and writes {out_px} pixels, one per cycle", "exact")
    return acc.finish(inp, cycles, cycles)
