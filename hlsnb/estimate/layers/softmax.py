"""Softmax: one exp lookup table per value (in BRAM, as the reports show), 1/sum multipliers, fitted LUT/FF/latency."""

from __future__ import annotations

import math

from .._core import Terms, bram18k_for, dsp_per_product, mult_mapping, prod, register


@register("softmax")
def softmax(inp, C):
    n, res_bits = int(inp.n_out or inp.n_in or prod(inp.output_shape) or 0), inp.result_bits
    if inp.io_type == "io_stream" and len(inp.output_shape) > 1:
        n = int(inp.output_shape[-1])  # hls4ml's stream softmax works on one pixel (n_chan values) at a time
    if not n:
        raise ValueError(f"layer {inp.name!r}: softmax needs n_in")
    acc = Terms()
    # n lookups and multiplications a cycle. (hls4ml 1.3's stream kernel would take a ReuseFactor, ALLOCATION
    # ceil(n / RF) multipliers at II n / that: pominiq's serial stream softmaxes, 1-4 DSPs and 2-3 BRAM18K; hlsnb's
    # rules fix a softmax's ReuseFactor at 1, so every value has its lookup and multiplier)
    if C["softmax_rom_dual"] >= 0.5:
        # Vivado HLS copies the exp ROM for parallel reads, two per copy (a dual-port BRAM), and keeps the 1/sum
        # ROM apart (astitwlathe, nicologhielmetti: 5 values -> 4 BRAM18K; mgrailoo: 10 -> 6; pominiq: 3 -> 3 and,
        # one value a cycle, 2)
        copies = math.ceil(n / 2)
        acc.add("bram18k", (copies + 1) * bram18k_for(1024, 18), f"exp lookup table (1024 x 18 bits): {copies} "
                f"dual-port cop{'y' if copies == 1 else 'ies'} for {n} lookups a cycle, and the 1/sum table", "exact")
    else:
        acc.add("bram18k", n * bram18k_for(1024, 18), f"exp lookup table (1024 x 18 bits), one copy per each of the "
                f"{n} parallel lookups", "exact")
    on_dsp, why = mult_mapping(inp.mult_impl, 18, res_bits)
    if on_dsp:
        acc.add("dsp", n * dsp_per_product(18, res_bits, inp.part), f"{n} multiplications by 1/sum on DSPs ({why})",
                "exact")
    else:
        acc.add("lut", n * 18 * res_bits * C["lut_gmul_per_bitprod"], f"{n} multiplications by 1/sum in LUTs "
                f"({why})", "modelled")
    acc.add("lut", C["softmax_lut_per_bit"] * n * res_bits, f"max search, subtractions, sum tree and 1/sum "
            f"table over {n} values", "modelled")
    acc.add("ff", C["softmax_ff_per_bit"] * n * res_bits, "pipeline registers", "modelled")
    lat = int(round(C["softmax_lat_a"] + C["softmax_lat_b"] * math.log2(max(2, n))))
    acc.add("latency", lat, f"max, exp, sum over log2({n}) adder levels, 1/sum, multiply", "modelled")
    if inp.io_type == "io_stream":
        out_shape = inp.output_shape
        lat += prod(out_shape[:-1]) if len(out_shape) > 1 else 1
    return acc.finish(inp, lat, 1)
