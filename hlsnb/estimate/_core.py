"""Per-layer resource and latency model of hls4ml's Vivado/Vitis HLS templates.

Pure Python (math + optional numpy for weight statistics). No keras, no hls4ml, no widgets.

Every number is a sum of :class:`Term` objects. A term is ``exact`` when it follows from hls4ml's templates and
the design rules (how many multipliers ``ceil(n_in*n_out/RF)``, ROM depth and width, BRAM18K port shapes, II of a
pipelined reuse loop) and ``modelled`` when a coefficient fitted on real reports (``coefficients.json``, written by
``python -m hlsnb.estimate.calibrate``) or a structural constant (LUTs per multiplexer input) is involved.
All numbers stand for what the HLS tool's *csynth* report would say (``stage="csynth"``), not post-synthesis.
"""

from __future__ import annotations

import json
import math
import os
import warnings
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..boards import Part, get_board, get_part
from ..precision import parse_precision

__all__ = ["Term", "LayerEstimate", "estimate_layer", "COEFFICIENTS", "load_coefficients", "mux_luts",
           "dsp_per_product", "bram18k_for", "DSP_THRESHOLD_BITS"]

RESOURCES = ("dsp", "lut", "ff", "bram18k")
#: hls4ml's rule (pruning objectives): "Vivado doesn't use DSP when precision < 9". Not fitted.
DSP_THRESHOLD_BITS = 9
#: LUT6 distributed ROM/RAM: 64 x 1 bit per LUT.
LUTRAM_BITS_PER_LUT = 64
#: Shift-register LUT (SRL32): 32 x 1 bit per LUT.
SRL_BITS_PER_LUT = 32
#: BRAM18K shapes: (max depth, data width) per aspect ratio, 18 Kb each (9-bit bytes counted with parity).
BRAM18K_SHAPES = ((512, 36), (1024, 18), (2048, 9), (4096, 4), (8192, 2), (16384, 1))

_COEF_PATH = Path(__file__).with_name("coefficients.json")


def load_coefficients(path: "str | Path | None" = None) -> dict:
    """The fitted coefficients shipped with the package (or from ``path``)."""
    with open(path or _COEF_PATH) as f:
        return json.load(f)


def user_calibration_path() -> Path:
    """Where ``hlsnb.synth.recalibrate`` saves a refit on your builds: ``$HLSNB_COEFFICIENTS`` or
    ``~/.config/hlsnb/coefficients.json``."""
    env = os.environ.get("HLSNB_COEFFICIENTS")
    return Path(env) if env else Path.home() / ".config" / "hlsnb" / "coefficients.json"


#: What the coefficients in use were fitted on; every DesignEstimate carries it.
CALIBRATION = {"source": "shipped", "path": None}


def _initial_coefficients() -> dict:
    coef = load_coefficients()
    p = user_calibration_path()
    if p.is_file():  # a refit on the user's own builds (hlsnb.synth.recalibrate) is used until reset
        try:
            coef = dict(coef, **json.loads(p.read_text())["coefficients"])
            CALIBRATION.update(source="your builds", path=str(p))
        except (ValueError, KeyError, OSError) as e:
            warnings.warn(f"ignoring the saved calibration {p}: {e}; reset it with "
                          "hlsnb.synth.reset_calibration()", stacklevel=2)
    return coef


COEFFICIENTS: dict = _initial_coefficients()


