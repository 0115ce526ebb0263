"""The n_in x n_out matrix-vector product that hls4ml's Dense and convolution layers share, per strategy.

``matvec(terms, inp, cal, n_in, n_out, zeros)`` adds the terms of one product (Latency: constant weights, folded
and shared under the ALLOCATION limit; Resource / Resource_Unrolled: a weight ROM read at run time;
distributed_arithmetic: shift-add adders) and returns (latency cycles, II). The Dense family costs one product,
the convolution family one per output pixel.
"""

from __future__ import annotations

import math
from functools import lru_cache
from statistics import NormalDist

import numpy as np

from ..rules import UNROLL_LIMIT, multiplier_of_weight
from ._core import (
    LUTRAM_BITS_PER_LUT,
    Term,
    Terms,
    adder_levels,
    bram18k_for,
    csd_digits,
    dsp_per_product,
    latency_depth,
    mean_bit_length,
    mult_mapping,
    mux_luts,
    quantize_weights,
    weight_classes,
    weight_magnitude_bits,
    weights_out_of_range,
)
from ._da import dense_da

__all__ = ["matvec", "mul_op_share", "stream_wrapper", "constant_rule", "constant_product_on_dsp",
           "constant_products_on_dsp"]


def matvec(acc: Terms, inp, cal, n_in: int, n_out: int, zeros: int, what: str = "",
           copies: int = 1) -> tuple[int, int]:
    """Add the terms of one ``n_in x n_out`` matrix-vector product of layer ``inp``; return (latency, II).
    ``copies``: how many of these products the layer unrolls side by side (an io_parallel convolution's
    ParallelizationFactor pixels), counted against the tool's unroll limit."""
    strategy, rf = inp.strategy, inp.reuse_factor
    w_bits, in_bits = inp.weight_bits, inp.input_bits
    on_dsp, why = mult_mapping(inp.mult_impl, w_bits, in_bits)
    if strategy in ("Latency", "Resource") and (strategy == "Latency" or rf == 1) and inp.mult_impl == "auto" \
            and cal["const_dsp_in_bits"] > 0:
        on_dsp, why = _constant_mapping(in_bits, cal)
    dsp_each = dsp_per_product(in_bits, w_bits, inp.part)
    sfx = f" ({what})" if what else ""
    if inp.weights is not None:
        n_out_of_range, lo, hi = weights_out_of_range(inp.weights, w_bits, inp.weight_int_bits)
        if n_out_of_range:
            one = n_out_of_range == 1
            acc.warnings.append(
                f"{n_out_of_range} {'weight' if one else 'weights'}{sfx} {'lies' if one else 'lie'} outside "
                f"ap_fixed<{w_bits},{inp.weight_int_bits}>'s range [{lo:g}, {hi:g}]: hls4ml's firmware wraps "
                f"{'it' if one else 'them'} around (AP_WRAP), so it computes with other weights than the model; widen "
                "the weight type's integer bits (estimated with the wrapped constants)")
    if strategy == "Resource" and rf == 1:
        acc.warnings.append("Resource with ReuseFactor 1 keeps the weights as constants: estimated like Latency")
        strategy = "Latency"
    if strategy == "distributed_arithmetic":
        return dense_da(acc, inp, cal, n_in, n_out, zeros, sfx)
    if strategy == "Latency":
        return _dense_latency(acc, inp, cal, n_in, n_out, zeros, on_dsp, why, dsp_each, sfx, copies)
    if not on_dsp and inp.mult_impl == "auto" and max(w_bits, in_bits) >= cal["res_dsp_wide"]:
        # Resource weights are run-time data, not constants: a product with one wide operand goes to a DSP even
        # when the other is narrower than the threshold (8-bit weights x 24-bit inputs: DSPs in the reports)
        on_dsp, why = True, (f"{in_bits}x{w_bits}-bit run-time products: the {max(w_bits, in_bits)}-bit operand "
                             "makes the tool use a DSP")
    return _dense_resource(acc, inp, cal, n_in, n_out, zeros, on_dsp, why, dsp_each,
                           strategy == "Resource_Unrolled", sfx)


def _constant_mapping(in_bits: int, cal) -> tuple[bool, str]:
    """(on DSPs?, why) of the constant products that stay multiplications (more than ``share_k_digits`` signed
    digits), by the measured rule :func:`constant_product_on_dsp`."""
    k, t = int(cal["share_k_digits"]), int(cal["const_dsp_in_bits"])
    if in_bits >= t:
        return True, (f"a constant with more than {k} signed digits times a {in_bits}-bit input goes to a DSP "
                      f"(measured rule: inputs of {t} bits or more)")
    return False, (f"a constant with more than {k} signed digits times a {in_bits}-bit input is built in LUTs "
                   f"(measured rule: DSPs only for inputs of {t} bits or more)")


