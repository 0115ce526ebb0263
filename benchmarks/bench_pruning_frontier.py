"""Issue 28, item 3: where "1.5x hls4ml's DSP reduction at no more loss" sits against what zeros alone reach.

The benchmark (``bench_pruning_vs_hls4ml.py``) runs both tools on one budget. This script asks a different question:
with several times that budget, how little test accuracy can a model of the benchmark's size lose at the DSP
count the goal allows, when pruning only sets weights to zero? For each seed's base model (the benchmark's
converged ones, read from benchmarks/results/pruning_bases/; each checked against the stored hls4ml run's baseline
row) it prunes iteratively to every sparsity of ``--grid`` (the fraction of all Dense weights set to zero), each
step a fine-tune of ``--epochs`` epochs with the masks enforced after every optimizer step
(``hlsnb.prune.enforce_masks``; Adam at ``--learning-rate``, L1 ``--l1`` on the kernels, batch 32, the labels,
the epoch with the best validation accuracy kept), and scores every step as the benchmark does: hlsnb's estimate
(whole design, HLS csynth estimate, not synthesis) and hls4ml's counter (one DSP per nonzero >= 9-bit weight at RF
1), Keras test accuracy.

The frontier (fewest DSPs at each test loss, from the grid's points and the unpruned model) is read at the DSPs of
1.5x hls4ml's reduction on the same seed (``--goal``), on each counter: its test loss there, interpolated linearly
in log DSPs between the two frontier points around it (none beyond its last point), against the test loss of
hls4ml's pruned model. Where the frontier loses more, no pruner of this family (magnitude ranking with fine-tunes,
what both tools are) reaches the goal on that seed with this much training, let alone with the benchmark's.

``--ranking dsp`` zeros only weights that cost a DSP by the estimator's constant-weight rule (more than k signed
digits in its weight type), the smallest first, and keeps every other nonzero weight: the grid is then the fraction
of the unpruned model's DSP weights zeroed (``DSP_GRID``), and what the estimate does not count stays to help the
accuracy (hls4ml's counter counts it).

    python benchmarks/bench_pruning_frontier.py --datasets jets16_large \
        --out benchmarks/results/pruning_frontier_jets16_large.json       # ~35 min on one core
    python benchmarks/bench_pruning_frontier.py --again --out benchmarks/results/pruning_frontier_jets16_large.json
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import shlex
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
RANKINGS = ("magnitude", "dsp")
#: the stored hls4ml runs on the converged base models at Adam 1e-4 (the benchmark's fair budget), per data set
STORED = {"jets16_large": HERE / "results" / "pruning_hls4ml_converged_lr1e-4_jets16_large.json",
          "digits": HERE / "results" / "pruning_hls4ml_converged_lr1e-4.json",
          "jets16": HERE / "results" / "pruning_hls4ml_converged_lr1e-4.json"}
GRID = (0.5, 0.75, 0.8, 0.84, 0.86, 0.87, 0.88, 0.89, 0.9, 0.92)
#: ``--ranking dsp``'s default grid: fractions of the unpruned model's DSP weights
DSP_GRID = (0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6)
COUNTERS = (("dsp", "hlsnb's estimate"), ("hls4ml_dsp", "hls4ml's counter"))


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def magnitude_masks(kernels: list, sparsity: float, costly: list | None = None, costly_total: int = 0) -> list:
    """Masks (1 = kept) for ``kernels``, ranked by magnitude over every layer at once (a weight already zero goes
    first). Without ``costly``: ``round(sparsity * all weights)`` zeros. With ``costly`` (boolean arrays like the
    kernels: the weights that cost a DSP now) the zeros go to the smallest DSP weights only, until at most
    ``round((1 - sparsity) * costly_total)`` of them are left (``costly_total``: the unpruned model's count); a
    nonzero weight that costs no DSP is kept (it costs the estimate nothing)."""
    mags = [np.abs(np.asarray(k, dtype=np.float64)) for k in kernels]
    flat = np.concatenate([m.ravel() for m in mags])
    if costly is None:
        n = int(round(sparsity * flat.size))
    else:
        dear = np.concatenate([np.asarray(c, dtype=bool).ravel() for c in costly]) & (flat > 0)
        flat = np.where(dear | (flat == 0), flat, np.inf)
        n = int(np.sum(flat == 0)) + max(0, int(dear.sum()) - int(round((1 - sparsity) * costly_total)))
    cut = np.zeros(flat.size, dtype=bool)
    cut[np.argsort(flat, kind="stable")[:n]] = True
    out, at = [], 0
    for m in mags:
        out.append((~cut[at:at + m.size]).reshape(m.shape).astype(np.float32))
        at += m.size
    return out


def front(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The (DSPs, test loss) points no other point beats (as few DSPs and as little loss, one of them fewer), by
    DSPs ascending (their losses then descend)."""
    best: list[tuple[float, float]] = []
    for d, loss in sorted(points, key=lambda p: (p[0], p[1])):
        if not best or loss < best[-1][1]:
            best.append((d, loss))
    return best


def loss_at(points: list[tuple[float, float]], dsp: float) -> float | None:
    """The frontier's test loss at ``dsp`` DSPs: linear in log DSPs between the two front points around it, the
    least loss of the front at or above its largest DSPs, ``None`` below its fewest (not reached)."""
    f = front(points)
    if dsp < f[0][0]:
        return None
    if dsp >= f[-1][0]:
        return f[-1][1]
    for (d0, l0), (d1, l1) in zip(f, f[1:]):
        if d0 <= dsp <= d1:
            t = (math.log(d1) - math.log(dsp)) / (math.log(d1) - math.log(d0))
            return l1 + t * (l0 - l1)
    raise AssertionError("unreachable: the front is sorted")


def _costly(model, design) -> list:
    """Per Dense kernel of ``model``: which weights cost a DSP by the estimator's constant-weight rule (the weight
    types and layer inputs of ``design``, as hlsnb's pruning prices them)."""
    from hlsnb.estimate import constant_products_on_dsp
    from hlsnb.prune import plan_pruning

    plan = plan_pruning(model, design, "dsp", price="weights")
    out = []
    for layer in model.layers:
        if not hasattr(layer, "kernel"):
            continue
        c = plan.layers[layer.name].dsp_cost
        out.append(constant_products_on_dsp(layer.kernel.numpy(), c.w_bits, c.w_int, c.layer_input.input_bits,
                                            tool=c.layer_input.tool))
    return out


def run_seed(dataset: str, seed: int, *, grid=None, epochs: int = 30, l1: float | str = 1e-4,
             learning_rate: float = 1e-4, ranking: str = "magnitude", log=print) -> dict:
    """One seed's frontier: the base model's scores, then one row per grid sparsity (validation and test accuracy,
    both counters, seconds). ``grid``: :data:`GRID`, or :data:`DSP_GRID` with the ``"dsp"`` ranking. ``l1``:
    the fine-tunes' L1 strength, ``"base"`` the one the base model was trained with."""
    import keras

    from hlsnb.prune import LayerMask, enforce_masks, model_accuracy

    b = _load("bench_pruning_vs_hls4ml")
    data = b.split(dataset, seed)
    X_fit, y_fit, X_val, y_val, X_te, y_te, n_classes = data
    base, info = b.train_base(dataset, seed, data, "converged", 32, cache=b.DEFAULT_BASE_CACHE["converged"])
    types = b.range_types(base, X_fit)

    def scored(model, **extra) -> dict:
        r = b.score(model, X_te, y_te, False, "", types)
        return {**extra, "val_accuracy": model_accuracy(model, X_val, y_val), "keras_accuracy": r["keras_accuracy"],
                "dsp": r["dsp"], "hls4ml_dsp": r["hls4ml_dsp"], "zero_weights": r["zero_weights"]}

    l1 = float(info["l1"] if l1 == "base" else l1)
    out = {"dataset": dataset, "seed": seed, "base": info, "l1": l1, "baseline": scored(base), "steps": []}
    m = b._model(X_fit.shape[1], n_classes, seed)
    m.set_weights(base.get_weights())
    kern = [layer for layer in m.layers if hasattr(layer, "kernel")]
    b.add_l1(m, l1)
    grid = grid or (DSP_GRID if ranking == "dsp" else GRID)
    dear = int(sum(c.sum() for c in _costly(base, b._design(base, types)))) if ranking == "dsp" else 0
    for s in grid:
        t0 = time.time()
        plain = b._model(X_fit.shape[1], n_classes, seed)
        plain.set_weights(m.get_weights())
        costly = _costly(plain, b._design(plain, types)) if ranking == "dsp" else None
        masks = magnitude_masks([layer.kernel.numpy() for layer in kern], s, costly, dear)
        with enforce_masks(m, {layer.name: LayerMask(mk) for layer, mk in zip(kern, masks)}):
            m.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
            keras.utils.set_random_seed(seed)
            m.fit(X_fit, y_fit, epochs=epochs, batch_size=32, verbose=0, validation_data=(X_val, y_val),
                  callbacks=[keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=epochs,
                                                           restore_best_weights=True)])
        plain.set_weights(m.get_weights())
        out["steps"].append(scored(plain, sparsity=s, seconds=time.time() - t0))
        r = out["steps"][-1]
        log(f"{dataset} seed {seed}: sparsity {s:.2f}: {r['dsp']:.0f} DSPs estimated, {r['hls4ml_dsp']:.0f} on "
            f"hls4ml's counter, test {100 * r['keras_accuracy']:.2f} % (base "
            f"{100 * out['baseline']['keras_accuracy']:.2f} %), {r['seconds']:.0f} s")
    return out


