"""Jupyter widgets over a :class:`hlsnb.design.Design`: thin views that read and change only the Design.

- :class:`LayerConfigurator`: per-layer Strategy, ReuseFactor, ParallelizationFactor (convolutions) and precisions;
  board, io_type, clock, apply-to-all.
- :class:`EstimatePlot`: live plotly plots of the estimate against the board (resources, latency, II).
- :class:`Explorer`: both, plus the "why" panel, warning badges, fit to board, save and load.
- :class:`PruningSlider` (from :mod:`hlsnb.widgets.pruning`, loaded on first use): its preview point flags a target
  that leaves the design over the board.
- :mod:`hlsnb.widgets.seed`: the seed question as charts (Latency against Resource at ReuseFactor 64), the same
  numbers the README's seed paragraph is generated from (``tools/readme_numbers.py``).

The Explorer's status line is always the latest estimate's; pin a design (``explorer.pin()``) to compare every later
change with it (ghost bars, a difference table) and read the run history.

Every view derives from :class:`hlsnb.widgets._base.DesignView` (subscribing, closing, the update guard), keeps its
user-facing state in validated traits (precisions in the :class:`hlsnb.widgets._traits.Precision` trait type) and
takes its HTML from the pure functions of :mod:`hlsnb.widgets._html`.
"""

from .configurator import LayerConfigurator
from .explorer import Explorer
from .plots import EstimatePlot, estimate_figure

__all__ = ["LayerConfigurator", "EstimatePlot", "Explorer", "estimate_figure", "PruningSlider"]


def __getattr__(name: str):
    if name == "PruningSlider":
        from .pruning import PruningSlider

        return PruningSlider
    raise AttributeError(f"module 'hlsnb.widgets' has no attribute {name!r}")
