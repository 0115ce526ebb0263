"""Error bars that know the regime (issue 23 item 5): the measured leave-one-repository-out error of estimates like
this one, not one global figure.

A layer's *regime* is where it sits on the axes the calibration reports split by: the HLS tool, the layer group
(Dense, Conv, Act, ...), the strategy, ReuseFactor 1 or > 1, weights of at most 8 bits or wider, pruned (30 % or
more zero weights) or dense, and the stage (csynth or vsynth). ``make calibrate`` measures the median relative error
of every regime on the rows of repositories held out in turn and writes them to ``errors_by_regime.json`` beside the
coefficients (calibration is the only code that writes it). :func:`error_bar` looks a layer up: the most specific
regime with at least :data:`MIN_ROWS` held-out rows, dropping axes from the most specific (pruned, weights, RF,
strategy) until one has enough rows; a layer none of whose regimes has enough rows is *outside the calibrated
regimes* and says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..layer_types import get_layer_type
from ._core import layer_kind

__all__ = ["ErrorBar", "ERRORS_PATH", "MIN_ROWS", "GROUPS", "layer_regime", "regime_key", "error_bar",
           "design_error_bar", "regime_errors", "AXES", "PRUNED_FRACTION", "NARROW_BITS"]

#: Where ``make calibrate`` writes the measured errors per regime.
ERRORS_PATH = Path(__file__).with_name("errors_by_regime.json")
#: Held-out rows a regime needs for its error to be shown (fewer: the next coarser regime is used).
MIN_ROWS = 10
#: Zero weights from which a layer counts as pruned.
PRUNED_FRACTION = 0.3
#: Weights of at most this many bits are "narrow" (quantized).
NARROW_BITS = 8
#: The regime axes, from the coarsest (kept longest) to the most specific (dropped first).
AXES = ("tool", "group", "stage", "strategy", "rf", "weights", "pruned")
#: Estimator family -> the layer group of the calibration tables.
GROUPS = {"dense": "Dense", "conv": "Conv", "depthwise": "Conv", "activation": "Act", "softmax": "Softmax",
          "pooling": "Pool", "padding": "Pad", "batchnorm": "BN"}


@dataclass(frozen=True)
class ErrorBar:
    """The measured error beside an estimate: ``lut`` / ``ff`` / ``dsp`` median relative errors (|estimate -
    report| / report) of the held-out rows of ``regime`` (``n`` of them; a design's: whole designs). ``calibrated``
    is False when no regime of the layer has :data:`MIN_ROWS` held-out rows: the estimate is then outside the
    calibrated regimes, and ``note`` says so."""

    regime: str
    n: int
    lut: float | None
    ff: float | None
    dsp: float | None
    calibrated: bool
    note: str = ""

    def pct(self, resource: str) -> str:
        """``±24 %`` for one resource, or ``±?`` outside the calibrated regimes."""
        v = getattr(self, resource, None)
        return f"±{100 * v:.0f} %" if v is not None and self.calibrated else "±?"


def layer_regime(inp, stage: str = "csynth") -> dict:
    """The regime of one :class:`hlsnb.estimate.LayerInput` (a dict over :data:`AXES`; ``"-"`` where an axis does
    not apply: weights and pruning only for layers with multipliers)."""
    kind = layer_kind(inp.layer_type)
    lt = get_layer_type(kind) if kind is not None else None
    group = GROUPS.get(lt.family, lt.family) if lt is not None and lt.family else str(inp.layer_type)
    mult = lt is not None and lt.has_multipliers
    n = (inp.n_in or 0) * (inp.n_out or 0)
    return {"tool": inp.tool, "group": group, "stage": stage,
            "strategy": inp.strategy if mult else "-",
            "rf": ("RF 1" if inp.reuse_factor == 1 else "RF > 1") if mult else "-",
            "weights": (f"<= {NARROW_BITS} bits" if inp.weight_bits <= NARROW_BITS else f"> {NARROW_BITS} bits")
            if mult else "-",
            "pruned": ("pruned" if n and inp.n_zeros / n >= PRUNED_FRACTION else "dense") if mult else "-"}


def regime_key(regime: dict, depth: int = len(AXES)) -> str:
    """The text key of ``regime`` over its first ``depth`` axes: ``vivado_hls | Dense | csynth | Latency | ...``."""
    return " | ".join(str(regime[a]) for a in AXES[:depth])


@lru_cache(maxsize=1)
def _shipped_errors() -> dict:
    try:
        return json.loads(ERRORS_PATH.read_text())
    except (OSError, ValueError):
        return {}


def regime_errors() -> dict:
    """The measured errors per regime shipped with hlsnb: ``{"layer": {key: {"n", "lut", "ff", "dsp"}}, "design":
    {...}, "_comment": how they were measured}`` (``{}`` when the file is missing)."""
    return _shipped_errors()


def _bar(table: dict, keys: list[str], what: str) -> ErrorBar:
    for k in keys:
        t = table.get(k)
        if t and t["n"] >= MIN_ROWS:
            return ErrorBar(k, int(t["n"]), t.get("lut"), t.get("ff"), t.get("dsp"), True)
    best = next((table[k] for k in keys if k in table), None)
    n = int(best["n"]) if best else 0
    return ErrorBar(keys[-1], n, None, None, None, False,
                    f"outside the calibrated regimes: {n} held-out report row(s) like this {what} (fewer than "
                    f"{MIN_ROWS}); the estimate has no measured error")


def error_bar(inp, stage: str = "csynth", errors: dict | None = None) -> ErrorBar:
    """The measured error of the most specific calibrated regime of layer ``inp`` (see the module docstring)."""
    table = (errors if errors is not None else regime_errors()).get("layer", {})
    reg = layer_regime(inp, stage)
    if reg["group"] == "wiring":  # Input, Reshape, Flatten: no logic, nothing to be wrong about
        return ErrorBar(regime_key(reg, 2), 0, 0.0, 0.0, 0.0, True, "exact: wiring costs no resources")
    keys = [regime_key(reg, d) for d in range(len(AXES), 1, -1)]
    return _bar(table, keys, f"{reg['group']} layer")


def design_error_bar(tool: str, strategies: set, stage: str = "csynth", errors: dict | None = None) -> ErrorBar:
    """The measured error of whole designs of ``tool`` with these ``strategies`` at ``stage`` (then of every design
    of the tool at that stage)."""
    table = (errors if errors is not None else regime_errors()).get("design", {})
    s = "/".join(sorted(strategies)) or "-"
    keys = [f"{tool} | design | {stage} | {s}", f"{tool} | design | {stage} | all"]
    return _bar(table, keys, "design")
