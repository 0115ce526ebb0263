"""Refit the shipped coefficients on the calibration reports and print the error tables, reproducibly.

    python -m hlsnb.calibration --csv ../shared/calibration/reports.csv --csv ../shared/calibration/reports2.csv \
        --csv ../shared/calibration/reports3.csv [--no-write] [--out PATH]

(``make calibrate``; ``python -m hlsnb.estimate.calibrate`` is the same command.)

1. The shared coefficients: the Vitis HLS 2021.1 fit on the ArgyKokk MLPs of the first CSV, with its
   leave-one-network-out table next to hls4ml's objective formulas (as before issue 12).
2. The ``per_tool`` block (Vivado HLS terms, Resource terms, post-synthesis ratios) on the rows of every CSV, and the
   leave-one-REPOSITORY-out table by tool x layer type x strategy x stage, per layer and per whole design, with
   hls4ml's formulas in brackets where it has one.
3. The forum's seed design predicted by the final fit (a check: nothing is fitted on it).

Writes ``coefficients.json`` (shared + ``per_tool``), ``calibration_rows.csv`` (the ArgyKokk rows, for
``hlsnb.synth.recalibrate``) and the rows of every CSV the fit used into ``hlsnb/calibration/data/`` (so the
package never reads ../shared at run time).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import time
from pathlib import Path

from ..estimate.model import ERRORS_PATH, SHIPPED_PATH, Calibration
from ..fileio import atomic_write
from .evaluation import evaluate, format_table
from .fitting import SHIPPED_ROWS, _used, load_models, load_rows
from .loro import (
    error_table,
    format_error_table,
    format_marginal_table,
    loro,
    marginal_table,
    paired_strategy_errors,
    regime_errors_of,
)
from .per_tool import SHARED_STRUCTURAL, constant_rule_loro, fit_per_tool
from .rows import load_records
from .seed import seed_check

__all__ = ["main", "DATA_DIR"]

#: Where the calibration rows the fit used are kept inside the package.
DATA_DIR = Path(__file__).with_name("data")
#: Shared coefficients no longer fitted on the shared (Vitis) data: the accumulator write select was fitted on the
#: forum's seed report alone, which is now a check; every tool takes it from the Resource fit of the ``per_tool`` block.
_NOT_SHARED = ("lut_wsel_per_bit",)


def _pct(v) -> str:
    return "-" if v is None else f"{100 * v:.0f} %"


def _digest(paths) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(Path(p).read_bytes())
    return h.hexdigest()[:16]


def _write_rows(src: Path, dest: Path, keep) -> int:
    with open(src, newline="") as f:
        reader = csv.DictReader(f)
        rows = [r for r in reader if keep(r)]
        fields = reader.fieldnames
    out = io.StringIO(newline="")
    w = csv.DictWriter(out, fieldnames=fields)
    w.writeheader()
    w.writerows(rows)
    atomic_write(dest, out.getvalue())
    return len(rows)


def _row_filter(name: str, used: set):
    """A predicate for the rows of file ``name`` in order: True for those whose (file, index) is in ``used``."""
    index = iter(range(10 ** 9))
    return lambda row: (name, next(index)) in used


def main(argv=None) -> int:
    """The command line: fit, print the tables, write the coefficients (unless ``--no-write``)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--csv", action="append", required=True,
                    help="a calibration CSV; give reports.csv (the Vitis MLPs) first, then reports2.csv, reports3.csv")
    ap.add_argument("--out", default=str(SHIPPED_PATH), help="where to write the coefficients")
    ap.add_argument("--no-write", action="store_true", help="only print the tables")
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    paths = [Path(p) for p in a.csv]
    first = paths[0]
    # 1. shared coefficients (Vitis HLS, ArgyKokk), leave-one-network-out
    recs = load_rows(first)
    models = load_models(first)
    start = {k: v for k, v in Calibration.shipped().coefficients.items()
             if k not in ("share_a", "share_b", "per_tool", *_NOT_SHARED) and not k.startswith("_")}
    start.update(SHARED_STRUCTURAL)
    result = evaluate(recs, models, start)
    shared = {k: (round(v, 6) if isinstance(v, float) else v) for k, v in result["coef"].items()
              if not k.startswith("_") and k not in _NOT_SHARED}
    print(f"shared coefficients: {len(recs)} Vitis HLS 2021.1 MLP layer rows, {len(models)} design rows "
          f"({len({r['network'] for r in recs})} networks held out in turn)")
    print(format_table(result))
    # 2. per-tool block, leave-one-repository-out
    records = load_records(paths)
    rows, _ = loro(records, shared)
    repos = sorted({r["repo"] for r in records})
    print(f"\nleave-one-repository-out ({len(repos)} repositories; {len(rows)} estimated rows of "
          f"{sum(r['scope'] == 'layer' for r in records)} layer and {sum(r['scope'] == 'model' for r in records)} "
          "design rows; median |estimate - report| / report; hls4ml's formulas in brackets):")
    print(format_error_table(error_table(rows)))
    print("\nby regime (per-layer held-out rows; whole designs below each tool; issue 23 target: median <= 30 % on "
          "LUT, FF and DSP where n >= 10):")
    margins = marginal_table(rows)
    print(format_marginal_table(margins))
    paired = paired_strategy_errors(rows)
    regimes = dict(regime_errors_of(rows), margins=margins, paired=paired)
    print(f"\nLatency vs Resource on the same layer or design ({paired['n']} held-out pairs, csynth; the error of the "
          "estimated Resource/Latency ratio against the reported one, the error bar of an ordering):"
          f" LUT {_pct(paired['lut'])}, FF {_pct(paired['ff'])} (medians)")
    for x in paired["pairs"]:
        est, rep = x.get("estimate_ratio_lut", float("nan")), x.get("report_ratio_lut", float("nan"))
        print(f"  {x['tool']} {x['repo']} {x['what']} (RF {x['rf'][0]} / {x['rf'][1]}): LUT ratio estimated "
              f"{est:.2f}, reported {rep:.2f}")
    per_tool = fit_per_tool(records, set(repos), shared)
    coef = dict(shared, per_tool=per_tool)
    # the constant-weight rule on repositories left out
    cr = constant_rule_loro(records, Calibration(coef, source="fit"))
    narrow = [x for x in cr if x["weight_bits"] <= 8]
    print("\nconstant-weight rule (Latency, -impl auto), each repository's rows predicted by the rule fitted "
          "without it:"
          f" {len(cr)} layers, DSP exact on {sum(x['dsp'] == x['report'] for x in cr)}; weights <= 8 bits: "
          f"{len(narrow)} layers, DSP exact on {sum(x['dsp'] == x['report'] for x in narrow)}:")
    for x in narrow:
        print(f"  {x['tool']} {x['repo']} {x['layer']}: {x['input_bits']}-bit input x {x['weight_bits']}-bit weights"
              f"{' (weights known)' if x['weights_known'] else ''}, rule t={x['t']:g}: DSP {x['dsp']:.0f} vs "
              f"{x['report']:.0f}")
    # 3. the seed reports, predicted (never fitted)
    seed = seed_check(Calibration(coef, source="fit"))
    print("\nthe forum's design (16-64-32-32-5, 6-bit weights, 75 % zeros, quantized ReLUs, pynq-z2, 5 ns, Vivado "
          "HLS 2019.2; checks, never fitted), csynth estimate vs report:")
    for key, label in (("resource", "Resource RF 64 (the forum's report)"),
                       ("latency", "Latency RF 64 (public build)")):
        x = seed[key]
        print(f"  {label}: " + ", ".join(
            f"{k.upper()} {x['csynth'][k]:,.0f} vs {x['report'][k]:,.0f} ({100 * x['error'][k]:+.0f} %)"
            for k in ("lut", "ff", "dsp", "bram18k")) + f"; II {x['csynth']['ii']}")
    coef["_comment"] = (f"fitted by `make calibrate` on {', '.join(p.name for p in paths)} sha256:{_digest(paths)} "
                        f"({len(recs)} shared-fit layer rows, {len(rows)} LORO rows); do not edit by hand")
    print("\ncoefficients:", json.dumps({k: v for k, v in coef.items() if not k.startswith("_")}, sort_keys=True))
    if not a.no_write:
        atomic_write(a.out, json.dumps(dict(sorted(coef.items())), indent=1, sort_keys=True) + "\n")
        print(f"wrote {a.out}")
        regimes["_comment"] = (f"median |estimate - report| / report of rows of repositories held out in turn "
                               f"(make calibrate on {', '.join(p.name for p in paths)} sha256:{_digest(paths)}); "
                               "do not edit by hand")
        errors_path = Path(a.out).with_name(ERRORS_PATH.name)
        atomic_write(errors_path, json.dumps(regimes, indent=1, sort_keys=True) + "\n")
        print(f"wrote {errors_path}")
        n = _write_rows(first, Path(a.out).with_name(SHIPPED_ROWS.name), _used)
        print(f"wrote {Path(a.out).with_name(SHIPPED_ROWS.name)} ({n} rows of the shared fit)")
        used = {(r["file"], r["idx"]) for r in records if r["kw"] is not None or r["scope"] == "model"}
        DATA_DIR.mkdir(exist_ok=True)
        for p in paths:
            n = _write_rows(p, DATA_DIR / p.name, _row_filter(p.name, used))
            print(f"wrote {DATA_DIR / p.name} ({n} rows used)")
    print(f"({time.perf_counter() - t0:.1f} s)")
    return 0
