"""prune's ``reference``: what the tolerance is measured against (the unpruned model as given, or the control: the
unpruned model after the same fine-tune without pruning, on the same batches)."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")
pytestmark = pytest.mark.filterwarnings("ignore:pruning target")  # the one-step schedule stops short of 0.5

from hlsnb import Design  # noqa: E402
from hlsnb.errors import HlsnbError  # noqa: E402
from hlsnb.prune import Scheduler, prune  # noqa: E402


class _AtZero(Scheduler):
    """One fine-tune at sparsity 0 (every group kept), then stop: the step is the control's fine-tune again."""

    name = "at zero"

    def reset(self, final):
        super().reset(final)
        self._done = False

    def update_step(self):
        if self._done:
            return False, self.sparsity
        self._done = True
        return True, 0.0

    def repair_step(self):
        return False, self.sparsity

    def planned_steps(self):
        return 1


@pytest.fixture(scope="module")
def trained(mlp, digits16):
    """The session's trained MLP, its design, and digits16's rows: training rows to fine-tune on, the test rows
    halved into validation (the tolerance) and test."""
    d = digits16
    half = len(d.X_test) // 2
    data = (d.X_train, d.y_train, d.X_test[half:], d.y_test[half:])
    return mlp, Design.from_keras(mlp, board="pynq-z2"), data, (d.X_test[:half], d.y_test[:half])


def _run(trained, reference, vals, monkeypatch):
    from hlsnb.prune import finetune

    model, design, data, val = trained
    real = finetune.model_accuracy

    def spy(m, Xv, yv):
        vals.append((real(m, Xv, yv), m.get_weights()))
        return vals[-1][0]

    monkeypatch.setattr(finetune, "model_accuracy", spy)
    texts = []
    given = {} if reference is None else {"reference": reference}  # None: prune's default
    _, rep = prune(model, design, "parameters", data, target=0.5, tolerance=0.0, validation=val, epochs=2,
                   learning_rate=0.05, csim=False, scheduler=_AtZero(), seed=3,
                   progress=lambda done, total, text: texts.append((done, total, text)), **given)
    return rep, texts


def test_control_is_the_same_fine_tune_without_pruning(trained, monkeypatch):
    """reference="control": one fine-tune more, of the unpruned weights, before the first step; the tolerance is
    measured against its validation accuracy. A step that prunes nothing gets the same masks and the same batches,
    so it scores the control exactly and passes a zero tolerance, whatever the unpruned model scored as given."""
    vals: list = []
    rep, texts = _run(trained, "control", vals, monkeypatch)
    (control, w_control), (step, w_step) = vals  # the control's check, then the step's
    assert rep.val_accuracy_reference == control and rep.reference == "control"
    assert rep.steps[0].val_accuracy == step == control and rep.steps[0].accepted
    assert all(np.array_equal(a, b) for a, b in zip(w_control, w_step))  # the same batches: the same weights
    assert not np.array_equal(w_control[0], trained[0].get_weights()[0])  # and the fine-tune did move them
    assert any("control" in t for _, _, t in texts) and texts[-1][0] == 4  # 2 epochs of control + 2 of the step
    note = next(n for n in rep.notes if n.startswith("tolerance measured against the control (reference='control')"))
    assert f"{100 * control:.1f} %" in note and f"{100 * rep.val_accuracy_baseline:.1f} %" in note


def test_lower_takes_the_lower_of_the_two_and_is_the_default(trained, monkeypatch):
    """reference="lower" (the default): the control where the fine-tune alone loses validation accuracy (here: the
    unpruned model scores 100 % on these rows, the control less), else the unpruned model as given; never stricter
    than "model"."""
    vals: list = []
    rep, _ = _run(trained, None, vals, monkeypatch)
    assert rep.reference == "lower"
    (control, _), (step, _) = vals
    assert control < rep.val_accuracy_baseline
    assert rep.val_accuracy_reference == min(control, rep.val_accuracy_baseline) and rep.steps[0].accepted
    assert any(n.startswith("tolerance measured against the control, the lower (reference='lower')")
               for n in rep.notes)


def test_model_reference_is_unchanged(trained, monkeypatch):
    """reference="model" (hls4ml's meaning): no control fine-tune, the tolerance against the unpruned model as given."""
    vals: list = []
    rep, texts = _run(trained, "model", vals, monkeypatch)
    assert len(vals) == 1 and texts[-1][0] == 2 and not any("control" in t for _, _, t in texts)
    assert rep.val_accuracy_reference == rep.val_accuracy_baseline and rep.reference == "model"
    assert rep.steps[0].accepted == (rep.steps[0].val_accuracy >= rep.val_accuracy_baseline - 1e-12)
    assert not any(n.startswith("tolerance measured against") for n in rep.notes)
    # the same fine-tune as the control's above scores below the unpruned model's selected high: nothing kept, and
    # the warning says what to try
    assert rep.status == "unpruned" and not rep.steps[0].accepted
    assert any("reference='lower' (the default) measures the tolerance" in n for n in rep.notes)


def test_a_tolerance_below_one_validation_row_is_named(trained):
    """113 validation rows: 0.5 points is less than one row (0.88 points), so the tolerance acts as 0: said."""
    model, design, data, val = trained
    with pytest.warns(UserWarning, match=r"tolerance \(0.5 points\) is less than one of the 113 validation rows "
                                         r"\(0.88 points\): it acts as 0"):
        prune(model, design, "parameters", data, target=0.5, tolerance=0.005, validation=val, epochs=1,
              csim=False, progress=False, scheduler=_AtZero())


def test_bad_reference_is_refused_before_training(trained):
    model, design, data, _ = trained
    with pytest.raises(HlsnbError, match=r"reference .* 'model', 'control', 'lower', 'start'; got 'finetuned'"):
        prune(model, design, "parameters", data, target=0.5, tolerance=0.01, reference="finetuned", csim=False,
              progress=False)
