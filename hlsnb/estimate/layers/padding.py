"""ZeroPadding1D / 2D: wiring with io_parallel; with io_stream a pixel loop that writes zeros or the input."""

from __future__ import annotations

from .._core import Terms, prod, register
from .wiring import wiring


@register("padding")
def padding(inp, cal):
    if inp.io_type == "io_parallel":
        return wiring(inp, cal)
    acc = Terms()
    out_shape = inp.output_shape
    n = int(inp.n_out or inp.n_in or prod(out_shape) or 0)
    out_px = prod(out_shape[:-1]) if out_shape else n
    acc.add("lut", 30 + (int(out_shape[-1]) if out_shape else 1) * inp.result_bits * 0.5,
            "stream control and zero/data output select", "modelled")
    acc.add("ff", 30, "pixel counters", "modelled")
    acc.add("latency", out_px + 2, f"writes {out_px} padded pixels, one per cycle", "exact")
    return acc.finish(inp, out_px + 2, out_px + 2)
