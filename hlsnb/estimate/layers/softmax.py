"""Softmax: exp lookup tables (in BRAM, as the reports show), 1/sum multipliers, fitted LUT/FF/latency.

io_stream (hls4ml 1.3's ``softmax_latency`` / ``softmax_stable`` in ``nnet_activation_stream.h``, shared by the Vivado
and Vitis backends) works on one stream word of ``n`` values (the channels) at a time and reads the ReuseFactor:
``multiplier_limit = ceil(n / RF)`` multipliers (``ALLOCATION`` on the 1/sum products) under ``PIPELINE II =
n // multiplier_limit``. The exp lookups stay in an unrolled loop, but at that II the tool serves them from fewer ROM
copies (pominiq's serial stream softmaxes: 2-3 BRAM18K for 8-12 values). io_parallel: a plain ``PIPELINE``, one
lookup and one multiplier per value (its ReuseFactor is fixed at 1, :func:`hlsnb.rules.check_setting`).
"""

from __future__ import annotations

import math

from ... import rules
from .._core import Terms, bram18k_for, dsp_per_product, mult_mapping, prod, register

#: Width of hls4ml's default exp / 1/sum table types (``ap_fixed<18,8>``): the multiplications' first operand.
_TABLE_BITS = 18


@register("softmax")
def softmax(inp, C):
    stream = inp.io_type == "io_stream"
    n = int(inp.n_out or inp.n_in or prod(inp.output_shape) or 0)
    if stream and len(inp.output_shape) > 1:
        n = rules.stream_word_values(inp.output_shape)  # hls4ml's stream softmax works on one pixel at a time
    if not n:
        raise ValueError(f"layer {inp.name!r}: softmax needs n_in")
    res_bits = inp.result_bits
    acc = Terms()
    rf = inp.reuse_factor if stream else 1  # the io_parallel kernel does not read it (and the rules keep it at 1)
    mults = -(-n // rf)  # hls4ml's multiplier_limit = DIV_ROUNDUP(n, RF)
    ii = -(-n // mults)  # cycles per word: hls4ml asks for n // mults; mults multipliers need ceil(n / mults)
    reads = -(-n // ii)  # exp lookups per cycle: n per word, spread over the word's ii cycles
    note = rules.kernel_reuse_note(inp.name, "Softmax", n, rf) if stream and rf > 1 else None
    if note:
        acc.warnings.append(note)
    per = f"{n} lookups a cycle" if ii == 1 else f"{n} lookups over {ii} cycles ({reads} a cycle)"
    if C["softmax_rom_dual"] >= 0.5:
        # Vivado HLS copies the exp ROM for parallel reads, two per copy (a dual-port BRAM), and keeps the 1/sum
        # ROM apart (astitwlathe, nicologhielmetti: 5 values -> 4 BRAM18K; mgrailoo: 10 -> 6; pominiq: 3 -> 3 and,
        # at RF 3-64 on io_stream, 8-12 values over 3-10 cycles -> 2-3)
        copies = math.ceil(reads / 2)
        acc.add("bram18k", (copies + 1) * bram18k_for(1024, 18), f"exp lookup table (1024 x 18 bits): {copies} "
                f"dual-port cop{'y' if copies == 1 else 'ies'} for {per}, and the 1/sum table", "exact")
    else:
        acc.add("bram18k", reads * bram18k_for(1024, 18), f"exp lookup table (1024 x 18 bits), one copy per each of "
                f"the {reads} lookups a cycle" + (f" ({n} over {ii} cycles)" if ii > 1 else ""), "exact")
    on_dsp, why = mult_mapping(inp.mult_impl, _TABLE_BITS, res_bits)
    shared = f"{mults} multipliers for the {n} multiplications by 1/sum (ReuseFactor {rf}: ceil({n}/{rf}), II " \
             f"{ii} per word)" if mults < n else f"{n} multiplications by 1/sum"
    if on_dsp:
        acc.add("dsp", mults * dsp_per_product(_TABLE_BITS, res_bits, inp.part), f"{shared} on DSPs ({why})", "exact")
    else:
        acc.add("lut", mults * _TABLE_BITS * res_bits * C["lut_gmul_per_bitprod"], f"{shared} in LUTs ({why})",
                "modelled")
    # the max, subtractions and sum tree stay n wide at any ReuseFactor (only the multiplications are limited); the
    # shared multipliers' operand multiplexers (an II-to-1 mux of 18 bits each, ~2 % of pominiq's LUTs) are left
    # to this fitted term
    acc.add("lut", C["softmax_lut_per_bit"] * n * res_bits, f"max search, subtractions, sum tree and 1/sum "
            f"table over {n} values", "modelled")
    acc.add("ff", C["softmax_ff_per_bit"] * n * res_bits, "pipeline registers", "modelled")
    lat = int(round(C["softmax_lat_a"] + C["softmax_lat_b"] * math.log2(max(2, n))))
    acc.add("latency", lat, f"max, exp, sum over log2({n}) adder levels, 1/sum, multiply", "modelled")
    if not stream:
        return acc.finish(inp, lat, 1)
    out_shape = inp.output_shape
    words = prod(out_shape[:-1]) if len(out_shape) > 1 else 1
    acc.add("latency", words * ii, f"{words} stream word{'s' if words > 1 else ''} at II {ii}", "exact")
    lat += words * ii
    extra = int(round(C["softmax_stream_lat"])) if ii > 1 else 0
    if extra:
        acc.add("latency", extra, f"io_stream: the pipeline of a word shared by {mults} multiplier"
                f"{'s' if mults > 1 else ''} (fitted per tool)", "modelled")
        lat += extra
    # the kernel is a pipelined loop over the words, not a pipelined function: the next image enters after the
    # last word (the csynth reports give the softmax an interval equal to its latency)
    acc.add("ii", lat, f"a new image starts after the {words} word{'s' if words > 1 else ''} of this one", "modelled")
    return acc.finish(inp, lat, lat)
