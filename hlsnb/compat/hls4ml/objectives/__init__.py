"""``hls4ml.optimization.dsp_aware_pruning.objectives``: the ObjectiveEstimator API with hls4ml 1.3's formulas.

A thin layer over :mod:`hlsnb.objectives`, the one implementation of the objectives: ``ObjectiveEstimator`` is
hlsnb's base class, so an objective written for hls4ml works with both this layer and :func:`hlsnb.prune.prune`;
the structure choices and savings are hlsnb's, which are hls4ml's. Only the counts differ, in
:mod:`.vivado_objectives` (hls4ml's ``n_in*n_out // RF`` DSPs, its BRAM formula), for reproducing an old result.
"""

from __future__ import annotations

from hlsnb.objectives import ObjectiveEstimator, ParameterEstimator, savings_enabled

__all__ = ["ObjectiveEstimator", "ParameterEstimator", "savings_enabled"]
