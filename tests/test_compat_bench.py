"""benchmarks/bench_pruning_vs_hls4ml.py: the summary (spread over seeds, both counters, the goal) and a tiny run of
hlsnb's side only (the full benchmark, with hls4ml in its Keras-2 venv, takes an hour and is not part of
`make test`)."""

import json
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_pruning_vs_hls4ml.py"


@pytest.fixture(scope="module")
def bench(pruning_bench):
    return pruning_bench


def _rows(tool, dsp, hls, loss, seeds=3):
    return [{"dataset": "digits", "seed": s, "tool": tool, "test_rows": 450, "dsp": dsp[s], "hls4ml_dsp": hls[s],
             "dsp_reduction": 6000 / dsp[s], "hls4ml_dsp_reduction": 7488 / hls[s],
             "keras_accuracy_loss_points": loss[s], "csim_accuracy_loss_points": loss[s],
             "csim_accuracy": 0.97 - loss[s] / 100, "keras_accuracy": 0.97 - loss[s] / 100} for s in range(seeds)]


def test_summary_spread_and_goal_on_both_counters(bench):
    rows = [{"dataset": "digits", "seed": s, "tool": "baseline", "test_rows": 450, "dsp": 6000, "hls4ml_dsp": 7488,
             "csim_accuracy": 0.97, "keras_accuracy": 0.97} for s in range(3)]
    rows += _rows("hls4ml l1", [2000, 1500, 3000], [2400, 1900, 3500], [0.4, 0.2, 0.9])
    rows += _rows("hls4ml l2", [2500, 2500, 2500], [3000, 3000, 3000], [0.1, 0.1, 0.1])
    rows += _rows("hlsnb", [1000, 900, 1200], [1200, 1100, 1500], [0.4, 0.0, 0.7])
    rows += _rows("hlsnb lossy", [100, 100, 100], [120, 120, 120], [3.0, 3.0, 3.0])
    s = bench.summarise(rows)["digits"]
    assert s["hlsnb"]["dsp"] == {"min": 900, "median": 1000, "max": 1200}
    g = s["hlsnb"]["vs_hls4ml"]
    assert g["against"] == "hls4ml l1"  # the hls4ml ranking with the largest median reduction
    assert g["dsp_reduction_ratio"] == pytest.approx(2.0) and g["hls4ml_dsp_reduction_ratio"] == pytest.approx(2.0)
    assert g["goal_1_5x_both_counters"] and g["no_more_median_loss"] and g["no_more_pooled_loss"]
    assert s["hlsnb"]["pooled_csim_loss_points"] == pytest.approx((0.4 + 0.0 + 0.7) / 3)
    assert not s["hlsnb lossy"]["vs_hls4ml"]["goal_1_5x_both_counters"]  # far ahead, but loses more
    text = bench.report({"command": "python x", "seconds": 60, "machine": "2 cores", "summary": {"digits": s}})
    assert "1000 [900, 1200]" in text and "goal >= 1.5x on both at no more loss: met" in text
    assert "NOT met" in text


def test_tiny_hlsnb_run_writes_results(bench, tmp_path):
    out = tmp_path / "r.json"
    assert bench.main(["--hlsnb-only", "--tiny", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert [r["tool"] for r in result["rows"]] == ["baseline", "hlsnb"] and result["complete"]
    base, pruned = result["rows"]
    assert pruned["dsp"] < base["dsp"] and pruned["hls4ml_dsp"] < base["hls4ml_dsp"] == 7488
    assert pruned["fine_tunes"] <= 2  # the budget: --tiny runs 2 fine-tunes
    assert result["command"].endswith("--hlsnb-only --tiny --out " + str(out))
    assert (tmp_path / "r.md").read_text().startswith("Command: `python benchmarks/bench_pruning_vs_hls4ml.py")
