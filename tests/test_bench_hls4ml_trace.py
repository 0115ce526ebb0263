"""benchmarks/trace_hls4ml_optimizer.py (issue 28: what hls4ml's optimizer spends): its parsing of hls4ml's verbose
log and its tuner's trial files, and that the committed trace's markdown is what its JSON says. No training."""

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def trace(benchmark_module):
    return benchmark_module("trace_hls4ml_optimizer")


LOG = """Baseline performance on validation set: 0.90
Search: Running Trial #1
Pruning with a target sparsity of 0.0
Epoch: 9 - Validation loss: 0.5 - Performance on validation set: 0.91
Optimized model performance on validation set, after fine-tuning: 0.9150000
Starting weight rewinding for 1 epochs
Pruning with a target sparsity of 46.36
Optimized model performance on validation set, after fine-tuning: 0.8950
Starting weight rewinding for 1 epochs
Pruning with a target sparsity of 74.48
Optimized model performance on validation set, after fine-tuning: 0.8800
Optimized model performance on validation set: 0.8850
"""


def test_parse_reads_the_trials_and_every_fine_tune_with_its_verdict(trace, tmp_path):
    for i, (alphas, score) in enumerate([({"fc1_alpha": 1e-4, "output_alpha": 1e-3}, 0.93),
                                          ({"fc1_alpha": 1e-2, "output_alpha": 1e-6}, 0.95)]):
        d = tmp_path / "tuning" / "proj" / f"trial_0{i}"
        d.mkdir(parents=True)
        (d / "trial.json").write_text(json.dumps({
            "hyperparameters": {"values": alphas}, "score": score, "best_step": 2 + i,
            "metrics": {"metrics": {"sparse_categorical_accuracy": {"observations": [{"value": [score]}]}}}}))
    res = trace.parse(LOG, str(tmp_path))
    assert res["baseline_val_accuracy"] == pytest.approx(0.90)
    assert [t["trial"] for t in res["trials"]] == ["trial_00", "trial_01"]
    assert res["trials"][1]["alphas"] == {"fc1_alpha": 1e-2, "output_alpha": 1e-6}
    # the first fine-tune is at sparsity 0; 0.895 is within 1 point of 0.90, 0.88 is not (hls4ml's rtol)
    assert [(s["sparsity"], s["val_accuracy"], s["accepted"]) for s in res["fine_tunes"]] == [
        (0.0, pytest.approx(0.915), True), (pytest.approx(0.4636), pytest.approx(0.895), True),
        (pytest.approx(0.7448), pytest.approx(0.88), False)]
    assert res["rewinding_epochs"] == 2
    md = trace.report({**res, "dataset": "jets16_large", "seed": 1, "command": "c"})
    assert "trial_01 (kept)" in md and "**3 fine-tunes, not 5**" in md and "| 1 | 0.000 | 91.50 % | +1.50 pt | yes |" in md


def test_the_committed_trace_is_what_its_json_says(trace):
    base = ROOT / "benchmarks" / "results" / "pruning_hls4ml_trace"
    res = json.loads(base.with_suffix(".json").read_text())
    assert base.with_suffix(".md").read_text() == trace.report(res)
    # measured on jets16_large seed 1: six fine-tunes, the first unpruned, ten tuner trials
    assert len(res["fine_tunes"]) == 6 and res["fine_tunes"][0]["sparsity"] == 0.0 and len(res["trials"]) == 10
