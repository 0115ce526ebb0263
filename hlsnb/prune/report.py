"""The result of :func:`hlsnb.prune.prune`: what was pruned, what it costs now, how accurate it still is."""

from __future__ import annotations

import html
from dataclasses import dataclass, field

__all__ = ["PruneReport", "PruneStep"]


@dataclass
class PruneStep:
    """One fine-tune of the schedule."""

    sparsity: float  # schedule sparsity (fraction of the prunable objective usage removed)
    objective_usage: list  # objective units after this step's masks (plan accounting)
    val_accuracy: float  # validation metric after fine-tuning
    accepted: bool  # within tolerance of the baseline (always True without a tolerance)
    seconds: float


@dataclass
class PruneReport:
    """What :func:`prune` did. Resource numbers from the estimator are HLS csynth *estimates*, not synthesis.

    - ``status``: ``"done"`` (target reached), ``"stopped"`` (the tolerance stopped the schedule below the target;
      the model is the last step that stayed within tolerance), ``"unpruned"`` (no step stayed within it),
      ``"overflow"`` (values of a layer leave its fixed-point type on the test / validation rows: ``overflows`` names
      the layers and a fix; the C simulation would wrap) or ``"csim_mismatch"`` (the C simulation scores more than
      2 points below Keras).
    - ``layers``: one row per Dense/Conv layer (structure, weights, zeros before/after, sparsity, groups pruned).
    - ``objective_before`` / ``objective_after``: the objective's units (e.g. DSPs) in its accounting.
    - ``estimate_before`` / ``estimate_after``: :class:`hlsnb.estimate.DesignEstimate` of the design before/after.
    - ``keras_accuracy_before`` / ``keras_accuracy_after``: test accuracy of the Keras model.
    - ``csim_accuracy``: test accuracy of the pruned model in hls4ml C simulation (``csim_error`` if it could not
      run); ``csim_accuracy_before`` only when asked for (``csim_baseline=True``).
    - ``l1`` / ``l1_trials``: the L1 penalty's strength and, when ``prune`` chose it (``l1="auto"`` or a list), every
      candidate's trial on the validation rows (``chosen`` marks the one used).
    - ``warmup``: with ``prune(warmup=N)``, the warm-up's epochs, best validation accuracy, the model's as given,
      and whether pruning started from it.
    """

    objective: str
    objective_units: list
    target: str
    status: str
    target_reached: bool
    final_sparsity: float
    layers: list
    objective_before: list
    objective_after: list
    estimate_before: object
    estimate_after: object
    keras_accuracy_before: float | None
    keras_accuracy_after: float | None
    val_accuracy_baseline: float | None
    #: the validation accuracy the tolerance was measured against (``None`` without a tolerance): the baseline, or
    #: (``reference`` "control", or "lower" where it is lower) the unpruned model after the same fine-tune without
    #: pruning
    val_accuracy_reference: float | None = None
    reference: str = "lower"  # prune's ``reference``: "lower", "control", "model" or "start"
    steps: list = field(default_factory=list)
    csim_accuracy: float | None = None
    csim_accuracy_before: float | None = None
    csim_error: str | None = None
    csim_dir: str | None = None
    design: object = None  # the pruned Design (weights attached)
    masks: dict = field(default_factory=dict, repr=False)
    notes: list = field(default_factory=list)
    overflows: list = field(default_factory=list)  # hlsnb.prune.ranges.Overflow per layer that leaves its type
    l1: float = 0.0  # the L1 strength the fine-tunes ran with (given, or chosen on the validation rows)
    l1_trials: list = field(default_factory=list)  # hlsnb.prune.finetune.L1Trial per candidate when l1 was chosen
    warmup: object = None  # hlsnb.prune.finetune.WarmUp when prune(warmup=N) ran one
    seconds: float = 0.0

    @property
    def dsp_before(self) -> float:
        """Estimated DSPs of the whole design before pruning (HLS csynth estimate)."""
        return float(self.estimate_before.total["dsp"])

    @property
    def dsp_after(self) -> float:
        """Estimated DSPs of the whole design after pruning (HLS csynth estimate)."""
        return float(self.estimate_after.total["dsp"])

    @property
    def dsp_reduction(self) -> float:
        """Estimated DSPs before / after (inf if none are left)."""
        return self.dsp_before / self.dsp_after if self.dsp_after else float("inf")

    @property
    def sparsity(self) -> float:
        """Fraction of the kernel weights of the Dense/Conv layers that are exactly zero."""
        n = sum(r["weights"] for r in self.layers)
        return sum(r["zeros_after"] for r in self.layers) / n if n else 0.0

    def estimate_rows(self) -> list[dict]:
        """Resource estimate before and after, whole design (HLS csynth estimates)."""
        out = []
        for k in ("dsp", "lut", "ff", "bram18k"):
            b, a = self.estimate_before.total[k], self.estimate_after.total[k]
            out.append({"resource": k, "estimated_before": b, "estimated_after": a,
                        "capacity": self.estimate_after.part.capacity().get(k)})
        return out

    def summary(self) -> str:
        """A plain-text summary (what ``print(report)`` shows)."""
        lines = [f"DSP-aware pruning, objective {self.objective} ({', '.join(self.objective_units)}), target "
                 f"{self.target}: {self.status}" + ("" if self.target_reached else " (target not reached)"),
                 f"  objective usage: {_fmt(self.objective_before)} -> {_fmt(self.objective_after)} "
                 f"(schedule sparsity {self.final_sparsity:.3f}, weights zero: {100 * self.sparsity:.1f} %)"]
        for r in self.estimate_rows():
            lines.append(f"  estimated {r['resource']:8s} {r['estimated_before']:9.0f} -> {r['estimated_after']:9.0f}"
                         f"   (HLS csynth estimate; part has {r['capacity']})")
        lines.append(f"  Keras test accuracy {_pct(self.keras_accuracy_before)} -> {_pct(self.keras_accuracy_after)}")
        if self.csim_accuracy is not None:
            before = f"{_pct(self.csim_accuracy_before)} -> " if self.csim_accuracy_before is not None else ""
            lines.append(f"  hls4ml C-simulation test accuracy {before}{_pct(self.csim_accuracy)}")
        elif self.csim_error:
            lines.append(f"  hls4ml C simulation not run: {self.csim_error}")
        for r in self.layers:
            lines.append(f"  {r['layer']:12s} {r['structure'] or '-':12s} zeros {r['zeros_before']:5d} -> "
                         f"{r['zeros_after']:5d} of {r['weights']:5d} ({100 * r['sparsity']:5.1f} %)"
                         + (f"  [{r['note']}]" if r.get("note") else ""))
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        e = html.escape
        head = (f"<p><b>DSP-aware pruning</b>, objective {e(self.objective)}, target {e(self.target)}: "
                f"<b>{e(self.status)}</b>{'' if self.target_reached else ' (target not reached)'}. "
                f"Keras test accuracy {_pct(self.keras_accuracy_before)} &rarr; {_pct(self.keras_accuracy_after)}")
        if self.csim_accuracy is not None:
            head += f"; hls4ml C simulation {_pct(self.csim_accuracy)}"
        elif self.csim_error:
            head += f"; C simulation not run ({e(self.csim_error)})"
        head += ".</p>"
        est = "".join(f"<tr><td>{r['resource']}</td><td>{r['estimated_before']:.0f}</td>"
                      f"<td>{r['estimated_after']:.0f}</td><td>{r['capacity']}</td></tr>" for r in self.estimate_rows())
        est = ("<table><tr><th>resource</th><th>estimated before</th><th>estimated after</th><th>part</th></tr>"
               f"{est}</table><p><i>Estimates: HLS csynth level, from hlsnb.estimate, not synthesis results.</i></p>")
        rows = "".join(f"<tr><td>{e(r['layer'])}</td><td>{e(r['structure'] or '-')}</td><td>{r['weights']}</td>"
                       f"<td>{r['zeros_before']}</td><td>{r['zeros_after']}</td><td>{100 * r['sparsity']:.1f} %</td>"
                       f"<td>{e(r.get('note') or '')}</td></tr>" for r in self.layers)
        lay = ("<table><tr><th>layer</th><th>structure</th><th>weights</th><th>zeros before</th><th>zeros after</th>"
               f"<th>sparsity</th><th>note</th></tr>{rows}</table>")
        return head + est + lay


def _pct(x) -> str:
    return "n/a" if x is None else f"{100 * x:.1f} %"


def _fmt(v) -> str:
    return ", ".join(f"{x:.0f}" for x in v)
