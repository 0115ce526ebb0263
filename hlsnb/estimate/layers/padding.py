"""ZeroPadding1D / 2D: wiring with io_parallel; with io_stream a pixel loop that writes zeros or the input.

hls4ml's ``zeropad1d_cl`` / ``zeropad2d_cl`` (``nnet_padding_stream.h``) are a sequence of loops, each writing one
pixel per iteration: 1D ``PadLeft``, ``CopyMain``, ``PadRight``; 2D ``PadTop`` x ``PadTopWidth``, ``PadMain`` x
(``PadLeft``, ``CopyMain``, ``PadRight``), ``PadBottom`` x ``PadBottomWidth``. What Vivado HLS 2019-2020 builds
(``stream_pool_pad`` = 1; fitted by :mod:`hlsnb.calibration.pool_pad`):

- LUT: per output channel a stream write whose data is selected between the zero and the input writers
  (``pad_lut_chan``; flat in the width: 24- and 28-bit rows of the same layer report the same LUTs, as Vivado HLS
  prices multiplexers per input, not per bit), and per loop that iterates more than once plus the function's own
  control (``pad_lut_loop``; a loop of one iteration is a single write: 64 -> 67 and 64 -> 68 columns differ by one
  such loop and 35 LUT).
- FF: one counter of ceil(log2(trip + 1)) bits per loop (exact) and the FSM's states, one per loop plus the
  function's (``pad_ff_state``).

The pads are not inputs of the estimate: they are read off the shapes, split as Keras's symmetric padding does
(the larger half on the right / bottom).
"""

from __future__ import annotations

import math

from .._core import Terms, prod, register
from .wiring import wiring


def _loops(in_shape: tuple, out_shape: tuple) -> list[int]:
    """Trip counts of the template's loops (0 for a loop that is absent), outer loops before their inner ones."""
    def split(i: int, o: int) -> tuple[int, int]:
        total = max(0, int(o) - int(i))
        return total // 2, total - total // 2

    if len(in_shape) >= 3 and len(out_shape) >= 3:
        (h, w), ow = in_shape[-3:-1], int(out_shape[-2])
        top, bottom = split(h, out_shape[-3])
        left, right = split(w, ow)
        return [top, ow if top else 0, int(h), left, int(w), right, bottom, ow if bottom else 0]
    w = int(in_shape[-2]) if len(in_shape) >= 2 else 1
    left, right = split(w, out_shape[-2]) if len(out_shape) >= 2 else (0, 0)
    return [left, w, right]


@register("padding")
def padding(inp, cal):
    if inp.io_type == "io_parallel":
        return wiring(inp, cal)
    acc = Terms()
    out_shape = inp.output_shape
    n = int(inp.n_out or inp.n_in or prod(out_shape) or 0)
    out_px = prod(out_shape[:-1]) if out_shape else n
    chans = int(out_shape[-1]) if out_shape else 1
    if cal["stream_pool_pad"] >= 0.5 and inp.input_shape and out_shape:
        trips = [t for t in _loops(inp.input_shape, out_shape) if t > 0]
        looping = sum(1 for t in trips if t > 1)
        acc.add("lut", chans * cal["pad_lut_chan"], f"{chans} output channel writes, zero or input data",
                "modelled")
        acc.add("lut", (looping + 1) * cal["pad_lut_loop"],
                f"control of {looping} loops of more than one iteration and of the function", "modelled")
        acc.add("ff", sum(math.ceil(math.log2(t + 1)) for t in trips),
                f"loop counters ({len(trips)} loops, trip counts {trips})", "exact")
        acc.add("ff", (len(trips) + 1) * cal["pad_ff_state"], f"FSM states ({len(trips)} loops + 1)", "modelled")
    else:
        acc.add("lut", 30 + chans * inp.result_bits * 0.5, "stream control and zero/data output select", "modelled")
        acc.add("ff", 30, "pixel counters", "modelled")
    acc.add("latency", out_px + 2, f"writes {out_px} padded pixels, one per cycle", "exact")
    return acc.finish(inp, out_px + 2, out_px + 2)