def stored_hls4ml(dataset: str, ranking: str = "hls4ml l1") -> dict:
    """``{seed: (baseline row, hls4ml's pruned row)}`` of the stored hls4ml run on ``dataset`` (:data:`STORED`)."""
    rows = json.loads(STORED[dataset].read_text())["rows"]
    rows = [r for r in rows if r["dataset"] == dataset]
    base = {r["seed"]: r for r in rows if r["tool"] == "baseline"}
    return {r["seed"]: (base[r["seed"]], r) for r in rows if r["tool"] == ranking and r["seed"] in base}


def verdict(seed_run: dict, stored: dict, goal: float = 1.5) -> dict:
    """Per counter: hls4ml's DSPs and test loss on the seed, the DSPs ``goal`` times its reduction allows, and the
    frontier's test loss there (points; + is worse than the unpruned model). Refuses a run whose base model is not
    the stored run's (another test accuracy)."""
    base, hls = stored[seed_run["seed"]]
    mine = seed_run["baseline"]
    if abs(base["keras_accuracy"] - mine["keras_accuracy"]) > 1e-9 or base["dsp"] != mine["dsp"]:
        raise ValueError(f"{seed_run['dataset']} seed {seed_run['seed']}: the base model scores "
                         f"{100 * mine['keras_accuracy']:.2f} % / {mine['dsp']:.0f} DSPs, the stored hls4ml run's "
                         f"{100 * base['keras_accuracy']:.2f} % / {base['dsp']:.0f}: not the same base model")
    acc0 = mine["keras_accuracy"]
    out = {}
    for key, _ in COUNTERS:
        pts = [(r[key], 100 * (acc0 - r["keras_accuracy"])) for r in [mine, *seed_run["steps"]]]
        allowed = base[key] / (goal * base[key] / hls[key])
        at = loss_at(pts, allowed)
        out[key] = {"hls4ml_dsp": hls[key], "hls4ml_reduction": base[key] / hls[key],
                    "hls4ml_loss": hls["keras_accuracy_loss_points"], "goal_dsp": allowed, "frontier_loss": at,
                    "reached": at is not None and at <= hls["keras_accuracy_loss_points"] + 1e-9}
    return out


