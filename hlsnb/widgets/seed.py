"""The seed question as pictures: Latency against Resource at ReuseFactor 64 on the forum's 16-64-32-32-5 MLP.

The forum user built the hls4ml tutorial's MLP on a PYNQ-Z2 with Strategy Resource and ReuseFactor 64 and got more
LUTs than with Latency. :func:`seed_answer` computes everything notebook 02 and the README say about it from the
estimator, so the two can never disagree (``tools/readme_numbers.py`` writes the README's block from it):

- per layer, what each strategy pays for, as stacked breakdown terms (:func:`breakdown_figure`);
- the totals against the board, with the estimator's measured error as error bars (:func:`totals_figure`);
- the rule of thumb as LUTs against ReuseFactor per strategy for the layers with RF > n_in (:func:`rf_rule_figure`);
- the ordering, told with the error bar: which strategy is larger only when the two error intervals do not
  overlap (:attr:`SeedAnswer.verdict`).

The error bar is the median |estimate - report| / report of whole designs for the same HLS tool, each report's
repository held out of the fit (:mod:`hlsnb.calibration.loro`): computed, never typed in.
"""

from __future__ import annotations

import functools
import textwrap
from dataclasses import dataclass, field

from ..calibration.reference import tutorial_mlp
from ..calibration.seed import SEED_REPORT
from ..estimate import estimate_design

__all__ = ["SeedAnswer", "seed_answer", "estimator_error", "breakdown_figure", "totals_figure", "rf_rule_figure",
           "term_group", "readme_markdown", "GROUPS"]

STRATEGIES = ("Latency", "Resource")
_RES = (("dsp", "DSP"), ("lut", "LUT"), ("ff", "FF"), ("bram18k", "BRAM18K"))
#: Breakdown term groups, in stacking order, with the colour each is drawn in.
GROUPS = {
    "multipliers": "#4c78a8",
    "adders (trees, accumulators)": "#72b7b2",
    "multiplexers (operands, inputs)": "#f58518",
    "accumulator select (RF > n_in)": "#e45756",
    "activations": "#54a24b",
    "DATAFLOW buffers and control": "#b279a2",
    "other": "#bab0ac",
}
_COLORS = {"Latency": "#4c78a8", "Resource": "#e45756"}


def term_group(what: str) -> str:
    """The group of a breakdown term, from its description (the estimator's own words)."""
    w = what.lower()
    if "accumulator write select" in w or "accumulator update chain" in w or "accumulator select" in w:
        return "accumulator select (RF > n_in)"
    if "ping-pong" in w or "dataflow" in w or "fifo" in w:
        return "DATAFLOW buffers and control"
    if "multiplexer" in w:
        return "multiplexers (operands, inputs)"
    if "adder" in w:
        return "adders (trees, accumulators)"
    if "multiplier" in w or "constant" in w or "shift" in w:
        return "multipliers"
    if "relu" in w or "softmax" in w or "sum table" in w or "activation" in w:
        return "activations"
    return "other"


@functools.lru_cache(maxsize=4)
def estimator_error(tool: str = "vivado_hls", stage: str = "csynth") -> dict:
    """Resource -> median relative error of whole-design estimates for ``tool`` at ``stage``, each report's
    repository held out of the fit (leave-one-repository-out, on the calibration reports shipped in the package;
    about 3 s, cached). Empty when the reports are not available."""
    from ..calibration.cli import DATA_DIR
    from ..calibration.loro import error_table, loro
    from ..calibration.rows import load_records
    from ..estimate._calibration import Calibration

    paths = [DATA_DIR / "reports.csv", DATA_DIR / "reports2.csv"]
    if not all(p.exists() for p in paths):
        return {}
    shared = {k: v for k, v in Calibration.shipped().coefficients.items()
              if k != "per_tool" and not k.startswith("_")}
    rows, _ = loro(load_records(paths), shared)
    t = error_table(rows).get((tool, "design", "all", stage), {})
    return {"n": t.get("n", 0), **{k: t[k] for k, _ in _RES if t.get(k) is not None}}


