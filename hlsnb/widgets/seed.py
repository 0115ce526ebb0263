"""The seed question, answered on the forum's design: why Resource at ReuseFactor 64 used MORE LUTs than Latency.

The forum user built the hls4ml tutorial's quantized and pruned MLP (:mod:`hlsnb.forum`: 6-bit weights and ReLUs, 75 %
of the weights at zero) on a PYNQ-Z2 with ReuseFactor 64 and found Resource above Latency. :func:`seed_answer`
computes everything notebook 02 and the README say about it from the estimator at run time (nothing is typed in, so
when the estimator improves the answer follows; ``tools/readme_numbers.py`` writes the README's block from it):

- both strategies on the forum's design, and beside them the same network at 16 bits without pruning (the what-if);
- the ordering of each pair said as far as the error bars allow (:meth:`SeedAnswer.ordering`, :attr:`verdict`):
  a strategy is "larger" only when the two error intervals do not overlap;
- why, item by item: what each strategy pays for, from the estimator's itemized breakdown (:func:`items`), and what
  each step from the 16-bit dense network to the forum's design changes under each strategy (:func:`steps`);
- the estimates against the public reports of this design (the forum's Resource report, the public Latency build).

Every number says what it is: an HLS csynth estimate by hlsnb, a Vivado post-synthesis estimate by hlsnb, or a
report (measured by Vivado HLS on a real build).
"""

from __future__ import annotations

import html
import textwrap
from dataclasses import dataclass, field, replace

from .. import vocab
from ..calibration.seed import LATENCY_REPORT, LATENCY_TIMING, SEED_REPORT
from ..design import Design
from ..estimate import estimate_design
from ..forum import FORUM_TOOL, dense16_what_if, forum_design, hgq_design, reuse_factor_substitutions, zero_counts

__all__ = ["SeedAnswer", "seed_answer", "estimator_error", "breakdown_figure", "totals_figure", "rf_rule_figure",
           "rf_rule_curve", "term_group", "readme_markdown", "items", "steps", "GROUPS", "CASES", "STRATEGIES",
           "PUBLIC_LATENCY_REPORT", "REPORTS", "Table", "reports_table", "design_table", "HGQ_STEP"]

STRATEGIES = ("Latency", "Resource")
_STAGE_LABEL = vocab.stage_label("csynth", estimated=True)  # what every number on these charts is
#: The two designs the answer compares, and how they are named to people.
CASES = {"forum": "the forum's design (6-bit, 75 % zero weights)",
         "dense16": "the same network at 16 bits, no zero weights (what-if)"}
_RES = (("dsp", "DSP"), ("lut", "LUT"), ("ff", "FF"), ("bram18k", "BRAM18K"))
_LABEL = dict(_RES)


def _beyond(ratio: float, err: float) -> bool:
    """True when a Resource/Latency ``ratio`` is further from 1 than the ordering's measured error ``err``."""
    return ratio > 1 + err or ratio < 1 / (1 + err)


#: The public Latency build of the forum's design (Liu-Zhiheng/hls4ml-pynqz2-vivado2019-2-results, ``reports3.csv``:
#: the network ``myproject`` inside the AXI wrapper, Vivado HLS 2019.2 csynth, RF 64, pynq-z2).
PUBLIC_LATENCY_REPORT = dict(LATENCY_REPORT)
#: Strategy -> (csynth report of the forum's design, what it is).
REPORTS = {
    "Latency": (PUBLIC_LATENCY_REPORT, "public Latency build, Vivado HLS 2019.2 csynth report"),
    "Resource": (dict(SEED_REPORT), "the forum's Resource report, Vivado HLS csynth"),
}
#: Breakdown term groups, in stacking order, with the colour each is drawn in.
GROUPS = {
    "multipliers": "#4c78a8",
    "adder trees (constant weights folded in)": "#9ecae9",
    "weight ROMs": "#8c6d31",
    "multiplexers (operands, inputs)": "#f58518",
    "accumulators and reuse-loop control": "#72b7b2",
    "accumulator select (RF > n_in)": "#e45756",
    "activations": "#54a24b",
    "DATAFLOW buffers and control": "#b279a2",
    "other": "#bab0ac",
}
_COLORS = {"Latency": "#4c78a8", "Resource": "#e45756"}
_ACTIVATION_TYPES = ("Activation", "Softmax", "LeakyReLU", "HardActivation")
_WIDTH = 88  # characters of printed text: a notebook's output area breaks longer lines mid-word


