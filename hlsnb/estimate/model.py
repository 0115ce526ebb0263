"""The estimator's model as the code that fits and judges it sees it (:mod:`hlsnb.calibration`).

The calibration package writes the coefficients this estimator reads and measures its errors by regime; to do so it
needs more than the user-facing names in :mod:`hlsnb.estimate`: where the shipped files live, the calibration value
and its merge rules, the features the fit shares with the estimate (adder levels, the multiplier share of a product)
and how a layer's regime is keyed. This module is that seam, public and named, so no other package reaches into the
estimator's private modules (``tests/test_arch_private.py``).
"""

from ._calibration import (
    SHIPPED_PATH,
    TOOL_DEFAULTS,
    USER_SOURCE,
    Calibration,
    default_calibration,
    overlay,
    saved_calibration,
    user_calibration_path,
)
from ._core import adder_levels
from ._kernel import mul_op_share
from ._regime import AXES, ERRORS_PATH, layer_regime, regime_key
from ._stage import vsynth_kind
from .layers.activation import TABLE as TABLE_ACTIVATIONS
from .layers.activation import narrows as activation_narrows

__all__ = ["SHIPPED_PATH", "TOOL_DEFAULTS", "USER_SOURCE", "Calibration", "default_calibration", "overlay",
           "saved_calibration", "user_calibration_path", "adder_levels", "mul_op_share", "AXES", "ERRORS_PATH",
           "layer_regime", "regime_key", "vsynth_kind", "TABLE_ACTIVATIONS",
           "activation_narrows"]
