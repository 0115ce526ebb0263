"""The Design: per-layer HLS settings of a Keras model, the single source of truth for hlsnb.

A :class:`Design` holds one frozen :class:`LayerSpec` per hls4ml layer (hls4ml's names and order) and the target;
everything else in hlsnb reads it and changes it only through its methods (``set`` and friends), which validate
every value the way hls4ml's backend would and refuse where hls4ml would silently substitute another value.

One concept per module: ``spec`` (the frozen layer and the settings schema :data:`SETTINGS`), ``core`` (the
Design: validation, changes, observers, warnings), ``keras`` (the Keras parser), ``hls4ml_config`` (the hls4ml
config both ways, conversion), ``serialise`` (JSON and :func:`load`), ``html`` (the summary table).
"""

from ..errors import UnrollLimitWarning
from .core import BACKENDS, IO_TYPES, Design
from .hls4ml_config import from_hls4ml_precision, to_hls4ml_precision
from .serialise import load
from .spec import DEFAULT_PRECISION, SETTINGS, LayerSpec, Setting

__all__ = ["Design", "LayerSpec", "Setting", "SETTINGS", "UnrollLimitWarning", "DEFAULT_PRECISION", "BACKENDS",
           "IO_TYPES", "load", "to_hls4ml_precision", "from_hls4ml_precision"]
