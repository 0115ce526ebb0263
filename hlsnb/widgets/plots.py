"""Plots of a design's estimate against its board: resources as % of the part, latency and II per layer.

:func:`estimate_figure` draws a :class:`hlsnb.estimate.DesignEstimate` as a static ``plotly.graph_objects.Figure``
(renders in nbconvert/nbval output without a kernel); :class:`EstimatePlot` keeps a live ``go.FigureWidget``
(an anywidget since plotly 6) in step with a :class:`hlsnb.design.Design`. Both use :func:`figure_dict`, so the
static and the live figure always show the same data.

Row 1: DSP, LUT, FF and BRAM18K of every layer as % of the part, stacked to the design total, with a 100 % line.
Row 2: latency and II of every layer and of the whole design, in clock cycles.
Every number is labelled "HLS estimate (csynth), estimated by hlsnb"; a real report, when given, is drawn as a
second bar group labelled "measured" with its stage.
"""

from __future__ import annotations

import html
from typing import Callable

import ipywidgets as widgets

from ._base import DesignView, Subscribers

__all__ = ["EstimatePlot", "estimate_figure", "figure_dict", "report_rows", "ESTIMATE_LABEL"]

ESTIMATE_LABEL = "HLS estimate (csynth), estimated by hlsnb"
RESOURCES = (("dsp", "DSP"), ("lut", "LUT"), ("ff", "FF"), ("bram18k", "BRAM18K"))
_OVER = "#b42318"
_STAGE_WORDS = {"csynth": "HLS csynth report", "vsynth": "Vivado post-synthesis", "impl": "Vivado post-implementation"}


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


def _pct(v, cap) -> float | None:
    return None if v is None else 100.0 * float(v) / cap if cap else 0.0


def figure_dict(est, design=None, report=None) -> dict:
    """The figure as a plain plotly dict ``{"data": [...], "layout": {...}}`` (no validation: cheap to rebuild).

    ``est`` is a DesignEstimate; ``design`` (optional) adds strategy/RF to the hover text and the board name to the
    title; ``report`` is anything :func:`report_rows` accepts.
    """
    part = est.part
    cap = part.capacity()
    rows = report_rows(report)
    meas_layers = [r for r in rows if r["scope"] == "layer"]
    meas_model = [r for r in rows if r["scope"] == "model"]
    has_report = bool(rows)
    target = (design.board if design is not None and design.board else None) or part.device
    ycat = [lab for _, lab in RESOURCES]
    data = []
    base = [0.0] * len(RESOURCES)
    est_group = "estimate"
    for le in est.layers:
        vals = [getattr(le, k) for k, _ in RESOURCES]
        pct = [_pct(v, cap[k]) for v, (k, _) in zip(vals, RESOURCES)]
        if le.estimated:
            how = f"{le.strategy} RF {le.reuse_factor}<br>" if le.strategy else ""
            hover = [
                f"<b>{html.escape(le.name)}</b> ({le.layer_type})<br>{how}{lab}: {v:,.0f} = {p:.1f}% of "
                f"{part.device}<br>{ESTIMATE_LABEL}"
                for v, p, (_, lab) in zip(vals, pct, RESOURCES)
            ]
        else:
            hover = [f"<b>{html.escape(le.name)}</b>: not estimated ({html.escape(str(le.reason))})"] * len(RESOURCES)
        y = [p if p is not None else 0.0 for p in pct]
        data.append({
            "type": "bar", "name": le.name, "legendgroup": le.name, "x": ycat, "y": y, "base": list(base),
            "offsetgroup": est_group, "hovertext": hover, "hoverinfo": "text", "xaxis": "x", "yaxis": "y",
            "meta": {"hlsnb": "estimate", "layer": le.name},
        })
        base = [b + v for b, v in zip(base, y)]
    est_total = [est.utilisation[k] for k, _ in RESOURCES]
    if has_report:
        mbase = [0.0] * len(RESOURCES)
        stage = (rows[0]["stage"] or "csynth")
        label = rows[0]["label"] or "measured"
        src = meas_layers or meas_model
        for r in src:
            pct = [_pct(r[k], cap[k]) for k, _ in RESOURCES]
            y = [p if p is not None else 0.0 for p in pct]
            hover = [
                f"<b>{html.escape(r['layer'])}</b><br>{lab}: "
                + ("n/a" if r[k] is None else f"{r[k]:,.0f} = {p:.1f}% of {part.device}")
                + f"<br>{label} ({_STAGE_WORDS.get(stage, stage)})"
                for (k, lab), p in zip(RESOURCES, y)
            ]
            data.append({
                "type": "bar", "name": f"{r['layer']} ({label})", "x": ycat, "y": y, "base": list(mbase),
                "offsetgroup": "measured", "hovertext": hover, "hoverinfo": "text", "xaxis": "x", "yaxis": "y",
                "marker": {"pattern": {"shape": "/"}}, "meta": {"hlsnb": "measured", "layer": r["layer"]},
            })
            mbase = [b + v for b, v in zip(mbase, y)]
        meas_total = [_pct(meas_model[0][k], cap[k]) for k, _ in RESOURCES] if meas_model else mbase
    ticktext = []
    for i, (_, lab) in enumerate(RESOURCES):
        t = est_total[i]
        s = f"{lab}<br>est. {t:.1f}%"
        if has_report and meas_total[i] is not None:
            s += f" | {label} {meas_total[i]:.1f}%"
        ticktext.append(f"<span style='color:{_OVER}'>{s}</span>" if t > 100 else s)

    names = [le.name for le in est.layers if le.latency_cycles is not None]
    lat = [float(le.latency_cycles) for le in est.layers if le.latency_cycles is not None]
    ii = [float(le.ii or 0) for le in est.layers if le.latency_cycles is not None]
    xcat = names + [f"design ({est.top})"]
    data.append({
        "type": "bar", "name": "latency (cycles)", "x": xcat, "y": lat + [float(est.latency_cycles)],
        "offsetgroup": "latency", "xaxis": "x2", "yaxis": "y2", "marker": {"color": "#4c78a8"},
        "hovertemplate": "%{x}: latency %{y:,.0f} cycles<br>" + ESTIMATE_LABEL + "<extra></extra>",
        "meta": {"hlsnb": "latency"},
    })
    data.append({
        "type": "bar", "name": "II (cycles)", "x": xcat, "y": ii + [float(est.ii)],
        "offsetgroup": "ii", "xaxis": "x2", "yaxis": "y2", "marker": {"color": "#f58518"},
        "hovertemplate": "%{x}: II %{y:,.0f} cycles<br>" + ESTIMATE_LABEL + "<extra></extra>",
        "meta": {"hlsnb": "ii"},
    })
    if has_report and meas_model and meas_model[0]["latency_cycles"] is not None:
        data.append({
            "type": "bar", "name": f"latency ({label})", "x": [f"design ({est.top})"],
            "y": [float(meas_model[0]["latency_cycles"])], "offsetgroup": "measured", "xaxis": "x2", "yaxis": "y2",
            "marker": {"color": "#4c78a8", "pattern": {"shape": "/"}}, "meta": {"hlsnb": "measured-latency"},
        })
    ymax = max([100.0] + [t for t in est_total] + ([m for m in meas_total if m is not None] if has_report else []))
    note = ""
    if est.not_estimated:
        note = f" Not estimated (totals are a lower bound): {', '.join(est.not_estimated)}."
    layout = {
        "title": {"text": f"{html.escape(str(getattr(design, 'model_name', '') or 'design'))} on {target} "
                          f"({part.device}): {ESTIMATE_LABEL}" + (f" vs {label} ({stage})" if has_report else ""),
                  "font": {"size": 14}},
        "barmode": "group",
        "height": 620,
        "margin": {"t": 70, "b": 60, "l": 60, "r": 20},
        "legend": {"title": {"text": "layer"}, "font": {"size": 10}},
        "xaxis": {"domain": [0, 1], "anchor": "y", "tickvals": ycat, "ticktext": ticktext},
        "yaxis": {"domain": [0.5, 1], "anchor": "x", "title": {"text": f"% of {part.device}"},
                  "range": [0, ymax * 1.1]},
        "xaxis2": {"domain": [0, 1], "anchor": "y2"},
        "yaxis2": {"domain": [0, 0.32], "anchor": "x2", "title": {"text": "clock cycles"}},
        "shapes": [{"type": "line", "xref": "x domain", "x0": 0, "x1": 1, "yref": "y", "y0": 100, "y1": 100,
                    "line": {"color": _OVER, "dash": "dash", "width": 2}}],
        "annotations": [
            {"text": "100 % of the board", "xref": "x domain", "x": 1, "yref": "y", "y": 100, "showarrow": False,
             "xanchor": "right", "yanchor": "bottom", "font": {"color": _OVER, "size": 11}},
            {"text": (f"Latency {est.latency_cycles:,} cycles = {est.latency_ns:,.0f} ns at {est.clock_ns:g} ns, "
                      f"II {est.ii} cycles, top {est.top.upper()} ({ESTIMATE_LABEL}).{note}"),
             "xref": "paper", "x": 0, "yref": "paper", "y": 0.41, "showarrow": False, "xanchor": "left",
             "font": {"size": 12}},
        ],
    }
    return {"data": data, "layout": layout}


