"""Fit the post-synthesis (``stage="vsynth"``) coefficients on the pairs of HLS and Vivado-synthesis reports.

A pair is a Vivado ``report_utilization`` after ``synth_design`` and the HLS csynth report of the same design (same
project path and commit: :func:`hlsnb.calibration.rows.group_models`). What :mod:`hlsnb.estimate._stage` does with
the coefficients:

- ``vsynth_rom_lut_depth`` (structural, 64): weight ROMs of Resource layers at most this deep are built from LUTs,
  not BRAM (a LUT6 is a 64 x 1 ROM, and the words are constants). Not fitted: without pominiq the training pairs
  have only 2-5-deep ROMs (Berk-Bilgin, Duchstf), so a grid over the depth is flat from 5 up and would pick its
  value by tie-breaking, not by evidence.
- ``vsynth_<r>`` for LUT, FF and DSP: the median over the pairs of Vivado / HLS of the design's total.
- ``vsynth_bram18k``: the same median over the pairs whose design has no such ROM (where it has one, the ROM term
  already says what Vivado does with those BRAMs; the rest are stream FIFOs and activation tables).
- ``vsynth_ff_resource``: the median Vivado / HLS FF ratio over the pairs whose Dense/Conv layers are all
  Resource (Vivado packs the DSP48E1 product registers the HLS report counts in the fabric back into the DSPs, so
  those designs keep less of their FFs; without it the post-synthesis FF of Resource designs was 0.39 instead of
  0.16).
- ``vsynth_pairs``: how many pairs the ratios rest on (the reason texts say so).
- ``vsynth_hls_lut_<kind>`` and ``vsynth_hls_rows_<kind>`` for the layer kinds without multipliers (the layer family,
  :func:`hlsnb.estimate.model.vsynth_kind`: pooling, padding, activation, softmax, ...): the median of HLS-report /
  this model's csynth LUTs over the training layer rows of that kind and tool (at least ``MIN_ROWS``), and how
  many. The ratios above say what Vivado keeps of what HLS reports; where the csynth model is biased on a kind
  (io_stream pooling and padding: HLS reports about 3 x the model's LUTs in every fold), the post-synthesis
  estimate would carry that bias over. Not for Dense and convolutions: their csynth LUT coefficients are fitted
  on those very rows (:func:`hlsnb.calibration.per_tool.fit_vivado`), and a second correction on them made the
  pruned pominiq MLPs worse. LUT only: the same factor on FF was worse (whole-design vsynth FF 0.26 -> 0.39); split
  by io type it was worse too (LUT 0.89: the small io_stream kinds are one repository's rows).

All of it per tool; a tool without a pair of its own takes the pooled ratios. Only the pairs and layer rows of the
training repositories are used (:func:`hlsnb.calibration.loro.loro` refits per fold).
"""

from __future__ import annotations

import statistics

from .. import vocab
from ..estimate import estimate_layer
from ..estimate.model import vsynth_kind
from .rows import group_models

__all__ = ["fit_vsynth", "kind_factors", "ROM_LUT_DEPTH", "MIN_ROWS", "MULT_KINDS"]

#: Weight ROMs at most this many words deep are LUT logic after Vivado synthesis (one LUT6 = 64 x 1 bit of ROM).
ROM_LUT_DEPTH = 64.0
#: A layer kind needs at least this many training rows for its LUT factor (fewer: no factor, i.e. 1): the smallest
#: sample whose median is not one row or the mean of two. It decides the pominiq fold, whose only pooling rows are
#: ChiRuiChen's three (median HLS / model 3.35 in that fold) and only softmax rows four (0.23): at 5 that fold has
#: neither factor and the whole-design vsynth LUT median is 0.38 instead of 0.26 (docs/estimator.md).
MIN_ROWS = 3
#: The kinds of layers with multipliers: no LUT factor (their csynth LUT terms are fitted on their rows).
MULT_KINDS = ("latency", "resource")
_TOOLS = vocab.TOOLS


