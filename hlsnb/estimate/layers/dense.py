"""Dense: one matrix-vector product (see ``_kernel``), read word by word with io_stream."""

from __future__ import annotations

import math

from ...rules import UNROLL_LIMIT
from .._core import Terms, prod, register
from .._kernel import matvec


@register("dense")
def dense(inp, cal):
    if not inp.n_in or not inp.n_out:
        raise ValueError(f"layer {inp.name!r}: Dense needs n_in and n_out (got {inp.n_in}, {inp.n_out})")
    acc = Terms()
    n_in, n_out, rf = inp.n_in, inp.n_out, inp.reuse_factor
    N = n_in * n_out
    if inp.strategy == "Latency" and math.ceil(N / rf) > UNROLL_LIMIT:
        acc.warnings.append(f"{math.ceil(N / rf)} multiplications per cycle exceed the ~{UNROLL_LIMIT} that Vivado HLS "
                            "unrolls: synthesis may stop ('Stop unrolling loop'); raise the ReuseFactor")
    stream = inp.io_type == "io_stream"
    pixels = prod(inp.input_shape[:-1]) if stream and len(inp.input_shape) > 1 else 1
    lat, ii = matvec(acc, inp, cal, n_in, n_out, inp.n_zeros)
    if stream:
        acc.add("latency", pixels + 1, f"io_stream: read {pixels} stream word(s) before computing", "exact")
        lat += pixels + 1
        ii = max(ii, pixels)
    return acc.finish(inp, lat, ii)
