"""Run hls4ml networks on a PYNQ board, or the same way in software off-board.

Imports nothing heavier than numpy (pynq only when an FPGA overlay is opened), so it runs on the board's
Python 3.10. Public API:

- :class:`NeuralNetworkOverlay` - the hls4ml VivadoAccelerator design through pynq (AXI DMA, chunked).
- :class:`SoftwareOverlay` - the same interface on hls4ml's bit-accurate C simulation library.
- :class:`StreamInterface` - shapes and stream word types of the accelerator.
- :func:`package` / :func:`load_bundle` - the deployment bundle, checked by manifest and checksums.
- :func:`encode_fixed` / :func:`decode_fixed` - exact float <-> ap_fixed word conversion.
- :class:`BoardProfile` / :func:`get_profile` - each board's DMA, CMA and clock limits (``PROFILES``).

Inside hlsnb it imports only ``hlsnb.precision`` and ``hlsnb.errors`` (both standard library only): the package is a
leaf that the rest of hlsnb may use, never the other way round.
"""

import os as _os

from ..errors import BoardError, BundleError, DMATimeoutError
from ._csim import find_csim_library
from .bundle import Bundle, fpga_available, load_bundle, package
from .fixed import decode_fixed, encode_fixed
from .interface import DEFAULT_DMA, StreamInterface
from .overlay import (
    CMA_BYTES,
    DEFAULT_CMA_BUDGET,
    DMA_MAX_BYTES,
    BatchStats,
    NeuralNetworkOverlay,
    SoftwareOverlay,
    plan_chunk,
)
from .profiles import PROFILES, BoardProfile, get_profile

__all__ = [
    "NeuralNetworkOverlay",
    "SoftwareOverlay",
    "StreamInterface",
    "BatchStats",
    "Bundle",
    "package",
    "load_bundle",
    "fpga_available",
    "find_csim_library",
    "encode_fixed",
    "decode_fixed",
    "plan_chunk",
    "BoardError",
    "BundleError",
    "DMATimeoutError",
    "DEFAULT_DMA",
    "DMA_MAX_BYTES",
    "CMA_BYTES",
    "DEFAULT_CMA_BUDGET",
    "BoardProfile",
    "PROFILES",
    "get_profile",
]

# PYNQ's way of testing without hardware: a software Device, registered only when asked for.
if _os.environ.get("HLSNB_PYNQ_EMULATE"):
    from . import emulation as _emulation  # noqa: F401  (registers EmulatedZynqDevice with pynq)
