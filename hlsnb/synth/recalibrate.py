"""Learn from the user's own builds: refit the estimator's modelled terms on their reports.

``recalibrate([(design, report), ...])`` turns every matched Dense / ReLU / Softmax layer of the user's C-synthesis
reports into a calibration record, adds the shipped calibration records (when available), refits with the
estimator's own :func:`hlsnb.calibration.fitting.fit_coefficients` and saves the result as the user's refit, which
estimates then use by default (see :mod:`hlsnb.calibration.saved`). Only the ``modelled`` coefficients move; the
``exact`` terms are hls4ml's rules and stay.

A refit is trusted only after it is checked, and every check is in the returned :class:`Recalibration`:

- **duplicates** (the same layer, settings and numbers given again, e.g. one report passed 20 times) count once;
- **outliers** (a layer whose measured LUT/FF/DSP is :data:`OUTLIER_FACTOR` times off the current estimate: another
  design's report, a typo, a unit slip) are left out of the fit and named (``outliers="keep"`` fits on them,
  ``"raise"`` refuses);
- **the effect on the shipped data's error** (median absolute error per resource over the shipped calibration rows,
  before and after) is computed before anything is saved; a refit that makes it worse by more than
  ``max_worsening`` points is refused (:class:`RecalibrationRejected`, with the numbers) unless ``force=True``;
- a refit already at the path that cannot be read is never silently replaced (:class:`CalibrationFileError`;
  ``force=True`` keeps it aside as ``<name>.damaged-<time>``).

``undo_recalibration()`` (or ``result.undo()``) puts back what the last refit replaced; ``reset_calibration()``
deletes the refit: back to the shipped coefficients.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import warnings
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
from ..calibration.saved import (
    CalibrationFileError,
    check_saved_calibration,
    keep_aside,
    refit_calibration,
    undo_saved_calibration,
)
from ..errors import InvalidSetting
from .compare import match_layers, report_mismatches
from .reports import Report

__all__ = ["recalibrate", "reset_calibration", "undo_recalibration", "load_user_calibration",
           "user_calibration_path", "Recalibration", "RecalibrationRejected", "CalibrationFileError",
           "OUTLIER_FACTOR", "MAX_WORSENING_PCT"]

#: A layer whose measured LUT, FF or DSP is this many times above or below the current estimate (and at least
#: :data:`_OUTLIER_MIN` of it) is an outlier: the estimator's errors on real reports stay well inside 5x.
OUTLIER_FACTOR = 10.0
_OUTLIER_MIN = 50.0
#: Points of median absolute error (%) on the shipped rows a refit may add to a resource before it is refused.
MAX_WORSENING_PCT = 5.0
_CHECKED = ("lut", "ff", "dsp")


class RecalibrationRejected(InvalidSetting):
    """The refit would make the estimator worse on the shipped data; nothing was saved. ``recalibration`` holds
    the refit and its numbers (``recalibrate(..., force=True)`` saves it anyway)."""

    def __init__(self, message: str, recalibration: "Recalibration"):
        super().__init__(message)
        self.recalibration = recalibration


def _use(path: Path) -> None:
    """Make the refit at ``path`` the one estimates use by default in this session (the documented setting)."""
    if path.resolve() != user_calibration_path().resolve():
        os.environ["HLSNB_COEFFICIENTS"] = str(path)


def load_user_calibration(path=None) -> bool:
    """Use a saved refit by default from now on; returns whether one is there.

    Without ``path`` this only reports whether the refit at :func:`user_calibration_path` exists: estimates already
    use it. With ``path``, that file becomes the default for this session (``$HLSNB_COEFFICIENTS`` is set to it).
    To use a refit for one estimate only, pass ``calibration=hlsnb.calibration.Calibration.load(path)`` instead.
    A file that is there but cannot be read raises :class:`CalibrationFileError` naming it (never a quiet False).
    """
    p = Path(path) if path else user_calibration_path()
    if check_saved_calibration(p) is None or saved_calibration(p) is None:
        return False
    _use(p)
    return True


def reset_calibration(path=None) -> Path:
    """Delete the saved refit and go back to the coefficients shipped with hlsnb. Returns the path removed
    (:func:`undo_recalibration` brings it back)."""
    return delete_saved_calibration(path)


def undo_recalibration(path=None) -> Calibration | None:
    """Undo the last :func:`recalibrate` (or :func:`reset_calibration`): the refit it replaced is the default again
    (or none, when there was none). Returns that refit (None: the shipped coefficients)."""
    return undo_saved_calibration(path)


@dataclass
class Recalibration:
    """What a refit used, left out and changed, and what it does to the estimator's error.

    ``effect``: ``{"shipped": {resource: (median |error| % before, after)}, "yours": {...}}`` over the shipped
    calibration rows and over your (kept) layers; ``duplicates``: how many repeated records counted once;
    ``outliers``: the layers left out, with their numbers; ``kept_aside``: where an unreadable refit was moved.
    """

    path: str
    n_user_records: int
    n_shipped_records: int
    changed: dict = field(default_factory=dict)  # coefficient -> (before, after)
    skipped: list = field(default_factory=list)  # user layers not usable, with the reason
    calibration: Calibration | None = None  # the refit, to pass as estimate_design(..., calibration=)
    duplicates: int = 0
    outliers: list = field(default_factory=list)
    effect: dict = field(default_factory=dict)
    saved: bool = True
    kept_aside: str | None = None

    def effect_lines(self) -> list[str]:
        out = []
        for where, label in (("shipped", "the shipped calibration rows"), ("yours", "your layers")):
            e = self.effect.get(where) or {}
            if e:
                out.append(f"median |error| on {label} (HLS csynth estimate vs report): " + ", ".join(
                    f"{r.upper()} {a:.1f} % -> {b:.1f} %" for r, (a, b) in e.items()))
        return out

    def summary(self) -> str:
        ch = ", ".join(f"{k} {a:.4g} -> {b:.4g}" for k, (a, b) in self.changed.items()) or "no coefficient moved"
        lines = [f"refit on {self.n_user_records} layer(s) of your reports + {self.n_shipped_records} shipped "
                 f"records; {ch}"]
        if self.duplicates:
            lines.append(f"{self.duplicates} duplicate record(s) (same layer, settings and numbers) counted once")
        lines += [f"left out (outlier): {o}" for o in self.outliers]
        lines += self.effect_lines()
        if self.kept_aside:
            lines.append(f"the unreadable refit that was there is kept as {self.kept_aside}")
        lines.append(f"saved to {self.path} (undo_recalibration() undoes it; reset_calibration() goes back to "
                     "the shipped coefficients)" if self.saved else f"not saved ({self.path} unchanged)")
        return "\n".join(lines)

    def undo(self) -> Calibration | None:
        """Undo this refit (see :func:`undo_recalibration`)."""
        return undo_recalibration(self.path)

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        return f"Recalibration({self.summary()})"


def _records(design, report: Report, skipped: list) -> list[dict]:
    """Calibration records (the shape ``fit_coefficients`` takes) from one design and its csynth report."""
    if report.kind != "csynth":
        skipped.append(f"{report.path}: a {report.kind} report; the estimator models C-synthesis numbers only")
        return []
    bad = report_mismatches(design, report)
    if bad:  # another network's numbers would teach the estimator nonsense
        skipped.append(f"{report.path}: not a report of {design.model_name}: {'; '.join(bad)}")
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


def _duplicate_key(rec: dict) -> str:
    return json.dumps([rec["type"], rec["layer"], rec["kw"], rec["meas"], rec["rf"]], sort_keys=True, default=str)


def _dedupe(user: list[dict]) -> tuple[list[dict], int]:
    seen, out = set(), []
    for r in user:
        k = _duplicate_key(r)
        if k not in seen:
            seen.add(k)
            out.append(r)
    return out, len(user) - len(out)


def _outlier(rec: dict, pred: dict) -> str | None:
    """Why ``rec`` is an outlier against the current estimate ``pred`` (None when it is not)."""
    for res in _CHECKED:
        m, e = float(rec["meas"][res]), float(pred[res])
        if m <= 0 or e <= 0:  # a term the estimator leaves at 0 (or a report's 0) is no ratio to judge by
            continue
        big, small = max(m, e), min(m, e)
        if big >= _OUTLIER_MIN and big / small >= OUTLIER_FACTOR:
            return (f"{rec['layer']} ({rec['source']}): {res.upper()} measured {m:,.0f} vs estimated {e:,.0f} "
                    f"(x{big / small:,.0f}); another design's report or a damaged one?")
    return None


def _median_errors(recs: list[dict], calibration: Calibration) -> dict:
    """Median absolute relative error (%) per resource of ``calibration`` over ``recs`` (rows measuring > 0)."""
    from ..calibration import fitting

    errs: dict = {r: [] for r in _CHECKED}
    for rec in recs:
        try:
            pred = fitting.predict(rec, calibration)
        except (ValueError, TypeError):
            continue
        for res in _CHECKED:
            m = float(rec["meas"].get(res) or 0.0)
            if m > 0:
                errs[res].append(100.0 * abs(float(pred[res]) - m) / m)
    return {r: statistics.median(v) for r, v in errs.items() if v}


def _effect(shipped: list, user: list, before: Calibration, after: Calibration) -> dict:
    out = {}
    for where, recs in (("shipped", shipped), ("yours", user)):
        b, a = _median_errors(recs, before), _median_errors(recs, after)
        out[where] = {r: (b[r], a[r]) for r in b if r in a}
    return out


def recalibrate(pairs, calibration_csv=None, path=None, apply: bool = True, *, outliers: str = "drop",
                max_worsening: float = MAX_WORSENING_PCT, force: bool = False) -> Recalibration:
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
    outliers : {"drop", "keep", "raise"}
        What to do with layers :data:`OUTLIER_FACTOR` times off the current estimate: leave them out of the fit
        (named in the result), fit on them, or refuse (``InvalidSetting`` naming them).
    max_worsening : float
        Points of median absolute error (%) on the shipped rows the refit may add to LUT, FF or DSP; beyond it
        :class:`RecalibrationRejected` is raised and nothing is saved.
    force : bool
        Save even a refit that makes the shipped data worse, and keep an unreadable refit at ``path`` aside
        (``<name>.damaged-<time>``) instead of refusing to replace it.

    Raises
    ------
    ValueError
        No usable layer in the reports (each skipped one with its reason).
    CalibrationFileError
        The refit at ``path`` is there but cannot be read (without ``force``).
    RecalibrationRejected
        The refit worsens the shipped data's error by more than ``max_worsening`` points (without ``force``).
    """
    from ..calibration import fitting

    if outliers not in ("drop", "keep", "raise"):
        raise InvalidSetting(f"recalibrate: outliers {outliers!r} is not valid; valid: 'drop', 'keep', 'raise'")
    p = Path(path) if path else user_calibration_path()
    try:
        check_saved_calibration(p)  # an unreadable refit is named before any work, never replaced in silence
        damaged = False
    except CalibrationFileError:
        if not force:
            raise
        damaged = True
    skipped: list[str] = []
    user, n_dup = _dedupe([rec for d, r in pairs for rec in _records(d, r, skipped)])
    before = default_calibration()
    out_msgs = []
    if outliers != "keep":
        kept = []
        for rec in user:
            why = _outlier(rec, fitting.predict(rec, before))
            (out_msgs.append(why) if why else kept.append(rec))
        if out_msgs and outliers == "raise":
            raise InvalidSetting("recalibrate: outlier layer(s) in the reports: " + "; ".join(out_msgs)
                                 + " (outliers='drop' leaves them out, 'keep' fits on them)")
        user = kept
    if not user:
        raise ValueError("no usable layer in the given reports (need C-synthesis reports of Latency Dense / ReLU / "
                         f"Softmax layers matched to the design); skipped: {skipped or 'nothing given'}"
                         + (f"; outliers left out: {out_msgs}" if out_msgs else ""))
    if calibration_csv is None and fitting.SHIPPED_ROWS.exists():
        calibration_csv = fitting.SHIPPED_ROWS
    shipped = fitting.load_rows(calibration_csv) if calibration_csv else []
    coef = fitting.fit_coefficients(shipped + user, Calibration.shipped().to_dict())
    after = refit_calibration(coef, p)
    effect = _effect(shipped, user, before, after)
    changed = {k: (float(before.coefficients.get(k, float("nan"))), float(v)) for k, v in coef.items()
               if isinstance(v, (int, float)) and before.coefficients.get(k) != v}
    result = Recalibration(str(p), len(user), len(shipped), changed, skipped, after, duplicates=n_dup,
                           outliers=out_msgs, effect=effect, saved=False)
    worse = {r: (b, a) for r, (b, a) in effect.get("shipped", {}).items()
             if math.isfinite(a) and a - b > max_worsening}
    if worse and not force:
        raise RecalibrationRejected(
            "recalibrate: the refit would make the estimator worse on the shipped calibration data: "
            + ", ".join(f"{r.upper()} median |error| {b:.1f} % -> {a:.1f} %" for r, (b, a) in worse.items())
            + f" (more than {max_worsening:g} points); nothing was saved. Check the reports belong to their designs "
              "(hlsnb.synth.compare), or pass force=True to save it anyway", result)
    meta = dict(n_user_records=len(user), n_shipped_records=len(shipped), sources=sorted({r["source"] for r in user}),
                duplicates=n_dup, outliers=out_msgs, effect={k: {r: list(v) for r, v in e.items()}
                                                            for k, e in effect.items()})
    if damaged:
        result.kept_aside = meta["kept_aside"] = str(keep_aside(p))
    result.calibration = save_calibration(coef, p, **meta)
    result.saved = True
    if out_msgs or n_dup or worse or damaged:
        warnings.warn("recalibrate: " + result.summary(), stacklevel=2)
    if apply:
        _use(p)
    return result
