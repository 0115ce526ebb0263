"""The forum's seed report as a check of the estimator, never a fit.

The forum user's 16-64-32-32-5 MLP on the PYNQ-Z2 (Resource, ReuseFactor 64; 32 on the 32x5 layer, the largest valid
value below 64), built with Vivado HLS: its csynth report says 47,883 LUT, 20,367 FF, 21 DSP, 16 BRAM18K. It has no
per-layer rows, precision or clock; taken as hls4ml's tutorial default ap_fixed<16,6> and VivadoAccelerator's
5 ns. No coefficient is fitted on it: :func:`seed_check` only predicts it.
"""

from __future__ import annotations

from ..estimate import estimate_design
from .reference import tutorial_mlp

__all__ = ["SEED_REPORT", "seed_check"]

#: The forum's csynth report of the seed design.
SEED_REPORT = {"lut": 47883.0, "ff": 20367.0, "dsp": 21.0, "bram18k": 16.0}


def seed_check(calibration=None) -> dict:
    """``{"csynth": totals, "vsynth": totals, "latency_strategy": Latency RF 64 csynth totals, "report": ...}``
    for the seed design estimated with ``calibration`` (``None``: the default)."""
    res = tutorial_mlp("Resource", 64, board="pynq-z2", clock_ns=5.0)
    lat = tutorial_mlp("Latency", 64, board="pynq-z2", clock_ns=5.0)
    out = {s: dict(estimate_design(res, stage=s, calibration=calibration).total) for s in ("csynth", "vsynth")}
    out["latency_strategy"] = dict(estimate_design(lat, calibration=calibration).total)
    out["report"] = dict(SEED_REPORT)
    return out
