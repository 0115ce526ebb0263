"""``Sweep``: one object for the whole loop: a space, its scores, the Pareto front, real evaluations, the store."""

from __future__ import annotations

from pathlib import Path

from .cluster import evaluate
from .pareto import pareto_front
from .score import MAX_ENUMERATE, Scorer, Scores, check_enumerable
from .space import Space
from .store import ResultsStore

__all__ = ["Sweep"]


class Sweep:
    """Score a :class:`Space` of ``design`` with the estimator, evaluate the best configurations for real on Dask,
    keep everything in a :class:`ResultsStore`.

    Parameters
    ----------
    space : Space
        What to sweep (its ``design`` is the base design).
    store : path or ResultsStore
        The SQLite results store (default ``hlsnb_sweep.sqlite`` in the working folder).
    model, data : the Keras model (or the path of a saved one) and a Dataset / (X, y) for the C-simulation accuracy.
    work_dir : where each evaluation keeps its project, logs and result (``<work_dir>/<config_id>/<kind>/``).
    stage, calibration : passed to the estimator when given.
    """

    def __init__(self, space: Space, *, store="hlsnb_sweep.sqlite", model=None, data=None, work_dir="hlsnb_sweep",
                 stage: str | None = None, calibration=None):
        self.space = space
        self.design = space.design
        self.store = store if isinstance(store, ResultsStore) else ResultsStore(store)
        self.model, self.data, self.work_dir = model, data, Path(work_dir)
        self.scorer = Scorer(self.design, stage=stage, calibration=calibration)
        self.scores: Scores | None = None

    def score(self, n: int | None = None, seed: int = 0, progress=None, limit: int | None = MAX_ENUMERATE) -> Scores:
        """Estimate ``n`` sampled configurations (all when None or the space is smaller), keep them in the store.

        Without ``n`` the whole space is scored, which is refused above ``limit`` configurations (default
        :data:`hlsnb.sweep.score.MAX_ENUMERATE`, about a minute of estimates) with the space's size: pass ``n`` to
        sample, or ``limit=None`` to score every configuration anyway. ``progress``: ``callback(done, total)``;
        by default a progress bar above a few thousand configurations; ``False``: none.
        """
        if n is None:
            check_enumerable(self.space, limit)
            configs = list(self.space)
        else:
            configs = self.space.sample(n, seed)
        self.scores = self.scorer(configs, progress=progress, limit=None)
        self.store.add_scores(self.scores, self.design)
        return self.scores_with_accuracy()

    def scores_with_accuracy(self) -> Scores:
        """The last scores with the accuracy measured so far (from the store)."""
        if self.scores is None:
            raise RuntimeError("nothing scored yet: call sweep.score() first")
        self.scores = self.scores.with_accuracy(self.store.accuracy())
        return self.scores

    def pareto(self, objectives=("lut_pct", "dsp_pct", "latency_ns"), **kwargs) -> Scores:
        """The Pareto front of the scores (see :func:`hlsnb.sweep.pareto_front`)."""
        return pareto_front(self.scores_with_accuracy(), objectives, **kwargs)

    def evaluate(self, candidates, kind: str = "csim", progress: bool = True, **kwargs) -> list[dict]:
        """Evaluate ``candidates`` (Scores, or a list of configs) on Dask; see :func:`hlsnb.sweep.evaluate`.

        A progress bar counts the finished evaluations (``progress=False``, or an ``on_progress`` callback of your
        own, replaces it)."""
        if self.model is None:
            raise ValueError("evaluations need the Keras model: Sweep(space, model=..., data=...)")
        configs = candidates.configs if isinstance(candidates, Scores) else list(candidates)
        bar = None
        if progress and kwargs.get("on_progress") is None and configs:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(configs), desc=f"evaluating ({kind}, measured)", unit="config")

            def on_progress(done, _total, _row):
                bar.update(done - bar.n)

            kwargs["on_progress"] = on_progress
        try:
            return evaluate(self.design, configs, store=self.store, model=self.model, data=self.data, kind=kind,
                            work_dir=self.work_dir, designs=self.scorer.design_of, **kwargs)
        finally:
            if bar is not None:
                bar.close()

    def design_of(self, config):
        """The Design of a configuration (or of a store id)."""
        return self.store.design(config) if isinstance(config, str) else self.scorer.design_of(config)

    def widget(self, explorer=None, **kwargs):
        """The Pareto scatter and progress bar (:class:`hlsnb.sweep.widget.SweepWidget`)."""
        from .widget import SweepWidget

        return SweepWidget(self, explorer=explorer, **kwargs)

    def __repr__(self) -> str:
        return f"Sweep({self.space!r}, store {str(self.store.path)!r})"
