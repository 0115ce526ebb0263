"""Per-layer Strategy / ReuseFactor / precision controls over a :class:`hlsnb.design.Design`.

The widget keeps no settings of its own: every control writes through ``design.set`` / ``set_all`` /
``set_target`` and redraws from the design when the design says it changed (``design.observe``, through
:class:`hlsnb.widgets._base.DesignView`). So what the controls show, what the estimator reads and what
``design.to_hls4ml_config()`` returns are always the same.

The per-layer columns come from the Design's settings schema: one control factory per kind of setting
(``strategy``, ``reuse_factor``, ``precision``), so a new per-layer setting of a known kind needs no widget code.

Choices that are not valid cannot be made: the ReuseFactor menu lists only ``design.valid_reuse_factors(layer,
strategy)`` and the Strategy menu only ``design.strategies(layer)``. A precision that does not parse is shown with
its error beside the field and changes nothing. Picking a Strategy under which the layer's current ReuseFactor is
invalid changes nothing either: the ReuseFactor menu then lists the new strategy's values with none selected and a
message asks for one; the design switches when the ReuseFactor is picked.

Convolutions (:func:`hlsnb.rules.takes_parallelization_factor`) get a ParallelizationFactor menu too (a column shown
when the design has one): exactly ``design.valid_parallelization_factors(layer)``, written through
``design.set_parallelization``; disabled under io_stream, whose convolutions ignore it (the value is kept for
io_parallel). It is not a schema setting (the Design keeps it among the layer's hls4ml keys), so its column is built
here rather than from the schema.
"""

from __future__ import annotations

import html

import ipywidgets as widgets
import traitlets

from .. import rules
from ..design import IO_TYPES, SETTINGS
from ..targets import BOARDS
from . import _html
from ._base import DesignView, user_action
from ._traits import Precision

__all__ = ["LayerConfigurator", "LayerRow", "PrecisionField", "PRECISION_KINDS"]


#: Settings kept out of the table so that it fits a notebook's width; set them with ``design.set``.
_HIDDEN = ("bias_precision",)
_SHOWN = tuple(s for s in SETTINGS if s.name not in _HIDDEN)
#: Precision fields shown per layer (Dense/Conv get all three, other layers only ``result``).
PRECISION_KINDS = tuple(s.hls4ml_subkey for s in _SHOWN if s.kind == "precision")
#: The "all layers" precision: empty means "leave each layer's precisions as they are".
_ALL_PRECISION = Precision("", allow_empty=True)
# Column widths (px) chosen so the table fits a JupyterLab notebook beside the file browser (about 1,000 px).
_W = {"name": "125px", "type": "120px", "shape": "50px", "weights": "110px", "strategy": "150px",
      "reuse_factor": "90px", "parallelization_factor": "100px", "precision": "120px", "badge": "auto"}


def _width(kind: str) -> widgets.Layout:
    return widgets.Layout(width=_W[kind])


def _header_cell(title: str, kind: str) -> widgets.HTML:
    if kind == "parallelization_factor":  # hls4ml's name in two lines, a point smaller to fit its 100 px column
        return widgets.HTML("<b style='font-size:12px'>Parallelization<wbr>Factor</b>", layout=_width(kind),
                            tooltip=_PF_TIP)
    return widgets.HTML(_html.bold(title), layout=_width(kind))


def _column_title(setting) -> str:
    """Header of a setting's column: hls4ml's own name for Strategy/ReuseFactor, "weight precision" etc. else."""
    return f"{setting.hls4ml_subkey} precision" if setting.kind == "precision" else setting.hls4ml_key


