"""Per-layer Strategy / ReuseFactor / precision controls over a :class:`hlsnb.design.Design`.

The widget keeps no settings of its own: every control writes through ``design.set`` / ``set_all`` /
``set_target`` and redraws from the design when the design says it changed (``design.observe``). So what the
controls show, what the estimator reads and what ``design.to_hls4ml_config()`` returns are always the same.

Choices that are not valid cannot be made: the ReuseFactor menu lists only ``design.valid_reuse_factors(layer,
strategy)`` and the Strategy menu only ``design.strategies(layer)``. A precision that does not parse is shown with
its error beside the field and changes nothing. Picking a Strategy under which the layer's current ReuseFactor is
invalid changes nothing either: the ReuseFactor menu then lists the new strategy's values with none selected and a
message asks for one; the design switches when the ReuseFactor is picked.
"""

from __future__ import annotations

import html

import ipywidgets as widgets

from .. import rules
from ..boards import BOARDS
from ..design import IO_TYPES
from ..precision import parse_precision

__all__ = ["LayerConfigurator", "LayerRow", "PRECISION_KINDS"]

#: Precision fields shown per layer (Dense/Conv get all three, other layers only ``result``).
PRECISION_KINDS = ("weight", "accum", "result")
_W = {"name": "110px", "type": "150px", "shape": "70px", "weights": "110px", "strategy": "175px", "rf": "90px",
      "prec": "150px", "badge": "auto"}
_ERR = "color:#b42318"


def _msg(text: str, style: str = _ERR) -> str:
    return f"<span style='{style};font-size:12px'>{html.escape(text)}</span>" if text else ""