def _cell(v: dict) -> str:
    loss = "not reached" if v["frontier_loss"] is None else f"{v['frontier_loss']:+.2f}"
    gap = "" if v["frontier_loss"] is None else f" ({v['frontier_loss'] - v['hls4ml_loss']:+.2f})"
    return (f"{v['hls4ml_dsp']:.0f} ({v['hls4ml_reduction']:.2f}x) at {v['hls4ml_loss']:+.2f} | {v['goal_dsp']:.0f} | "
            f"{loss}{gap} | {'yes' if v['reached'] else 'no'}")


def report(run: dict, picture_name: str | None = None) -> str:
    """The frontier's table: per seed and counter, hls4ml's model, the goal's DSPs, the frontier's loss there (and
    the picture ``picture_name`` beside it)."""
    goal = run["goal"]
    lines = [f"# Issue 28 item 3: {goal:g}x hls4ml's DSP reduction, against what zeros alone reach with more "
             "training", "",
             f"Per seed: the base model pruned by {run['ranking']} ranking (zeros only) to every sparsity of "
             f"{', '.join(f'{s:g}' for s in run['grid'])} ("
             + ("fraction of the unpruned model's DSP weights zeroed, the smallest first; every weight that costs no "
                "DSP kept" if run["ranking"] == "dsp" else "fraction of all Dense weights")
             + f"), each step {run['epochs']} "
             f"epochs of fine-tuning (Adam {run['learning_rate']:g}, L1 "
             + ("the base model's own" if run["l1"] == "base" else f"{run['l1']:g}") + ", batch 32, labels, best "
             f"validation epoch kept): {len(run['grid']) * run['epochs']} epochs against the benchmark's 60 per "
             "run. Counters: hlsnb's estimate (whole design, HLS csynth estimate, not synthesis) and hls4ml's "
             "(one DSP per nonzero >= 9-bit weight at RF 1). Loss: Keras test accuracy lost against the unpruned "
             "model, points. hls4ml: its stored pruned model on the same seed and base model "
             f"({', '.join(sorted({Path(f).name for f in run['stored']}))}), tolerance 1 point. Goal DSPs: the "
             f"unpruned count / ({goal:g} x hls4ml's reduction). Frontier loss: the fewest-DSP frontier of the "
             "grid's models and the unpruned one, linear in log DSPs between the points around the goal (not "
             "reached: the grid's sparsest model still has more DSPs); in brackets, minus hls4ml's loss (+: the "
             "frontier loses more there than hls4ml's model, so the goal is out of its reach on that seed).", ""]
    for ds in dict.fromkeys(r["dataset"] for r in run["rows"]):
        rows = [r for r in run["rows"] if r["dataset"] == ds]
        lines += [f"## {ds}, {len(rows)} seeds", "",
                  "| seed | counter | hls4ml's model: DSPs (reduction) at loss | goal DSPs | frontier loss there "
                  "(minus hls4ml's) | goal reached |", "|---|---|---|---|---|---|"]
        for r in rows:
            for key, name in COUNTERS:
                lines.append(f"| {r['seed']} | {name} | {_cell(r['verdict'][key])} |")
        for key, name in COUNTERS:
            gaps = [r["verdict"][key]["frontier_loss"] - r["verdict"][key]["hls4ml_loss"] for r in rows
                    if r["verdict"][key]["frontier_loss"] is not None]
            n = sum(r["verdict"][key]["reached"] for r in rows)
            lines.append(f"- {name}: the goal reached on {n} of {len(rows)} seeds" + (
                f"; frontier minus hls4ml at the goal, median {float(np.median(gaps)):+.2f} points "
                f"[{min(gaps):+.2f}, {max(gaps):+.2f}]" if gaps else "") + ".")
        lines += ["", "Every step (test loss, points / DSPs estimated / on hls4ml's counter):", "",
                  "| seed | " + " | ".join(f"{s:g}" for s in run["grid"]) + " |",
                  "|---|" + "---|" * len(run["grid"])]
        for r in rows:
            acc0 = r["baseline"]["keras_accuracy"]
            lines.append(f"| {r['seed']} (base {r['baseline']['dsp']:.0f} / {r['baseline']['hls4ml_dsp']:.0f}, L1 "
                         f"{r.get('l1', run['l1']):g}) | "
                         + " | ".join(f"{100 * (acc0 - s['keras_accuracy']):+.2f} / {s['dsp']:.0f} / "
                                      f"{s['hls4ml_dsp']:.0f}" for s in r["steps"]) + " |")
        lines.append("")
    if picture_name:
        lines += [f"![each seed's frontier, hls4ml's model and the goal]({picture_name})", ""]
    lines += [f"Command: `{run['command']}` ({run['seconds'] / 60:.0f} min on 2 shared cores)."]
    return "\n".join(lines) + "\n"


