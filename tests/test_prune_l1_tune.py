"""``prune(l1="auto" | [strengths])`` chooses the L1 penalty's strength by trials on the validation rows (issue 28):
the value is checked before any training, and the choice follows the validation rows, never the test rows."""

import numpy as np
import pytest

from hlsnb import Design
from hlsnb.errors import InvalidSetting
from hlsnb.prune import BinaryScheduler, prune


@pytest.mark.parametrize("bad, says", [
    ("sometimes", "'sometimes'"), ((1e-4,), "two or more"), ([1e-4, 1e-4], "two or more"),
    ((0.0, -1e-4), "-0.0001"), ((0.0, 1.0), "1.0"), ((0.0, "x"), "'x'"), (1.5, "1.5"), (True, "True"),
    (float("nan"), "nan"),
])
def test_a_bad_l1_is_refused_naming_the_value_and_what_is_valid(mlp, digits16, bad, says):
    d = digits16
    with pytest.raises(InvalidSetting, match="l1") as e:
        prune(mlp, Design.from_keras(mlp, board="pynq-z2"), "parameters", (d.X_train, d.y_train), target=0.5,
              l1=bad, tolerance=0.01, csim=False, progress=False)
    assert says in str(e.value) and "'auto'" in str(e.value) and "[0, 1)" in str(e.value)


def test_choosing_l1_needs_a_tolerance_and_validation_rows(mlp, digits16):
    d = digits16
    design = Design.from_keras(mlp, board="pynq-z2")
    for kw in (dict(l1="auto"), dict(l1=(0.0, 1e-4), validation_split=0.0)):
        with pytest.raises(InvalidSetting, match="tolerance"):
            prune(mlp, design, "parameters", (d.X_train, d.y_train), target=0.5, csim=False, progress=False, **kw)


def _prune_choosing(mlp, data, validation):
    # 0.5 is an absurd strength: at this learning rate one trial epoch pulls every kernel to ~0, the model then
    # predicts one class (about 20 % of 5 balanced classes)
    return prune(mlp, Design.from_keras(mlp, board="pynq-z2"), "parameters", data, validation=validation,
                 target=0.5, tolerance=0.1, l1=(0.0, 0.5), epochs=1, learning_rate=0.05, csim=False, progress=False,
                 scheduler=BinaryScheduler(try_final_first=False, max_steps=1))


@pytest.mark.filterwarnings("ignore:pruning target")  # one fine-tune does not reach the target: not the point here
def test_the_strength_is_chosen_on_the_validation_rows_not_the_test_rows(mlp, digits16):
    """Test rows whose labels are shifted by one class would make the collapsed model (strength 0.5) look better
    than the trained one; the correct validation rows must choose 0. With the roles swapped the choice flips: it
    follows the validation rows, and both candidates are tried (not the first or last taken)."""
    d = digits16
    X, y = d.X_test, np.asarray(d.y_test)
    shifted = (y + 1) % 5
    _, rep = _prune_choosing(mlp, (d.X_train, d.y_train, X, shifted), (X, y))
    assert [t.strength for t in rep.l1_trials] == [0.0, 0.5]
    assert [t.chosen for t in rep.l1_trials] == [True, False] and rep.l1 == 0.0
    ok, collapsed = rep.l1_trials
    assert ok.within_tolerance and not collapsed.within_tolerance and collapsed.val_accuracy < 0.5
    # the trial sits halfway from the first step (0.25 of the final 0.5) to the final sparsity
    assert ok.epochs == 1 and ok.sparsity == pytest.approx((rep.steps[0].sparsity + 0.5) / 2)
    assert any(n.startswith("L1 strength 0 chosen on the") for n in rep.notes)

    _, rep = _prune_choosing(mlp, (d.X_train, d.y_train, X, y), (X, shifted))
    assert [t.chosen for t in rep.l1_trials] == [False, True] and rep.l1 == 0.5


def test_the_issue_28_table_is_generated_from_the_stored_runs_and_refuses_other_base_models(tmp_path, pruning_bench):
    """benchmarks/bench_pruning_vs_hls4ml.py --against-stored: the per-seed rows of an hlsnb-only run against the
    stored hls4ml rows (the published table is its output), and an error when a run's base models are not the
    stored run's (its numbers would not be comparable)."""
    import json
    from pathlib import Path

    results = Path(__file__).resolve().parents[1] / "benchmarks" / "results"
    bench = pruning_bench
    run = results / "pruning_l1_auto_best_epoch_hlsnb_only.json"
    table = bench.against_stored([f"{run}=tuned"])
    assert "| digits | hls4ml l1 | 3.92, 3.92, 1.86, 3.92, 9.03 | 3.92x | 3.40x |" in table
    assert "| jets16 | tuned | 6.09, 1.87, 1.45, 2.86, 3.47 | 2.86x | 2.49x |" in table
    assert "1.53x / 1.51x, loss > / >: not met" in table
    assert "- digits, tuned: L1 strength chosen on the validation rows, seeds 0-4: 0.0003, 3e-05, 0, 1e-05, 1e-05" \
        in table
    other = json.loads(run.read_text())
    next(r for r in other["rows"] if r["tool"] == "baseline")["keras_accuracy"] += 0.01
    (tmp_path / "other.json").write_text(json.dumps(other))
    with pytest.raises(ValueError, match="base model"):
        bench.against_stored([str(tmp_path / "other.json")])
