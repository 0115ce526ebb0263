"""Refit the shipped coefficients on the calibration reports and print the error tables, reproducibly.

    python -m hlsnb.calibration --csv ../shared/calibration/reports.csv [--no-write] [--out PATH]

(``python -m hlsnb.estimate.calibrate`` is the same command.) Prints the leave-one-design-out (each network held out
in turn, all its variants) median absolute % error per resource, next to hls4ml's own objective formulas, and the
in-sample errors; writes ``coefficients.json`` and the rows it was fitted on (``calibration_rows.csv``).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
from pathlib import Path

from ..estimate._calibration import SHIPPED_PATH, Calibration
from .evaluation import evaluate, format_table
from .fitting import (
    SHIPPED_ROWS,
    _resource_design_lut,
    _used,
    fit_resource_write_select,
    load_models,
    load_resource_designs,
    load_rows,
)

__all__ = ["main"]


def main(argv=None) -> int:
    """The command line: fit, print the tables, write the coefficients (unless ``--no-write``)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--csv", required=True, help="path to reports.csv (../shared/calibration/reports.csv)")
    ap.add_argument("--out", default=str(SHIPPED_PATH), help="where to write the coefficients")
    ap.add_argument("--no-write", action="store_true", help="only print the error table")
    a = ap.parse_args(argv)
    recs = load_rows(a.csv)
    models = load_models(a.csv)
    start = {k: v for k, v in Calibration.shipped().coefficients.items() if k not in ("share_a", "share_b")}
    result = evaluate(recs, models, start)
    resource_designs = load_resource_designs(a.csv)
    coef = fit_resource_write_select(resource_designs, result["coef"])
    digest = hashlib.sha256(Path(a.csv).read_bytes()).hexdigest()[:16]
    coef = {k: (round(v, 6) if isinstance(v, float) else v) for k, v in coef.items() if not k.startswith("_")}
    coef["_comment"] = (f"fitted by `python -m hlsnb.calibration` on reports.csv sha256:{digest} "
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
