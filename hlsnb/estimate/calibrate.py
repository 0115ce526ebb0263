"""Fit the estimator's modelled coefficients on real reports and measure its error, reproducibly.

    python -m hlsnb.estimate.calibrate --csv ../shared/calibration/reports.csv [--write] [--out PATH]

Uses the rows of ``reports.csv`` whose configuration is fully recorded: the Dense/ReLU/Softmax layers of the
ArgyKokk hls4ml MLPs (Vitis HLS 2021.1, xc7z007s, Latency strategy, RF 1/2/100, multiplications forced onto DSPs
or LUTs), per layer and per whole design. The CNN rows (Keb-L/hls4ml-data) lack ReuseFactor, precision and layer
geometry per row, and are reported as not used.

Every feature is computed by running the estimator itself with one coefficient set to 1 and the others to 0, so
the fit and the package can never disagree about what a coefficient multiplies.

Prints the leave-one-design-out (each network held out in turn, all its variants) median absolute % error per
resource, next to hls4ml's own objective formulas (DSP = n_in*n_out/RF when weights >= 9 bits, else 0;
BRAM = ceil(bits*n_in*n_out/(RF*36)) for Resource; FF from ``VivadoFFEstimator``), and the in-sample errors.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import re
import statistics
import sys
from pathlib import Path

import numpy as np

from . import _core

LUT_KEYS = ("lut_const_per_in_bit", "lut_gmul_per_bitprod", "lut_add_per_bit", "lut_mux_scale")
FF_KEYS = ("ff_pipe_ii1", "ff_pipe_shared", "ff_io_per_bit")
RESOURCES = ("dsp", "lut", "ff", "bram18k", "latency")
#: The rows of reports.csv the shipped coefficients were fitted on, shipped so that ``recalibrate`` can refit the
#: user's reports together with them (the package never reads ../shared at run time).
SHIPPED_ROWS = _core._COEF_PATH.with_name("calibration_rows.csv")


def _used(row: dict) -> bool:
    return row["source"].startswith("ArgyKokk") or (row["scope"] == "model" and row["strategy"] == "Resource"
                                                   and "16-64-32-32-5" in row["model_arch"])


# ---------------------------------------------------------------------------------------------------- reading
def _fixed(tag: str):
    m = re.match(r"ap_(u?)fixed_(\d+)_(-?\d+)", tag)
    return (int(m.group(2)), int(m.group(3)), m.group(1) == "u") if m else None


def load_rows(csv_path: str | Path) -> list[dict]:
    """The MLP rows usable for calibration, as estimator keyword arguments plus the measured numbers."""
    rows = list(csv.DictReader(open(csv_path)))
    out = []
    for r in rows:
        if not r["source"].startswith("ArgyKokk") or r["scope"] != "layer":
            continue
        lt = r["layer_type"]
        notes = r["notes"]
        src = r["source"]
        variant = re.search(r"/(DSP|LUT)_reuse(\d+)/", src)
        impl = "dsp" if variant and variant.group(1) == "DSP" else "fabric"
        rf = int(r["reuse_factor"] or 1)
        module = re.search(r"module=(\S+?);", notes)
        module = module.group(1) if module else ""
        meas = {"dsp": float(r["dsp"]), "lut": float(r["lut"]), "ff": float(r["ff"]),
                "bram18k": float(r["bram18k"]), "latency": float(r["latency_max_cycles"]), "ii": float(r["ii"])}
        base = dict(part="xc7z007s", clock_ns=float(r["clock_ns"] or 3.33), tool="vitis_hls", mult_impl=impl,
                    io_type="io_parallel")
        rec = {"network": r["model_arch"], "variant": f"{variant.group(1)}_reuse{variant.group(2)}" if variant else "",
               "source": src, "layer": r["layer_name"], "type": lt, "meas": meas, "rf": rf}
        if lt == "dense":
            n_in, n_out = int(r["n_in"]), int(r["n_out"])
            tin = re.search(r"dense_latency_(ap_u?fixed_\d+_-?\d+)", module)
            in_bits = _fixed(tin.group(1))[0] if tin else 16
            accum = re.search(r"accum_t=ap_fixed<(\d+),", notes)
            z = re.search(r"n_zeros=(\d+) of", r["sparsity_or_pruning"])
            rec["kw"] = dict(base, layer_type="Dense", n_in=n_in, n_out=n_out, strategy="Latency", reuse_factor=rf,
                             weight_bits=int(r["weight_bits"]), weight_int_bits=int(r["weight_int_bits"]),
                             result_bits=int(r["result_bits"]), accum_bits=int(accum.group(1)) if accum else 16,
                             input_bits=in_bits, n_zeros=int(z.group(1)) if z else 0)
        elif lt == "relu":
            t = re.search(r"relu_(ap_u?fixed_\d+_-?\d+)", module)
            rec["kw"] = dict(base, layer_type="Activation", activation="relu", n_in=int(r["n_in"]),
                             n_out=int(r["n_out"]), input_bits=_fixed(t.group(1))[0] if t else 16,
                             result_bits=int(r["result_bits"] or 16))
        elif lt == "softmax":
            rec["kw"] = dict(base, layer_type="Softmax", n_in=int(r["n_in"]), n_out=int(r["n_out"]),
                             result_bits=int(r["result_bits"] or 16))
        else:
            continue  # batchnorm rows have no size recorded
        out.append(rec)
    return out


def load_models(csv_path: str | Path) -> list[dict]:
    """Whole-design rows of the MLPs (their layers are the layer rows of the same report)."""
    out = []
    for r in csv.DictReader(open(csv_path)):
        if r["source"].startswith("ArgyKokk") and r["scope"] == "model":
            out.append({"network": r["model_arch"], "source": r["source"],
                        "meas": {"dsp": float(r["dsp"]), "lut": float(r["lut"]), "ff": float(r["ff"]),
                                 "bram18k": float(r["bram18k"]), "latency": float(r["latency_max_cycles"])}})
    return out


def load_resource_designs(csv_path: str | Path) -> list[dict]:
    """Whole-design Resource-strategy reports of a network we can rebuild: the forum's 16-64-32-32-5 on the PYNQ-Z2.

    Its precision and clock are not stated: taken as hls4ml's tutorial default ap_fixed<16,6> and
    VivadoAccelerator's default 5 ns clock.
    """
    out = []
    for r in csv.DictReader(open(csv_path)):
        if r["scope"] == "model" and r["strategy"] == "Resource" and "16-64-32-32-5" in r["model_arch"]:
            out.append({"network": r["model_arch"], "source": r["source"], "rf": int(r["reuse_factor"]),
                        "meas": {"dsp": float(r["dsp"]), "lut": float(r["lut"]), "ff": float(r["ff"]),
                                 "bram18k": float(r["bram18k"])}})
    return out


def _resource_design_lut(rec: dict, coef: dict) -> float:
    from ._design import estimate_design
    from ._reference import tutorial_mlp

    saved = dict(_core.COEFFICIENTS)
    _core.COEFFICIENTS.clear()
    _core.COEFFICIENTS.update(coef)
    _core.clear_cache()
    try:
        return float(estimate_design(tutorial_mlp("Resource", rec["rf"], board="pynq-z2", clock_ns=5.0)).total["lut"])
    finally:
        _core.COEFFICIENTS.clear()
        _core.COEFFICIENTS.update(saved)
        _core.clear_cache()


def fit_resource_write_select(designs: list[dict], coef: dict) -> dict:
    """Fit ``lut_wsel_per_bit`` (Resource, RF > n_in: accumulator write select) on the Resource design reports.

    There is one such report (the forum's), so this is a one-point, in-sample fit: the coefficient is whatever
    makes the estimate of that design's LUTs equal the report's. Without such a report the coefficient is 0.
    """
    coef = dict(coef)
    if not designs:
        coef["lut_wsel_per_bit"] = 0.0
        return coef
    ratios = []
    for d in designs:
        base = _resource_design_lut(d, dict(coef, lut_wsel_per_bit=0.0))
        one = _resource_design_lut(d, dict(coef, lut_wsel_per_bit=1.0))
        if one > base:
            ratios.append(max(0.0, (d["meas"]["lut"] - base) / (one - base)))
    coef["lut_wsel_per_bit"] = float(statistics.median(ratios)) if ratios else 0.0
    return coef


# ---------------------------------------------------------------------------------------------------- model runs
def _run(kw: dict, coef: dict) -> _core.LayerEstimate:
    saved = dict(_core.COEFFICIENTS)
    _core.COEFFICIENTS.clear()
    _core.COEFFICIENTS.update(coef)
    _core.clear_cache()
    try:
        e = _core.estimate_layer(**kw)
    finally:
        _core.COEFFICIENTS.clear()
        _core.COEFFICIENTS.update(saved)
        _core.clear_cache()
    return e


def predict(rec: dict, coef: dict) -> dict:
    e = _run(rec["kw"], coef)
    return {"dsp": e.dsp, "lut": e.lut, "ff": e.ff, "bram18k": e.bram18k, "latency": e.latency_cycles, "ii": e.ii}


def _features(rec: dict, coef: dict, keys: tuple[str, ...], resource: str) -> tuple[float, list[float]]:
    zero = dict(coef, **{k: 0.0 for k in keys})
    base = getattr(_run(rec["kw"], zero), resource)
    feats = [getattr(_run(rec["kw"], dict(zero, **{k: 1.0})), resource) - base for k in keys]
    return base, feats


def _nnls_relative(rows: list[tuple[float, float, list[float]]]) -> list[float]:
    """Non-negative least squares on relative errors: minimise sum(((base + f.c) - y) / y)^2."""
    from scipy.optimize import nnls

    A = np.array([[f / max(y, 1.0) for f in feats] for y, b, feats in rows])
    t = np.array([(y - b) / max(y, 1.0) for y, b, feats in rows])
    c, _ = nnls(A, t)
    return [float(x) for x in c]


def fit(recs: list[dict], start: dict) -> dict:
    """Fit every modelled coefficient on ``recs``; ``start`` gives the values of those not fitted."""
    coef = dict(start)
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
            errs = [abs(math.log(max(1.0, nz * _core.mul_op_share(kw["n_in"], kw["weight_bits"],
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
            mul_ops = round(nz * _core.mul_op_share(kw["n_in"], kw["weight_bits"], kw["weight_int_bits"], coef))
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
                lv = _core.adder_levels(nz, kw["n_out"])
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


# ---------------------------------------------------------------------------------------------------- hls4ml's formulas
def hls4ml_formulas(rec: dict) -> dict:
    """hls4ml's pruning-objective numbers for a Dense row (None where hls4ml has no formula)."""
    if rec["type"] != "dense":
        return {k: None for k in RESOURCES}
    kw = rec["kw"]
    N, rf, wb = kw["n_in"] * kw["n_out"], kw["reuse_factor"], kw["weight_bits"]
    dsp = N // rf if wb >= 9 else 0
    bram = 0  # Latency strategy: no BRAM in hls4ml's multi-objective estimator
    ff = N * wb + kw["n_out"] * kw["result_bits"]  # VivadoFFEstimator, io_parallel + Latency
    return {"dsp": dsp, "lut": None, "ff": ff, "bram18k": bram, "latency": None}


def ape(pred, meas) -> float:
    """Absolute % error; the denominator is at least 1 so that 0-vs-0 is 0 % and 2-vs-0 is 200 %."""
    return 100.0 * abs(pred - meas) / max(abs(meas), 1.0)


# ---------------------------------------------------------------------------------------------------- evaluation
def evaluate(recs: list[dict], models: list[dict], start: dict) -> dict:
    nets = sorted({r["network"] for r in recs})
    loo: dict = {}
    for g in nets:
        coef = fit([r for r in recs if r["network"] != g], start)
        for r in recs:
            if r["network"] == g:
                loo[id(r)] = predict(r, coef)
    full = fit(recs, start)
    ins = {id(r): predict(r, full) for r in recs}

    def table(sel, preds):
        out = {}
        for res in RESOURCES:
            e = [ape(preds[id(r)][res], r["meas"][res]) for r in sel]
            out[res] = (statistics.median(e) if e else None, len(e))
        return out

    def table_hls(sel):
        out = {}
        for res in RESOURCES:
            e = [ape(h[res], r["meas"][res]) for r in sel if (h := hls4ml_formulas(r))[res] is not None]
            out[res] = (statistics.median(e) if e else None, len(e))
        return out

    dense = [r for r in recs if r["type"] == "dense"]
    dsp_rows = [r for r in dense if r["meas"]["dsp"] > 0]
    result = {"dsp_loo": table(dsp_rows, loo), "dsp_in": table(dsp_rows, ins), "dsp_hls4ml": table_hls(dsp_rows),
              "coef": full, "dense_loo": table(dense, loo), "dense_in": table(dense, ins),
              "dense_hls4ml": table_hls(dense), "all_loo": table(recs, loo), "all_in": table(recs, ins)}
    # whole designs: sum of the layer predictions of the same report (pipeline top: no extra terms)
    mloo, mins, mhls = [], [], []
    for m in models:
        layers = [r for r in recs if r["source"] == m["source"]]
        if not layers:
            continue
        for store, preds in ((mloo, loo), (mins, ins)):
            store.append((m, {res: sum(preds[id(r)][res] for r in layers) for res in RESOURCES}))
        h = {res: sum((hls4ml_formulas(r)[res] or 0) for r in layers if r["type"] == "dense") for res in
             ("dsp", "ff", "bram18k")}
        mhls.append((m, h))
    result["model_loo"] = {res: (statistics.median(ape(p[res], m["meas"][res]) for m, p in mloo), len(mloo))
                           for res in RESOURCES}
    result["model_in"] = {res: (statistics.median(ape(p[res], m["meas"][res]) for m, p in mins), len(mins))
                          for res in RESOURCES}
    result["model_hls4ml"] = {res: ((statistics.median(ape(p[res], m["meas"][res]) for m, p in mhls), len(mhls))
                                    if res in ("dsp", "ff", "bram18k") else (None, 0)) for res in RESOURCES}
    return result


def format_table(result: dict) -> str:
    def cell(v):
        m, n = v
        return "n/a" if m is None else f"{m:.0f} % (n={n})"

    lines = ["| rows | estimator | DSP | LUT | FF | BRAM18K | latency |", "|---|---|---|---|---|---|---|"]
    spec = [("Dense layers", "hlsnb, leave-one-design-out", "dense_loo"),
            ("Dense layers", "hlsnb, in-sample", "dense_in"),
            ("Dense layers", "hls4ml objective formulas", "dense_hls4ml"),
            ("Dense layers with DSPs > 0", "hlsnb, leave-one-design-out", "dsp_loo"),
            ("Dense layers with DSPs > 0", "hls4ml objective formulas", "dsp_hls4ml"),
            ("all layers (Dense, ReLU, Softmax)", "hlsnb, leave-one-design-out", "all_loo"),
            ("whole designs", "hlsnb, leave-one-design-out", "model_loo"),
            ("whole designs", "hlsnb, in-sample", "model_in"),
            ("whole designs", "hls4ml objective formulas (Dense only)", "model_hls4ml")]
    for rows, who, key in spec:
        t = result[key]
        lines.append(f"| {rows} | {who} | " + " | ".join(cell(t[r]) for r in RESOURCES) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--csv", required=True, help="path to reports.csv (../shared/calibration/reports.csv)")
    ap.add_argument("--out", default=str(_core._COEF_PATH), help="where to write the coefficients")
    ap.add_argument("--no-write", action="store_true", help="only print the error table")
    a = ap.parse_args(argv)
    recs = load_rows(a.csv)
    models = load_models(a.csv)
    start = {k: v for k, v in _core.load_coefficients().items() if k not in ("share_a", "share_b")}
    result = evaluate(recs, models, start)
    resource_designs = load_resource_designs(a.csv)
    coef = fit_resource_write_select(resource_designs, result["coef"])
    digest = hashlib.sha256(Path(a.csv).read_bytes()).hexdigest()[:16]
    coef = {k: (round(v, 6) if isinstance(v, float) else v) for k, v in coef.items() if not k.startswith("_")}
    coef["_comment"] = (f"fitted by `python -m hlsnb.estimate.calibrate` on reports.csv sha256:{digest} "
                        f"({len(recs)} layer rows, {len(models)} design rows); do not edit by hand")
    print(f"calibration rows: {len(recs)} MLP layers ({sum(r['type'] == 'dense' for r in recs)} Dense), "
          f"{len(models)} MLP designs; {len({r['network'] for r in recs})} networks held out in turn")
    print("CNN rows (Keb-L/hls4ml-data) not used: ReuseFactor, precision and layer geometry are not recorded per row.")
    for d in resource_designs:
        print(f"Resource design report used for the accumulator write-select term (one point, in-sample): "
              f"{d['network']}, RF {d['rf']}: LUT {d['meas']['lut']:.0f} reported, "
              f"{_resource_design_lut(d, coef):.0f} estimated after the fit")
    print()
    print(format_table(result))
    print()
    print("coefficients:", json.dumps({k: v for k, v in coef.items() if not k.startswith("_")}, sort_keys=True))
    if not a.no_write:
        Path(a.out).write_text(json.dumps(dict(sorted(coef.items())), indent=1) + "\n")
        print(f"wrote {a.out}")
        with open(a.csv, newline="") as f:
            reader = csv.DictReader(f)
            rows = [r for r in reader if _used(r)]
            fields = reader.fieldnames
        rows_path = Path(a.out).with_name(SHIPPED_ROWS.name)
        with open(rows_path, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=fields)
            w.writeheader()
            w.writerows(rows)
        print(f"wrote {rows_path} ({len(rows)} rows used by the fit)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
