"""What an estimate stands for: the HLS report (``csynth``) or what Vivado places after synthesis (``vsynth``).

HLS csynth numbers are the tool's own pre-synthesis estimate; Vivado's ``report_utilization`` after
``synth_design`` is what has to fit the part. In the pairs of reports of the same design in the calibration data,
Vivado keeps about half of the HLS LUTs, most FFs, the DSPs when they fit the part, and builds shallow weight ROMs
from LUTs. ``vsynth`` is therefore the csynth estimate plus explicit terms: the weight ROMs of Resource layers that
are at most ``vsynth_rom_lut_depth`` words deep moved from BRAM to LUTs (:func:`rom_terms`), one fitted ratio per
resource and tool (:func:`ratio_terms`; a separate one for Resource-strategy layers where fitted) times, for the LUTs
of a layer kind whose csynth model is biased against the HLS reports (io_stream pooling and padding), that bias
(:func:`vsynth_kind`), and, where the DSPs exceed the part's, a term moving the overflow to LUT multipliers (Vivado
cannot place more DSPs than there are). The coefficients are fitted by :mod:`hlsnb.calibration.vsynth`.
"""

from __future__ import annotations

import math

from .. import vocab
from ..errors import InvalidSetting
from ..layer_types import get_layer_type
from ._core import LUTRAM_BITS_PER_LUT, RESOURCES, LayerEstimate, Term

__all__ = ["STAGES", "check_stage", "vsynth_kind", "ratio_terms", "rom_terms", "lut_product", "dsp_cap_terms",
           "to_vsynth"]

#: The stages an estimate can stand for.
STAGES = vocab.ESTIMATE_STAGES


def check_stage(stage: str, what: str = "") -> str:
    """``stage`` if it is one of :data:`STAGES`, else ``InvalidSetting`` naming the valid ones."""
    if stage not in STAGES:
        pre = f"{what}: " if what else ""
        raise InvalidSetting(f"{pre}stage {stage!r} is not valid; valid: "
                             + ", ".join(f"{s} ({vocab.STAGE_LABELS[s]})" for s in STAGES))
    return stage


def vsynth_kind(layer_type: str, strategy: str | None = None, reuse_factor: int = 1) -> str:
    """The layer kind of a post-synthesis LUT factor (``vsynth_hls_lut_<kind>``): ``"latency"`` or ``"resource"``
    for layers with multipliers (by strategy: constant weights or a weight ROM; the shipped fit gives them none),
    else the layer family of :mod:`hlsnb.layer_types` (``"pooling"``, ``"padding"``, ``"activation"``, ...)."""
    lt = get_layer_type(layer_type)
    if lt is None:
        return layer_type.lower()
    if lt.has_multipliers:
        return "resource" if strategy in ("Resource", "Resource_Unrolled") and reuse_factor > 1 else "latency"
    return lt.family or layer_type.lower()


#: Layer kinds whose BRAMs are lookup tables (exp, 1/sum, sigmoid ...): Vivado synthesis keeps them (the held-out
#: Pynq build's softmax: 4 BRAM18K in the HLS report and after synthesis).
TABLE_KINDS = frozenset({"softmax", "activation"})


def ratio_terms(terms, cal, resource_strategy: bool = False, kind: str | None = None) -> list[Term]:
    """The terms that turn csynth ``terms`` into post-synthesis numbers: (ratio - 1) x the csynth total per resource.

    ``cal`` is the tool's merged calibration (``vsynth_<r>``; ``vsynth_<r>_resource`` for Resource-strategy layers
    when fitted, i.e. >= 0). ``kind`` (:func:`vsynth_kind`; ``None`` for the top level): the LUT ratio is also
    multiplied by ``vsynth_hls_lut_<kind>`` where fitted, the median of HLS-report / this model's csynth LUTs over the
    layer rows of that kind (the csynth model's known bias on that kind: HLS reports it, and Vivado then keeps
    ``vsynth_lut`` of what HLS reports).
    """
    out = []
    n = int(cal.get("vsynth_pairs", 0.0))
    basis = f"fitted on {n} pairs of" if n else "fitted on pairs of"
    for r in RESOURCES:
        if r == "bram18k" and kind in TABLE_KINDS:
            continue  # lookup tables HLS binds to BRAM (1024 words) stay BRAM: the ratio is for FIFOs and buffers
        tot = sum(t.value for t in terms if t.resource == r)
        ratio = cal[f"vsynth_{r}"]
        if resource_strategy and cal.get(f"vsynth_{r}_resource", -1.0) >= 0:
            ratio = cal[f"vsynth_{r}_resource"]
        why = (f"Vivado synthesis keeps {ratio:.2f} x the {r.upper()} HLS reports (median Vivado-synthesis / HLS "
               f"csynth, {basis} reports of the same designs)")
        factor = cal.get(f"vsynth_hls_{r}_{kind}", 0.0) if kind else 0.0
        if factor > 0 and factor != 1.0:
            rows = int(cal.get(f"vsynth_hls_rows_{kind}", 0.0))
            ratio *= factor
            why += (f", and HLS reports {factor:.2f} x this model's csynth {r.upper()} for {kind} layers (median of "
                    f"{rows} layer rows): {ratio:.2f} x this estimate")
        if tot and ratio != 1.0:
            out.append(Term(r, (ratio - 1.0) * tot, why))
    return out


