"""Cross-check of the pruning benchmark on open hardware: the pruned designs' distributed-arithmetic versions
synthesised with Yosys (hlsnb.opensynth: da4ml Verilog, ``synth_xilinx -flatten``, 7-series), beside hlsnb's DA
estimate of the same design.

In distributed arithmetic every product by a constant weight is shifts and adds in LUTs: a zero weight costs
nothing and a weight with few signed digits costs little, so the Yosys LUT count of the DA version is a real,
tool-made measure of how much multiplication logic a pruned model still needs (no DSP mapping rule involved).
It reads the models ``benchmarks/bench_pruning_vs_hls4ml.py`` kept (``--save-models``, default
``hlsnb_work/bench_pruning_vs_hls4ml``). Yosys is CPU-heavy: run a few designs, with nice.

    nice -n 10 python benchmarks/bench_pruning_opensynth.py --dataset digits --seed 0 \\
        --tools "hls4ml l1" hlsnb "hlsnb (hls4ml's loop)"

Results: ``benchmarks/results/pruning_opensynth.json`` (rows, command, seconds).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "benchmarks", "results", "pruning_opensynth.json")


def _bench():
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_pruning_vs_hls4ml",
                                                  os.path.join(ROOT, "benchmarks", "bench_pruning_vs_hls4ml.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def synth_one(path: str, work: str) -> dict:
    """Yosys LUTs (and cells) of the DA version of the model saved at ``path``, with hlsnb's DA estimate."""
    from hlsnb.estimate import estimate_design
    from hlsnb.opensynth import da_version, open_synth

    b = _bench()
    d = np.load(path)
    model = b._model(int(d["n_in"]), int(d["n_out"]), 0)
    model.set_weights(b.read_weights(d))
    design = b._design(model, json.loads(str(d["types"])))
    design.attach_weights(model)
    da = da_version(design)
    da.attach_weights(model)
    t0 = time.time()
    res = open_synth(da, model, work, echo=False, progress=False, timeout_s=3 * 3600)
    est = estimate_design(da, stage="vsynth").total
    kernels = [w for w in model.get_weights() if w.ndim == 2]
    return {"model": os.path.basename(path), "nonzero_weights": int(sum(np.count_nonzero(k) for k in kernels)),
            "yosys_lut": res.report.model.lut, "yosys_ff": res.report.model.ff, "yosys_dsp": res.report.model.dsp,
            "yosys_cells": res.cells, "est_lut_vsynth": float(est["lut"]), "est_dsp": float(est["dsp"]),
            "da4ml_lut": getattr(res.rtl.trace, "da4ml_lut", None), "seconds": round(time.time() - t0, 1),
            "synth_tool": res.report.tool}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default=os.path.join("hlsnb_work", "bench_pruning_vs_hls4ml"))
    ap.add_argument("--dataset", default="digits")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tools", nargs="+", default=["hls4ml l1", "hlsnb", "hlsnb (hls4ml's loop)"])
    ap.add_argument("--work", default=os.path.join("hlsnb_work", "bench_pruning_opensynth"))
    ap.add_argument("--out", default=OUT)
    args = ap.parse_args(argv)
    try:
        from hlsnb.opensynth.yosys import find_yosys

        find_yosys()
    except Exception as e:  # noqa: BLE001  (no Yosys / da4ml: say so and stop cleanly)
        print(f"open synthesis not available here: {e}", file=sys.stderr)
        return 0
    t0 = time.time()
    rows = []
    for tool in args.tools:
        name = f"{args.dataset}_{args.seed}_{tool.replace(' ', '_')}"
        path = os.path.join(args.models, name + ".npz")
        if not os.path.exists(path):
            print(f"no saved model {path}: run benchmarks/bench_pruning_vs_hls4ml.py first", file=sys.stderr)
            return 2
        row = {"dataset": args.dataset, "seed": args.seed, "tool": tool, **synth_one(path, os.path.join(args.work,
                                                                                                           name))}
        rows.append(row)
        print(f"[{time.time() - t0:6.0f} s] {tool}: {row['nonzero_weights']} non-zero weights, Yosys "
              f"{row['yosys_lut']:,} LUT (DA version, post-synthesis), hlsnb DA estimate "
              f"{row['est_lut_vsynth']:,.0f} LUT (vsynth)", flush=True)
    from hlsnb.fileio import atomic_write

    result = {"benchmark": "bench_pruning_opensynth",
              "command": "python benchmarks/bench_pruning_opensynth.py " + shlex.join(sys.argv[1:] if argv is None
                                                                                       else list(argv)),
              "what": "distributed-arithmetic version of each pruned design (every Dense on "
                      "distributed_arithmetic, RF 1, the benchmark's precisions), Yosys synth_xilinx -flatten "
                      "(7-series, xc7z020): post-synthesis LUTs of an open flow, not Vivado; beside hlsnb's DA "
                      "estimate (stage vsynth)",
              "seconds": time.time() - t0, "rows": rows}
    atomic_write(args.out, json.dumps(result, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
