"""Time fit_to_board, with and without the ParallelizationFactor search, on io_parallel CNNs (and an MLP).

    python benchmarks/bench_fit.py [--repeat 5] [--json benchmarks/results/fit.json]

Designs (all estimated by hlsnb, no synthesis):
- "CNN 8x8 (pynq-z2)": the untrained CNN of benchmarks/bench_widgets.py (8x8x1 input, Conv2D 8 'same' -> 64 output
  pixels, Conv2D 8 -> 36, Dense 5), io_parallel, on the PYNQ-Z2;
- "CNN 12x12 (pynq-z2)": an untrained 9-layer CNN (12x12x1, Conv2D 4 -> 100 output pixels, MaxPooling, Conv2D 8 ->
  9 pixels, MaxPooling, Dense 5), io_parallel, on the PYNQ-Z2: small enough to fit it, so the factor shows;
- "CNN 14 layers (zcu102)": the 14-layer CNN of benchmarks/bench_estimate.py (16x16x3, three Conv2D 3x3 with
  256, 64 and 16 output pixels, two MaxPooling, two Dense), switched to io_parallel;
- "MLP 16-64-32-32-5 (pynq-z2)": no convolution, so the ParallelizationFactor search has nothing to do (the
  check that it costs nothing there).
For each stage (csynth, vsynth) and target (80 %, 50 %): the median wall time of ``repeat`` runs (the estimator's
per-layer cache warm after the first), the latency of the result (cycles, estimated), whether it fits, and the
design estimates the search made. With an hlsnb whose fit_to_board has no ``parallelization`` keyword (before the
search existed), only its own search is timed: run it with PYTHONPATH pointing at such a checkout to compare.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def _cnn12():
    import keras

    keras.utils.set_random_seed(0)
    layers = keras.layers
    return keras.Sequential([keras.Input((12, 12, 1)), layers.Conv2D(4, 3, activation="relu", name="c1"),
                             layers.MaxPooling2D(2, name="p1"), layers.Conv2D(8, 3, activation="relu", name="c2"),
                             layers.MaxPooling2D(2, name="p2"), layers.Flatten(name="f"), layers.Dense(5, name="o")],
                            name="cnn_12x12")


def designs() -> dict:
    """Name -> Design of every design the benchmark fits."""
    from bench_estimate import cnn, mlp
    from bench_widgets import _cnn

    from hlsnb.design import Design

    deep = cnn()
    deep.set_target(io_type="io_parallel")
    return {"CNN 8x8 (pynq-z2)": Design.from_keras(_cnn(), board="pynq-z2"),
            "CNN 12x12 (pynq-z2)": Design.from_keras(_cnn12(), board="pynq-z2"), "CNN 14 layers (zcu102)": deep,
            "MLP 16-64-32-32-5 (pynq-z2)": mlp()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=5, help="runs per case (the median is reported)")
    ap.add_argument("--json", default=None, help="also write the rows to this JSON file")
    args = ap.parse_args(argv)

    import hlsnb
    from hlsnb.fit import fit_to_board

    has_pf = "parallelization" in inspect.signature(fit_to_board).parameters
    modes = {"PF kept": {"parallelization": False}, "PF searched": {}} if has_pf else {"(no PF search)": {}}
    print(f"hlsnb fit_to_board benchmark ({hlsnb.__file__}), python {sys.version.split()[0]}, "
          f"median of {args.repeat} runs; latency in cycles, estimated by hlsnb")
    rows = []
    for name, design in designs().items():
        for stage in ("csynth", "vsynth"):
            for target in (0.8, 0.5):
                for mode, kw in modes.items():
                    ts = []
                    for _ in range(args.repeat):
                        t0 = time.perf_counter()
                        r = fit_to_board(design, target, stage=stage, **kw)
                        ts.append(time.perf_counter() - t0)
                    row = {"design": name, "stage": stage, "target": target, "mode": mode,
                           "median_ms": round(1e3 * statistics.median(ts), 1), "latency_cycles":
                           int(r.estimate.latency_cycles), "fits": bool(r.fits), "estimates": r.evaluations,
                           "parallelization": dict(getattr(r, "parallelization", {}))}
                    rows.append(row)
                    pf = ", ".join(f"{n} {p}" for n, p in row["parallelization"].items())
                    print(f"{name:28s} {stage} {100 * target:3.0f}%  {mode:14s} {row['median_ms']:8,.1f} ms  "
                          f"latency {row['latency_cycles']:7,}  {'fits' if r.fits else 'does not fit':12s} "
                          f"{r.evaluations:4d} estimates" + (f"  PF: {pf}" if pf else ""), flush=True)
    if args.json:
        from hlsnb.fileio import atomic_write

        atomic_write(args.json, json.dumps({"python": sys.version.split()[0], "repeat": args.repeat, "rows": rows},
                                           indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