class PrecisionField(widgets.VBox):
    """A precision text field with its error line; ``precision`` holds the last valid value typed or shown.

    The text is free (a user types in it, so it cannot refuse a keystroke); :meth:`accept` validates it once through
    the :class:`~hlsnb.widgets._traits.Precision` trait and, if it parses, stores it in ``precision``.
    """

    precision = Precision(None, allow_auto=True, allow_none=True, help="The precision shown, normalised (or 'auto').")

    def __init__(self, value: str, tooltip: str, css_class: str):
        # the field fills its column; the same width on both would overflow by the margins (and show a scrollbar)
        self.text = widgets.Text(value=value, continuous_update=False, placeholder="ap_fixed<16,6>",
                                 layout=widgets.Layout(width="auto"), tooltip=tooltip)
        self.text.add_class(css_class)
        self.error = widgets.HTML("")
        super().__init__(children=[self.text, self.error],
                         layout=widgets.Layout(width=_W["precision"], overflow="visible"))
        self.precision = value

    def accept(self, text: str) -> str:
        """Validate ``text`` and hold it; raises ``traitlets.TraitError`` with parse_precision's message."""
        self.precision = text
        return self.precision

    def show(self, value: str | None) -> None:
        """Show the design's value (no error)."""
        self.precision = value
        self.text.value = value or ""
        self.error.value = ""


def _strategy_control(row: "LayerRow", setting, spec, design) -> widgets.Widget:
    row.strategy = widgets.Dropdown(options=list(design.strategies(row.name)), value=spec.strategy,
                                    disabled=not row.is_mult, layout=_width("strategy"))
    row.strategy.add_class(f"hlsnb-strategy-{row.name}")
    row.strategy.observe(row._on_strategy, names="value")
    return row.strategy if row.is_mult else widgets.HTML(_html.no_multipliers(), layout=_width("strategy"))


def _reuse_factor_control(row: "LayerRow", setting, spec, design) -> widgets.Widget:
    # a menu for every layer that has a ReuseFactor with some io type (the softmax: io_stream), enabled where its
    # kernel reads one with the design's io type (LayerRow.refresh follows io_type changes)
    rfs = list(design.valid_reuse_factors(row.name))
    row.reuse_factor = widgets.Dropdown(options=rfs, value=spec.reuse_factor if spec.reuse_factor in rfs else None,
                                        disabled=not rules.takes_reuse_factor(spec.layer_type, design.io_type),
                                        layout=_width("reuse_factor"))
    if not row.is_mult:
        row.reuse_factor.tooltip = ("io_stream: ceil(n/RF) multipliers for the n values of a stream word, at II "
                                    "n/that; io_parallel: fixed at 1")
    row.reuse_factor.add_class(f"hlsnb-rf-{row.name}")
    row.reuse_factor.observe(row._on_rf, names="value")
    return row.reuse_factor if setting.applies(spec) else widgets.HTML("", layout=_width("reuse_factor"))


def _precision_control(row: "LayerRow", setting, spec, design) -> widgets.Widget:
    if not setting.applies(spec):
        return widgets.HTML("", layout=_width("precision"))
    kind = setting.hls4ml_subkey
    field = PrecisionField(getattr(spec, setting.name), f"{kind} precision of {row.name}",
                           f"hlsnb-prec-{kind}-{row.name}")
    field.text.observe(lambda ch: row._on_precision(setting.name, ch), names="value")
    row.fields[setting.name] = field
    row.precision[kind] = field.text
    row.precision_error[kind] = field.error
    return field


_PF_TIP = ("output pixels computed at once: that many copies of the kernel's multipliers, latency about "
           "(output pixels / PF) x the kernel's II (hls4ml's ParallelizationFactor; 1, its default: one pixel "
           "after another)")
_PF_STREAM_TIP = ("io_stream: hls4ml's stream convolutions have no ParallelizationFactor (ignored); the value is "
                  "kept for io_parallel")


def _pf_options(design, name: str) -> tuple[int, ...] | None:
    """The ParallelizationFactors to offer for layer ``name``, or None when it takes none (no menu)."""
    try:
        return design.valid_parallelization_factors(name)
    except ValueError:  # InvalidSetting: not a convolution, or one without an output shape
        return None


def _pf_state(design) -> dict:
    """What the ParallelizationFactor menu of every convolution shows with the design's io type."""
    on = design.io_type == rules.PARALLELIZATION_IO_TYPE
    return {"disabled": not on, "tooltip": _PF_TIP if on else _PF_STREAM_TIP}


