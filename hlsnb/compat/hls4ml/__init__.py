"""hls4ml 1.3's DSP-aware pruning API (``hls4ml.optimization.dsp_aware_pruning``) on Keras 3.

Module by module: ``config``, ``attributes``, ``objectives`` (+ ``vivado_objectives``, ``gpu_objectives``),
``scheduler``, ``knapsack``, ``keras`` (``optimize_model``), ``keras.config``, ``keras.masking``. hls4ml's own
package needs QKeras, keras_tuner and Keras-2 APIs and does not import on Keras 3. Existing scripts run unchanged
after one line::

    import hlsnb.compat.hls4ml; hlsnb.compat.hls4ml.install()
    from hls4ml.optimization.dsp_aware_pruning import optimize_keras_model_for_hls4ml   # now this package

``install()`` registers these modules under hls4ml's names (``sys.modules`` plus a meta-path finder that explains
the few hls4ml modules not ported: ``keras.builder``, ``keras.regularizers``, ``keras.reduction``, ``keras.utils``);
``import hls4ml`` itself is untouched. Behaviour and numbers follow hls4ml 1.3 where its tests pin them; the
differences are listed in each module's docstring and in docs/pruning_migration.md.
"""

from __future__ import annotations

import importlib
import importlib.abc
import sys

from .attributes import get_attributes_from_keras_model_and_hls4ml_config
from .keras import default_regularization_range, optimize_model

__all__ = ["optimize_keras_model_for_hls4ml", "optimize_model", "get_attributes_from_keras_model_and_hls4ml_config",
           "default_regularization_range", "install", "uninstall", "register", "HLS4ML_PACKAGE"]

HLS4ML_PACKAGE = "hls4ml.optimization.dsp_aware_pruning"
_SUBMODULES = ("", ".config", ".attributes", ".objectives", ".objectives.vivado_objectives",
               ".objectives.gpu_objectives", ".scheduler", ".knapsack", ".keras", ".keras.config", ".keras.masking")


def optimize_keras_model_for_hls4ml(keras_model, hls_config, objective, scheduler, X_train, y_train, X_val, y_val,
                                    batch_size, epochs, optimizer, loss_fn, validation_metric, increasing, rtol,
                                    callbacks=None, ranking_metric="l1", local=False, verbose=False,
                                    rewinding_epochs=1, cutoff_bad_trials=3, directory="hls4ml-optimization",
                                    tuner="Bayesian", knapsack_solver="CBC_MIP",
                                    regularization_range=default_regularization_range):
    """hls4ml's top-level entry: attributes from ``keras_model`` and ``hls_config``, then :func:`optimize_model`
    (note hls4ml's default ``cutoff_bad_trials=3`` here, 1 in ``optimize_model``)."""
    attrs = get_attributes_from_keras_model_and_hls4ml_config(keras_model, hls_config)
    return optimize_model(keras_model, attrs, objective, scheduler, X_train, y_train, X_val, y_val, batch_size,
                          epochs, optimizer, loss_fn, validation_metric, increasing, rtol, callbacks=callbacks,
                          ranking_metric=ranking_metric, local=local, verbose=verbose,
                          rewinding_epochs=rewinding_epochs, cutoff_bad_trials=cutoff_bad_trials,
                          directory=directory, tuner=tuner, knapsack_solver=knapsack_solver,
                          regularization_range=regularization_range)


class _NotPorted(importlib.abc.MetaPathFinder):
    """Any other module under hls4ml's package name: a clear ImportError instead of hls4ml's Keras-2 code."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname.startswith(HLS4ML_PACKAGE + "."):
            raise ImportError(f"{fullname} is not part of hlsnb.compat.hls4ml (Keras-2 internals of hls4ml: "
                              "regularizer tuning, Keras Surgeon); see docs/pruning_migration.md", name=fullname)
        return None


def install() -> None:
    """Make ``hls4ml.optimization.dsp_aware_pruning`` (and its submodules) resolve to this package. Idempotent."""
    for suffix in _SUBMODULES:
        sys.modules[HLS4ML_PACKAGE + suffix] = importlib.import_module(__name__ + suffix)
    if not any(isinstance(f, _NotPorted) for f in sys.meta_path):
        sys.meta_path.insert(0, _NotPorted())
    try:
        parent = importlib.import_module("hls4ml.optimization")
    except ImportError:  # hls4ml not installed: the aliases still work for `from ... import`
        return
    parent.dsp_aware_pruning = sys.modules[HLS4ML_PACKAGE]


register = install  # the other name the migration note uses


def uninstall() -> None:
    """Undo :func:`install`."""
    for suffix in _SUBMODULES:
        sys.modules.pop(HLS4ML_PACKAGE + suffix, None)
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _NotPorted)]
    parent = sys.modules.get("hls4ml.optimization")
    if parent is not None and getattr(parent, "dsp_aware_pruning", None) is not None:
        del parent.dsp_aware_pruning
