"""Sparsity schedules: which target sparsity to try next, as in hls4ml's ``dsp_aware_pruning.scheduler``.

Sparsity here is the fraction of the objective's optimisable resources removed (0 = nothing pruned, 1 = all).
``prune`` sets the final sparsity from its target; after every fine-tune it calls :meth:`update_step` when the
validation metric stayed within tolerance and :meth:`repair_step` when it did not. Both return
``(go_on, sparsity)``.

Differences from hls4ml, on purpose: the constant and binary schedules end exactly on the final sparsity when it
is reachable (hls4ml's stop up to one step or one threshold short of it).
"""

from __future__ import annotations

import abc

__all__ = ["Scheduler", "ConstantScheduler", "PolynomialScheduler", "BinaryScheduler", "make_scheduler"]


class Scheduler(abc.ABC):
    """Base class. ``initial`` and ``final`` are fractions in [0, 1]; ``final=None`` means "the prune target"."""

    name = "scheduler"
    #: True while the schedule asks for the same sparsity again from the weights that just missed the tolerance
    #: (the pruning loop then does not roll them back; :class:`BinaryScheduler` ``retries``).
    retrying = False

    def __init__(self, initial: float = 0.0, final: float | None = None):
        self._check(initial, "initial")
        if final is not None:
            self._check(final, "final")
        self.initial = float(initial)
        self.final = None if final is None else float(final)
        self.reset(self.final if self.final is not None else 1.0)

    @staticmethod
    def _check(x, what):
        if not (isinstance(x, (int, float)) and 0.0 <= x <= 1.0):
            raise ValueError(f"{what} sparsity must be a fraction between 0.0 and 1.0, got {x!r}")

    def reset(self, final: float) -> None:
        """Start over towards ``final``."""
        self._check(final, "final")
        if final < self.initial:
            raise ValueError(f"final sparsity {final:g} is below the initial sparsity {self.initial:g}")
        self.final = float(final)
        self.sparsity = self.initial
        self.lower = self.initial
        self.upper = self.final

    @abc.abstractmethod
    def update_step(self) -> tuple[bool, float]:
        """After an accepted fine-tune: (go on?, next sparsity)."""

    @abc.abstractmethod
    def repair_step(self) -> tuple[bool, float]:
        """After a rejected fine-tune (metric out of tolerance): (go on?, next sparsity)."""

    @abc.abstractmethod
    def planned_steps(self) -> int:
        """How many fine-tunes the schedule takes when every step is accepted (for progress bars)."""

    def probes(self) -> list[float]:
        """Sparsities to evaluate one-shot (no training) before the first fine-tune; none by default."""
        return []

    def __repr__(self) -> str:
        return f"{type(self).__name__}(initial={self.initial:g}, final={self.final})"


class ConstantScheduler(Scheduler):
    """Sparsity grows by ``step`` each time (the last step lands on ``final``)."""

    name = "constant"

    def __init__(self, step: float = 0.1, initial: float = 0.0, final: float | None = None):
        if not (0 < step <= 1):
            raise ValueError(f"step must be in (0, 1], got {step!r}")
        self.step = float(step)
        super().__init__(initial, final)

    def update_step(self):
        if self.sparsity >= self.final - 1e-12:
            return False, self.sparsity
        self.sparsity = min(self.final, self.sparsity + self.step)
        return True, self.sparsity

    def repair_step(self):
        # as hls4ml: a model that fails at one level may recover at the next; prune() counts bad trials
        return self.update_step()

    def planned_steps(self) -> int:
        import math

        return max(1, math.ceil((self.final - self.initial) / self.step - 1e-9))


class PolynomialScheduler(Scheduler):
    """Zhu & Gupta (2017): s_k = final + (initial - final) * (1 - k/steps)^power, k = 1..steps."""

    name = "polynomial"

    def __init__(self, steps: int = 5, initial: float = 0.0, final: float | None = None, power: float = 3.0):
        if int(steps) < 1:
            raise ValueError(f"steps must be at least 1, got {steps!r}")
        self.steps = int(steps)
        self.power = float(power)
        super().__init__(initial, final)

    def reset(self, final: float) -> None:
        super().reset(final)
        self.k = 0

    def update_step(self):
        if self.k >= self.steps:
            return False, self.sparsity
        self.k += 1
        self.sparsity = self.final + (self.initial - self.final) * (1 - self.k / self.steps) ** self.power
        return True, self.sparsity

    def repair_step(self):
        return self.update_step()

    def planned_steps(self) -> int:
        return self.steps


