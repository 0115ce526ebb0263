"""EinsumDense: hls4ml's ``einsum_dense`` computes ``n_free_data x n_inplace`` Dense products of
``n_contract x n_free_kernel`` side by side (its ParallelizationFactor defaults to all of them): the Latency
matrix-vector product of ``_kernel``, once per copy."""

from __future__ import annotations

from .._core import Terms, prod, register
from .._kernel import matvec


@register("einsum")
def einsum(inp, cal):
    if not inp.n_in or not inp.n_out or not inp.output_shape:
        raise ValueError(f"layer {inp.name!r}: EinsumDense needs n_in, n_out and output_shape")
    copies = max(1, prod(inp.output_shape) // inp.n_out)
    one = Terms()
    lat, ii = matvec(one, inp, cal, inp.n_in, inp.n_out, inp.n_zeros, what="one product")
    acc = Terms()
    acc.add_copies(one, copies, "products in parallel")
    return acc.finish(inp, lat, ii)
