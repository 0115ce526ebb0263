"""The schedule loop of :func:`hlsnb.prune.prune`: masks from the knapsack, fine-tuning with the masks enforced,
the tolerance check, and the next sparsity from the scheduler.

Two choices beyond hls4ml's loop (both measured in ``benchmarks/bench_pruning_vs_hls4ml.py``), each off by default
so that ``prune`` without them behaves as before:

- ``ramp`` (gradual pruning inside a step, Zhu & Gupta 2017): the step's first ``ramp`` epochs move the masks from
  the last accepted sparsity to the step's in ``ramp`` equal parts, re-ranking the groups on the weights as they
  are after each epoch; the remaining epochs fine-tune at the step's sparsity. The number of epochs per step and the
  number of tolerance checks do not change.
- ``distill`` (knowledge distillation, Hinton et al. 2015, at temperature 1): the fine-tuning targets are
  ``(1 - distill) * one_hot(y) + distill * p_teacher``, with ``p_teacher`` the unpruned model's class
  probabilities on the training rows: the pruned model learns what the unpruned one knew about every row, not only
  its label.
- ``best_epoch`` (checkpoint selection, as the base model's early stopping): the validation accuracy is measured
  after every epoch at the step's sparsity and the step keeps its best epoch's weights (ties: the later epoch).
  The unpruned model was itself picked as the best epoch on the validation rows, so the last epoch of a fine-tune
  checked against it starts behind; the epochs trained do not change, only which one is kept.

- ``l1`` (hls4ml's regularised fine-tuning): an L1 penalty ``l1 * sum |w|`` on the prunable kernels while
  fine-tuning, which pulls the weights the data does not need towards zero, so that the next, sparser step removes
  less. Its strength is given, or chosen on the validation rows among candidates (:func:`choose_l1`, as hls4ml's
  optimizer tunes its regularizer's strength with trials): one short trial fine-tune per candidate, then the
  schedule runs with the chosen strength; or, with ``l1_choice="warmup"``, one warm-up per candidate on the unpruned
  model (:func:`warm_up_trials`, where hls4ml's tuner tries its strengths too), the best one the start; or, with
  ``"unpruned"``, hls4ml's order: one trial of ``epochs // 2`` epochs per candidate on the unpruned model, the best
  one then warmed up. The trials are extra training, reported.

- the control (the tolerance's reference, ``prune(reference="control")`` or ``"lower"``): before the first step
  the unpruned weights get the same fine-tune at sparsity 0 (same epochs, recipe and batches: the random seed is
  set again before it and before every step), and the tolerance is measured against that control's validation
  accuracy (``"lower"``: the lower of it and the unpruned model's as given) instead of the unpruned model's. A
  step's accuracy then differs from its reference by what pruning costs, not by what ten more epochs of training
  do: the unpruned model was picked by early stopping on the same validation rows, so its score there is a
  selected high that a further fine-tune, pruned or not, seldom reaches (measured on jets16 seed 1: the unpruned
  model fine-tuned 10 epochs without pruning scores 83.6 % against its 85.3 %: a 1-point tolerance refused every
  sparsity down to 3 %). One fine-tune more, reported.

- ``rewind`` (hls4ml's weight rewinding, its ``rewinding_epochs``): a step's last ``rewind`` epochs train after its
  tolerance check without the masks, so pruned weights may grow back, and the next step ranks every group afresh
  on those weights instead of keeping the pruned ones pruned. The weights kept for a step are those it was checked
  with (masks enforced); the epochs per step do not change.

- ``warmup`` (hls4ml's optimizer fine-tunes at sparsity 0 first: its scheduler starts at its initial sparsity, so
  the best of its regularizer tuner's trial models gets one whole fine-tune with its L1 penalties before the first
  pruning step; measured, benchmarks/results/pruning_hls4ml_trace.md): before the first step the unpruned weights
  get ``warmup`` epochs of the steps' recipe (L1 penalty, targets, batches) without masks; its best validation
  epoch is where the schedule starts if it scores above the model as given, else the model as given is. It runs
  after the L1 strength is chosen (with it), before the control. The tolerance's reference does not move (it is
  measured against the model as given or the control, as without it).

A scheduler with one-shot probes (``BinaryScheduler(probe=...)``) gets them before the first fine-tune
(:func:`probe_one_shot`): validation evaluations of the unpruned weights masked at once, no training.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field, replace

import numpy as np

from ..errors import InvalidSetting
from .masks import enforce_masks
from .models import ends_in_softmax, model_accuracy, predict
from .progress import Progress, epoch_callback
from .report import PruneStep

__all__ = ["FineTuning", "ScheduleResult", "run_schedule", "distillation_targets", "probe_one_shot", "L1Trial",
           "choose_l1", "L1_AUTO", "control_fine_tune", "WarmUp", "warm_up", "warm_up_trials"]

#: the candidates ``prune(l1="auto")`` tries: none, and four strengths around the 1e-4 first measured with prune
#: (hls4ml's tuner searches 1e-6 to 1e-2)
L1_AUTO = (0.0, 1e-5, 3e-5, 1e-4, 3e-4)


@dataclass
class FineTuning:
    """How every step of the schedule fine-tunes (see the module docstring for ``ramp`` and ``distill``)."""

    epochs: int = 10
    batch_size: int = 64
    learning_rate: float = 1e-3
    ramp: int = 0
    distill: float = 0.0
    best_epoch: bool = False
    l1: float = 0.0
    rewind: int = 0
    warmup: int = 0
    #: where L1 candidates are tried: "step" (choose_l1), "warmup" or "unpruned" (warm_up_trials)
    l1_choice: str = "step"


@dataclass
class ScheduleResult:
    """The last state that met the tolerance: its weights, masks and schedule sparsity, and every step."""

    weights: list
    masks: dict = field(default_factory=dict)
    sparsity: float = 0.0
    accepted_any: bool = False
    steps: list = field(default_factory=list)
    probes: list = field(default_factory=list)  # one-shot (sparsity, val accuracy, within tolerance), no training
    l1_trials: list = field(default_factory=list)  # L1Trial per candidate strength (choose_l1)
    l1: float = 0.0  # the L1 strength the schedule ran with
    reference: float | None = None  # the validation accuracy the tolerance was measured against
    control_accuracy: float | None = None  # the unpruned weights' validation accuracy after the control fine-tune
    warmup: WarmUp | None = None  # the warm-up's outcome (prune(warmup=N))
    #: whether the tolerance was measured against the control (``reference`` "control", or "lower" where the control
    #: scored below the unpruned model as given; on a tie, the unpruned model)
    reference_is_control: bool = False


@dataclass(frozen=True)
class WarmUp:
    """The unpruned model's warm-up fine-tune before the first step (:func:`warm_up`, validation rows only)."""

    epochs: int
    val_accuracy: float  # its best epoch's
    val_before: float  # the unpruned model's as given
    kept: bool  # the schedule started from it (it scored above the model as given)


