"""Plots of a design's estimate against its board: resources as % of the part, latency and II per layer.

:func:`estimate_figure` draws a :class:`hlsnb.estimate.DesignEstimate` as a static ``plotly.graph_objects.Figure``
(renders in nbconvert/nbval output without a kernel); :class:`EstimatePlot` keeps a live ``go.FigureWidget``
(an anywidget since plotly 6) in step with a :class:`hlsnb.design.Design`. Both use :func:`figure_dict`, so the
static and the live figure always show the same data.

Row 1: DSP, LUT, FF and BRAM18K of every layer as % of the part, stacked to the design total (the HLS csynth
estimate), a diamond per resource at what Vivado would place after synthesis (the post-synthesis estimate), and a
100 % line. Both stages are drawn because they answer different questions: the HLS report's numbers are what the
tool prints first (and what users quote), the post-synthesis ones are what decides whether the design fits (HLS
csynth LUTs are 1.7-5x Vivado's).
Row 2: latency and II of every layer and of the whole design, in clock cycles (the HLS estimate).
Every number is labelled with its stage and tool (:func:`stage_label`); a real report, when given, is drawn as a
second bar group labelled "measured" with its stage.
"""

from __future__ import annotations

import html
from typing import Callable

import ipywidgets as widgets

from .. import vocab
from ._base import DesignView, Subscribers, check_name, check_target, transaction

__all__ = ["EstimatePlot", "estimate_figure", "figure_dict", "report_rows", "stage_label", "ESTIMATE_LABEL",
           "VSYNTH_LABEL", "STAGE_LABELS", "STAGE_NAMES", "STAGES"]

ESTIMATE_LABEL = vocab.stage_label("csynth", estimated=True)
VSYNTH_LABEL = vocab.stage_label("vsynth", estimated=True)
#: What the numbers of each estimator stage are, in the words every number shown carries.
STAGE_LABELS = {"csynth": ESTIMATE_LABEL, "vsynth": VSYNTH_LABEL}
#: The stages the views draw and switch between, in the order of the Explorer's toggle.
STAGES = tuple(STAGE_LABELS)
#: Short stage names for badges, toggles and tick labels.
STAGE_NAMES = vocab.STAGE_NAMES
RESOURCES = tuple((r, vocab.RESOURCE_LABELS[r]) for r in vocab.RESOURCES)
_OVER = "#b42318"
#: Width (px) of the live figure: a JupyterLab notebook's output area beside the file browser at 1,400 px.
LIVE_WIDTH = 900
_CAP = 200.0  # % of the part: the resource axis stops here; taller columns are labelled with their real total
_TICK_WORDS = {"csynth": "HLS", "vsynth": "Vivado"}  # tick labels are narrow: the title and hover say the rest
_STAGE_WORDS = vocab.STAGE_LABELS


def report_rows(report) -> list[dict]:
    """Normalise a real report for drawing: an ``hlsnb.synth.reports.Report``, or an iterable of dicts with keys
    ``layer`` (or ``name``), ``dsp``, ``lut``, ``ff``, ``bram18k`` and optionally ``scope`` ("layer"/"model"),
    ``stage`` ("csynth", "vsynth", "impl"), ``latency_cycles`` (or ``latency_max_cycles``), ``ii`` (or ``ii_max``).

    Returns one dict per row with those keys filled (missing numbers are None).
    """
    if report is None:
        return []
    rows = report.to_rows() if hasattr(report, "to_rows") else list(report)
    out = []
    for r in rows:
        r = dict(r) if not isinstance(r, dict) else r
        name = r.get("layer", r.get("name"))
        if name is None:
            raise ValueError(f"report row {r!r} has no 'layer' (or 'name'); expected keys layer, dsp, lut, ff, bram18k")
        out.append({
            "layer": str(name),
            "scope": r.get("scope", "layer"),
            "stage": r.get("stage", "csynth"),
            "label": r.get("label", "measured"),
            **{k: (None if r.get(k) is None else float(r[k])) for k, _ in RESOURCES},
            "latency_cycles": r.get("latency_cycles", r.get("latency_max_cycles")),
            "ii": r.get("ii", r.get("ii_max")),
        })
    return out


def stage_label(est) -> str:
    """What the numbers of ``est`` (a DesignEstimate) are: estimated, at which stage, for which tool."""
    label = STAGE_LABELS.get(est.stage, f"{est.stage} estimate, estimated by hlsnb")
    return f"{label} for {est.tool}" if est.tool else label


