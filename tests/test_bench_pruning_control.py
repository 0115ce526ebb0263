"""benchmarks/bench_pruning_control.py: the control's table beside the stored pruned runs (no training here)."""

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _mod():
    spec = importlib.util.spec_from_file_location("bench_pruning_control", ROOT / "benchmarks" / "bench_pruning_control.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_control_table_sits_beside_the_stored_pruned_runs():
    mod = _mod()
    stored = json.loads(mod.STORED.read_text())["rows"]
    large = json.loads(mod.STORED_BY_DATASET["jets16_large"].read_text())["rows"]
    base = {(r["dataset"], r["seed"]): r["keras_accuracy"] for r in stored + large if r["tool"] == "baseline"}
    assert mod.stored_baselines() == base and ("jets16_large", 4) in base and ("digits", 4) in base
    hls = next(r for r in stored if r["tool"] == "hls4ml l1" and r["dataset"] == "jets16" and r["seed"] == 3)
    row = {"dataset": "jets16", "seed": 3, "base_test_accuracy": base[("jets16", 3)], "base_val_accuracy": 0.8,
           "after_each_fine_tune": [{"test_points": x, "val_points": 0.0} for x in (0.4, 1.07, -0.13)]}
    text = mod.report([row])
    line = next(l for l in text.splitlines() if l.startswith("| jets16 | 3 |"))
    cells = [c.strip() for c in line.strip("|").split("|")]
    # control after the first and the last fine-tune, its best checkpoint, then hls4ml's pruned model's change
    assert cells[3:6] == ["+0.40", "-0.13", "+1.07"]
    assert cells[6] == f"{-hls['keras_accuracy_loss_points']:+.2f}"
    assert cells[8:] == ["+0.40, +1.07, -0.13", "+0.00, +0.00, +0.00"]  # every fine-tune, test and validation
    assert "0 of 1 match their stored test accuracy" in text and "L1" not in text.splitlines()[0]
    with_l1 = mod.report([{**row, "base_matches_stored": True}], l1=5e-4, command="python x --l1 0.0005")
    assert with_l1.splitlines()[0].endswith("with an L1 penalty of 0.0005") and "1 of 1 match" in with_l1
    assert "`python x --l1 0.0005`" in with_l1
    # the converged base models' control: each fine-tuned with its own penalty, said per seed and in the title
    own = mod.report([{**row, "l1": 1e-3}], l1="base", command="python x --base converged --l1 base",
                     base_recipe="converged")
    assert own.splitlines()[0].endswith("with the L1 penalty its base model was trained with (base models: converged)")
    assert "| jets16 | 3 | " in own and "% (L1 0.001) |" in own and "'converged'" in own
    # the committed results were made by this script and say so
    res = json.loads((ROOT / "benchmarks" / "results" / "pruning_control.json").read_text())
    assert all(r["base_matches_stored"] for r in res["rows"]) and len(res["rows"]) == 10


def test_again_writes_the_table_anew_beside_the_stored_runs_without_training(tmp_path):
    mod = _mod()
    base = mod.stored_baselines()
    row = {"dataset": "jets16", "seed": 3, "l1": 0.0, "base_test_accuracy": base[("jets16", 3)],
           "base_val_accuracy": 0.8, "base_matches_stored": False,
           "after_each_fine_tune": [{"test_points": 0.4, "val_points": 0.0}]}
    out = tmp_path / "c.json"
    out.write_text(json.dumps({"command": "python made --this", "l1": 0.0, "rows": [row]}))
    assert mod.main(["--again", "--out", str(out)]) == 0
    again = json.loads(out.read_text())
    assert again["rows"][0]["base_matches_stored"] and again["command"] == "python made --this"
    text = (tmp_path / "c.md").read_text()
    assert "1 of 1 match their stored test accuracy" in text and "`python made --this`" in text


def test_a_control_at_another_learning_rate_sits_beside_the_runs_made_at_it():
    """--learning-rate 1e-4: the fine-tune's rate in the text, and only the stored runs made at 1e-4 beside it (the
    1e-3 runs of the same base models are other pruned models)."""
    mod = _mod()
    at = {rate: [f.name for f in mod._stored_runs("converged", rate)] for rate in (1e-3, 1e-4)}
    assert at[1e-3] == ["pruning_hls4ml_converged.json", "pruning_hls4ml_converged_jets16_large.json"]
    assert at[1e-4] == ["pruning_hls4ml_converged_lr1e-4.json", "pruning_hls4ml_converged_lr1e-4_jets16_large.json"]
    rows = {rate: {(r["dataset"], r["seed"]): r for r in mod._stored_rows("converged", rate)
                   if r["tool"] == "hls4ml l1"} for rate in (1e-3, 1e-4)}
    base = mod.stored_baselines("converged")
    row = {"dataset": "jets16_large", "seed": 0, "l1": 1e-3, "base_test_accuracy": base[("jets16_large", 0)],
           "base_val_accuracy": 0.9, "after_each_fine_tune": [{"test_points": 0.1, "val_points": 0.0}]}
    for rate in (1e-3, 1e-4):
        text = mod.report([row], l1="base", base_recipe="converged", learning_rate=rate)
        assert f"Adam {rate:g}," in text and ", ".join(at[rate]) in text
        line = next(l for l in text.splitlines() if l.startswith("| jets16_large | 0 |"))
        want = -rows[rate][("jets16_large", 0)]["keras_accuracy_loss_points"]
        assert [c.strip() for c in line.strip("|").split("|")][6] == f"{want:+.2f}"
    assert rows[1e-3][("jets16_large", 0)]["keras_accuracy"] != rows[1e-4][("jets16_large", 0)]["keras_accuracy"]