@dataclass(frozen=True)
class L1Trial:
    """One candidate L1 strength tried by :func:`choose_l1` (validation rows only)."""

    strength: float
    sparsity: float  # the trial's schedule sparsity (halfway from the first step's to the final; 0 for a warm-up)
    epochs: int
    val_accuracy: float  # after the trial fine-tune
    within_tolerance: bool
    chosen: bool = False


def distillation_targets(teacher, X, y, n_classes: int, weight: float) -> np.ndarray:
    """``(1 - weight) * one_hot(y) + weight * p_teacher(X)``: soft targets for categorical cross-entropy."""
    p = predict(teacher, X).astype(np.float64)
    if not ends_in_softmax(teacher):
        p = np.exp(p - p.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
    one_hot = np.eye(n_classes)[np.asarray(y).astype(int).ravel()]
    return ((1.0 - weight) * one_hot + weight * p).astype(np.float32)


def _training_targets(model, teacher, X, y, loss_fn, tune: FineTuning, user_loss: bool):
    """(targets, loss) for ``fit``: the labels and the loss as given, or distillation targets and a categorical
    cross-entropy."""
    if not tune.distill:
        return y, loss_fn
    if user_loss:
        raise InvalidSetting("prune: distill mixes the unpruned model's probabilities into the targets of the "
                             "default cross-entropy; it cannot be combined with a loss of your own (loss=...). "
                             "Pass distill=0 or leave loss unset.")
    import keras

    n_classes = int(model.outputs[0].shape[-1])
    targets = distillation_targets(teacher, X, y, n_classes, tune.distill)
    return targets, keras.losses.CategoricalCrossentropy(from_logits=not ends_in_softmax(model))


def probe_one_shot(work, plan, sched, final_capacity, val_rows, *, val_base, tolerance, metric: str, grads_fn,
                   shift_add: bool, best: ScheduleResult) -> None:
    """Evaluate ``sched.probes()`` one-shot on ``work`` (restored afterwards), hand the results to
    ``sched.bracket`` and, when a probe already meets the tolerance, accept the highest such one in ``best`` (its
    masked weights; no fine-tune spent)."""
    from .masks import apply_masks

    Xv, yv = val_rows
    start = work.get_weights()
    grads = grads_fn(work) if grads_fn is not None else None
    results, states = [], {}
    for s in sched.probes():
        masks = plan.masks(work, s, capacity=plan.capacity(s, final_capacity), metric=metric, gradients=grads,
                           shift_add=shift_add)
        apply_masks(work, masks)
        val = model_accuracy(work, Xv, yv)
        ok = val >= val_base - tolerance - 1e-12
        results.append((float(s), ok, val / val_base if val_base else 0.0))
        best.probes.append((float(s), float(val), bool(ok)))
        states[float(s)] = (work.get_weights(), masks)
        work.set_weights(start)
    lower, _ = sched.bracket(results)
    if lower in states:
        best.weights, best.masks = states[lower]
        best.sparsity, best.accepted_any = float(lower), True
        work.set_weights(best.weights)


@contextlib.contextmanager
def _l1_penalty(model, layer_names, strength: float):
    """Inside the block, the named layers' kernels carry an L1 regularizer of ``strength`` (compile inside it)."""
    if not strength:
        yield
        return
    import keras

    saved = []
    try:
        for n in layer_names:
            var = model.get_layer(n).kernel
            saved.append((var, var.regularizer))
            var.regularizer = keras.regularizers.L1(strength)
        yield
    finally:
        for var, old in saved:
            var.regularizer = old


def _fit_keep_best(work, Xf, targets, epochs: int, tune: FineTuning, bar: Progress, val_rows) -> None:
    """``epochs`` epochs of fit, keeping the weights of the epoch with the best validation accuracy."""
    Xv, yv = val_rows
    best_val, best_w = -1.0, None
    for _ in range(epochs):
        work.fit(Xf, targets, epochs=1, batch_size=tune.batch_size, verbose=0, shuffle=True,
                 callbacks=[epoch_callback(bar)])
        val = model_accuracy(work, Xv, yv)
        if val >= best_val:
            best_val, best_w = val, work.get_weights()
    work.set_weights(best_w)


def _fit_step(work, plan, s, start, masks, tune: FineTuning, *, final_capacity, metric: str, grads_fn,
              shift_add: bool, fit_loss, fit_rows, keep_best: bool, val_rows, bar: Progress) -> dict:
    """One fine-tune of ``tune.epochs`` epochs at schedule sparsity ``s`` (masks ramped from ``start`` over the
    first ``tune.ramp`` epochs, on top of ``masks``); returns the step's masks (``work`` changed in place)."""
    import keras

    Xf, targets = fit_rows
    ramp = max(1, min(int(tune.ramp), tune.epochs)) if tune.ramp else 1
    for part in range(ramp):
        s_part = start + (s - start) * (part + 1) / ramp
        grads = grads_fn(work) if grads_fn is not None else None
        masks = plan.masks(work, s_part, capacity=plan.capacity(s_part, final_capacity), metric=metric,
                           gradients=grads, previous=masks, shift_add=shift_add)
        epochs = 1 if part < ramp - 1 else tune.epochs - (ramp - 1)
        with enforce_masks(work, masks), _l1_penalty(work, plan.prunable_layers, tune.l1):
            work.compile(optimizer=keras.optimizers.Adam(tune.learning_rate), loss=fit_loss)
            if keep_best and part == ramp - 1:  # only epochs at the step's own sparsity compete
                _fit_keep_best(work, Xf, targets, epochs, tune, bar, val_rows)
            else:
                work.fit(Xf, targets, epochs=epochs, batch_size=tune.batch_size, verbose=0, shuffle=True,
                         callbacks=[epoch_callback(bar)])
    return masks


def choose_l1(work, plan, s: float, start: float, masks, tune: FineTuning, candidates, step, *,
              final_sparsity: float, final_capacity, val_rows, val_base: float, tolerance: float, seed: int,
              bar: Progress) -> list[L1Trial]:
    """Try every candidate L1 strength on the validation rows and mark the one to prune with.

    Each trial starts from ``work``'s weights (restored afterwards) with the same random seed and fine-tunes
    ``max(1, tune.epochs // 2)`` epochs with the candidate's penalty (hls4ml's tuner trials are ``epochs // 2``
    epochs each) at a sparsity where the penalty matters: halfway from the first step's ``s`` to
    ``final_sparsity`` (the binary search's second step when the first holds), the masks ramped there from
    ``start`` over the step's ramp. The strength whose trial keeps the highest validation accuracy there is
    chosen (ties: the weaker), as hls4ml's tuner keeps the trial with the best validation metric. The accuracy
    after training prices both sides of the penalty: what it costs the model and what it saves the pruning.
    Only the validation rows are used; ``within_tolerance`` (against ``val_base - tolerance``) is reported.

    Two earlier scores, measured on the benchmark (benchmarks/results/pruning_l1_auto_*): trials at ``s`` itself
    scored by how far their weights could be pruned further at once within the tolerance (tied on 8 of 10 seeds,
    the choice then fell to single validation rows), and by the mean one-shot accuracy above ``s`` (grew with the
    strength on every seed: it chose the largest candidate whatever the candidates, as at ``s`` no penalty cost
    accuracy)."""

    Xv, yv = val_rows
    w0 = work.get_weights()
    epochs = max(1, tune.epochs // 2)
    trial_s = s + (final_sparsity - s) / 2
    bar.grow(epochs * len(candidates))
    trials = []
    for strength in candidates:
        bar.describe(f"L1 trial {strength:g}")
        _seed(seed)  # every candidate sees the same batches
        step(trial_s, start, masks, replace(tune, epochs=epochs, ramp=min(int(tune.ramp), epochs),
                                            best_epoch=False, l1=strength))
        val = float(model_accuracy(work, Xv, yv))
        trials.append(L1Trial(float(strength), float(trial_s), epochs, val, bool(val >= val_base - tolerance - 1e-12)))
        work.set_weights(w0)
    _seed(seed)  # the schedule's batches do not depend on how many candidates were tried
    pick = max(trials, key=lambda t: (t.val_accuracy, -t.strength))
    return [replace(t, chosen=t is pick) for t in trials]


def _fit_unmasked(work, plan, tune: FineTuning, fit_rows, fit_loss, epochs: int, bar: Progress,
                  val_rows=None) -> None:
    """``epochs`` epochs of ``work`` without masks, ``tune``'s L1 penalty on the prunable kernels; with
    ``val_rows`` the best validation epoch is kept (:func:`_fit_keep_best`)."""
    import keras

    Xf, targets = fit_rows
    with _l1_penalty(work, plan.prunable_layers, tune.l1):
        work.compile(optimizer=keras.optimizers.Adam(tune.learning_rate), loss=fit_loss)
        if val_rows is not None:
            _fit_keep_best(work, Xf, targets, epochs, tune, bar, val_rows)
        else:
            work.fit(Xf, targets, epochs=epochs, batch_size=tune.batch_size, verbose=0, shuffle=True,
                     callbacks=[epoch_callback(bar)])


def warm_up(work, plan, tune: FineTuning, fit_rows, fit_loss, val_rows, *, val_base: float, seed: int,
            bar: Progress) -> WarmUp:
    """``tune.warmup`` epochs of the unpruned weights in ``work`` (no masks, the L1 penalty of ``tune``), keeping
    the best validation epoch; ``work`` keeps it only if it scores above ``val_base``, else is restored."""
    return warm_up_trials(work, plan, tune, (tune.l1,), fit_rows, fit_loss, val_rows, val_base=val_base,
                          tolerance=None, seed=seed, bar=bar)[1]


def warm_up_trials(work, plan, tune: FineTuning, candidates, fit_rows, fit_loss, val_rows, *, val_base: float,
                   tolerance: float | None, seed: int, bar: Progress,
                   trial_epochs: int | None = None) -> tuple[list[L1Trial], WarmUp]:
    """The L1 strength chosen the way hls4ml's optimizer chooses its regularizer, but on the validation rows: one
    warm-up (:func:`warm_up`: ``tune.warmup`` epochs of the unpruned weights, no masks, the best validation epoch)
    per candidate strength, each from ``work``'s weights with the same random seed; the candidate whose warm-up
    scores highest on the validation rows is chosen (ties: the weaker) and its warmed-up weights are where the
    schedule starts if they score above ``val_base`` (else ``work``'s weights as given are). hls4ml's tuner tries
    its strengths on the unpruned model too (at its initial sparsity 0) and prunes from its best trial's model, but
    keeps the trial with the best *training* accuracy (measured: benchmarks/results/pruning_hls4ml_trace.md).
    With ``trial_epochs`` (hls4ml's order: its tuner's trials are ``epochs // 2`` epochs, then its best trial's
    model gets a whole fine-tune at sparsity 0) every candidate trains that many epochs and the chosen one then
    ``tune.warmup`` epochs more (its best validation epoch of both parts kept).
    Returns the trials (``sparsity`` 0; ``within_tolerance`` against ``val_base - tolerance``, True without a
    tolerance) and the chosen warm-up."""
    w0 = work.get_weights()
    each = int(tune.warmup if trial_epochs is None else trial_epochs)
    trials, states = [], []
    for strength in candidates:
        work.set_weights(w0)
        bar.describe("warm-up: the unpruned model, no masks" + (f", L1 {strength:g}" if len(candidates) > 1 else ""))
        bar.grow(each)
        _seed(seed)  # every candidate sees the same batches
        _fit_unmasked(work, plan, replace(tune, l1=float(strength)), fit_rows, fit_loss, each, bar, val_rows)
        val = float(model_accuracy(work, *val_rows))
        trials.append(L1Trial(float(strength), 0.0, each, val,
                              tolerance is None or bool(val >= val_base - tolerance - 1e-12)))
        states.append(work.get_weights())
    i = max(range(len(trials)), key=lambda k: (trials[k].val_accuracy, -trials[k].strength))
    best_val, best_w, epochs = trials[i].val_accuracy, states[i], each
    if trial_epochs is not None:  # the chosen trial goes on as the warm-up
        work.set_weights(best_w)
        bar.describe(f"warm-up: the unpruned model, no masks, L1 {trials[i].strength:g}")
        bar.grow(tune.warmup)
        _fit_unmasked(work, plan, replace(tune, l1=trials[i].strength), fit_rows, fit_loss, tune.warmup, bar,
                      val_rows)
        val = float(model_accuracy(work, *val_rows))
        if val >= best_val:
            best_val, best_w = val, work.get_weights()
        epochs += int(tune.warmup)
    kept = best_val > val_base
    work.set_weights(best_w if kept else w0)
    return ([replace(t, chosen=k == i) for k, t in enumerate(trials)],
            WarmUp(epochs, best_val, float(val_base), kept))


def _seed(seed: int) -> None:
    import keras

    keras.utils.set_random_seed(seed)


def control_fine_tune(work, teacher, resume, step, tune: FineTuning, val_rows, *, seed: int, bar: Progress) -> float:
    """The validation accuracy of the unpruned weights (``teacher``'s) after one fine-tune as every step gets it,
    at sparsity 0 (every group kept), with the random seed set as before every paired step; ``work`` is left
    holding ``resume``. The reference ``prune(reference="control")`` measures its tolerance against."""
    Xv, yv = val_rows
    work.set_weights(teacher.get_weights())
    bar.describe("control: the unpruned model fine-tuned without pruning")
    bar.grow(tune.epochs)
    _seed(seed)
    step(0.0, 0.0, None, tune)
    acc = float(model_accuracy(work, Xv, yv))
    work.set_weights(resume)
    return acc


def run_schedule(work, teacher, plan, sched, final_sparsity: float, final_capacity, fit_rows, val_rows, *,
                 val_base, tune: FineTuning, metric: str, tolerance, cutoff_bad_trials: int, shift_add: bool,
                 loss_fn, user_loss: bool, bar: Progress, l1_candidates: tuple = (), seed: int = 0,
                 reference: str = "lower") -> ScheduleResult:
    """Run ``sched`` on ``work`` (changed in place) until it stops; ``work`` ends holding the weights of the last
    step that met the tolerance (the unpruned weights if none did). With two or more ``l1_candidates`` the L1
    strength is chosen first (:func:`choose_l1`, or :func:`warm_up_trials` with ``tune.l1_choice`` "warmup" or
    "unpruned") and
    replaces ``tune.l1``. With a tolerance, ``reference``
    ``"control"`` measures it against the unpruned weights after the same fine-tune (:func:`control_fine_tune`),
    ``"lower"`` against the lower of that and ``val_base``, and every step then sees the control's batches;
    ``"model"`` against ``val_base``; ``"start"`` against the weights the schedule starts from (the warm-up's
    best validation accuracy when one was kept, else ``val_base``)."""
    Xf, yf = fit_rows
    Xv, yv = val_rows
    targets, fit_loss = _training_targets(work, teacher, Xf, yf, loss_fn, tune, user_loss)
    grads_fn = None
    if metric == "taylor":
        from .importance import kernel_gradients

        grads_fn = lambda m: kernel_gradients(m, plan.prunable_layers, Xf, yf, loss_fn)  # noqa: E731
    elif metric == "activation":
        from .importance import input_scales

        grads_fn = lambda m: input_scales(m, plan.prunable_layers, Xf)  # noqa: E731
    best = ScheduleResult(work.get_weights())
    if sched.probes() and tolerance is not None and Xv is not None and final_sparsity > 0.0:
        probe_one_shot(work, plan, sched, final_capacity, val_rows, val_base=val_base, tolerance=tolerance,
                       metric=metric, grads_fn=grads_fn, shift_add=shift_add, best=best)
    keep_best = tune.best_epoch and Xv is not None

    def step(s, start, masks, tune):
        return _fit_step(work, plan, s, start, masks, tune, final_capacity=final_capacity, metric=metric,
                         grads_fn=grads_fn, shift_add=shift_add, fit_loss=fit_loss, fit_rows=(Xf, targets),
                         keep_best=keep_best and tune.best_epoch, val_rows=val_rows, bar=bar)

    bad = 0
    go, s = sched.update_step()
    if final_sparsity == 0.0:
        go = False
    best.l1 = tune.l1
    if go and len(l1_candidates) > 1 and tune.l1_choice != "step":  # prune checks warmup and validation rows
        best.l1_trials, best.warmup = warm_up_trials(
            work, plan, tune, l1_candidates, (Xf, targets), fit_loss, val_rows, val_base=val_base,
            tolerance=tolerance, seed=seed, bar=bar,
            trial_epochs=max(1, tune.epochs // 2) if tune.l1_choice == "unpruned" else None)
        best.l1 = next(t.strength for t in best.l1_trials if t.chosen)
        tune = replace(tune, l1=best.l1)
        best.weights = work.get_weights()
    elif go and len(l1_candidates) > 1:
        trials = choose_l1(work, plan, s, best.sparsity if s > best.sparsity else s, best.masks or None, tune,
                           l1_candidates, step, final_sparsity=final_sparsity, final_capacity=final_capacity,
                           val_rows=val_rows, val_base=val_base, tolerance=tolerance, seed=seed, bar=bar)
        best.l1_trials = trials
        best.l1 = next(t.strength for t in trials if t.chosen)
        tune = replace(tune, l1=best.l1)
    if go and tune.warmup and Xv is not None and best.warmup is None:  # with the strength chosen; not with probes
        best.warmup = warm_up(work, plan, tune, (Xf, targets), fit_loss, val_rows, val_base=val_base, seed=seed,
                              bar=bar)
        best.weights = work.get_weights()
    rewind = int(tune.rewind)
    masked = replace(tune, epochs=tune.epochs - rewind)  # a step's epochs with its masks, before the check
    best.reference = val_base
    if reference == "start" and best.warmup is not None and best.warmup.kept:
        best.reference = best.warmup.val_accuracy  # where the schedule starts: lose at most the tolerance from it
    paired = reference in ("control", "lower") and go and tolerance is not None and Xv is not None
    if paired:
        best.control_accuracy = control_fine_tune(work, teacher, best.weights, step, masked, val_rows, seed=seed,
                                                  bar=bar)
        best.reference_is_control = reference == "control" or best.control_accuracy < val_base
        best.reference = best.control_accuracy if best.reference_is_control else val_base
    while go:
        ts = time.time()
        start = best.sparsity if s > best.sparsity else s
        masks = None if rewind else (best.masks or None)  # rewound weights are ranked afresh
        bar.describe(f"pruning {100 * s:.0f} %")
        if bar.done + tune.epochs > bar.total:
            bar.grow(bar.done + tune.epochs - bar.total)
        if paired:
            _seed(seed)  # the control's batches: the step differs from its reference by its masks only
        masks = step(s, start, masks, masked)
        val = model_accuracy(work, Xv, yv)
        ok = tolerance is None or val is None or val >= best.reference - tolerance - 1e-12
        best.steps.append(PruneStep(float(s), plan.usage(masks).tolist(), val if val is not None else float("nan"),
                                    ok, time.time() - ts))
        if ok:
            bad = 0
            best.weights, best.masks, best.sparsity, best.accepted_any = work.get_weights(), masks, float(s), True
            go, s = sched.update_step()
        else:
            bad += 1
            if sched.name != "binary" and bad > cutoff_bad_trials:
                break
            go, s = sched.repair_step()
            if not (go and sched.retrying):
                work.set_weights(best.weights)  # go on from the last state that met the tolerance
        if go and rewind:  # hls4ml's weight rewinding, the step's L1 penalty kept
            bar.describe("rewinding: no masks")
            _fit_unmasked(work, plan, tune, (Xf, targets), fit_loss, rewind, bar)
    work.set_weights(best.weights)
    return best