def _pct(v, cap) -> float | None:
    return None if v is None else 100.0 * float(v) / cap if cap else 0.0


def _post_trace(post, ycat: list, device: str) -> dict:
    """One diamond per resource at the post-synthesis total (% of the part); hover gives the count and the stage."""
    label = stage_label(post)
    tot = [float(post.total[k]) for k, _ in RESOURCES]
    util = [float(post.utilisation[k]) for k, _ in RESOURCES]
    return {
        "type": "scatter", "mode": "markers", "name": f"{STAGE_NAMES.get(post.stage, post.stage)} (estimated)",
        "x": ycat, "y": util, "customdata": tot, "xaxis": "x", "yaxis": "y",
        "marker": {"symbol": "diamond", "size": 14, "color": "#222", "line": {"color": "white", "width": 1.5}},
        "hovertext": [f"<b>design total</b><br>{lab}: {v:,.0f} = {p:.1f}% of {device}<br>{label}"
                      for v, p, (_, lab) in zip(tot, util, RESOURCES)],
        "hoverinfo": "text", "meta": {"hlsnb": post.stage, "stage": post.stage},
    }


def _estimate_traces(est, part, label: str, ycat: list) -> list:
    """The stacked bars: one trace per layer of the estimate (meta ``hlsnb`` = ``"estimate"``)."""
    cap = part.capacity()
    data, base = [], [0.0] * len(RESOURCES)
    for le in est.layers:
        vals = [getattr(le, k) for k, _ in RESOURCES]
        pct = [_pct(v, cap[k]) for v, (k, _) in zip(vals, RESOURCES)]
        if le.estimated:
            how = f"{le.strategy} RF {le.reuse_factor}<br>" if le.strategy else ""
            hover = [
                f"<b>{html.escape(le.name)}</b> ({le.layer_type})<br>{how}{lab}: {v:,.0f} = {p:.1f}% of "
                f"{part.device}<br>{label}"
                for v, p, (_, lab) in zip(vals, pct, RESOURCES)
            ]
        else:
            hover = [f"<b>{html.escape(le.name)}</b>: not estimated ({html.escape(str(le.reason))})"] * len(RESOURCES)
        y = [p if p is not None else 0.0 for p in pct]
        data.append({
            "type": "bar", "name": le.name, "legendgroup": le.name, "x": ycat, "y": y, "base": list(base),
            "offsetgroup": "estimate", "hovertext": hover, "hoverinfo": "text", "xaxis": "x", "yaxis": "y",
            "meta": {"hlsnb": "estimate", "layer": le.name},
        })
        base = [b + v for b, v in zip(base, y)]
    return data


def _report_traces(rows: list, part, ycat: list) -> tuple[list, list, str, str]:
    """The report's hatched bars: (traces, total % per resource, its label, its stage)."""
    cap = part.capacity()
    meas_layers = [r for r in rows if r["scope"] == "layer"]
    meas_model = [r for r in rows if r["scope"] == "model"]
    data, mbase = [], [0.0] * len(RESOURCES)
    stage = rows[0]["stage"] or "csynth"
    meas_label = rows[0]["label"] or "measured"
    for r in meas_layers or meas_model:
        pct = [_pct(r[k], cap[k]) for k, _ in RESOURCES]
        y = [p if p is not None else 0.0 for p in pct]
        hover = [
            f"<b>{html.escape(r['layer'])}</b><br>{lab}: "
            + ("n/a" if r[k] is None else f"{r[k]:,.0f} = {p:.1f}% of {part.device}")
            + f"<br>{meas_label} ({_STAGE_WORDS.get(stage, stage)})"
            for (k, lab), p in zip(RESOURCES, y)
        ]
        data.append({
            "type": "bar", "name": f"{r['layer']} ({meas_label})", "x": ycat, "y": y, "base": list(mbase),
            "offsetgroup": "measured", "hovertext": hover, "hoverinfo": "text", "xaxis": "x", "yaxis": "y",
            "marker": {"pattern": {"shape": "/"}}, "meta": {"hlsnb": "measured", "layer": r["layer"]},
        })
        mbase = [b + v for b, v in zip(mbase, y)]
    meas_total = [_pct(meas_model[0][k], cap[k]) for k, _ in RESOURCES] if meas_model else mbase
    return data, meas_total, meas_label, stage


