"""``hls4ml.optimization.dsp_aware_pruning.objectives.gpu_objectives``: ``GPUFLOPEstimator``.

hls4ml's FLOP formulas and hlsnb's are the same, so this is :class:`hlsnb.objectives.GPUFLOPEstimator` itself.
"""

from hlsnb.objectives import GPUFLOPEstimator

__all__ = ["GPUFLOPEstimator"]
