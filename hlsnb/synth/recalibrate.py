"""Learn from the user's own builds: refit the estimator's modelled terms on their reports.

``recalibrate([(design, report), ...])`` turns every matched Dense / ReLU / Softmax layer of the user's C-synthesis
reports into a calibration record, adds the shipped calibration records (when available), refits with the
estimator's own :func:`hlsnb.calibration.fitting.fit_coefficients` and saves the result as the user's refit, which
estimates then use by default (see :mod:`hlsnb.calibration.saved`). Only the ``modelled`` coefficients move; the
``exact`` terms are hls4ml's rules and stay. ``reset_calibration()`` deletes the refit: back to the shipped
coefficients. Saving, loading and resetting live in :mod:`hlsnb.calibration.saved`; these are the user-facing names.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ..calibration import (
    Calibration,
    default_calibration,
    delete_saved_calibration,
    save_calibration,
    saved_calibration,
    user_calibration_path,
)
from .compare import match_layers
from .reports import Report

__all__ = ["recalibrate", "reset_calibration", "load_user_calibration", "user_calibration_path", "Recalibration"]


def _use(path: Path) -> None:
    """Make the refit at ``path`` the one estimates use by default in this session (the documented setting)."""
    if path.resolve() != user_calibration_path().resolve():
        os.environ["HLSNB_COEFFICIENTS"] = str(path)


def load_user_calibration(path=None) -> bool:
    """Use a saved refit by default from now on; returns whether one is there (and readable).

    Without ``path`` this only reports whether the refit at :func:`user_calibration_path` exists: estimates already
    use it. With ``path``, that file becomes the default for this session (``$HLSNB_COEFFICIENTS`` is set to it).
    To use a refit for one estimate only, pass ``calibration=hlsnb.calibration.Calibration.load(path)`` instead.
    """
    p = Path(path) if path else user_calibration_path()
    if saved_calibration(p) is None:
        return False
    _use(p)
    return True


def reset_calibration(path=None) -> Path:
    """Delete the saved refit and go back to the coefficients shipped with hlsnb. Returns the path removed."""
    return delete_saved_calibration(path)


@dataclass
class Recalibration:
    """What a refit used and changed."""

    path: str
    n_user_records: int
    n_shipped_records: int
    changed: dict = field(default_factory=dict)  # coefficient -> (before, after)
    skipped: list = field(default_factory=list)  # user layers not usable, with the reason
    calibration: Calibration | None = None  # the refit, to pass as estimate_design(..., calibration=)

    def summary(self) -> str:
        ch = ", ".join(f"{k} {a:.4g} -> {b:.4g}" for k, (a, b) in self.changed.items()) or "no coefficient moved"
        return (f"refit on {self.n_user_records} layer(s) of your reports + {self.n_shipped_records} shipped records; "
                f"{ch}; saved to {self.path} (reset_calibration() undoes it)")

    def __str__(self) -> str:
        return self.summary()


def _records(design, report: Report, skipped: list) -> list[dict]:
    """Calibration records (the shape ``fit_coefficients`` takes) from one design and its csynth report."""
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
    """Refit the estimator's modelled coefficients on your reports plus the shipped calibration data and save it.

    Parameters
    ----------
    pairs : list of (Design, Report)
        Each design with the C-synthesis report of its build (``read_report`` / ``run_build(...).report()``).
    calibration_csv : path, optional
        The calibration table (``reports.csv``) to refit together with; default: the rows of it that the shipped
        coefficients were fitted on, which ship with the package (``hlsnb/estimate/calibration_rows.csv``).
    path : path, optional
        Where to save (default :func:`user_calibration_path`, whose refit estimates use by default).
    apply : bool
        Make the saved refit the default for this session even when ``path`` is not the default location (sets
        ``$HLSNB_COEFFICIENTS``). A refit saved at the default location is used by default either way; the returned
        ``Recalibration.calibration`` can also be passed explicitly (``estimate_design(d, calibration=...)``).
    """
    from ..calibration import fitting

    skipped: list[str] = []
    user = [rec for d, r in pairs for rec in _records(d, r, skipped)]
    if not user:
        raise ValueError("no usable layer in the given reports (need C-synthesis reports of Latency Dense / ReLU / "
                         f"Softmax layers matched to the design); skipped: {skipped or 'nothing given'}")
    if calibration_csv is None and fitting.SHIPPED_ROWS.exists():
        calibration_csv = fitting.SHIPPED_ROWS
    shipped = fitting.load_rows(calibration_csv) if calibration_csv else []
    coef = fitting.fit_coefficients(shipped + user, Calibration.shipped().to_dict())
    before = default_calibration().coefficients
    p = Path(path) if path else user_calibration_path()
    saved = save_calibration(coef, p, n_user_records=len(user), n_shipped_records=len(shipped),
                             sources=sorted({r["source"] for r in user}))
    if apply:
        _use(p)
    changed = {k: (float(before.get(k, float("nan"))), float(v)) for k, v in coef.items()
               if isinstance(v, (int, float)) and before.get(k) != v}
    return Recalibration(str(p), len(user), len(shipped), changed, skipped, saved)