def rom_terms(terms, inp, cal) -> list[Term]:
    """Vivado synthesis builds a shallow weight ROM from LUTs, not BRAM: the terms that say so for one layer.

    A Resource-strategy layer reads its weights from a ROM of ``reuse_factor`` words (hls4ml's ``ROM_nP_BRAM``,
    which the HLS report counts as BRAM18Ks: the layer's only BRAM). Its words are constants, and a LUT6 is a 64 x 1
    ROM, so where the ROM is at most ``vsynth_rom_lut_depth`` words deep (64, structural; 0 switches it off) Vivado
    places it as logic: the BRAMs go, and at most one LUT per bit of the ROM's width comes (half of that up to 32
    words, where a LUT6_2 holds two columns; constant columns need none). In the xc7z020 Resource builds of the
    calibration data, those with 2-9-deep ROMs keep none of their 35-74 ROM BRAMs (the 8-13 left are stream FIFOs
    and tables); of those with 32-72-deep ROMs two keep exactly what this says (17, 12) and one 5 more (15 vs 10).
    """
    depth = cal.get("vsynth_rom_lut_depth", 0.0)
    rf = inp.reuse_factor
    if inp.strategy not in ("Resource", "Resource_Unrolled") or rf <= 1 or rf > depth:
        return []
    bram = sum(t.value for t in terms if t.resource == "bram18k")
    if not bram:
        return []
    width = math.ceil(inp.n_in * inp.n_out / rf) * inp.weight_bits
    per_lut = 2 if 2 * rf <= LUTRAM_BITS_PER_LUT else 1  # a LUT6_2 holds two 32 x 1 ROM columns
    luts = math.ceil(width / per_lut)
    return [Term("bram18k", -bram, f"Vivado synthesis builds the {rf}-deep weight ROM from LUTs, not BRAM (at most "
                 f"{depth:.0f} words: a LUT6 is a 64 x 1 ROM and the words are constants)"),
            Term("lut", float(luts), f"the {rf} x {width}-bit weight ROM as logic: at most one LUT per "
                 + ("two bit columns (a LUT6_2 holds two 32 x 1 ROMs" if per_lut == 2 else "bit column (")
                 + "; constant columns need none)")]


def lut_product(inp, cal) -> float:
    """LUTs Vivado synthesis builds one product from when it has no DSP left for it.

    Latency weights are constants: Vivado makes a constant multiplication shift-and-add logic, about one adder
    (``input_bits`` + 1 LUTs on the carry chain) per signed digit beyond the first, and a ``w``-bit constant has
    ``w``/3 signed digits on average (canonical signed digits): 74 LUTs for 16 x 16 bits (the xc7z020 build that
    placed 220 of 664 HLS DSPs paid about 76 per moved product). Run-time (Resource) weights need a generic
    multiplier (``lut_gmul_per_bitprod`` per bit product, as in csynth).
    """
    if inp.strategy == "Latency" or inp.reuse_factor == 1:
        return max(1.0, inp.weight_bits / 3.0 - 1.0) * (inp.input_bits + 1)
    return inp.input_bits * inp.weight_bits * cal["lut_gmul_per_bitprod"]


def dsp_cap_terms(dsp: float, lut_each: float, part, cal) -> list[Term]:
    """Vivado places at most the part's DSPs: the excess products become LUT logic of ``lut_each`` LUTs each
    (:func:`lut_product`). Nothing when the calibration's ``vsynth_dsp_cap`` is off or the DSPs fit."""
    if cal.get("vsynth_dsp_cap", 0.0) < 0.5 or not part.dsp or dsp <= part.dsp:
        return []
    over = dsp - part.dsp
    return [Term("dsp", -over, f"the part has {part.dsp} DSPs: Vivado places no more", "exact"),
            Term("lut", over * lut_each, f"{over:.0f} products that do not fit the part's DSPs built from LUTs "
                 f"(about {lut_each:.0f} LUTs each)")]


def to_vsynth(est: LayerEstimate, inp, cal, cap: bool = True) -> LayerEstimate:
    """The post-synthesis version of one layer's csynth estimate (a new estimate; ``est`` is not changed).

    ``cap``: cap the layer's DSPs at the part's count. A whole design caps its total once instead (the part's DSPs
    are shared by all layers; capping each layer and then the sum would move the same products to LUTs twice)."""
    if not est.estimated:
        out = est.copy()
        out.stage = "vsynth"
        return out
    terms = list(est.breakdown)
    rom = rom_terms(terms, inp, cal)
    terms += [t for t in rom if t.resource == "bram18k"]  # the ratios apply to what stays BRAM ...
    terms += ratio_terms(terms, cal, inp.strategy in ("Resource", "Resource_Unrolled") and inp.reuse_factor > 1,
                         vsynth_kind(inp.layer_type, inp.strategy, inp.reuse_factor))
    terms += [t for t in rom if t.resource != "bram18k"]  # ... not to the ROM's LUTs, which are Vivado's own
    dsp = sum(t.value for t in terms if t.resource == "dsp")
    if cap:
        terms += dsp_cap_terms(dsp, lut_product(inp, cal), inp.part, cal)
    out = est.copy()
    out.breakdown = terms
    out.stage = "vsynth"
    for r in RESOURCES:
        setattr(out, r, round(sum(t.value for t in terms if t.resource == r)))
    return out
