"""Synthesis: hls4ml project and C-simulation check, tool detection, builds, report import, estimate vs actual.

Heavy imports (hls4ml, keras, plotly) happen inside the functions that need them.
"""

from pathlib import Path

from ..csim import compile_csim, csim_key
from .build import BuildError, BuildResult, ToolNotFound, replay_build, run_build

# Imported here, not lazily: the submodules share their function's name, and a lazy first import would rebind
# `hlsnb.synth.compare` to the module. Both are light (the pure estimator, no hls4ml).
from .compare import ReportMismatch, check_report, compare
from .recalibrate import recalibrate, reset_calibration, undo_recalibration
from .reports import Report, ReportError, ReportRow, find_reports, read_report
from .tools import Mode, check_backend, detect_mode, detect_tools

#: A stored build shipped with hlsnb for replay mode (a real Vitis HLS report of a small hls4ml MLP).
REPLAY_DIR = Path(__file__).resolve().parent / "replay" / "cardio_mlp"
#: Public builds of the forum's network (the tutorial's 16-64-32-32-5 MLP, Resource RF 64) on the PYNQ-Z2: the HLS
#: report, Vivado's synthesis of the IP and the placed design (see its README.md); notebook 04 replays it.
FORUM_REPLAY_DIR = Path(__file__).resolve().parent / "replay" / "forum_mlp"

__all__ = [
    "read_report", "find_reports", "Report", "ReportRow", "ReportError",
    "detect_tools", "detect_mode", "check_backend", "Mode",
    "run_build", "replay_build", "BuildResult", "BuildError", "ToolNotFound",
    "make_project", "check_csim", "compile_csim", "csim_key",
    "compare", "check_report", "ReportMismatch", "recalibrate", "reset_calibration",
    "undo_recalibration", "REPLAY_DIR", "FORUM_REPLAY_DIR",
]


def make_project(*args, **kwargs):
    """See :func:`hlsnb.synth.project.make_project`."""
    from .project import make_project as f

    return f(*args, **kwargs)


def check_csim(*args, **kwargs):
    """See :func:`hlsnb.synth.project.check_csim`."""
    from .project import check_csim as f

    return f(*args, **kwargs)
