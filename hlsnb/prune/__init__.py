"""DSP-aware pruning on Keras 3: hls4ml's ``dsp_aware_pruning`` algorithm, native, driven by an hlsnb Design.

``prune(model, design, objective, data, target=...)`` returns ``(pruned_model, PruneReport)``:

1. :func:`plan_pruning` asks the objective (:mod:`hlsnb.objectives`) which structure each Dense/Conv layer should
   lose (single weights for Latency, multiplier patterns for Resource, neurons/filters, blocks) and what that saves;
2. a knapsack (:mod:`hlsnb.prune.knapsack`) keeps the most important groups (:mod:`hlsnb.prune.importance`) within
   the capacity the target leaves, step by step along a schedule (:mod:`hlsnb.prune.schedulers`); with hlsnb's
   DSP objective in Latency at ReuseFactor 1 every weight is priced by the DSP it really uses (a constant with
   few signed digits uses none), and ``shift_add=True`` holds pruned weights at such constants instead of zero;
3. masks are applied and enforced while fine-tuning (:mod:`hlsnb.prune.masks`), with an optional tolerance on the
   validation accuracy;
4. before it says "done", the pruned model's values are checked against every layer's fixed-point types
   (:mod:`hlsnb.prune.ranges`; an overflow is named with its layer and a fix) and, by default, in C simulation;
5. the report gives per-layer sparsity, estimated resources before/after (``hlsnb.estimate``), Keras accuracy
   before/after and the hls4ml C-simulation accuracy of the result.
"""

from ._core import prune
from .data import split_data
from .finetune import FineTuning
from .importance import IMPORTANCE_METRICS, group_importance
from .knapsack import InfeasibleBudget, KnapsackResult, solve_knapsack
from .masks import LayerMask, apply_masks, enforce_masks, mask_violations
from .models import clone_model, csim_accuracy, model_accuracy
from .plan import OBJECTIVES, Budget, LayerPlan, PruningPlan, plan_pruning, resolve_objective
from .ranges import Overflow, find_overflows
from .report import PruneReport, PruneStep
from .schedulers import BinaryScheduler, ConstantScheduler, PolynomialScheduler, Scheduler, make_scheduler
from .structures import STRUCTURE_TYPES, hls4ml_weight_position, multiplier_of_weight, structure_groups

__all__ = [
    "prune", "PruneReport", "PruneStep", "Budget", "plan_pruning", "PruningPlan", "LayerPlan", "OBJECTIVES",
    "resolve_objective", "InfeasibleBudget", "solve_knapsack", "KnapsackResult", "Scheduler", "ConstantScheduler",
    "PolynomialScheduler", "BinaryScheduler", "make_scheduler", "LayerMask", "apply_masks", "enforce_masks",
    "mask_violations", "STRUCTURE_TYPES", "structure_groups", "hls4ml_weight_position", "multiplier_of_weight",
    "IMPORTANCE_METRICS", "group_importance", "csim_accuracy", "split_data", "Overflow", "find_overflows",
    "clone_model", "model_accuracy", "FineTuning",
]
