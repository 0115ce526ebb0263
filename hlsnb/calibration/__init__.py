"""Calibration of the estimator as a value: the coefficients, where they come from, how they are fitted and judged.

- :class:`Calibration`: an immutable set of fitted coefficients with its ``source`` ("shipped" or "your builds")
  and ``path``; ``Calibration.shipped()``, ``Calibration.load(path)``. Pass one to
  ``estimate_layer(..., calibration=)`` / ``estimate_design(..., calibration=)``. It is defined beside the estimator
  that takes it (``hlsnb/estimate/_calibration.py``, with :func:`default_calibration`), because this package sits
  above the estimator (docs/ARCHITECTURE.md): it runs the estimator, the estimator never imports it.
- ``saved``: the user's refit on their own builds (``$HLSNB_COEFFICIENTS`` or ``~/.config/hlsnb/coefficients.json``):
  saving and deleting it; :func:`default_calibration` is what estimates use when given none: that refit if it
  exists, else shipped.
- ``fitting`` (``fit_coefficients``: the least-squares and grid fits on report rows) and ``evaluation`` (error
  tables against the reports and hls4ml's formulas), imported as submodules (``hlsnb.calibration.fitting``).
- ``rows`` (both calibration CSVs as estimator inputs), ``per_tool`` (the tool-aware ``per_tool`` block),
  ``loro`` (leave-one-repository-out tables), ``seed`` (the forum's report, a check, never fitted).
- ``python -m hlsnb.calibration --csv reports.csv --csv reports2.csv`` refits the shipped coefficients
  (``make calibrate``).
"""

from ..estimate.model import SHIPPED_PATH, Calibration
from .saved import (
                    default_calibration,
                    delete_saved_calibration,
                    save_calibration,
                    saved_calibration,
                    user_calibration_path,
)

__all__ = ["Calibration", "SHIPPED_PATH", "default_calibration", "saved_calibration", "save_calibration",
           "delete_saved_calibration", "user_calibration_path"]