def term_group(what: str, layer_type: str | None = None) -> str:
    """The group of a breakdown term, from its description (the estimator's own words) and its layer's type."""
    w = what.lower()
    if layer_type in _ACTIVATION_TYPES:
        return "activations"
    if "accumulator write select" in w or "accumulator update chain" in w or "accumulator select" in w \
            or "write-select chain" in w:
        return "accumulator select (RF > n_in)"
    if "ping-pong" in w or "dataflow" in w or "fifo" in w:
        return "DATAFLOW buffers and control"
    if "rom" in w.split() or "weight rom" in w:
        return "weight ROMs"
    if "multiplexer" in w:
        return "multiplexers (operands, inputs)"
    if "adder tree" in w:
        return "adder trees (constant weights folded in)"
    if "accumulat" in w or "reuse-loop" in w or "product registers" in w or "product pipeline" in w \
            or "operand and product" in w:
        return "accumulators and reuse-loop control"
    if "multiplier" in w or "constant" in w or "shift" in w:
        return "multipliers"
    if "relu" in w or "softmax" in w or "sum table" in w or "activation" in w:
        return "activations"
    return "other"


def estimator_error(tool: str = "vivado_hls", stage: str = "csynth") -> dict:
    """Resource -> median relative error of whole-design estimates for ``tool`` at ``stage``, each report's
    repository held out of the fit (leave-one-repository-out), plus ``n`` (held-out designs): what ``make calibrate``
    measured and shipped (``hlsnb/estimate/errors_by_regime.json``), read, not recomputed. Empty when not measured."""
    from ..estimate import regime_errors

    t = regime_errors().get("design", {}).get(f"{tool} | design | {stage} | all") or {}
    return {"n": t.get("n", 0), **{k: t[k] for k, _ in _RES if t.get(k) is not None}} if t else {}


def _error_of(est) -> dict:
    """The error bar of a whole-design estimate: the measured error of its regime (``DesignEstimate.regime``,
    whole designs of its HLS tool and strategies, leave-one-repository-out): resource -> relative error, plus
    ``n`` (held-out designs), ``regime`` and ``calibrated``."""
    bar = est.regime["design"]
    return {**{k: getattr(bar, k) for k, _ in _RES if getattr(bar, k, None) is not None},
            "n": bar.n, "regime": bar.regime, "calibrated": bar.calibrated}


#: What the error bars of the seed answer are.
ERROR_SOURCE = ("the measured error of each estimate's regime (whole designs of that HLS tool and strategy, each "
                "report's repository held out of the fit)")


