"""``prune``: DSP-aware pruning of a Keras 3 model for an hls4ml Design (the loop of hls4ml's ``optimize_model``)."""

from __future__ import annotations

import tempfile
import time
import warnings

import numpy as np

from ._validate import check_prune_inputs
from .masks import apply_masks, enforce_masks, mask_violations
from .plan import Budget, PruningPlan, plan_pruning
from .ranges import find_overflows
from .report import PruneReport, PruneStep
from .schedulers import make_scheduler

__all__ = ["prune", "split_data", "CSIM_GAP"]

CSIM_GAP = 0.02  # a C simulation this far below Keras (accuracy) means the fixed-point types do not hold the model


def split_data(data, validation=None, validation_split: float = 0.2, seed: int = 0):
    """(X_fit, y_fit, X_val, y_val, X_test, y_test) from a Dataset or tuples.

    ``data``: an :class:`hlsnb.data.Dataset`, ``(X_train, y_train)`` or ``(X_train, y_train, X_test, y_test)``.
    The tolerance check uses ``validation=(X, y)`` if given, else a seeded ``validation_split`` of the training
    rows that fine-tuning does not see; the test split is only used for the accuracies in the report.
    """
    if hasattr(data, "X_train"):
        Xtr, ytr, Xte, yte = data.X_train, data.y_train, data.X_test, data.y_test
    elif isinstance(data, (tuple, list)) and len(data) in (2, 4):
        Xtr, ytr = data[0], data[1]
        Xte, yte = (data[2], data[3]) if len(data) == 4 else (None, None)
    else:
        raise TypeError("data must be an hlsnb Dataset, (X_train, y_train) or (X_train, y_train, X_test, y_test)")
    Xtr, ytr = np.asarray(Xtr), np.asarray(ytr)
    if len(Xtr) != len(ytr) or len(Xtr) == 0:
        raise ValueError(f"training data: {len(Xtr)} rows of X but {len(ytr)} labels")
    if validation is not None:
        Xv, yv = np.asarray(validation[0]), np.asarray(validation[1])
        Xf, yf = Xtr, ytr
    elif validation_split and validation_split > 0:
        if not 0 < validation_split < 1:
            raise ValueError(f"validation_split must be in (0, 1), got {validation_split!r}")
        rng = np.random.default_rng(seed)
        idx = rng.permutation(len(Xtr))
        nv = max(1, int(round(validation_split * len(Xtr))))
        Xv, yv, Xf, yf = Xtr[idx[:nv]], ytr[idx[:nv]], Xtr[idx[nv:]], ytr[idx[nv:]]
    else:
        Xv = yv = None
        Xf, yf = Xtr, ytr
    return Xf, yf, Xv, yv, (None if Xte is None else np.asarray(Xte)), (None if yte is None else np.asarray(yte))


def _accuracy(model, X, y) -> float | None:
    if X is None:
        return None
    X = np.asarray(X, dtype=np.float32)
    # a direct call, not predict(): predict retraces after every re-compile and warns about it
    p = np.concatenate([np.asarray(model(X[i:i + 4096], training=False)) for i in range(0, len(X), 4096)])
    return float(np.mean(np.argmax(p, axis=1) == np.asarray(y).ravel()))


def _default_loss(model):
    import keras

    last = model.layers[-1]
    act = getattr(last, "activation", None)
    softmax = getattr(act, "__name__", "") == "softmax" or type(last).__name__ == "Softmax"
    return keras.losses.SparseCategoricalCrossentropy(from_logits=not softmax)


def _clone(model):
    import keras

    try:
        clone = keras.models.clone_model(model)
    except Exception as e:  # Keras refuses a model it cannot clone with several error types: one message for all
        raise ValueError(f"cannot copy the model for pruning ({e}); use a Sequential or functional Keras model") from e
    clone.set_weights(model.get_weights())
    return clone


class _Progress:
    """tqdm bar over fine-tune epochs, or a user callback ``f(done, total, text)``."""

    def __init__(self, progress, total: int):
        self.cb = progress if callable(progress) else None
        self.total, self.done, self.text = total, 0, ""
        self.bar = None
        if progress is True:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, desc="pruning", unit="epoch")

    def grow(self, extra: int):
        self.total += extra
        if self.bar is not None:
            self.bar.total = self.total
            self.bar.refresh()

    def describe(self, text: str):
        self.text = text
        if self.bar is not None:
            self.bar.set_description(text)
        if self.cb is not None:
            self.cb(self.done, self.total, text)

    def epoch(self, logs=None):
        self.done += 1
        if self.bar is not None:
            self.bar.update(1)
            if logs:
                self.bar.set_postfix({k: f"{v:.3f}" for k, v in logs.items() if k in ("loss", "accuracy")})
        if self.cb is not None:
            self.cb(self.done, self.total, self.text)

    def close(self):
        if self.bar is not None:
            self.bar.close()


