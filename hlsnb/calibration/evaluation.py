"""How far the estimator is from real reports: leave-one-design-out and in-sample error tables, next to hls4ml's
own objective formulas (DSP = n_in*n_out/RF when weights >= 9 bits, else 0; BRAM = 0 for Latency; FF from
``VivadoFFEstimator``).
"""

from __future__ import annotations

import statistics

from ..estimate import RESOURCES
from .fitting import fit_coefficients, predict

__all__ = ["COLUMNS", "evaluate", "format_table", "hls4ml_formulas", "ape"]

#: The columns of the error tables: the estimate's resources and the latency.
COLUMNS = (*RESOURCES, "latency")


def hls4ml_formulas(rec: dict) -> dict:
    """hls4ml's pruning-objective numbers for a Dense row (None where hls4ml has no formula)."""
    if rec["type"] != "dense":
        return {k: None for k in COLUMNS}
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
    """Fit with each network held out in turn and on all rows; the median absolute % errors per table."""
    nets = sorted({r["network"] for r in recs})
    loo: dict = {}
    for g in nets:
        coef = fit_coefficients([r for r in recs if r["network"] != g], start)
        for r in recs:
            if r["network"] == g:
                loo[id(r)] = predict(r, coef)
    full = fit_coefficients(recs, start)
    ins = {id(r): predict(r, full) for r in recs}

    def table(sel, preds):
        out = {}
        for res in COLUMNS:
            e = [ape(preds[id(r)][res], r["meas"][res]) for r in sel]
            out[res] = (statistics.median(e) if e else None, len(e))
        return out

    def table_hls(sel):
        out = {}
        for res in COLUMNS:
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
            store.append((m, {res: sum(preds[id(r)][res] for r in layers) for res in COLUMNS}))
        h = {res: sum((hls4ml_formulas(r)[res] or 0) for r in layers if r["type"] == "dense") for res in
             ("dsp", "ff", "bram18k")}
        mhls.append((m, h))
    result["model_loo"] = {res: (statistics.median(ape(p[res], m["meas"][res]) for m, p in mloo), len(mloo))
                           for res in COLUMNS}
    result["model_in"] = {res: (statistics.median(ape(p[res], m["meas"][res]) for m, p in mins), len(mins))
                          for res in COLUMNS}
    result["model_hls4ml"] = {res: ((statistics.median(ape(p[res], m["meas"][res]) for m, p in mhls), len(mhls))
                                    if res in ("dsp", "ff", "bram18k") else (None, 0)) for res in COLUMNS}
    return result


def format_table(result: dict) -> str:
    """The error tables of :func:`evaluate` as one Markdown table."""
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
        lines.append(f"| {rows} | {who} | " + " | ".join(cell(t[r]) for r in COLUMNS) + " |")
    return "\n".join(lines)
