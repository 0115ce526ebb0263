"""``hls4ml.optimization.dsp_aware_pruning.keras``: ``optimize_model`` on Keras 3.

Same signature, loop and result as hls4ml 1.3: the baseline ``validation_metric`` on ``(X_val, y_val)``; then, for
every sparsity the scheduler proposes, masks from the objective's knapsack (:func:`get_model_masks`), ``epochs -
rewinding_epochs`` epochs of fine-tuning with the masked weights frozen (at zero, or at their shared value), a check
against ``rtol`` x baseline (the trial is kept when the metric is at least that, or at most that when
``increasing=False``), ``rewinding_epochs`` epochs without the freeze, and a stop after more than
``cutoff_bad_trials`` bad trials in a row. It returns the model with the best kept weights (a new model: the one
passed in is not changed).

Differences from hls4ml, on purpose or because Keras 3 has no equivalent:

- hls4ml first tunes group-lasso regularizers with keras_tuner (``tuner``, ``regularization_range``); keras_tuner
  and those Keras-2 regularizers do not work on Keras 3, so the groups are ranked by their norms directly and both
  arguments are accepted and ignored (a warning says so when they differ from hls4ml's defaults).
- the best weights are kept in memory; ``directory`` is accepted and not written to.
- hls4ml's ``GPUFLOPEstimator`` run removes the zeroed neurons with Keras Surgeon (Keras 2 only); here the zeroed
  neurons stay in the returned model (a warning says so).
- ``saliency`` ranking needs full Hessians: refused (use ``l1``, ``l2`` or ``oracle``).
"""

from __future__ import annotations

import warnings

import numpy as np

from ..config import SUPPORTED_STRUCTURES
from ..scheduler import OptimizationScheduler
from .config import SUPPORTED_LAYERS, SUPPORTED_METRICS, TMP_DIRECTORY
from .masking import get_model_masks

__all__ = ["optimize_model", "default_regularization_range"]

default_regularization_range = np.logspace(-6, -2, num=16).tolist()


class _Frozen:
    """Keras constraint: weights outside the mask keep their frozen value (zero, or the shared mean)."""

    def __init__(self, mask, offset):
        self.mask, self.offset = mask, offset

    def __call__(self, w):
        import keras

        return w * keras.ops.cast(self.mask, w.dtype) + keras.ops.cast(self.offset, w.dtype)


def _fit(model, optimizer, loss_fn, metric, X, y, batch_size, epochs, verbose, callbacks, frozen=None):
    saved = []
    try:
        for layer, mask, offset in frozen or []:
            saved.append((layer.kernel, layer.kernel.constraint))
            layer.kernel.constraint = _Frozen(mask, offset)
        model.compile(optimizer=optimizer, loss=loss_fn, metrics=[metric])  # the train step reads the constraints
        if epochs > 0:
            model.fit(X, y, batch_size=batch_size, epochs=epochs, verbose=int(bool(verbose)), shuffle=True,
                      callbacks=callbacks)
    finally:
        for var, old in saved:
            var.constraint = old


def _evaluate(model, X, y, batch_size):
    return float(np.atleast_1d(model.evaluate(X, y, batch_size=batch_size, verbose=0))[-1])


def _reset_optimizer(optimizer):
    # as hls4ml: Adam's moments would move frozen weights; start every sparsity level from a clean optimizer.
    # Keras 3 keeps the learning rate among the variables too: that one stays.
    lr = getattr(optimizer, "_learning_rate", None)
    for v in getattr(optimizer, "variables", []):
        if v is not lr and "learning_rate" not in getattr(v, "path", v.name):
            v.assign(np.zeros(tuple(v.shape), dtype=v.dtype))


def _clone(model):
    import keras

    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    return clone


def _mark_optimizable(model, attrs, objective):
    weighted = [i for i, layer in enumerate(model.layers) if layer.get_weights()]
    last = weighted[-1] if weighted else -1
    for i, layer in enumerate(model.layers):
        la = attrs[layer.name]
        if not isinstance(layer, SUPPORTED_LAYERS):
            la.optimizable, la.optimization_attributes = False, None
            continue
        la.optimizable, oa = objective.is_layer_optimizable(la)
        la.optimization_attributes = oa
        # structured pruning of the last layer would remove outputs: only weight sharing stays allowed there
        if oa is not None and i >= last and oa.structure_type == SUPPORTED_STRUCTURES.STRUCTURED and oa.pruning:
            oa.pruning = False
            la.optimizable = oa.weight_sharing


