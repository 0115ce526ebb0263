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

import math
import statistics
from collections import defaultdict

from ..estimate import estimate_design, estimate_layer, layer_input
from ..estimate.model import AXES, Calibration, layer_regime, regime_key
from .evaluation import hls4ml_formulas
from .per_tool import fit_per_tool
from .rows import design_of, group_models

__all__ = ["RESOURCES", "loro", "predict_rows", "error_table", "format_error_table", "regime_errors_of",
           "paired_strategy_errors",
           "marginal_table", "format_marginal_table", "MARGINS"]

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
                        "hls4ml": _hls4ml(r), "rec": r, "regime": layer_regime(layer_input(**r["kw"]), "csynth")})
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
            e = [x for x in (_err(r["pred"].get(res), r["meas"].get(res)) for r in sel) if x is not None]
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


def _medians(sel: list[dict]) -> dict:
    t = {"n": len(sel)}
    for res in ("lut", "ff", "dsp", "latency"):
        e = [x for x in (_err(r["pred"].get(res), r["meas"].get(res)) for r in sel) if x is not None]
        t[res] = round(statistics.median(e), 4) if e else None
    return t


def regime_errors_of(rows: list[dict]) -> dict:
    """The held-out errors per regime, as ``errors_by_regime.json`` holds them: ``"layer"``: every prefix of the
    regime axes (:data:`hlsnb.estimate.model.AXES`, from tool and layer group to the full regime) -> ``{"n",
    "lut", "ff", "dsp", "latency"}`` medians (latency: csynth rows); ``"design"``: ``tool | design | stage |
    strategies`` (and ``... | all``). Flagged rows (a report that disagrees with its committed configuration, or a
    convolution of an hls4ml older than the one modelled: :mod:`hlsnb.calibration.rows`) are left out, as they are of
    every fit: their error measures the row, not the estimator; :func:`marginal_table` shows them beside."""
    rows = [r for r in rows if not r["rec"]["check"] and not r["rec"]["flag"]]  # checks: shown on their own
    layer = defaultdict(list)
    for row in rows:
        if "regime" in row:
            for d in range(2, len(AXES) + 1):
                layer[regime_key(row["regime"], d)].append(row)
    design = defaultdict(list)
    for row in rows:
        tool, typ, strategy, stage = row["key"]
        if typ == "design":
            design[f"{tool} | design | {stage} | {strategy}"].append(row)
            design[f"{tool} | design | {stage} | all"].append(row)
    return {"layer": {k: _medians(v) for k, v in sorted(layer.items())},
            "design": {k: _medians(v) for k, v in sorted(design.items())}}


def paired_strategy_errors(rows: list[dict]) -> dict:
    """How well the estimator tells Latency from Resource on the same layer or design: the held-out rows of one
    repository, layer (or design), shape, widths, zeros, clock, io type and part built once with each strategy
    (csynth; the seed reports, checks, left out), and for each pair the error of the estimated Resource / Latency
    ratio against the reported one, ``exp(|log(est R/L) - log(report R/L)|) - 1``. Returns ``{"n", "lut", "ff"`` (the
    medians)``, "pairs": [...]}``: the error bar of an *ordering* (which strategy is larger), which two independent
    regime error bars overstate when the errors of a pair move together, and understate when they do not. Flagged
    rows are left out (see :func:`regime_errors_of`)."""
    groups: dict = defaultdict(dict)
    for r in rows:
        tool, typ, strategy, stage = r["key"]
        rec = r["rec"]
        if rec["check"] or rec["flag"] or stage != "csynth" or strategy not in ("Latency", "Resource") \
                or typ not in ("Dense", "Conv", "design"):
            continue
        row, kw = rec.get("row", {}), rec.get("kw") or {}
        ident = (tool, rec["repo"], typ, row.get("model_arch") if typ == "design" else row.get("layer_name"),
                 kw.get("n_in"), kw.get("n_out"), kw.get("weight_bits"), kw.get("n_zeros"), row.get("clock_ns"),
                 row.get("io_type"), row.get("part"))
        groups[ident].setdefault(strategy, r)  # one build of each strategy per pair
    pairs = []
    for ident, g in sorted(groups.items(), key=lambda kv: str(kv[0])):
        if len(g) != 2:
            continue
        lat, res = g["Latency"], g["Resource"]
        pair = {"tool": ident[0], "repo": ident[1], "what": f"{ident[2]} {ident[3]}",
                "rf": [lat["rec"].get("rf"), res["rec"].get("rf")]}
        for k in ("lut", "ff"):
            ml, mr, pl, pr = lat["meas"].get(k), res["meas"].get(k), lat["pred"].get(k), res["pred"].get(k)
            if all(v is not None and v > 0 for v in (ml, mr, pl, pr)):
                pair[f"report_ratio_{k}"] = round(mr / ml, 4)
                pair[f"estimate_ratio_{k}"] = round(pr / pl, 4)
                pair[k] = round(math.exp(abs(math.log(pr / pl) - math.log(mr / ml))) - 1, 4)
        pairs.append(pair)
    out = {"n": len(pairs), "pairs": pairs}
    for k in ("lut", "ff"):
        e = [p[k] for p in pairs if k in p]
        out[k] = round(statistics.median(e), 4) if e else None
    return out


