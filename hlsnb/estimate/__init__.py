"""Instant per-layer resource and latency estimates of hls4ml designs, with the reason behind every number.

``estimate_layer(**kw)`` (pure numbers in, no Keras/hls4ml) and ``estimate_design(design)`` (a
:class:`hlsnb.design.Design`). Numbers are HLS csynth estimates; each one is the sum of its ``breakdown`` terms,
marked ``exact`` (hls4ml's templates and design rules) or ``modelled`` (fitted on real reports by
``python -m hlsnb.estimate.calibrate``). See docs/estimator.md for the method and the measured errors.
"""

from ._core import COEFFICIENTS, DSP_THRESHOLD_BITS, LayerEstimate, Term, clear_cache, estimate_layer
from ._design import DesignEstimate, estimate_design, layer_kwargs, top_style

__all__ = ["estimate_layer", "estimate_design", "LayerEstimate", "DesignEstimate", "Term", "COEFFICIENTS",
           "DSP_THRESHOLD_BITS", "clear_cache", "top_style", "layer_kwargs"]
