"""hlsnb: put a Keras network on an FPGA with hls4ml, from a notebook.

Light imports only at the top level; the estimator, widgets, pruning, synthesis and board modules load on use.
"""

from . import _quiet
from ._version import __version__
from .boards import BOARDS, PARTS, get_board, get_part
from .design import Design, LayerSpec
from .precision import FixedType, parse_precision

_quiet.install()  # TensorFlow's C++ start-up lines stay out of notebooks (HLSNB_TF_LOGS=1 keeps them)

__all__ = ["__version__", "Design", "LayerSpec", "FixedType", "parse_precision", "get_board", "get_part",
           "BOARDS", "PARTS", "load_dataset"]


def load_dataset(name: str = "digits16", **kwargs):
    """Shortcut for :func:`hlsnb.data.load_dataset`."""
    from .data import load_dataset as _load

    return _load(name, **kwargs)