@dataclass
class SeedAnswer:
    """The forum's design and its 16-bit dense what-if under both strategies, estimated by hlsnb.

    ``designs`` / ``estimates`` / ``post_synthesis``: case ("forum", "dense16") -> strategy -> Design /
    HLS csynth DesignEstimate / Vivado post-synthesis DesignEstimate. ``errors``: case -> strategy -> the error bar
    of that estimate (:func:`_error_of`: resource -> relative error, ``n``, ``regime``), ``error_source`` what it
    is. ``steps``: (label, strategy -> DesignEstimate) from the 16-bit dense design to the
    forum's, one change at a time. ``trained``: the forum's design is a model trained here (False: the public
    build's design from the calibration data).
    """

    reuse_factor: int
    designs: dict
    estimates: dict
    post_synthesis: dict
    errors: dict
    error_source: str
    steps: list = field(default_factory=list)
    trained: bool = False
    reports: dict = field(default_factory=lambda: {s: dict(r) for s, (r, _) in REPORTS.items()})
    #: the error bar of an ordering (``errors_by_regime.json`` "paired": the estimated Resource/Latency ratio against
    #: the reported one on held-out layers built both ways; ``n``, ``lut``, ``ff``); empty when not measured
    paired: dict = field(default_factory=dict)

    # -------------------------------------------------------------- numbers
    def total(self, strategy: str, resource: str = "lut", case: str = "forum") -> float:
        """An HLS csynth estimate by hlsnb of a whole design."""
        return float(self.estimates[case][strategy].total[resource])

    def interval(self, strategy: str, resource: str = "lut", case: str = "forum") -> tuple[float, float]:
        """The estimate +- its error bar."""
        v, e = self.total(strategy, resource, case), self.error(strategy, resource, case)
        return v * (1 - e), v * (1 + e)

    def error(self, strategy: str, resource: str = "lut", case: str = "forum") -> float:
        """The relative error bar of one estimate (0 when not computed)."""
        return float(self.errors.get(case, {}).get(strategy, {}).get(resource) or 0.0)

    def error_text(self, resource: str = "lut", case: str = "forum") -> str:
        """``Latency ±23 % (19 held-out designs), Resource ±51 % (13)`` for people."""
        parts = []
        for s in STRATEGIES:
            b = self.errors.get(case, {}).get(s, {})
            if b.get(resource) is None:
                parts.append(f"{s} unmeasured")
            else:
                n = f" ({b['n']} held-out designs)" if not parts else f" ({b['n']})"
                parts.append(f"{s} ±{100 * b[resource]:.0f} %{n}")
        return ", ".join(parts)

    def ordering(self, resource: str = "lut", case: str = "forum") -> str | None:
        """The strategy that is larger beyond the error bars, or None when the two intervals overlap."""
        (la, lb), (ra, rb) = self.interval("Latency", resource, case), self.interval("Resource", resource, case)
        if ra > lb:
            return "Resource"
        if la > rb:
            return "Latency"
        return None

    def larger(self, resource: str = "lut", case: str = "forum") -> str:
        """The strategy with the larger estimate (whatever the error bars say)."""
        return "Resource" if self.total("Resource", resource, case) > self.total("Latency", resource, case) \
            else "Latency"

    def ratio(self, resource: str = "lut", case: str = "forum") -> float:
        """The estimated Resource / Latency ratio of one case (HLS csynth estimates by hlsnb)."""
        return self.total("Resource", resource, case) / max(1.0, self.total("Latency", resource, case))

    def ratio_beyond_paired(self, resource: str = "lut", case: str = "forum") -> bool | None:
        """True when the estimated Resource / Latency ratio is further from 1 than the ordering's own measured
        error (:attr:`paired`), False when inside it, None when that error is not measured."""
        e = self.paired.get(resource) if self.paired else None
        if e is None:
            return None
        return _beyond(self.ratio(resource, case), e)

    def paired_text(self, resource: str = "lut", case: str = "forum") -> str:
        """The ordering's own error bar in a sentence (empty when not measured)."""
        beyond = self.ratio_beyond_paired(resource, case)
        if beyond is None:
            return ""
        n, e, lab = self.paired["n"], self.paired[resource], _LABEL[resource]
        thin = ", thin data" if n < 10 else ""
        rr = self.reports["Resource"][resource] / max(1.0, self.reports["Latency"][resource])
        where = "beyond" if _beyond(rr, e) else "inside"
        too = " too" if (where == "beyond") == beyond else ""
        return (f"The error of an ordering itself (the estimated Resource/Latency {lab} ratio against the reported "
                f"one, on {n} held-out layers or designs built with both strategies{thin}) is ±{100 * e:.0f} % at the "
                "median: "
                f"the estimated ratio here, {self.ratio(resource, case):.2f}, is {'beyond' if beyond else 'inside'} "
                f"it (the reports' ratio, {rr:.2f}, would be {where} it{too}).")

    @property
    def flips(self) -> bool:
        """True when the LUT ordering of the forum's design is the opposite of the 16-bit dense what-if's, each
        beyond its error bars."""
        a, b = self.ordering("lut", "forum"), self.ordering("lut", "dense16")
        return a is not None and b is not None and a != b

    @property
    def report_ordering(self) -> str:
        """The strategy the public reports of the forum's design say is larger in LUTs (measured by Vivado HLS)."""
        return "Resource" if self.reports["Resource"]["lut"] > self.reports["Latency"]["lut"] else "Latency"

    @property
    def substitutions(self) -> dict:
        """Strategy -> {layer: ReuseFactor built} where the design does not have ``reuse_factor`` (hls4ml's value)."""
        return {s: reuse_factor_substitutions(self.designs["forum"][s], self.reuse_factor) for s in STRATEGIES}

    @property
    def accumulator_select_share(self) -> float:
        """Fraction of the forum design's Resource LUTs that are accumulator-select terms (layers with RF > n_in)."""
        est = self.estimates["forum"]["Resource"]
        acc = sum(t.value for le in est.layers for t in le.terms("lut")
                  if term_group(t.what, le.layer_type) == "accumulator select (RF > n_in)")
        return acc / max(1.0, float(est.total["lut"]))

    # -------------------------------------------------------------- words
    def _pair(self, case: str, resource: str = "lut") -> str:
        lab = _LABEL[resource]
        lat, res = self.total("Latency", resource, case), self.total("Resource", resource, case)
        who = self.ordering(resource, case)
        if who is None:
            diff = abs(res - lat)
            told = (f"the difference ({diff:,.0f} {lab}) is within the error bars: the estimate alone does not say "
                    f"which strategy uses more {lab}s (its point values put {self.larger(resource, case)} higher)")
        else:
            other = "Latency" if who == "Resource" else "Resource"
            told = f"{who} uses more {lab}s than {other} beyond the error bars"
        return f"Latency {lat:,.0f} and Resource {res:,.0f} {lab}s: {told}"

    @property
    def verdict(self) -> str:
        """The answer in a few sentences, every number computed here and said with its error bar."""
        err = self.error_text("lut")
        tool = self.estimates["forum"]["Latency"].tool
        src = "trained here" if self.trained else "with the public build's zero counts"
        rl, rr = self.reports["Latency"]["lut"], self.reports["Resource"]["lut"]
        out = [
            f"At ReuseFactor {self.reuse_factor} on the {self.estimates['forum']['Latency'].part.device}, hlsnb "
            f"estimates (HLS csynth, {tool}; error bars {err}: {self.error_source}):",
            f"- {CASES['forum']}, {src}: {self._pair('forum')};",
            f"- {CASES['dense16']}: {self._pair('dense16')}.",
        ]
        if self.flips:
            out.append(f"The ordering flips: quantizing and pruning take more LUTs out of Latency than out of "
                       f"Resource, so {self.ordering('lut', 'forum')} ends above.")
        else:
            a, b = self.larger("lut", "forum"), self.larger("lut", "dense16")
            if a != b:
                out.append(f"The point estimates flip ({a} higher for the forum's design, {b} for the 16-bit one), "
                           "but not beyond both error bars: within its error the estimate does not show the flip.")
            else:
                out.append(f"The point estimates do not flip ({a} higher for both designs): this estimate does not "
                           "reproduce what the forum measured.")
        if self.paired_text():
            out.append(self.paired_text())
        out.append(f"Measured on real builds of the forum's design (Vivado HLS csynth reports): Latency {rl:,.0f} "
                   f"LUTs (public build), Resource {rr:,.0f} LUTs (the forum's report): {self.report_ordering} "
                   f"is larger by {abs(rr - rl):,.0f} LUTs.")
        return "\n".join(out)


