"""The Explorer's controller: what it remembers and decides, without a widget (issue 24: the Explorer split into
the view, :mod:`hlsnb.widgets.explorer`, and this small controller).

:class:`ExplorerState` holds the run history, the pinned design, the settings the last fit was made for, and does
save/load (validated, atomic) and the A/B differences. The view calls it and renders what it returns; tests can
drive it without ipywidgets.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

from ..design import Design
from ..design import load as load_design
from ..design.hls4ml_config import from_hls4ml_config, unlisted_layers
from ..design.serialise import read_json
from ..fileio import atomic_write
from ._base import check_name
from .plots import RESOURCES

__all__ = ["ExplorerState"]


def default_estimator():
    from ..estimate import estimate_design

    return estimate_design


def _is_design_dict(d: dict) -> bool:
    return "hlsnb_design" in d


def _is_hls4ml_config(d: dict) -> bool:
    return any(k in d for k in ("Model", "LayerName", "LayerType"))


def _describe(source) -> str:
    """How a load source is named in messages: "dict", "JSON text" or the path."""
    if isinstance(source, dict):
        return "dict"
    if isinstance(source, str) and source.lstrip().startswith("{"):
        return "JSON text"
    return str(source)


def _hls4ml_keys(spec) -> tuple:
    """(key, value as text) of the hls4ml keys ``spec`` carries beyond the schema, with its ParallelizationFactor
    (1 when unset) on a convolution: what :meth:`ExplorerState.settings` compares besides the schema's settings."""
    keys = dict(spec.extra)
    pf = spec.parallelization_factor
    if pf is not None:
        keys["ParallelizationFactor"] = pf
    return tuple((k, str(v)) for k, v in sorted(keys.items()))


