"""``python -m hlsnb.calibration``: see :mod:`hlsnb.calibration.cli`."""

import sys

from .cli import main

sys.exit(main())