def _rebuild(design: Design, layers: list, name: str) -> Design:
    return Design(layers, board=design.board, part=None if design.board else design.part_number,
                  io_type=design.io_type, clock_ns=design.clock_ns, backend=design.backend,
                  tool_version=design.tool_version, model_name=name, default_precision=design.default_precision)


def _step_designs(forum: Design) -> list:
    """(label, design): from the 16-bit dense network to the forum's design, one change at a time."""
    target = {l.name: l for l in forum.layers}
    d16 = dense16_what_if(forum)
    out = [("16-bit weights and activations, no zero weights", d16)]
    zeros = [replace(l, n_zeros=target[l.name].n_zeros) for l in d16.layers]
    out.append((f"+ the forum's zero weights ({100 * _sparsity(forum):.0f} %)", _rebuild(d16, zeros, "zeros")))
    w6 = [replace(l, weight_precision=target[l.name].weight_precision, bias_precision=target[l.name].bias_precision)
          if l.weight_precision is not None else l for l in zeros]
    bits = sorted({target[l.name].weight_precision for l in forum.layers if l.weight_precision})
    out.append((f"+ {', '.join(bits)} weights and biases (narrow constants)", _rebuild(d16, w6, "w6")))
    act = [replace(l, result_precision=target[l.name].result_precision) if l.layer_type == "Activation" else l
           for l in w6]
    relu = sorted({target[l.name].result_precision for l in forum.layers if l.layer_type == "Activation"})
    out.append((f"+ quantized ReLU outputs ({', '.join(relu)})", _rebuild(d16, act, "relu")))
    out.append(("+ the forum's accumulator and input types (hls4ml's 'auto') = the forum's design", forum))
    return out


#: The label of the extra step after the forum's design when a trained HGQ2 model is given.
HGQ_STEP = "(extra, not the forum's) HGQ2's narrower accumulator types"


def _sparsity(design: Design) -> float:
    z = zero_counts(design).values()
    return sum(a for a, _ in z) / max(1, sum(b for _, b in z))


def seed_answer(model=None, reuse_factor: int = 64, board: str = "pynq-z2", *, tool: str = FORUM_TOOL,
                error: bool = True) -> SeedAnswer:
    """The forum's design (:func:`hlsnb.forum.forum_design` of ``model``, default the public build's design) and
    its 16-bit dense what-if at ``reuse_factor`` under Latency and Resource, estimated (HLS csynth and Vivado
    post-synthesis). ``error=False`` leaves the error bars out (``errors`` empty)."""
    forum = {s: forum_design(model, strategy=s, reuse_factor=reuse_factor, board=board, tool=tool)
             for s in STRATEGIES}
    designs = {"forum": forum, "dense16": {s: dense16_what_if(forum[s]) for s in STRATEGIES}}
    estimates = {c: {s: estimate_design(d) for s, d in ds.items()} for c, ds in designs.items()}
    post = {c: {s: estimate_design(d, stage="vsynth") for s, d in ds.items()} for c, ds in designs.items()}
    errs = {c: {s: _error_of(e) for s, e in es.items()} for c, es in estimates.items()} if error else {}
    src = ERROR_SOURCE if error else "not computed"
    stp = []
    per = {s: _step_designs(forum[s]) for s in STRATEGIES}
    if model is not None:  # the types hls4ml's conversion of the HGQ2 model gives, beside the forum's
        for s in STRATEGIES:
            per[s].append((HGQ_STEP, hgq_design(model, strategy=s, reuse_factor=reuse_factor, board=board,
                                                tool=tool)))
    for i, (label, _) in enumerate(per["Latency"]):
        stp.append((label, {s: estimate_design(per[s][i][1]) for s in STRATEGIES}))
    from ..estimate import regime_errors

    paired = {k: v for k, v in regime_errors().get("paired", {}).items() if k != "pairs"} if error else {}
    return SeedAnswer(reuse_factor, designs, estimates, post, errs, src, stp, trained=model is not None,
                      paired=paired)