def optimize_model(model, model_attributes, objective, scheduler, X_train, y_train, X_val, y_val, batch_size, epochs,
                   optimizer, loss_fn, validation_metric, increasing, rtol, callbacks=None, ranking_metric="l1",
                   local=False, verbose=False, rewinding_epochs=1, cutoff_bad_trials=1, directory=TMP_DIRECTORY,
                   tuner="Bayesian", knapsack_solver="CBC_MIP", regularization_range=default_regularization_range):
    """Prune ``model`` for ``objective`` along ``scheduler``; hls4ml 1.3's arguments (see the module docstring).

    Returns
    -------
    keras.Model: the pruned model (masked weights exactly zero, or shared), compiled with ``optimizer``,
    ``loss_fn`` and ``validation_metric``.
    """
    import keras

    if not isinstance(scheduler, OptimizationScheduler):
        raise TypeError("scheduler must be an OptimizationScheduler instance, e.g. PolynomialScheduler(5, "
                        "final_sparsity=0.8) from hls4ml.optimization.dsp_aware_pruning.scheduler; got "
                        f"{scheduler!r}")
    if epochs <= rewinding_epochs:
        raise ValueError(f"epochs ({epochs}) must exceed rewinding_epochs ({rewinding_epochs}): each sparsity level "
                         "fine-tunes epochs - rewinding_epochs epochs with the pruned weights frozen")
    if ranking_metric not in SUPPORTED_METRICS:
        raise ValueError(f"unknown ranking metric {ranking_metric!r}; valid: {', '.join(SUPPORTED_METRICS)}")
    if ranking_metric == "saliency":
        raise ValueError("ranking_metric='saliency' needs full Hessians, which this Keras 3 port does not compute; "
                         "use 'l1', 'l2' or 'oracle'")
    if tuner != "Bayesian" or list(regularization_range) != default_regularization_range:
        warnings.warn("tuner and regularization_range are ignored on Keras 3: no regularizer tuning (keras_tuner "
                      "is Keras-2 only); groups are ranked by their norms", stacklevel=2)
    if isinstance(loss_fn, str):
        loss_fn = keras.losses.get(loss_fn)
    if isinstance(optimizer, str):
        optimizer = keras.optimizers.get(optimizer)
    X_train, y_train, X_val, y_val = (np.asarray(a) for a in (X_train, y_train, X_val, y_val))

    work = _clone(model)
    work.compile(optimizer=optimizer, loss=loss_fn, metrics=[validation_metric])
    baseline = _evaluate(work, X_val, y_val, batch_size)
    if verbose:
        print(f"Baseline performance on validation set: {baseline}")
    _mark_optimizable(work, model_attributes, objective)
    best = work.get_weights()
    bad_trials = 0
    go, target = True, scheduler.get_sparsity()
    while go:
        gradients = None
        if ranking_metric == "oracle":
            from hlsnb.prune.importance import kernel_gradients

            names = [la.name for la in model_attributes.values() if la.optimizable]
            gradients = kernel_gradients(work, names, X_train, y_train, loss_fn)
        masks, offsets = get_model_masks(work, model_attributes, target, objective, metric=ranking_metric,
                                         local=local, gradients=gradients, knapsack_solver=knapsack_solver)
        frozen = []
        for name, mask in masks.items():
            layer = work.get_layer(name)
            layer.kernel.assign(np.asarray(layer.kernel.numpy()) * mask + offsets[name])
            frozen.append((layer, mask, offsets[name]))
        _reset_optimizer(optimizer)
        if verbose:
            print(f"Pruning with a target sparsity of {target * 100.0}% [relative to objective]")
        _fit(work, optimizer, loss_fn, validation_metric, X_train, y_train, batch_size, epochs - rewinding_epochs,
             verbose, callbacks, frozen)
        performance = _evaluate(work, X_val, y_val, batch_size)
        if verbose:
            print(f"Optimized model performance on validation set, after fine-tuning: {performance}")
        good = performance >= rtol * baseline if increasing else performance <= rtol * baseline
        if good:
            bad_trials = 0
            best = work.get_weights()
            go, target = scheduler.update_step()
        else:
            bad_trials += 1
            go, target = scheduler.repair_step()
        if bad_trials > cutoff_bad_trials:
            break
        _fit(work, optimizer, loss_fn, validation_metric, X_train, y_train, batch_size, rewinding_epochs, verbose,
             callbacks)
    work.set_weights(best)
    work.compile(optimizer=optimizer, loss=loss_fn, metrics=[validation_metric])
    if getattr(objective, "__name__", "") == "GPUFLOPEstimator":
        warnings.warn("the zeroed neurons stay in the model: hls4ml removes them with Keras Surgeon, which is "
                      "Keras-2 only", stacklevel=2)
    return work
