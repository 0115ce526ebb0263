"""Learn from the user's own builds: refit the estimator's modelled terms on their reports.

``recalibrate([(design, report), ...])`` turns every matched Dense / ReLU / Softmax layer of the user's C-synthesis
reports into a calibration record, adds the shipped calibration records (when available), refits with the
estimator's own ``hlsnb.estimate.calibrate.fit``, applies the result and saves it to a user file. Only the
``modelled`` coefficients move; the ``exact`` terms are hls4ml's rules and stay. ``reset_calibration()`` goes back
to the shipped coefficients.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from .compare import match_layers
from .reports import Report

__all__ = ["recalibrate", "reset_calibration", "load_user_calibration", "user_calibration_path", "Recalibration"]


def user_calibration_path() -> Path:
    """Where the refit is saved: ``$HLSNB_COEFFICIENTS`` or ``~/.config/hlsnb/coefficients.json``."""
    from ..estimate._core import user_calibration_path as where

    return where()


def _apply(coef: dict, source: str = "your builds", path=None) -> None:
    from ..estimate import _core

    _core.COEFFICIENTS.clear()
    _core.COEFFICIENTS.update(coef)
    _core.CALIBRATION.update(source=source, path=str(path) if path else None)
    _core.clear_cache()


def load_user_calibration(path=None) -> bool:
    """Apply a saved refit if there is one; returns whether one was applied."""
    p = Path(path) if path else user_calibration_path()
    if not p.is_file():
        return False
    data = json.loads(p.read_text())
    _apply(data["coefficients"], path=p)
    return True


def reset_calibration(path=None) -> Path:
    """Delete the saved refit and go back to the coefficients shipped with hlsnb. Returns the path removed."""
    from ..estimate import _core

    p = Path(path) if path else user_calibration_path()
    if p.is_file():
        p.unlink()
    _apply(_core.load_coefficients(), source="shipped")
    return p


@dataclass
class Recalibration:
    """What a refit used and changed."""

    path: str
    n_user_records: int
    n_shipped_records: int
    changed: dict = field(default_factory=dict)  # coefficient -> (before, after)
    skipped: list = field(default_factory=list)  # user layers not usable, with the reason

    def summary(self) -> str:
        ch = ", ".join(f"{k} {a:.4g} -> {b:.4g}" for k, (a, b) in self.changed.items()) or "no coefficient moved"
        return (f"refit on {self.n_user_records} layer(s) of your reports + {self.n_shipped_records} shipped records; "
                f"{ch}; saved to {self.path} (reset_calibration() undoes it)")

    def __str__(self) -> str:
        return self.summary()


def _records(design, report: Report, skipped: list) -> list[dict]:
    """Calibration records (the shape ``hlsnb.estimate.calibrate.fit`` takes) from one design and its csynth report."""
    if report.kind != "csynth":
        skipped.append(f"{report.path}: a {report.kind} report; the estimator models C-synthesis numbers only")
        return []
    tool = (report.tool or "vivado_hls").split()[0]
    matched = match_layers(_est_stub(design), report)
    from ..estimate import layer_kwargs

    out = []
    for l, kw in layer_kwargs(design):
        r = matched.get(l.name)
        if r is None:
            continue
        if None in (r.lut, r.ff, r.dsp, r.latency_max_cycles):
            skipped.append(f"{l.name}: report row {r.name} lacks resources or latency")
            continue
        kw = dict(kw, tool=tool, mult_impl="auto")
        meas = dict(dsp=float(r.dsp), lut=float(r.lut), ff=float(r.ff), bram18k=float(r.bram18k or 0),
                    latency=float(r.latency_max_cycles), ii=float(r.ii_max or 1))
        rec = dict(network=f"user:{design.model_name}:{report.path}", variant="user", source=report.path,
                   layer=l.name, meas=meas, rf=l.reuse_factor, kw=kw)
        if l.layer_type == "Dense" and l.strategy == "Latency":
            rec["type"] = "dense"
        elif l.layer_type == "Activation" and l.activation == "relu":
            rec["type"] = "relu"
        elif l.layer_type == "Softmax":
            rec["type"] = "softmax"
        else:
            skipped.append(f"{l.name}: {l.layer_type}/{l.strategy} is not among the refitted layer kinds "
                           "(Latency Dense, ReLU, Softmax)")
            continue
        out.append(rec)
    return out


class _est_stub:
    """Just enough of a DesignEstimate for match_layers: the design's layer names and types, in order."""

    def __init__(self, design):
        self.layers = [l for l in design.layers if l.layer_type != "Input"]


def recalibrate(pairs, calibration_csv=None, path=None, apply: bool = True) -> Recalibration:
    """Refit the estimator's modelled coefficients on your reports plus the shipped calibration data; save; apply.

    Parameters
    ----------
    pairs : list of (Design, Report)
        Each design with the C-synthesis report of its build (``read_report`` / ``run_build(...).report()``).
    calibration_csv : path, optional
        The calibration table (``reports.csv``) to refit together with; default: the rows of it that the shipped
        coefficients were fitted on, which ship with the package (``hlsnb/estimate/calibration_rows.csv``).
    path : path, optional
        Where to save (default :func:`user_calibration_path`).
    """
    from ..estimate import _core
    from ..estimate import calibrate as cal

    skipped: list[str] = []
    user = [rec for d, r in pairs for rec in _records(d, r, skipped)]
    if not user:
        raise ValueError("no usable layer in the given reports (need C-synthesis reports of Latency Dense / ReLU / "
                         f"Softmax layers matched to the design); skipped: {skipped or 'nothing given'}")
    if calibration_csv is None and cal.SHIPPED_ROWS.exists():
        calibration_csv = cal.SHIPPED_ROWS
    shipped = cal.load_rows(calibration_csv) if calibration_csv else []
    start = dict(_core.load_coefficients())
    coef = cal.fit(shipped + user, start)
    before = dict(_core.COEFFICIENTS)
    p = Path(path) if path else user_calibration_path()
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps({"hlsnb_calibration": 1, "n_user_records": len(user), "n_shipped_records": len(shipped),
                             "sources": sorted({r["source"] for r in user}), "coefficients": coef}, indent=1))
    if apply:
        _apply(coef, path=p)
    changed = {k: (float(before.get(k, float("nan"))), float(v)) for k, v in coef.items()
               if isinstance(v, (int, float)) and before.get(k) != v}
    return Recalibration(str(p), len(user), len(shipped), changed, skipped)