# ---------------------------------------------------------------------------------------------------- tables
@dataclass
class Table:
    """A small table for people: HTML in Jupyter, aligned text elsewhere (and in nbval's comparisons)."""

    title: str
    header: list
    rows: list
    note: str = ""

    def __str__(self) -> str:
        cells = [self.header] + [[str(c) for c in r] for r in self.rows]
        w = [max(len(r[i]) for r in cells) for i in range(len(self.header))]
        fmt = lambda r: "  ".join(c.ljust(w[0]) if i == 0 else c.rjust(w[i]) for i, c in enumerate(r))  # noqa: E731
        lines = textwrap.wrap(self.title, _WIDTH, break_long_words=False, break_on_hyphens=False)
        lines += [fmt(self.header)] + [fmt(r) for r in cells[1:]]
        if self.note:
            lines += textwrap.wrap(self.note, _WIDTH, break_long_words=False, break_on_hyphens=False)
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        th = "".join(f"<th style='text-align:{'left' if i == 0 else 'right'}'>{html.escape(str(h))}</th>"
                     for i, h in enumerate(self.header))
        body = "".join("<tr>" + "".join(
            f"<td style='text-align:{'left' if i == 0 else 'right'}'>{html.escape(str(c))}</td>"
            for i, c in enumerate(r)) + "</tr>" for r in self.rows)
        note = f"<p style='font-size:90%;color:#444'>{html.escape(self.note)}</p>" if self.note else ""
        return f"<p><b>{html.escape(self.title)}</b></p><table><tr>{th}</tr>{body}</table>{note}"

    def _repr_pretty_(self, p, cycle):  # IPython's text form: the aligned table
        p.text(str(self))


def _n(v: float) -> str:
    return f"{v:,.0f}"


def _d(v: float) -> str:
    return f"{v:+,.0f}" if round(v) else "0"


def _groups(est, resource: str) -> dict:
    out = dict.fromkeys(GROUPS, 0.0)
    for le in est.layers:
        for t in le.terms(resource):
            out[term_group(t.what, le.layer_type)] += float(t.value)
    return out


def items(answer: SeedAnswer, resource: str = "lut") -> Table:
    """What each strategy pays for, per design: the estimator's breakdown terms summed by item (HLS csynth)."""
    lab = _LABEL[resource]
    cols = [(c, s) for c in CASES for s in STRATEGIES]
    g = {k: _groups(answer.estimates[c][s], resource) for k in cols for c, s in [k]}
    rows = [[name] + [_n(g[k][name]) for k in cols] for name in GROUPS if any(g[k][name] for k in cols)]
    rows.append(["total"] + [_n(answer.total(s, resource, c)) for c, s in cols])
    return Table(f"What each strategy pays for: {lab}s by item (HLS csynth estimates by hlsnb, ReuseFactor "
                 f"{answer.reuse_factor})", ["item", "forum Latency", "forum Resource", "16-bit Latency",
                                              "16-bit Resource"], rows,
                 note="Items sum the estimator's breakdown terms (each with its reason; explain() prints them). "
                      "forum: 6-bit weights and ReLUs, 75 % zero weights; 16-bit: the same network unquantized and "
                      "unpruned.")


def steps(answer: SeedAnswer, resource: str = "lut") -> Table:
    """From the 16-bit dense network to the forum's design, one change at a time: each strategy's total and what
    the change did to it (HLS csynth estimates)."""
    lab = _LABEL[resource]
    rows, prev = [], None
    for label, est in answer.steps:
        lat, res = float(est["Latency"].total[resource]), float(est["Resource"].total[resource])
        dl = "" if prev is None else _d(lat - prev[0])
        dr = "" if prev is None else _d(res - prev[1])
        rows.append([label, _n(lat), dl, _n(res), dr, "Resource" if res > lat else "Latency"])
        prev = (lat, res)
    return Table(f"Quantizing and pruning, one step at a time: {lab}s (HLS csynth estimates by hlsnb)",
                 ["design", "Latency", "change", "Resource", "change", "larger"], rows,
                 note="Each row changes one thing of the row above under both strategies; 'larger' compares the "
                      "point estimates only (see the verdict for the error bars).")