@dataclass
class SeedAnswer:
    """The seed design under both strategies, estimated (HLS csynth, by hlsnb), with the error bar and verdict.

    ``designs`` / ``estimates``: strategy -> Design / DesignEstimate; ``error``: resource -> median relative error
    (whole designs, out of sample); ``report``: the forum's csynth numbers for Resource; ``reuse_factor``: 64.
    """

    reuse_factor: int
    designs: dict
    estimates: dict
    error: dict
    report: dict = field(default_factory=lambda: dict(SEED_REPORT))

    def total(self, strategy: str, resource: str = "lut") -> float:
        return float(self.estimates[strategy].total[resource])

    def interval(self, strategy: str, resource: str = "lut") -> tuple[float, float]:
        """The estimate +- the estimator's median error (the error bar drawn)."""
        v, e = self.total(strategy, resource), self.error.get(resource, 0.0)
        return v * (1 - e), v * (1 + e)

    def ordering(self, resource: str = "lut") -> str | None:
        """The strategy that is larger beyond the error bar, or None when the two intervals overlap."""
        (la, lb), (ra, rb) = self.interval("Latency", resource), self.interval("Resource", resource)
        if ra > lb:
            return "Resource"
        if la > rb:
            return "Latency"
        return None

    @property
    def accumulator_select_share(self) -> float:
        """Fraction of Resource's LUTs that are accumulator-select terms (layers with RF > n_in)."""
        est = self.estimates["Resource"]
        acc = sum(t.value for le in est.layers for t in le.terms("lut")
                  if term_group(t.what) == "accumulator select (RF > n_in)")
        return acc / max(1.0, float(est.total["lut"]))

    @property
    def verdict(self) -> str:
        """The ordering of the LUT totals, said as far as the estimator's error bar allows."""
        lat, res = self.total("Latency"), self.total("Resource")
        e = self.error.get("lut")
        err = f"±{100 * e:.0f} %" if e is not None else "an unmeasured error"
        who = self.ordering("lut")
        head = (f"At ReuseFactor {self.reuse_factor}, hlsnb estimates Latency at {lat:,.0f} LUTs and Resource at "
                f"{res:,.0f} (HLS csynth, {self.estimates['Latency'].tool}); its median error on whole designs is "
                f"{err}. ")
        if who is None:
            body = ("The two error bars overlap: the estimate does not say which strategy uses more LUTs here. ")
        else:
            other = "Latency" if who == "Resource" else "Resource"
            body = f"{who} uses more LUTs than {other} beyond the error bar. "
        rep = self.report.get("lut")
        if rep:
            body += (f"The forum's Vivado HLS report for Resource said {rep:,.0f} LUTs (the estimate is "
                     f"{100 * (res - rep) / rep:+.0f} % off it); it found Resource above its Latency build.")
        return head + body


def seed_answer(reuse_factor: int = 64, board: str = "pynq-z2", *, error: bool = True) -> SeedAnswer:
    """The forum's design (16-64-32-32-5, ``ap_fixed<16,6>``, VivadoAccelerator's 5 ns clock) at ``reuse_factor``
    under Latency and Resource (the largest valid RF below it where it is not valid, as hls4ml picks), estimated
    at the HLS csynth stage. ``error=False`` skips the error bar (3 s)."""
    designs = {s: tutorial_mlp(s, reuse_factor, board=board, clock_ns=5.0) for s in STRATEGIES}
    estimates = {s: estimate_design(d) for s, d in designs.items()}
    err = estimator_error(designs["Latency"].tool, "csynth") if error else {}
    return SeedAnswer(reuse_factor, designs, estimates, err)


def _groups(le, resource: str) -> dict:
    out = dict.fromkeys(GROUPS, 0.0)
    for t in le.terms(resource):
        out[term_group(t.what)] += float(t.value)
    return out