def constant_rule(tool: str = "vivado_hls", calibration=None) -> dict:
    """The constant-weight rule of the Latency strategy for ``tool``, as fitted on the reports (issue 28):

    ``{"max_free_digits": k, "min_dsp_input_bits": t, "tool": tool}``. A product of a run-time input and a constant
    weight costs nothing for a zero; a shift for one signed digit (canonical signed digits, NAF); shift-and-add LUT
    logic for at most ``k`` digits; with more digits it stays a multiplication, which the tool maps to a DSP when
    the input is at least ``t`` bits wide (else LUTs). ``t`` = 0 means the reports keep hls4ml's "both operands
    >= 9 bits" (Vivado HLS: 16-bit inputs x 6-bit constants stay in LUTs at RF 1). A multiplier shared by several
    constant products (ReuseFactor > 1) reads its weight at run time: a DSP when one operand has at least
    ``shared_dsp_operand_bits`` bits, as under Resource. ``calibration``: a
    :class:`hlsnb.calibration.Calibration` (None: the default). The fit and its error on held-out repositories:
    docs/estimator.md, "The constant-weight rule"."""
    from ._calibration import default_calibration

    cal = (calibration if calibration is not None else default_calibration()).for_tool(tool)
    return {"max_free_digits": int(cal["share_k_digits"]), "min_dsp_input_bits": int(cal["const_dsp_in_bits"]),
            "shared_dsp_operand_bits": int(cal["res_dsp_wide"]), "tool": tool}


def constant_product_on_dsp(weight: float, weight_bits: int, weight_int_bits: int, input_bits: int,
                            tool: str = "vivado_hls", calibration=None, shared: bool = False) -> bool:
    """True when the Latency strategy's product of a ``input_bits``-wide input and the constant ``weight`` (cast to
    ``ap_fixed<weight_bits, weight_int_bits>``, truncating as hls4ml does) costs a DSP under :func:`constant_rule`:
    more than ``max_free_digits`` canonical signed digits and an input at least ``min_dsp_input_bits`` wide. What
    :mod:`hlsnb.prune` 's ``shift_add`` pruning asks of each weight. ``shared``: the product runs on a multiplier
    shared with other products (Latency at ReuseFactor > 1 when the ALLOCATION limit binds): then the weight is a
    run-time operand and a wide operand (``shared_dsp_operand_bits``) makes it a DSP."""
    rule = constant_rule(tool, calibration)
    q = quantize_weights([weight], weight_bits, weight_int_bits)
    if int(csd_digits(q)[0]) <= rule["max_free_digits"]:
        return False
    t = rule["min_dsp_input_bits"]
    if shared and max(weight_bits, input_bits) >= rule["shared_dsp_operand_bits"]:
        return True
    return input_bits >= t if t > 0 else min(weight_bits, input_bits) >= 9


def constant_products_on_dsp(weights, weight_bits: int, weight_int_bits: int, input_bits: int,
                             tool: str = "vivado_hls", calibration=None, shared: bool = False) -> np.ndarray:
    """:func:`constant_product_on_dsp` for every weight of an array at once (a boolean array of its shape)."""
    rule = constant_rule(tool, calibration)
    q = quantize_weights(weights, weight_bits, weight_int_bits)
    many = csd_digits(q) > rule["max_free_digits"]
    t = rule["min_dsp_input_bits"]
    if shared and max(weight_bits, input_bits) >= rule["shared_dsp_operand_bits"]:
        wide = True
    else:
        wide = input_bits >= t if t > 0 else min(weight_bits, input_bits) >= 9
    return many & bool(wide)


def stream_wrapper(acc: Terms, inp, cal, conv: bool = False) -> None:
    """LUTs and FFs of the io_stream wrapper of a layer (stream read/write loops, ROM address and reuse-loop
    control; for convolutions also the line-buffer/window control and pixel counters), fitted per layer on the
    Vivado HLS Resource reports (``res_stream_lut``, ``res_stream_ff``; 0 where not fitted). Resource layers get it;
    with ``stream_conv_all`` / ``stream_dense_all`` every convolution / Dense layer (their wrapper does not depend on
    the strategy)."""
    every = cal["stream_conv_all" if conv else "stream_dense_all"] >= 0.5
    if (inp.strategy == "Resource" and inp.reuse_factor > 1) or every:
        what = ("line-buffer/window control, pixel counters, stream read/write" if conv else
                "stream read/write loops, ROM address and reuse-loop control")
        acc.add("lut", cal["res_stream_lut"], f"io_stream wrapper: {what} (per layer)")
        acc.add("ff", cal["res_stream_ff"], "io_stream wrapper registers (per layer)")


@lru_cache(maxsize=1)
def _normal_quantiles() -> np.ndarray:
    """1024 fixed quantiles of a standard normal: a deterministic, cheap stand-in for trained weights."""
    nd = NormalDist()
    z = np.array([nd.inv_cdf((i + 0.5) / 1024) for i in range(1024)])
    z.flags.writeable = False
    return z


