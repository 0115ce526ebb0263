"""Instant per-layer resource and latency estimates of hls4ml designs, with the reason behind every number.

``estimate_layer(**kw)`` (pure numbers in, no Keras/hls4ml) and ``estimate_design(design)`` (a
:class:`hlsnb.design.Design`). Numbers are HLS csynth estimates (``stage="csynth"``) or Vivado post-synthesis
utilisation (``stage="vsynth"``), for the HLS tool and version of the design (``tool=``, ``tool_version=``); each
one is the sum of its ``breakdown`` terms, marked ``exact`` (hls4ml's templates and design rules) or ``modelled``
(coefficients fitted on real reports: a :class:`hlsnb.calibration.Calibration`, passed as ``calibration=`` or, by
default, the user's saved refit if there is one, else the shipped fit). One module per layer family in ``layers/``.
See docs/estimator.md for the method and the measured errors.
"""

from . import layers  # noqa: F401  (registers the layer families)
from ._core import COEFFICIENTS, DSP_THRESHOLD_BITS, RESOURCES, LayerEstimate, Term
from ._design import DesignEstimate, estimate_design, layer_kwargs, tool_label, top_style
from ._kernel import constant_product_on_dsp, constant_products_on_dsp, constant_rule
from ._layer import clear_cache, estimate, estimate_layer
from ._regime import ErrorBar, error_bar, regime_errors
from ._stage import STAGES
from .inputs import LayerInput, design_inputs, layer_input

__all__ = ["estimate_layer", "estimate_design", "estimate", "LayerEstimate", "DesignEstimate", "Term",
           "LayerInput", "layer_input", "design_inputs", "COEFFICIENTS", "DSP_THRESHOLD_BITS", "RESOURCES",
           "clear_cache", "top_style", "layer_kwargs", "tool_label", "STAGES",
           "constant_rule", "constant_product_on_dsp", "constant_products_on_dsp", "ErrorBar", "error_bar",
           "regime_errors"]