def breakdown_figure(answer: SeedAnswer, resource: str = "lut"):
    """Per layer, Latency and Resource side by side, each bar stacked by what it pays for (``go.Figure``)."""
    import plotly.graph_objects as go

    lab = dict(_RES)[resource]
    cols = ["fc1", "fc2", "fc3", "output", "activations", "(top level)"]
    geom = {l.name: f"{l.n_in}x{l.n_out}" for l in answer.designs["Resource"].layers if l.is_mult_layer}
    stacks = {s: {c: dict.fromkeys(GROUPS, 0.0) for c in cols} for s in STRATEGIES}
    for s in STRATEGIES:
        for le in answer.estimates[s].layers:
            col = le.name if le.name in cols else ("activations" if le.name != "input" else None)
            if col is None:
                continue
            for g, v in _groups(le, resource).items():
                stacks[s][col][g] += v
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
        barmode="stack", height=440, margin={"t": 60, "b": 60, "l": 60, "r": 10},
        title={"text": f"What each strategy pays for: {lab} per layer at ReuseFactor {answer.reuse_factor}"
                       "<br><span style='font-size:11px'>HLS estimate (csynth), estimated by hlsnb</span>",
               "font": {"size": 14}},
        yaxis={"title": {"text": f"{lab} (count)"}, "tickformat": ",.0f",
               "range": [0, 1.15 * max(totals + [1.0])]},
        legend={"orientation": "h", "y": -0.22, "x": 0, "font": {"size": 10}, "traceorder": "normal"},
    )
    return fig


def totals_figure(answer: SeedAnswer):
    """Design totals of both strategies as % of the board, with absolute counts, the estimator's error bar, the
    100 % line and the forum's report (``go.Figure``)."""
    import plotly.graph_objects as go

    est0 = answer.estimates["Resource"]
    cap = est0.part.capacity()
    labels = [lab for _, lab in _RES]
    fig = go.Figure()
    top = 100.0
    for s in STRATEGIES:
        est = answer.estimates[s]
        pct = [float(est.utilisation[k]) for k, _ in _RES]
        err = [100.0 * answer.error.get(k, 0.0) * float(est.total[k]) / cap[k] if cap[k] else 0 for k, _ in _RES]
        top = max(top, *(p + e for p, e in zip(pct, err)))
        fig.add_bar(x=labels, y=pct, name=f"{s} RF {answer.reuse_factor}", marker_color=_COLORS[s],
                    error_y={"type": "data", "array": err, "visible": True, "color": "#333"},
                    text=[f"{float(est.total[k]):,.0f}" for k, _ in _RES], textposition="outside", textangle=0,
                    cliponaxis=False, textfont={"size": 10},
                    hovertemplate="%{x}: %{y:.1f}% of the part<br>" + s + " (HLS csynth estimate)<extra></extra>")
    rep = answer.report
    fig.add_scatter(x=labels, y=[100.0 * rep[k] / cap[k] for k, _ in _RES], mode="markers",
                    name="forum report, Resource (Vivado HLS csynth)",
                    marker={"symbol": "diamond", "size": 12, "color": "#222"},
                    hovertemplate="%{x}: %{y:.1f}% (forum's report)<extra></extra>")
    fig.add_hline(y=100, line_dash="dash", line_color="#b42318",
                  annotation_text="100 % of the board", annotation_position="top left",
                  annotation_font_color="#b42318")
    fig.update_layout(
        barmode="group", height=380, margin={"t": 60, "b": 40, "l": 60, "r": 10},
        title={"text": f"The totals against the {est0.part.device} (error bars: the estimator's median error)"
                       "<br><span style='font-size:11px'>HLS estimate (csynth), estimated by hlsnb; labels: "
                       "absolute counts</span>", "font": {"size": 14}},
        yaxis={"title": {"text": f"% of {est0.part.device}"}, "range": [0, 1.1 * top]},
        legend={"orientation": "h", "y": -0.15, "x": 0, "font": {"size": 10}},
    )
    return fig


def rf_rule_curve(answer: SeedAnswer, layer: str) -> dict:
    """Strategy -> [(ReuseFactor, layer LUTs)] for ``layer`` alone changed, every valid ReuseFactor (HLS csynth)."""
    out = {}
    for s in STRATEGIES:
        d = answer.designs[s].copy()
        pts = []
        for rf in d.valid_reuse_factors(layer, s):
            d.set(layer, strategy=s, reuse_factor=rf, notify=False)
            pts.append((rf, float(estimate_design(d).layer(layer).lut)))
        out[s] = pts
    return out


