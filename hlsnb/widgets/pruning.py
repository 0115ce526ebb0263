"""``PruningSlider``: pick a pruning target, see its estimated resources at once, fine-tune, plot the trade-off.

Moving the slider masks the *current* weights one-shot (the knapsack of :mod:`hlsnb.prune`, no training) and
shows the HLS csynth estimate of that masked design: a fast preview of what the target costs. The button runs
:func:`hlsnb.prune.prune` for that target (fine-tuning with masks enforced, progress shown) and adds the result
to an accuracy-against-DSPs plot that keeps every earlier point, so the trade-off curve builds up run by run.
Everything is driven from Python as well (``slider.target = 0.8``, ``slider.run()``), which is how the tests
use it. The pruning plan is the design's: when the design changes (a ReuseFactor, a precision, the board), the
plan, the preview and the unpruned reference point are rebuilt from it.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import plotly.graph_objects as go
import traitlets

from ..estimate import estimate_design
from ..prune import Budget, clone_model, plan_pruning, prune
from . import _html
from ._base import DesignView, user_action
from .plots import LIVE_WIDTH

__all__ = ["PruningSlider"]


#: The resources the plot can show, and their names.
_LABELS = {"dsp": "DSP", "lut": "LUT", "ff": "FF", "bram18k": "BRAM18K"}


class PruningSlider(DesignView, widgets.VBox):
    """A slider over the pruning target with a live resource estimate and a trade-off plot.

    Parameters
    ----------
    model, design, data : the Keras model, its :class:`hlsnb.design.Design` and the data (as for ``prune``).
    objective : as for :func:`hlsnb.prune.prune` (default ``"dsp"``).
    mode : ``"sparsity"`` (slider 0..0.99 of the prunable objective) or ``"budget"`` (slider in objective units,
        e.g. DSPs, from the least reachable to the unpruned count).
    prune_kwargs : extra keyword arguments for ``prune`` (epochs, scheduler, tolerance, csim, ...).
    live : True: the plot is a ``go.FigureWidget``; False: a ``go.Figure`` (redrawn in an Output).

    ``plan`` is the :class:`hlsnb.prune.PruningPlan` of the design as it is now (rebuilt on every design change).
    """

    target = traitlets.Float(0.5, help="Target: sparsity (mode 'sparsity') or objective units (mode 'budget').")
    mode = traitlets.Unicode("sparsity", help="'sparsity' or 'budget'.", read_only=True)
    estimate = traitlets.Dict(help="Estimated resources (HLS csynth) of the one-shot masked design at the target.")
    points = traitlets.List(help="One dict per fine-tuned run: target, estimated DSPs, accuracies, status.")
    running = traitlets.Bool(False, help="True while a fine-tune runs.")

    def __init__(self, model, design, data, objective="dsp", *, mode: str = "sparsity", value=None,
                 prune_kwargs: dict | None = None, metric: str = "l1", live: bool = True, resource: str | None = None):
        if mode not in ("sparsity", "budget"):
            raise ValueError(f"mode {mode!r} is not valid; valid: sparsity, budget")
        if resource is not None and resource not in _LABELS:
            raise ValueError(f"resource {resource!r} is not valid; valid: {', '.join(_LABELS)}")
        #: the resource the plot's x axis shows: given, else the one that binds the unpruned design (the largest
        #: share of the part): DSPs for a wide Latency design, LUTs for a 6-bit one (whose products use no DSP)
        if resource is None:
            util = estimate_design(design).utilisation
            resource = max(_LABELS, key=lambda k: float(util[k]))
        self.resource = resource
        self._model, self.design, self._data = model, design, data
        self._objective = objective
        self._metric = metric
        self._kwargs = dict(prune_kwargs or {})
        self._build_plan()
        # every Dense/Conv layer: which of them are prunable depends on the design's settings, which may change
        self._originals = {n: np.asarray(model.get_layer(n).kernel.numpy()) for n in self.plan.layers}
        self._bias = {n: np.asarray(model.get_layer(n).bias.numpy()) for n in self.plan.layers
                      if getattr(model.get_layer(n), "bias", None) is not None}
        self._scratch = clone_model(model)
        unit = self.plan._unit(0)
        self.unit = unit
        if mode == "sparsity":
            v = 0.5 if value is None else float(value)
            self.slider = widgets.FloatSlider(value=v, min=0.0, max=0.99, step=0.01, description="sparsity",
                                              continuous_update=False, readout_format=".2f",
                                              layout=widgets.Layout(width="420px"))
        else:
            lo, hi = self._budget_range()
            v = int(hi // 4) if value is None else int(value)
            self.slider = widgets.IntSlider(value=min(max(v, lo), hi), min=lo, max=hi, description=f"max {unit}",
                                            continuous_update=False, layout=widgets.Layout(width="420px"))
        self.estimate_html = widgets.HTML()
        self.button = widgets.Button(description="Prune and fine-tune", button_style="primary", icon="scissors",
                                     layout=widgets.Layout(width="auto"),
                                     tooltip="Run hlsnb.prune.prune for this target and add the point to the plot")
        self.progress = widgets.IntProgress(value=0, min=0, max=1, description="", layout=widgets.Layout(width="240px"))
        self.progress_text = widgets.HTML("")  # beside the bar: a description would be cut to the label's width
        self.status = widgets.HTML()
        self.output = widgets.Output()
        self._live = live
        fig = self._figure_spec()
        if live:  # a FigureWidget does not follow its container's width (see hlsnb.widgets.plots.LIVE_WIDTH)
            fig["layout"]["width"] = LIVE_WIDTH
        self.figure = go.FigureWidget(fig) if live else go.Figure(fig)
        self._fig_out = None if live else widgets.Output()
        super().__init__()
        self.set_trait("mode", mode)
        self.children = [self.slider, self.estimate_html,
                         widgets.HBox([self.button, self.progress, self.progress_text]), self.status,
                         self.figure if live else self._fig_out, self.output]
        self.button.on_click(lambda _b: self.run())
        self.slider.observe(self._on_slider, names="value")
        self.target = float(self.slider.value)
        self._show_estimate(self.target)
        self._baseline = {}
        self._baseline_point()
        self._redraw()
        self._follow()

    # ------------------------------------------------------------------ design -> plan
    def _build_plan(self) -> None:
        """The plan (and the scratch design the preview masks) from the design as it is now."""
        self.plan = plan_pruning(self._model, self.design, self._objective, structure=self._kwargs.get("structure"),
                                 layers=self._kwargs.get("layers"), min_keep=self._kwargs.get("min_keep", 1))
        self._scratch_design = self.design.copy()

    def _budget_range(self) -> tuple[int, int]:
        """The budgets pruning can reach, in objective units: the least reachable to the unpruned usage."""
        return int(np.ceil(self.plan.minimum()[0])), int(np.floor(self.plan.total[0]))

    def _on_design_change(self, name: str) -> None:
        """A setting or the target changed what each weight costs: rebuild the plan, the preview, the reference."""
        self._build_plan()
        target = self.target
        if self.mode == "budget":  # the reachable budgets moved: clamp the target into them
            lo, hi = self._budget_range()
            target = float(min(max(int(target), lo), hi))
            with self.syncing(), self.slider.hold_trait_notifications():
                self.slider.min, self.slider.max, self.slider.value = lo, hi, int(target)
        if target != self.target:
            self.target = target  # its observer shows the estimate
        else:
            self._show_estimate(target)
        self._baseline_point()
        self._redraw()

    # ------------------------------------------------------------------ target -> estimate
    @traitlets.validate("target")
    def _valid_target(self, proposal):
        v = float(proposal["value"])
        if self.mode == "sparsity" and not (0.0 <= v < 1.0):
            raise traitlets.TraitError(f"sparsity target {v!r} must be in [0, 1)")
        if self.mode == "budget":
            lo, hi = self.slider.min, self.slider.max
            if not (lo <= v <= hi):
                raise traitlets.TraitError(f"budget {v:g} {self.unit} outside what pruning reaches: {lo}..{hi}")
        return v

    @user_action
    def _on_slider(self, change) -> None:
        self.target = float(change["new"])

    @traitlets.observe("target")
    def _on_target(self, change):
        v = change["new"]
        if self.slider.value != v:
            self.slider.value = v if self.mode == "sparsity" else int(v)
        self._show_estimate(v)

    def _show_estimate(self, v) -> None:
        self.estimate = self.estimate_for(v)
        over = {k: u for k, u in self.estimate["utilisation"].items() if u > 100.0}
        self.estimate_html.value = (
            _html.pruning_estimate(self._target_text(v), self.estimate, self.design.part.capacity(), self.unit)
            + _html.pruning_over_board(over, self.design.part.device))
        if hasattr(self, "figure"):
            self._draw_preview()

    def _target_arg(self, v):
        return float(v) if self.mode == "sparsity" else Budget(int(v))

    def _target_text(self, v) -> str:
        return f"sparsity {v:.2f}" if self.mode == "sparsity" else f"at most {int(v)} {self.unit}"

    def estimate_for(self, v) -> dict:
        """Estimated resources of the design with the current weights masked one-shot for target ``v``."""
        s = self.plan.final_sparsity(self._target_arg(v))
        cap = self.plan.capacity(s)
        if self.mode == "budget":
            cap = np.maximum(np.asarray([float(v)]) - self.plan.fixed, 0.0)
        masks = self.plan.masks(self._model, s, capacity=cap, metric="l1" if self._metric == "taylor" else self._metric)
        zeros = n = 0
        for name, k in self._originals.items():
            m = masks.get(name)  # None: not prunable under the current plan, keeps all its weights
            layer = self._scratch.get_layer(name)
            layer.kernel.assign(k if m is None else k * m.kernel)
            if name in self._bias:
                keep = 1.0 if m is None or m.bias is None else m.bias
                layer.bias.assign(self._bias[name] * keep)
            if m is not None:  # the sparsity shown is of the prunable weights
                zeros += int(np.count_nonzero(k * m.kernel == 0))
                n += k.size
        self._scratch_design.attach_weights(self._scratch)
        est = estimate_design(self._scratch_design)
        out = {k: float(est.total[k]) for k in ("dsp", "lut", "ff", "bram18k")}
        out.update(objective=float(self.plan.usage(masks)[0]), sparsity=zeros / n if n else 0.0,
                   latency_cycles=int(est.latency_cycles), accuracy=self._one_shot_accuracy(),
                   utilisation={k: float(est.utilisation[k]) for k in ("dsp", "lut", "ff", "bram18k")})
        return out

    def _one_shot_accuracy(self) -> float | None:
        """Keras test accuracy of the masked scratch model before any fine-tuning (one forward pass, ~10 ms);
        None when the data has no test split."""
        d = self._data
        X, y = ((d.X_test, d.y_test) if hasattr(d, "X_test")
                else (d[2], d[3]) if isinstance(d, (tuple, list)) and len(d) == 4 else (None, None))
        if X is None:
            return None
        probs = np.asarray(self._scratch(np.asarray(X), training=False))
        return float(np.mean(probs.argmax(1) == np.asarray(y)))

    # ------------------------------------------------------------------ run
    def _progress(self, done, total, text):
        self.progress.max = max(1, total)
        self.progress.value = min(done, self.progress.max)
        self.progress_text.value = _html.status(text, style=None)

    def run(self):
        """Prune and fine-tune for the current target; adds the point to the plot. Returns (model, report)."""
        if self.running:
            return None
        self.running = True
        self.button.disabled = True
        self.status.value = _html.status(f"fine-tuning for {self._target_text(self.target)} ...", style=None)
        try:
            kw = dict(csim=True, metric=self._metric)
            kw.update(self._kwargs)
            kw["progress"] = self._progress  # the widget's own bar
            with self.output:
                model, rep = prune(self._model, self.design, self._objective, self._data,
                                   target=self._target_arg(self.target), **kw)
        # prune's own errors, Keras's (ValueError/TypeError) and the C simulation's (RuntimeError, OSError)
        except (ValueError, TypeError, RuntimeError, OSError) as e:
            self.status.value = _html.status(f"failed: {e}", "color:#b00")
            raise
        finally:
            self.running = False
            self.button.disabled = False
        acc = rep.csim_accuracy if rep.csim_accuracy is not None else rep.keras_accuracy_after
        kind = "hls4ml C simulation" if rep.csim_accuracy is not None else "Keras"
        point = {"target": self._target_text(self.target), "dsp": rep.dsp_after,
                 "x": float(rep.estimate_after.total[self.resource]), "accuracy": acc,
                 "accuracy_kind": kind, "keras_accuracy": rep.keras_accuracy_after, "csim_accuracy": rep.csim_accuracy,
                 "status": rep.status, "sparsity": rep.sparsity}
        self._baseline["accuracy"] = rep.keras_accuracy_before
        self.points = self.points + [point]
        self.last_model, self.last_report = model, rep
        self.status.value = _html.pruning_result(point["target"], rep.status, rep.dsp_before, rep.dsp_after, kind,
                                                 acc)
        self._redraw()
        return model, rep

    # ------------------------------------------------------------------ plot
    def _baseline_point(self):
        """The unpruned model's estimate of the plotted resource on the design as it is now (its accuracy comes with
        the first run)."""
        d0 = self.design.copy()
        d0.attach_weights(self._model)
        est = estimate_design(d0)
        self._baseline["x"] = float(est.total[self.resource])
        self._baseline["dsp"] = float(est.total["dsp"])

    def _figure_spec(self) -> dict:
        lab = _LABELS[self.resource]
        return {"layout": {"title": {"text": f"Accuracy against estimated {lab}s<br><span style='font-size:11px'>"
                                             "each fine-tuned run adds a point; the open circle is the slider's target"
                                             "</span>", "font": {"size": 14}},
                           "xaxis": {"title": {"text": f"{lab}s (HLS csynth estimate)"}},
                           "yaxis": {"title": {"text": "test accuracy"}, "tickformat": ".1%"},
                           "height": 380, "margin": {"l": 60, "r": 20, "t": 75, "b": 50}},
                "data": [{"type": "scatter", "mode": "markers+lines", "name": "pruned + fine-tuned", "x": [], "y": []},
                         {"type": "scatter", "mode": "markers", "name": "unpruned (Keras accuracy)", "x": [], "y": [],
                          "marker": {"symbol": "x", "size": 10}},
                         {"type": "scatter", "mode": "markers+text", "name": "slider preview (one-shot, not tuned)",
                          "x": [], "y": [], "text": [], "textposition": "top center",
                          "marker": {"symbol": "circle-open", "size": 14, "line": {"width": 3}},
                          "meta": {"hlsnb": "preview"}}]}

    def _redraw(self):
        pts = sorted(self.points, key=lambda p: p["x"])
        x = [p["x"] for p in pts]
        y = [p["accuracy"] for p in pts]
        text = [f"{p['target']} ({p['accuracy_kind']}, {p['status']})" for p in pts]
        part_dsp = self.design.part.capacity().get(self.resource)
        with self.figure.batch_update() if self._live else _nullcontext():
            self.figure.data[0].x, self.figure.data[0].y, self.figure.data[0].text = x, y, text
            acc0 = self._baseline.get("accuracy")
            self.figure.data[1].x = [self._baseline["x"]] if acc0 is not None else []
            self.figure.data[1].y = [acc0] if acc0 is not None else []
            self.figure.layout.shapes = ([{"type": "line", "x0": part_dsp, "x1": part_dsp, "yref": "paper", "y0": 0,
                                           "y1": 1, "line": {"dash": "dot", "color": "#b42318"}}] if part_dsp else [])
            self.figure.layout.annotations = ([{"text": f"{self.design.part.device}: {part_dsp:,} "
                                                        f"{_LABELS[self.resource]}s", "x": part_dsp,
                                                "yref": "paper", "y": 1, "showarrow": False, "xanchor": "left",
                                                "yanchor": "top", "font": {"color": "#b42318", "size": 11}}]
                                              if part_dsp else [])
        self._draw_preview()

    def _draw_preview(self) -> None:
        """The slider's point: the plotted resource's estimate and one-shot Keras accuracy, red when the design is over
        the board."""
        e = self.estimate
        over = any(u > 100.0 for u in e["utilisation"].values())
        color = "#b42318" if over else "#1a7f37"
        with self.figure.batch_update() if self._live else _nullcontext():
            t = self.figure.data[2]
            t.x, t.y = ([e[self.resource]], [e["accuracy"]]) if e["accuracy"] is not None else ([], [])
            t.text = [("over the board: " if over else "") + self._target_text(self.target)]
            t.marker.color, t.marker.line.color = color, color
            t.textfont = {"color": color, "size": 11}
        if not self._live:
            self._fig_out.clear_output(wait=True)
            with self._fig_out:
                self.figure.show()

    def static(self) -> go.Figure:
        """A ``go.Figure`` snapshot of the trade-off plot (renders in nbconvert/nbval output)."""
        return go.Figure(self.figure.to_dict())


class _nullcontext:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False