@lru_cache(maxsize=4096)
def _share_for(sigma_lsb: float, w_bits: int, k: int) -> float:
    lo, hi = -(2 ** (w_bits - 1)), 2 ** (w_bits - 1) - 1
    q = np.clip(np.floor(_normal_quantiles() * sigma_lsb), lo, hi)
    d = csd_digits(q)
    nonzero = np.count_nonzero(d > 0)
    return float(np.count_nonzero(d > k) / nonzero) if nonzero else 0.0


@lru_cache(maxsize=4096)
def _magnitude_bits_for(sigma_lsb: float, w_bits: int, keep: float) -> float:
    lo, hi = -(2 ** (w_bits - 1)), 2 ** (w_bits - 1) - 1
    a = np.sort(np.abs(np.clip(np.floor(_normal_quantiles() * sigma_lsb), lo, hi)))[::-1]
    return mean_bit_length(a[:max(1, int(round(keep * a.size)))], w_bits)  # magnitude pruning keeps the largest


def product_bits(inp, n_in: int, nonzero: int, total: int, cal) -> float:
    """Mean width of a Latency layer's constant products: the input's bits plus the bit length of each nonzero
    weight's magnitude (HLS sizes a product by its constant, ``const_width``), from the weights when known, else
    from trained weights modelled as normal (:func:`mul_op_share`'s model) with the largest ``nonzero`` of
    ``total`` kept (magnitude pruning); ``const_width`` 0: input bits + weight bits (the type's width)."""
    w_bits, w_int = inp.weight_bits, inp.weight_int_bits
    if cal["const_width"] < 0.5:
        return float(inp.input_bits + w_bits)
    if inp.weights is not None:
        return inp.input_bits + min(float(w_bits), weight_magnitude_bits(inp.weights, w_bits, w_int))
    lsb = 2.0 ** -(w_bits - w_int)
    sigma_lsb = cal["share_scale"] / math.sqrt(max(n_in, 1)) / lsb
    keep = nonzero / total if total else 1.0
    return inp.input_bits + _magnitude_bits_for(round(sigma_lsb, 3), int(w_bits), round(keep, 3))


def mul_op_share(n_in: int, w_bits: int, w_int: int, cal) -> float:
    """Modelled fraction of non-zero constant products that stay generic multiplications (no weights known).

    Trained weights are taken as normal with sigma = ``share_scale / sqrt(n_in)``; quantized to the weight type, a
    constant with at most ``share_k_digits`` signed digits becomes shifts and adds, one with more stays a multiply
    (a DSP when on DSPs). ``share_scale`` is fitted on the DSP counts of Vitis HLS reports. ``cal``: a
    :class:`hlsnb.calibration.Calibration` or any mapping of coefficients.
    """
    lsb = 2.0 ** -(w_bits - w_int)
    sigma_lsb = cal["share_scale"] / math.sqrt(max(n_in, 1)) / lsb
    return _share_for(round(sigma_lsb, 3), int(w_bits), int(cal["share_k_digits"]))


