"""Fit the estimator's modelled coefficients on real reports (the shipped fit and the user's refit both use it).

Reads the rows of ``reports.csv`` whose configuration is fully recorded: the Dense/ReLU/Softmax layers of the
ArgyKokk hls4ml MLPs (Vitis HLS 2021.1, xc7z007s, Latency strategy, RF 1/2/100, multiplications forced onto DSPs
or LUTs), per layer and per whole design. (The forum's Resource-strategy report is a check, never fitted: see
:mod:`hlsnb.calibration.seed`; the Vivado HLS blocks are fitted by :mod:`hlsnb.calibration.per_tool`.) The CNN rows
(Keb-L/hls4ml-data) lack ReuseFactor, precision and layer geometry per row and are not used.

Every feature is computed by running the estimator itself with one coefficient set to 1 and the others to 0 (each
run gets its own :class:`Calibration` value), so the fit and the package can never disagree about what a
coefficient multiplies.
"""

from __future__ import annotations

import math
import statistics
from pathlib import Path

import numpy as np

from ..estimate import LayerEstimate, estimate_layer
from ..estimate.model import SHIPPED_PATH, Calibration, adder_levels, mul_op_share
from .rows import load_records

__all__ = ["load_rows", "load_models", "fit_coefficients",
           "predict", "SHIPPED_ROWS", "LUT_KEYS", "FF_KEYS"]

LUT_KEYS = ("lut_const_per_in_bit", "lut_gmul_per_bitprod", "lut_add_per_bit", "lut_mux_scale")
FF_KEYS = ("ff_pipe_ii1", "ff_pipe_shared", "ff_io_per_bit")
#: The rows of reports.csv the shipped coefficients were fitted on, shipped so that ``recalibrate`` can refit the
#: user's reports together with them (the package never reads ../shared at run time).
SHIPPED_ROWS = SHIPPED_PATH.with_name("calibration_rows.csv")


def _used(row: dict) -> bool:
    return row["source"].startswith("ArgyKokk") or (row["scope"] == "model" and row["strategy"] == "Resource"
                                                   and "16-64-32-32-5" in row["model_arch"])


# ---------------------------------------------------------------------------------------------------- reading
def load_rows(csv_path: str | Path) -> list[dict]:
    """The ArgyKokk MLP layer rows usable for calibration, as estimator keyword arguments plus the measured numbers
    (a view of :func:`hlsnb.calibration.rows.load_records`, the one reader of the calibration files)."""
    return [rec["fit"] for rec in load_records([csv_path]) if rec.get("fit")]


def load_models(csv_path: str | Path) -> list[dict]:
    """Whole-design rows of the MLPs (their layers are the layer rows of the same report)."""
    return [{"network": r["row"]["model_arch"], "source": r["source"], "meas": dict(r["meas"])}
            for r in load_records([csv_path]) if r["source"].startswith("ArgyKokk") and r["scope"] == "model"]


def _as_calibration(coef) -> Calibration:
    return coef if isinstance(coef, Calibration) else Calibration(coef, source="fit")


# ---------------------------------------------------------------------------------------------------- model runs
def _run(kw: dict, coef: dict) -> LayerEstimate:
    return estimate_layer(**kw, calibration=_as_calibration(coef))


def predict(rec: dict, coef: dict) -> dict:
    """The estimator's numbers for calibration record ``rec`` with coefficients ``coef``."""
    e = _run(rec["kw"], coef)
    return {"dsp": e.dsp, "lut": e.lut, "ff": e.ff, "bram18k": e.bram18k, "latency": e.latency_cycles, "ii": e.ii}


def feature_values(kw: dict, coef: dict, keys, resource: str) -> tuple[float, list[float]]:
    """``(base, features)`` of one layer: ``resource`` with the ``keys`` at 0, and what each key at 1 adds. Every fit
    computes its features by running the estimator, so the fit and the package cannot disagree about what a
    coefficient multiplies."""
    zero = dict(coef, **{k: 0.0 for k in keys})
    base = getattr(_run(kw, zero), resource)
    return base, [getattr(_run(kw, dict(zero, **{k: 1.0})), resource) - base for k in keys]