class LayerRow:
    """The controls of one layer (attributes are ipywidgets; set their ``value`` to act as a user would)."""

    def __init__(self, configurator: "LayerConfigurator", name: str):
        d = configurator.design
        l = d.layer(name)
        self.name = name
        self._cfg = configurator
        lt = l.layer_type if l.activation is None else f"{l.layer_type}({l.activation})"
        shape = "x".join(map(str, l.output_shape)) or "-"
        wz = f"{l.n_weights} w, {l.n_zeros} zero" if l.n_weights else ""
        self.label = widgets.HTML(f"<b>{html.escape(name)}</b>", layout=widgets.Layout(width=_W["name"]))
        self.info = widgets.HTML(
            f"{html.escape(lt)}", layout=widgets.Layout(width=_W["type"]),
            tooltip=f"{l.n_in}x{l.n_out} multiplications" if l.is_mult_layer else None,
        )
        self.shape = widgets.HTML(shape, layout=widgets.Layout(width=_W["shape"]))
        self.weights = widgets.HTML(wz, layout=widgets.Layout(width=_W["weights"]))
        self.is_mult = l.is_mult_layer
        self.strategy = widgets.Dropdown(options=list(d.strategies(name)), value=l.strategy,
                                         disabled=not self.is_mult, layout=widgets.Layout(width=_W["strategy"]))
        rfs = list(d.valid_reuse_factors(name))
        self.reuse_factor = widgets.Dropdown(options=rfs, value=l.reuse_factor if l.reuse_factor in rfs else None,
                                             disabled=not self.is_mult, layout=widgets.Layout(width=_W["rf"]))
        self.strategy.add_class(f"hlsnb-strategy-{name}")
        self.reuse_factor.add_class(f"hlsnb-rf-{name}")
        self.precision: dict[str, widgets.Text] = {}
        self.precision_error: dict[str, widgets.HTML] = {}
        boxes = []
        for kind in PRECISION_KINDS:
            value = l.precision(kind)
            if value is None:
                continue
            t = widgets.Text(value=value, continuous_update=False, placeholder="ap_fixed<16,6>",
                             layout=widgets.Layout(width=_W["prec"]), tooltip=f"{kind} precision of {name}")
            t.add_class(f"hlsnb-prec-{kind}-{name}")
            e = widgets.HTML("")
            t.observe(lambda ch, k=kind: self._on_precision(k, ch), names="value")
            self.precision[kind] = t
            self.precision_error[kind] = e
            boxes.append(widgets.VBox([t, e], layout=widgets.Layout(width=_W["prec"])))
        self.message = widgets.HTML("")
        self.badge = widgets.HTML("", layout=widgets.Layout(width=_W["badge"]))
        self.strategy.observe(self._on_strategy, names="value")
        self.reuse_factor.observe(self._on_rf, names="value")
        ctrl = [self.strategy, self.reuse_factor] if self.is_mult else [
            widgets.HTML("<i style='color:#666'>no multipliers</i>", layout=widgets.Layout(width=_W["strategy"])),
            widgets.HTML("", layout=widgets.Layout(width=_W["rf"]))]
        pad = [widgets.HTML("", layout=widgets.Layout(width=_W["prec"]))
               for _ in range(len(PRECISION_KINDS) - len(boxes))]
        self.box = widgets.VBox([
            widgets.HBox([self.label, self.info, self.shape, self.weights, *ctrl, *pad, *boxes, self.badge]),
            self.message,
        ])

    # -------------------------------------------------------------- user actions
    def _on_strategy(self, change) -> None:
        if self._cfg._syncing or change["new"] is None:
            return
        d, s = self._cfg.design, change["new"]
        l = d.layer(self.name)
        if s == l.strategy:
            self.refresh()
            return
        valid = d.valid_reuse_factors(self.name, s)
        if l.reuse_factor in valid:
            self._cfg._apply(self, lambda: d.set(self.name, strategy=s))
            return
        # Never substitute silently: offer the new strategy's values and wait for a choice.
        with self._cfg.syncing():
            self.reuse_factor.options = list(valid)
            self.reuse_factor.value = None
        listing = ", ".join(map(str, valid)) if valid else "none"
        self.message.value = _msg(
            f"{self.name}: ReuseFactor {l.reuse_factor} is not valid under {s} ({l.n_in}x{l.n_out}); valid: "
            f"{listing}. Pick a ReuseFactor to switch to {s}; the design still uses {l.strategy} RF {l.reuse_factor}."
        )

    def _on_rf(self, change) -> None:
        if self._cfg._syncing or change["new"] is None:
            return
        d, rf, s = self._cfg.design, int(change["new"]), self.strategy.value
        self._cfg._apply(self, lambda: d.set(self.name, strategy=s, reuse_factor=rf))

    def _on_precision(self, kind: str, change) -> None:
        if self._cfg._syncing:
            return
        d, text = self._cfg.design, change["new"].strip()
        current = d.layer(self.name).precision(kind)
        try:
            parse_precision(text)
        except ValueError as e:
            self.precision_error[kind].value = _msg(f"{self.name} {kind}: {e} (the design keeps {current})")
            return
        self.precision_error[kind].value = ""
        self._cfg._apply(self, lambda: d.set(self.name, **{f"{kind}_precision": text}))

    # -------------------------------------------------------------- design -> controls
    def refresh(self) -> None:
        """Show the design's settings of this layer (drops a pending strategy choice and field errors)."""
        d = self._cfg.design
        l = d.layer(self.name)
        with self._cfg.syncing():
            self.strategy.options = list(d.strategies(self.name))
            self.strategy.value = l.strategy
            rfs = list(d.valid_reuse_factors(self.name))
            if list(self.reuse_factor.options) != rfs:
                self.reuse_factor.options = rfs
            self.reuse_factor.value = l.reuse_factor if l.reuse_factor in rfs else None
            for kind, t in self.precision.items():
                t.value = l.precision(kind) or ""
                self.precision_error[kind].value = ""
        self.message.value = ""
        self.show_badges()

    def show_badges(self) -> None:
        warn = self._cfg.design_warnings(self.name) + self._cfg._extra_badges.get(self.name, [])
        if not warn:
            self.badge.value = ""
            return
        tips = html.escape(" | ".join(t for _, t in warn), quote=True)
        self.badge.value = "".join(
            f"<span title='{tips}' style='background:#b42318;color:white;border-radius:8px;padding:1px 7px;"
            f"margin-right:3px;font-size:11px'>&#9888; {html.escape(short)}</span>" for short, _ in warn
        )


