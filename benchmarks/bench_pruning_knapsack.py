"""The pruning knapsack, exact against greedy: importance kept and time (issue 26 item 6).

hlsnb has one knapsack solver (:func:`hlsnb.prune.knapsack.solve_knapsack`) behind ``prune`` and the hls4ml drop-in:
exact (dynamic programming, or HiGHS' MILP within its 1e-4 gap, with a time limit and the greedy answer as the
fallback) or, on request, hls4ml's greedy. Instances:

- ``random``: 20 seeded multi-resource instances (2 resources, 400 items, integer costs 1-8, capacity 30-70 % of
  the total per resource), the kind the greedy solver gets wrong;
- ``dsp+bram``: the real two-resource problems of pruning a trained 64-64-32-32-10 digits MLP for a Resource
  design at ReuseFactor 8 with ``VivadoMultiObjectiveEstimator`` (DSP, BRAM18K), l1 importance, at sparsities
  0.5 / 0.7 / 0.9;
- ``dsp per weight``: the one-resource problem of hlsnb's per-weight DSP prices (Latency, RF 1), same sparsities:
  the greedy answer's certified distance to the LP bound.

    nice python benchmarks/bench_pruning_knapsack.py      # about a minute on 2 idle cores

Results: ``benchmarks/results/pruning_knapsack.json`` (and the command).
"""

from __future__ import annotations

import json
import os
import shlex
import sys
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "benchmarks", "results", "pruning_knapsack.json")


def _compare(v, c, cap) -> dict:
    from hlsnb.prune import solve_knapsack

    t0 = time.time()
    exact = solve_knapsack(v, c, cap)
    t_exact = time.time() - t0
    t0 = time.time()
    greedy = solve_knapsack(v, c, cap, method="greedy")
    t_greedy = time.time() - t0
    return {"items": int(v.size), "resources": int(np.atleast_2d(c).shape[0]), "exact_value": exact.value,
            "greedy_value": greedy.value, "greedy_loses_percent": 100 * (1 - greedy.value / max(exact.value, 1e-300)),
            "method": exact.method, "exact_seconds": round(t_exact, 3), "greedy_seconds": round(t_greedy, 3)}


def random_instances(n: int = 20) -> list[dict]:
    rows = []
    for seed in range(n):
        rng = np.random.default_rng(seed)
        v = rng.random(400)
        c = rng.integers(1, 9, (2, 400))
        cap = c.sum(axis=1) * rng.uniform(0.3, 0.7, 2)
        rows.append({"instance": "random", "seed": seed, **_compare(v, c, np.floor(cap))})
    return rows


def pruning_instances() -> list[dict]:
    import keras
    from sklearn.datasets import load_digits

    from hlsnb import Design
    from hlsnb.prune import plan_pruning
    from hlsnb.train import build_mlp

    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    model = build_mlp(n_in=64, hidden=(64, 32, 32), n_out=10, seed=0)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    model.fit(X, y, epochs=30, batch_size=32, verbose=0)
    rows = []
    cases = (("dsp+bram", dict(strategy="Resource", reuse_factor=8), "dsp+bram", "average"),
             ("dsp per weight", dict(strategy="Latency", reuse_factor=1), "dsp", "weights"))
    for name, settings, objective, price in cases:
        design = Design.from_keras(model, board="pynq-z2", precision="ap_fixed<18,8>", **settings)
        plan = plan_pruning(model, design, objective, price=price)
        values, costs = [], []
        for n in plan.prunable_layers:
            p = plan.layers[n]
            k = np.asarray(model.get_layer(n).kernel.numpy())
            p.reprice(k)
            values.append(np.bincount(p.groups.ravel(), weights=np.abs(k).ravel(), minlength=p.n_groups))
            costs.append(p.cost)
        v, c = np.concatenate(values), np.concatenate(costs, axis=1)
        for s in (0.5, 0.7, 0.9):
            rows.append({"instance": name, "sparsity": s, **_compare(v, c, plan.capacity(s))})
    return rows


def main(argv=None) -> int:
    t0 = time.time()
    rows = random_instances() + pruning_instances()
    summary = {}
    for inst in dict.fromkeys(r["instance"] for r in rows):
        rs = [r for r in rows if r["instance"] == inst]
        loss = [r["greedy_loses_percent"] for r in rs]
        summary[inst] = {"n": len(rs), "greedy_loses_percent_median": float(np.median(loss)),
                         "greedy_loses_percent_max": float(np.max(loss)),
                         "exact_seconds_median": float(np.median([r["exact_seconds"] for r in rs])),
                         "exact_seconds_max": float(np.max([r["exact_seconds"] for r in rs]))}
    from hlsnb.fileio import atomic_write

    result = {"benchmark": "bench_pruning_knapsack",
              "command": "python benchmarks/bench_pruning_knapsack.py " + shlex.join(sys.argv[1:] if argv is None
                                                                                      else list(argv)),
              "seconds": time.time() - t0, "machine": f"{os.cpu_count()} cores, shared", "summary": summary,
              "rows": rows}
    atomic_write(OUT, json.dumps(result, indent=1))
    for inst, s in summary.items():
        print(f"{inst}: the greedy solver keeps {s['greedy_loses_percent_median']:.2f} % less importance than the "
              f"exact one (median of {s['n']}, worst {s['greedy_loses_percent_max']:.2f} %); exact solve "
              f"{s['exact_seconds_median']:.2f} s median, {s['exact_seconds_max']:.2f} s max")
    return 0


if __name__ == "__main__":
    sys.exit(main())