def reports_table(answer: SeedAnswer) -> Table:
    """The forum's design: hlsnb's estimates against the reports of real builds (Vivado HLS csynth)."""
    rows = []
    for s in STRATEGIES:
        rep, _ = REPORTS[s]
        est = answer.estimates["forum"][s]
        for k, lab in _RES:
            dev = f"{100 * (float(est.total[k]) - rep[k]) / rep[k]:+.0f} %" if rep.get(k) else "-"
            rows.append([f"{s} {lab}", _n(float(est.total[k])), _n(rep[k]), dev])
        if s == "Latency":  # the public build's report gives its timing too (the forum's Resource report does not)
            for k, lab, got in (("ii", "II (cycles)", est.ii), ("latency", "latency (cycles)", est.latency_cycles)):
                want = LATENCY_TIMING[k]
                rows.append([f"{s} {lab}", _n(got), _n(want), f"{100 * (got - want) / want:+.0f} %"])
    subs = "; ".join(f"{s}: " + (", ".join(f"{k} RF {v}" for k, v in sub.items()) or "none")
                     for s, sub in answer.substitutions.items())
    return Table("The forum's design: estimate against the real reports", ["strategy, resource",
                 "hlsnb estimate", "report", "estimate off by"], rows,
                 note="hlsnb estimate: HLS csynth estimate by hlsnb. Reports (measured, Vivado HLS csynth): "
                      + "; ".join(f"{s}: {what}" for s, (_, what) in REPORTS.items())
                      + f". ReuseFactors hls4ml builds where {answer.reuse_factor} is not valid: {subs}. The "
                      "Latency build's 55 cycles are not explained: hlsnb adds up each layer's pipeline, and no "
                      "per-layer report of that build was published.")


def design_table(design: Design) -> Table:
    """A design's layers for people: weights, zero weights, Strategy, ReuseFactor and types."""
    rows = []
    for l in design.layers:
        mult = l.is_mult_layer
        rows.append([l.name, l.layer_type, _n(l.n_weights) if l.n_weights else "", _n(l.n_zeros) if mult else "",
                     l.strategy if mult else "", str(l.reuse_factor) if mult else "", l.weight_precision or "",
                     l.accum_precision or "", l.result_precision or ""])
    return Table(f"{design.model_name} on the {design.board or design.part_number} ({design.backend}, HLS "
                 f"{design.tool_version}, {design.clock_ns:g} ns clock)",
                 ["layer", "type", "weights", "zeros", "strategy", "RF", "weight type", "accumulator", "result type"],
                 rows)


# ---------------------------------------------------------------------------------------------------- figures
def breakdown_figure(answer: SeedAnswer, resource: str = "lut", case: str = "forum"):
    """Per layer, Latency and Resource side by side, each bar stacked by what it pays for (``go.Figure``)."""
    import plotly.graph_objects as go

    lab = _LABEL[resource]
    d = answer.designs[case]["Resource"]
    dense = [l.name for l in d.layers if l.is_mult_layer]
    cols = dense + ["activations", "(top level)"]
    geom = {l.name: f"{l.n_in}x{l.n_out}" for l in d.layers if l.is_mult_layer}
    stacks = {s: {c: dict.fromkeys(GROUPS, 0.0) for c in cols} for s in STRATEGIES}
    for s in STRATEGIES:
        for le in answer.estimates[case][s].layers:
            if le.layer_type == "Input":
                continue
            col = le.name if le.name in cols else "activations"
            for t in le.terms(resource):
                stacks[s][col][term_group(t.what, le.layer_type)] += float(t.value)
    xcat = [[f"{c} {geom.get(c, '')}".strip() for c in cols for _ in STRATEGIES],
            [s for _ in cols for s in STRATEGIES]]
    fig = go.Figure()
    for g, color in GROUPS.items():
        y = [stacks[s][c][g] for c in cols for s in STRATEGIES]
        if not any(y):
            continue
        fig.add_bar(x=xcat, y=y, name=g, marker_color=color,
                    hovertemplate="%{x}<br>" + g + ": %{y:,.0f} " + lab + "<extra></extra>")
    totals = [sum(stacks[s][c].values()) for c in cols for s in STRATEGIES]
    fig.add_scatter(x=xcat, y=totals, mode="text", text=[f"{v:,.0f}" for v in totals], textposition="top center",
                    showlegend=False, hoverinfo="skip", textfont={"size": 10})
    fig.update_layout(
        barmode="stack", height=460, margin={"t": 70, "b": 60, "l": 60, "r": 10},
        title={"text": f"What each strategy pays for: {lab} per layer, ReuseFactor {answer.reuse_factor}"
                       f"<br><span style='font-size:11px'>{CASES[case]}; {_STAGE_LABEL}"
                       "</span>", "font": {"size": 13}},
        yaxis={"title": {"text": f"{lab} (count)"}, "tickformat": ",.0f",
               "range": [0, 1.15 * max(totals + [1.0])]},
        legend={"orientation": "h", "y": -0.22, "x": 0, "font": {"size": 10}, "traceorder": "normal"},
    )
    return fig


