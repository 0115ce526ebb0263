"""``hls4ml.optimization.dsp_aware_pruning.objectives``: the ObjectiveEstimator API with hls4ml 1.3's formulas.

``ObjectiveEstimator`` is hlsnb's base class (same three classmethods), so an objective written for hls4ml works
with both this layer and :func:`hlsnb.prune.prune`. The estimators here reproduce hls4ml's numbers exactly
(e.g. ``VivadoDSPEstimator``: ``n_in*n_out // RF`` DSPs whenever the weight has >= 9 bits), for reproducing an old
result; :mod:`hlsnb.objectives` has the same classes with hlsnb's calibrated estimator behind ``layer_resources``.
Ported from hls4ml 1.3 (Apache-2.0).
"""

from __future__ import annotations

import logging

import numpy as np

from hlsnb.objectives import ObjectiveEstimator

from ..attributes import OptimizationAttributes
from ..config import SUPPORTED_STRUCTURES

__all__ = ["ObjectiveEstimator", "ParameterEstimator"]

log = logging.getLogger(__name__)


def _savings_enabled(la, what):
    """False (with hls4ml's warning) when the attributes cannot decrease ``what``."""
    oa = la.optimization_attributes
    if oa.weight_sharing:
        log.warning("%s: weight sharing does not decrease %s; use the attributes from is_layer_optimizable(...)",
                    la.name, what)
        return False
    if not oa.pruning:
        log.warning("%s: pruning must be enabled to decrease %s; use the attributes from is_layer_optimizable(...)",
                    la.name, what)
        return False
    return True


class ParameterEstimator(ObjectiveEstimator):
    """Objective: the number of weights (hls4ml's formulas)."""

    @classmethod
    def is_layer_optimizable(cls, layer_attributes):
        if not layer_attributes.weight_shape:
            return False, None
        return True, OptimizationAttributes(SUPPORTED_STRUCTURES.UNSTRUCTURED, pruning=True, weight_sharing=False)

    @classmethod
    def layer_resources(cls, layer_attributes):
        if not layer_attributes.weight_shape:
            return [0]
        return [np.prod(layer_attributes.weight_shape)]

    @classmethod
    def layer_savings(cls, layer_attributes):
        la = layer_attributes
        if not la.weight_shape or not _savings_enabled(la, "the number of parameters"):
            return [0]
        oa = la.optimization_attributes
        st = oa.structure_type
        if st == SUPPORTED_STRUCTURES.UNSTRUCTURED:
            return [1]
        if st == SUPPORTED_STRUCTURES.STRUCTURED:
            if "Dense" in la.layer_type.__name__ or "Conv2D" in la.layer_type.__name__:
                return [np.prod(la.weight_shape[:-1])]
            raise ValueError(f"layer {la.name!r}: no structured parameter savings for {la.layer_type.__name__}")
        if st == SUPPORTED_STRUCTURES.PATTERN:
            return [np.prod(la.weight_shape) // oa.pattern_offset * oa.consecutive_patterns]
        return [np.prod(oa.block_shape)]