def _epoch_callback(progress: _Progress):
    import keras

    class CB(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            progress.epoch(logs)

    return CB()


def _target_text(target, plan: PruningPlan) -> str:
    if isinstance(target, Budget) or (isinstance(target, (int, np.integer)) and not isinstance(target, bool)):
        v = target.value if isinstance(target, Budget) else int(target)
        vs = v if isinstance(v, (tuple, list)) else (v,)
        return "at most " + ", ".join(f"{x:g} {plan._unit(i)}" for i, x in enumerate(vs))
    return f"sparsity {float(target):g} of the prunable {plan._unit(0)}"


def prune(model, design, objective="dsp", data=None, *, target=0.5, scheduler="polynomial", epochs: int = 10,
          batch_size: int = 64, learning_rate: float = 1e-3, metric: str = "l1", tolerance: float | None = None,
          cutoff_bad_trials: int = 1, validation=None, validation_split: float = 0.2, structure=None, layers=None,
          min_keep: int = 1, loss=None, csim: bool = True, csim_baseline: bool = False, output_dir: str | None = None,
          progress=True, seed: int = 0, price: str = "weights", shift_add: bool = False):
    """Prune ``model`` for ``design`` the way ``objective`` says saves most, fine-tuning with the masks enforced.

    Parameters
    ----------
    model : a Keras 3 Sequential or functional model (not changed: a pruned copy is returned).
    design : the :class:`hlsnb.design.Design` of ``model`` (strategy, ReuseFactor, precision per layer).
    objective : ``"dsp"`` (default), ``"parameters"``, ``"ff"``, ``"dsp+bram"``, ``"gpu_flops"`` or an
        ``hlsnb.objectives.ObjectiveEstimator``. It picks the structure per layer: single weights (Latency),
        multiplier patterns (Resource), neurons/filters (structured), and what removing one saves.
    data : an :class:`hlsnb.data.Dataset`, ``(X_train, y_train)`` or ``(X_train, y_train, X_test, y_test)``;
        integer class labels.
    target : a sparsity in [0, 1) (fraction of the objective's prunable usage to remove), or a budget in the
        objective's units: ``Budget(60)`` or the int ``60`` = at most 60 DSPs in the objective's count.
    scheduler : ``"polynomial"`` (default, 5 steps), ``"constant"``, ``"binary"`` or a ``Scheduler`` instance.
    epochs : fine-tuning epochs per schedule step. batch_size, learning_rate : Adam fine-tuning.
    metric : group importance, ``"l1"``, ``"l2"`` or ``"taylor"`` (see :mod:`hlsnb.prune.importance`).
    tolerance : early stop: a step is kept only if the validation accuracy is at most ``tolerance`` (absolute,
        e.g. 0.01 = 1 point) below the unpruned model's; ``None`` keeps every step.
    cutoff_bad_trials : with constant/polynomial schedules, stop after this many failed steps in a row.
    validation / validation_split : the data the tolerance is checked on (default: 20 % of the training rows,
        held out from fine-tuning).
    structure, layers, min_keep : see :func:`hlsnb.prune.plan_pruning`.
    loss : Keras loss for fine-tuning (default: sparse categorical cross-entropy).
    csim : convert the pruned model with ``design`` and measure its hls4ml C-simulation test accuracy (one g++
        compile, a few seconds). csim_baseline : also simulate the unpruned model. output_dir : hls4ml project
        folder (default: a temporary folder).
    progress : True (tqdm bar), False, or a callable ``f(done_epochs, total_epochs, text)``.
    price : how the knapsack prices a group (:func:`hlsnb.prune.plan_pruning`): ``"weights"`` (default) by the
        DSPs its weights really use where hlsnb's DSP objective knows them, else the layer's average.
    shift_add : instead of zeroing a pruned weight, hold it at the nearest constant with at most 2 canonical signed
        digits in its weight type (``"dsp"`` objective, Latency, ReuseFactor 1 only). In the Latency strategy such
        a constant product is built from shifts and adds in LUTs, without a DSP (the estimator's calibrated rule),
        and it changes the model far less than a zero: more DSPs go for the same accuracy, at some LUTs each
        (the report's estimates show both).

    Returns
    -------
    (pruned_model, PruneReport). If anything fails on the way, the exception propagates and nothing is returned:
    the input model is never modified. When a tolerance stops the schedule early, the model is the last step that
    met it and ``report.status`` / ``report.target_reached`` say so (and a warning is issued).
    """
    import keras

    t0 = time.time()
    check_prune_inputs(model, data, validation=validation, epochs=epochs, batch_size=batch_size, seed=seed,
                       metric=metric, learning_rate=learning_rate, validation_split=validation_split,
                       cutoff_bad_trials=cutoff_bad_trials, min_keep=min_keep)
    if data is None:
        raise ValueError("prune needs training data: an hlsnb Dataset or (X_train, y_train[, X_test, y_test])")
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs!r}")
    if tolerance is not None and not (0 <= tolerance < 1):
        raise ValueError(f"tolerance is an absolute accuracy drop in [0, 1), e.g. 0.01 for 1 point; got {tolerance!r}")
    plan = plan_pruning(model, design, objective, structure=structure, layers=layers, min_keep=min_keep,
                        price=price)
    if shift_add:
        plan.check_shift_add()
    final_s = plan.final_sparsity(target)  # raises for impossible targets, before any training
    final_cap = None
    if isinstance(target, Budget) or (isinstance(target, (int, np.integer)) and not isinstance(target, bool)):
        b = (target if isinstance(target, Budget) else Budget(int(target))).as_array(plan.dims)
        final_cap = np.maximum(b - plan.fixed, 0.0)
    sched = make_scheduler(scheduler)
    sched.reset(final_s)
    Xf, yf, Xv, yv, Xte, yte = split_data(data, validation, validation_split, seed)
    if tolerance is not None and Xv is None:
        raise ValueError("a tolerance needs validation data: pass validation=(X, y) or validation_split > 0")

    keras.utils.set_random_seed(seed)
    work = _clone(model)
    loss_fn = loss if loss is not None else _default_loss(model)
    from ..estimate import estimate_design

    design_before = design.copy()
    design_before.attach_weights(model)
    estimate_before = estimate_design(design_before)
    acc_before = _accuracy(work, Xte, yte)
    val_base = _accuracy(work, Xv, yv)
    objective_before = plan.usage({}).tolist()
    seen_rows_note = None
    if tolerance is not None and validation is None and val_base is not None and val_base >= 0.995:
        # the split comes from the rows the model was trained on: a saturated baseline makes the tolerance
        # meaningless (measured: 1-point tolerance, 1.55 points lost on test)
        seen_rows_note = (f"the tolerance was checked on {len(Xv)} of the training rows, where the unpruned model "
                          f"scores {100 * val_base:.1f} %: it has probably been trained on them, so the check says "
                          "little about new data. Pass validation=(X_val, y_val) with rows the model never saw.")
        warnings.warn(seen_rows_note, stacklevel=2)

    grads = None
    if metric == "taylor":
        from .importance import kernel_gradients

        grads_fn = lambda m: kernel_gradients(m, plan.prunable_layers, Xf, yf, loss_fn)  # noqa: E731
    best_weights = work.get_weights()
    best_masks: dict = {}
    best_s = 0.0
    accepted_any = False
    steps: list[PruneStep] = []
    bar = _Progress(progress, sched.planned_steps() * epochs)
    bad = 0
    try:
        go, s = sched.update_step()
        if final_s == 0.0:
            go = False
        while go:
            ts = time.time()
            cap = plan.capacity(s, final_cap)
            if metric == "taylor":
                grads = grads_fn(work)
            masks = plan.masks(work, s, capacity=cap, metric=metric, gradients=grads,
                               previous=best_masks or None, shift_add=shift_add)
            usage = plan.usage(masks)
            bar.describe(f"pruning {100 * s:.0f} %")
            if bar.done + epochs > bar.total:
                bar.grow(bar.done + epochs - bar.total)
            with enforce_masks(work, masks):
                work.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=loss_fn)
                work.fit(Xf, yf, epochs=epochs, batch_size=batch_size, verbose=0, shuffle=True,
                         callbacks=[_epoch_callback(bar)])
            val = _accuracy(work, Xv, yv)
            ok = tolerance is None or val is None or val >= val_base - tolerance - 1e-12
            steps.append(PruneStep(float(s), usage.tolist(), val if val is not None else float("nan"), ok,
                                   time.time() - ts))
            if ok:
                bad = 0
                best_weights, best_masks, best_s, accepted_any = work.get_weights(), masks, float(s), True
                go, s = sched.update_step()
            else:
                bad += 1
                work.set_weights(best_weights)  # go on from the last state that met the tolerance
                if sched.name != "binary" and bad > cutoff_bad_trials:
                    break
                go, s = sched.repair_step()
    finally:
        bar.close()

    work.set_weights(best_weights)
    if best_masks:
        apply_masks(work, best_masks)
        bad_left = mask_violations(work, best_masks)
        if bad_left:
            raise RuntimeError(f"masked weights are not zero after pruning: {bad_left} (please report this)")
    reached = final_s == 0.0 or (accepted_any and np.isclose(best_s, final_s))
    if reached:
        status = "done"
    elif accepted_any:
        status = "stopped"
    else:
        status = "unpruned"
    notes = [seen_rows_note] if seen_rows_note else []
    if not reached:
        why = (f"the validation accuracy fell more than {tolerance:g} below the unpruned model's "
               f"({val_base:.3f}) at higher sparsity" if tolerance is not None else "the schedule ended early")
        msg = (f"pruning target {_target_text(target, plan)} not reached: kept schedule sparsity {best_s:.3f} of "
               f"{final_s:.3f} because {why}")
        notes.append(msg)
        warnings.warn(msg, stacklevel=2)
    for n, p in plan.layers.items():
        if not p.prunable and p.reason:
            notes.append(f"{n} not pruned: {p.reason}")

    design_after = design.copy()
    design_after.attach_weights(work)
    estimate_after = estimate_design(design_after)
    checked = [a for a in (Xte, Xv, Xf) if a is not None]
    overflows = find_overflows(work, design_after, np.concatenate(checked[:2]) if checked else None)
    if overflows:
        status = "overflow"
        for o in overflows:
            notes.append(str(o))
        warnings.warn("the pruned model overflows its fixed-point types (the C simulation will wrap): "
                      + "; ".join(str(o) for o in overflows), stacklevel=2)
    rows = []
    for n, p in plan.layers.items():
        k0 = np.asarray(model.get_layer(n).kernel.numpy())
        k1 = np.asarray(work.get_layer(n).kernel.numpy())
        m = best_masks.get(n)
        pruned_groups = 0
        if m is not None and p.groups is not None:
            kept = np.bincount(p.groups.ravel(), weights=m.kernel.ravel(), minlength=p.n_groups) > 0
            pruned_groups = int(p.n_groups - kept.sum())
        rows.append({"layer": n, "structure": p.structure if p.prunable else None, "weights": int(k0.size),
                     "zeros_before": int(np.count_nonzero(k0 == 0)), "zeros_after": int(np.count_nonzero(k1 == 0)),
                     "sparsity": float(np.count_nonzero(k1 == 0) / k0.size), "groups": p.n_groups,
                     "groups_pruned": pruned_groups,
                     "estimated_dsp_before": estimate_before.layer(n).dsp,
                     "estimated_dsp_after": estimate_after.layer(n).dsp,
                     "note": None if p.prunable else p.reason})
    report = PruneReport(
        objective=plan.objective_name, objective_units=[plan._unit(d) for d in range(plan.dims)],
        target=_target_text(target, plan), status=status, target_reached=bool(reached), final_sparsity=best_s,
        layers=rows, objective_before=objective_before, objective_after=plan.usage(best_masks).tolist(),
        estimate_before=estimate_before, estimate_after=estimate_after, keras_accuracy_before=acc_before,
        keras_accuracy_after=_accuracy(work, Xte, yte), val_accuracy_baseline=val_base, steps=steps,
        design=design_after, masks=best_masks, notes=notes, overflows=overflows,
    )
    if csim:
        if Xte is None:
            report.csim_error = "no test data given"
        else:
            out = output_dir or tempfile.mkdtemp(prefix="hlsnb_prune_")
            report.csim_dir = out
            try:
                report.csim_accuracy = csim_accuracy(work, design_after, Xte, yte, f"{out}/pruned")
                if csim_baseline:
                    report.csim_accuracy_before = csim_accuracy(model, design_before, Xte, yte, f"{out}/baseline")
            except Exception as e:  # noqa: BLE001  (a failed C simulation must not lose the pruned model: the report says why)
                report.csim_error = f"{type(e).__name__}: {e}"
            k, c = report.keras_accuracy_after, report.csim_accuracy
            if c is not None and k is not None and c < k - CSIM_GAP:
                msg = (f"the C simulation scores {100 * c:.1f} %, {100 * (k - c):.1f} points below Keras "
                       f"({100 * k:.1f} %): check the layers' precisions (hlsnb.prune.find_overflows names overflows)")
                report.notes.append(msg)
                if report.status == "done":
                    report.status = "csim_mismatch"
                warnings.warn(msg, stacklevel=2)
    report.seconds = time.time() - t0
    return work, report


def csim_accuracy(model, design, X, y, output_dir: str) -> float:
    """Test accuracy of ``model`` converted with ``design`` and run in hls4ml's C simulation (g++ compile)."""
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):
        hm = design.convert(model, output_dir=output_dir)
        hm.compile()
    p = hm.predict(np.ascontiguousarray(X, dtype=np.float32))
    return float(np.mean(np.argmax(np.asarray(p), axis=1) == np.asarray(y).ravel()))
