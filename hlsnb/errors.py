"""hlsnb's error hierarchy: one base class, with the built-in bases callers already catch.

Every error hlsnb raises on purpose derives from :class:`HlsnbError`, so ``except hlsnb.errors.HlsnbError`` catches
them all; each also derives from the built-in exception a caller would expect for its kind of failure
(``ValueError`` for a bad value, ``RuntimeError`` for a tool or device that failed), so existing ``except
ValueError`` code keeps working. This module imports nothing (the board code uses it on the board's Python).
"""

from __future__ import annotations

__all__ = [
    "HlsnbError",
    "InvalidSetting",
    "ReportError",
    "BuildError",
    "ToolNotFound",
    "BoardError",
    "BundleError",
    "DMATimeoutError",
    "InfeasibleBudget",
    "UnrollLimitWarning",
]


class HlsnbError(Exception):
    """Base of every error hlsnb raises on purpose."""


class InvalidSetting(HlsnbError, ValueError):
    """A value hlsnb refuses (a layer setting, a target, a design file): the message names the layer or field, the
    value and what would be valid."""


class ReportError(HlsnbError, ValueError):
    """A synthesis report that cannot be read: the message names the file and what is wrong with it."""


class BuildError(HlsnbError, RuntimeError):
    """An HLS / Vivado build that failed; the message points at the log."""


class ToolNotFound(BuildError):
    """The tool a build needs (``vivado_hls``, ``vitis_hls``, ``vivado``) is not on PATH."""


class BoardError(HlsnbError, RuntimeError):
    """The FPGA board, its overlay or the emulated device refused or failed an operation."""


class BundleError(BoardError):
    """A board bundle (bitstream, hardware handoff, manifest) is missing, incomplete or does not match."""


class DMATimeoutError(BoardError, TimeoutError):
    """A DMA transfer did not finish within its timeout."""


class InfeasibleBudget(HlsnbError, ValueError):
    """A pruning budget that no choice of weights can meet."""


class UnrollLimitWarning(UserWarning):
    """A Latency layer unrolls more multiplications than Vivado HLS will (about 4096)."""
