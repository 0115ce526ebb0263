"""Merge (Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate): one element-wise operation per value."""

from __future__ import annotations

from .._core import Terms, prod, register


@register("merge")
def merge(inp, C):
    n = int(inp.n_out or inp.n_in or prod(inp.output_shape) or 0)
    if not n:
        raise ValueError(f"layer {inp.name!r}: Merge needs n_out")
    acc = Terms()
    acc.add("lut", n * inp.result_bits * C["lut_add_per_bit"], f"{n} element-wise {inp.result_bits}-bit operations",
            "modelled")
    acc.add("latency", 1, "one operation stage", "modelled")
    return acc.finish(inp, 1, 1)