def _parallelization_control(row: "LayerRow", spec, design) -> widgets.Widget:
    pfs = _pf_options(design, row.name)
    if pfs is None:
        return widgets.HTML("", layout=_width("parallelization_factor"))
    held = spec.parallelization_factor
    row.parallelization_factor = widgets.Dropdown(options=list(pfs), value=held if held in pfs else None,
                                                  layout=_width("parallelization_factor"), **_pf_state(design))
    row.parallelization_factor.add_class(f"hlsnb-pf-{row.name}")
    row.parallelization_factor.observe(row._on_pf, names="value")
    return row.parallelization_factor


#: One control factory per kind of setting: ``factory(row, setting, layer_spec, design) -> widget for the column``.
CONTROLS = {"strategy": _strategy_control, "reuse_factor": _reuse_factor_control, "precision": _precision_control}


class LayerRow(DesignView):
    """The controls of one layer (attributes are ipywidgets; set their ``value`` to act as a user would).

    ``strategy`` and ``reuse_factor`` are Dropdowns (disabled for layers without multipliers; the ReuseFactor enabled
    too where the kernel reads one, :func:`hlsnb.rules.takes_reuse_factor`: the io_stream softmax); ``precision`` and
    ``precision_error`` map "weight"/"accum"/"result" to the Text field and its error line;
    ``parallelization_factor`` is the convolution's ParallelizationFactor Dropdown (None on other layers; disabled
    under io_stream); ``message`` explains a refused or pending choice, or a held value the menus do not offer;
    ``badge`` shows the layer's warnings; ``box`` is the row's widget.
    """

    pending_strategy = traitlets.Unicode(None, allow_none=True,
                                         help="Strategy picked in the menu that waits for a valid ReuseFactor.")

    def __init__(self, configurator: "LayerConfigurator", name: str):
        super().__init__()
        self.design = d = configurator.design
        l = d.layer(name)
        self.name = name
        self._cfg = configurator
        self.is_mult = l.is_mult_layer
        lt = l.layer_type if l.activation is None else f"{l.layer_type}({l.activation})"
        self.label = widgets.HTML(_html.bold(name), layout=_width("name"))
        self.info = widgets.HTML(html.escape(lt), layout=_width("type"),
                                 tooltip=f"{l.n_in}x{l.n_out} multiplications" if l.is_mult_layer else None)
        self.shape = widgets.HTML("x".join(map(str, l.output_shape)) or "-", layout=_width("shape"))
        self.weights = widgets.HTML(f"{l.n_weights} w, {l.n_zeros} zero" if l.n_weights else "",
                                    layout=_width("weights"))
        self.fields: dict[str, PrecisionField] = {}
        self.precision: dict[str, widgets.Text] = {}
        self.precision_error: dict[str, widgets.HTML] = {}
        columns = [CONTROLS[s.kind](self, s, l, d) for s in _SHOWN]
        self.parallelization_factor = None
        if configurator.has_parallelization:  # the column, on every row, when the design has a convolution
            columns.insert(_PF_COLUMN, _parallelization_control(self, l, d))
        self.message = widgets.HTML("")
        self.badge = widgets.HTML("", layout=_width("badge"))
        self.box = widgets.VBox([
            widgets.HBox([self.label, self.info, self.shape, self.weights, *columns, self.badge]),
            self.message,
        ])
        # The configurator follows the design and refreshes its rows; the row owns only its widgets.
        self._own(self.box)
        self._show_held_pf()

    @traitlets.validate("pending_strategy")
    def _valid_pending(self, proposal):
        s = proposal["value"]
        if s is not None and s not in self.design.strategies(self.name):
            raise traitlets.TraitError(f"{self.name}: strategy {s!r} is not valid; valid: "
                                       f"{', '.join(self.design.strategies(self.name))}")
        return s

    # -------------------------------------------------------------- user actions
    @user_action
    def _on_strategy(self, change) -> None:
        if change["new"] is None:
            return
        d, s = self.design, change["new"]
        l = d.layer(self.name)
        if s == l.strategy:
            self.refresh()
            return
        valid = d.valid_reuse_factors(self.name, s)
        if l.reuse_factor in valid:
            self._cfg._apply(self, lambda: d.set(self.name, strategy=s))
            return
        # Never substitute silently: offer the new strategy's values and wait for a choice.
        self.pending_strategy = s
        with self.syncing():
            self.reuse_factor.options = list(valid)
            self.reuse_factor.value = None
        listing = ", ".join(map(str, valid)) if valid else "none"
        self.message.value = _html.message(
            f"{self.name}: ReuseFactor {l.reuse_factor} is not valid under {s} ({l.n_in}x{l.n_out}); valid: "
            f"{listing}. Pick a ReuseFactor to switch to {s}; the design still uses {l.strategy} RF {l.reuse_factor}."
        )

    @user_action
    def _on_rf(self, change) -> None:
        if change["new"] is None:
            return
        d, rf = self.design, int(change["new"])
        s = self.pending_strategy or d.layer(self.name).strategy
        self._cfg._apply(self, lambda: d.set(self.name, strategy=s, reuse_factor=rf))

    @user_action
    def _on_pf(self, change) -> None:
        if change["new"] is None:
            return
        d, pf = self.design, int(change["new"])
        self._cfg._apply(self, lambda: d.set_parallelization(self.name, pf))

    @user_action
    def _on_precision(self, setting: str, change) -> None:
        d, field = self.design, self.fields[setting]
        kind = setting.removesuffix("_precision")  # "weight", as the user reads it
        current = getattr(d.layer(self.name), setting)
        try:
            text = field.accept(change["new"])
        except traitlets.TraitError as e:
            field.error.value = _html.message(f"{self.name} {kind}: {e} (the design keeps {current})")
            return
        field.error.value = ""
        self._cfg._apply(self, lambda: d.set(self.name, **{setting: text}))

    # -------------------------------------------------------------- design -> controls
    def refresh(self) -> None:
        """Show the design's settings of this layer (drops a pending strategy choice and field errors)."""
        d = self.design
        l = d.layer(self.name)
        with self.syncing():
            self.pending_strategy = None
            self.strategy.options = list(d.strategies(self.name))
            self.strategy.value = l.strategy
            rfs = list(d.valid_reuse_factors(self.name))
            self.reuse_factor.disabled = not rules.takes_reuse_factor(l.layer_type, d.io_type)
            if list(self.reuse_factor.options) != rfs:
                self.reuse_factor.options = rfs
            self.reuse_factor.value = l.reuse_factor if l.reuse_factor in rfs else None
            for setting, field in self.fields.items():
                field.show(getattr(l, setting))
            if self.parallelization_factor is not None:
                pfs = list(d.valid_parallelization_factors(self.name))
                held = l.parallelization_factor
                if list(self.parallelization_factor.options) != pfs:
                    self.parallelization_factor.options = pfs
                self.parallelization_factor.value = held if held in pfs else None
                for k, v in _pf_state(d).items():
                    setattr(self.parallelization_factor, k, v)
        self.message.value = ""
        self._show_held_pf()
        self.show_badges()

    def _show_held_pf(self) -> None:
        """Say so when the design holds a ParallelizationFactor its menu does not offer (shown unselected, kept)."""
        if self.parallelization_factor is None or self.parallelization_factor.value is not None:
            return
        held = self.design.layer(self.name).parallelization_factor
        pfs = ", ".join(map(str, self.parallelization_factor.options))
        self.message.value = _html.message(
            f"{self.name}: the design holds ParallelizationFactor {held!r}, which is not one hls4ml builds for this "
            f"layer (valid: {pfs}); it is kept until you pick one.")

    def show_badges(self) -> None:
        """Show the design's warnings about this layer and the configurator's extra badges."""
        self.badge.value = _html.badges(self._cfg.design_warnings(self.name)
                                        + self._cfg._extra_badges.get(self.name, []))


