"""What hls4ml's ``optimize_model`` spends, traced on one seed of bench_pruning_vs_hls4ml.py (issue 28: a skeptic's
"same budget" needs it).

The benchmark's split and base model of ``--dataset`` / ``--seed`` (the same functions, so the same weights), then
hls4ml 1.3's ``optimize_keras_model_for_hls4ml`` exactly as the benchmark calls it (l1 ranking, CBC_MIP knapsack,
PolynomialScheduler(5, final 0.95), batch 32, 10 epochs, 1-point tolerance), with ``verbose=True``, in the Keras-2
venv (tools/hls4ml_keras2_env.sh). From its output and its tuner's trial files: every regularizer trial (per-layer L1
strengths, the training accuracy the tuner ranks them by, the epochs it ran), and every fine-tune (target sparsity,
validation accuracy after it, accepted or not).

    python benchmarks/trace_hls4ml_optimizer.py --dataset jets16_large --seed 1
      -> benchmarks/results/pruning_hls4ml_trace.{md,json}   (about 5 minutes on 2 cores)
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench_pruning_vs_hls4ml as bench  # noqa: E402

OUT = os.path.join(bench.ROOT, "benchmarks", "results", "pruning_hls4ml_trace")


def worker(inp: str, workdir: str) -> None:
    """Keras-2 venv: the benchmark's hls4ml call on the base weights in ``inp``, verbose, tuner files in
    ``workdir``."""
    import tensorflow as tf
    from hls4ml.optimization.dsp_aware_pruning import optimize_keras_model_for_hls4ml
    from hls4ml.optimization.dsp_aware_pruning.objectives.vivado_objectives import VivadoDSPEstimator
    from hls4ml.optimization.dsp_aware_pruning.scheduler import PolynomialScheduler

    bench.patch_hls4ml_regularizers()
    d = np.load(inp)
    model, cfg = bench.hls4ml_model(d, int(d["seed"]))
    metric = tf.keras.metrics.SparseCategoricalAccuracy()
    model.compile(loss="sparse_categorical_crossentropy", metrics=[metric])
    base_val = model.evaluate(d["X_val"], d["y_val"], verbose=0)[-1]
    optimize_keras_model_for_hls4ml(
        model, cfg, VivadoDSPEstimator, PolynomialScheduler(5, final_sparsity=0.95), d["X_fit"], d["y_fit"],
        d["X_val"], d["y_val"], 32, 10, tf.keras.optimizers.legacy.Adam(1e-3),
        tf.keras.losses.SparseCategoricalCrossentropy(), metric, True, (base_val - 0.01) / base_val,
        ranking_metric="l1", directory=workdir, verbose=True)


def parse(log: str, workdir: str) -> dict:
    """The tuner's trials (from its trial files) and the fine-tunes (from the verbose log)."""
    trials = []
    for f in sorted(glob.glob(os.path.join(workdir, "tuning", "*", "trial_*", "trial.json"))):
        with open(f) as fh:
            t = json.load(fh)
        acc = t["metrics"]["metrics"].get("sparse_categorical_accuracy", {}).get("observations", [{}])
        trials.append({"trial": os.path.basename(os.path.dirname(f)),
                       "alphas": t["hyperparameters"]["values"], "score": t.get("score"),
                       "best_step": t.get("best_step"), "epochs_logged": len(acc)})
    base = re.search(r"Baseline performance on validation set: ([0-9.]+)", log)
    steps = [{"sparsity": float(s) / 100, "val_accuracy": float(v)} for s, v in re.findall(
        r"Pruning with a target sparsity of ([0-9.]+).*?after fine-tuning: ([0-9.]+)", log, flags=re.S)]
    base_val = float(base.group(1)) if base else None
    for st in steps:
        st["accepted"] = base_val is not None and st["val_accuracy"] >= base_val - 0.01
    return {"baseline_val_accuracy": base_val, "trials": trials, "fine_tunes": steps,
            "rewinding_epochs": log.count("Starting weight rewinding")}


