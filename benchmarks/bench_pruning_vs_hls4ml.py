"""Benchmark: hlsnb's DSP-aware pruning against hls4ml 1.3's own ``optimize_model``, same data, seeds and estimator.

Data: the full scikit-learn digits (1797 x 64, 10 classes, pixels / 16), per seed a stratified 25 % test split and
20 % of the rest as validation rows; the base model (64-64-32-32-10 MLP, ReLU, softmax) is trained on the remaining
rows only (early stopping watches the validation rows; no gradient step sees them), so validation and test rows
are new to it (not saturated). Both pruners start from the same base weights,
fine-tune on the same rows, check their tolerance on the same validation rows (1 point of accuracy: hls4ml's
``rtol`` is set to the same absolute drop) and target the same Design: PYNQ-Z2, Latency, ReuseFactor 1,
``ap_fixed<16,6>``. hls4ml runs in its own Keras-2 venv (tools/hls4ml_keras2_env.sh) with its defaults otherwise
(polynomial schedule to 0.95, Bayesian regularizer tuning, VivadoDSPEstimator); hlsnb runs ``hlsnb.prune.prune``
(binary search up to 0.95 of its DSP objective, l1 ranking). Both fine-tune ``--epochs`` (40) epochs per step.

Both pruned models are scored here by the same code: estimated DSPs of the whole design (hlsnb.estimate, HLS
csynth estimate, not synthesis) and test accuracy in Keras and in hls4ml's C simulation.

    tools/hls4ml_keras2_env.sh                                      # once, a few minutes
    python benchmarks/bench_pruning_vs_hls4ml.py                    # 3 seeds, ~15-25 min on 2 cores
    python benchmarks/bench_pruning_vs_hls4ml.py --hlsnb-only --tiny --out /tmp/x.json   # the fast self-test

Results (JSON, one row per seed and tool, plus medians) go to benchmarks/results/pruning_vs_hls4ml.json.
Goal (issue 16): median DSP reduction at least 2x hls4ml's, at no more median test-accuracy loss.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(ROOT, "benchmarks", "results", "pruning_vs_hls4ml.json")
DEFAULT_KERAS2 = os.path.join(ROOT, ".venv-hls4ml-keras2", "bin", "python")
HIDDEN = (64, 32, 32)
PRECISION = "ap_fixed<16,6>"
TOLERANCE = 0.01  # absolute validation-accuracy drop both pruners may spend


def digits_split(seed: int):
    """(X_fit, y_fit, X_val, y_val, X_test, y_test): full digits, pixels / 16, stratified and seeded."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, stratify=y, random_state=seed)
    X_fit, X_val, y_fit, y_val = train_test_split(X_tr, y_tr, test_size=0.2, stratify=y_tr, random_state=seed)
    return X_fit, y_fit, X_val, y_val, X_te, y_te


# ---------------------------------------------------------------- hls4ml side (runs in the Keras-2 venv only)

