"""benchmarks/bench_pruning_frontier.py: where issue 28's goal sits against what zeros reach with more training."""

import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _mod():
    spec = importlib.util.spec_from_file_location("bench_pruning_frontier",
                                                  ROOT / "benchmarks" / "bench_pruning_frontier.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_magnitude_masks_zero_the_smallest_weights_over_every_layer_at_once():
    mod = _mod()
    a = np.array([[0.5, -0.1], [0.0, 2.0]])
    b = np.array([0.05, -3.0, 0.2])
    masks = mod.magnitude_masks([a, b], 3 / 7)  # three of seven: the zero, 0.05 and -0.1
    assert [m.tolist() for m in masks] == [[[1, 0], [0, 1]], [0, 1, 1]]
    assert [m.dtype for m in masks] == [np.float32, np.float32]
    # the DSP ranking: zeros only for weights that cost a DSP, the smallest first, until at most (1 - s) of the
    # unpruned model's count are left; a nonzero weight that costs none is kept, a zero stays zero
    costly = [np.array([[True, False], [False, True]]), np.array([False, True, True])]
    masks = mod.magnitude_masks([a, b], 0.5, costly, costly_total=4)  # 4 DSP weights: 0.2 and 0.5 go
    assert [m.tolist() for m in masks] == [[[0, 1], [0, 1]], [1, 1, 0]]
    # half of an unpruned count of 6 may stay: of the 4 DSP weights now only the smallest (0.2) goes
    assert [m.tolist() for m in mod.magnitude_masks([a, b], 0.5, costly, costly_total=6)] == [[[1, 1], [0, 1]],
                                                                                             [1, 1, 0]]
    every = mod.magnitude_masks([a, b], 1.0, costly, costly_total=4)
    assert [m.tolist() for m in every] == [[[0, 1], [0, 0]], [1, 0, 0]]


def test_the_frontier_is_read_between_its_points_in_log_dsps_and_never_beyond():
    mod = _mod()
    pts = [(600, 0.0), (620, 0.1), (500, 0.5), (400, 2.0), (450, 3.0)]  # (620, 0.1) and (450, 3.0) are beaten
    assert mod.front(pts) == [(400, 2.0), (500, 0.5), (600, 0.0)]
    assert mod.loss_at(pts, 500) == pytest.approx(0.5)
    t = (math.log(500) - math.log(450)) / (math.log(500) - math.log(400))
    assert mod.loss_at(pts, 450) == pytest.approx(0.5 + t * 1.5)
    assert mod.loss_at(pts, 700) == 0.0  # at or above the most DSPs: the front's least loss
    assert mod.loss_at(pts, 399) is None  # below the sparsest point: not reached, no extrapolation


def test_the_verdict_reads_the_stored_hls4ml_run_of_the_same_base_model():
    mod = _mod()
    stored = mod.stored_hls4ml("jets16_large")
    base, hls = stored[0]
    assert hls["tool"] == "hls4ml l1" and base["tool"] == "baseline" and sorted(stored) == [0, 1, 2, 3, 4]
    acc0 = base["keras_accuracy"]
    run = {"dataset": "jets16_large", "seed": 0,
           "baseline": {"keras_accuracy": acc0, "dsp": base["dsp"], "hls4ml_dsp": base["hls4ml_dsp"]},
           "steps": [{"keras_accuracy": acc0 - 0.002, "dsp": 520.0, "hls4ml_dsp": 600.0},
                     {"keras_accuracy": acc0 - 0.010, "dsp": 470.0, "hls4ml_dsp": 510.0}]}
    v = mod.verdict(run, stored)
    est = v["dsp"]
    assert est["goal_dsp"] == pytest.approx(hls["dsp"] / 1.5)  # the unpruned count / (1.5 x hls4ml's reduction)
    assert est["hls4ml_loss"] == hls["keras_accuracy_loss_points"]
    t = (math.log(520) - math.log(est["goal_dsp"])) / (math.log(520) - math.log(470))
    assert est["frontier_loss"] == pytest.approx(0.2 + t * 0.8)
    assert est["reached"] == (est["frontier_loss"] <= hls["keras_accuracy_loss_points"])
    count = v["hls4ml_dsp"]
    assert count["goal_dsp"] == pytest.approx(hls["hls4ml_dsp"] / 1.5) and count["frontier_loss"] is not None
    text = mod.report({"goal": 1.5, "ranking": "magnitude", "grid": [0.8, 0.9], "epochs": 30, "learning_rate": 1e-4,
                       "l1": 1e-4, "stored": [str(mod.STORED["jets16_large"])], "command": "python x", "seconds": 60,
                       "rows": [{**run, "verdict": v}]})
    line = next(x for x in text.splitlines() if x.startswith("| 0 | hlsnb's estimate |"))
    assert f"{hls['dsp']:.0f} ({base['dsp'] / hls['dsp']:.2f}x)" in line and line.endswith("| no |") == (
        not est["reached"])
    assert "| 0 (base" in text and ", L1 0.0001) |" in text and "+0.20 / 520 / 600" in text and "`python x`" in text
    with pytest.raises(ValueError, match="not the same base model"):
        mod.verdict({**run, "baseline": {**run["baseline"], "keras_accuracy": acc0 - 0.01}}, stored)


def test_one_real_step_on_the_stored_base_model(tmp_path):
    """A grid of one sparsity and one epoch on digits seed 0, DSP ranking: the committed base model, half its DSP
    weights zeroed, scored as the benchmark scores it; its baseline is the stored hls4ml run's."""
    mod = _mod()
    b = mod._load("bench_pruning_vs_hls4ml")
    data = b.split("digits", 0)
    base, _ = b.train_base("digits", 0, data, "converged", 32, cache=b.DEFAULT_BASE_CACHE["converged"])
    dear = mod._costly(base, b._design(base, b.range_types(base, data[0])))
    n_dear, n_all = sum(int(c.sum()) for c in dear), sum(c.size for c in dear)
    out = tmp_path / "f.json"
    assert mod.main(["--datasets", "digits", "--seeds", "0", "--grid", "0.5", "--epochs", "1", "--ranking", "dsp",
                     "--out", str(out)]) == 0
    run = json.loads(out.read_text())
    (row,) = run["rows"]
    (step,) = row["steps"]
    # the estimate counts one DSP per such weight on this design (Latency, RF 1), and a few beyond the products
    assert 0 <= row["baseline"]["dsp"] - n_dear <= 16 and 0 < n_dear < n_all
    assert step["zero_weights"] == pytest.approx(round(0.5 * n_dear) / n_all, abs=1e-9)  # the base has no zeros
    assert step["hls4ml_dsp"] < row["baseline"]["hls4ml_dsp"] and step["dsp"] < row["baseline"]["dsp"]
    assert set(row["verdict"]) == {"dsp", "hls4ml_dsp"}
    assert "## digits, 1 seeds" in out.with_suffix(".md").read_text()
    from PIL import Image

    assert "(f.png)" in out.with_suffix(".md").read_text() and Image.open(out.with_suffix(".png")).size[0] > 1000
    with pytest.raises(SystemExit):
        mod.main(["--grid", "0.9", "0.5", "--out", str(out)])
