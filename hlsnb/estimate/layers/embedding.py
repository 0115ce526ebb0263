"""Embedding: a constant table (vocabulary x n_out) read at the run-time index of every input
(``nnet_embed.h``: ``res[j * n_out + i] = embeddings[data[j] * n_out + i]``, unrolled with io_parallel, one input
per cycle with io_stream). A constant table indexed at run time is a LUT ROM: one LUT6 per output bit per 64
entries, plus a multiplexer over the 64-entry blocks."""

from __future__ import annotations

import math

from .._core import LUTRAM_BITS_PER_LUT, Terms, mux_luts, register


@register("embedding")
def embedding(inp, cal):
    out_shape = inp.output_shape
    if len(out_shape) < 2:
        raise ValueError(f"layer {inp.name!r}: Embedding needs output_shape (inputs, embedding size)")
    n_lookups, width = int(out_shape[-2]), int(out_shape[-1])
    # the parser gives the table's shape (vocabulary, embedding size) as the layer's kernel_size
    vocab = int(inp.kernel_size[0]) if inp.kernel_size else 64
    w_bits = inp.weight_bits
    parallel = n_lookups if inp.io_type == "io_parallel" else 1
    blocks = math.ceil(vocab / LUTRAM_BITS_PER_LUT)
    per_bit = blocks + mux_luts(blocks)
    acc = Terms()
    acc.add("lut", parallel * width * w_bits * per_bit,
            f"{parallel} lookup(s) x {width} values x {w_bits} bits in a {vocab}-entry LUT ROM ({blocks} LUT6 per "
            f"bit{' plus a block multiplexer' if blocks > 1 else ''})", "modelled")
    acc.add("ff", parallel * width * inp.result_bits * 0.5, "output registers", "modelled")
    if parallel == 1:
        acc.add("latency", n_lookups + 1, f"io_stream: {n_lookups} inputs, one lookup per cycle", "exact")
        return acc.finish(inp, n_lookups + 1, n_lookups)
    acc.add("latency", 1, "one ROM read", "modelled")
    return acc.finish(inp, 1, 1)