class BinaryScheduler(Scheduler):
    """Binary search for the highest sparsity within tolerance, up to ``final``; stops when the interval is
    narrower than ``threshold`` or after ``max_steps`` fine-tunes (equal budgets in comparisons). Tries ``final``
    itself first when ``try_final_first`` (the default): if that passes, one fine-tune is enough.

    ``retries``: fine-tunes more at a sparsity that just missed the tolerance, going on from the weights that
    missed it (:attr:`retrying` tells the pruning loop not to roll them back), before the search takes it as too
    high. With a small validation set one unlucky check otherwise caps the search for good. Each retry counts
    against ``max_steps``.

    ``probe``: before any fine-tune, ``prune`` evaluates one-shot masks (the unpruned weights pruned at once, no
    training, validation accuracy only) at ``probe`` evenly spaced sparsities in (initial, final) and hands them to
    :meth:`bracket`: the search then starts between the highest probe that already meets the tolerance without
    training (accepted as it is, no fine-tune spent) and the lowest probe whose one-shot accuracy has fallen below
    ``cliff`` times the unpruned model's (the accuracy cliff: fine-tuning rarely climbs back from there), instead of
    between ``initial`` and ``final``. No fine-tune is spent on sparsities the probes already rule out (with
    ``try_final_first`` the first try would be ``final``, which the probes usually show to be past the cliff: with
    a probe the first try is the middle of the bracket). The probes are validation evaluations, not fine-tunes."""

    name = "binary"

    def __init__(self, threshold: float = 0.02, initial: float = 0.0, final: float | None = None,
                 try_final_first: bool = True, max_steps: int | None = None, retries: int = 0, probe: int = 0,
                 cliff: float = 0.5):
        if not (0 < threshold < 1):
            raise ValueError(f"threshold must be in (0, 1), got {threshold!r}")
        if max_steps is not None and (isinstance(max_steps, bool) or int(max_steps) < 1):
            raise ValueError(f"max_steps must be at least 1 (or None), got {max_steps!r}")
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise ValueError(f"retries must be a whole number >= 0, got {retries!r}")
        if isinstance(probe, bool) or not isinstance(probe, int) or not 0 <= probe <= 1000:
            raise ValueError(f"probe must be a whole number of one-shot evaluations in [0, 1000] (0: no probe), "
                             f"got {probe!r}")
        if isinstance(cliff, bool) or not isinstance(cliff, (int, float)) or not 0 < cliff < 1:
            raise ValueError(f"cliff must be a fraction of the unpruned model's validation accuracy in (0, 1), "
                             f"got {cliff!r}")
        self.threshold = float(threshold)
        self.try_final_first = bool(try_final_first)
        self.probe = probe
        self.cliff = float(cliff)
        self.max_steps = None if max_steps is None else int(max_steps)
        self.retries = retries
        super().__init__(initial, final)

    def reset(self, final: float) -> None:
        super().reset(final)
        self._started = False
        self._tries = 0
        self._left = self.retries  # retries left at the sparsity being tried
        self.retrying = False
        self._bracketed = False

    def probes(self) -> list[float]:
        """The sparsities to evaluate one-shot before the search (empty without ``probe``)."""
        span = self.final - self.initial
        return [self.initial + span * k / (self.probe + 1) for k in range(1, self.probe + 1)]

    def bracket(self, results) -> tuple[float, float]:
        """Narrow the search with one-shot results ``[(sparsity, within_tolerance, accuracy / baseline), ...]``
        (see the class docstring); returns the new ``(lower, upper)``. ``lower`` is a sparsity already accepted
        without fine-tuning (``initial`` when no probe met the tolerance)."""
        if self._started:
            raise RuntimeError("bracket() must come before the first update_step()")
        lower, upper = self.initial, self.final
        for s, ok, _ in sorted(results):
            if not ok:
                break
            lower = s
        for s, _, ratio in sorted(results):
            if s > lower and ratio < self.cliff:
                upper = s
                break
        self.lower, self.upper, self.sparsity = float(lower), float(upper), float(lower)
        self._bracketed = True
        return self.lower, self.upper

    def _another(self) -> bool:
        """Count one more fine-tune; False once ``max_steps`` have been tried."""
        self._tries += 1
        return self.max_steps is None or self._tries <= self.max_steps

    def update_step(self):
        if not self._started:
            self._started = True
            self._another()
            first_final = self.try_final_first and not self._bracketed
            self.sparsity = self.final if first_final else 0.5 * (self.lower + self.upper)
            return True, self.sparsity
        # the last try passed: it is the new lower bound
        self.retrying, self._left = False, self.retries
        self.lower = self.sparsity
        if self.upper - self.sparsity < self.threshold or not self._another():
            return False, self.sparsity
        self.sparsity = 0.5 * (self.lower + self.upper)
        return True, self.sparsity

    def repair_step(self):
        if self._left > 0 and self.sparsity > self.lower and self._another():
            self._left -= 1
            self.retrying = True  # the same sparsity once more, from the weights that just missed
            return True, self.sparsity
        self.retrying, self._left = False, self.retries
        self.upper = self.sparsity
        if self.sparsity - self.lower < self.threshold or not self._another():
            self.sparsity = self.lower
            return False, self.sparsity
        self.sparsity = 0.5 * (self.lower + self.upper)
        return True, self.sparsity

    def planned_steps(self) -> int:
        import math

        span = max(self.final - self.initial, self.threshold)
        n = 1 + max(1, math.ceil(math.log2(span / self.threshold)))
        return n if self.max_steps is None else min(n, self.max_steps)


def make_scheduler(spec) -> Scheduler:
    """A scheduler from a name (``"constant"``, ``"polynomial"``, ``"binary"``) or a :class:`Scheduler`."""
    if isinstance(spec, Scheduler):
        return spec
    names = {"constant": ConstantScheduler, "polynomial": PolynomialScheduler, "binary": BinaryScheduler}
    key = str(spec).strip().lower()
    if key not in names:
        raise ValueError(f"unknown scheduler {spec!r}; valid: {', '.join(names)} or a hlsnb.prune.Scheduler")
    return names[key]()
