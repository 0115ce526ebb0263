"""Whole-design estimate: per-layer table, top-level PIPELINE vs DATAFLOW, totals and utilisation."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field

from .. import vocab
from ..rules import takes_reuse_factor
from ..targets import Part
from ._calibration import Calibration, default_calibration
from ._core import RESOURCES, SRL_BITS_PER_LUT, LayerEstimate, Term, bits, bram18k_for, not_estimated
from ._layer import estimate
from ._regime import design_error_bar, error_bar
from ._stage import check_stage, dsp_cap_terms, lut_product, ratio_terms, to_vsynth
from .inputs import design_inputs

__all__ = ["DesignEstimate", "estimate_design", "top_style", "layer_kwargs", "tool_label"]

_TOOL_NAMES = vocab.TOOL_LABELS


def tool_label(tool: str, version: str | None) -> str:
    """``Vivado HLS 2020.1``: the tool an estimate stands for, as people name it."""
    return f"{_TOOL_NAMES.get(tool, tool)} {version}" if version else _TOOL_NAMES.get(tool, tool)


@dataclass
class DesignEstimate:
    """Estimate of a whole design.

    ``layers``: one :class:`LayerEstimate` per design layer, plus a last row ``(top level)`` for what the top
    function adds (dataflow ping-pong buffers, stream FIFOs). ``total``: resource -> sum over rows (DSPs, LUTs,
    FFs, BRAM18Ks). ``latency_cycles`` / ``ii`` in clock cycles, ``latency_ns`` in ns. ``utilisation``: resource ->
    % of ``part``. ``top``: "pipeline" or "dataflow". ``not_estimated``: names of layers without an estimate (their
    cost is missing from the totals: a lower bound then). ``stage``: what the numbers stand for, "csynth" (the HLS
    tool's report) or "vsynth" (Vivado utilisation after synthesis); ``tool``: the HLS tool and version modelled
    (``"Vivado HLS 2020.1"``).
    """

    layers: list
    total: dict
    latency_cycles: int
    ii: int
    latency_ns: float
    utilisation: dict
    part: Part
    clock_ns: float
    top: str
    stage: str = "csynth"
    tool: str = ""
    calibration: str = "shipped"  # what the modelled terms were fitted on: "shipped" or "your builds (path)"
    not_estimated: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    _inputs: list = field(default_factory=list, repr=False, compare=False)

    @property
    def regime(self) -> dict:
        """The measured error bars of this estimate (issue 23 item 5), from the leave-one-repository-out errors of
        the calibration reports per regime (:mod:`hlsnb.estimate._regime`): ``{"layers": {name: ErrorBar},
        "design": ErrorBar, "outside": [names of layers outside the calibrated regimes], "calibrated": bool}``.
        An :class:`ErrorBar` has the regime, its held-out row count ``n`` and the median relative error of LUT, FF
        and DSP (``.pct("lut")`` -> ``"±24 %"``); ``calibrated`` is False (and ``note`` says why) when no regime of
        the layer or design has enough held-out rows. Computed on first use, not by every estimate."""
        got = self.__dict__.get("_regime_cache")
        if got is None:
            layers = {l.name: error_bar(inp, self.stage) for l, inp in self._inputs}
            strategies = {inp.strategy for l, inp in self._inputs if l.is_mult_layer}
            design = design_error_bar(self._inputs[0][1].tool if self._inputs else "vivado_hls", strategies,
                                      self.stage)
            outside = [n for n, b in layers.items() if not b.calibrated]
            got = {"layers": layers, "design": design, "outside": outside,
                   "calibrated": design.calibrated and not outside}
            self.__dict__["_regime_cache"] = got
        return got

    def regime_note(self) -> str:
        """One sentence on the error bar of the totals, and the layers outside the calibrated regimes ('' if none)."""
        r = self.regime
        d = r["design"]
        text = (f"Measured error of {d.regime} estimates (held out, n={d.n}): LUT {d.pct('lut')}, FF {d.pct('ff')}, "
                f"DSP {d.pct('dsp')}." if d.calibrated else f"Whole design: {d.note}.")
        if r["outside"]:
            text += (f" Outside the calibrated regimes (no measured error): {', '.join(r['outside'])}.")
        return text

    @property
    def lower_bound(self) -> bool:
        """True when some layer has no estimate: every total, the latency and the utilisation are then lower bounds."""
        return bool(self.not_estimated)

    def missing_note(self) -> str:
        """One sentence naming the layers without an estimate ('' when every layer is estimated)."""
        if not self.not_estimated:
            return ""
        return (f"Lower bound: {len(self.not_estimated)} layer(s) not estimated and missing from the totals, the "
                f"latency and the utilisation: {', '.join(self.not_estimated)}.")

    def layer(self, name: str) -> LayerEstimate:
        for l in self.layers:
            if l.name == name:
                return l
        raise KeyError(f"no layer {name!r} in the estimate; layers: {', '.join(l.name for l in self.layers)}")

    def terms(self, resource: str | None = None) -> list[tuple[str, Term]]:
        """(layer name, term) for every breakdown item, optionally of one resource."""
        return [(l.name, t) for l in self.layers for t in l.breakdown if resource is None or t.resource == resource]

    def rows(self) -> list[dict]:
        """One dict per row (layers, then the top level), for tables and DataFrames."""
        out = []
        for l in self.layers:
            out.append({
                "name": l.name, "layer_type": l.layer_type, "strategy": l.strategy, "reuse_factor": l.reuse_factor,
                "dsp": l.dsp, "lut": l.lut, "ff": l.ff, "bram18k": l.bram18k, "latency_cycles": l.latency_cycles,
                "ii": l.ii, "estimated": l.estimated, "reason": l.reason, "stage": l.stage,
            })
        return out

    def _repr_html_(self) -> str:
        cap = self.part.capacity()
        head = ("<tr><th>layer</th><th>type</th><th>strategy</th><th>RF</th><th>DSP</th><th>LUT</th><th>FF</th>"
                "<th>BRAM18K</th><th>latency</th><th>II</th></tr>")
        body = []
        for r in self.rows():
            if not r["estimated"]:
                body.append(f"<tr><td>{html.escape(r['name'])}</td><td>{html.escape(r['layer_type'])}</td>"
                            f"<td colspan=8><i>not estimated: {html.escape(str(r['reason']))}</i></td></tr>")
                continue
            body.append("<tr>" + "".join(f"<td>{html.escape(str(v if v is not None else ''))}</td>" for v in (
                r["name"], r["layer_type"], r["strategy"] or "", r["reuse_factor"] or "", r["dsp"], r["lut"], r["ff"],
                r["bram18k"], r["latency_cycles"], r["ii"])) + "</tr>")
        tot = self.total
        body.append("<tr style='font-weight:bold'><td>total" + (" (lower bound)" if self.lower_bound else "")
                    + "</td><td></td><td></td><td></td>" + "".join(
            f"<td>{tot[k]:.0f} ({self.utilisation[k]:.1f}%)</td>" for k in ("dsp", "lut", "ff", "bram18k"))
            + f"<td>{self.latency_cycles}</td><td>{self.ii}</td></tr>")
        what = ("Vivado post-synthesis utilisation" if self.stage == "vsynth" else "HLS csynth, not post-synthesis")
        title = (f"<p>Estimated ({what}; {html.escape(self.tool)}) for {self.part.device} at {self.clock_ns:g} ns, top "
                 f"{self.top.upper()}: latency {self.latency_cycles} cycles = {self.latency_ns:g} ns, II {self.ii}. "
                 f"Capacity: {cap['dsp']} DSP, {cap['lut']} LUT, {cap['ff']} FF, {cap['bram18k']} BRAM18K. "
                 f"Modelled terms fitted on: {html.escape(self.calibration)}.</p>")
        note = f"<p style='color:#b42318'><b>{html.escape(self.missing_note())}</b></p>" if self.lower_bound else ""
        return title + note + "<table>" + head + "".join(body) + "</table>"


def top_style(design) -> tuple[str, str]:
    """hls4ml's choice of top-level pipeline style (``VivadoPipelineStyle`` pass) and the reason."""
    if design.io_type == "io_stream":
        return "dataflow", "io_stream designs are DATAFLOW"
    for l in design.layers:
        if l.layer_type in ("Conv1D", "Conv2D") and l.output_shape and math.prod(l.output_shape[:-1]) > 1:
            return "dataflow", f"io_parallel convolution {l.name!r} is computed in partitions: DATAFLOW"
    for l in design.layers:
        if l.is_mult_layer and l.strategy == "Resource":
            return "dataflow", f"layer {l.name!r} uses the Resource strategy, which switches the top to DATAFLOW"
    return "pipeline", "io_parallel without Resource layers: the top function is PIPELINEd"


def layer_kwargs(design) -> list[tuple]:
    """``(layer, kwargs)`` per layer: the keyword arguments :func:`estimate_layer` gets for it in this design.

    A view of :func:`hlsnb.estimate.inputs.design_inputs` (the one place that turns a Design's layers into
    estimator inputs) for code that passes keyword arguments around, such as the calibration records.
    """
    return [(l, inp.as_kwargs()) for l, inp in design_inputs(design)]


def estimate_design(design, stage: str = "csynth", calibration: Calibration | None = None) -> "DesignEstimate":
    """Estimate every layer of a :class:`hlsnb.design.Design` and the top level.

    Reads only Design / LayerSpec attributes (see docs/INTERFACES.md) and the design's part. Times in cycles of
    ``design.clock_ns``; ``latency_ns`` = cycles x clock. ``stage="csynth"`` (default): what the HLS tool's csynth
    report would say; ``"vsynth"``: what Vivado's ``report_utilization`` would say after synthesis (ratio terms per
    resource; DSPs beyond the part's count moved to LUTs). The coefficients are those of ``design.tool`` (Vivado HLS
    for the Vivado and VivadoAccelerator backends, Vitis HLS for Vitis). ``calibration``: the
    :class:`hlsnb.calibration.Calibration` of the modelled terms; ``None`` (default): the user's saved refit if
    there is one, else the shipped coefficients (looked up once per call).

    Every layer is checked before any is estimated (:func:`hlsnb.estimate.inputs.design_inputs`, docs/errors.md):
    a value the estimator cannot take raises ``InvalidSetting`` (a ``ValueError``) or ``TypeError`` naming the
    layer and field; a layer type without a model is a "not estimated" row instead.
    """
    check_stage(stage, "estimate_design")
    if calibration is not None and not isinstance(calibration, Calibration):
        raise TypeError(f"estimate_design: calibration must be a hlsnb.calibration.Calibration or None, got "
                        f"{type(calibration).__name__}")
    cal = calibration if calibration is not None else default_calibration()
    tool = getattr(design, "tool", "vivado_hls")
    tcal = cal.for_tool(tool)
    inputs = design_inputs(design)  # checks every layer, the part and the clock first
    part: Part = design.part
    clock = float(design.clock_ns)
    io = design.io_type
    layers = design.layers
    ests: list[LayerEstimate] = []
    dsp_luts = [0.0, 0.0]  # DSPs and DSPs x LUTs per product without a DSP: the DSP-weighted mean of the layers
    for l, inp in inputs:
        try:
            e = estimate(inp, cal)
            if stage == "vsynth":  # the part's DSP count caps the design's total once, at the top level
                if e.estimated and e.dsp:
                    dsp_luts[0] += e.dsp
                    dsp_luts[1] += e.dsp * lut_product(inp, tcal)
                e = to_vsynth(e, inp, cal.for_tool(inp.tool), cap=False)
        except ValueError as err:  # a layer the model cannot take: a row that says so, never a crash
            e = not_estimated(l.name, l.layer_type, str(err))
        if not l.is_mult_layer:  # no strategy; a ReuseFactor only where the kernel reads one (io_stream softmax)
            e.strategy = None
            if not takes_reuse_factor(l.layer_type, io):
                e.reuse_factor = None
        ests.append(e)

    top, why = top_style(design)
    top_terms: list[Term] = [Term("latency", 0.0, f"top level is {top.upper()}: {why}", "exact")]
    if top == "dataflow":
        chans = 0
        for l in layers[:-1]:
            if l.layer_type == "Input":
                continue
            n = int(math.prod(l.output_shape)) if l.output_shape else int(l.n_out or 0)
            n_bits = bits(l.result_precision, 16)[0]
            if io == "io_parallel":
                top_terms.append(Term("ff", 2.0 * n * n_bits, f"ping-pong buffer after {l.name}: 2 x {n} x {n_bits} "
                                      "bits in registers (DATAFLOW channel of a partitioned array)", "exact"))
                top_terms.append(Term("lut", float(n * n_bits), f"ping-pong read/write select after {l.name} "
                                      f"({n} x {n_bits} bits)", "modelled"))
            else:
                px = int(math.prod(l.output_shape[:-1])) if len(l.output_shape or ()) > 1 else 1
                width = (int(l.output_shape[-1]) if l.output_shape else n) * n_bits
                if px * width <= 1024 or px <= 32:
                    top_terms.append(Term("lut", float(math.ceil(px / SRL_BITS_PER_LUT) * width),
                                          f"stream FIFO after {l.name}: {px} deep x {width} bits in shift-register "
                                          "LUTs (hls4ml default depth = pixels)", "modelled"))
                else:
                    top_terms.append(Term("bram18k", float(bram18k_for(px, width)),
                                          f"stream FIFO after {l.name}: {px} deep x {width} bits in BRAM "
                                          "(hls4ml default depth = pixels)", "modelled"))
            chans += 1
        top_terms.append(Term("lut", 30.0 * chans, f"DATAFLOW handshakes and process control ({chans} channels)",
                              "modelled"))
        top_terms.append(Term("ff", 10.0 * chans, f"DATAFLOW channel state ({chans} channels)", "modelled"))
    if stage == "vsynth":
        top_terms += ratio_terms(top_terms, tcal)
        dsp = sum(float(e.dsp or 0) for e in ests if e.estimated)
        top_terms += dsp_cap_terms(dsp, dsp_luts[1] / dsp_luts[0] if dsp_luts[0] else 0.0, part, tcal)
    top_row = LayerEstimate(name="(top level)", layer_type="Top", breakdown=top_terms, stage=stage)
    for r in RESOURCES:
        setattr(top_row, r, round(sum(t.value for t in top_terms if t.resource == r)))
    top_row.latency_cycles = 0 if top == "pipeline" else len(ests)
    top_row.ii = 1
    ests.append(top_row)

    ok = [e for e in ests if e.estimated]
    total = {r: float(sum(getattr(e, r) or 0 for e in ok)) for r in RESOURCES}
    total["uram"] = 0.0
    lat = int(sum(e.latency_cycles or 0 for e in ok))
    if io == "io_stream" and top == "dataflow" and len(ok) > 1 and tcal["stream_overlap"] >= 0.5:
        # io_stream layers run concurrently under DATAFLOW, pixel by pixel: the design takes as long as its slowest
        # layer plus about one cycle per FIFO hop (the top row's latency), not the sum of the layer latencies
        lat = int(max(e.latency_cycles or 0 for e in ok[:-1]) + (ok[-1].latency_cycles or 0))
    ii_layers = [int(e.ii or 1) for e in ok[:-1]]
    if top == "pipeline" and any(l.is_mult_layer and l.strategy == "Resource_Unrolled" for l in layers):
        ii = max([l.reuse_factor for l in layers if l.is_mult_layer] + ii_layers)
    else:
        ii = max(ii_layers or [1])
    if top == "dataflow":
        ii += 1  # one extra cycle for the DATAFLOW handshake
    cap = part.capacity()
    util = {r: (100.0 * total[r] / cap[r] if cap.get(r) else 0.0) for r in ("dsp", "lut", "ff", "bram18k", "uram")}
    not_est = [e.name for e in ests if not e.estimated]
    warns = [f"{e.name}: {w}" for e in ests for w in e.warnings]
    if not_est:
        warns.append(f"not estimated (missing from the totals): {', '.join(not_est)}")
    return DesignEstimate(layers=ests, total=total, latency_cycles=lat, ii=int(ii), latency_ns=lat * clock,
                          utilisation=util, part=part, clock_ns=clock, top=top, stage=stage, calibration=cal.label,
                          tool=tool_label(tool, inputs[0][1].tool_version if inputs else None),
                          not_estimated=not_est, warnings=warns, _inputs=inputs)
