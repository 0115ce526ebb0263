"""Saving, checking, undoing and deleting the user's refit (the refit itself is found by ``default_calibration``).

Where the refit lives is a documented setting: ``$HLSNB_COEFFICIENTS`` if set, else
``~/.config/hlsnb/coefficients.json`` (:func:`user_calibration_path`). Estimates given no calibration use it while it
exists; :func:`delete_saved_calibration` goes back to the shipped coefficients.

Nothing saved here can be lost: the refit is written atomically (:mod:`hlsnb.fileio`); the refit it replaces is
kept beside it (``<name>.previous``) so :func:`undo_saved_calibration` is one call; a refit that is there but cannot
be read (half-written, damaged, another program's file) is never silently overwritten: :func:`check_saved_calibration`
raises :class:`CalibrationFileError` naming it, and only an explicit ``keep_damaged=True`` moves it aside (to
``<name>.damaged-<time>``) before a new one is written.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from ..errors import HlsnbError
from ..estimate.model import (
    USER_SOURCE,
    Calibration,
    default_calibration,
    overlay,
    saved_calibration,
    user_calibration_path,
)
from ..fileio import atomic_write

__all__ = ["user_calibration_path", "default_calibration", "saved_calibration", "save_calibration",
           "delete_saved_calibration", "undo_saved_calibration", "check_saved_calibration", "refit_calibration",
           "previous_path", "keep_aside", "CalibrationFileError"]

#: What ``<name>.previous`` holds when there was no refit before the last save (undo then deletes the refit).
_NO_PREVIOUS = {"hlsnb_previous_refit": None}


class CalibrationFileError(HlsnbError, ValueError):
    """A saved refit that is there but cannot be read (the message names the file and says what to do)."""


def previous_path(path=None) -> Path:
    """Where the refit replaced by the last save is kept (``<refit>.previous``)."""
    p = Path(path) if path is not None else user_calibration_path()
    return p.with_name(p.name + ".previous")


def refit_calibration(coefficients: dict, path=None) -> Calibration:
    """The :class:`Calibration` that ``coefficients`` (a refit of some of them) give over the shipped ones."""
    return Calibration(overlay(Calibration.shipped().coefficients, coefficients), USER_SOURCE,
                       None if path is None else str(path))


def check_saved_calibration(path=None) -> Calibration | None:
    """The refit at ``path`` (default :func:`user_calibration_path`), None when there is no file; raises
    :class:`CalibrationFileError` naming the file when it is there and cannot be read as a calibration."""
    p = Path(path) if path is not None else user_calibration_path()
    if not p.exists():
        return None
    try:
        return Calibration.load(p, source=USER_SOURCE)
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise CalibrationFileError(
            f"the saved refit {p} cannot be read ({type(e).__name__}: {e}); it may be half-written or damaged. "
            f"Estimates ignore it (with a warning) and use the shipped coefficients. Undo the last refit "
            f"(hlsnb.synth.undo_recalibration(), if {previous_path(p).name} is there), delete it "
            "(hlsnb.synth.reset_calibration()), or refit with keep_damaged=True to keep it aside") from None


def keep_aside(path) -> Path:
    """Move the (unreadable) refit at ``path`` to ``<name>.damaged-<time>`` beside it; returns where it went."""
    p = Path(path)
    aside = p.with_name(f"{p.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
    os.replace(p, aside)
    return aside


def save_calibration(coefficients: dict, path=None, *, keep_damaged: bool = False, **meta) -> Calibration:
    """Write ``coefficients`` (plus ``meta``, e.g. how many records they were fitted on) as the user's refit at
    ``path`` (default :func:`user_calibration_path`); return the saved :class:`Calibration`.

    Atomic; the refit it replaces is kept as ``<name>.previous`` (:func:`undo_saved_calibration` restores it). A
    file at ``path`` that cannot be read raises :class:`CalibrationFileError` (nothing is written) unless
    ``keep_damaged=True``, which moves it to ``<name>.damaged-<time>`` first (``meta['kept_aside']`` says where).
    """
    p = Path(path) if path is not None else user_calibration_path()
    try:
        check_saved_calibration(p)
        previous = p.read_text() if p.exists() else None
    except CalibrationFileError:
        if not keep_damaged:
            raise
        meta["kept_aside"] = str(keep_aside(p))
        previous = None
    atomic_write(previous_path(p), previous if previous is not None else json.dumps(_NO_PREVIOUS))
    atomic_write(p, json.dumps({"hlsnb_calibration": 1, **meta, "coefficients": dict(coefficients)}, indent=1))
    return refit_calibration(coefficients, p)


def undo_saved_calibration(path=None) -> Calibration | None:
    """Put back the refit the last :func:`save_calibration` replaced (or remove the refit when there was none
    before it). Returns what estimates use now by default from that file (None: the shipped coefficients).

    Raises ``FileNotFoundError`` when there is nothing to undo (no ``<name>.previous``)."""
    p = Path(path) if path is not None else user_calibration_path()
    prev = previous_path(p)
    if not prev.is_file():
        raise FileNotFoundError(f"nothing to undo: no {prev} (it is written by each refit and used once)")
    text = prev.read_text()
    try:
        was_none = json.loads(text) == _NO_PREVIOUS
    except ValueError:
        was_none = False
    if was_none:
        p.unlink(missing_ok=True)
    else:
        atomic_write(p, text)
    prev.unlink()
    return None if was_none else check_saved_calibration(p)


def delete_saved_calibration(path=None) -> Path:
    """Delete the saved refit (if any), so estimates go back to the shipped coefficients. Returns the path.

    The deleted refit is kept as ``<name>.previous``, so :func:`undo_saved_calibration` brings it back."""
    p = Path(path) if path is not None else user_calibration_path()
    if p.is_file():
        atomic_write(previous_path(p), p.read_bytes())
        p.unlink()
    return p
