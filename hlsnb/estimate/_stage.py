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

__all__ = ["STAGES", "check_stage", "ratio_terms", "dsp_cap_terms", "to_vsynth"]

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


def dsp_cap_terms(dsp: float, bit_product: float, part, cal) -> list[Term]:
    """Vivado places at most the part's DSPs: the excess products become LUT multipliers of ``bit_product``
    (input bits x weight bits) each. Nothing when the calibration's ``vsynth_dsp_cap`` is off or the DSPs fit."""
    if cal.get("vsynth_dsp_cap", 0.0) < 0.5 or not part.dsp or dsp <= part.dsp:
        return []
    over = dsp - part.dsp
    return [Term("dsp", -over, f"the part has {part.dsp} DSPs: Vivado places no more", "exact"),
            Term("lut", over * bit_product * cal["lut_gmul_per_bitprod"],
                 f"{over:.0f} products that do not fit the part's DSPs built from LUTs ({bit_product:.0f}-bit "
                 "products)")]


def to_vsynth(est: LayerEstimate, inp, cal) -> LayerEstimate:
    """The post-synthesis version of one layer's csynth estimate (a new estimate; ``est`` is not changed)."""
    if not est.estimated:
        out = est.copy()
        out.stage = "vsynth"
        return out
    terms = list(est.breakdown)
    terms += ratio_terms(terms, cal, inp.strategy in ("Resource", "Resource_Unrolled") and inp.reuse_factor > 1)
    dsp = sum(t.value for t in terms if t.resource == "dsp")
    terms += dsp_cap_terms(dsp, inp.input_bits * inp.weight_bits, inp.part, cal)
    out = est.copy()
    out.breakdown = terms
    out.stage = "vsynth"
    for r in RESOURCES:
        setattr(out, r, round(sum(t.value for t in terms if t.resource == r)))
    return out
