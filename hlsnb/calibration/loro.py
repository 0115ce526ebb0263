"""Leave-one-repository-out (LORO) errors of the estimator on the calibration records, next to hls4ml's formulas.

Each repository of the data is held out in turn: the ``per_tool`` coefficients are refitted on the others
(:func:`hlsnb.calibration.per_tool.fit_per_tool`) and the held-out rows are predicted with that fit, per layer and
per whole design (csynth rows, and Vivado synthesis rows with ``stage="vsynth"``). The error of a row is
``|estimate - report| / max(report, 1)``; the tables give the median per tool x layer type x strategy x stage.
The shared coefficients are the Vitis HLS fit on the ArgyKokk MLPs, the only Vitis HLS repository with recorded
configurations: its Vitis rows are therefore in-sample here (their leave-one-network-out errors are the first table
of ``make calibrate``).
"""

from __future__ import annotations

import statistics
from collections import defaultdict

from ..estimate import estimate_design, estimate_layer
from ..estimate._calibration import Calibration
from .evaluation import hls4ml_formulas
from .per_tool import fit_per_tool
from .rows import design_of, group_models

__all__ = ["RESOURCES", "loro", "predict_rows", "error_table", "format_error_table"]

#: The columns of the LORO tables.
RESOURCES = ("dsp", "lut", "ff", "latency")


def _cal(shared: dict, per_tool: dict) -> Calibration:
    return Calibration(dict(shared, per_tool=per_tool), source="fit")


def _layer_numbers(rec: dict, cal: Calibration):
    try:
        e = estimate_layer(**rec["kw"], calibration=cal)
    except ValueError:
        return None
    if not e.estimated:
        return None
    return {"dsp": e.dsp, "lut": e.lut, "ff": e.ff, "bram18k": e.bram18k, "latency": e.latency_cycles}


def _design_numbers(layers: list[dict], stage: str, cal: Calibration):
    d = design_of(layers)
    if d is None:
        return None
    e = estimate_design(d, stage=stage, calibration=cal)
    if e.not_estimated:
        return None
    return {**{r: e.total[r] for r in ("dsp", "lut", "ff", "bram18k")}, "latency": e.latency_cycles}


def _hls4ml(rec: dict) -> dict:
    """hls4ml's objective formulas for a Dense record (DSP and FF; ``None`` elsewhere)."""
    if rec["type"] != "Dense":
        return {}
    h = hls4ml_formulas({"type": "dense", "kw": rec["kw"]})
    return {"dsp": h["dsp"], "ff": h["ff"]}


def predict_rows(recs: list[dict], cals: dict) -> list[dict]:
    """One row per estimable record: ``key`` (tool, type, strategy, stage), ``meas``, ``pred``, ``hls4ml``.

    ``cals``: repository -> the Calibration that predicts its rows (the fit without it).
    """
    out = []
    for r in recs:
        if r["scope"] != "layer" or r["kw"] is None:
            continue
        p = _layer_numbers(r, cals[r["repo"]])
        if p is not None:
            out.append({"key": (r["tool"], r["type"], r["strategy"] or "-", "csynth"), "meas": r["meas"], "pred": p,
                        "hls4ml": _hls4ml(r), "rec": r})
    for m, c, layers in group_models(recs):
        if not layers or any(x["kw"] is None for x in layers):
            continue
        stage = "csynth" if m["stage"] == "csynth" else "vsynth"
        p = _design_numbers(layers, stage, cals[m["repo"]])
        if p is None:
            continue
        h = defaultdict(float)
        for x in layers:
            for k, v in _hls4ml(x).items():
                h[k] += v or 0
        strategies = {x["strategy"] for x in layers if x["strategy"]}
        out.append({"key": (c["tool"], "design", "/".join(sorted(strategies)) or "-", stage), "meas": m["meas"],
                    "pred": dict(p, latency=p["latency"] if stage == "csynth" else None), "hls4ml": dict(h),
                    "rec": m})
    return out


def loro(recs: list[dict], shared: dict) -> tuple[list[dict], dict]:
    """Predict every record with the fit that did not see its repository; returns (rows, fits by repository)."""
    repos = sorted({r["repo"] for r in recs})
    fits = {g: fit_per_tool(recs, set(repos) - {g}, shared) for g in repos}
    return predict_rows(recs, {g: _cal(shared, f) for g, f in fits.items()}), fits


def _err(p, m):
    if p is None or m is None:
        return None
    return abs(p - m) / max(abs(m), 1.0)


def error_table(rows: list[dict]) -> dict:
    """key -> {"n": rows, res: median error, "hls4ml_" + res: hls4ml's median error (where it has a formula)}.

    Whole designs are grouped by their strategies and also all together (strategy ``"all"``)."""
    groups = defaultdict(list)
    for row in rows:
        groups[row["key"]].append(row)
        tool, typ, _, stage = row["key"]
        if typ == "design":  # whole designs of every strategy together as well
            groups[(tool, typ, "all", stage)].append(row)
    out = {}
    for key, sel in sorted(groups.items(), key=lambda kv: tuple(str(x) for x in kv[0])):
        t = {"n": len(sel)}
        for res in RESOURCES:
            e = [x for x in (_err(r["pred"].get(res), r["meas"][res]) for r in sel) if x is not None]
            t[res] = statistics.median(e) if e else None
            h = [x for x in (_err(r["hls4ml"].get(res), r["meas"][res]) for r in sel) if x is not None]
            t["hls4ml_" + res] = statistics.median(h) if h else None
        out[key] = t
    return out


def format_error_table(table: dict) -> str:
    """The LORO table as Markdown: hlsnb's median error, hls4ml's formula in brackets where it has one."""
    def cell(t, res):
        v, h = t[res], t["hls4ml_" + res]
        if v is None:
            return "-"
        return f"{v:.2f}" + (f" ({h:.2f})" if h is not None else "")

    lines = ["| tool | layer | strategy | stage | n | DSP | LUT | FF | latency |", "|---" * 9 + "|"]
    for (tool, typ, strategy, stage), t in table.items():
        lines.append(f"| {tool} | {typ} | {strategy} | {stage} | {t['n']} | "
                     + " | ".join(cell(t, r) for r in RESOURCES) + " |")
    return "\n".join(lines)
