"""BatchNormalization: one scale multiplier (DSP or LUTs) and one bias adder per value."""

from __future__ import annotations

from .._core import Terms, dsp_per_product, latency_depth, mult_mapping, prod, register


@register("batchnorm")
def batchnorm(inp, C):
    n = int(inp.n_out or inp.n_in or prod(inp.output_shape) or 0)
    if not n:
        raise ValueError(f"layer {inp.name!r}: BatchNormalization needs n_in")
    acc = Terms()
    in_bits, w_bits = inp.input_bits, inp.weight_bits
    on_dsp, why = mult_mapping(inp.mult_impl, w_bits, in_bits)
    if on_dsp:
        acc.add("dsp", n * dsp_per_product(in_bits, w_bits, inp.part), f"{n} scale multipliers on DSPs ({why})",
                "exact")
    else:
        acc.add("lut", n * in_bits * w_bits * C["lut_gmul_per_bitprod"] * 0.5,
                f"{n} constant scale multiplications in LUTs ({why})", "modelled")
    acc.add("lut", n * inp.accum_bits * C["lut_add_per_bit"], f"{n} bias adders", "modelled")
    acc.add("ff", n * inp.result_bits * 0.5, "pipeline registers", "modelled")
    lat = latency_depth(1, True, inp.clock_ns, C, inp.part.family)
    acc.add("latency", lat, "multiply and add", "modelled")
    return acc.finish(inp, lat, 1)
