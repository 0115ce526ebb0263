"""Old home of the calibration: ``python -m hlsnb.estimate.calibrate`` still runs it; the code is in
:mod:`hlsnb.calibration` (``fitting``, ``evaluation``, ``cli``). ``fit`` is ``fit_coefficients``."""

import sys

from ..calibration.cli import main
from ..calibration.evaluation import COLUMNS as RESOURCES
from ..calibration.evaluation import ape, evaluate, format_table, hls4ml_formulas
from ..calibration.fitting import (
    FF_KEYS,
    LUT_KEYS,
    SHIPPED_ROWS,
    fit_coefficients,
    load_models,
    load_rows,
    predict,
)

fit = fit_coefficients

__all__ = ["main", "RESOURCES", "ape", "evaluate", "format_table", "hls4ml_formulas", "FF_KEYS", "LUT_KEYS",
           "SHIPPED_ROWS", "fit", "fit_coefficients", "load_models",
           "load_rows", "predict"]

if __name__ == "__main__":
    sys.exit(main())