def hls4ml_worker(inp: str, out: str) -> None:
    """Load the base weights and data from ``inp``, run hls4ml's optimize_model, write the pruned weights."""
    import hls4ml
    import tensorflow as tf
    from hls4ml.optimization.dsp_aware_pruning import optimize_keras_model_for_hls4ml
    from hls4ml.optimization.dsp_aware_pruning.keras import regularizers
    from hls4ml.optimization.dsp_aware_pruning.objectives.vivado_objectives import VivadoDSPEstimator
    from hls4ml.optimization.dsp_aware_pruning.scheduler import PolynomialScheduler

    # hls4ml 1.3 serialises the enum itself, which Keras' model_from_json cannot read back: store its value
    for cls in (regularizers.DenseRegularizer, regularizers.Conv2DRegularizer):
        get = cls.get_config
        cls.get_config = lambda self, _get=get: {k: getattr(v, "value", v) for k, v in _get(self).items()}

    d = np.load(inp)
    seed, epochs, final = int(d["seed"]), int(d["epochs"]), float(d["final_sparsity"])
    tf.keras.utils.set_random_seed(seed)
    layers = [tf.keras.layers.Dense(h, activation="relu", name=f"fc{i}") for i, h in enumerate(HIDDEN, start=1)]
    model = tf.keras.Sequential([tf.keras.Input((64,), name="inputs"), *layers,
                                 tf.keras.layers.Dense(10, activation="softmax", name="output")])
    model.set_weights([d[f"w{i}"] for i in range(int(d["n_weights"]))])
    cfg = hls4ml.utils.config_from_keras_model(model, granularity="name", default_precision=PRECISION,
                                               default_reuse_factor=1)
    cfg["IOType"] = "io_parallel"
    cfg["Model"]["Strategy"] = "Latency"
    for layer in cfg["LayerName"].values():  # hls4ml's optimizer refuses "auto" precisions
        for k, p in layer.get("Precision", {}).items():
            if p == "auto":
                layer["Precision"][k] = PRECISION
    metric = tf.keras.metrics.SparseCategoricalAccuracy()
    model.compile(loss="sparse_categorical_crossentropy", metrics=[metric])
    base_val = model.evaluate(d["X_val"], d["y_val"], verbose=0)[-1]
    rtol = (base_val - TOLERANCE) / base_val  # the same absolute drop as hlsnb's tolerance
    t0 = time.time()
    pruned = optimize_keras_model_for_hls4ml(
        model, cfg, VivadoDSPEstimator, PolynomialScheduler(5, final_sparsity=final), d["X_fit"], d["y_fit"],
        d["X_val"], d["y_val"], 32, epochs, tf.keras.optimizers.legacy.Adam(1e-3),
        tf.keras.losses.SparseCategoricalCrossentropy(), metric, True, rtol, knapsack_solver="greedy",
        directory=tempfile.mkdtemp(prefix="hls4ml_opt_"))
    np.savez(out, seconds=time.time() - t0, n_weights=len(pruned.get_weights()),
             **{f"w{i}": w for i, w in enumerate(pruned.get_weights())})


# ---------------------------------------------------------------- main side (Keras 3, hlsnb)

def _model(seed: int):
    from hlsnb.train import build_mlp

    return build_mlp(n_in=64, hidden=HIDDEN, n_out=10, seed=seed)


def _design(model):
    from hlsnb import Design

    return Design.from_keras(model, board="pynq-z2", strategy="Latency", reuse_factor=1, precision=PRECISION)


def score(model, X_te, y_te, csim: bool, workdir: str) -> dict:
    """Estimated DSPs (whole design), Keras and C-simulation test accuracy, weight sparsity of ``model``."""
    from hlsnb.estimate import estimate_design
    from hlsnb.prune import csim_accuracy

    design = _design(model)
    design.attach_weights(model)
    p = model.predict(X_te, verbose=0)
    kernels = [layer.kernel.numpy() for layer in model.layers if hasattr(layer, "kernel")]
    row = {"dsp": float(estimate_design(design).total["dsp"]),
           "keras_accuracy": float(np.mean(np.argmax(p, axis=1) == y_te)),
           "zero_weights": float(sum(int(np.sum(k == 0)) for k in kernels) / sum(k.size for k in kernels))}
    if csim:
        row["csim_accuracy"] = csim_accuracy(model, design, X_te, y_te, workdir)
    return row