def rf_rule_figure(answer: SeedAnswer, layers=("fc1", "fc3")):
    """LUTs of a layer against its ReuseFactor, per strategy, with the line RF = n_in (``go.Figure``): Resource's
    LUTs jump where the ReuseFactor passes the input count (the accumulator index becomes run-time)."""
    from plotly.subplots import make_subplots

    specs = {l.name: l for l in answer.designs["Resource"].layers}
    fig = make_subplots(rows=1, cols=len(layers), horizontal_spacing=0.12,
                        subplot_titles=[f"{n} (Dense {specs[n].n_in}x{specs[n].n_out})" for n in layers])
    for i, name in enumerate(layers, start=1):
        for s, pts in rf_rule_curve(answer, name).items():
            fig.add_scatter(x=[p[0] for p in pts], y=[p[1] for p in pts], mode="lines+markers", name=s,
                            legendgroup=s, showlegend=i == 1, line={"color": _COLORS[s]}, row=1, col=i,
                            hovertemplate=f"{name} {s}: RF %{{x}}, %{{y:,.0f}} LUT<extra></extra>")
        n_in = specs[name].n_in
        ymax = max(p[1] for pts in rf_rule_curve(answer, name).values() for p in pts)
        # a line trace, not add_vline: shapes on a log axis take log10 coordinates
        fig.add_scatter(x=[n_in, n_in], y=[0, ymax], mode="lines+text", line={"dash": "dot", "color": "#555"},
                        text=["", f"RF = n_in = {n_in}"], textposition="middle right", showlegend=False,
                        hoverinfo="skip", row=1, col=i)
        rfs = sorted({p[0] for pts in rf_rule_curve(answer, name).values() for p in pts})
        fig.update_xaxes(type="log", title_text="ReuseFactor (log scale)", tickvals=rfs, ticktext=[str(r) for r in rfs],
                         tickfont={"size": 9}, row=1, col=i)
        fig.update_yaxes(title_text="LUT of the layer" if i == 1 else None, tickformat=",.0f", row=1, col=i)
    fig.update_layout(
        height=360, margin={"t": 80, "b": 50, "l": 60, "r": 10},
        title={"text": "The rule of thumb: with Resource, keep ReuseFactor <= n_in"
                       "<br><span style='font-size:11px'>one layer's LUTs against its ReuseFactor, the others as "
                       "in the seed design; HLS estimate (csynth), estimated by hlsnb</span>", "font": {"size": 14}},
        legend={"orientation": "h", "y": -0.2, "x": 0},
    )
    return fig


def readme_markdown(answer: SeedAnswer | None = None) -> str:
    """The README's seed-answer paragraph, every number computed here (``tools/readme_numbers.py`` writes it)."""
    a = answer or seed_answer()
    res = a.estimates["Resource"]
    fc1 = dict(rf_rule_curve(a, "fc1")["Resource"])
    n_in = next(l.n_in for l in a.designs["Resource"].layers if l.name == "fc1")
    rf_lo = max(rf for rf in fc1 if rf <= n_in)
    verdict = a.verdict[0].lower() + a.verdict[1:]
    text = (
        f"**The seed question, answered.** For the forum's 16-64-32-32-5 MLP on the PYNQ-Z2, {verdict} "
        f"{100 * a.accumulator_select_share:.0f} % of Resource's LUTs are the *accumulator select* of the layers "
        f"whose ReuseFactor exceeds their input count (fc1 16x64 and fc3 32x32: hls4ml then indexes the "
        f"accumulators at run time, so every accumulator can take any product in any cycle); fc1 alone drops from "
        f"{fc1[a.reuse_factor]:,.0f} to {fc1[rf_lo]:,.0f} LUTs at ReuseFactor {rf_lo} = n_in. The rest is generic "
        f"multipliers (no constant folding: weights sit in ROMs, {res.total['bram18k']:.0f} BRAM18K) and the "
        f"DATAFLOW ping-pong buffers one Resource layer forces on the whole design. The rule: with Resource, keep "
        f"ReuseFactor <= n_in. Notebook 02 draws all of it; these numbers are written by `tools/readme_numbers.py` "
        f"from the same code (`hlsnb.widgets.seed`)."
    )
    return textwrap.fill(text, width=118, break_long_words=False, break_on_hyphens=False)
