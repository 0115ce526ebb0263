"""benchmarks/bench_pruning_vs_hls4ml.py: the report and the medians on a tiny run of hlsnb's side only (the full
benchmark, with hls4ml in its Keras-2 venv, takes minutes and is not part of `make test`)."""

import importlib.util
import json
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_pruning_vs_hls4ml.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_pruning_vs_hls4ml", BENCH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_summary_and_goal(bench):
    rows = [{"seed": s, "tool": "baseline", "dsp": 6000.0, "keras_accuracy": 0.96, "zero_weights": 0.0} for s in range(3)]
    rows += [{"seed": s, "tool": "hls4ml", "dsp": 3000.0, "keras_accuracy": 0.955, "zero_weights": 0.5, "dsp_reduction": 2.0 + s,
              "keras_accuracy_loss_points": 0.5} for s in range(3)]
    rows += [{"seed": s, "tool": "hlsnb", "dsp": 1000.0, "keras_accuracy": 0.958, "zero_weights": 0.8, "dsp_reduction": 6.0 + s,
              "keras_accuracy_loss_points": 0.2 + s} for s in range(3)]
    med = bench.summarise(rows)
    assert med["hls4ml"]["dsp_reduction"] == 3.0 and med["hlsnb"]["dsp_reduction"] == 7.0
    assert med["goal"]["met"] is False  # median loss 1.2 > 0.5 points
    text = bench.report({"rows": rows, "median": med})
    assert "MEDIAN hlsnb: 7.00x" in text and "NOT met" in text


def test_tiny_hlsnb_run_writes_results(bench, tmp_path):
    out = tmp_path / "r.json"
    assert bench.main(["--hlsnb-only", "--tiny", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    tools = [r["tool"] for r in result["rows"]]
    assert tools == ["baseline", "hlsnb"]
    hlsnb = result["rows"][1]
    assert hlsnb["dsp"] < result["rows"][0]["dsp"] and hlsnb["dsp_reduction"] > 1
    assert "hlsnb" in result["median"] and "goal" not in result["median"]
