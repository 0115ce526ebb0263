"""Old home of the reference designs (kept so ``from hlsnb.estimate._reference import tutorial_mlp`` works).

They build a Design, which the pure estimator must not import: the code is in :mod:`hlsnb.calibration.reference`.
"""

from ..calibration.reference import tutorial_mlp

__all__ = ["tutorial_mlp"]
