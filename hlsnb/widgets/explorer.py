"""The Explorer: configurator + live estimate plot + "why" panel + warnings + fit to board + save/load.

``Explorer(model_or_design, board="pynq-z2")`` is the one-cell entry point of the notebooks. ``explorer.design`` is
the :class:`hlsnb.design.Design` every part of it reads and writes (through ``design.set`` and friends).
"""

from __future__ import annotations

import ipywidgets as widgets
import traitlets

from ..design import Design
from . import _html
from ._base import DesignView, check_name, transaction
from ._explorer_state import ExplorerState, default_estimator
from ._html import EXPLAINED
from .configurator import LayerConfigurator
from .plots import RESOURCES, STAGE_NAMES, STAGES, EstimatePlot, stage_label

__all__ = ["Explorer"]


def _default_estimator():
    return default_estimator()


class Explorer(DesignView, widgets.VBox):
    """Configure a network layer by layer and watch its estimate on the board.

    Parameters
    ----------
    model_or_design : keras.Model or hlsnb.design.Design
        A Keras model is described with ``Design.from_keras(model, board=board, **design_kwargs)``; a Design is used
        as it is (``board`` and ``design_kwargs`` are then ignored).
    board : str
        Target board for a Keras model (default ``"pynq-z2"``).
    report : optional
        A real report drawn beside the estimate (see :func:`hlsnb.widgets.plots.report_rows`).
    live : bool
        Live ``FigureWidget`` plot (default) or a static ``go.Figure`` rebuilt on changes.
    estimator : callable, optional
        ``estimator(design, stage=...) -> DesignEstimate`` for the plot and the fit (default
        :func:`hlsnb.estimate.estimate_design`).

    Attributes: ``design``, ``model`` (None when built from a Design), ``configurator``, ``plot``, ``explain_layer``
    (Dropdown choosing the explained layer), ``explanation`` (HTML), ``warnings`` (HTML), ``stage_choice``
    (ToggleButtons of the stage), ``stage_info`` (HTML naming it), ``heading`` (HTML: what the numbers are),
    ``fit_target``, ``fit_button``, ``fit_report``, ``last_fit`` (the latest :class:`hlsnb.fit.FitResult`),
    ``path``, ``status`` (the outcome of Save/Load: a saved file's full path with a download link), ``current``
    (HTML: the one status line of the design as it is now, always from the latest estimate; an earlier fit report
    is greyed as soon as the design changes), ``pin_button``/``unpin_button`` and ``compare`` (HTML: the pinned
    design A against the design now, see :meth:`pin`), ``history_html`` (the run history; data in ``history``).
    The traits ``layer`` and ``resource`` are what the "why" panel explains (linked to ``explain_layer`` and
    ``explain_resource``); ``stage`` (linked to ``stage_choice``) is the estimate the badges, warnings, breakdown
    and Fit to board judge: "csynth" (the HLS report's numbers, default) or "vsynth" (what Vivado places after
    synthesis, which decides whether the design fits). The plot always shows both.
    """

    layer = traitlets.Unicode(help="The layer the explanation panel itemizes (a layer of the estimate).")
    resource = traitlets.Enum(EXPLAINED, default_value=None, allow_none=True,
                              help="The resource explained: dsp, lut, ff, bram18k, latency, ii; None for all.")
    history = traitlets.List(help="One dict per estimate of the design (newest last): what changed, latency, % of the "
                                   "part per resource, whether it fits the board (the run history).")
    stage = traitlets.Enum(STAGES, default_value="csynth",
                           help="The estimate badges, warnings, breakdown and fit use: csynth (HLS report) or "
                                "vsynth (Vivado post-synthesis).")

    def __init__(self, model_or_design, board: str = "pynq-z2", *, report=None, live: bool = True,
                 estimator=None, **design_kwargs):
        if isinstance(model_or_design, Design):
            self.design, self.model = model_or_design, None
        elif hasattr(model_or_design, "layers") and hasattr(model_or_design, "get_config"):
            self.model = model_or_design
            self.design = Design.from_keras(model_or_design, board=board, **design_kwargs)
        else:
            raise ValueError(
                f"Explorer needs a Keras model or an hlsnb Design, got {type(model_or_design).__name__}"
            )
        self._estimator = estimator
        self.control = ExplorerState(self.design, self.model, estimator)  # history, pin, fit state, save/load
        self.last_fit = None
        self.configurator = LayerConfigurator(self.design)
        self.plot = EstimatePlot(self.design, report, live=live, estimator=estimator)

        names = [le.name for le in self.plot.estimate.layers]
        first = next((l.name for l in self.design.layers if l.is_mult_layer), names[0])
        self.explain_layer = widgets.Dropdown(options=names, value=first, description="explain",
                                              layout=widgets.Layout(width="260px"))
        self.explain_resource = widgets.ToggleButtons(
            options=[("all", None), ("DSP", "dsp"), ("LUT", "lut"), ("FF", "ff"), ("BRAM18K", "bram18k"),
                     ("latency", "latency"), ("II", "ii")], value=None,
            style={"button_width": "86px"})
        self.explanation = widgets.HTML("")
        self.explanation.add_class("hlsnb-explanation")
        self.layer = first
        widgets.link((self.explain_layer, "value"), (self, "layer"))
        widgets.link((self.explain_resource, "value"), (self, "resource"))
        self.observe(lambda _c: self._show_explanation(), names=["layer", "resource"])

        self.warnings = widgets.HTML("")
        self.warnings.add_class("hlsnb-warnings")
        self.stage_choice = widgets.ToggleButtons(
            options=[(STAGE_NAMES[s], s) for s in STAGES], value=self.stage, description="judge by",
            tooltips=["the HLS synthesis report's estimate (what the tool prints first)",
                      "what Vivado places after synthesis (decides whether the design fits)"],
            style={"button_width": "190px"})
        self.stage_info = widgets.HTML("")
        self.heading = widgets.HTML("")
        widgets.link((self.stage_choice, "value"), (self, "stage"))
        self.observe(lambda _c: self._on_estimate(), names=["stage"])

        self.fit_target = widgets.FloatSlider(value=0.8, min=0.05, max=1.0, step=0.05, description="target",
                                              readout_format=".0%", continuous_update=False)
        self.fit_button = widgets.Button(description="Fit to board", button_style="success",
                                         tooltip="choose per-layer Strategy and ReuseFactor, and the "
                                                 "ParallelizationFactor of io_parallel convolutions: lowest latency "
                                                 "with every resource under the target, judged at the stage chosen "
                                                 "above")
        self.fit_button.on_click(lambda _b: self.fit_to_board(self.fit_target.value))
        self.fit_report = widgets.HTML("")
        self.fit_report.add_class("hlsnb-fit-report")
        self._fit_html = ""
        self.current = widgets.HTML("")  # the one status of the design as it is now, from the latest estimate
        self.current.add_class("hlsnb-current")
        self.fit_target.observe(lambda c: self._on_target(c["new"]), names="value")
        self.pin_button = widgets.Button(description="Pin as A", icon="thumb-tack",
                                         tooltip="keep the design as it is now as A: its totals stay on the plot as "
                                                 "grey bars and the table below compares every later change (B)")
        self.unpin_button = widgets.Button(description="Unpin", disabled=True)
        self.pin_button.on_click(lambda _b: self.pin())
        self.unpin_button.on_click(lambda _b: self.unpin())
        self.compare = widgets.HTML("")
        self.history_html = widgets.HTML("")

        self.path = widgets.Text(value=f"{self.design.model_name}_design.json", description="file",
                                 layout=widgets.Layout(width="360px"))
        self.save_button = widgets.Button(description="Save JSON")
        self.save_config_button = widgets.Button(description="Save hls4ml config")
        self.load_button = widgets.Button(description="Load")
        self.save_button.on_click(lambda _b: self._ui(lambda: self._saved(self.save(self.path.value))))
        self.save_config_button.on_click(
            lambda _b: self._ui(lambda: self._saved(self.save(self.path.value, kind='hls4ml'))))
        self.load_button.on_click(lambda _b: self._ui(lambda: f"loaded {self.load(self.path.value)}"))
        self.status = widgets.HTML("")

        self.plot.target = self.fit_target.value
        self.plot.update()
        self._keep(self.plot.on_update(self._on_estimate))  # the plot re-estimates on design changes
        self._hook_clicks()
        self._on_estimate()
        # FigureWidget only in VBoxes (plotly #4998: it renders badly inside an HBox).
        super().__init__(children=[
            self.heading,
            self.current,
            self.configurator,
            widgets.HBox([self.stage_choice, self.stage_info]),
            widgets.HBox([self.fit_target, self.fit_button]),
            self.fit_report,
            self.warnings,
            widgets.HBox([self.pin_button, self.unpin_button]),
            self.compare,
            self.plot,
            widgets.HBox([self.explain_layer, self.explain_resource]),
            self.explanation,
            self.history_html,
            widgets.HBox([self.path, self.save_button, self.save_config_button, self.load_button]),
            self.status,
        ])
        self.add_class("hlsnb-explorer")

    # ------------------------------------------------------------------ estimate -> views
    @property
    def estimate(self):
        """The latest DesignEstimate at the Explorer's ``stage`` (by hlsnb; default the HLS csynth estimate)."""
        return self.plot.estimates[self.stage]

    def _on_estimate(self, _csynth=None) -> None:
        """Badges, warnings, the stage line and the explanation from the estimate at ``stage`` (the plot computed
        every stage; its callback passes the csynth one, which is not necessarily the one judged here)."""
        est = self.estimate
        label, name = stage_label(est), STAGE_NAMES[self.stage]
        cap = est.part.capacity()
        badges: dict[str, list] = {}
        for le in est.layers:
            if not le.estimated:
                badges.setdefault(le.name, []).append(("not estimated", str(le.reason)))
                continue
            over = [(lab, 100.0 * float(getattr(le, k) or 0) / cap[k]) for k, lab in RESOURCES if cap[k]]
            over = [(lab, p) for lab, p in over if p > 100.0]
            if over:
                badges.setdefault(le.name, []).append(
                    _html.over_board_badge(le.name, over, est.part.device, label, name))
        self.configurator.set_badges(badges)
        over = [(lab, est.utilisation[k]) for k, lab in RESOURCES if est.utilisation[k] > 100.0]
        self.warnings.value = _html.warnings_panel(over, self.design.warnings(), est.warnings, est.part.device,
                                                   label)
        self.stage_info.value = _html.stage_line(label)
        self.current.value = _html.current_status(est.utilisation, self.fit_target.value, est.part.device, label,
                                                  est.latency_cycles, est.ii)
        if self.control.fit_is_stale():
            self.fit_report.value = _html.stale(self._fit_html, "Earlier Fit to board, for the design as it was "
                                                "then; the design changed since (the line 'Now' above is current).")
        self._record(est)
        self._show_compare()
        both = self.plot.estimates  # the tool can change with the target: the heading follows
        self.heading.value = _html.heading(self.design.model_name, f"the plot's bars are the "
                                           f"{stage_label(both['csynth'])}, its diamonds the "
                                           f"{stage_label(both['vsynth'])}")
        self._show_explanation()

    # ------------------------------------------------------------------ status, history, compare
    def _settings(self) -> tuple:
        return self.control.settings()

    def _on_target(self, target: float) -> None:
        self.plot.set_target_line(target)

    def _record(self, est) -> None:
        """Add the latest estimate to the run history (the controller says what changed)."""
        if self.control.record(est):
            self.history = list(self.control.history)
            self.history_html.value = _html.history_table(self.history)

    def pin(self, name: str = "A") -> None:
        """Pin the design as it is now as ``name``: the plot keeps its totals as grey ghost bars and the compare
        table shows every later state (B) against it. A refused name changes nothing."""
        check_name(name)
        with transaction(self.control, "pinned"):
            self.plot.pin(name)
            self.control.pin(name)
            self.unpin_button.disabled = False
            self._show_compare()

    def unpin(self) -> None:
        """Forget the pinned design (ghost bars and the compare table go)."""
        self.control.pinned = None
        self.plot.unpin()
        self.unpin_button.disabled = True
        self._show_compare()

    @property
    def _pinned(self):
        return self.control.pinned

    def _show_compare(self) -> None:
        cmp = self.control.comparison(self.stage, self.estimate)
        self.compare.value = "" if cmp is None else _html.compare_table(*cmp)

    def _saved(self, path: str) -> str:
        from ..project import file_link

        return "saved " + file_link(path)

    def explain(self, layer: str | None = None, resource: str | None = None) -> str:
        """The itemized breakdown of one layer's estimate as HTML ("why this many LUTs").

        ``layer`` defaults to the one chosen in the panel; ``resource`` one of dsp, lut, ff, bram18k, latency, ii
        (default all). The breakdown is the one at the Explorer's ``stage``.
        """
        est = self.estimate
        le = est.layer(layer or self.layer)
        spec = next((x for x in self.design.layers if x.name == le.name), None)
        return _html.explanation(est, le, spec, stage_label(est), resource)

    @traitlets.validate("layer")
    def _valid_layer(self, proposal):
        names = [le.name for le in self.plot.estimate.layers]
        if proposal["value"] not in names:
            raise traitlets.TraitError(f"layer {proposal['value']!r} is not in the estimate; valid: {', '.join(names)}")
        return proposal["value"]

    def _show_explanation(self) -> None:
        names = [le.name for le in self.plot.estimate.layers]
        if list(self.explain_layer.options) != names:
            cur = self.layer
            self.explain_layer.options = names
            self.explain_layer.value = cur if cur in names else names[0]
        self.explanation.value = self.explain(self.layer, self.resource)

    def _hook_clicks(self) -> None:
        import plotly.graph_objects as go

        fig = self.plot.figure
        if not isinstance(fig, go.FigureWidget):
            return  # a static go.Figure: no clicks

        def clicked(trace, points, _state):
            if points.point_inds:
                layer = (trace.meta or {}).get("layer")
                if layer in self.explain_layer.options:
                    self.explain_layer.value = layer

        for t in fig.data:
            if (t.meta or {}).get("hlsnb") == "estimate":
                t.on_click(clicked)

    def set_report(self, report, *, check: bool = True) -> None:
        """Draw a real report beside the estimate (see :func:`hlsnb.widgets.plots.report_rows`). A report read from
        a build (:class:`hlsnb.synth.reports.Report`) must be of this design (``hlsnb.synth.compare.check_report``:
        layers, sizes, part), else :class:`~hlsnb.synth.compare.ReportMismatch` lists every difference and nothing
        changes; ``check=False`` draws it anyway."""
        if check and report is not None and hasattr(report, "kind") and hasattr(report, "layers"):
            from ..synth.compare import check_report

            check_report(self.design, report)
        self.plot.set_report(report)
        self._hook_clicks()

    # ------------------------------------------------------------------ fit
    def fit_to_board(self, target: float = 0.8, *, apply: bool = True, **kwargs):
        """Choose per-layer Strategy and ReuseFactor, and the ParallelizationFactor of io_parallel convolutions
        (``parallelization=False`` keeps those as they are): lowest latency with every resource under ``target``.

        Uses :func:`hlsnb.fit.fit_to_board` (verified by the estimator) at the Explorer's ``stage`` unless
        ``stage=`` is given; for a design on a board, among the strategies the board's flow builds
        (:data:`hlsnb.fit.BOARD_STRATEGIES`) unless ``strategies=`` is given. When a fitting choice is found and
        ``apply`` is True it is set on ``design``; when nothing fits the design is left as it is and the report
        says so. Returns the :class:`hlsnb.fit.FitResult` (also shown in ``fit_report``).
        """
        from ..fit import BOARD_STRATEGIES, fit_to_board

        if self._estimator is not None:
            kwargs.setdefault("estimator", self._estimator)
        if self.design.board:  # a board's flow (VivadoAccelerator) cannot build every strategy: offer what it builds
            kwargs.setdefault("strategies", BOARD_STRATEGIES)
        kwargs.setdefault("stage", self.stage)
        self.fit_report.value = "<i>fitting...</i>"
        try:
            result = fit_to_board(self.design, target, **kwargs)
        except ValueError as e:
            self.fit_report.value = _html.status(str(e), _html.ERROR)
            raise
        if result.fits and apply:
            result.apply(self.design)
        self.last_fit = result
        self.fit_report.value = self._fit_html = result._repr_html_()
        self.control.fit_settings = self.control.settings()
        return result

    # ------------------------------------------------------------------ save / load
    def to_json(self) -> str:
        """The design as JSON (``Design.to_json``)."""
        return self.design.to_json()

    def hls4ml_config(self) -> dict:
        """The hls4ml ``hls_config`` dict of the design (``Design.to_hls4ml_config``)."""
        return self.design.to_hls4ml_config()

    def save(self, path: str, kind: str = "design") -> str:
        """Write the design JSON (``kind="design"``) or the hls4ml config dict as JSON (``kind="hls4ml"``); the
        path is validated first and the file written atomically (see :meth:`ExplorerState.save`)."""
        return self.control.save(path, kind)

    def load(self, source, model=None) -> str:
        """Take settings from a design JSON or an hls4ml config (dict, JSON text or file path). All or nothing
        (see :meth:`ExplorerState.load`). Returns what was loaded."""
        return self.control.load(source, model)

    def _ui(self, action) -> None:
        try:
            out = action()
            # file links are HTML made here (paths escaped there); every other outcome is plain text
            self.status.value = out if out.startswith("saved <a ") else _html.status(out)
        except (ValueError, OSError) as e:
            self.status.value = _html.status(str(e), _html.ERROR)

    # ------------------------------------------------------------------ precision advisor (issue 14)
    def advise(self, X, *, max_rows: int = 1024):
        """Trace the Keras model on ``X`` (a few batches of your data) and show the precision advisor below the
        Explorer: a badge and a table of every layer's value range against its types, overflows first. The
        advice follows the design: changing a precision re-judges it from the same ranges (no Keras run).
        Returns the :class:`hlsnb.advisor.Advice`; ``last_advice`` keeps the current one."""
        from ..advisor import advise, html_table

        if self.model is None:
            raise ValueError("the precision advisor traces the Keras model: build the Explorer from the model")
        self.last_advice = advise(self.design, self.model, X, max_rows=max_rows)
        if getattr(self, "advice_html", None) is None:
            self.advice_html = widgets.HTML("")
            self.children = (*self.children, self.advice_html)

            def follow(_name: str) -> None:
                self.last_advice = self.last_advice.recheck(self.design)
                self.advice_html.value = html_table(self.last_advice)

            self._keep(self.design.observe(follow))
        self.advice_html.value = html_table(self.last_advice)
        return self.last_advice