def totals_figure(answer: SeedAnswer, resource: str = "lut"):
    """Both designs' totals under both strategies, with the error bars and the reports of real builds of the
    forum's design (``go.Figure``): the flip, at a glance."""
    import plotly.graph_objects as go

    lab = _LABEL[resource]
    est0 = answer.estimates["forum"]["Resource"]
    cap = float(est0.part.capacity()[resource])
    x = [CASES[c].split(" (")[0] for c in CASES]
    fig = go.Figure()
    top = 0.0
    for s in STRATEGIES:
        y = [answer.total(s, resource, c) for c in CASES]
        err = [v * answer.error(s, resource, c) for v, c in zip(y, CASES)]
        top = max(top, *(a + b for a, b in zip(y, err)))
        fig.add_bar(x=x, y=y, name=f"{s}, hlsnb estimate (HLS csynth)", marker_color=_COLORS[s],
                    error_y={"type": "data", "array": err, "visible": True, "color": "#333"},
                    text=[f"{v:,.0f}<br>({100 * v / cap:.0f} %)" for v in y], textposition="inside",
                    insidetextanchor="middle", textfont={"size": 10, "color": "white"},
                    hovertemplate="%{x}<br>" + s + ": %{y:,.0f} " + lab + " (HLS csynth estimate)<extra></extra>")
    for s, sym in (("Latency", "circle"), ("Resource", "diamond")):
        rep, what = REPORTS[s]
        top = max(top, rep[resource])
        fig.add_scatter(x=[x[0]], y=[rep[resource]], mode="markers", name=f"{s}: {what}",
                        marker={"symbol": sym, "size": 12, "color": _COLORS[s], "line": {"width": 2,
                                                                                            "color": "#222"}},
                        hovertemplate=f"{what}: %{{y:,.0f}} {lab}<extra></extra>")
    fig.add_hline(y=cap, line_dash="dash", line_color="#b42318")
    fig.update_layout(
        barmode="group", height=440, margin={"t": 95, "b": 40, "l": 70, "r": 10},
        title={"text": f"{lab}s at ReuseFactor {answer.reuse_factor}: both strategies, both designs"
                       "<br><span style='font-size:11px'>bars: HLS csynth estimates by hlsnb; error bars: "
                       f"{_short_errors(answer, resource)}<br>markers: real reports; dashed: the {est0.part.device}'s "
                       f"{cap:,.0f} {lab}s</span>", "font": {"size": 13}},
        yaxis={"title": {"text": f"{lab} (count)"}, "tickformat": ",.0f", "range": [0, 1.1 * max(top, cap)]},
        legend={"orientation": "h", "y": -0.15, "x": 0, "font": {"size": 10}},
    )
    return fig


def _short_errors(answer: SeedAnswer, resource: str) -> str:
    """``Latency ±23 %, Resource ±51 %`` (the measured error of each estimate's regime), short enough for a title."""
    parts = [f"{s} ±{100 * answer.error(s, resource):.0f} %" if answer.error(s, resource) else f"{s} unmeasured"
             for s in STRATEGIES]
    return ", ".join(parts) + " (measured error)"


def rf_rule_curve(answer: SeedAnswer, layer: str, case: str = "forum") -> dict:
    """Strategy -> [(ReuseFactor, layer LUTs)] for ``layer`` alone changed, every valid ReuseFactor (HLS csynth)."""
    out = {}
    for s in STRATEGIES:
        d = answer.designs[case][s].copy()
        pts = []
        for rf in d.valid_reuse_factors(layer, s):
            d.set(layer, strategy=s, reuse_factor=rf, notify=False)
            pts.append((rf, float(estimate_design(d).layer(layer).lut)))
        out[s] = pts
    return out