def estimate_figure(est, design=None, report=None):
    """A static ``go.Figure`` of ``est`` (renders without a kernel, e.g. in nbconvert HTML)."""
    import plotly.graph_objects as go

    return go.Figure(figure_dict(est, design, report))


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

    ``estimate`` is the latest DesignEstimate; :meth:`on_update` registers ``callback(estimate)`` called after each
    redraw and returns the function that unregisters it; :meth:`static` returns a ``go.Figure`` snapshot for
    nbconvert/nbval output.
    """

    def __init__(self, design, report=None, *, live: bool = True, estimator=None):
        import plotly.graph_objects as go

        if estimator is None:
            from ..estimate import estimate_design as estimator
        self.design = design
        self._estimator = estimator
        self._report = report
        self._updated = Subscribers()
        self.estimate = estimator(design)
        spec = figure_dict(self.estimate, design, report)
        self.figure = go.FigureWidget(spec) if live else go.Figure(spec)
        self._signature = self._sig(spec)
        # FigureWidget inside an HBox renders badly (plotly #4998): keep it in this VBox.
        super().__init__(children=[self.figure] if live else [], layout=widgets.Layout(width="100%"))
        self.add_class("hlsnb-estimate-plot")
        self._follow()  # closing closes the children: the FigureWidget when live

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
        self._report = report
        self.update()

    def update(self) -> None:
        """Re-estimate the design and redraw."""
        self.estimate = self._estimator(self.design)
        spec = figure_dict(self.estimate, self.design, self._report)
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
            else:
                fig.data = ()
                fig.add_traces(spec["data"])
                self._signature = sig
            fig.layout.update(spec["layout"])
        self._updated.notify(self.estimate)

    def static(self):
        """A ``go.Figure`` snapshot of what the plot shows now (renders in nbconvert/nbval output)."""
        return estimate_figure(self.estimate, self.design, self._report)
