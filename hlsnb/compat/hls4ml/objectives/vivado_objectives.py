"""``hls4ml.optimization.dsp_aware_pruning.objectives.vivado_objectives`` with hls4ml 1.3's exact counts.

The classes are :mod:`hlsnb.objectives`' (structure choices, savings, the strategy check: hls4ml's semantics) with
the count hooks set to hls4ml's formulas:

- ``VivadoDSPEstimator``: ``n_in*n_out // RF`` DSPs for weights of >= 9 bits, whatever the strategy, part or
  input width.
- ``VivadoMultiObjectiveEstimator``: [DSP, BRAM] with ``n_in*n_out // RF`` DSPs and ``ceil(bits*n_in*n_out /
  (RF*36))`` BRAMs for Resource layers with RF > 1.
- ``VivadoFFEstimator``: hls4ml's (self-described inaccurate) flip-flop counts, which hlsnb uses too.

Use these to reproduce a result obtained with hls4ml; :mod:`hlsnb.objectives` counts with hlsnb's estimator (DSP
family, both operand widths, BRAM port shapes); see docs/pruning_migration.md. Ported from hls4ml 1.3 (Apache-2.0).
"""

from __future__ import annotations

import math

import numpy as np

from hlsnb import objectives as _hlsnb

__all__ = ["VivadoDSPEstimator", "VivadoMultiObjectiveEstimator", "VivadoFFEstimator"]


def _products(la) -> int:
    return int(np.prod(la.weight_shape) // la.args["hls4ml_attributes"].reuse_factor)


class VivadoDSPEstimator(_hlsnb.VivadoDSPEstimator):
    """Objective: DSPs, hls4ml's count (``n_in*n_out // RF`` when the weight has >= 9 bits)."""

    @classmethod
    def uses_dsps(cls, layer_attributes) -> bool:
        return layer_attributes.args["hls4ml_attributes"].weight_precision.width >= 9

    @classmethod
    def dsp_count(cls, layer_attributes) -> int:
        return _products(layer_attributes)


class VivadoMultiObjectiveEstimator(_hlsnb.VivadoMultiObjectiveEstimator):
    """Objectives: [DSP, BRAM], hls4ml's counts; Resource layers with RF > 1 prune patterns grouped so that one
    36-bit BRAM word is freed."""

    @classmethod
    def dsp_count(cls, layer_attributes) -> int:
        return _products(layer_attributes)

    @classmethod
    def bram_count(cls, layer_attributes) -> int:
        la = layer_attributes
        h = la.args["hls4ml_attributes"]
        if not _hlsnb.resource_like(h) or h.reuse_factor == 1:
            return 0
        return int(math.ceil(np.prod(la.weight_shape) * h.weight_precision.width / (h.reuse_factor * 36)))


VivadoFFEstimator = _hlsnb.VivadoFFEstimator