class ExplorerState:
    """What the Explorer remembers about ``design`` (a :class:`hlsnb.design.Design`, followed, changed only through
    its methods): ``history`` (one dict per estimate, newest last, at most 50), ``pinned`` ((name, design copy) or
    None), ``fit_settings`` (the settings the shown fit report was made for, or None)."""

    _GEOMETRY = ("layer", "type", "output", "weights")  # summary columns the user does not set

    def __init__(self, design, model=None, estimator=None):
        self.design, self.model, self.estimator = design, model, estimator
        self.history: list = []
        self.pinned = None
        self.fit_settings = None
        self._previous = None  # the settings at the previous estimate (the history says what changed)

    def settings(self) -> tuple:
        """What the user sets, as a comparable value: (layer, its settings) in order, then the target. A layer's
        settings include the hls4ml keys it carries beyond the schema (a convolution's ParallelizationFactor, 1 when
        unset), so changing one is a new run and makes a fit report stale."""
        rows = tuple((r["layer"], tuple((k, str(v)) for k, v in r.items()
                                        if k not in self._GEOMETRY and k != "ParallelizationFactor")
                      + _hls4ml_keys(spec))
                     for r, spec in zip(self.design.summary(), self.design.layers))
        target = tuple((k, str(v)) for k, v in self.design.to_dict().items() if k != "layers")
        return rows + (("target", target),)

    def fit_is_stale(self) -> bool:
        """True when a fit report is shown for settings the design no longer has."""
        return self.fit_settings is not None and self.settings() != self.fit_settings

    def record(self, est) -> bool:
        """Add the latest estimate to the history, saying what changed since the previous one; False when the
        same design was judged again (stage or target line): not a new run."""
        settings = self.settings()
        if self._previous == settings and self.history:
            return False
        if self._previous is None:
            what = "start"
        else:
            old = dict(self._previous)
            parts = []
            for name, row in settings:
                before = dict(old.get(name, ()))
                diff = [f"{k} {before.get(k)} -> {v}" for k, v in row if before.get(k) != v]
                if diff:
                    parts.append(f"{name}: " + ", ".join(diff))
            what = "; ".join(parts) or "weights"
        self._previous = settings
        util = {k: float(est.utilisation[k]) for k, _ in RESOURCES}
        entry = {"n": len(self.history) + 1, "what": what, "latency": int(est.latency_cycles),
                 "ii": int(est.ii), "stage": est.stage, "fits": all(v <= 100.0 for v in util.values()), **util}
        self.history = (self.history + [entry])[-50:]
        return True

    def pin(self, name: str) -> None:
        """Remember the design as it is now as ``name`` (validated first: a refused name changes nothing)."""
        self.pinned = (check_name(name), self.design.copy())

    def comparison(self, stage: str, now):
        """(name, estimate of A, the estimate now, [(layer, A's setting, B's setting)]) against the pinned design,
        or None when nothing is pinned."""
        if self.pinned is None:
            return None
        name, a_design = self.pinned
        a = (self.estimator or default_estimator())(a_design, stage=stage)
        diffs = []
        for la, lb in zip(a_design.layers, self.design.layers):
            # a layer without multipliers differs only in its ReuseFactor (the io_stream softmax's)
            if (la.strategy, la.reuse_factor) != (lb.strategy, lb.reuse_factor):
                diffs.append((la.name, f"{la.strategy} RF {la.reuse_factor}", f"{lb.strategy} RF {lb.reuse_factor}"))
            for k in ("weight_precision", "result_precision", "accum_precision"):
                if getattr(la, k, None) != getattr(lb, k, None):
                    diffs.append((la.name, f"{k} {getattr(la, k)}", f"{getattr(lb, k)}"))
            if la.parallelization_factor != lb.parallelization_factor:
                diffs.append((la.name, f"ParallelizationFactor {la.parallelization_factor}",
                              f"{lb.parallelization_factor}"))
        return name, a, now, diffs

    # ------------------------------------------------------------------ save / load
    def save(self, path: str, kind: str = "design") -> str:
        """Write the design JSON (``kind="design"``) or the hls4ml config dict as JSON (``kind="hls4ml"``)."""
        if kind not in ("design", "hls4ml"):
            raise ValueError(f"kind {kind!r} is not valid; valid: 'design', 'hls4ml'")
        if not isinstance(path, (str, os.PathLike)) or not str(path).strip():
            raise ValueError(f"save needs a file name such as 'design.json', got {path!r}")
        target = Path(path)
        if target.suffix.lower() != ".json":
            raise ValueError(f"save writes JSON: {str(path)!r} should end in .json (e.g. 'design.json')")
        if not target.parent.is_dir():
            raise ValueError(f"save: the folder {str(target.parent)!r} of {str(path)!r} does not exist")
        text = self.design.to_json() if kind == "design" else json.dumps(self.design.to_hls4ml_config(), indent=1)
        atomic_write(target, text)  # a full disk or a kill leaves the previous file whole
        return str(path)

    def load(self, source, model=None) -> str:
        """Take settings from a design JSON or an hls4ml config (dict, JSON text or file path). All or nothing.

        An hls4ml config needs the Keras model (``model=`` or the one the Explorer was built from); its unknown
        keys, sections and layer names raise, and the layers it does not list keep their settings (the returned
        text names them). Layer names must match this design's. Everything is checked on a new design first; the
        Explorer's design changes only if all of it is valid, and if showing the change fails (an observer raises)
        the design is put back as it was. Returns what was loaded.
        """
        what = _describe(source)
        if not isinstance(source, (str, Path, dict)):
            raise ValueError(f"load needs a dict, JSON text or a path, got {type(source).__name__}")
        data = read_json(source)  # the design package reads files; this only tells the two kinds apart
        note = ""
        if isinstance(data, dict) and _is_design_dict(data):
            new = load_design(source)  # from the source itself: its errors name the file
        elif isinstance(data, dict) and _is_hls4ml_config(data):
            m = model or self.model
            if m is None:
                raise ValueError("loading an hls4ml config needs the Keras model: load(config, model=model)")
            try:
                new = from_hls4ml_config(Design, m, data, base=self.design)
            except ValueError as e:
                raise type(e)(f"{what}: {e}") from None
            kept = unlisted_layers(self.design, data)
            note = f" (layers it does not list kept their settings: {', '.join(kept)})" if kept else ""
        else:
            raise ValueError(f"{what}: neither an hlsnb design JSON (key 'hlsnb_design') nor an hls4ml config "
                             "(keys Model / LayerName / LayerType)")
        mine = [(l.name, l.layer_type) for l in self.design.layers]
        theirs = [(l.name, l.layer_type) for l in new.layers]
        if mine != theirs:
            raise ValueError(f"{what} describes other layers: {theirs} (this design: {mine})")
        before = self.design.copy()
        try:
            self.design.update_from(new)  # validated as a whole first: nothing changes unless all of it is valid
        except BaseException:
            if self.design != before:  # applied, then a view failed: back to the state the views showed
                with contextlib.suppress(Exception):  # the state is restored before the views hear of it
                    self.design.update_from(before)
            raise
        return what + note