def run_seed(seed: int, args) -> list[dict]:
    import keras

    from hlsnb.prune import BinaryScheduler, PolynomialScheduler, prune

    X_fit, y_fit, X_val, y_val, X_te, y_te = digits_split(seed)
    base = _model(seed)
    base.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    base.fit(X_fit, y_fit, epochs=args.base_epochs, batch_size=32, verbose=0, validation_data=(X_val, y_val),
             callbacks=[keras.callbacks.EarlyStopping(patience=10, restore_best_weights=True)])
    work = tempfile.mkdtemp(prefix=f"bench_prune_{seed}_")
    rows = []
    ref = score(base, X_te, y_te, args.csim, f"{work}/base")
    rows.append({"seed": seed, "tool": "baseline", **ref})

    sched = (BinaryScheduler(threshold=0.02) if args.hlsnb_scheduler == "binary"
             else PolynomialScheduler(steps=args.hlsnb_steps))
    t0 = time.time()
    pruned, rep = prune(base, _design(base), "dsp", (X_fit, y_fit, X_te, y_te), validation=(X_val, y_val),
                        target=args.target, scheduler=sched, epochs=args.hlsnb_epochs or args.epochs,
                        metric=args.hlsnb_metric, tolerance=TOLERANCE, cutoff_bad_trials=args.hlsnb_cutoff,
                        csim=False, progress=False, seed=seed)
    rows.append({"seed": seed, "tool": "hlsnb", "seconds": time.time() - t0, "status": rep.status,
                 "notes": rep.notes, **score(pruned, X_te, y_te, args.csim, f"{work}/hlsnb")})

    if not args.hlsnb_only:
        inp, out = f"{work}/in.npz", f"{work}/out.npz"
        ws = base.get_weights()
        np.savez(inp, seed=seed, epochs=args.epochs, final_sparsity=args.hls4ml_final, n_weights=len(ws),
                 X_fit=X_fit, y_fit=y_fit, X_val=X_val, y_val=y_val, **{f"w{i}": w for i, w in enumerate(ws)})
        env = dict(os.environ, TF_USE_LEGACY_KERAS="1", PYTHONPATH="")
        proc = subprocess.run([args.keras2_python, os.path.abspath(__file__), "--hls4ml-worker", inp, out],
                              check=False, capture_output=True, text=True, env=env, cwd=work)
        if proc.returncode != 0:
            raise RuntimeError(f"hls4ml worker failed (seed {seed}):\n{proc.stderr[-4000:]}")
        d = np.load(out)
        other = _model(seed)
        other.set_weights([d[f"w{i}"] for i in range(int(d["n_weights"]))])
        rows.append({"seed": seed, "tool": "hls4ml", "seconds": float(d["seconds"]),
                     **score(other, X_te, y_te, args.csim, f"{work}/hls4ml")})
    for r in rows:
        if r["tool"] != "baseline":
            r["dsp_reduction"] = ref["dsp"] / max(r["dsp"], 1.0)
            r["keras_accuracy_loss_points"] = 100 * (ref["keras_accuracy"] - r["keras_accuracy"])
            if args.csim:
                r["csim_accuracy_loss_points"] = 100 * (ref["csim_accuracy"] - r["csim_accuracy"])
    return rows


def summarise(rows: list[dict]) -> dict:
    """Medians per tool over the seeds, and whether the goal is met."""
    out = {}
    for tool in sorted({r["tool"] for r in rows}):
        rs = [r for r in rows if r["tool"] == tool]
        keys = [k for k, v in rs[0].items() if isinstance(v, (int, float)) and k != "seed"]
        out[tool] = {k: float(np.median([r[k] for r in rs])) for k in keys}
    if "hlsnb" in out and "hls4ml" in out:
        a, b = out["hlsnb"], out["hls4ml"]
        loss = "csim_accuracy_loss_points" if "csim_accuracy_loss_points" in a else "keras_accuracy_loss_points"
        out["goal"] = {"dsp_reduction_ratio": a["dsp_reduction"] / b["dsp_reduction"], "loss_metric": loss,
                       "met": bool(a["dsp_reduction"] >= 2 * b["dsp_reduction"] and a[loss] <= b[loss])}
    return out