def _dense_latency(acc: Terms, inp, C, n_in, n_out, zeros, on_dsp, why, dsp_each, sfx, copies=1):
    rf, w_bits, w_int, in_bits, accum_bits = (inp.reuse_factor, inp.weight_bits, inp.weight_int_bits,
                                              inp.input_bits, inp.accum_bits)
    weights, clock_ns = inp.weights, inp.clock_ns
    N = n_in * n_out
    if weights is not None:
        zeros, shifts, shift_add, mul_ops = weight_classes(weights, w_bits, w_int, int(C["share_k_digits"]))
        cls_kind = "exact"
    else:
        zeros = int(zeros)
        nz = N - zeros
        mul_ops = int(round(nz * mul_op_share(n_in, w_bits, w_int, C)))
        shifts, shift_add = 0, nz - mul_ops
        cls_kind = "modelled"
    nonzero = N - zeros
    # Vivado HLS stops unrolling past ~UNROLL_LIMIT operations; Vitis HLS unrolls them (the ArgyKokk 561x20 Dense at
    # RF 1, 11,220 products, reports II 1 on Vitis HLS 2021.1: rolling it there was the II regression of issue 23)
    per_cycle = math.ceil(N / rf) * copies
    rolled = math.ceil(per_cycle / UNROLL_LIMIT) if inp.tool == "vivado_hls" else 1
    if rolled > 1:
        # the tool unrolls at most UNROLL_LIMIT operations ("Stop unrolling loop"): the rest of the loop stays
        # rolled, so the layer behaves as if the ReuseFactor were `rolled` times larger
        px = f" ({copies} pixels at once, the ParallelizationFactor)" if copies > 1 else ""
        fix = "raise the ReuseFactor" + (" or lower the ParallelizationFactor" if copies > 1 else "")
        acc.warnings.append(f"{per_cycle} multiplications per cycle{px} exceed the ~{UNROLL_LIMIT} the tool "
                            f"unrolls: it stops unrolling and leaves the loop {rolled}x rolled (estimated so: "
                            f"{rolled}x fewer multipliers, {rolled}x the II and latency); {fix}")
        rf = rf * rolled
    limit = max(1, math.ceil(N / rf) - zeros // rf)  # hls4ml's ALLOCATION multiplier_limit
    units = min(mul_ops, limit)
    if units < mul_ops and not on_dsp and inp.mult_impl == "auto" and max(w_bits, in_bits) >= C["res_dsp_wide"]:
        # a multiplier shared by several constant products takes its weight through a multiplexer: a run-time
        # operand, so it maps like a Resource product (a wide operand makes it a DSP). The forum design's public
        # Latency build (16-bit inputs x 6-bit weights, RF 64) reports its 4 fc1 multipliers on DSPs, while the same
        # products unshared at RF 1 stay in LUTs (thaarres/dnd_hls4ml)
        on_dsp, why = True, (f"{units} multipliers shared by {mul_ops} constant products read their weight at run "
                             f"time; the {max(w_bits, in_bits)}-bit operand makes each a DSP product")
    share = C["ii_share"] >= 0.5 if C["ii_share"] >= 0 else inp.tool == "vitis_hls"
    if C["ii_share_pruned"] >= 0.5 and not zeros:
        share = False  # Vivado HLS reports II < RF only for layers with zero weights (pominiq, Duchstf)
    tool = "Vitis HLS" if inp.tool == "vitis_hls" else "Vivado HLS"
    if rf == 1 or units == 0:
        ii = 1 if rf == 1 else rf
    elif share:
        ii = int(min(rf, max(1, math.ceil(mul_ops / units) + C["ii_overhead"])))
    else:
        ii = rf
    rf_word = (f"ReuseFactor {inp.reuse_factor} x {rolled} (loop left rolled past the unroll limit)" if rolled > 1
               else f"ReuseFactor {rf}")
    acc.add("ii", ii, f"Latency strategy: function pipelined with II = {rf_word}" if ii == rf else
            f"{tool} schedules {mul_ops} multiply operations on {units} multipliers: II {ii} < {rf_word}",
            "exact" if ii == rf and rolled == 1 else "modelled")
    if zeros:
        acc.warnings.append(f"{zeros} of {N} weights are zero: constant folding removes their multiplications")
    # DSP / generic multipliers
    if units:
        if on_dsp:
            acc.add("dsp", units * dsp_each,
                    f"{units} multipliers on DSPs x {dsp_each} DSP each ({why}); "
                    f"{mul_ops} non-trivial constant products shared under the limit {limit}{sfx}",
                    "exact" if (weights is not None and units == limit) or (units == limit and cls_kind == "exact")
                    else "modelled")
        else:
            acc.add("lut", units * in_bits * w_bits * C["lut_gmul_per_bitprod"],
                    f"{units} generic {in_bits}x{w_bits} multipliers in LUTs ({why}){sfx}")
    if shift_add:
        acc.add("lut", shift_add * in_bits * C["lut_const_per_in_bit"],
                f"{shift_add} constant products built as shift-and-add logic (few signed digits){sfx}", "modelled")
    if shifts:
        acc.warnings.append(f"{shifts} weights are powers of two: pure shifts, no multiplier")
    # accumulation adders: products on a DSP use its post-adder
    n_adds = max(0, nonzero - n_out) + n_out  # adder tree plus the bias add
    # Vitis HLS puts adds in the DSP post-adders; Vivado HLS 2019-2020 builds them in LUTs (dsp_postadd = share)
    absorbed = int(round(C["dsp_postadd"] * min(mul_ops, n_adds))) if on_dsp and units else 0
    p_bits = round(product_bits(inp, n_in, nonzero, N, C), 1)
    add_bits = tree_adder_bits(nonzero, n_out, p_bits, accum_bits) if C["add_growth"] >= 0.5 else accum_bits
    w_eff = p_bits - in_bits
    w_txt = f"{w_bits}" if w_eff >= w_bits else f"{w_eff:.1f} (the constants' magnitudes, of {w_bits})"
    width = (f"{add_bits:.1f}-bit (operand range: {in_bits}+{w_txt}-bit products growing one bit a level, "
             f"capped by the {accum_bits}-bit accum_t)" if add_bits < accum_bits else f"{accum_bits}-bit")
    acc.add("lut", (n_adds - absorbed) * add_bits * C["lut_add_per_bit"],
            f"{n_adds - absorbed} {width} adders of the unrolled adder trees"
            + (f" ({absorbed} more adds absorbed in DSP post-adders)" if absorbed else "") + sfx)
    _accum_quant(acc, inp, C, nonzero, "product", sfx)
    # operand multiplexers when multipliers are shared
    if units and mul_ops > units:
        ppu = math.ceil(mul_ops / units)
        m_in = mux_luts(min(ppu, n_in)) * in_bits
        m_w = math.ceil(ppu / LUTRAM_BITS_PER_LUT) * w_bits
        acc.add("lut", units * (m_in + m_w) * C["lut_mux_scale"],
                f"operand multiplexers: each of {units} shared multipliers selects 1 of {min(ppu, n_in)} inputs and "
                f"1 of {ppu} constant weights per cycle{sfx}")
    # FF: pipeline registers of the adder trees, scaled by how many stages the clock needs
    levels = adder_levels(nonzero, n_out)
    depth = latency_depth(levels, mul_ops > 0, clock_ns, C, inp.part.family)
    # Vivado HLS 2019-2020 schedules a fully unrolled (II 1) layer whose per-output adder tree (products + bias) has
    # at most lat0_levels levels without a register: its report says 0 cycles and no pipeline FFs
    tree_levels = int(math.ceil(math.log2(max(1, nonzero / max(n_out, 1)) + 1)))
    quantized = _accum_quantizes(inp, C)
    if quantized:
        # a rounding/saturating accum_t puts a quantizing cast (an add, a compare and a select) after every product
        # and partial sum: the tool registers every level of the trees (Berk-Bilgin's 28-bit AP_RND/AP_SAT Latency
        # layers: ~30-37 register bits per product, 31 cycles for a 64-input tree at 10 ns)
        depth = max(depth, levels + 1)
    elif ii == 1 and tree_levels <= C["lat0_levels"]:
        depth = 0
    stage_frac = min(1.0, depth / (levels + 1))
    coef = C["ff_pipe_ii1"] if ii == 1 else C["ff_pipe_shared"]
    # the registers of a stage hold adder outputs, as wide as their operands' range (ff_growth, structural) or accum_t
    reg_bits = tree_adder_bits(nonzero, n_out, p_bits, accum_bits) if C["ff_growth"] else accum_bits
    acc.add("ff", coef * nonzero * reg_bits * stage_frac,
            f"pipeline registers of {nonzero} products x {reg_bits:.3g} bits over {depth} stages"
            + (f" (the {inp.accum_rounding}/{inp.accum_saturation} accum_t casts every product and partial sum: "
               "each tree level is registered)" if quantized else "") + sfx)
    if ii > 1 and C["ff_shared_prod"]:
        # hls4ml's dense_latency keeps every product in mult[n_in*n_out] (accum_t, partitioned): with the function
        # pipelined at II > 1 the shared multipliers fill it over II cycles, so each product is held in a register
        # until the adder trees read it (structural on Vivado HLS, 1 register bit per product bit; 0 = off). The
        # products of the last cycle feed the trees directly: each multiplier's output is held II-1 times (pominiq
        # 4x128 RF 8, 16 multipliers at II 5: 1024 FF = 16 x 4 x 16 bits)
        # With ff_const_held the constant products built from shifts and adds (no multiplier) are scheduled over
        # the II cycles too and wait in mult[] for the adder trees (structural; the forum design's public Latency
        # build, 75 % zeros and 6-bit weights, spends ~21k FF at II 15: held out, its check and not its fit)
        folded = (shifts + shift_add) if C["ff_const_held"] else 0
        # Vitis HLS (ff_held_all, structural) registers every product of mult[] whatever the RF: ArgyKokk's Latency
        # layers at RF 2 and RF 100 report the same FF, 0.8-1.3 register bits per nonzero product bit
        held = nonzero if C["ff_held_all"] else min(nonzero, units * (ii - 1) + folded)
        how = (f"every nonzero product held at II {ii}, as Vitis HLS builds it" if C["ff_held_all"] else
               f"held while the {units} shared multipliers fill them over II {ii} cycles"
               + (f", {folded} of them shift/shift-add constant products" if folded else ""))
        acc.add("ff", C["ff_shared_prod"] * held * accum_bits,
                f"product registers: {held} products x {accum_bits} bits (mult[] of accum_t), {how}{sfx}")
    acc.add("ff", C["ff_io_per_bit"] * (n_in * in_bits + n_out * accum_bits),
            f"input and output registers ({n_in}x{in_bits} + {n_out}x{accum_bits} bits){sfx}")
    lat = depth if ii == 1 else max(depth, ii - 1)
    acc.add("latency", lat, f"pipeline depth: multiply + {levels}-level adder tree at {clock_ns:g} ns"
            + ("" if lat == depth else f"; the shared multipliers stretch it to II-1 = {ii - 1}") + sfx)
    return lat, ii


@lru_cache(maxsize=4096)
def tree_adder_bits(nonzero: int, n_out: int, product_bits: int, accum_bits: int) -> float:
    """Mean width of the adders of ``n_out`` balanced adder trees summing ``nonzero`` products and a bias each.

    hls4ml's ``dense_latency`` declares ``mult[]`` and ``acc[]`` of ``accum_t``, but the products of constant weights
    are sign-extended ``product_bits``-wide values (input bits + weight bits), and Vivado/Vitis HLS size each adder by
    the range of its operands: a first-level adder is ``product_bits + 1`` bits, each level one bit wider, never
    wider than ``accum_t``. For 16-bit designs with 16-bit accumulators every adder is ``accum_t`` wide (as fitted);
    a 6-bit ReLU output times a 6-bit weight gives 12-bit products, so a 19-bit ``accum_t`` tree is mostly
    13-17-bit adders."""
    m = max(1, math.ceil(nonzero / max(n_out, 1))) + 1  # the products of one output and its bias
    count, level, bits, adders = m, 0, 0.0, 0
    while count > 1:
        pairs = count // 2
        level += 1
        bits += pairs * min(accum_bits, product_bits + level)
        adders += pairs
        count -= pairs
    return bits / adders if adders else float(accum_bits)


def _zero_multipliers(weights, rf: int) -> int:
    """Resource-type multipliers whose every weight (their RF-long slice of hls4ml's transposed array) is zero."""
    w = np.asarray(weights)
    if w.size % rf:
        return 0
    mult = multiplier_of_weight(w.shape, rf).ravel()
    nonzero = np.bincount(mult[w.ravel() != 0], minlength=w.size // rf)
    return int(np.count_nonzero(nonzero == 0))


def _dense_resource(acc: Terms, inp, C, n_in, n_out, zeros, on_dsp, why, dsp_each, unrolled, sfx):
    rf, w_bits, in_bits, accum_bits = inp.reuse_factor, inp.weight_bits, inp.input_bits, inp.accum_bits
    weights = inp.weights
    N = n_in * n_out
    block = math.ceil(N / rf)
    name = "Resource_Unrolled" if unrolled else "Resource"
    dead = _zero_multipliers(weights, rf) if weights is not None and zeros else 0
    if dead and unrolled:
        # hls4ml's generated Resource_Unrolled code skips zero products, so a multiplier whose whole RF-long weight
        # slice is zero is never built; plain Resource reads the ROM at run time and keeps it.
        acc.warnings.append(f"{dead} of {block} multipliers have only zero weights: Resource_Unrolled does not "
                            "build them")
        block -= dead
    elif dead:
        acc.warnings.append(f"{dead} of {block} multipliers have only zero weights, but Resource reads weights from "
                            "a ROM at run time and keeps them: Resource_Unrolled would drop them")
    if zeros:
        acc.warnings.append(f"{zeros} zero weights still cost ROM bits and multiplier cycles: {name} reads weights "
                            "at run time, so there is no constant folding")
    acc.terms.append(Term("lut", 0.0, f"no constant folding: weights are run-time data from a ROM, so every one of "
                          f"the {block} multipliers is a generic {in_bits}x{w_bits} multiplier{sfx}", "exact"))
    if on_dsp:
        acc.add("dsp", block * dsp_each,
                f"{block} = n_in*n_out/RF multipliers on DSPs x {dsp_each} DSP each ({why}){sfx}", "exact")
    else:
        acc.add("lut", block * in_bits * w_bits * C["lut_gmul_per_bitprod"],
                f"{block} generic {in_bits}x{w_bits} multipliers in LUTs ({why}){sfx}")
    # weight ROM: RF words of block*w_bits bits, hls4ml pragma ROM_nP_BRAM
    width = block * w_bits
    brams = bram18k_for(rf, width)
    acc.add("bram18k", brams, f"weight ROM {rf} deep x {width} bits wide (BRAM forced by hls4ml's ROM_nP_BRAM)"
            + sfx, "exact")
    # Resource-specific scales (fitted on Vivado HLS Resource reports; -1: the shared multiplexer scale)
    rms = C["lut_mux_scale"] if C["res_mux_scale"] < 0 else C["res_mux_scale"]
    rff = C["res_ff_scale"]
    acc.add("ff", width * rff, f"weight ROM output register ({width} bits){sfx}", "modelled")
    # input multiplexers and accumulator select
    # hls4ml computes in_index / out_index at run time. In dense_resource_rf_leq_nin multiplier im reads
    # data[ir + RF*k] (k fixed by im once MultLoop is unrolled; ir in [0, RF) is the ReuseLoop counter), so with
    # res_in_mux_rf the tool's range analysis leaves an RF-to-1 multiplexer per multiplier, priced per LUT6 by
    # res_inmux_lut (fitted: the select decode and operand routing come with it); without it, a full n_in-to-1
    # multiplexer as first modelled. acc[out_index] of RF > n_in stays a full multiplexer (outidx[] is an array).
    if rf < n_in and C["res_in_mux_rf"] >= 0.5:
        acc.add("lut", block * in_bits * mux_luts(rf) * C["res_inmux_lut"],
                f"input multiplexers: each of {block} multipliers reads data[ir + {rf}k] (ir the reuse-loop "
                f"counter), an {rf}-to-1 multiplexer x {in_bits} bits each{sfx}")
    elif rf < n_in:
        _mux(acc, block * in_bits * mux_luts(n_in), rms,
             f"input multiplexers: each of {block} multipliers reads data[in_index] with a run-time index, "
             f"a {n_in}-to-1 multiplexer x {in_bits} bits each{sfx}")
    else:
        _mux(acc, in_bits * mux_luts(n_in), rms,
             f"one shared input multiplexer: all multipliers read the same input, 1 of {n_in} per cycle{sfx}")
    if rf > n_in and not unrolled:
        _write_select(acc, C, block, n_out, accum_bits, sfx)
        if C["res_wsel_ff"]:
            # acc[] is a loop-carried recurrence of the II-1 ReuseLoop: its block conditional updates cannot be
            # cut by pipeline registers (the loop would not reach II 1, and the reports say it does), so they are
            # chained in one cycle. What the pipeline keeps is each accumulator's selected addend and next
            # value: registers per accumulator bit, not per update (fitted, res_wsel_ff; per update it fitted 0.68
            # on blocks <= 5 and gave the held-out Pynq build's blocks of 16 2-7x its FF)
            acc.add("ff", n_out * accum_bits * C["res_wsel_ff"],
                    f"write-select registers: the selected addend and next value of each of the {n_out} "
                    f"accumulators x {accum_bits} bits (RF {rf} > n_in {n_in}: the {block} conditional updates "
                    f"of a reuse-loop iteration are chained in one cycle){sfx}")
        # read multiplexer x rms, plus write enables (n_out x block / 4: at the shared scale unscaled, as first fitted)
        wen = n_out * block / 4 * (1.0 / rms if C["res_mux_scale"] < 0 and rms else 1.0)
        _mux(acc, block * accum_bits * (mux_luts(n_out) + 1) + wen, rms,
             f"accumulator select: RF {rf} > n_in {n_in}, so each of {block} multipliers adds into acc[out_index] "
             f"with a run-time index: a {n_out}-to-1 read multiplexer x {accum_bits} bits plus write enables "
             f"for {n_out} accumulators{sfx}")
    acc.add("lut", block * accum_bits * C["lut_add_per_bit"], f"{block} {accum_bits}-bit accumulate adders{sfx}")
    _accum_quant(acc, inp, C, block, "multiplier", sfx)
    if not unrolled:
        acc.add("lut", C["res_layer_lut"], f"reuse-loop control: the ReuseLoop counter, ROM address and index "
                f"registers of the not-pipelined Resource function (per layer){sfx}")
    acc.add("ff", n_out * accum_bits * rff, f"{n_out} accumulators x {accum_bits} bits{sfx}",
            "exact" if rff == 1.0 else "modelled")
    # multiplier operand and product registers. With RF <= n_in (dense_resource_rf_leq_nin) each DSP multiplier
    # has a fixed input group and accumulator (in_index = ir + RF*k, out_index fixed by im), and the tool leaves the
    # operand/product registers to the DSP's own A/B/M/P registers: priced apart by res_leq_ff (fitted, 0.0-0.8
    # over the folds; -1: at the register scale like the rest)
    leq = rf <= n_in and on_dsp and C["res_leq_ff"] >= 0
    acc.add("ff", block * (in_bits + accum_bits) * (C["res_leq_ff"] if leq else rff),
            f"multiplier operand and product registers{sfx}"
            + (" (RF <= n_in: mostly inside the DSP slices)" if leq else ""))
    e1, quantized = inp.part.dsp_mult_width[0] < 27, _accum_quantizes(inp, C)
    if on_dsp and C["res_e1_ff"] and (e1 or quantized):
        # a 7-series DSP48E1 is slower than the DSP48E2 of UltraScale(+): at the clock the pipelined ReuseLoop
        # registers each run-time product (in + w bits) in the fabric as well (fitted; pominiq's xc7z020 rows carry
        # ~60 register bits per 16x16 multiplier, its UltraScale+ rows ~15-20). Vivado synthesis packs them into
        # the DSP's M/P registers again (vsynth_ff_resource). A rounding/saturating accum_t does the same on any
        # family (structural): the cast after each product is fabric logic, so the product leaves the DSP and is
        # registered in the fabric (Berk-Bilgin's 24-bit AP_RND/AP_SAT Resource layers: 80-120 register bits per
        # multiplier on the xcku15p as on the xc7a200t)
        why_e1 = (f"on DSP48E1 slices (7-series: the ReuseLoop pipeline registers each {in_bits}+{w_bits}-bit product "
                  "at the clock)" if e1 else f"leaving the DSP48E2 slices for the {inp.accum_rounding}/"
                  f"{inp.accum_saturation} accum_t cast in the fabric, where each {in_bits}+{w_bits}-bit product is "
                  "registered")
        acc.add("ff", block * (in_bits + w_bits) * C["res_e1_ff"],
                f"product pipeline registers of the {block} multipliers {why_e1}{sfx}")
    # cycles around the RF-long reuse loop: fitted per tool (res_lat_c), else from the pipeline timing
    depth = (2 + latency_depth(1, True, inp.clock_ns, C, inp.part.family) if C["res_lat_c"] < 0
             else int(round(C["res_lat_c"])))
    if unrolled:
        ii = rf
        acc.add("ii", ii, "Resource_Unrolled: pipelined with II = ReuseFactor", "exact")
        lat = rf + depth
    else:
        lat = rf + depth
        ii = lat
        acc.add("ii", ii, f"Resource: reuse loop of RF={rf} cycles plus {depth} cycles to fill and drain; the "
                "function is not pipelined, so it takes a new input when done", "modelled")
    acc.add("latency", lat, f"RF={rf} reuse-loop iterations + {depth} cycles (ROM read, multiply, add, result)",
            "modelled")
    return lat, ii


def _accum_quantizes(inp, C) -> bool:
    """Whether ``accum_t`` rounds or saturates (and the ``acc_quant`` switch prices it): then every product leaves
    the multiplier through a quantizing cast built in the fabric."""
    return ((inp.accum_rounding != "AP_TRN" or inp.accum_saturation != "AP_WRAP") and C["acc_quant"] >= 0.5
            and bool(C["act_lut_quant"]))


def _accum_quant(acc: Terms, inp, C, n: int, per: str, sfx: str) -> None:
    """A rounding or saturating ``accum_t`` (``ap_fixed<24,16,AP_RND,AP_SAT>``): every product is rounded and
    saturated into it and, when it saturates, so is every partial sum. Each such cast is priced as a quantized
    activation prices one value (``act_lut_quant``, fitted per tool on activation rows, never on these layers), one
    cast per product plus one per saturating add (``acc_quant`` switch, structural). Berk-Bilgin's Resource layers
    with that accumulator spend ~225 LUT per multiplier beyond a wrapping one; this prices them at 2 x ~96."""
    sat = inp.accum_saturation != "AP_WRAP"
    if not n or not _accum_quantizes(inp, C):
        return
    casts = n * (1 + sat)
    acc.add("lut", casts * C["act_lut_quant"],
            f"accum_t {inp.accum_bits} bits, {inp.accum_rounding}, {inp.accum_saturation}: each {per}'s product is "
            f"rounded and saturated into it" + (" and each add saturates" if sat else "") + f" ({casts} casts x "
            f"{C['act_lut_quant']:.0f} LUT, the price of one quantized activation value){sfx}", "modelled")


def _mux(acc: Terms, luts: float, scale: float, what: str) -> None:
    """A Resource multiplexer term of ``luts`` LUT6s x ``scale``; where the fitted scale is 0 (``res_mux_scale``: on
    Vivado HLS the reports do not separate these LUTs from the per-layer reuse-loop control) it stays in the
    breakdown as a 0 that says so."""
    if luts * scale:
        acc.add("lut", luts * scale, what)
    elif luts:
        acc.terms.append(Term("lut", 0.0, what + " (priced within the per-layer reuse-loop control: res_mux_scale "
                              "fits to 0 on the Vivado HLS reports)"))


def _write_select(acc: Terms, C, block: int, n_out: int, accum_bits: int, sfx: str) -> None:
    """LUTs of the accumulator writes of hls4ml's ``dense_resource_rf_gt_nin``: ``acc[out_index] += product``,
    unrolled over the ``block`` multipliers, with ``out_index`` computed at run time.

    ``wsel_form`` 0 (shared, as first fitted): every accumulator may take any of the ``block`` products, so
    block x n_out conditional updates x bits. ``wsel_form`` 1 (fitted on Vivado HLS Resource reports): for one
    multiplier the index spans only RF/n_in accumulators and block x RF/n_in = n_out, so each accumulator has one
    selected writer (n_out x bits), plus the unrolled chain HLS still builds because it cannot see that range:
    (block - 1) x n_out x bits conditional updates priced by ``lut_wsel_chain_per_bit``.
    """
    if C["wsel_form"] >= 0.5:
        acc.add("lut", n_out * accum_bits * C["lut_wsel_per_bit"],
                f"accumulator write select: each of the {n_out} accumulators takes the product of its one "
                f"multiplier when the run-time out_index selects it ({accum_bits}-bit enable and hold){sfx}")
        acc.add("lut", (block - 1) * n_out * accum_bits * C["lut_wsel_chain_per_bit"],
                f"accumulator update chain: {block - 1} further conditional updates of each of the {n_out} "
                f"accumulators (HLS cannot see the range of the run-time out_index) x {accum_bits} bits{sfx}")
        return
    acc.add("lut", block * n_out * accum_bits * C["lut_wsel_per_bit"],
            f"accumulator write select: with a run-time out_index each of the {n_out} accumulators may take any "
            f"of the {block} products every cycle: {block}x{n_out} conditional updates x {accum_bits} bits{sfx}")
