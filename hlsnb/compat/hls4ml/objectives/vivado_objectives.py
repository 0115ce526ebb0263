"""``hls4ml.optimization.dsp_aware_pruning.objectives.vivado_objectives`` with hls4ml 1.3's exact formulas.

- ``VivadoDSPEstimator``: ``n_in*n_out // RF`` DSPs for weights of >= 9 bits, whatever the strategy, part or
  input width; Resource layers prune multiplier patterns, Latency layers single weights.
- ``VivadoMultiObjectiveEstimator``: [DSP, BRAM] with ``ceil(bits*n_in*n_out / (RF*36))`` BRAMs.
- ``VivadoFFEstimator``: hls4ml's (self-described inaccurate) flip-flop counts.

Use these to reproduce a result obtained with hls4ml. :mod:`hlsnb.objectives` has the same classes with hlsnb's
estimator behind ``layer_resources`` (DSP family, both operand widths, zero and power-of-two weights, BRAM port
shapes); see docs/pruning_migration.md for when the two differ. Ported from hls4ml 1.3 (Apache-2.0).
"""

from __future__ import annotations

import logging
import math

import numpy as np

from ..attributes import OptimizationAttributes
from ..config import SUPPORTED_STRUCTURES
from . import ObjectiveEstimator, _savings_enabled

__all__ = ["VivadoDSPEstimator", "VivadoMultiObjectiveEstimator", "VivadoFFEstimator"]

log = logging.getLogger(__name__)


def _h(la):
    return la.args["hls4ml_attributes"]


def _resource(la):
    return _h(la).strategy.lower() == "resource"


