"""Time a sweep's scoring: 10,000 configurations of the tutorial MLP (16-64-32-32-5) in under 10 s on 2 cores.

    python benchmarks/bench_sweep.py [n_configs] [repeats]

Each repeat scores a fresh sample with a fresh Scorer after ``clear_cache()`` (nothing cached from the repeat
before): strategies Latency/Resource, ReuseFactors 1..64, three precisions, two pruning levels, all four Dense
layers swept (5.3 million configurations in the space). The kernels are the untrained model's (the estimate reads
their zero counts and values the same way for trained ones). Scoring runs in this one process. Prints the median.
"""

import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from hlsnb.design import Design
from hlsnb.estimate import clear_cache
from hlsnb.sweep import Scorer, Space, pareto_front
from hlsnb.train import build_mlp

TARGET_S = 10.0


def main(n: int = 10_000, repeats: int = 3) -> float:
    design = Design.from_keras(build_mlp(seed=0))
    space = Space(design, strategy=["Latency", "Resource"], reuse_factor=[1, 2, 4, 8, 16, 32, 64],
                  precision=["ap_fixed<16,6>", "ap_fixed<12,4>", "ap_fixed<8,3>"], sparsity=[0.0, 0.5])
    print(space)
    times, fronts = [], []
    for r in range(repeats):
        configs = space.sample(n, seed=r)
        clear_cache()
        t = time.perf_counter()
        scores = Scorer(design)(configs)
        times.append(time.perf_counter() - t)
        t = time.perf_counter()
        front = pareto_front(scores)
        fronts.append(time.perf_counter() - t)
        print(f"repeat {r}: {n:,} configurations scored in {times[-1]:.2f} s ({times[-1] / n * 1e3:.3f} ms each), "
              f"{int(scores['fits'].sum()):,} fit; Pareto front of {len(front)} in {fronts[-1] * 1e3:.0f} ms")
    med = statistics.median(times)
    verdict = "met" if med < TARGET_S else "MISSED"
    print(f"median {med:.2f} s for {n:,} configurations (target < {TARGET_S:g} s: {verdict}); "
          f"Pareto front median {statistics.median(fronts) * 1e3:.0f} ms")
    return med


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
