"""The control of the pruning benchmark (issue 28): what fine-tuning the UNPRUNED base model alone does to its test
accuracy, on hls4ml's budget (5 fine-tunes x 10 epochs, batch 32, Adam 1e-3, the labels, no regularizer).

``bench_pruning_vs_hls4ml.py --matched-loss`` compares the tools at the test loss hls4ml's pruned model reached,
measured against the base model; on jets16 hls4ml's pruned models end 0.5-2.4 points *better* than the base. Is that
the extra training or the pruning? This script re-makes each seed's base model exactly as the benchmark does (same
split, seed, early stopping; its test accuracy is checked against the stored baseline row) and fine-tunes it without
pruning, printing the change in test and validation accuracy after every 10 epochs.

    python benchmarks/bench_pruning_control.py                    # both data sets, seeds 0-4, ~5 min on 2 cores
    python benchmarks/bench_pruning_control.py --out FILE.json

With ``--l1 S`` the fine-tune carries an L1 penalty ``S * sum |w|`` on every Dense kernel: the warm-up of
``prune(warmup=N, l1=S)`` without its best-epoch choice, to see how long such a fine-tune keeps improving
(benchmarks/results/pruning_control_l1_*_jets16_large.md). ``jets16_large`` base models are checked against
benchmarks/results/pruning_hls4ml_jets16_large.json (the stored run lacks that data set).

With ``--base converged`` the base models are the benchmark's converged ones (``bench_pruning_vs_hls4ml.py --base
converged``, read from benchmarks/results/pruning_bases/) and ``--l1 base`` fine-tunes each with the penalty it was
trained with: whether those base models still gain from more training (they should not; see
benchmarks/results/pruning_control_converged.md).

``--learning-rate R`` fine-tunes at Adam's rate R (default 1e-3, hls4ml's budget in every stored run), beside the
stored runs made with the benchmark's ``--learning-rate R``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shlex
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
STORED = HERE / "results" / "pruning_vs_hls4ml.json"
#: where each data set's base models were stored (the stored full run lacks jets16_large)
STORED_BY_DATASET = {"jets16_large": HERE / "results" / "pruning_hls4ml_jets16_large.json"}
#: the hls4ml runs on base models trained to convergence (``--base converged``), beside which that control is set
STORED_CONVERGED = (HERE / "results" / "pruning_hls4ml_converged.json",
                    HERE / "results" / "pruning_hls4ml_converged_jets16_large.json",
                    HERE / "results" / "pruning_hls4ml_converged_lr1e-4.json",
                    HERE / "results" / "pruning_hls4ml_converged_lr1e-4_jets16_large.json")


def _bench():
    spec = importlib.util.spec_from_file_location("bench_pruning_vs_hls4ml", HERE / "bench_pruning_vs_hls4ml.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def control(dataset: str, seed: int, steps: int = 5, epochs: int = 10, batch: int = 32, l1: float | str = 0.0,
            base_recipe: str = "early-stopping", learning_rate: float = 1e-3) -> dict:
    """One seed's control: its base model fine-tuned ``steps`` x ``epochs`` epochs without pruning (Adam at
    ``learning_rate``), with the L1 penalty ``l1`` (``"base"``: the one the base model was trained with), the test
    and validation change after each."""
    import keras

    from hlsnb.prune import model_accuracy

    b = _bench()
    data = b.split(dataset, seed)
    X_fit, y_fit, X_val, y_val, X_te, y_te, n_classes = data
    keras.utils.set_random_seed(seed)
    base, info = b.train_base(dataset, seed, data, base_recipe, batch, cache=b.DEFAULT_BASE_CACHE.get(base_recipe))
    test0, val0 = model_accuracy(base, X_te, y_te), model_accuracy(base, X_val, y_val)
    l1 = info["l1"] if l1 == "base" else float(l1)
    m = keras.models.clone_model(base)
    m.set_weights(base.get_weights())
    b.add_l1(m, l1)
    m.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy")
    gains = []
    for _ in range(steps):
        m.fit(X_fit, y_fit, epochs=epochs, batch_size=batch, verbose=0)
        gains.append({"test_points": round(100 * (model_accuracy(m, X_te, y_te) - test0), 2),
                      "val_points": round(100 * (model_accuracy(m, X_val, y_val) - val0), 2)})
    return {"dataset": dataset, "seed": seed, "l1": l1, "learning_rate": learning_rate,
            "base_test_accuracy": test0, "base_val_accuracy": val0,
            "base": info, "after_each_fine_tune": gains}


def _stored_runs(base_recipe: str = "early-stopping", learning_rate: float = 1e-3) -> dict:
    """``{path: run}`` of the stored runs on ``base_recipe``'s base models (the full run and each data set's own;
    the converged runs that exist) whose fine-tunes ran at ``learning_rate``."""
    files = (STORED, *STORED_BY_DATASET.values()) if base_recipe == "early-stopping" else STORED_CONVERGED
    rate = _bench().run_learning_rate
    runs = {f: json.loads(f.read_text()) for f in files if f.exists()}
    return {f: run for f, run in runs.items() if rate(run) == learning_rate}


def _stored_rows(base_recipe: str = "early-stopping", learning_rate: float = 1e-3) -> list[dict]:
    """Every row of :func:`_stored_runs`."""
    return [r for run in _stored_runs(base_recipe, learning_rate).values() for r in run["rows"]]


def stored_baselines(base_recipe: str = "early-stopping") -> dict:
    rows = _stored_rows(base_recipe)
    return {(r["dataset"], r["seed"]): r["keras_accuracy"] for r in rows if r["tool"] == "baseline"}


def report(out: list[dict], l1: float | str = 0.0, command: str = "python benchmarks/bench_pruning_control.py",
           base_recipe: str = "early-stopping", learning_rate: float = 1e-3) -> str:
    """The control beside the stored pruned runs at the same learning rate (test accuracy change against the base,
    points; + is better)."""
    runs = _stored_runs(base_recipe, learning_rate)
    rows = [r for run in runs.values() for r in run["rows"]]
    pruned = {(r["dataset"], r["seed"], r["tool"]): -r["keras_accuracy_loss_points"] for r in rows
              if r["tool"] in ("hls4ml l1", "hlsnb") and "keras_accuracy_loss_points" in r}
    same = sum(bool(r.get("base_matches_stored")) for r in out)
    where = ("benchmarks/results/pruning_vs_hls4ml.json; jets16_large: pruning_hls4ml_jets16_large.json"
             if base_recipe == "early-stopping" else
             ", ".join(f.name for f in runs) or "none stored")
    said = "the L1 penalty its base model was trained with" if l1 == "base" else f"an L1 penalty of {l1:g}"
    lines = ["# The control: the unpruned base model fine-tuned alone"
             + (f", with {said}" if l1 else "")
             + ("" if base_recipe == "early-stopping" else f" (base models: {base_recipe})"), "",
             "Test accuracy change against each seed's base model, points (+ is better): the base fine-tuned without "
             f"pruning on hls4ml's budget (5 x 10 epochs, batch 32, Adam {learning_rate:g}, labels"
             + (f", {said} on every Dense kernel" if l1 else "") + "), after 10 and 50 epochs and "
             "the best of its five checkpoints (picked on the test rows: an upper bound), beside the stored pruned "
             f"runs at 1 point of validation tolerance ({where}). Base models made as the benchmark makes them "
             f"(bench_pruning_vs_hls4ml.train_base, '{base_recipe}'); "
             f"{same} of {len(out)} match their stored test accuracy.", "",
             "| data set | seed | base test | control +10 ep | control +50 ep | control, best checkpoint "
             "| hls4ml l1 (pruned) | hlsnb (pruned, stored default) | test, after each 10 ep | validation, same |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in out:
        g = [x["test_points"] for x in r["after_each_fine_tune"]]
        key = (r["dataset"], r["seed"])
        h, n = pruned.get((*key, "hls4ml l1")), pruned.get((*key, "hlsnb"))
        base_l1 = f" (L1 {r['l1']:g})" if l1 == "base" else ""
        lines.append(f"| {r['dataset']} | {r['seed']} | {100 * r['base_test_accuracy']:.2f} %{base_l1} | {g[0]:+.2f} | "
                     f"{g[-1]:+.2f} | {max(g):+.2f} | " + (f"{h:+.2f}" if h is not None else "-") + " | "
                     + (f"{n:+.2f}" if n is not None else "-") + " | " + ", ".join(f"{x:+.2f}" for x in g) + " | "
                     + ", ".join(f"{x['val_points']:+.2f}" for x in r["after_each_fine_tune"]) + " |")
    lines += ["", f"Command: `{command}` (about 1 min per data set and seed on 2 cores)."]
    return "\n".join(lines) + "\n"


def _same_base(stored: dict, r: dict) -> bool:
    """Whether a control row's base model is the stored run's (the same test accuracy)."""
    want = stored.get((r["dataset"], r["seed"]))
    return want is not None and abs(want - r["base_test_accuracy"]) < 1e-9


def _write(run: dict, out: str) -> None:
    """The run's JSON at ``out`` and its table (:func:`report`) in the .md beside it."""
    Path(out).write_text(json.dumps(run, indent=1) + "\n")
    Path(out).with_suffix(".md").write_text(report(run["rows"], run.get("l1", 0.0), run["command"],
                                                   run.get("base", "early-stopping"), run.get("learning_rate", 1e-3)))


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", nargs="*", default=["jets16", "digits"])
    ap.add_argument("--seeds", nargs="*", type=int, default=[0, 1, 2, 3, 4])
    ap.add_argument("--out", default=str(HERE / "results" / "pruning_control.json"))
    ap.add_argument("--l1", type=lambda v: v if v == "base" else float(v), default=0.0,
                    help="L1 penalty on every Dense kernel while fine-tuning ('base': each base model's own)")
    ap.add_argument("--base", default="early-stopping", choices=_bench().BASE_RECIPES,
                    help="the benchmark's base models (bench_pruning_vs_hls4ml.py --base)")
    ap.add_argument("--learning-rate", type=float, default=1e-3,
                    help="Adam's learning rate in the fine-tune (the benchmark's --learning-rate)")
    ap.add_argument("--again", action="store_true",
                    help="no training: the table of --out's rows written again beside the stored runs (e.g. after a "
                         "stored run was added), the command it was made with kept")
    args = ap.parse_args(argv)
    if args.again:
        run = json.loads(Path(args.out).read_text())
        stored = stored_baselines(run.get("base", "early-stopping"))
        for r in run["rows"]:
            r["base_matches_stored"] = _same_base(stored, r)
        _write(run, args.out)
        return 0
    stored = stored_baselines(args.base)
    out = []
    for ds in args.datasets:
        for seed in args.seeds:
            r = control(ds, seed, l1=args.l1, base_recipe=args.base, learning_rate=args.learning_rate)
            r["base_matches_stored"] = _same_base(stored, r)
            out.append(r)
            print(f"{ds} seed {seed}: base {100 * r['base_test_accuracy']:.2f} % (stored: "
                  f"{'same' if r['base_matches_stored'] else stored.get((ds, seed))}); test change after each 10 "
                  "epochs, points: "
                  + ", ".join(f"{g['test_points']:+.2f}" for g in r["after_each_fine_tune"]), flush=True)
        last = [r["after_each_fine_tune"][-1]["test_points"] for r in out if r["dataset"] == ds]
        first = [r["after_each_fine_tune"][0]["test_points"] for r in out if r["dataset"] == ds]
        print(f"{ds}: median test change after 10 epochs {statistics.median(first):+.2f}, after "
              f"{len(out[-1]['after_each_fine_tune']) * 10} epochs {statistics.median(last):+.2f} points")
    command = "python benchmarks/bench_pruning_control.py" + (f" {shlex.join(argv)}" if argv else "")
    _write({"benchmark": "pruning control: the unpruned base fine-tuned alone", "command": command, "l1": args.l1,
            "base": args.base, "learning_rate": args.learning_rate, "rows": out}, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