def picture(run: dict, path: str) -> None:
    """A PNG: per data set (rows) and counter (columns), each seed's frontier (test loss against DSPs, log scale,
    from the unpruned model through the grid's steps), hls4ml's model (a square) and the goal (a cross: hls4ml's
    loss at the DSPs of ``goal`` x its reduction). A cross below its seed's line is out of the frontier's reach."""
    from PIL import Image, ImageDraw, ImageFont

    from hlsnb.fileio import atomic_path

    colours = _load("bench_pruning_vs_hls4ml").SEED_COLOURS
    font, small = ImageFont.load_default(size=15), ImageFont.load_default(size=13)
    pw, ph, ml, mt, mb = 520, 360, 70, 40, 50
    dss = list(dict.fromkeys(r["dataset"] for r in run["rows"]))
    img = Image.new("RGB", (2 * (pw + ml) + 60, len(dss) * (ph + mt + mb) + 90), "white")
    draw = ImageDraw.Draw(img)
    for row, ds in enumerate(dss):
        rows = [r for r in run["rows"] if r["dataset"] == ds]
        for col, (key, name) in enumerate(COUNTERS):
            x0, y0 = ml + col * (pw + ml + 30), mt + row * (ph + mt + mb)
            curves = [[(100 * (r["baseline"]["keras_accuracy"] - s["keras_accuracy"]), s[key])
                       for s in [r["baseline"], *r["steps"]]] for r in rows]
            marks = [(r["verdict"][key]["hls4ml_loss"], r["verdict"][key]["hls4ml_dsp"],
                      r["verdict"][key]["goal_dsp"]) for r in rows]
            losses = [p[0] for c in curves for p in c] + [m[0] for m in marks]
            lo, hi = min(-0.5, min(losses)) - 0.2, min(max(3.0, max(m[0] for m in marks) + 1.0), max(losses)) + 0.2
            dsps = [p[1] for c in curves for p in c] + [d for m in marks for d in m[1:]]
            top, bottom = np.log2(max(dsps)) + 0.1, np.log2(max(1.0, min(dsps))) - 0.1

            def xy(loss, dsp, x0=x0, y0=y0, lo=lo, hi=hi, top=top, bottom=bottom):
                x = x0 + (min(max(loss, lo), hi) - lo) / (hi - lo) * pw
                return x, y0 + ph - (np.log2(max(dsp, 1.0)) - bottom) / (top - bottom) * ph

            draw.rectangle([x0, y0, x0 + pw, y0 + ph], outline="black")
            for k in range(int(np.ceil(lo)), int(np.floor(hi)) + 1):
                x, _ = xy(k, 1)
                draw.line([x, y0, x, y0 + ph], fill=(225, 225, 225))
                draw.text((x, y0 + ph + 4), f"{k:g}", fill="black", font=small, anchor="mt")
            ticks = [m * 10 ** e for e in range(0, 6) for m in (1, 2, 3, 4, 5, 6, 8)]
            ticks = [t for t in ticks if bottom <= np.log2(t) <= top]
            for t in ticks if len(ticks) <= 12 else ticks[::2]:
                _, y = xy(0, t)
                draw.line([x0, y, x0 + pw, y], fill=(225, 225, 225))
                draw.text((x0 - 6, y), f"{t:g}", fill="black", font=small, anchor="rm")
            draw.text((x0 + pw / 2, y0 - 8), f"{ds}: DSPs on {name}", fill="black", font=font, anchor="mb")
            draw.text((x0 + pw / 2, y0 + ph + 24), "Keras test accuracy lost against the unpruned model (points)",
                      fill="black", font=small, anchor="mt")
            for i, (c, (loss, dsp, goal)) in enumerate(zip(curves, marks)):
                colour = colours[i % len(colours)]
                draw.line([xy(*p) for p in c], fill=colour, width=2)
                x, y = xy(loss, dsp)
                draw.rectangle([x - 5, y - 5, x + 5, y + 5], fill=colour, outline="white")
                x, y = xy(loss, goal)
                draw.line([x - 6, y - 6, x + 6, y + 6], fill=colour, width=3)
                draw.line([x - 6, y + 6, x + 6, y - 6], fill=colour, width=3)
    seeds = [r["seed"] for r in run["rows"] if r["dataset"] == dss[0]]
    y = img.height - 56
    for i in range(len(seeds)):
        draw.rectangle([ml + 14 * i, y, ml + 14 * i + 10, y + 10], fill=colours[i % len(colours)])
    draw.text((ml + 14 * len(seeds) + 6, y - 2), f"seeds {', '.join(map(str, seeds))} in these colours",
              fill="black", font=small)
    draw.text((ml, y + 14), f"lines: zeros-only frontier ({run['ranking']} ranking, {run['epochs']} epochs a step); "
              f"squares: hls4ml's model; crosses: the goal ({run['goal']:g}x hls4ml's reduction at its loss)",
              fill="black", font=small)
    draw.text((ml, y + 28), "Larger losses are drawn at the right edge. The frontier is one recipe with "
              f"{len(run['grid']) * run['epochs']} epochs of training per seed (the benchmark: 60), not a proof; see "
              "the .md beside this picture.", fill="black", font=small)
    with atomic_path(path) as tmp:
        img.save(tmp, format="PNG")