def _pattern(la, consecutive=1):
    return OptimizationAttributes(SUPPORTED_STRUCTURES.PATTERN, pruning=True, weight_sharing=False,
                                  pattern_offset=int(np.prod(la.weight_shape) // _h(la).reuse_factor),
                                  consecutive_patterns=consecutive)


def _unstructured():
    return OptimizationAttributes(SUPPORTED_STRUCTURES.UNSTRUCTURED, pruning=True, weight_sharing=False)


def _n_patterns(la):
    return np.prod(la.weight_shape) // la.optimization_attributes.pattern_offset


class VivadoDSPEstimator(ObjectiveEstimator):
    """Objective: DSPs, hls4ml's count (``n_in*n_out // RF`` when the weight has >= 9 bits)."""

    @staticmethod
    def _counts(la):
        return bool(la.weight_shape) and _h(la).weight_precision.width >= 9

    @classmethod
    def is_layer_optimizable(cls, layer_attributes):
        la = layer_attributes
        if not cls._counts(la):
            return False, None
        return True, (_pattern(la) if _resource(la) else _unstructured())

    @classmethod
    def layer_resources(cls, layer_attributes):
        la = layer_attributes
        if not cls._counts(la):
            return [0]
        return [np.prod(la.weight_shape) // _h(la).reuse_factor]

    @classmethod
    def layer_savings(cls, layer_attributes):
        la = layer_attributes
        if not cls._counts(la):
            return [0]
        if not la.optimization_attributes.pruning:
            log.warning("%s: pruning must be enabled to decrease the number of DSPs", la.name)
            return [0]
        h, st = _h(la), la.optimization_attributes.structure_type
        if h.strategy.lower() == "latency" or st == SUPPORTED_STRUCTURES.UNSTRUCTURED:
            return [1] if h.reuse_factor == 1 else [0]
        if st == SUPPORTED_STRUCTURES.STRUCTURED:
            return [1] if h.reuse_factor == h.n_in else [0]
        if st == SUPPORTED_STRUCTURES.PATTERN:
            return [la.optimization_attributes.consecutive_patterns] if _n_patterns(la) == h.reuse_factor else [0]
        log.warning("%s: hls4ml does not support block sparsity patterns; setting the savings to zero", la.name)
        return [0]


class VivadoMultiObjectiveEstimator(ObjectiveEstimator):
    """Objectives: [DSP, BRAM], hls4ml's counts; Resource layers with RF > 1 prune patterns grouped so that one
    36-bit BRAM word is freed."""

    @classmethod
    def is_layer_optimizable(cls, layer_attributes):
        la = layer_attributes
        if not la.weight_shape:
            return False, None
        h = _h(la)
        if _resource(la) and h.reuse_factor > 1:
            wb = h.weight_precision.width
            consecutive = int(36 // wb) if 36 % wb == 0 else int(math.ceil(2 * 36 / wb))
            return True, _pattern(la, consecutive)
        return True, _unstructured()

    @classmethod
    def layer_resources(cls, layer_attributes):
        la = layer_attributes
        if not la.weight_shape:
            return [0]
        h = _h(la)
        dsp = int(np.prod(la.weight_shape) // h.reuse_factor)
        if h.strategy.lower() == "latency" or h.reuse_factor == 1:
            return [dsp, 0]
        return [dsp, int(math.ceil(np.prod(la.weight_shape) * h.weight_precision.width / (h.reuse_factor * 36)))]

    @classmethod
    def layer_savings(cls, layer_attributes):
        la = layer_attributes
        if not la.weight_shape:
            return [0]
        if not la.optimization_attributes.pruning:
            log.warning("%s: pruning must be enabled to decrease the number of DSPs", la.name)
            return [0]
        h, oa = _h(la), la.optimization_attributes
        if h.strategy.lower() == "latency":
            return [1, 0] if h.reuse_factor == 1 else [0, 0]
        if _resource(la) and h.reuse_factor == 1:
            return [1, 0]
        if oa.structure_type == SUPPORTED_STRUCTURES.PATTERN:
            wb, cp = h.weight_precision.width, oa.consecutive_patterns
            one_block = (36 == cp * wb and 36 % wb == 0) or (72 == cp * wb)
            if _n_patterns(la) == h.reuse_factor and one_block:
                return [cp, 1]
        log.warning("%s: multi-objective savings are only implemented for BRAM-word patterns", la.name)
        return [0, 0]


class VivadoFFEstimator(ObjectiveEstimator):
    """Objective: flip-flops, hls4ml's formulas (consistent, not accurate: hls4ml says so itself)."""

    @staticmethod
    def _case(la):
        h = _h(la)
        return h.io_type, "resource" if _resource(la) else "latency"

    @classmethod
    def is_layer_optimizable(cls, layer_attributes):
        la = layer_attributes
        if not la.weight_shape:
            return False, None
        case = cls._case(la)
        if case == ("io_stream", "resource"):
            log.warning("%s: FFs are at minimum utilization with io_stream and Resource strategy", la.name)
            return False, None
        if case == ("io_parallel", "resource"):
            return True, OptimizationAttributes(SUPPORTED_STRUCTURES.STRUCTURED, pruning=True, weight_sharing=False)
        return True, _unstructured()

    @classmethod
    def layer_resources(cls, layer_attributes):
        la = layer_attributes
        if not la.weight_shape:
            return [0]
        h = _h(la)
        w = np.prod(la.weight_shape) * h.weight_precision.width
        o = np.prod(la.output_shape) * h.output_precision.width
        return [{("io_stream", "resource"): 0, ("io_stream", "latency"): w, ("io_parallel", "resource"): o,
                 ("io_parallel", "latency"): w + o}[cls._case(la)]]

    @classmethod
    def layer_savings(cls, layer_attributes):
        la = layer_attributes
        if not la.weight_shape or not _savings_enabled(la, "FFs"):
            return [0]
        h, oa = _h(la), la.optimization_attributes
        io, s = cls._case(la)
        wb, ob, st = h.weight_precision.width, h.output_precision.width, oa.structure_type
        if s == "resource":
            return [ob] if io == "io_parallel" and st == SUPPORTED_STRUCTURES.STRUCTURED else [0]
        if st == SUPPORTED_STRUCTURES.UNSTRUCTURED:
            return [wb]
        if st == SUPPORTED_STRUCTURES.STRUCTURED:
            return [h.n_in * wb + (ob if io == "io_parallel" else 0)]
        if st == SUPPORTED_STRUCTURES.PATTERN:
            return [_n_patterns(la) * oa.consecutive_patterns * wb]
        return [np.prod(oa.block_shape) * wb]