class LayerConfigurator(widgets.VBox):
    """Per-layer Strategy, ReuseFactor and precisions of ``design``, plus board, io_type, clock and apply-to-all.

    ``rows`` maps layer name -> :class:`LayerRow`; ``board``, ``io_type``, ``clock_ns`` are the target controls;
    ``all_strategy``, ``all_reuse_factor``, ``all_precision``, ``all_closest`` and ``apply_all`` (a Button; or call
    :meth:`apply_to_all`) set every Dense/Conv layer at once; ``status`` shows the outcome of the last action.
    """

    def __init__(self, design):
        self.design = design
        self._syncing = False
        self._extra_badges: dict[str, list] = {}
        self._warnings_cache: list[str] | None = None
        boards = sorted(BOARDS)
        opts = [(b, b) for b in boards]
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
        header = widgets.HBox([
            widgets.HTML(f"<b>{t}</b>", layout=widgets.Layout(width=w)) for t, w in (
                ("layer", _W["name"]), ("type", _W["type"]), ("output", _W["shape"]), ("weights", _W["weights"]),
                ("Strategy", _W["strategy"]), ("ReuseFactor", _W["rf"]), ("weight precision", _W["prec"]),
                ("accum precision", _W["prec"]), ("result precision", _W["prec"]), ("warnings", "auto"))
        ])
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
        self._unobserve = design.observe(self._on_design_change)

    # -------------------------------------------------------------- helpers
    class _Sync:
        def __init__(self, cfg):
            self.cfg = cfg

        def __enter__(self):
            self.prev, self.cfg._syncing = self.cfg._syncing, True

        def __exit__(self, *exc):
            self.cfg._syncing = self.prev

    def syncing(self):
        """Context in which control changes come from the design, not the user (handlers ignore them)."""
        return self._Sync(self)

    def _apply(self, row: LayerRow | None, action) -> bool:
        try:
            action()
        except ValueError as e:
            if row is not None:
                row.refresh()
                row.message.value = _msg(str(e))
            self.status.value = _msg(str(e))
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
        p = self.design.part
        self.target_info.value = (f"<span style='font-size:12px'>{self.design.part_number}: {p.lut:,} LUT, "
                                  f"{p.ff:,} FF, {p.dsp:,} {p.dsp_type}, {p.bram18k:,} BRAM18K</span>")

    # -------------------------------------------------------------- user actions
    def apply_to_all(self) -> dict:
        """Apply the "all" controls to every Dense/Conv layer (``design.set_all``); returns the RF substitutions.

        Without "closest", an RF invalid for any layer changes nothing and the status names each such layer and
        its valid values; with it, each such layer gets its closest valid RF and the status lists them.
        """
        kw = {"strategy": self.all_strategy.value, "reuse_factor": self.all_reuse_factor.value,
              "closest": self.all_closest.value}
        prec = self.all_precision.value.strip()
        if prec:
            try:
                parse_precision(prec)
            except ValueError as e:
                self.status.value = _msg(f"apply to all: {e}; nothing changed")
                return {}
            kw["precision"] = prec
        out: dict = {}

        def act():
            out.update(self.design.set_all(**kw))

        if self._apply(None, act):
            if out:
                subs = ", ".join(f"{n} -> RF {rf}" for n, rf in out.items())
                self.status.value = _msg(
                    f"ReuseFactor {kw['reuse_factor']} is not valid for every layer under {kw['strategy']}; used "
                    f"the closest valid value instead: {subs}", "color:#9a6700")
            else:
                self.status.value = _msg(f"all layers: {kw['strategy']} RF {kw['reuse_factor']}", "color:#1a7f37")
        return out

    def _target(self, control, **kw) -> None:
        try:
            self.design.set_target(**kw)
        except ValueError as e:
            self._sync_target()
            self.status.value = _msg(str(e))

    def _on_board(self, change) -> None:
        if not self._syncing and change["new"] is not None:
            self._target(self.board, board=change["new"])

    def _on_io(self, change) -> None:
        if not self._syncing:
            self._target(self.io_type, io_type=change["new"])

    def _on_clock(self, change) -> None:
        if not self._syncing:
            self._target(self.clock_ns, clock_ns=float(change["new"]))

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

    def close(self) -> None:
        """Stop following the design."""
        if hasattr(self, "_unobserve"):
            self._unobserve()
        super().close()
