"""Benchmark: DSP-aware pruning of the digits16 16-64-32-32-5 MLP (PYNQ-Z2, Latency, RF 1, ap_fixed<16,6>).

Goal (issue 5): at least 3x fewer estimated DSPs at no more than 1 point of accuracy loss in hls4ml C simulation.
DSP figures are hlsnb.estimate's HLS csynth estimates of the whole design, not synthesis results. Accuracies are
on the digits16 test split, which pruning never sees (its tolerance is checked on a held-out part of the training
split).

    python benchmarks/bench_pruning.py [--target 0.95] [--epochs 10]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--target", type=float, default=0.95, help="highest schedule sparsity to try (default 0.95)")
    ap.add_argument("--epochs", type=int, default=10, help="fine-tuning epochs per step (default 10)")
    ap.add_argument("--tolerance", type=float, default=0.005,
                    help="validation-accuracy tolerance of the binary search (default 0.005)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    from hlsnb import Design
    from hlsnb.data import load_dataset
    from hlsnb.prune import BinaryScheduler, prune
    from hlsnb.train import build_mlp, fit

    t0 = time.time()
    data = load_dataset("digits16", seed=args.seed)
    model = build_mlp(seed=args.seed)
    fit(model, data, epochs=30, seed=args.seed, progress=False)
    design = Design.from_keras(model, board="pynq-z2", strategy="Latency", reuse_factor=1,
                               precision="ap_fixed<16,6>")
    t_train = time.time() - t0
    pruned, rep = prune(model, design, "dsp", data, target=args.target, scheduler=BinaryScheduler(threshold=0.02),
                        epochs=args.epochs, tolerance=args.tolerance, csim=True, csim_baseline=True,
                        progress=False, seed=args.seed)
    loss_points = 100 * (rep.csim_accuracy_before - rep.csim_accuracy)
    ratio = rep.dsp_reduction
    print(f"digits16 MLP 16-64-32-32-5, pynq-z2, Latency RF 1, ap_fixed<16,6> (training {t_train:.1f} s, "
          f"pruning incl. 2 C-sim compiles {rep.seconds:.1f} s)")
    print("schedule (binary search):")
    for s in rep.steps:
        print(f"  sparsity {s.sparsity:.3f}: objective {s.objective_usage[0]:.0f} DSPs, validation accuracy "
              f"{100 * s.val_accuracy:.1f} % -> {'kept' if s.accepted else 'rejected'}")
    print(rep.summary())
    print(f"RESULT estimated DSPs (HLS csynth estimate, whole design): {rep.dsp_before:.0f} -> {rep.dsp_after:.0f} "
          f"= {ratio:.2f}x fewer")
    print(f"RESULT hls4ml C-simulation test accuracy: {100 * rep.csim_accuracy_before:.1f} % -> "
          f"{100 * rep.csim_accuracy:.1f} % (loss {loss_points:.1f} points)")
    ok = ratio >= 3.0 and loss_points <= 1.0
    print(f"GOAL >= 3x fewer DSPs at <= 1 point C-sim accuracy loss: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
