"""Saving and deleting the user's refit (the refit itself is found by ``default_calibration``, at every estimate).

Where the refit lives is a documented setting: ``$HLSNB_COEFFICIENTS`` if set, else
``~/.config/hlsnb/coefficients.json`` (:func:`user_calibration_path`). Estimates given no calibration use it while it
exists; :func:`delete_saved_calibration` goes back to the shipped coefficients.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..estimate._calibration import (
    USER_SOURCE,
    Calibration,
    default_calibration,
    overlay,
    saved_calibration,
    user_calibration_path,
)
from ..fileio import atomic_write

__all__ = ["user_calibration_path", "default_calibration", "saved_calibration", "save_calibration",
           "delete_saved_calibration"]


def save_calibration(coefficients: dict, path=None, **meta) -> Calibration:
    """Write ``coefficients`` (plus ``meta``, e.g. how many records they were fitted on) as the user's refit at
    ``path`` (default :func:`user_calibration_path`); return the saved :class:`Calibration`."""
    p = Path(path) if path is not None else user_calibration_path()
    atomic_write(p, json.dumps({"hlsnb_calibration": 1, **meta, "coefficients": dict(coefficients)}, indent=1))
    return Calibration(overlay(Calibration.shipped().coefficients, coefficients), USER_SOURCE, str(p))


def delete_saved_calibration(path=None) -> Path:
    """Delete the saved refit (if any), so estimates go back to the shipped coefficients. Returns the path."""
    p = Path(path) if path is not None else user_calibration_path()
    if p.is_file():
        p.unlink()
    return p
