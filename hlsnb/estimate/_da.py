"""The ``distributed_arithmetic`` matrix-vector product (hls4ml >= 1.2, built by da4ml): shift-add adders, no DSPs.

da4ml turns the constant weight matrix into an adder graph: every non-zero canonical-signed-digit (CSD) of a
quantised weight is a shifted copy of an input to be added, and common subexpressions are shared between outputs.
Each adder is a carry chain about as wide as the input plus the carries: one LUT per bit after synthesis.

The LUT count is calibrated against real synthesis of da4ml's Verilog (Yosys ``synth_xilinx -flatten``, 7-series,
``benchmarks/bench_opensynth_da.py``, data in ``benchmarks/results/opensynth_da.json``): post-synthesis LUTs =
``da_lut_per_digit_bit`` x CSD digits x (input bits + 2), one coefficient for every tool (the Verilog does not
depend on the HLS tool). The csynth number is that divided by the tool's post-synthesis LUT ratio, so that
``stage="vsynth"`` lands on the measurement whatever the tool; no HLS report of a DA design was available to
check the csynth number itself. FFs (pipeline registers) and latency are modelled, not calibrated (the measured
logic is combinational).
"""

from __future__ import annotations

import math

import numpy as np

from ._core import Term, Terms, csd_digits, latency_depth, quantize_weights

__all__ = ["dense_da", "csd_digit_count"]


def csd_digit_count(weights, w_bits: int, w_int: int) -> int:
    """Non-zero CSD digits of ``weights`` as the ``ap_fixed<w_bits, w_int>`` constants hls4ml writes
    (:func:`~hlsnb.estimate._core.quantize_weights`): one shifted input to add per digit."""
    return int(csd_digits(quantize_weights(np.ravel(weights), w_bits, w_int)).sum())


def _vsynth_lut_ratio(C) -> float:
    """What ``stage="vsynth"`` multiplies this layer's csynth LUTs by (:func:`hlsnb.estimate._stage.ratio_terms`:
    the tool's ``vsynth_lut``, times ``vsynth_hls_lut_latency`` where fitted, the kind a layer with multipliers
    outside the Resource strategy has), so that the calibrated post-synthesis count is what vsynth shows."""
    factor = C.get("vsynth_hls_lut_latency", 0.0)
    ratio = C["vsynth_lut"] * (factor if factor > 0 else 1.0)
    return ratio if ratio > 0 else 1.0


def dense_da(acc: Terms, inp, C, n_in: int, n_out: int, zeros: int, sfx: str) -> tuple[int, int]:
    """Add the terms of one ``n_in x n_out`` distributed-arithmetic product; return (latency cycles, II)."""
    rf, w_bits, w_int, in_bits = inp.reuse_factor, inp.weight_bits, inp.weight_int_bits, inp.input_bits
    if rf != 1:
        acc.warnings.append(f"distributed_arithmetic needs ReuseFactor 1 (got {rf}); estimated at RF 1")
    if inp.weights is not None:
        digits = csd_digit_count(inp.weights, w_bits, w_int)
        kind = "exact"
    else:
        digits = int((n_in * n_out - zeros) * max(1.0, (w_bits - w_int) / 3.0))
        kind = "modelled"
    post = digits * (in_bits + 2) * C["da_lut_per_digit_bit"]
    ratio = _vsynth_lut_ratio(C)
    acc.add("lut", post / ratio,
            f"distributed arithmetic: {digits} signed digits of the constant matrix, each a {in_bits + 2}-bit "
            f"shift-add ({C['da_lut_per_digit_bit']:.3f} LUT per digit and bit after synthesis, fitted on Yosys; "
            f"csynth = that / the tool's post-synthesis LUT ratio {ratio:.2f}){sfx}", "modelled")
    adders = digits // 2  # common subexpressions roughly halve the adders (da4ml reports)
    levels = int(math.ceil(math.log2(max(2, digits / max(n_out, 1)))))
    lat = latency_depth(levels, False, inp.clock_ns, C, inp.part.family)
    acc.add("ff", adders * (in_bits + 2) * min(1.0, lat / max(levels, 1)) * 0.5,
            f"pipeline registers of the adder graph{sfx}")
    acc.add("latency", lat, f"{levels}-level adder graph at {inp.clock_ns:g} ns{sfx}", "modelled")
    acc.add("ii", 1, "distributed arithmetic is fully unrolled: II 1", "exact")
    acc.terms.append(Term("dsp", 0.0, f"no DSPs: constant multiplications become adders ({kind} digit count)", kind))
    return lat, 1
