"""Score configurations with the estimator, cached, into a column table (:class:`Scores`).

Each configuration is one ``Design.copy()`` + ``set()`` per layer + :func:`hlsnb.estimate.estimate_design`: about
0.2 ms for the tutorial MLP without kernels (the estimator caches every layer estimate on its :class:`LayerInput`,
and a sweep revisits the same few layer settings over and over), about 0.6 ms with them (estimates that read the
kernel are not cached): 10,000 configurations in about 6 s (benchmarks/bench_sweep.py). On top, a
:class:`Scorer` keeps the rows it computed, so scoring an overlapping sample again (a bigger sample, a restarted
widget) costs a dictionary lookup per point.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import InvalidSetting
from ..estimate import RESOURCES, estimate_design
from .space import Config, Space, config_id, design_id

__all__ = ["Scorer", "Scores", "score", "COLUMNS", "MAX_ENUMERATE", "check_enumerable"]

#: The most configurations scored without ``n=`` (all of a space): about a minute at 0.2-0.6 ms each. Above it,
#: scoring the whole space must be asked for (``limit=``) or a sample taken (``n=``).
MAX_ENUMERATE = 100_000
#: Above this many configurations a progress bar is shown by default.
PROGRESS_FROM = 5_000
_MS_PER_CONFIG = 0.6  # the slower end of the measured cost (with kernels), for the time shown in messages


def _duration(n: int) -> str:
    s = n * _MS_PER_CONFIG / 1000
    return f"{s:,.0f} s" if s < 120 else f"{s / 60:,.0f} min" if s < 7200 else f"{s / 3600:,.1f} h"


def check_enumerable(space, limit: int | None = MAX_ENUMERATE) -> int:
    """The size of ``space``; raises ``InvalidSetting`` saying how many configurations there are (and how long
    scoring them all would take) when it is above ``limit`` (``None``: no limit)."""
    n = len(space)
    if limit is not None and n > limit:
        raise InvalidSetting(
            f"the space has {n:,} configurations ({n:.2g}); scoring all of them would take about {_duration(n)} at "
            f"{_MS_PER_CONFIG} ms each and hold {n * len(COLUMNS) * 8 / 2**20:,.0f} MiB of scores. Sample it "
            f"(score(n=10_000)), narrow the space (fewer ReuseFactors: max_reuse_factor=, per-layer lists), or pass "
            f"limit=None (or limit={n}) to score every one")
    return n


def _auto_progress(n: int, progress):
    """``progress`` itself, or (``None`` and ``n`` above :data:`PROGRESS_FROM`) a tqdm bar's callback; and the bar."""
    if progress is not None or n <= PROGRESS_FROM:
        return (progress or None), None
    from tqdm.auto import tqdm

    bar = tqdm(total=n, desc="scoring (hlsnb estimates)", unit="config")

    def update(done, _total):
        bar.update(done - bar.n)

    return update, bar


#: The columns of a score table: totals (counts), utilisation of the part (%), latency, and whether it fits.
COLUMNS = (*RESOURCES, *(f"{r}_pct" for r in RESOURCES), "latency_cycles", "latency_ns", "ii", "fits")


@dataclass
class Scores:
    """Estimates of many configurations of one base design, as numpy columns (one entry per configuration).

    ``columns``: :data:`COLUMNS` plus ``accuracy`` (NaN until a C simulation measured it, see
    :meth:`with_accuracy`). ``ids``: the configurations' ids in the results store. ``stage``: the estimator stage.
    """

    design_id: str
    configs: list
    ids: list
    columns: dict
    stage: str | None = None
    meta: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.configs)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    def subset(self, index) -> Scores:
        """The rows at ``index`` (integer array, list, or boolean mask), in that order."""
        idx = np.flatnonzero(index) if np.asarray(index).dtype == bool else np.asarray(index, dtype=int)
        return Scores(self.design_id, [self.configs[i] for i in idx], [self.ids[i] for i in idx],
                      {k: v[idx] for k, v in self.columns.items()}, self.stage, dict(self.meta))

    def sort_by(self, column: str, descending: bool = False) -> Scores:
        order = np.argsort(self.columns[column], kind="stable")
        return self.subset(order[::-1] if descending else order)

    def row(self, i: int) -> dict:
        return {"config_id": self.ids[i], **{k: v[i].item() for k, v in self.columns.items()},
                "config": self.configs[i].to_dict()}

    def rows(self) -> list[dict]:
        return [self.row(i) for i in range(len(self))]

    def with_accuracy(self, accuracy: dict) -> Scores:
        """A copy whose ``accuracy`` column takes ``{config_id: accuracy}`` (e.g. ``store.accuracy()``)."""
        cols = dict(self.columns)
        cols["accuracy"] = np.array([accuracy.get(i, math.nan) for i in self.ids], dtype=float)
        return Scores(self.design_id, self.configs, self.ids, cols, self.stage, dict(self.meta))

    def __repr__(self) -> str:
        fits = int(self.columns["fits"].sum()) if len(self) else 0
        return f"Scores({len(self):,} configurations, {fits:,} fit the part; stage {self.stage or 'csynth'})"