def report(result: dict) -> str:
    lines = ["seed  tool      DSPs (est.)  reduction  Keras test acc  C-sim test acc  zero weights"]
    for r in result["rows"]:
        red = f"{r['dsp_reduction']:.2f}x" if "dsp_reduction" in r else "-"
        cs = f"{100 * r['csim_accuracy']:.2f} %" if "csim_accuracy" in r else "-"
        acc = f"{100 * r['keras_accuracy']:.2f} %"
        lines.append(f"{r['seed']:>4}  {r['tool']:<8}  {r['dsp']:>11.0f}  {red:>9}  {acc:>14}  {cs:>14}  "
                     f"{100 * r['zero_weights']:>10.1f} %")
    for tool, m in result["median"].items():
        if tool in ("goal", "baseline"):
            continue
        lines.append(f"MEDIAN {tool}: {m['dsp_reduction']:.2f}x fewer estimated DSPs, test accuracy loss "
                     f"{m['keras_accuracy_loss_points']:.2f} points (Keras)"
                     + (f", {m['csim_accuracy_loss_points']:.2f} points (C sim)" if "csim_accuracy_loss_points" in m
                        else ""))
    g = result["median"].get("goal")
    if g:
        lines.append(f"GOAL >= 2x hls4ml's DSP reduction at no more {g['loss_metric']}: ratio "
                     f"{g['dsp_reduction_ratio']:.2f}x -> {'met' if g['met'] else 'NOT met'}")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--epochs", type=int, default=40, help="fine-tuning epochs per sparsity step (both tools)")
    ap.add_argument("--base-epochs", type=int, default=200, help="base training epochs (early stopping)")
    ap.add_argument("--target", type=float, default=0.95, help="hlsnb's highest schedule sparsity")
    ap.add_argument("--hlsnb-scheduler", choices=("binary", "polynomial"), default="binary")
    ap.add_argument("--hlsnb-steps", type=int, default=8, help="steps of hlsnb's polynomial schedule")
    ap.add_argument("--hlsnb-epochs", type=int, default=0, help="hlsnb's fine-tuning epochs per step (0: --epochs)")
    ap.add_argument("--hlsnb-metric", default="l1", choices=("l1", "l2", "taylor"))
    ap.add_argument("--hlsnb-cutoff", type=int, default=1, help="hlsnb's cutoff_bad_trials")
    ap.add_argument("--hls4ml-final", type=float, default=0.95, help="hls4ml's PolynomialScheduler final_sparsity")
    ap.add_argument("--no-csim", dest="csim", action="store_false", help="skip the C-simulation accuracies")
    ap.add_argument("--hlsnb-only", action="store_true", help="skip hls4ml (no Keras-2 venv needed)")
    ap.add_argument("--tiny", action="store_true", help="a seconds-long run for tests: 1 seed, 2 epochs, no C sim")
    ap.add_argument("--keras2-python", default=DEFAULT_KERAS2)
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--hls4ml-worker", nargs=2, metavar=("IN", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.hls4ml_worker:
        hls4ml_worker(*args.hls4ml_worker)
        return 0
    if args.tiny:
        args.seeds, args.epochs, args.base_epochs, args.csim, args.target = args.seeds[:1], 2, 5, False, 0.5
    if not args.hlsnb_only and not os.path.exists(args.keras2_python):
        print(f"no Keras-2 venv at {args.keras2_python}: run tools/hls4ml_keras2_env.sh (or --hlsnb-only)",
              file=sys.stderr)
        return 2
    rows = []
    for seed in args.seeds:
        rows.extend(run_seed(seed, args))
    result = {"benchmark": "bench_pruning_vs_hls4ml", "data": "sklearn digits 1797x64, 10 classes, /16",
              "model": "64-64-32-32-10 MLP", "design": f"pynq-z2, Latency, RF 1, {PRECISION}",
              "tolerance_points": 100 * TOLERANCE, "dsp": "hlsnb.estimate whole-design HLS estimate (same for both)",
              "settings": {k: (os.path.relpath(v, ROOT) if k == "keras2_python" else v)
                           for k, v in vars(args).items() if k not in ("hls4ml_worker", "out")},
              "rows": rows}
    result["median"] = summarise(rows)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1, default=str)
    print(report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