def report(res: dict) -> str:
    b = res["baseline_val_accuracy"]
    lines = [f"# What hls4ml's optimizer spends: {res['dataset']} seed {res['seed']} (traced)", "",
             "hls4ml 1.3 `optimize_keras_model_for_hls4ml` as benchmarks/bench_pruning_vs_hls4ml.py calls it "
             "(l1 ranking, CBC_MIP, PolynomialScheduler(5, final 0.95), batch 32, 10 epochs, 1-point tolerance), "
             "on that benchmark's split and base model, `verbose=True`. Measured, one seed.", "",
             f"Unpruned model: {100 * b:.2f} % on the validation rows.", "",
             "## The regularizer tuner (before any pruning)", "",
             "| trial | L1 strength per layer | training accuracy (what the tuner ranks by) | best epoch |",
             "|---|---|---|---|"]
    best = max(res["trials"], key=lambda t: t["score"] or 0.0) if res["trials"] else None
    for t in res["trials"]:
        a = ", ".join(f"{k.replace('_alpha', '')} {v:.0e}" for k, v in t["alphas"].items())
        mark = " (kept)" if t is best else ""
        lines.append(f"| {t['trial']}{mark} | {a} | {100 * (t['score'] or 0):.2f} % | {t['best_step']} |")
    lines += ["", "## The fine-tunes (9 epochs with the masks, then 1 rewinding epoch without them unless the loop "
              "stops)", "",
              "| # | target sparsity | validation accuracy after it | against the unpruned model | within 1 point |",
              "|---|---|---|---|---|"]
    for i, st in enumerate(res["fine_tunes"], 1):
        lines.append(f"| {i} | {st['sparsity']:.3f} | {100 * st['val_accuracy']:.2f} % | "
                     f"{100 * (st['val_accuracy'] - b):+.2f} pt | {'yes' if st['accepted'] else 'no'} |")
    n = len(res["fine_tunes"])
    lines += ["", f"**{n} fine-tunes, not 5**: the scheduler starts at its initial sparsity (0), so the first "
              "fine-tune trains the tuner's model unpruned with its L1 penalties; the 5 pruning steps follow. "
              f"Plus {len(res['trials'])} tuner trials of up to 5 epochs. "
              f"{res['rewinding_epochs']} rewinding epochs are inside the fine-tunes' 10.", "",
              f"Command: `{res['command']}`"]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default="jets16_large", choices=bench.DATASETS)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default=OUT, help="path without extension: .md and .json are written")
    ap.add_argument("--keras2-python", default=bench.DEFAULT_KERAS2)
    ap.add_argument("--worker", nargs=2, metavar=("IN", "WORKDIR"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker(*args.worker)
        return 0
    if not os.path.exists(args.keras2_python):
        print(f"no Keras-2 venv at {args.keras2_python}: run tools/hls4ml_keras2_env.sh", file=sys.stderr)
        return 2
    data = bench.split(args.dataset, args.seed)
    X_fit, y_fit, X_val, y_val, _, _, n_classes = data
    base, _ = bench.train_base(args.dataset, args.seed, data)  # as run_seed trains it (early stopping, batch 32)
    work = tempfile.mkdtemp(prefix="hls4ml_trace_")
    ws = base.get_weights()
    np.savez(f"{work}/in.npz", seed=args.seed, n_classes=n_classes, n_weights=len(ws), X_fit=X_fit, y_fit=y_fit,
             X_val=X_val, y_val=y_val, **bench.weight_arrays(ws))
    env = dict(os.environ, TF_USE_LEGACY_KERAS="1", PYTHONPATH="")
    proc = subprocess.run([args.keras2_python, os.path.abspath(__file__), "--worker", f"{work}/in.npz",
                           f"{work}/opt"], capture_output=True, text=True, env=env, cwd=work, check=False)
    if proc.returncode != 0:
        print(proc.stderr[-4000:], file=sys.stderr)
        return 1
    res = {"dataset": args.dataset, "seed": args.seed, **parse(proc.stdout, f"{work}/opt"),
           "command": "python benchmarks/trace_hls4ml_optimizer.py " + " ".join(sys.argv[1:] if argv is None
                                                                                 else argv)}
    with open(args.out + ".json", "w") as f:
        json.dump(res, f, indent=1)
    with open(args.out + ".md", "w") as f:
        f.write(report(res))
    print(report(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