def rf_rule_figure(answer: SeedAnswer, layers=("fc1", "fc3"), case: str = "forum"):
    """LUTs of a layer against its ReuseFactor, per strategy, with the line RF = n_in (``go.Figure``): Resource's
    LUTs jump where the ReuseFactor passes the input count (the accumulator index becomes run-time)."""
    from plotly.subplots import make_subplots

    specs = {l.name: l for l in answer.designs[case]["Resource"].layers}
    fig = make_subplots(rows=1, cols=len(layers), horizontal_spacing=0.12,
                        subplot_titles=[f"{n} (Dense {specs[n].n_in}x{specs[n].n_out})" for n in layers])
    for i, name in enumerate(layers, start=1):
        curve = rf_rule_curve(answer, name, case)
        for s, pts in curve.items():
            fig.add_scatter(x=[p[0] for p in pts], y=[p[1] for p in pts], mode="lines+markers", name=s,
                            legendgroup=s, showlegend=i == 1, line={"color": _COLORS[s]}, row=1, col=i,
                            hovertemplate=f"{name} {s}: RF %{{x}}, %{{y:,.0f}} LUT<extra></extra>")
        n_in = specs[name].n_in
        ymax = max(p[1] for pts in curve.values() for p in pts)
        # a line trace, not add_vline: shapes on a log axis take log10 coordinates
        fig.add_scatter(x=[n_in, n_in], y=[0, ymax], mode="lines+text", line={"dash": "dot", "color": "#555"},
                        text=["", f"RF = n_in = {n_in}"], textposition="middle right", showlegend=False,
                        hoverinfo="skip", row=1, col=i)
        rfs = sorted({p[0] for pts in curve.values() for p in pts})
        fig.update_xaxes(type="log", title_text="ReuseFactor (log scale)", tickvals=rfs, ticktext=[str(r) for r in rfs],
                         tickfont={"size": 9}, row=1, col=i)
        fig.update_yaxes(title_text="LUT of the layer" if i == 1 else None, tickformat=",.0f", row=1, col=i)
    fig.update_layout(
        height=380, margin={"t": 100, "b": 50, "l": 60, "r": 10},
        title={"text": "The rule of thumb: with Resource, keep ReuseFactor <= n_in"
                       f"<br><span style='font-size:11px'>one layer's LUTs against its ReuseFactor, the others "
                       f"unchanged; {_STAGE_LABEL}<br>{CASES[case]}</span>", "font": {"size": 13}},
        legend={"orientation": "h", "y": -0.2, "x": 0},
    )
    return fig


# ---------------------------------------------------------------------------------------------------- README
def _why(a: SeedAnswer) -> str:
    """The mechanism, item by item, with the estimator's numbers (LUTs, HLS csynth)."""
    st = {label: {s: float(e[s].total["lut"]) for s in STRATEGIES} for label, e in a.steps}
    labels = [label for label, _ in a.steps]
    delta = lambda i, s: st[labels[i]][s] - st[labels[i - 1]][s]  # noqa: E731
    g = {s: _groups(a.estimates["forum"][s], "lut") for s in STRATEGIES}
    bram = {s: float(a.estimates["forum"][s].total["bram18k"]) for s in STRATEGIES}
    sel = g["Resource"]["accumulator select (RF > n_in)"]
    df = g["Resource"]["DATAFLOW buffers and control"]
    act = {s: g[s]["activations"] for s in STRATEGIES}
    return (
        f"Zero weights: Latency folds them away (its weights are compile-time constants), Resource reads every "
        f"weight, zero or not, from a ROM into a generic multiplier: pruning changes Latency by "
        f"{_d(delta(1, 'Latency'))} LUTs and Resource by {_d(delta(1, 'Resource'))}. Narrow constants: 6-bit "
        f"weights change Latency by "
        f"{_d(delta(2, 'Latency'))} and Resource by {_d(delta(2, 'Resource'))} LUTs. Resource keeps the weights in "
        f"ROMs ({bram['Resource']:,.0f} BRAM18K against Latency's {bram['Latency']:,.0f}) and pays "
        f"{sel:,.0f} LUTs for the accumulator select of the layers whose ReuseFactor exceeds their input count "
        f"(fc1 16x64 and fc3 32x32: the accumulator index is a run-time value) and {df:,.0f} LUTs for the DATAFLOW "
        f"buffers one Resource layer forces on the whole design. Quantized ReLUs change Latency by "
        f"{_d(delta(3, 'Latency'))} and Resource by {_d(delta(3, 'Resource'))} LUTs (activations: "
        f"{act['Latency']:,.0f} and {act['Resource']:,.0f} LUTs in the forum's design).")


def readme_markdown(answer: SeedAnswer | None = None) -> str:
    """The README's seed-answer block, every number computed here (``tools/readme_numbers.py`` writes it)."""
    a = answer or seed_answer()
    head = ("**The seed question, answered.** The forum's design is the hls4ml tutorial's quantized, pruned MLP "
            "(16-64-32-32-5, 6-bit weights and ReLUs, 75 % zero weights; `hlsnb.forum`), built with ReuseFactor 64 on "
            "the PYNQ-Z2.")
    verdict = a.verdict.split("\n")
    text = [textwrap.fill(head + " " + verdict[0], 118, break_long_words=False, break_on_hyphens=False), ""]
    text += [textwrap.fill(v, 118, subsequent_indent="  ", break_long_words=False, break_on_hyphens=False)
             for v in verdict[1:3]]
    text += ["", textwrap.fill(" ".join(verdict[3:]) + " " + _why(a) + " Notebook 02 draws all of it; these "
                               "numbers are written by `tools/readme_numbers.py` from the same code "
                               "(`hlsnb.widgets.seed`), so they change when the estimator does.", 118,
                               break_long_words=False, break_on_hyphens=False)]
    return "\n".join(text)
