"""Time from a control change to updated figure data, for the 16-64-32-32-5 digits16 MLP on the PYNQ-Z2.

    python benchmarks/bench_widgets.py [--repeat 5]

A "control change" is setting a widget's value from Python exactly as the browser's comm message would
(``row.reuse_factor.value = rf``): the handlers run synchronously, so when the assignment returns, the Design is
changed, the estimate recomputed and the FigureWidget's trace data replaced. Measured without a browser: the
websocket round trip and plotly.js drawing are not included. Target: median < 50 ms.

"cold" clears the estimator's per-layer cache before each change (the first time a setting is seen); "warm" does
not (a setting seen before). Also prints the parts: estimate_design, figure_dict, and fit_to_board, and the
ParallelizationFactor menu (``row.parallelization_factor.value = pf``, cold cache) on a small untrained CNN (8x8x1
input, Conv2D 8 filters 'same' -> 64 output pixels, Conv2D 8 -> 36, Dense 5): geometry is what it times.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _stats(ts: list[float]) -> str:
    ms = sorted(t * 1000 for t in ts)
    p90 = ms[min(len(ms) - 1, int(0.9 * len(ms)))]
    return f"median {statistics.median(ms):7.2f} ms   p90 {p90:7.2f} ms   max {ms[-1]:7.2f} ms   (n={len(ms)})"


def _cnn():
    """An untrained CNN whose two convolutions offer 7 and 9 ParallelizationFactors (64 and 36 output pixels)."""
    import keras

    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((8, 8, 1)),
                             keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="c1"),
                             keras.layers.Conv2D(8, 3, name="c2"), keras.layers.Flatten(name="fl"),
                             keras.layers.Dense(5, name="out")], name="cnn_8x8")


def _pf_menu_times(repeat: int, clear_cache) -> list[float]:
    """Seconds from a ParallelizationFactor menu choice to updated figure data, every valid factor of every
    convolution of :func:`_cnn`'s design, ``repeat`` passes, cold estimator cache."""
    from hlsnb.design import Design
    from hlsnb.widgets import Explorer

    design = Design.from_keras(_cnn(), board="pynq-z2")
    ex = Explorer(design)
    ts = []
    for _ in range(repeat):
        for name in ("c1", "c2"):
            menu = ex.configurator.rows[name].parallelization_factor
            for pf in design.valid_parallelization_factors(name):
                if pf == menu.value:
                    continue
                clear_cache()
                t0 = time.perf_counter()
                menu.value = pf  # the control change
                ts.append(time.perf_counter() - t0)
                assert design.layer(name).extra["ParallelizationFactor"] == pf
    ex.close()
    return ts


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=5, help="passes over every valid ReuseFactor of every layer")
    ap.add_argument("--model", default=str(ROOT / "notebooks" / "hlsnb_work" / "digits16_mlp.keras"))
    args = ap.parse_args(argv)

    from hlsnb.design import Design
    from hlsnb.estimate import clear_cache, estimate_design
    from hlsnb.fit import fit_to_board
    from hlsnb.train import quick_model
    from hlsnb.widgets import EstimatePlot, Explorer
    from hlsnb.widgets.plots import figure_dict

    model, _ = quick_model(args.model, progress=False)
    design = Design.from_keras(model, board="pynq-z2")
    design.set_all(strategy="Resource", reuse_factor=64, closest=True)
    ex = Explorer(design)
    mult = [l.name for l in design.layers if l.is_mult_layer]

    def trace_y(fig, layer):
        return next(t.y for t in fig.data if (t.meta or {}).get("layer") == layer)

    results = {}
    for mode in ("cold", "warm"):
        ts = []
        for _ in range(args.repeat):
            for name in mult:
                row = ex.configurator.rows[name]
                for rf in design.valid_reuse_factors(name):
                    if rf == design.layer(name).reuse_factor:
                        continue
                    if mode == "cold":
                        clear_cache()
                    t0 = time.perf_counter()
                    row.reuse_factor.value = rf  # the control change
                    ts.append(time.perf_counter() - t0)
                    assert design.layer(name).reuse_factor == rf
        # the figure shows the design as it is now
        est = estimate_design(design)
        cap = est.part.capacity()
        assert abs(trace_y(ex.plot.figure, "fc2")[0] - 100 * est.layer("fc2").dsp / cap["dsp"]) < 1e-9
        results[mode] = ts

    strategy_ts = []
    for _ in range(args.repeat):
        for name in mult:
            row = ex.configurator.rows[name]
            for s in ("Latency", "Resource"):
                rf = design.layer(name).reuse_factor
                t0 = time.perf_counter()
                row.strategy.value = s  # RF valid under both here (same sets): applies at once
                strategy_ts.append(time.perf_counter() - t0)
                assert design.layer(name).strategy == s and design.layer(name).reuse_factor == rf

    ex.close()  # only the plot follows the design now
    plot_only = EstimatePlot(design)
    plot_ts = []
    for _ in range(args.repeat):
        for rf in design.valid_reuse_factors("fc2"):
            t0 = time.perf_counter()
            design.set("fc2", reuse_factor=rf)
            plot_ts.append(time.perf_counter() - t0)
    plot_only.close()

    est_ts, fig_ts = [], []
    for _ in range(50):
        clear_cache()
        t0 = time.perf_counter()
        est = estimate_design(design)
        est_ts.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        figure_dict(est, design)
        fig_ts.append(time.perf_counter() - t0)
    pf_ts = _pf_menu_times(args.repeat, clear_cache)
    fit_ts = []
    for _ in range(3):
        t0 = time.perf_counter()
        r = fit_to_board(design, 0.8)
        fit_ts.append(time.perf_counter() - t0)

    print(f"hlsnb widgets benchmark: {design.model_name} on {design.board} ({design.part.device}), "
          f"python {sys.version.split()[0]}")
    print("control change -> updated figure data (Explorer: configurator + plot + explanation + badges)")
    print(f"  ReuseFactor menu, cold estimator cache : {_stats(results['cold'])}")
    print(f"  ReuseFactor menu, warm estimator cache : {_stats(results['warm'])}")
    print(f"  Strategy menu                          : {_stats(strategy_ts)}")
    print(f"  design.set -> EstimatePlot alone       : {_stats(plot_ts)}")
    print(f"  ParallelizationFactor menu, CNN, cold  : {_stats(pf_ts)}")
    print("parts")
    print(f"  estimate_design (cold cache)           : {_stats(est_ts)}")
    print(f"  figure_dict                            : {_stats(fig_ts)}")
    print(f"  fit_to_board(target=0.8)               : {_stats(fit_ts)}  -> fits={r.fits}, "
          f"latency {r.estimate.latency_cycles} cycles, {r.evaluations} estimates")
    med = statistics.median(results["cold"]) * 1000
    print(f"target < 50 ms median (cold): {'MET' if med < 50 else 'MISSED'} ({med:.1f} ms)")
    return 0 if med < 50 else 1


if __name__ == "__main__":
    raise SystemExit(main())