def _features(rec: dict, coef: dict, keys: tuple[str, ...], resource: str) -> tuple[float, list[float]]:
    return feature_values(rec["kw"], coef, keys, resource)


#: Relative residual below which a row counts as fitted exactly (never dropped as an outlier).
_RESIDUAL_TOL = 1e-6


def nnls_relative(rows: list[tuple[float, float, list[float]]], drop_worst: float = 0.0) -> list[float]:
    """Non-negative least squares on relative errors: minimise sum(((base + f.c) - y) / y)^2 over ``rows`` =
    (measured y, base, features). ``drop_worst`` > 0: the worst fraction of rows (saturating casts and the like) is
    dropped once and the fit repeated.

    Only rows that the fit misses by more than ``_RESIDUAL_TOL`` are outliers, and the refit happens only if the kept
    rows still determine every coefficient (full column rank). Without both guards an exactly fitting row set lost a
    row to floating-point noise (residuals of 1e-16, whose order depends on the machine's BLAS), and when that row was
    the only one that separated two coefficients the refit was underdetermined: issue 22, the pooling fit returning
    ``pool_lut_cmp`` 86.8 instead of 66 on some machines."""
    from scipy.optimize import nnls

    A = np.array([[f / max(y, 1.0) for f in feats] for y, b, feats in rows])
    t = np.array([(y - b) / max(y, 1.0) for y, b, feats in rows])
    c, _ = nnls(A, t)
    if drop_worst > 0:
        res = np.abs(A @ c - t)
        keep = (res <= np.quantile(res, 1.0 - drop_worst)) | (res <= _RESIDUAL_TOL)
        if not keep.all() and np.linalg.matrix_rank(A[keep]) >= A.shape[1]:
            c, _ = nnls(A[keep], t[keep])
    return [float(x) for x in c]


_nnls_relative = nnls_relative


#: The shared coefficients :func:`fit_coefficients` fits (a refit of them applies to every tool).
FITTED_KEYS = ("share_scale", "ii_overhead", "t_mul_ns", "t_add_ns", *LUT_KEYS, *FF_KEYS, "act_lut_per_bit",
               "act_ff_per_bit", "act_latency", "softmax_lut_per_bit", "softmax_ff_per_bit", "softmax_lat_a",
               "softmax_lat_b")


