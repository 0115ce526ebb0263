"""Design-space sweeps: thousands of estimates in seconds, the best few evaluated for real on Dask, all kept.

- :class:`Space`: per-layer strategies, ReuseFactors and precisions, pruning levels, io types (lazy, sampleable).
- :func:`score` / :class:`Scorer`: the estimator over many configurations (cached), a :class:`Scores` table.
- :func:`pareto_front`: the non-dominated configurations over the objectives you pick.
- :func:`evaluate`: C simulation, C synthesis or Vivado synthesis per configuration, one Dask task each (a
  LocalCluster by default; a scheduler address or a dask_jobqueue cluster the same way), with timeouts.
- :class:`ResultsStore`: the SQLite file every result goes to; resume, export, ``builds()`` for ``recalibrate``.
- :class:`Sweep`: all of it around one space; ``sweep.widget()`` draws the front (hlsnb.sweep.widget).

See docs/sweep.md. Dask is imported only when something is evaluated.
"""

from .cluster import connect, evaluate
from .pareto import pareto_front, pareto_mask
from .score import COLUMNS, Scorer, Scores, score
from .space import Config, LayerChoice, Space, config_id, design_id
from .store import SCHEMA_VERSION, ResultsStore, StoreError, StoreVersionError
from .sweep import Sweep
from .task import KINDS

__all__ = ["Space", "Config", "LayerChoice", "design_id", "config_id", "score", "Scorer", "Scores", "COLUMNS",
           "pareto_front", "pareto_mask", "evaluate", "connect", "ResultsStore", "SCHEMA_VERSION",
           "StoreError", "StoreVersionError", "Sweep", "KINDS"]
