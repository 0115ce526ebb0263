"""Benchmark: hlsnb's DSP-aware pruning against hls4ml 1.3's own ``optimize_model``, same data, seeds and estimator.

Data: the full scikit-learn digits (1797 x 64, 10 classes, pixels / 16), per seed a stratified 25 % test split and
20 % of the rest as validation rows; the base model (64-64-32-32-10 MLP, ReLU, softmax) is trained on the remaining
rows only (early stopping watches the validation rows; no gradient step sees them), so validation and test rows
are new to it (not saturated). Both pruners start from the same base weights, fine-tune on the same rows, check
their tolerance on the same validation rows (1 point of accuracy: hls4ml's ``rtol`` is set to the same absolute
drop; ``--match-budget`` gives hlsnb hls4ml's achieved validation loss instead) and target the same Design:
PYNQ-Z2, Latency, ReuseFactor 1, ``ap_fixed<16,6>`` weights, with the result/accumulator types widened once, on
the unpruned model, by hlsnb's range advisor plus 2 integer bits of headroom (:func:`range_types`), so that its C
simulation matches Keras and "accuracy loss" means what pruning lost. hls4ml runs in its own Keras-2 venv
(tools/hls4ml_keras2_env.sh) with its defaults otherwise (polynomial schedule to 0.95, Bayesian regularizer
tuning, VivadoDSPEstimator); hlsnb runs ``hlsnb.prune.prune`` (binary search up to 0.99 of its DSP objective, Taylor
ranking |w dL/dw|, weights priced by the DSPs they use) twice: zeroing pruned weights (``hlsnb``) and holding them at
shift-and-add constants (``hlsnb+shift_add``). Both fine-tune ``--epochs`` (40) epochs per step.

All pruned models are scored here by the same code: estimated DSPs and LUTs of the whole design (hlsnb.estimate,
HLS csynth estimate, not synthesis), test accuracy in Keras and in hls4ml's C simulation, and the layers whose
values leave their types on the test rows.

    tools/hls4ml_keras2_env.sh                                      # once, a few minutes
    python benchmarks/bench_pruning_vs_hls4ml.py                    # 3 seeds, ~6 min on 2 idle cores
    python benchmarks/bench_pruning_vs_hls4ml.py --hlsnb-only --tiny --out /tmp/x.json   # the fast self-test

Results (JSON, one row per seed and tool, plus medians) go to benchmarks/results/pruning_vs_hls4ml.json; a
markdown table of the medians is printed. Goal (issue 16): median DSP reduction at least 2x hls4ml's, at no more
median C-simulation test-accuracy loss ("ahead": more reduction at no more loss).
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
HEADROOM = 2  # integer bits beyond the unpruned model's ranges (x4): pruning grows the logits
TOLERANCE = 0.01  # absolute validation-accuracy drop hls4ml may spend (its rtol)


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


def _design(model, types: dict | None = None):
    """The benchmark's Design of ``model``: PRECISION everywhere, then the per-layer result/accumulator ``types``
    chosen once on the baseline (:func:`range_types`), so that every model is scored with the same types."""
    from hlsnb import Design

    design = Design.from_keras(model, board="pynq-z2", strategy="Latency", reuse_factor=1, precision=PRECISION)
    for layer, kw in (types or {}).items():
        design.set(layer, **kw)
    return design


def range_types(model, X) -> dict:
    """``{layer: {setting: type}}``: every Dense result and accumulator, every activation result, and every type
    hlsnb's range advisor finds too narrow on the unpruned model get HEADROOM more integer bits than they need
    (pruning and fine-tuning grow the values) with PRECISION's fractional bits kept: the unpruned C simulation
    matches Keras, and the weights stay 16 bits and the layer inputs 18, so every product still takes one DSP
    (the DSP counts do not change)."""
    from hlsnb.advisor import advise
    from hlsnb.precision import parse_precision

    base = parse_precision(PRECISION)
    design = _design(model)
    need = {(l.name, s): base.integer for l in design.layers if l.layer_type in ("Dense", "Activation")
            for s in (("accum_precision", "result_precision") if l.is_mult_layer else ("result_precision",))}
    for f in advise(design, model, X, max_rows=len(X)).findings:
        if f.kind == "overflow" and f.setting and f.suggested:
            need[(f.layer, f.setting)] = max(need.get((f.layer, f.setting), 0), parse_precision(f.suggested).integer)
    types: dict = {}
    for (layer, setting), integer in need.items():
        types.setdefault(layer, {})[setting] = f"ap_fixed<{base.fractional + integer + HEADROOM},{integer + HEADROOM}>"
    return types


def score(model, X_te, y_te, csim: bool, workdir: str, types: dict) -> dict:
    """Estimated DSPs and LUTs (whole design), Keras and C-simulation test accuracy, weight sparsity of ``model``,
    and the layers whose values leave their types on the test rows (the C simulation wraps there)."""
    from hlsnb.estimate import estimate_design
    from hlsnb.prune import csim_accuracy, find_overflows

    design = _design(model, types)
    design.attach_weights(model)
    p = model.predict(X_te, verbose=0)
    kernels = [layer.kernel.numpy() for layer in model.layers if hasattr(layer, "kernel")]
    est = estimate_design(design).total
    row = {"dsp": float(est["dsp"]), "lut": float(est["lut"]),
           "keras_accuracy": float(np.mean(np.argmax(p, axis=1) == y_te)),
           "zero_weights": float(sum(int(np.sum(k == 0)) for k in kernels) / sum(k.size for k in kernels)),
           "overflows": [str(o) for o in find_overflows(model, design, X_te)]}
    if csim:
        row["csim_accuracy"] = csim_accuracy(model, design, X_te, y_te, workdir)
    return row


def _val_accuracy(model, X, y) -> float:
    return float(np.mean(np.argmax(model.predict(X, verbose=0), axis=1) == y))


def run_seed(seed: int, args) -> list[dict]:
    import keras

    from hlsnb.prune import BinaryScheduler, PolynomialScheduler, prune

    X_fit, y_fit, X_val, y_val, X_te, y_te = digits_split(seed)
    base = _model(seed)
    base.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    base.fit(X_fit, y_fit, epochs=args.base_epochs, batch_size=32, verbose=0, validation_data=(X_val, y_val),
             callbacks=[keras.callbacks.EarlyStopping(patience=10, restore_best_weights=True)])
    types = range_types(base, X_fit) if args.range_types else {}
    work = tempfile.mkdtemp(prefix=f"bench_prune_{seed}_")
    rows = []
    ref = score(base, X_te, y_te, args.csim, f"{work}/base", types)
    val_base = _val_accuracy(base, X_val, y_val)
    rows.append({"seed": seed, "tool": "baseline", "types": types, "val_accuracy": val_base, **ref})

    tolerance = TOLERANCE
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
        val = _val_accuracy(other, X_val, y_val)
        rows.append({"seed": seed, "tool": "hls4ml", "seconds": float(d["seconds"]), "val_accuracy": val,
                     **score(other, X_te, y_te, args.csim, f"{work}/hls4ml", types)})
        if args.match_budget:
            # hlsnb may lose on the validation rows what hls4ml lost there (never more than hls4ml's own rtol)
            tolerance = float(np.clip(val_base - val, 0.0, TOLERANCE))

    def hlsnb(tool, start, shift_add, tol):
        sched = (BinaryScheduler(threshold=args.hlsnb_threshold) if args.hlsnb_scheduler == "binary"
                 else PolynomialScheduler(steps=args.hlsnb_steps))
        t0 = time.time()
        pruned, rep = prune(start, _design(start, types), "dsp", (X_fit, y_fit, X_te, y_te),
                            validation=(X_val, y_val), target=args.target, scheduler=sched,
                            epochs=args.hlsnb_epochs or args.epochs, metric=args.hlsnb_metric, tolerance=tol,
                            cutoff_bad_trials=args.hlsnb_cutoff, csim=False, progress=False, seed=seed,
                            shift_add=shift_add)
        row = {"seed": seed, "tool": tool, "seconds": time.time() - t0, "status": rep.status,
               "final_sparsity": rep.final_sparsity, "tolerance_points": 100 * tol, "notes": rep.notes,
               "val_accuracy": _val_accuracy(pruned, X_val, y_val)}
        rows.append({**row, **score(pruned, X_te, y_te, args.csim, f"{work}/{tool}", types)})
        return pruned, row["val_accuracy"]

    variants = VARIANTS if args.hlsnb_variants == "all" else (args.hlsnb_variants,)
    if "hlsnb" in variants or "hlsnb+shift_add" in variants:
        zeros, val = hlsnb("hlsnb", base, False, tolerance)
        if "hlsnb+shift_add" in variants:
            # the zeros stay (a zero costs no DSP, so shift_add holds it); the rest of the budget goes on
            hlsnb("hlsnb+shift_add", zeros, True, max(0.0, tolerance - max(0.0, val_base - val)))
        if "hlsnb" not in variants:
            rows.remove(next(r for r in rows if r["tool"] == "hlsnb"))
    if "shift_add only" in variants:
        hlsnb("shift_add only", base, True, tolerance)
    for r in rows:
        if r["tool"] != "baseline":
            r["dsp_reduction"] = ref["dsp"] / max(r["dsp"], 1.0)
            r["keras_accuracy_loss_points"] = 100 * (ref["keras_accuracy"] - r["keras_accuracy"])
            r["val_accuracy_loss_points"] = 100 * (val_base - r["val_accuracy"])
            if args.csim:
                r["csim_accuracy_loss_points"] = 100 * (ref["csim_accuracy"] - r["csim_accuracy"])
    return rows


#: hlsnb's runs: zeros only; zeros, then the remaining weights held at shift-add constants (a second ``prune``
#: on the first one's result, with what is left of the validation tolerance); shift-add constants only.
VARIANTS = ("hlsnb", "hlsnb+shift_add", "shift_add only")
GOALS = {"hlsnb": "goal", "hlsnb+shift_add": "goal shift_add", "shift_add only": "goal shift_add only"}


def summarise(rows: list[dict]) -> dict:
    """Medians per tool over the seeds, and for each hlsnb variant (keys :data:`GOALS`) whether the goal is met
    against hls4ml."""
    out = {}
    for tool in sorted({r["tool"] for r in rows}):
        rs = [r for r in rows if r["tool"] == tool]
        keys = [k for k, v in rs[0].items() if isinstance(v, (int, float)) and not isinstance(v, bool)
                and k != "seed"]
        out[tool] = {k: float(np.median([r[k] for r in rs])) for k in keys}
    b = out.get("hls4ml")
    for tool, key in GOALS.items():
        a = out.get(tool)
        if a is None or b is None:
            continue
        loss = "csim_accuracy_loss_points" if "csim_accuracy_loss_points" in a else "keras_accuracy_loss_points"
        ratio = a["dsp_reduction"] / b["dsp_reduction"]
        out[key] = {"tool": tool, "dsp_reduction_ratio": ratio, "loss_metric": loss,
                    "ahead": bool(ratio > 1 and a[loss] <= b[loss]),
                    "met": bool(ratio >= 2 and a[loss] <= b[loss])}
    return out


def _num(m: dict, key: str, fmt: str) -> str:
    return format(m[key], fmt) if key in m else "-"


def report(result: dict) -> str:
    """Per-seed rows, the medians (one line per tool and a markdown table) and the goal verdicts."""
    lines = ["seed  tool             DSPs (est.)  LUTs (est.)  reduction  Keras test acc  C-sim test acc  zero weights"]
    for r in result["rows"]:
        red = f"{r['dsp_reduction']:.2f}x" if "dsp_reduction" in r else "-"
        cs = f"{100 * r['csim_accuracy']:.2f} %" if "csim_accuracy" in r else "-"
        acc = f"{100 * r['keras_accuracy']:.2f} %"
        lines.append(f"{r['seed']:>4}  {r['tool']:<15}  {r['dsp']:>11.0f}  {_num(r, 'lut', '.0f'):>11}  {red:>9}  "
                     f"{acc:>14}  {cs:>14}  {100 * r['zero_weights']:>10.1f} %"
                     + ("  OVERFLOW" if r.get("overflows") else ""))
    med = result["median"]
    tools = [t for t in ("hls4ml", *GOALS) if t in med]
    for tool in tools:
        m = med[tool]
        lines.append(f"MEDIAN {tool}: {m['dsp_reduction']:.2f}x fewer estimated DSPs, test accuracy loss "
                     f"{m['keras_accuracy_loss_points']:.2f} points (Keras)"
                     + (f", {m['csim_accuracy_loss_points']:.2f} points (C sim)" if "csim_accuracy_loss_points" in m
                        else ""))
    seeds = result.get("settings", {}).get("seeds") or sorted({r["seed"] for r in result["rows"]})
    lines += ["", f"Medians over seeds {', '.join(str(x) for x in seeds)} (losses: points of test accuracy against "
              "the unpruned model; DSPs, LUTs: hlsnb.estimate HLS csynth estimates, not synthesis):", "",
              "| tool | est. DSPs | est. LUTs | DSP reduction | loss, Keras | loss, C sim | loss, validation |",
              "|---|---|---|---|---|---|---|"]
    if "baseline" in med:
        m = med["baseline"]
        lines.append(f"| unpruned | {m['dsp']:.0f} | {_num(m, 'lut', '.0f')} | 1x | - | - | - |")
    for tool in tools:
        m = med[tool]
        lines.append(f"| {tool} | {m['dsp']:.0f} | {_num(m, 'lut', '.0f')} | {m['dsp_reduction']:.2f}x | "
                     f"{m['keras_accuracy_loss_points']:.2f} | {_num(m, 'csim_accuracy_loss_points', '.2f')} | "
                     f"{_num(m, 'val_accuracy_loss_points', '.2f')} |")
    lines.append("")
    for tool, key in GOALS.items():
        g = med.get(key)
        if g:
            lines.append(f"GOAL ({tool}) >= 2x hls4ml's median DSP reduction at no more median {g['loss_metric']}: "
                         f"ratio {g['dsp_reduction_ratio']:.2f}x -> {'met' if g['met'] else 'NOT met'}; ahead of "
                         f"hls4ml (more reduction at no more loss): {'yes' if g['ahead'] else 'no'}")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--epochs", type=int, default=40, help="fine-tuning epochs per sparsity step (both tools)")
    ap.add_argument("--base-epochs", type=int, default=200, help="base training epochs (early stopping)")
    ap.add_argument("--target", type=float, default=0.99,
                    help="hlsnb's highest schedule sparsity (fraction of the DSPs)")
    ap.add_argument("--hlsnb-scheduler", choices=("binary", "polynomial"), default="binary")
    ap.add_argument("--hlsnb-steps", type=int, default=8, help="steps of hlsnb's polynomial schedule")
    ap.add_argument("--hlsnb-epochs", type=int, default=0, help="hlsnb's fine-tuning epochs per step (0: --epochs)")
    ap.add_argument("--hlsnb-metric", default="taylor", choices=("l1", "l2", "taylor"))
    ap.add_argument("--hlsnb-cutoff", type=int, default=1, help="hlsnb's cutoff_bad_trials")
    ap.add_argument("--hlsnb-threshold", type=float, default=0.01, help="hlsnb's BinaryScheduler threshold")
    ap.add_argument("--hlsnb-variants", choices=("all", *VARIANTS), default="all",
                    help="hlsnb's runs (see VARIANTS): all, or one of them")
    ap.add_argument("--match-budget", action="store_true",
                    help="hlsnb's tolerance = hls4ml's achieved validation loss (default: the same 1-point "
                         "validation tolerance as hls4ml's rtol)")
    ap.add_argument("--no-range-types", dest="range_types", action="store_false",
                    help=f"score with {PRECISION} everywhere (the unpruned model may wrap in C simulation)")
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
        args.hlsnb_variants = "hlsnb" if args.hlsnb_variants == "all" else args.hlsnb_variants
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