#: The regime splits of the README / docs table: (label, axis, value) over the per-layer rows of Dense/Conv layers
#: for the weight, pruning, strategy and RF splits, over every layer row for the tool split.
MARGINS = (("weights <= 8 bits", "weights", "<= 8 bits"), ("weights > 8 bits", "weights", "> 8 bits"),
           ("pruned (>= 30 % zeros)", "pruned", "pruned"), ("dense (< 30 % zeros)", "pruned", "dense"),
           ("Latency", "strategy", "Latency"), ("Resource", "strategy", "Resource"),
           ("RF 1", "rf", "RF 1"), ("RF > 1", "rf", "RF > 1"),
           ("Vivado HLS, all layers", "tool", "vivado_hls"), ("Vitis HLS, all layers", "tool", "vitis_hls"))


def marginal_table(rows: list[dict], min_rows: int = 10) -> list[dict]:
    """One row per regime split of :data:`MARGINS` and HLS tool (per-layer held-out rows, csynth; the seed reports,
    checks, left out), plus the whole designs per stage: ``{"regime", "tool", "n", "lut", "ff", "dsp", "meets",
    "flagged"}`` where ``meets`` is True when n >= ``min_rows`` and every median is <= 0.30, False when the target is
    missed, None when the data are thin. The medians and the verdict are of the rows the estimator models: flagged
    rows (a report that disagrees with its committed configuration, or a convolution of an hls4ml older than the one
    modelled) are left out as they are of every fit, and shown beside: ``flagged`` is ``None`` when the regime has
    none, else the medians of every row with them (``{"n", "lut", "ff", "dsp", "latency", "n_flagged"}``)."""
    out = []
    rows = [r for r in rows if not r["rec"]["check"]]  # the seed reports are checks, shown on their own
    layer_rows = [r for r in rows if "regime" in r]
    for tool in ("vivado_hls", "vitis_hls"):
        for label, axis, value in MARGINS:
            if axis == "tool":
                if value != tool:
                    continue
                sel = [r for r in layer_rows if r["regime"]["tool"] == tool]
            else:
                sel = [r for r in layer_rows if r["regime"]["tool"] == tool and r["regime"][axis] == value]
            out.append(_margin_row(label, tool, sel, min_rows))
        for stage in ("csynth", "vsynth"):
            sel = [r for r in rows if r["key"][0] == tool and r["key"][1] == "design" and r["key"][3] == stage]
            out.append(_margin_row(f"whole designs, {stage}", tool, sel, min_rows))
    return out


def _margin_row(label, tool, sel, min_rows) -> dict:
    modelled = [r for r in sel if not r["rec"]["flag"]]
    t = _medians(modelled)
    vals = [t[k] for k in ("lut", "ff", "dsp") if t[k] is not None]
    meets = None if t["n"] < min_rows else all(v <= 0.30 for v in vals)
    flagged = dict(_medians(sel), n_flagged=len(sel) - len(modelled)) if len(modelled) < len(sel) else None
    return dict(regime=label, tool=tool, meets=meets, flagged=flagged, **t)


_TOOL = {"vivado_hls": "Vivado HLS", "vitis_hls": "Vitis HLS"}


def format_marginal_table(table: list[dict]) -> str:
    """The regime table as Markdown (median |estimate - report| / report of held-out rows)."""
    def pct(v):
        return "-" if v is None else f"{100 * v:.0f} %"

    lines = ["| HLS tool | regime | held-out rows | LUT | FF | DSP | target (<= 30 %, n >= 10) | "
             "with the flagged rows: n, LUT / FF / DSP |",
             "|---|---|---:|---:|---:|---:|---|---|"]
    for t in table:
        if not t["n"]:
            continue
        verdict = "thin data" if t["meets"] is None else ("met" if t["meets"] else "**missed**")
        f = t.get("flagged")
        beside = f"{f['n']} (+{f['n_flagged']}): {pct(f['lut'])} / {pct(f['ff'])} / {pct(f['dsp'])}" if f else "-"
        lines.append(f"| {_TOOL[t['tool']]} | {t['regime']} | {t['n']} | {pct(t['lut'])} | {pct(t['ff'])} | "
                     f"{pct(t['dsp'])} | {verdict} | {beside} |")
    return "\n".join(lines)
