"""What an estimate stands for: the HLS report (``csynth``) or what Vivado places after synthesis (``vsynth``).

HLS csynth numbers are the tool's own pre-synthesis estimate; Vivado's ``report_utilization`` after
``synth_design`` is what has to fit the part. In the pairs of reports of the same design in the calibration data,
Vivado keeps about half of the HLS LUTs, most FFs, the DSPs when they fit the part, and turns small ROMs into LUTRAM.
``vsynth`` is therefore the csynth estimate plus explicit ratio terms (one fitted ratio per resource and tool, a
separate one for Resource-strategy layers where the data has them) and, where the DSPs exceed the part's, a term
moving the overflow to LUT multipliers (Vivado cannot place more DSPs than there are).
"""

from __future__ import annotations

from ..errors import InvalidSetting
from ._core import RESOURCES, LayerEstimate, Term

__all__ = ["STAGES", "check_stage", "ratio_terms", "lut_product", "dsp_cap_terms", "to_vsynth"]

#: The stages an estimate can stand for.
STAGES = ("csynth", "vsynth")


def check_stage(stage: str, what: str = "") -> str:
    """``stage`` if it is one of :data:`STAGES`, else ``InvalidSetting`` naming the valid ones."""
    if stage not in STAGES:
        pre = f"{what}: " if what else ""
        raise InvalidSetting(f"{pre}stage {stage!r} is not valid; valid: csynth (the HLS tool's report), vsynth "
                             "(Vivado utilisation after synthesis)")
    return stage


def ratio_terms(terms, cal, resource_strategy: bool = False) -> list[Term]:
    """The terms that turn csynth ``terms`` into post-synthesis numbers: (ratio - 1) x the csynth total per resource.

    ``cal`` is the tool's merged calibration (``vsynth_<r>``; ``vsynth_<r>_resource`` for Resource-strategy layers
    when fitted, i.e. >= 0).
    """
    out = []
    for r in RESOURCES:
        tot = sum(t.value for t in terms if t.resource == r)
        ratio = cal[f"vsynth_{r}"]
        if resource_strategy and cal.get(f"vsynth_{r}_resource", -1.0) >= 0:
            ratio = cal[f"vsynth_{r}_resource"]
        if tot and ratio != 1.0:
            out.append(Term(r, (ratio - 1.0) * tot, f"Vivado synthesis keeps {ratio:.2f} x the HLS estimate of "
                            f"{r.upper()} (median of HLS / Vivado-synthesis report pairs of the same designs)"))
    return out


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
    terms += ratio_terms(terms, cal, inp.strategy in ("Resource", "Resource_Unrolled") and inp.reuse_factor > 1)
    dsp = sum(t.value for t in terms if t.resource == "dsp")
    if cap:
        terms += dsp_cap_terms(dsp, lut_product(inp, cal), inp.part, cal)
    out = est.copy()
    out.breakdown = terms
    out.stage = "vsynth"
    for r in RESOURCES:
        setattr(out, r, round(sum(t.value for t in terms if t.resource == r)))
    return out