_GHOST = {"color": "rgba(120,120,120,0.25)", "line": {"color": "#555", "width": 1.5}}


def _pinned_trace(pinned, name: str, part, ycat: list) -> dict:
    """The pinned design's totals as grey ghost bars (meta ``hlsnb`` = ``"pinned"``)."""
    return {
        "type": "bar", "name": f"{name} (pinned)", "x": ycat,
        "y": [float(pinned.utilisation[k]) for k, _ in RESOURCES], "offsetgroup": "pinned",
        "customdata": [float(pinned.total[k]) for k, _ in RESOURCES], "xaxis": "x", "yaxis": "y", "marker": _GHOST,
        "hovertemplate": f"{name} (pinned): " + "%{x} %{customdata:,.0f} = %{y:.1f}% of "
                         + f"{part.device}<br>{stage_label(pinned)}<extra></extra>",
        "meta": {"hlsnb": "pinned"},
    }


def _counts_trace(est, est_total: list, ycat: list, cap_top: float) -> dict:
    """Each column's absolute count over it (meta ``hlsnb`` = ``"counts"``); a column over the cap says its %."""
    return {
        "type": "scatter", "mode": "text", "name": "counts", "x": ycat, "showlegend": False, "hoverinfo": "skip",
        "y": [min(t, cap_top) for t in est_total], "textposition": "top center", "cliponaxis": False,
        "text": [(f"&#8593; {t:,.0f}% " if t > cap_top else "") + f"{float(est.total[k]):,.0f} {lab}"
                 for t, (k, lab) in zip(est_total, RESOURCES)],
        "textfont": {"size": 11, "color": [_OVER if t > 100 else "#222" for t in est_total]},
        "xaxis": "x", "yaxis": "y", "meta": {"hlsnb": "counts"},
    }


def _tick_pct(p: float) -> str:  # red where that stage alone is over the board
    return f"<span style='color:{_OVER}'>{p:.1f}%</span>" if p > 100 else f"{p:.1f}%"


def _ticktext(est, est_total, post, post_total, meas, pinned, pinned_name) -> list:
    """One tick label per resource: one short line per number (the labels stay horizontal at notebook width)."""
    out = []
    for i, (_, lab) in enumerate(RESOURCES):
        s = f"<b>{lab}</b><br>est. {_TICK_WORDS.get(est.stage, est.stage)} {_tick_pct(est_total[i])}"
        if post_total is not None:
            s += f"<br>&#9670; {_TICK_WORDS.get(post.stage, post.stage)} {_tick_pct(post_total[i])}"
        if meas is not None and meas[1][i] is not None:
            s += f"<br>{meas[2]} {meas[1][i]:.1f}%"
        if pinned is not None:  # the first word only ("A"): a tick label is as wide as its column
            s += f"<br>{html.escape(pinned_name.split()[0])} {_tick_pct(float(pinned.utilisation[RESOURCES[i][0]]))}"
        out.append(s)
    return out


def _timing_traces(est, label: str, pinned, pinned_name: str, meas_model: list, meas_label: str) -> list:
    """The lower panel: latency and II per layer and for the design, the pinned design's, the report's."""
    names = [le.name for le in est.layers if le.latency_cycles is not None]
    lat = [float(le.latency_cycles) for le in est.layers if le.latency_cycles is not None]
    ii = [float(le.ii or 0) for le in est.layers if le.latency_cycles is not None]
    xcat = names + [f"design ({est.top})"]
    data = [{
        "type": "bar", "name": "latency (cycles)", "x": xcat, "y": lat + [float(est.latency_cycles)],
        "offsetgroup": "latency", "xaxis": "x2", "yaxis": "y2", "marker": {"color": "#4c78a8"},
        "hovertemplate": "%{x}: latency %{y:,.0f} cycles<br>" + label + "<extra></extra>",
        "meta": {"hlsnb": "latency"},
    }, {
        "type": "bar", "name": "II (cycles)", "x": xcat, "y": ii + [float(est.ii)],
        "offsetgroup": "ii", "xaxis": "x2", "yaxis": "y2", "marker": {"color": "#f58518"},
        "hovertemplate": "%{x}: II %{y:,.0f} cycles<br>" + label + "<extra></extra>",
        "meta": {"hlsnb": "ii"},
    }]
    if pinned is not None:
        data.append({
            "type": "bar", "name": f"{pinned_name} (pinned): latency, II", "x": [f"design ({est.top})"] * 2,
            "y": [float(pinned.latency_cycles), float(pinned.ii)], "offsetgroup": "pinned", "xaxis": "x2",
            "yaxis": "y2", "marker": _GHOST,
            "hovertemplate": f"{pinned_name} (pinned): latency {pinned.latency_cycles:,} cycles, II {pinned.ii:,}"
                             "<extra></extra>", "meta": {"hlsnb": "pinned-latency"},
        })
    for t in data:  # the timing panel has its own legend, apart from the layers
        t["legend"] = "legend2"
    if meas_model and meas_model[0]["latency_cycles"] is not None:
        data.append({
            "type": "bar", "name": f"latency ({meas_label})", "x": [f"design ({est.top})"],
            "y": [float(meas_model[0]["latency_cycles"])], "offsetgroup": "measured", "xaxis": "x2", "yaxis": "y2",
            "marker": {"color": "#4c78a8", "pattern": {"shape": "/"}}, "meta": {"hlsnb": "measured-latency"},
        })
    return data


