"""``hls4ml.optimization.dsp_aware_pruning.scheduler``: hls4ml 1.3's sparsity schedules, exactly.

Same constructors (``initial_sparsity``, ``final_sparsity``, ``update_step``, ``threshold``, ``maximum_steps``,
``decay_power``), ``update_step`` / ``repair_step`` / ``get_sparsity`` and the same numbers as hls4ml: the constant
schedule stops one step short of a final sparsity it would overshoot, the binary one starts at the midpoint.
hlsnb's own schedules (:mod:`hlsnb.prune.schedulers`) end exactly on the final sparsity instead; use those with
:func:`hlsnb.prune.prune`. Ported from hls4ml 1.3 (Apache-2.0).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

__all__ = ["OptimizationScheduler", "ConstantScheduler", "BinaryScheduler", "PolynomialScheduler"]


class OptimizationScheduler(ABC):
    """Current target sparsity (a fraction of the objective) and how it moves after a good or a bad trial."""

    def __init__(self, initial_sparsity=0, final_sparsity=1):
        for what, x in (("initial_sparsity", initial_sparsity), ("final_sparsity", final_sparsity)):
            if not 0 <= x <= 1:
                raise ValueError(f"{what} must be between 0.0 and 1.0 (a fraction, not a percentage), got {x!r}")
        self.sparsity = initial_sparsity
        self.lower_bound = initial_sparsity
        self.upper_bound = final_sparsity

    @abstractmethod
    def update_step(self):
        """After a trial within tolerance: ``(changed, sparsity)``; ``changed`` False means stop."""

    @abstractmethod
    def repair_step(self):
        """After a trial out of tolerance: ``(changed, sparsity)``."""

    def get_sparsity(self):
        return self.sparsity


class ConstantScheduler(OptimizationScheduler):
    """Sparsity grows by ``update_step`` while it stays at or below ``final_sparsity``; a bad trial moves on too
    (a model can recover at a higher sparsity: ``optimize_model`` counts the bad trials)."""

    def __init__(self, initial_sparsity=0, final_sparsity=1.0, update_step=0.05):
        self.increment = update_step
        super().__init__(initial_sparsity, final_sparsity)

    def update_step(self):
        if self.sparsity + self.increment <= self.upper_bound:
            self.sparsity += self.increment
            return True, self.sparsity
        return False, self.sparsity

    def repair_step(self):
        return self.update_step()


class BinaryScheduler(OptimizationScheduler):
    """Bisection between the last good sparsity and the last bad one (or ``final_sparsity``), down to
    ``threshold``."""

    def __init__(self, initial_sparsity=0, final_sparsity=1.0, threshold=0.01):
        self.threshold = threshold
        super().__init__(initial_sparsity, final_sparsity)

    def update_step(self):
        self.lower_bound, old = self.sparsity, self.sparsity
        if self.upper_bound - old >= self.threshold:
            self.sparsity = 0.5 * (self.lower_bound + self.upper_bound)
            return True, self.sparsity
        return False, self.sparsity

    def repair_step(self):
        if self.sparsity - self.lower_bound >= self.threshold:
            self.upper_bound = self.sparsity
            self.sparsity = 0.5 * (self.lower_bound + self.upper_bound)
            return True, self.sparsity
        self.upper_bound = self.sparsity
        return False, self.sparsity


class PolynomialScheduler(OptimizationScheduler):
    """Zhu & Gupta (2017): s_k = final + (initial - final) * (1 - k / maximum_steps) ** decay_power."""

    def __init__(self, maximum_steps, initial_sparsity=0, final_sparsity=1.0, decay_power=3):
        self.decay_power = decay_power
        self.current_step = 0
        self.maximum_steps = maximum_steps
        super().__init__(initial_sparsity, final_sparsity)

    def update_step(self):
        if self.current_step < self.maximum_steps:
            self.current_step += 1
            self.sparsity = self.upper_bound + (self.lower_bound - self.upper_bound) * (
                (1 - self.current_step / self.maximum_steps) ** self.decay_power)
            return True, self.sparsity
        return False, self.sparsity

    def repair_step(self):
        return self.update_step()