#: Where the ParallelizationFactor column goes: right after the ReuseFactor's.
_PF_COLUMN = next(i for i, s in enumerate(_SHOWN) if s.kind == "reuse_factor") + 1


class LayerConfigurator(DesignView, widgets.VBox):
    """Per-layer Strategy, ReuseFactor, ParallelizationFactor (convolutions) and precisions of ``design``, plus board,
    io_type, clock and apply-to-all.

    ``rows`` maps layer name -> :class:`LayerRow`; ``board``, ``io_type``, ``clock_ns`` are the target controls;
    ``all_strategy``, ``all_reuse_factor``, ``all_precision``, ``all_closest`` and ``apply_all`` (a Button; or call
    :meth:`apply_to_all`) set every Dense/Conv layer at once; ``status`` shows the outcome of the last action.
    ``has_parallelization``: the design has a convolution, so the table has a ParallelizationFactor column.
    """

    def __init__(self, design):
        self.design = design
        self.has_parallelization = any(_pf_options(design, l.name) is not None for l in design.layers)
        self._extra_badges: dict[str, list] = {}
        self._warnings_cache: list[str] | None = None
        opts = [(b, b) for b in sorted(BOARDS)]
        if design.board is None:
            opts.insert(0, (f"(part {design.part_number})", None))
        self.board = widgets.Dropdown(options=opts, value=design.board, description="board",
                                      layout=widgets.Layout(width="230px"))
        self.io_type = widgets.Dropdown(options=list(IO_TYPES), value=design.io_type, description="io_type",
                                        layout=widgets.Layout(width="230px"))
        self.clock_ns = widgets.FloatText(value=design.clock_ns, description="clock (ns)",
                                          layout=widgets.Layout(width="170px"), continuous_update=False)
        self.target_info = widgets.HTML("")
        self.board.observe(self._on_board, names="value")
        self.io_type.observe(self._on_io, names="value")
        self.clock_ns.observe(self._on_clock, names="value")

        mult = [l.name for l in design.layers if l.is_mult_layer]
        common = [s for s in rules.STRATEGIES if all(s in design.strategies(n) for n in mult)] or ["Latency"]
        self.all_strategy = widgets.Dropdown(options=common, value=common[0], description="all: strategy",
                                             layout=widgets.Layout(width="260px"),
                                             style={"description_width": "initial"})
        self.all_reuse_factor = widgets.Dropdown(description="RF", layout=widgets.Layout(width="130px"),
                                                 style={"description_width": "initial"})
        self.all_precision = widgets.Text(value="", placeholder="precision (unchanged)",
                                          layout=widgets.Layout(width="170px"))
        self.all_closest = widgets.Checkbox(value=False, description="closest valid RF per layer", indent=False,
                                            layout=widgets.Layout(width="200px"))
        self.apply_all = widgets.Button(description="Apply to all layers", button_style="primary")
        self.apply_all.on_click(lambda _b: self.apply_to_all())
        self.all_strategy.observe(lambda _c: self._all_rf_options(), names="value")
        self._all_rf_options()
        self.status = widgets.HTML("")
        self.status.add_class("hlsnb-status")

        self.rows: dict[str, LayerRow] = {l.name: LayerRow(self, l.name) for l in design.layers}
        titles = [("layer", "name"), ("type", "type"), ("output", "shape"), ("weights", "weights"),
                  *((_column_title(s), s.kind) for s in _SHOWN), ("warnings", "badge")]
        if self.has_parallelization:
            titles.insert(4 + _PF_COLUMN, ("ParallelizationFactor", "parallelization_factor"))
        header = widgets.HBox([_header_cell(t, w) for t, w in titles])
        super().__init__(children=[
            widgets.HBox([self.board, self.io_type, self.clock_ns, self.target_info]),
            widgets.HBox([self.all_strategy, self.all_reuse_factor, self.all_precision, self.all_closest,
                          self.apply_all]),
            header,
            *[r.box for r in self.rows.values()],
            self.status,
        ])
        self.add_class("hlsnb-configurator")
        self._show_target()
        for r in self.rows.values():
            r.show_badges()
        self._follow(parts=tuple(self.rows.values()))

    # -------------------------------------------------------------- helpers
    def _apply(self, row: LayerRow | None, action) -> bool:
        try:
            action()
        except ValueError as e:
            if row is not None:
                row.refresh()
                row.message.value = _html.message(str(e))
            self.status.value = _html.message(str(e))
            return False
        self.status.value = ""
        return True

    def design_warnings(self, name: str) -> list[tuple[str, str]]:
        """(short label, full text) of the design's warnings about layer ``name`` (``design.warnings()``)."""
        if self._warnings_cache is None:
            self._warnings_cache = self.design.warnings()
        out = []
        for w in self._warnings_cache:
            if w.startswith(f"layer {name!r}"):
                out.append(("unroll limit" if "unroll limit" in w else "check", w))
        return out

    def set_badges(self, badges: dict) -> None:
        """Extra badges per layer, ``{layer: [(short label, full text), ...]}`` (e.g. the Explorer's "over board")."""
        self._extra_badges = {k: list(v) for k, v in badges.items()}
        for r in self.rows.values():
            r.show_badges()

    def _all_rf_options(self) -> None:
        s = self.all_strategy.value
        vals = sorted({rf for l in self.design.layers if l.is_mult_layer and s in self.design.strategies(l.name)
                       for rf in self.design.valid_reuse_factors(l.name, s)})
        cur = self.all_reuse_factor.value
        self.all_reuse_factor.options = vals
        self.all_reuse_factor.value = cur if cur in vals else (vals[0] if vals else None)

    def _show_target(self) -> None:
        self.target_info.value = _html.target_info(self.design.part_number, self.design.part)

    # -------------------------------------------------------------- user actions
    def apply_to_all(self) -> dict:
        """Apply the "all" controls to every Dense/Conv layer (``design.set_all``); returns the RF substitutions.

        Without "closest", an RF invalid for any layer changes nothing and the status names each such layer and
        its valid values; with it, each such layer gets its closest valid RF and the status lists them.
        """
        kw = {"strategy": self.all_strategy.value, "reuse_factor": self.all_reuse_factor.value,
              "closest": self.all_closest.value}
        try:
            prec = _ALL_PRECISION.validate(self, self.all_precision.value)
        except traitlets.TraitError as e:
            self.status.value = _html.message(f"apply to all: {e}; nothing changed")
            return {}
        if prec:
            kw["precision"] = prec
        out: dict = {}

        def act():
            out.update(self.design.set_all(**kw))

        if self._apply(None, act):
            if out:
                subs = ", ".join(f"{n} -> RF {rf}" for n, rf in out.items())
                self.status.value = _html.message(
                    f"ReuseFactor {kw['reuse_factor']} is not valid for every layer under {kw['strategy']}; used "
                    f"the closest valid value instead: {subs}", _html.WARN)
            else:
                self.status.value = _html.message(f"all layers: {kw['strategy']} RF {kw['reuse_factor']}", _html.OK)
        return out

    def _target(self, **kw) -> None:
        try:
            self.design.set_target(**kw)
        except ValueError as e:
            self._sync_target()
            self.status.value = _html.message(str(e))

    @user_action
    def _on_board(self, change) -> None:
        if change["new"] is not None:
            self._target(board=change["new"])

    @user_action
    def _on_io(self, change) -> None:
        self._target(io_type=change["new"])

    @user_action
    def _on_clock(self, change) -> None:
        self._target(clock_ns=float(change["new"]))

    # -------------------------------------------------------------- design -> controls
    def _sync_target(self) -> None:
        d = self.design
        with self.syncing():
            if d.board is not None:
                self.board.value = d.board
            self.io_type.value = d.io_type
            self.clock_ns.value = d.clock_ns
        self._show_target()

    def _on_design_change(self, name: str) -> None:
        self._warnings_cache = None
        if name == "*":
            self._sync_target()
            for r in self.rows.values():
                r.refresh()
        elif name in self.rows:
            self.rows[name].refresh()
            # unroll badges depend on the layer alone, but keep every row honest (cheap)
            for r in self.rows.values():
                r.show_badges()