def _lines(est, target) -> tuple[list, list]:
    """The 100 % line, the target line and the timing note: (shapes, annotations)."""
    note = f" Not estimated (totals are a lower bound): {', '.join(est.not_estimated)}." if est.not_estimated else ""
    shapes = [{"type": "line", "xref": "x domain", "x0": 0, "x1": 1, "yref": "y", "y0": 100, "y1": 100,
               "line": {"color": _OVER, "dash": "dash", "width": 2}}]
    annotations = [
        {"text": "100 % of the board", "xref": "x domain", "x": 1, "yref": "y", "y": 100, "showarrow": False,
         "xanchor": "right", "yanchor": "bottom", "font": {"color": _OVER, "size": 11}},
        {"text": (f"<b>Timing</b> (cycles): latency {est.latency_cycles:,} cycles = {est.latency_ns:,.0f} ns at "
                  f"{est.clock_ns:g} ns, II {est.ii:,} cycles, top {est.top.upper()}.{note}"),
         "xref": "paper", "x": 0, "yref": "paper", "y": 0.31, "showarrow": False, "xanchor": "left",
         "yanchor": "bottom", "font": {"size": 12}},
    ]
    if target is not None and abs(100.0 * target - 100) > 1e-9:
        shapes.append({"type": "line", "xref": "x domain", "x0": 0, "x1": 1, "yref": "y", "y0": 100 * target,
                       "y1": 100 * target, "line": {"color": "#1a7f37", "dash": "dot", "width": 2}})
        annotations.append({"text": f"target {100 * target:.0f} %", "xref": "x domain", "x": 1, "yref": "y",
                            "y": 100 * target, "showarrow": False, "xanchor": "right", "yanchor": "top",
                            "font": {"color": "#1a7f37", "size": 11}})
    return shapes, annotations