def _median(xs, default):
    xs = list(xs)
    return float(statistics.median(xs)) if xs else default


def _has_lut_rom(layers: list[dict]) -> bool:
    """Whether the design has a Resource-strategy weight ROM that Vivado builds from LUTs (see module docstring)."""
    return any(r["kw"] and r["strategy"] == "Resource" and 1 < (r["rf"] or 1) <= ROM_LUT_DEPTH for r in layers)


def _ratios(sel: list[tuple]) -> dict:
    out = {}
    for r in ("lut", "ff", "dsp", "bram18k"):
        use = [p for p in sel if not (r == "bram18k" and p[3])]
        out[f"vsynth_{r}"] = round(_median((v[r] / c[r] for _, v, c, _ in use if c[r] and v[r] is not None), 1.0), 4)
    out["vsynth_pairs"] = float(len(sel))
    out["vsynth_rom_lut_depth"] = ROM_LUT_DEPTH
    return out


def kind_factors(recs: list[dict], train_repos: set, cal, tool: str) -> dict:
    """``{vsynth_hls_lut_<kind>: median HLS / model LUT, vsynth_hls_rows_<kind>: rows}`` over the layer rows of
    ``tool`` in ``train_repos``, estimated with ``cal`` (the fold's csynth coefficients); kinds with fewer than
    ``MIN_ROWS`` rows and :data:`MULT_KINDS` are left out."""
    by_kind: dict[str, list[float]] = {}
    for r in recs:
        if (r["scope"] != "layer" or not r["kw"] or r["flag"] or r["tool"] != tool or r["repo"] not in train_repos
                or not r["meas"]["lut"]):
            continue
        try:
            e = estimate_layer(**r["kw"], calibration=cal)
        except ValueError:
            continue
        kind = vsynth_kind(e.layer_type, r["kw"].get("strategy"), r["kw"].get("reuse_factor", 1))
        if e.estimated and e.lut and kind not in MULT_KINDS:
            by_kind.setdefault(kind, []).append(r["meas"]["lut"] / e.lut)
    out = {}
    for kind, xs in sorted(by_kind.items()):
        if len(xs) >= MIN_ROWS:
            out[f"vsynth_hls_lut_{kind}"] = round(_median(xs, 1.0), 4)
            out[f"vsynth_hls_rows_{kind}"] = float(len(xs))
    return out


def fit_vsynth(recs: list[dict], train_repos: set, cal=None) -> dict:
    """``{tool: {coefficient: value}}``: the vsynth coefficients fitted on the report pairs of ``train_repos`` (all
    tools pooled for a tool without a pair of its own) and, given ``cal`` (the fold's csynth calibration), the LUT
    factors per layer kind on their layer rows."""
    found = [(m, c, layers) for m, c, layers in group_models(recs)
             if m["stage"] != "csynth" and c is not None and m["repo"] in train_repos]
    pairs = [(c["tool"], m["meas"], c["meas"], _has_lut_rom(layers)) for m, c, layers in found]
    out = {tool: _ratios([p for p in pairs if p[0] == tool] or pairs) for tool in _TOOLS}
    # Resource-strategy layers: Vivado packs the product pipeline registers of their DSP48E1 multipliers into the
    # slices (res_e1_ff), so their FF ratio is the median over the pure-Resource designs
    res = [(c["tool"], m["meas"]["ff"] / c["meas"]["ff"]) for m, c, layers in found
           if {x["strategy"] for x in layers if x["strategy"]} == {"Resource"} and c["meas"]["ff"]
           and m["meas"]["ff"] is not None]
    for tool in _TOOLS:
        sel = [x for t, x in res if t == tool] or [x for _, x in res]
        if sel:
            out[tool]["vsynth_ff_resource"] = round(_median(sel, 1.0), 4)
    if cal is not None:
        for tool in _TOOLS:
            out[tool].update(kind_factors(recs, train_repos, cal, tool))
    return out
