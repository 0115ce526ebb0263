"""Dense: one matrix-vector product (see ``_kernel``), read word by word with io_stream."""

from __future__ import annotations

from .._core import Terms, prod, register
from .._kernel import matvec, stream_wrapper


@register("dense")
def dense(inp, cal):
    if not inp.n_in or not inp.n_out:
        raise ValueError(f"layer {inp.name!r}: Dense needs n_in and n_out (got {inp.n_in}, {inp.n_out})")
    acc = Terms()
    stream = inp.io_type == "io_stream"
    pixels = prod(inp.input_shape[:-1]) if stream and len(inp.input_shape) > 1 else 1
    lat, ii = matvec(acc, inp, cal, inp.n_in, inp.n_out, inp.n_zeros)
    if stream:
        stream_wrapper(acc, inp, cal)
        # stream_dense_lat: the cycles Vivado HLS's io_stream Dense adds to read, compute and write (fitted per tool)
        extra = pixels + 1 + int(round(cal["stream_dense_lat"]))
        acc.add("latency", extra, f"io_stream: read {pixels} stream word(s) before computing, write the result",
                "exact" if extra == pixels + 1 else "modelled")
        lat += extra
        # nnet_dense_stream.h's dense() has no PIPELINE of its own: it reads every input word, runs the kernel, writes
        # every result word, and only then takes the next input, so its II is its latency (every io_stream Dense
        # report in the calibration data, 27 of 29 rows exactly, both tools)
        kernel = [t for t in acc.terms if t.resource == "ii"]
        acc.terms = [t for t in acc.terms if t.resource != "ii"]
        acc.add("ii", lat, f"io_stream: the layer reads its {pixels} word(s), runs the kernel (II {ii}"
                + (f": {kernel[0].what}" if kernel else "") + f") and writes its result before it reads the next "
                f"input (no pipeline across inputs in hls4ml's stream Dense): II = its latency, {lat} cycles",
                "modelled")
        ii = lat
    return acc.finish(inp, lat, ii)
