"""``hls4ml.optimization.dsp_aware_pruning.config``: the structures pruning can remove.

The enum is hlsnb's own (:class:`hlsnb.objectives.SUPPORTED_STRUCTURES`, same members and values), so attributes
built by the compatibility layer and by :mod:`hlsnb.objectives` are interchangeable.
"""

from hlsnb.objectives import SUPPORTED_STRUCTURES

__all__ = ["SUPPORTED_STRUCTURES"]