def fit_coefficients(recs: list[dict], start: dict) -> dict:
    """Fit every modelled coefficient on ``recs``; ``start`` gives the values of those not fitted.

    The fitted keys are taken out of ``start``'s ``per_tool`` blocks (if any), so the refit holds for every tool
    and the features (the estimator run with one coefficient at 1) see the coefficient being fitted.
    """
    coef = dict(start)
    if coef.get("per_tool"):
        coef["per_tool"] = {t: {k: v for k, v in b.items() if k not in FITTED_KEYS}
                            for t, b in coef["per_tool"].items()}
    dense = [r for r in recs if r["type"] == "dense" and r["kw"]["n_in"] * r["kw"]["n_out"] <= 4096]
    # 1. scale of the weights (in 1/sqrt(n_in)) that best explains the DSP counts where the allocation does not bind
    drows = []
    for r in dense:
        kw = r["kw"]
        nz = kw["n_in"] * kw["n_out"] - kw["n_zeros"]
        if kw["mult_impl"] == "dsp" and r["rf"] <= 2 and r["meas"]["dsp"] > 0 and nz > 0:
            drows.append((kw, nz, r["meas"]["dsp"]))
    if drows:
        best = None
        for scale in np.exp(np.linspace(math.log(0.05), math.log(3.0), 80)):
            c = dict(coef, share_scale=float(scale))
            errs = [abs(math.log(max(1.0, nz * mul_op_share(kw["n_in"], kw["weight_bits"],
                                                            kw["weight_int_bits"], c)) / d))
                    for kw, nz, d in drows]
            score = statistics.median(errs)
            if best is None or score < best[0]:
                best = (score, float(scale))
        coef["share_scale"] = best[1]
    # 2. II overhead of Vitis' shared multipliers
    gaps = []
    for r in dense:
        if r["rf"] > 2:
            kw = r["kw"]
            nz = kw["n_in"] * kw["n_out"] - kw["n_zeros"]
            mul_ops = round(nz * mul_op_share(kw["n_in"], kw["weight_bits"], kw["weight_int_bits"], coef))
            limit = max(1, math.ceil(kw["n_in"] * kw["n_out"] / r["rf"]) - kw["n_zeros"] // r["rf"])
            units = min(mul_ops, limit)
            if units:
                gaps.append(r["meas"]["ii"] - math.ceil(mul_ops / units))
    if gaps:
        coef["ii_overhead"] = float(statistics.median(gaps))
    # 3. pipeline timing: grid search on the depth of RF<=2 rows
    lat_rows = [r for r in dense if r["rf"] <= 2]
    best = None
    for t_mul in np.arange(0.0, 6.01, 0.25):
        for t_add in np.arange(0.5, 5.01, 0.1):
            errs = []
            for r in lat_rows:
                kw = r["kw"]
                nz = kw["n_in"] * kw["n_out"] - kw["n_zeros"]
                lv = adder_levels(nz, kw["n_out"])
                d = max(0, math.ceil((t_mul + lv * t_add) / kw["clock_ns"] - 1e-9))
                errs.append(abs(d - r["meas"]["latency"]))
            score = sum(errs)
            if best is None or score < best[0] - 1e-9:
                best = (score, float(t_mul), float(t_add))
    if best:
        coef["t_mul_ns"], coef["t_add_ns"] = best[1], best[2]
    # 4. LUT and FF coefficients of the Dense model: relative NNLS over the estimator's own features
    for keys, res in ((LUT_KEYS, "lut"), (FF_KEYS, "ff")):
        rows = []
        for r in dense:
            b, f = _features(r, coef, keys, res)
            rows.append((r["meas"][res], b, f))
        c = _nnls_relative(rows)
        for k, v in zip(keys, c):
            if any(abs(row[2][keys.index(k)]) > 0 for row in rows):
                coef[k] = v
    # 5. activations and softmax
    relu = [r for r in recs if r["type"] == "relu"]
    if relu:
        coef["act_lut_per_bit"] = float(statistics.median(
            r["meas"]["lut"] / (r["kw"]["n_in"] * r["kw"]["input_bits"]) for r in relu))
        coef["act_ff_per_bit"] = float(statistics.median(
            r["meas"]["ff"] / (r["kw"]["n_in"] * r["kw"]["input_bits"]) for r in relu))
        coef["act_latency"] = float(statistics.median(r["meas"]["latency"] for r in relu))
    sm = [r for r in recs if r["type"] == "softmax"]
    if sm:
        zero = dict(coef, softmax_lut_per_bit=0.0, softmax_ff_per_bit=0.0)
        coef["softmax_lut_per_bit"] = float(statistics.median(
            max(0.0, r["meas"]["lut"] - _run(r["kw"], zero).lut) / (r["kw"]["n_in"] * r["kw"]["result_bits"])
            for r in sm))
        coef["softmax_ff_per_bit"] = float(statistics.median(
            r["meas"]["ff"] / (r["kw"]["n_in"] * r["kw"]["result_bits"]) for r in sm))
        if len({r["kw"]["n_in"] for r in sm}) >= 2:
            b, a = np.polyfit([math.log2(max(2, r["kw"]["n_in"])) for r in sm], [r["meas"]["latency"] for r in sm], 1)
            coef["softmax_lat_a"], coef["softmax_lat_b"] = float(a), float(b)
    return coef
