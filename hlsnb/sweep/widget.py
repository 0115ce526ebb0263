"""The sweep's view: the scored configurations and their Pareto front in a plotly scatter, a progress bar of the
running evaluations, and an Explorer that a click on a point loads the configuration into.

The widget keeps no copy of a setting: a click applies the configuration's settings to the Explorer's own Design
with ``design.update_from`` (the Explorer's weights and model stay), and every number drawn comes from the
:class:`hlsnb.sweep.Sweep` (its scores and its store).
"""

from __future__ import annotations

import math

import ipywidgets as widgets
import numpy as np
import plotly.graph_objects as go

from ..widgets.explorer import Explorer

__all__ = ["SweepWidget", "AXES"]

#: Axis choices: column -> label.
AXES = {
    "lut_pct": "LUT (% of the part)", "dsp_pct": "DSP (% of the part)", "ff_pct": "FF (% of the part)",
    "bram18k_pct": "BRAM18K (% of the part)", "latency_ns": "latency (ns)", "latency_cycles": "latency (cycles)",
    "accuracy": "accuracy (C simulation)",
}
_MAX_POINTS = 5000  # grey background points drawn (a sample beyond): a browser scatter of more says no more


class SweepWidget(widgets.VBox):
    """Pareto scatter + progress bar + Explorer for a :class:`hlsnb.sweep.Sweep`.

    Parameters
    ----------
    sweep : Sweep
        Scored already (``sweep.score(...)``).
    explorer : hlsnb.widgets.Explorer, optional
        Where a clicked configuration goes; default a new Explorer on a copy of the sweep's design (with its
        weights), shown under the plot. ``explorer=False``: no Explorer.
    x, y : str
        Columns on the axes (:data:`AXES`); the marker colour is the latency.
    objectives : the Pareto objectives (see :func:`hlsnb.sweep.pareto_front`).

    Attributes: ``figure`` (FigureWidget), ``x_choice`` / ``y_choice`` (Dropdowns), ``progress`` (IntProgress),
    ``status`` (HTML), ``explorer``, ``selected`` (the config id last loaded).
    """

    def __init__(self, sweep, *, explorer=None, x: str = "lut_pct", y: str = "latency_ns",
                 objectives=("lut_pct", "dsp_pct", "latency_ns")):
        self.sweep = sweep
        self.objectives = tuple(objectives)
        self.selected: str | None = None
        if explorer is None:
            explorer = Explorer(sweep.design.copy())
        self.explorer = explorer or None
        self.x_choice = widgets.Dropdown(options=[(v, k) for k, v in AXES.items()], value=x, description="x")
        self.y_choice = widgets.Dropdown(options=[(v, k) for k, v in AXES.items()], value=y, description="y")
        self.progress = widgets.IntProgress(value=0, min=0, max=1, description="evaluated",
                                            bar_style="info", layout=widgets.Layout(width="420px"))
        self.status = widgets.HTML("")
        self.figure = go.FigureWidget(layout=dict(
            height=420, margin=dict(l=60, r=20, t=30, b=50), legend=dict(orientation="h", y=1.08),
            template="plotly_white"))
        for name, kind in (("all scored", go.Scattergl), ("Pareto front", go.Scatter), ("evaluated", go.Scatter)):
            self.figure.add_trace(kind(name=name, mode="markers", x=[], y=[], customdata=[]))
        for t in self.figure.data:
            t.on_click(self._on_click)
        self.x_choice.observe(lambda _c: self.refresh(), names="value")
        self.y_choice.observe(lambda _c: self.refresh(), names="value")
        children = [widgets.HBox([self.x_choice, self.y_choice]), self.figure,
                    widgets.HBox([self.progress, self.status])]
        super().__init__(children + ([self.explorer] if self.explorer is not None else []))
        self.refresh()

    # ------------------------------------------------------------------ drawing
    def refresh(self) -> None:
        """Redraw from the sweep's scores and the accuracies in its store."""
        scores = self.sweep.scores_with_accuracy()
        front = self.sweep.pareto(self.objectives)
        x, y = self.x_choice.value, self.y_choice.value
        bg = np.arange(len(scores))
        if len(bg) > _MAX_POINTS:
            bg = np.sort(np.random.default_rng(0).choice(bg, _MAX_POINTS, replace=False))
        measured = np.flatnonzero(~np.isnan(scores["accuracy"]))
        with self.figure.batch_update():
            self._draw(0, scores, bg, x, y, dict(size=4, color="#c8c8c8"))
            self._draw(1, front, np.arange(len(front)), x, y,
                       dict(size=9, color=front["latency_ns"], colorscale="Viridis", showscale=True,
                            colorbar=dict(title="latency ns", len=0.6)))
            self._draw(2, scores, measured, x, y, dict(size=14, symbol="star-open", color="#d62728",
                                                       line=dict(width=2)))
            self.figure.layout.xaxis.title = AXES[x]
            self.figure.layout.yaxis.title = AXES[y]
        self.status.value = (f"{len(scores):,} configurations scored, {int(scores['fits'].sum()):,} fit, "
                             f"{len(front)} on the front, {len(measured)} with a measured accuracy")

    @staticmethod
    def _hover(scores, i) -> str:
        r = scores.row(int(i))
        layers = "<br>".join(f"{c[0]}: {c[1]} RF {c[2]}{' ' + c[3] if c[3] else ''}" for c in r["config"]["layers"])
        acc = "" if math.isnan(r["accuracy"]) else f"accuracy {r['accuracy']:.3f}<br>"
        return (f"{r['config_id']}<br>{acc}LUT {r['lut_pct']:.1f}% DSP {r['dsp_pct']:.1f}% latency "
                f"{r['latency_ns']:g} ns<br>{r['config']['io_type']}, sparsity {r['config']['sparsity']:g}<br>"
                f"{layers}")

    def _draw(self, k: int, scores, idx, x, y, marker) -> None:
        t = self.figure.data[k]
        t.x, t.y = scores[x][idx], scores[y][idx]
        t.customdata = [scores.ids[i] for i in idx]
        t.hovertext = [self._hover(scores, i) for i in idx] if len(idx) <= 500 else None
        t.hoverinfo = "text" if len(idx) <= 500 else "x+y"
        t.marker = marker

    # ------------------------------------------------------------------ interaction
    def _on_click(self, trace, points, _state=None) -> None:
        if points.point_inds:
            self.select(trace.customdata[points.point_inds[0]])

    def select(self, config_id: str) -> None:
        """Load a configuration into the Explorer (its settings, through ``design.update_from``)."""
        self.selected = config_id
        if self.explorer is not None:
            changed = self.explorer.design.update_from(self.sweep.design_of(self._config(config_id)))
            self.status.value = (f"loaded {config_id} into the Explorer ({len(changed)} layer(s) changed; "
                                 "sparsity is not carried over: the Explorer keeps its own weights)")

    def _config(self, config_id: str):
        scores = self.sweep.scores
        return scores.configs[scores.ids.index(config_id)] if config_id in scores.ids else config_id

    def on_progress(self, done: int, total: int, row=None) -> None:
        """The progress callback of an evaluation: moves the bar, names the last result."""
        self.progress.max = max(total, 1)
        self.progress.value = done
        self.progress.bar_style = "success" if done >= total else "info"
        if row is not None:
            acc = "" if row.get("accuracy") is None else f", accuracy {row['accuracy']:.3f}"
            self.status.value = f"{done}/{total}: {row['config_id']} {row['status']}{acc}"

    def evaluate(self, candidates=None, kind: str = "csim", **kwargs) -> list[dict]:
        """Evaluate ``candidates`` (default: the Pareto front) with the progress bar, then redraw."""
        rows = self.sweep.evaluate(candidates if candidates is not None else self.sweep.pareto(self.objectives),
                                   kind, on_progress=self.on_progress, **kwargs)
        self.refresh()
        return rows