def figure_dict(est, design=None, report=None, post=None, *, target: float | None = None, pinned=None,
                pinned_name: str = "A") -> dict:
    """The figure as a plain plotly dict ``{"data": [...], "layout": {...}}`` (no validation: cheap to rebuild).

    ``est`` is a DesignEstimate (the stacked bars, normally the HLS csynth stage); ``design`` (optional) adds
    strategy/RF to the hover text and the board name to the title; ``report`` is anything :func:`report_rows`
    accepts; ``post`` (optional) is the post-synthesis DesignEstimate of the same design
    (``estimate_design(design, stage="vsynth")``), drawn as one diamond per resource (trace meta ``hlsnb`` =
    ``"vsynth"``, ``customdata`` the totals). ``target`` (a fraction of the board, e.g. 0.8) draws the target line;
    ``pinned`` (a DesignEstimate of a pinned design, same stage as ``est``) draws its totals as ghost bars beside
    the current ones (meta ``hlsnb`` = ``"pinned"``) and its latency and II in the lower panel.

    The resource axis is capped (at 200 % of the part, or lower when everything is lower) so that one layer far
    over the board does not flatten the rest; a column over the cap says its real total at the top. Each column
    carries its absolute count (trace meta ``hlsnb`` = ``"counts"``).
    """
    label, part = stage_label(est), est.part
    rows = report_rows(report)
    target_name = (design.board if design is not None and design.board else None) or part.device
    ycat = [lab for _, lab in RESOURCES]
    data = _estimate_traces(est, part, label, ycat)
    est_total = [est.utilisation[k] for k, _ in RESOURCES]
    post_total = [post.utilisation[k] for k, _ in RESOURCES] if post is not None else None
    if post is not None:
        data.append(_post_trace(post, ycat, part.device))
    meas = None  # (traces, total % per resource, label, stage) of the report
    if rows:
        meas = _report_traces(rows, part, ycat)
        data += meas[0]
    if pinned is not None:
        data.append(_pinned_trace(pinned, pinned_name, part, ycat))
    cap_top = min(_CAP, max([100.0] + est_total + (post_total or [])))
    if target is not None:
        cap_top = max(cap_top, 100.0 * target)
    data.append(_counts_trace(est, est_total, ycat, cap_top))
    ticktext = _ticktext(est, est_total, post, post_total, meas, pinned, pinned_name)
    meas_model = [r for r in rows if r["scope"] == "model"]
    data += _timing_traces(est, label, pinned, pinned_name, meas_model, meas[2] if meas else "")
    ymax = max([100.0] + est_total + (post_total or [])
               + ([m for m in meas[1] if m is not None] if meas else [])
               + ([float(pinned.utilisation[k]) for k, _ in RESOURCES] if pinned is not None else []))
    ymax = max(min(ymax, _CAP), 100.0 * (target or 0))
    shapes, annotations = _lines(est, target)
    layout = {
        "title": {"text": f"{html.escape(str(getattr(design, 'model_name', '') or 'design'))} on {target_name} "
                          f"({part.device})<br><span style='font-size:11px'>bars: {label}"
                          + (f"<br>&#9670;: {stage_label(post)}" if post is not None else "")
                          + (f"; vs {meas[2]} ({meas[3]})" if meas else "")
                          + (f"; grey: {html.escape(pinned_name)} (pinned)" if pinned is not None else "")
                          + "</span>",
                  "font": {"size": 14}},
        "barmode": "group",
        "height": 700,
        "margin": {"t": 95, "b": 70, "l": 60, "r": 10},
        "legend": {"title": {"text": "layer"}, "font": {"size": 10}, "x": 1.01, "y": 1, "yanchor": "top"},
        "legend2": {"title": {"text": "timing"}, "font": {"size": 10}, "x": 1.01, "y": 0.28, "yanchor": "top"},
        "xaxis": {"domain": [0, 1], "anchor": "y", "tickvals": ycat, "ticktext": ticktext, "tickangle": 0},
        "yaxis": {"domain": [0.52, 1], "anchor": "x", "title": {"text": f"% of {part.device}"},
                  "range": [0, ymax * 1.12]},
        "xaxis2": {"domain": [0, 1], "anchor": "y2", "tickangle": -30},
        "yaxis2": {"domain": [0, 0.28], "anchor": "x2", "title": {"text": "clock cycles"}},
        "shapes": shapes,
        "annotations": annotations,
    }
    return {"data": data, "layout": layout}


def estimate_figure(est, design=None, report=None, post=None):
    """A static ``go.Figure`` of ``est`` (renders without a kernel, e.g. in nbconvert HTML); ``post``: the
    post-synthesis estimate drawn as diamonds (see :func:`figure_dict`)."""
    import plotly.graph_objects as go

    return go.Figure(figure_dict(est, design, report, post))


def go_figure(spec: dict):
    """A static ``go.Figure`` from a :func:`figure_dict` spec."""
    import plotly.graph_objects as go

    return go.Figure(spec)