class Scorer:
    """Scores configurations of one base design; remembers every row it computed.

    ``stage`` and ``calibration`` go to :func:`hlsnb.estimate.estimate_design` when given (``stage=None``: the
    estimator's default, C synthesis).
    """

    def __init__(self, design, *, stage: str | None = None, calibration=None):
        self.design = design
        self.design_id = design_id(design)
        self._kwargs = {k: v for k, v in (("stage", stage), ("calibration", calibration)) if v is not None}
        self.stage = stage
        self._rows: dict[Config, tuple] = {}
        self._pruned: dict[tuple, object] = {}

    def estimate(self, config: Config):
        """The full :class:`hlsnb.estimate.DesignEstimate` of one configuration."""
        return estimate_design(self.design_of(config), **self._kwargs)

    def design_of(self, config: Config):
        """The Design of ``config`` (pruned bases are built once per (io type, sparsity) and copied)."""
        if not config.sparsity:
            return config.apply(self.design)
        base_key = (config.io_type, config.sparsity)
        base = self._pruned.get(base_key)
        if base is None:
            base = Config(config.io_type, (), config.sparsity).apply(self.design)
            self._pruned[base_key] = base
        return Config(config.io_type, config.layers, 0.0).apply(base)

    def _row(self, config: Config) -> tuple:
        row = self._rows.get(config)
        if row is None:
            e = self.estimate(config)
            util = e.utilisation
            row = (*(e.total[r] for r in RESOURCES), *(util[r] for r in RESOURCES), e.latency_cycles,
                   e.latency_ns, e.ii, all(util[r] <= 100.0 for r in RESOURCES))
            self._rows[config] = row
        return row

    def __call__(self, configs, progress=None, limit: int | None = MAX_ENUMERATE) -> Scores:
        """Score ``configs`` (any iterable of :class:`Config`, a :class:`Space` too).

        ``progress``: ``callback(done, total)``, called every 500 configurations and at the end; ``None``: a
        progress bar above :data:`PROGRESS_FROM` configurations; ``False``: none. ``limit``: a :class:`Space`
        larger than this is refused before anything is enumerated (see :func:`check_enumerable`).
        """
        if isinstance(configs, Space):
            check_enumerable(configs, limit)
        configs = list(configs)
        n = len(configs)
        progress, bar = _auto_progress(n, progress)
        try:
            return self._score(configs, n, progress)
        finally:
            if bar is not None:
                bar.close()

    def _score(self, configs: list, n: int, progress) -> Scores:
        data = np.empty((n, len(COLUMNS)), dtype=float)
        for i, c in enumerate(configs):
            data[i] = self._row(c)
            if progress is not None and (i + 1) % 500 == 0:
                progress(i + 1, n)
        if progress is not None:
            progress(n, n)
        cols = {k: data[:, j] for j, k in enumerate(COLUMNS)}
        for k in ("latency_cycles", "ii"):
            cols[k] = cols[k].astype(np.int64)
        cols["fits"] = cols["fits"].astype(bool)
        cols["accuracy"] = np.full(n, math.nan)
        ids = [config_id(self.design_id, c) for c in configs]
        return Scores(self.design_id, configs, ids, cols, self.stage)


def score(space_or_configs, design=None, *, stage: str | None = None, calibration=None, progress=None,
          limit: int | None = MAX_ENUMERATE) -> Scores:
    """Estimate every configuration of a :class:`Space` (or a list of configs of ``design``). See :class:`Scorer`.

    A space of more than ``limit`` configurations is refused with its size (sample it: ``space.sample(n)``)."""
    if isinstance(space_or_configs, Space):
        design = space_or_configs.design
    if design is None:
        raise TypeError("score(configs) needs design=: the base design the configurations apply to")
    return Scorer(design, stage=stage, calibration=calibration)(space_or_configs, progress=progress, limit=limit)