# ---------------------------------------------------------------------------------------------------- data types
@dataclass(frozen=True)
class Term:
    """One item of an estimate: ``value`` units of ``resource`` because of ``what``.

    ``resource`` is one of ``dsp, lut, ff, bram18k, latency, ii`` (latency and ii in clock cycles).
    ``kind`` is ``"exact"`` (follows from hls4ml's templates and the design rules) or ``"modelled"`` (uses a
    coefficient fitted on real reports or a structural constant).
    """

    resource: str
    value: float
    what: str
    kind: str = "modelled"

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class LayerEstimate:
    """Estimated resources of one layer as the HLS csynth report would give them.

    ``dsp`` DSP slices, ``lut`` LUTs, ``ff`` flip-flops, ``bram18k`` 18 Kb block RAMs, ``uram`` UltraRAMs,
    ``latency_cycles`` clock cycles from first input to last output, ``ii`` initiation interval in cycles.
    ``estimated`` is False (and ``reason`` says why) for layer types the model does not know: their numbers are
    ``None``, never a silent zero.
    """

    name: str
    layer_type: str
    dsp: float | None = 0
    lut: float | None = 0
    ff: float | None = 0
    bram18k: float | None = 0
    uram: float | None = 0
    latency_cycles: float | None = 0
    ii: float | None = 1
    stage: str = "csynth"
    estimated: bool = True
    reason: str | None = None
    breakdown: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    strategy: str | None = None
    reuse_factor: int | None = None

    def terms(self, resource: str) -> list[Term]:
        """The breakdown items of one resource."""
        return [t for t in self.breakdown if t.resource == resource]

    def explain(self, resource: str | None = None) -> str:
        """The breakdown as text, one line per term."""
        lines = []
        for t in self.breakdown:
            if resource is None or t.resource == resource:
                lines.append(f"{self.name:>16} {t.resource:>8} {t.value:>10.0f}  [{t.kind}] {t.what}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["breakdown"] = [t.to_dict() for t in self.breakdown]
        return d


class _Acc:
    """Collects terms and sums them per resource."""

    def __init__(self):
        self.terms: list[Term] = []
        self.warnings: list[str] = []

    def add(self, resource: str, value: float, what: str, kind: str = "modelled") -> None:
        if value:
            self.terms.append(Term(resource, float(value), what, kind))

    def total(self, resource: str) -> float:
        return float(sum(t.value for t in self.terms if t.resource == resource))


# ---------------------------------------------------------------------------------------------------- helpers
def mux_luts(n: int) -> float:
    """LUT6s per bit of an ``n``-to-1 multiplexer on a 7-series/UltraScale fabric (F7/F8 muxes used for 8/16)."""
    n = int(n)
    if n <= 1:
        return 0.0
    if n == 2:
        return 0.5  # LUT6_2 holds two 2:1 muxes with a shared select
    if n <= 4:
        return 1.0
    if n <= 16:
        return float(math.ceil(n / 4))
    groups = math.ceil(n / 16)
    return 4.0 * groups + mux_luts(groups)


def dsp_per_product(a_bits: int, b_bits: int, part: Part) -> int:
    """DSP slices for one ``a_bits x b_bits`` product: 1 if it fits the slice (25x18 DSP48E1, 27x18 DSP48E2)."""
    big, small = part.dsp_mult_width
    a, b = max(a_bits, b_bits), min(a_bits, b_bits)
    return int(min(math.ceil(a / big) * math.ceil(b / small), math.ceil(a / small) * math.ceil(b / big)))


def bram18k_for(depth: int, width: int) -> int:
    """BRAM18K blocks for a ``depth x width`` memory, using the best of the 512x36 ... 16Kx1 shapes."""
    if depth <= 0 or width <= 0:
        return 0
    best = None
    for max_depth, port in BRAM18K_SHAPES:
        n = math.ceil(depth / max_depth) * math.ceil(width / port)
        best = n if best is None else min(best, n)
    return int(best)


def _resolve_part(part) -> Part:
    if isinstance(part, Part):
        return part
    if part is None:
        return get_board("pynq-z2").part
    try:
        return get_board(part).part
    except ValueError:
        return get_part(part)


def _bits(prec, default: int) -> tuple[int, int]:
    """(width, integer bits) of a precision string, int width or None."""
    if prec is None:
        return default, default
    if isinstance(prec, (int, float)):
        return int(prec), int(prec)
    t = parse_precision(prec)
    return t.width, t.integer


def _csd_digits(q):
    """Non-zero digits of the canonical signed-digit (NAF) form of integers ``q`` (numpy array)."""
    import numpy as np

    x = np.abs(q).astype(np.int64)
    return np.bitwise_count((x ^ (3 * x)) >> 1)


@lru_cache(maxsize=512)
def _weight_classes_cached(key, data: bytes, dtype: str, n: int, w_bits: int, w_int: int, k: int):
    import numpy as np

    w = np.frombuffer(data, dtype=dtype)[:n].astype(np.float64)
    lsb = 2.0 ** -(w_bits - w_int)
    lo, hi = -(2 ** (w_bits - 1)), 2 ** (w_bits - 1) - 1
    q = np.clip(np.floor(w / lsb), lo, hi)  # hls4ml casts float weights with AP_TRN (floor)
    d = _csd_digits(q)
    zeros = int(np.count_nonzero(d == 0))
    shifts = int(np.count_nonzero(d == 1))
    shift_add = int(np.count_nonzero((d >= 2) & (d <= k)))
    mul = int(np.count_nonzero(d > k))
    return zeros, shifts, shift_add, mul


def weight_classes(weights, w_bits: int, w_int: int, k: int) -> tuple[int, int, int, int]:
    """Split quantized constant weights into (zeros, powers of two, shift-add constants, generic multiplies).

    A constant with one signed digit is a shift; with at most ``k`` digits the compiler builds it from shifts and
    adds; with more it stays a multiply operation.
    """
    import numpy as np

    a = np.ascontiguousarray(np.asarray(weights, dtype=np.float32).ravel())
    return _weight_classes_cached(hash(a.tobytes()), a.tobytes(), "float32", a.size, w_bits, w_int, k)


# ---------------------------------------------------------------------------------------------------- dense kernel
def _mult_mapping(mult_impl: str, w_bits: int, in_bits: int) -> tuple[bool, str]:
    """(on DSPs?, reason in words)."""
    if mult_impl == "dsp":
        return True, "multiplications forced onto DSPs (config_op mul -impl dsp)"
    if mult_impl == "fabric":
        return False, "multiplications forced into LUTs (config_op mul -impl fabric)"
    if min(w_bits, in_bits) >= DSP_THRESHOLD_BITS:
        return True, f"{in_bits}x{w_bits}-bit products are at or above the DSP threshold ({DSP_THRESHOLD_BITS} bits)"
    return False, (f"{in_bits}x{w_bits}-bit products are below the DSP threshold ({DSP_THRESHOLD_BITS} bits): "
                   "the tool builds them from LUTs")


def adder_levels(nonzero: int, n_out: int) -> int:
    """Adder-tree levels of one output (products per output, plus the bias add)."""
    return int(math.ceil(math.log2(max(2, nonzero / max(n_out, 1))))) + 1


def _latency_depth(levels: int, has_mult: bool, clock_ns: float, C: dict) -> int:
    t = (C["t_mul_ns"] if has_mult else 0.0) + levels * C["t_add_ns"]
    return max(0, int(math.ceil(t / clock_ns - 1e-9)))


def _dense_kernel(acc: _Acc, *, n_in: int, n_out: int, strategy: str, rf: int, w_bits: int, w_int: int,
                  in_bits: int, accum_bits: int, result_bits: int, part: Part, clock_ns: float,
                  zeros: int, weights, mult_impl: str, tool: str, what: str = "") -> tuple[int, int]:
    """Add the terms of one n_in x n_out matrix-vector product; return (latency cycles, II)."""
    C = COEFFICIENTS
    N = n_in * n_out
    on_dsp, why = _mult_mapping(mult_impl, w_bits, in_bits)
    dsp_each = dsp_per_product(in_bits, w_bits, part)
    sfx = f" ({what})" if what else ""
    if strategy == "Resource" and rf == 1:
        acc.warnings.append("Resource with ReuseFactor 1 keeps the weights as constants: estimated like Latency")
        strategy = "Latency"
    if strategy == "distributed_arithmetic":
        return _dense_da(acc, n_in=n_in, n_out=n_out, rf=rf, w_bits=w_bits, w_int=w_int, in_bits=in_bits,
                         accum_bits=accum_bits, clock_ns=clock_ns, zeros=zeros, weights=weights, sfx=sfx)
    if strategy == "Latency":
        return _dense_latency(acc, n_in=n_in, n_out=n_out, rf=rf, w_bits=w_bits, w_int=w_int, in_bits=in_bits,
                              accum_bits=accum_bits, result_bits=result_bits, clock_ns=clock_ns, zeros=zeros,
                              weights=weights, on_dsp=on_dsp, why=why, dsp_each=dsp_each, tool=tool, sfx=sfx)
    return _dense_resource(acc, n_in=n_in, n_out=n_out, rf=rf, w_bits=w_bits, in_bits=in_bits,
                           accum_bits=accum_bits, clock_ns=clock_ns, on_dsp=on_dsp, why=why, dsp_each=dsp_each,
                           unrolled=(strategy == "Resource_Unrolled"), zeros=zeros, weights=weights, sfx=sfx)


_Z = None


@lru_cache(maxsize=4096)
def _share_for(sigma_lsb: float, w_bits: int, k: int) -> float:
    import numpy as np
    from statistics import NormalDist

    global _Z
    if _Z is None:  # 1024 fixed quantiles of a standard normal: deterministic and cheap
        nd = NormalDist()
        _Z = np.array([nd.inv_cdf((i + 0.5) / 1024) for i in range(1024)])
    lo, hi = -(2 ** (w_bits - 1)), 2 ** (w_bits - 1) - 1
    q = np.clip(np.floor(_Z * sigma_lsb), lo, hi)
    d = _csd_digits(q)
    nonzero = np.count_nonzero(d > 0)
    return float(np.count_nonzero(d > k) / nonzero) if nonzero else 0.0


def mul_op_share(n_in: int, w_bits: int, w_int: int, C: dict | None = None) -> float:
    """Modelled fraction of non-zero constant products that stay generic multiplications (no weights known).

    Trained weights are taken as normal with sigma = ``share_scale / sqrt(n_in)``; quantized to the weight type, a
    constant with at most ``share_k_digits`` signed digits becomes shifts and adds, one with more stays a multiply
    (a DSP when on DSPs). ``share_scale`` is fitted on the DSP counts of Vitis HLS reports.
    """
    C = C or COEFFICIENTS
    lsb = 2.0 ** -(w_bits - w_int)
    sigma_lsb = C["share_scale"] / math.sqrt(max(n_in, 1)) / lsb
    return _share_for(round(sigma_lsb, 3), int(w_bits), int(C["share_k_digits"]))


def _dense_latency(acc: _Acc, *, n_in, n_out, rf, w_bits, w_int, in_bits, accum_bits, result_bits, clock_ns,
                   zeros, weights, on_dsp, why, dsp_each, tool, sfx):
    C = COEFFICIENTS
    N = n_in * n_out
    if weights is not None:
        zeros, shifts, shift_add, mul_ops = weight_classes(weights, w_bits, w_int, int(C["share_k_digits"]))
        cls_kind = "exact"
    else:
        zeros = int(zeros)
        nz = N - zeros
        mul_ops = int(round(nz * mul_op_share(n_in, w_bits, w_int)))
        shifts, shift_add = 0, nz - mul_ops
        cls_kind = "modelled"
    nonzero = N - zeros
    limit = max(1, math.ceil(N / rf) - zeros // rf)  # hls4ml's ALLOCATION multiplier_limit
    units = min(mul_ops, limit)
    if rf == 1 or units == 0:
        ii = 1 if rf == 1 else rf
    elif tool == "vitis_hls":
        ii = int(min(rf, math.ceil(mul_ops / units) + C["ii_overhead"]))
    else:
        ii = rf
    acc.add("ii", ii, f"Latency strategy: function pipelined with II = ReuseFactor {rf}" if ii == rf else
            f"Vitis HLS schedules {mul_ops} multiply operations on {units} multipliers: II {ii} < ReuseFactor {rf}",
            "exact" if ii == rf else "modelled")
    if zeros:
        acc.warnings.append(f"{zeros} of {N} weights are zero: constant folding removes their multiplications")
    # DSP / generic multipliers
    if units:
        if on_dsp:
            acc.add("dsp", units * dsp_each,
                    f"{units} multipliers on DSPs x {dsp_each} DSP each ({why}); "
                    f"{mul_ops} non-trivial constant products shared under the limit {limit}{sfx}",
                    "exact" if (weights is not None and units == limit) or (units == limit and cls_kind == "exact") else "modelled")
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
    absorbed = min(mul_ops, n_adds) if on_dsp and units else 0
    acc.add("lut", (n_adds - absorbed) * accum_bits * C["lut_add_per_bit"],
            f"{n_adds - absorbed} {accum_bits}-bit adders of the unrolled adder trees"
            + (f" ({absorbed} more adds absorbed in DSP post-adders)" if absorbed else "") + sfx)
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
    depth = _latency_depth(levels, mul_ops > 0, clock_ns, C)
    stage_frac = min(1.0, depth / (levels + 1))
    coef = C["ff_pipe_ii1"] if ii == 1 else C["ff_pipe_shared"]
    acc.add("ff", coef * nonzero * accum_bits * stage_frac,
            f"pipeline registers of {nonzero} products x {accum_bits} bits over {depth} stages{sfx}")
    acc.add("ff", C["ff_io_per_bit"] * (n_in * in_bits + n_out * accum_bits),
            f"input and output registers ({n_in}x{in_bits} + {n_out}x{accum_bits} bits){sfx}")
    lat = depth if ii == 1 else max(depth, ii - 1)
    acc.add("latency", lat, f"pipeline depth: multiply + {levels}-level adder tree at {clock_ns:g} ns"
            + ("" if lat == depth else f"; the shared multipliers stretch it to II-1 = {ii - 1}") + sfx)
    return lat, ii


def _zero_multipliers(weights, rf: int) -> int:
    """Resource-type multipliers whose every weight (their RF-long slice of hls4ml's transposed array) is zero."""
    from ..rules import multiplier_of_weight

    w = np.asarray(weights)
    if w.size % rf:
        return 0
    mult = multiplier_of_weight(w.shape, rf).ravel()
    nonzero = np.bincount(mult[w.ravel() != 0], minlength=w.size // rf)
    return int(np.count_nonzero(nonzero == 0))


def _dense_resource(acc: _Acc, *, n_in, n_out, rf, w_bits, in_bits, accum_bits, clock_ns, on_dsp, why,
                    dsp_each, unrolled, zeros, weights=None, sfx=""):
    C = COEFFICIENTS
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
        acc.add("dsp", block * dsp_each, f"{block} = n_in*n_out/RF multipliers on DSPs x {dsp_each} DSP each ({why}){sfx}",
                "exact")
    else:
        acc.add("lut", block * in_bits * w_bits * C["lut_gmul_per_bitprod"],
                f"{block} generic {in_bits}x{w_bits} multipliers in LUTs ({why}){sfx}")
    # weight ROM: RF words of block*w_bits bits, hls4ml pragma ROM_nP_BRAM
    width = block * w_bits
    brams = bram18k_for(rf, width)
    acc.add("bram18k", brams, f"weight ROM {rf} deep x {width} bits wide (BRAM forced by hls4ml's ROM_nP_BRAM)"
            + sfx, "exact")
    acc.add("ff", width, f"weight ROM output register ({width} bits){sfx}", "modelled")
    # input multiplexers and accumulator select
    # hls4ml computes in_index / out_index at run time; HLS cannot narrow such an index, so each indexed access is
    # a full multiplexer over the array (data[n_in] or acc[n_out]).
    if rf < n_in:
        acc.add("lut", block * in_bits * mux_luts(n_in) * C["lut_mux_scale"],
                f"input multiplexers: each of {block} multipliers reads data[in_index] with a run-time index, "
                f"a {n_in}-to-1 multiplexer x {in_bits} bits each{sfx}")
    else:
        acc.add("lut", in_bits * mux_luts(n_in) * C["lut_mux_scale"],
                f"one shared input multiplexer: all multipliers read the same input, 1 of {n_in} per cycle{sfx}")
    if rf > n_in and not unrolled:
        # hls4ml's dense_resource_rf_gt_nin: `mult[out_index] += tmpmult[im]`, unrolled over the block, with
        # out_index = (ir + RF*im) / n_in computed at run time. Every accumulator register can take any product in
        # any cycle, so each of the n_out registers gets a chain of `block` conditional updates.
        acc.add("lut", block * n_out * accum_bits * C.get("lut_wsel_per_bit", 0.0),
                f"accumulator write select: with a run-time out_index each of the {n_out} accumulators may take any "
                f"of the {block} products every cycle: {block}x{n_out} conditional updates x {accum_bits} bits "
                f"(coefficient fitted on the one Resource report there is){sfx}")
    if rf > n_in and not unrolled:
        acc.add("lut", block * accum_bits * (mux_luts(n_out) + 1) * C["lut_mux_scale"] + n_out * block / 4,
                f"accumulator select: RF {rf} > n_in {n_in}, so each of {block} multipliers adds into acc[out_index] "
                f"with a run-time index: a {n_out}-to-1 read multiplexer x {accum_bits} bits plus write enables "
                f"for {n_out} accumulators{sfx}")
    acc.add("lut", block * accum_bits * C["lut_add_per_bit"], f"{block} {accum_bits}-bit accumulate adders{sfx}")
    acc.add("ff", n_out * accum_bits, f"{n_out} accumulators x {accum_bits} bits{sfx}", "exact")
    acc.add("ff", block * (in_bits + accum_bits), f"multiplier operand and product registers{sfx}")
    depth = 2 + _latency_depth(1, True, clock_ns, C)
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


def _dense_da(acc: _Acc, *, n_in, n_out, rf, w_bits, w_int, in_bits, accum_bits, clock_ns, zeros, weights, sfx):
    C = COEFFICIENTS
    if rf != 1:
        acc.warnings.append(f"distributed_arithmetic needs ReuseFactor 1 (got {rf}); estimated at RF 1")
    N = n_in * n_out
    if weights is not None:
        import numpy as np

        lsb = 2.0 ** -(w_bits - w_int)
        q = np.floor(np.asarray(weights, dtype=np.float64).ravel() / lsb)
        digits = int(_csd_digits(q).sum())
        kind = "exact"
    else:
        digits = int((N - zeros) * max(1.0, (w_bits - w_int) / 3.0))
        kind = "modelled"
    adders = max(0, int(0.5 * digits))  # common subexpressions roughly halve the adders (da4ml reports)
    acc.add("lut", adders * (in_bits + 2) * C["lut_add_per_bit"],
            f"distributed arithmetic: about {adders} shift-add adders for {digits} signed digits of the constant "
            f"matrix (half shared between outputs){sfx}", "modelled")
    levels = int(math.ceil(math.log2(max(2, digits / max(n_out, 1)))))
    lat = _latency_depth(levels, False, clock_ns, C)
    acc.add("ff", adders * (in_bits + 2) * min(1.0, lat / max(levels, 1)) * 0.5,
            f"pipeline registers of the adder graph{sfx}")
    acc.add("latency", lat, f"{levels}-level adder graph at {clock_ns:g} ns{sfx}", "modelled")
    acc.add("ii", 1, "distributed arithmetic is fully unrolled: II 1", "exact")
    acc.terms.append(Term("dsp", 0.0, f"no DSPs: constant multiplications become adders ({kind} digit count)", kind))
    return lat, 1


# ---------------------------------------------------------------------------------------------------- layer types
_ACT_SIMPLE = {"relu", "linear", "leaky_relu", "leakyrelu", "relu6", "thresholdedrelu", "prelu", "elu", "selu",
               "hard_sigmoid", "hard_tanh", "binary", "ternary", "softsign", "quantized_relu"}
_ACT_TABLE = {"sigmoid", "tanh", "softplus", "exp", "gelu", "swish", "silu"}


def _prod(t) -> int:
    p = 1
    for x in t or ():
        p *= int(x)
    return p


def _estimate(kw: dict) -> LayerEstimate:
    C = COEFFICIENTS
    lt = kw["layer_type"]
    name = kw.get("name") or lt
    part = _resolve_part(kw.get("part"))
    clock = float(kw.get("clock_ns") or 10.0)
    io = kw.get("io_type", "io_parallel")
    strategy = kw.get("strategy") or "Latency"
    rf = int(kw["reuse_factor"]) if kw.get("reuse_factor") is not None else 1
    w_bits, w_int = int(kw.get("weight_bits") or 16), int(kw.get("weight_int_bits") if kw.get("weight_int_bits") is not None else 6)
    res_bits = int(kw.get("result_bits") or 16)
    in_bits = int(kw.get("input_bits") or res_bits)
    accum_bits = int(kw.get("accum_bits") or res_bits)
    n_in, n_out = kw.get("n_in"), kw.get("n_out")
    act = (kw.get("activation") or "").lower()
    acc = _Acc()
    est = LayerEstimate(name=name, layer_type=lt, strategy=strategy, reuse_factor=rf)
    if io not in ("io_parallel", "io_stream"):
        raise ValueError(f"layer {name!r}: io_type {io!r} is not valid; valid: io_parallel, io_stream")
    if rf < 1:
        raise ValueError(f"layer {name!r}: reuse_factor {rf} is not valid; it must be a positive integer")
    mult_impl = kw.get("mult_impl") or "auto"
    if mult_impl not in ("auto", "dsp", "fabric"):
        raise ValueError(f"layer {name!r}: mult_impl {mult_impl!r} is not valid; valid: auto, dsp, fabric")
    tool = kw.get("tool") or "vivado_hls"
    if tool not in ("vivado_hls", "vitis_hls"):
        raise ValueError(f"layer {name!r}: tool {tool!r} is not valid; valid: vivado_hls, vitis_hls")
    if strategy not in ("Latency", "Resource", "Resource_Unrolled", "distributed_arithmetic"):
        raise ValueError(f"layer {name!r}: strategy {strategy!r} is not valid; valid: Latency, Resource, "
                         "Resource_Unrolled, distributed_arithmetic")
    sparsity = float(kw.get("sparsity") or 0.0)
    weights = kw.get("weights")
    in_shape = tuple(kw.get("input_shape") or ())
    out_shape = tuple(kw.get("output_shape") or ())

    def finish(lat, ii):
        for r in RESOURCES:
            setattr(est, r, round(acc.total(r)))
        est.uram = 0
        est.latency_cycles = int(round(lat))
        est.ii = int(round(ii))
        est.breakdown = acc.terms
        est.warnings = acc.warnings
        return est

    if lt == "Dense":
        if not n_in or not n_out:
            raise ValueError(f"layer {name!r}: Dense needs n_in and n_out (got {n_in}, {n_out})")
        n_in, n_out = int(n_in), int(n_out)
        N = n_in * n_out
        zeros = int(kw.get("n_zeros") if kw.get("n_zeros") is not None else round(sparsity * N))
        if strategy == "Latency" and math.ceil(N / rf) > 4096:
            acc.warnings.append(f"{math.ceil(N / rf)} multiplications per cycle exceed the ~4096 that Vivado HLS "
                                "unrolls: synthesis may stop ('Stop unrolling loop'); raise the ReuseFactor")
        pixels = _prod(in_shape[:-1]) if io == "io_stream" and len(in_shape) > 1 else 1
        lat, ii = _dense_kernel(acc, n_in=n_in, n_out=n_out, strategy=strategy, rf=rf, w_bits=w_bits, w_int=w_int,
                                in_bits=in_bits, accum_bits=accum_bits, result_bits=res_bits, part=part,
                                clock_ns=clock, zeros=zeros, weights=weights, mult_impl=mult_impl, tool=tool)
        if io == "io_stream":
            acc.add("latency", pixels + 1, f"io_stream: read {pixels} stream word(s) before computing", "exact")
            lat += pixels + 1
            ii = max(ii, pixels)
        return finish(lat, ii)

    if lt in ("Conv1D", "Conv2D"):
        if not n_in or not n_out:
            raise ValueError(f"layer {name!r}: {lt} needs n_in (channels x kernel) and n_out (filters)")
        n_in, n_out = int(n_in), int(n_out)
        N = n_in * n_out
        zeros = int(kw.get("n_zeros") if kw.get("n_zeros") is not None else round(sparsity * N))
        if not out_shape:
            return _not_estimated(name, lt, "convolution needs output_shape (pixels) to be estimated")
        out_px = _prod(out_shape[:-1])
        in_px = _prod(in_shape[:-1]) if in_shape else out_px
        lat_k, ii_k = _dense_kernel(acc, n_in=n_in, n_out=n_out, strategy=strategy, rf=rf, w_bits=w_bits,
                                    w_int=w_int, in_bits=in_bits, accum_bits=accum_bits, result_bits=res_bits,
                                    part=part, clock_ns=clock, zeros=zeros, weights=weights, mult_impl=mult_impl,
                                    tool=tool, what="one output pixel")
        chans = int(in_shape[-1]) if in_shape else max(1, n_in)
        ks = tuple(kw.get("kernel_size") or ())
        kh = int(ks[0]) if ks else 1
        if io == "io_stream":
            width_px = int(in_shape[-2]) if len(in_shape) >= 3 else 1
            if lt == "Conv2D" and kh > 1:
                lb_bits = (kh - 1) * width_px * chans * in_bits
                acc.add("lut", lb_bits / SRL_BITS_PER_LUT,
                        f"line buffer: {kh - 1} image rows x {width_px} pixels x {chans} channels x {in_bits} bits "
                        "in shift-register LUTs", "modelled")
            acc.add("ff", n_in * in_bits, f"sliding window registers ({n_in} x {in_bits} bits)", "exact")
            per_px = max(1, ii_k)
            lat = in_px * per_px + lat_k
            acc.add("latency", in_px * per_px, f"io_stream: {in_px} input pixels, one every {per_px} cycle(s)",
                    "modelled")
            ii = lat
        else:
            per_px = max(1, ii_k)
            lat = out_px * per_px + lat_k
            acc.add("latency", out_px * per_px,
                    f"io_parallel: {out_px} output pixels computed one after another (ParallelizationFactor 1)",
                    "modelled")
            acc.add("ff", (in_px * chans * in_bits) * 0.5, "input image held in registers for im2col", "modelled")
            acc.warnings.append("io_parallel convolutions are not in the calibration data: treat as rough")
            ii = lat
        return finish(lat, ii)

    n = int(n_out or n_in or _prod(out_shape) or 0)
    if lt in ("Input", "Reshape", "Flatten", "Transpose") or (lt == "ZeroPadding1D" and io == "io_parallel") or \
            (lt == "ZeroPadding2D" and io == "io_parallel"):
        acc.terms.append(Term("lut", 0.0, "wiring only: no logic", "exact"))
        return finish(0, 1)

    if lt in ("ZeroPadding1D", "ZeroPadding2D"):
        out_px = _prod(out_shape[:-1]) if out_shape else n
        acc.add("lut", 30 + (int(out_shape[-1]) if out_shape else 1) * res_bits * 0.5,
                "stream control and zero/data output select", "modelled")
        acc.add("ff", 30, "pixel counters", "modelled")
        acc.add("latency", out_px + 2, f"writes {out_px} padded pixels, one per cycle", "exact")
        return finish(out_px + 2, out_px + 2)

    if lt in ("Activation", "LeakyReLU", "ReLU", "ThresholdedReLU", "PReLU", "ELU") and (act in _ACT_SIMPLE or not act
                                                                                        or lt != "Activation"):
        if not n:
            raise ValueError(f"layer {name!r}: activation needs n_in or output_shape")
        kind_word = act or lt.lower()
        acc.add("lut", C["act_lut_per_bit"] * n * in_bits, f"{kind_word}: compare and select on {n} values x "
                f"{in_bits} bits", "modelled")
        lat = int(round(C["act_latency"]))
        acc.add("ff", C["act_ff_per_bit"] * n * in_bits, f"output registers ({n} x {in_bits} bits)", "modelled")
        if io == "io_stream":
            px = _prod(out_shape[:-1]) if len(out_shape) > 1 else 1
            acc.add("latency", px + 1, f"io_stream: {px} pixels, one per cycle", "exact")
            return finish(px + 1 + lat, px + 1)
        acc.add("latency", lat, "activation pipeline stage", "modelled")
        return finish(lat, 1)

    if lt == "Activation" and act in _ACT_TABLE:
        table_bits = 1024 * 18
        brams = math.ceil(n / 2) * bram18k_for(1024, 18)
        acc.add("bram18k", brams, f"{act}: 1024-entry lookup table, one copy per 2 parallel lookups ({n} values, "
                "dual-port BRAM)", "modelled")
        acc.add("lut", n * in_bits * 2, "table index computation and range clipping", "modelled")
        acc.add("ff", n * res_bits, "output registers", "modelled")
        acc.add("latency", 3, "table read (2 cycles) and clip", "modelled")
        del table_bits
        return finish(3, 1)

    if lt == "Softmax" or (lt == "Activation" and act == "softmax"):
        if not n:
            raise ValueError(f"layer {name!r}: softmax needs n_in")
        acc.add("bram18k", n * bram18k_for(1024, 18), f"exp lookup table (1024 x 18 bits), one copy per each of the "
                f"{n} parallel lookups", "exact")
        on_dsp, why = _mult_mapping(mult_impl, 18, res_bits)
        if on_dsp:
            acc.add("dsp", n * dsp_per_product(18, res_bits, part), f"{n} multiplications by 1/sum on DSPs ({why})",
                    "exact")
        else:
            acc.add("lut", n * 18 * res_bits * C["lut_gmul_per_bitprod"], f"{n} multiplications by 1/sum in LUTs "
                    f"({why})", "modelled")
        acc.add("lut", C["softmax_lut_per_bit"] * n * res_bits, f"max search, subtractions, sum tree and 1/sum "
                "table over {n} values".replace("{n}", str(n)), "modelled")
        acc.add("ff", C["softmax_ff_per_bit"] * n * res_bits, "pipeline registers", "modelled")
        lat = int(round(C["softmax_lat_a"] + C["softmax_lat_b"] * math.log2(max(2, n))))
        acc.add("latency", lat, f"max, exp, sum over log2({n}) adder levels, 1/sum, multiply", "modelled")
        if io == "io_stream":
            px = _prod(out_shape[:-1]) if len(out_shape) > 1 else 1
            lat += px
        return finish(lat, 1)

    if lt == "BatchNormalization":
        if not n:
            raise ValueError(f"layer {name!r}: BatchNormalization needs n_in")
        on_dsp, why = _mult_mapping(mult_impl, w_bits, in_bits)
        if on_dsp:
            acc.add("dsp", n * dsp_per_product(in_bits, w_bits, part), f"{n} scale multipliers on DSPs ({why})",
                    "exact")
        else:
            acc.add("lut", n * in_bits * w_bits * C["lut_gmul_per_bitprod"] * 0.5,
                    f"{n} constant scale multiplications in LUTs ({why})", "modelled")
        acc.add("lut", n * accum_bits * C["lut_add_per_bit"], f"{n} bias adders", "modelled")
        acc.add("ff", n * res_bits * 0.5, "pipeline registers", "modelled")
        lat = _latency_depth(1, True, clock, C)
        acc.add("latency", lat, "multiply and add", "modelled")
        return finish(lat, 1)

    if lt in ("Pooling1D", "Pooling2D", "GlobalPooling1D", "GlobalPooling2D"):
        pool = _prod(kw.get("kernel_size") or ()) or (max(1, _prod(in_shape[:-1])) if "Global" in lt else 2)
        chans = int(out_shape[-1]) if out_shape else 1
        outs = n or chans
        op = kw.get("pool_op") or "max"
        acc.add("lut", outs * (pool - 1) * in_bits * C["lut_add_per_bit"],
                f"{op} pooling: {outs} outputs x {pool - 1} {'comparators' if op == 'max' else 'adders'} of "
                f"{in_bits} bits", "modelled")
        levels = int(math.ceil(math.log2(max(2, pool))))
        lat = _latency_depth(levels, False, clock, C)
        if io == "io_stream":
            in_px = _prod(in_shape[:-1]) if in_shape else outs
            width_px = int(in_shape[-2]) if len(in_shape) >= 3 else 1
            ks = tuple(kw.get("kernel_size") or (1,))
            if lt == "Pooling2D" and int(ks[0]) > 1:
                acc.add("lut", (int(ks[0]) - 1) * width_px * chans * in_bits / SRL_BITS_PER_LUT,
                        "line buffer in shift-register LUTs", "modelled")
            acc.add("latency", in_px, f"io_stream: {in_px} input pixels, one per cycle", "exact")
            return finish(lat + in_px, in_px + 1)
        acc.add("latency", lat, f"{levels}-level compare/add tree", "modelled")
        return finish(lat, 1)

    if lt == "Merge":
        if not n:
            raise ValueError(f"layer {name!r}: Merge needs n_out")
        acc.add("lut", n * res_bits * C["lut_add_per_bit"], f"{n} element-wise {res_bits}-bit operations",
                "modelled")
        acc.add("latency", 1, "one operation stage", "modelled")
        return finish(1, 1)

    reason = f"no model for layer type {lt!r}" + (f" (activation {act!r})" if act else "")
    return _not_estimated(name, lt, reason)


def _not_estimated(name: str, lt: str, reason: str) -> LayerEstimate:
    return LayerEstimate(name=name, layer_type=lt, dsp=None, lut=None, ff=None, bram18k=None, uram=None,
                         latency_cycles=None, ii=None, estimated=False, reason=reason,
                         breakdown=[], warnings=[f"not estimated: {reason}"])


_CACHE: dict = {}


def estimate_layer(
    layer_type: str,
    n_in: int | None = None,
    n_out: int | None = None,
    *,
    name: str | None = None,
    input_shape=None,
    output_shape=None,
    filters: int | None = None,
    kernel_size=None,
    strides=None,
    padding: str | None = None,
    pool_op: str | None = None,
    activation: str | None = None,
    strategy: str = "Latency",
    reuse_factor: int = 1,
    weight_bits: int = 16,
    weight_int_bits: int = 6,
    result_bits: int = 16,
    accum_bits: int | None = None,
    input_bits: int | None = None,
    io_type: str = "io_parallel",
    part="pynq-z2",
    clock_ns: float | None = None,
    sparsity: float = 0.0,
    n_zeros: int | None = None,
    weights=None,
    mult_impl: str = "auto",
    tool: str = "vivado_hls",
) -> LayerEstimate:
    """Estimate one hls4ml layer: DSPs, LUTs, FFs, BRAM18Ks, latency and II, with the reasons.

    Parameters
    ----------
    layer_type : "Dense", "Conv1D", "Conv2D", "Activation" (with ``activation=``), "ReLU", "LeakyReLU", "Softmax",
        "BatchNormalization", "Pooling1D/2D", "GlobalPooling1D/2D", "ZeroPadding1D/2D", "Reshape", "Merge", "Input".
    n_in, n_out : matrix size hls4ml multiplies (Dense: features; Conv: channels x kernel, filters); element
        count for other layers.
    strategy, reuse_factor : hls4ml's Strategy and ReuseFactor.
    weight_bits, weight_int_bits, result_bits, accum_bits, input_bits : fixed-point widths in bits (accumulator and
        input default to the result width).
    io_type : "io_parallel" or "io_stream". part : board or part name (or a :class:`hlsnb.boards.Part`).
    clock_ns : target clock period in ns (default: 10 ns, the PYNQ-Z2's).
    sparsity / n_zeros : zero weights (fraction / count). weights : the kernel itself; when given, zeros,
        powers of two and constants with few signed digits are counted exactly (they cost no multiplier in Latency).
    mult_impl : "auto", "dsp" or "fabric" (``config_op mul -impl``). tool : "vivado_hls" or "vitis_hls".

    Returns
    -------
    LayerEstimate with ``breakdown`` terms that add up to every number. Unknown layer types give
    ``estimated=False`` and a ``reason``; invalid values raise ``ValueError`` naming the layer.
    """
    kw = dict(layer_type=layer_type, n_in=n_in, n_out=n_out, name=name, input_shape=input_shape,
              output_shape=output_shape, filters=filters, kernel_size=kernel_size, strides=strides,
              padding=padding, pool_op=pool_op, activation=activation, strategy=strategy,
              reuse_factor=reuse_factor, weight_bits=weight_bits, weight_int_bits=weight_int_bits,
              result_bits=result_bits, accum_bits=accum_bits, input_bits=input_bits, io_type=io_type,
              part=part if not isinstance(part, Part) else part.device, clock_ns=clock_ns, sparsity=sparsity,
              n_zeros=n_zeros, mult_impl=mult_impl, tool=tool)
    if weights is None:
        key = tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in kw.items())
        hit = _CACHE.get(key)
        if hit is not None:
            return _copy_estimate(hit)
    kw["weights"] = weights
    est = _estimate(kw)
    if weights is None:
        if len(_CACHE) > 4096:
            _CACHE.clear()
        _CACHE[key] = est
        return _copy_estimate(est)
    return est


def _copy_estimate(e: LayerEstimate) -> LayerEstimate:
    return LayerEstimate(**{**e.__dict__, "breakdown": list(e.breakdown), "warnings": list(e.warnings)})


def clear_cache() -> None:
    """Forget cached layer estimates (call after changing COEFFICIENTS)."""
    _CACHE.clear()
    _weight_classes_cached.cache_clear()
    _share_for.cache_clear()