class EstimatePlot(DesignView, widgets.VBox):
    """A live plot of a Design's estimate, updated on every change of the design.

    Parameters
    ----------
    design : hlsnb.design.Design
        Followed (``design.observe``, through :class:`~hlsnb.widgets._base.DesignView`); never changed.
    report : optional
        A real report drawn beside the estimate (see :func:`report_rows`); change it with :meth:`set_report`.
    live : bool
        True (default): ``figure`` is a ``go.FigureWidget`` (needs anywidget, plotly >= 6). False: a ``go.Figure``
        rebuilt on every change (for environments without widgets).
    estimator : callable, optional
        ``estimator(design, stage=...) -> DesignEstimate`` (default :func:`hlsnb.estimate.estimate_design`), called
        once per stage of :data:`STAGES` on every change (sub-millisecond each).

    ``estimates`` maps each stage ("csynth", "vsynth") to the latest DesignEstimate; ``estimate`` is the HLS csynth
    one (the bars). :meth:`on_update` registers ``callback(estimate)`` called after each redraw (the csynth
    estimate; read ``estimates`` for the others) and returns the function that unregisters it; :meth:`static`
    returns a ``go.Figure`` snapshot for nbconvert/nbval output.
    """

    def __init__(self, design, report=None, *, live: bool = True, estimator=None):
        import plotly.graph_objects as go

        if estimator is None:
            from ..estimate import estimate_design as estimator
        self.design = design
        self._estimator = estimator
        self._report = report
        self.target = None  # fraction of the board drawn as the target line (set_target_line)
        self.pinned = None  # (name, design copy, estimates by stage) of the pinned design (pin)
        self._updated = Subscribers()
        self._estimate_all()
        spec = self._spec()
        if live:  # a FigureWidget does not follow its container's width: it would stay at plotly's 700 px
            spec["layout"]["width"] = LIVE_WIDTH
        self.figure = go.FigureWidget(spec) if live else go.Figure(spec)
        self._signature = self._sig(spec)
        # FigureWidget inside an HBox renders badly (plotly #4998): keep it in this VBox.
        super().__init__(children=[self.figure] if live else [], layout=widgets.Layout(width="100%"))
        self.add_class("hlsnb-estimate-plot")
        self._follow()  # closing closes the children: the FigureWidget when live

    def _estimate_all(self) -> None:
        self.estimates = {s: self._estimator(self.design, stage=s) for s in STAGES}
        self.estimate = self.estimates["csynth"]

    def _spec(self) -> dict:
        pinned = self.pinned[2]["csynth"] if self.pinned else None
        return figure_dict(self.estimate, self.design, self._report, post=self.estimates["vsynth"],
                           target=self.target, pinned=pinned, pinned_name=self.pinned[0] if self.pinned else "A")

    def set_target_line(self, target: float | None) -> None:
        """Draw the utilisation target (a fraction of the board, e.g. 0.8) as a line; None removes it. A refused
        value changes nothing."""
        target = check_target(target)
        with transaction(self, "target"):
            self.target = target
            self.update()

    def pin(self, name: str = "A") -> None:
        """Keep the design as it is now as ``name``: its totals stay on the plot as grey ghost bars while the
        design changes (compare B against A); :meth:`unpin` removes them. A refused name changes nothing."""
        check_name(name)
        with transaction(self, "pinned"):
            self.pinned = (name, self.design.copy(), dict(self.estimates))
            self.update()

    def unpin(self) -> None:
        """Remove the pinned design's ghost bars."""
        with transaction(self, "pinned"):
            self.pinned = None
            self.update()

    @staticmethod
    def _sig(spec) -> tuple:
        return tuple((t["name"], t.get("offsetgroup"), len(t["x"])) for t in spec["data"])

    def _on_design_change(self, name: str) -> None:
        self.update()

    def on_update(self, callback) -> Callable[[], None]:
        """Call ``callback(estimate)`` after every redraw; returns a function that stops it (call it once or more)."""
        return self._updated.add(callback)

    def set_report(self, report) -> None:
        """Draw ``report`` (see :func:`report_rows`) beside the estimate; ``None`` removes it."""
        report_rows(report)  # validate before changing anything
        with transaction(self, "_report"):
            self._report = report
            self.update()

    def update(self) -> None:
        """Re-estimate the design (every stage) and redraw."""
        self._estimate_all()
        spec = self._spec()
        sig = self._sig(spec)
        fig = self.figure
        with fig.batch_update():
            if sig == self._signature:
                for trace, new in zip(fig.data, spec["data"]):
                    trace.x = new["x"]
                    trace.y = new["y"]
                    if "base" in new:
                        trace.base = new["base"]
                    if "hovertext" in new:
                        trace.hovertext = new["hovertext"]
                    if "customdata" in new:
                        trace.customdata = new["customdata"]
                    if "hovertemplate" in new:  # names the tool, which changes with the target
                        trace.hovertemplate = new["hovertemplate"]
                    if "text" in new:  # the absolute counts over the columns
                        trace.text = new["text"]
                        trace.textfont = new["textfont"]
            else:
                fig.data = ()
                fig.add_traces(spec["data"])
                self._signature = sig
            fig.layout.update(spec["layout"])
        self._updated.notify(self.estimate)

    def static(self):
        """A ``go.Figure`` snapshot of what the plot shows now (renders in nbconvert/nbval output)."""
        return go_figure(self._spec())
