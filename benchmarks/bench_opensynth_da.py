"""Calibrate hlsnb's distributed_arithmetic estimate against real open synthesis (da4ml Verilog + Yosys).

Sweep: one Dense layer per point, layer sizes x weight bit widths, inputs ap_fixed<8,3>, random weights (seeded),
7-series (xc7z020, the PYNQ-Z2 part). For each point: Yosys's LUT count (``synth_xilinx -flatten``), hlsnb's DA
estimate (csynth and vsynth stages) and da4ml's own cost. Then one scale factor on the estimator's adder count
(its ``adders = 0.5 * digits`` share) is fitted to Yosys by least squares in log space, and the error before and
after is stated (MAPE and the worst point). Results: ``benchmarks/results/opensynth_da.json``.

    nice -n 10 .venv/bin/python benchmarks/bench_opensynth_da.py   # ~5 min on 2 cores (Yosys runs are cached)

Needs da4ml and yosys (``make test`` installs them); exits 0 with a note when they are absent.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

SIZES = [(8, 8), (16, 16), (16, 32), (32, 32)]
WEIGHT_BITS = [4, 6, 8]
INPUT = "ap_fixed<8,3>"
OUT = Path(__file__).resolve().parent / "results" / "opensynth_da.json"
WORK = Path("hlsnb_work/bench_opensynth_da")


def _point(n_in, n_out, w_bits):
    import keras

    from hlsnb.design import Design
    from hlsnb.estimate import estimate_design
    from hlsnb.opensynth import da_version, open_synth

    keras.utils.set_random_seed(1000 * n_in + 10 * n_out + w_bits)
    model = keras.Sequential([keras.Input((n_in,)), keras.layers.Dense(n_out, name="fc")])
    # weights spread over the weight type's range, as a trained layer's would be (|w| < 1)
    w = np.random.default_rng(n_in * n_out + w_bits).normal(0, 0.35, size=(n_in, n_out)).clip(-0.99, 0.99)
    model.get_layer("fc").set_weights([w.astype(np.float32), np.zeros(n_out, np.float32)])
    design = Design.from_keras(model, board="pynq-z2", precision=INPUT)
    design.set("fc", weight_precision=f"ap_fixed<{w_bits},1>", bias_precision=f"ap_fixed<{w_bits},1>",
               accum_precision="ap_fixed<24,10>", result_precision="ap_fixed<24,10>")
    da = da_version(design)
    res = open_synth(da, model, WORK / f"d{n_in}x{n_out}w{w_bits}", echo=False, progress=False)
    est = {st: next(e for e in estimate_design(da, stage=st).layers if e.name == "fc").lut
           for st in ("csynth", "vsynth")}
    return {
        "n_in": n_in, "n_out": n_out, "weight_bits": w_bits, "input": INPUT,
        "yosys_lut": res.report.model.lut, "yosys_cells": res.cells, "yosys_seconds": round(res.runs[0].seconds, 2),
        "cached": res.runs[0].cached, "da4ml_lut": res.rtl.trace.da4ml_lut,
        "est_lut_csynth": est["csynth"], "est_lut_vsynth": est["vsynth"], "tool": res.report.tool,
    }


def _err(pred, meas):
    r = np.asarray(pred, float) / np.asarray(meas, float)
    return {"mape_pct": round(float(np.mean(np.abs(r - 1)) * 100), 1),
            "worst_pct": round(float(np.max(np.abs(r - 1)) * 100), 1),
            "median_ratio": round(float(np.median(r)), 3)}


def main() -> int:
    from hlsnb.synth.tools import detect_open_synth

    mode = detect_open_synth()
    if mode.mode != "open synth":
        print(f"skipped: {mode.message}")
        return 0
    rows = []
    t0 = time.monotonic()
    for n_in, n_out in SIZES:
        for b in WEIGHT_BITS:
            r = _point(n_in, n_out, b)
            rows.append(r)
            print(f"{n_in}x{n_out} w{b}: Yosys LUT {r['yosys_lut']}, estimate {r['est_lut_vsynth']:.0f} (vsynth) / "
                  f"{r['est_lut_csynth']:.0f} (csynth), da4ml {r['da4ml_lut']:.0f}  [{r['yosys_seconds']} s"
                  f"{', cached' if r['cached'] else ''}]", flush=True)
    y = np.array([r["yosys_lut"] for r in rows], float)
    fit = {}
    for st in ("csynth", "vsynth"):
        e = np.array([r[f"est_lut_{st}"] for r in rows], float)
        scale = float(np.exp(np.mean(np.log(y / e))))  # least squares in log space: one factor on the adder count
        fit[st] = {"before": _err(e, y), "scale": round(scale, 3), "after": _err(e * scale, y)}
    out = {
        "what": "hlsnb distributed_arithmetic LUT estimate vs Yosys synth_xilinx -flatten (7-series, xc7z020), "
                "one Dense layer per point, combinational DA (no pipeline registers)",
        "rows": rows,
        "da4ml_vs_yosys": _err([r["da4ml_lut"] for r in rows], y),
        "fit": fit,
        "coefficient": {
            "name": "da_adder_share",
            "meaning": "adders = da_adder_share * CSD digits of the quantised weight matrix "
                       "(hlsnb/estimate/_kernel.py _dense_da uses 0.5)",
            "shipped": 0.5,
            "fitted_vsynth": round(0.5 * fit["vsynth"]["scale"], 3),
            "fitted_csynth": round(0.5 * fit["csynth"]["scale"], 3),
        },
        "seconds": round(time.monotonic() - t0, 1),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, indent=1) + "\n")
    for st, f in fit.items():
        print(f"{st}: before MAPE {f['before']['mape_pct']} % (worst {f['before']['worst_pct']} %), scale "
              f"{f['scale']} -> after MAPE {f['after']['mape_pct']} % (worst {f['after']['worst_pct']} %)")
    print(f"da4ml's own estimate vs Yosys: MAPE {out['da4ml_vs_yosys']['mape_pct']} %; wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