def _write(run: dict, out: str) -> None:
    for r in run["rows"]:
        r["verdict"] = verdict(r, stored_hls4ml(r["dataset"]), run["goal"])
    Path(out).write_text(json.dumps(run, indent=1) + "\n")
    picture(run, str(Path(out).with_suffix(".png")))
    Path(out).with_suffix(".md").write_text(report(run, Path(out).with_suffix(".png").name))


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", nargs="+", default=["jets16_large"], choices=list(STORED))
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    ap.add_argument("--grid", nargs="+", type=float, default=None,
                    help="sparsities, ascending: of all weights (default GRID), with --ranking dsp of the DSP weights "
                         "(default DSP_GRID)")
    ap.add_argument("--epochs", type=int, default=30, help="fine-tuning epochs per grid step")
    ap.add_argument("--l1", type=lambda v: v if v == "base" else float(v), default=1e-4,
                    help="the fine-tunes' L1 strength ('base': each base model's own)")
    ap.add_argument("--learning-rate", type=float, default=1e-4)
    ap.add_argument("--ranking", default="magnitude", choices=RANKINGS)
    ap.add_argument("--goal", type=float, default=1.5, help="times hls4ml's DSP reduction (issue 28: 1.5)")
    ap.add_argument("--out", default=str(HERE / "results" / "pruning_frontier_jets16_large.json"))
    ap.add_argument("--again", action="store_true", help="no training: --out's table written again")
    args = ap.parse_args(argv)
    if args.again:
        _write(json.loads(Path(args.out).read_text()), args.out)
        return 0
    args.grid = args.grid or list(DSP_GRID if args.ranking == "dsp" else GRID)
    if list(args.grid) != sorted(args.grid) or not all(0 < s < 1 for s in args.grid):
        ap.error(f"--grid: sparsities in (0, 1), ascending; got {args.grid}")
    t0 = time.time()
    rows = [run_seed(ds, seed, grid=args.grid, epochs=args.epochs, l1=args.l1, learning_rate=args.learning_rate,
                     ranking=args.ranking) for ds in args.datasets for seed in args.seeds]
    _write({"benchmark": "pruning frontier: zeros only, a generous budget", "command":
            "python benchmarks/bench_pruning_frontier.py " + shlex.join(argv), "grid": list(args.grid),
            "epochs": args.epochs, "l1": args.l1, "learning_rate": args.learning_rate, "ranking": args.ranking,
            "goal": args.goal, "stored": [str(STORED[ds].relative_to(HERE.parent)) for ds in args.datasets],
            "seconds": time.time() - t0, "rows": rows}, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
