"""What can be pruned, what it saves, and which groups to keep for a target: objective + structures + knapsack.

A :class:`PruningPlan` asks the objective (``hlsnb.objectives``) about every Dense/Conv layer of the design:
whether it is worth optimising, with which structure, how much the layer uses (``layer_resources``) and whether
removing a structure saves anything (``layer_savings``). The knapsack then keeps the most important groups within
the capacity the target leaves.

Accounting: a layer's usage is the objective's ``layer_resources``; removing a fraction f of its groups removes
f of that usage in every dimension where ``layer_savings`` is non-zero. That is hls4ml's accounting whenever
``layer_resources`` = groups x savings (e.g. hls4ml's DSP count n_in*n_out/RF with one DSP per pattern).

With ``price="weights"`` (what ``prune`` uses), hlsnb's own DSP objective in the Latency strategy at ReuseFactor
1 knows better, per weight (the constant-weight rule fitted on the reports, :func:`hlsnb.estimate.constant_rule`):
a constant weight whose quantized value has at most ``max_free_digits`` (2) canonical
signed digits is built from shifts and adds and costs no DSP, one with more digits costs one multiplier. Pruning
a cheap weight saves nothing, so the knapsack prices every group at the DSPs its weights really use (summing to
the estimator's count for the layer with its current weights) and re-prices after each fine-tune: it removes the
groups with the least importance per DSP saved. hls4ml (and the default average price) spends part of its
sparsity on weights that never had a multiplier.

A Keras layer called twice is two hls4ml nodes sharing one kernel: it is planned once, under its Keras name, and
costs what both nodes cost. Only the Dense and Conv families are planned (hls4ml's ``SUPPORTED_LAYERS``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache

import numpy as np

from ..errors import InvalidSetting
from ..estimate import constant_products_on_dsp, constant_rule, estimate
from ..layer_types import get_layer_type
from ..precision import parse_precision
from .importance import group_importance
from .knapsack import InfeasibleBudget, solve_knapsack
from .masks import LayerMask
from .structures import structure_groups, structure_name

__all__ = ["Budget", "PruningPlan", "LayerPlan", "plan_pruning", "resolve_objective", "OBJECTIVES",
           "InfeasibleBudget"]

#: Objective names ``prune`` accepts, and the hlsnb.objectives class each one means.
OBJECTIVES = {
    "dsp": "VivadoDSPEstimator",
    "parameters": "ParameterEstimator",
    "ff": "VivadoFFEstimator",
    "dsp+bram": "VivadoMultiObjectiveEstimator",
    "gpu_flops": "GPUFLOPEstimator",
}


@dataclass(frozen=True)
class Budget:
    """A target in the objective's own units: "at most ``value`` DSPs" (a tuple for multi-dimensional objectives,
    e.g. ``Budget((60, 4))`` for [DSP, BRAM18K])."""

    value: float | tuple

    def as_array(self, dims: int) -> np.ndarray:
        v = np.atleast_1d(np.asarray(self.value, dtype=np.float64))
        if v.size != dims:
            raise ValueError(f"budget {self.value!r} has {v.size} value(s); the objective has {dims} dimension(s)")
        if np.any(v < 0):
            raise ValueError(f"budget {self.value!r} must be non-negative")
        return v


def resolve_objective(objective):
    """An objective class from a name in :data:`OBJECTIVES` or an ObjectiveEstimator class / instance."""
    from .. import objectives as O

    if isinstance(objective, str):
        key = objective.strip().lower()
        if key not in OBJECTIVES:
            raise ValueError(f"unknown objective {objective!r}; valid: {', '.join(OBJECTIVES)} or an "
                             "hlsnb.objectives.ObjectiveEstimator")
        return getattr(O, OBJECTIVES[key])
    for m in ("is_layer_optimizable", "layer_resources", "layer_savings"):
        if not callable(getattr(objective, m, None)):
            raise TypeError(f"objective {objective!r} has no method {m}(); pass a name ({', '.join(OBJECTIVES)}) "
                            "or an hlsnb.objectives.ObjectiveEstimator")
    return objective


def objective_name(objective) -> str:
    return getattr(objective, "__name__", type(objective).__name__)


@dataclass
class LayerPlan:
    """One Dense/Conv layer: structure, groups, usage and whether it is pruned (``reason`` says why not)."""

    name: str
    kernel_shape: tuple
    structure: str | None
    groups: np.ndarray | None = field(default=None, repr=False)
    n_groups: int = 0
    resources: np.ndarray | None = None  # objective units used with every group kept
    savings: np.ndarray | None = None  # the objective's saving per removed structure
    cost: np.ndarray | None = None  # per group and dimension, for the knapsack (see module docstring)
    prunable: bool = False
    reason: str | None = None
    mask_bias: bool = False
    dsp_cost: "_DspCost | None" = field(default=None, repr=False)  # exact per-weight DSP prices, else None
    nodes: tuple = ()  # the design nodes (hls4ml layers) that use this Keras layer's kernel

    def reprice(self, kernel: np.ndarray) -> None:
        """Group costs (and ``resources``) from the current kernel, for layers priced per weight."""
        if self.dsp_cost is not None:
            self.cost, total = self.dsp_cost(kernel, self.groups, self.n_groups)
            self.resources = np.array([total])


@dataclass
class _DspCost:
    """DSPs of one Latency layer at ReuseFactor 1, per weight, by the estimator's constant-weight rule
    (:func:`hlsnb.estimate.constant_products_on_dsp`, fitted on the reports: docs/estimator.md, "The constant-weight
    rule"): a quantized weight with more than ``k`` signed digits times a wide enough input needs a multiplier,
    one with fewer is shifts and adds; the prices are scaled so that they sum to the estimator's DSP count for the
    layer with these weights, times the nodes sharing it."""

    layer_input: object  # hlsnb.estimate.LayerInput of the layer (dense kernel)
    w_bits: int
    w_int: int
    k: int
    copies: int = 1

    def __call__(self, kernel, groups, n_groups) -> tuple[np.ndarray, float]:
        inp = self.layer_input
        expensive = constant_products_on_dsp(kernel, self.w_bits, self.w_int, inp.input_bits, tool=inp.tool).ravel()
        dsp = float(estimate(replace(inp, weights=np.asarray(kernel, dtype=np.float32))).dsp or 0)
        each = dsp / max(int(expensive.sum()), 1)
        per_weight = expensive * each * self.copies
        cost = np.bincount(np.asarray(groups).ravel(), weights=per_weight, minlength=n_groups)
        return cost[None, :], dsp * self.copies

    def round(self, kernel) -> np.ndarray:
        """The nearest constants with at most ``k`` signed digits in the weight type (exact in float32, so hls4ml's
        cast keeps them): what ``shift_add`` holds a weight at instead of zero."""
        lsb = 2.0 ** -(self.w_bits - self.w_int)
        table = _few_digit_integers(self.w_bits, self.k)
        x = np.asarray(kernel, dtype=np.float64) / lsb
        i = np.clip(np.searchsorted(table, x), 1, table.size - 1)
        lo, hi = table[i - 1], table[i]
        return (np.where(x - lo <= hi - x, lo, hi) * lsb).astype(np.float32)


@lru_cache(maxsize=8)
def _few_digit_integers(bits: int, k: int) -> np.ndarray:
    """Sorted signed ``bits``-bit integers with at most ``k`` canonical signed digits: the sums of at most ``k``
    signed powers of two (the canonical form has the fewest non-zero digits of any signed-digit form)."""
    lo, hi = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    powers = [s * 2 ** i for i in range(bits) for s in (1, -1)]
    values = {0}
    for _ in range(k):
        values |= {v + p for v in values for p in powers}
    return np.array(sorted(v for v in values if lo <= v <= hi), dtype=np.int64)


@dataclass
class PruningPlan:
    """The layers of one model under one objective. Build it with :func:`plan_pruning`."""

    objective: object
    layers: dict  # name -> LayerPlan (Dense/Conv layers, in model order)
    dims: int
    fixed: np.ndarray  # usage no pruning can remove (layers the objective cannot optimise or gains nothing from)
    prunable_total: np.ndarray  # usage of the prunable layers with every group kept
    min_keep: int = 1

    @property
    def total(self) -> np.ndarray:
        """Objective usage of the unpruned model (generic dense weights)."""
        return self.fixed + self.prunable_total

    @property
    def objective_name(self) -> str:
        return objective_name(self.objective)

    @property
    def prunable_layers(self) -> list[str]:
        return [n for n, p in self.layers.items() if p.prunable]

    def minimum(self) -> np.ndarray:
        """The least usage pruning can reach: fixed usage plus ``min_keep`` groups kept in every pruned layer."""
        m = self.fixed.copy()
        for p in self.layers.values():
            if p.prunable:
                # the kept groups are the most important ones, whatever they cost: count the dearest
                m = m + np.sort(p.cost, axis=1)[:, p.n_groups - min(self.min_keep, p.n_groups):].sum(axis=1)
        return m

    # ------------------------------------------------------------------ targets
    def final_sparsity(self, target) -> float:
        """The schedule's final sparsity (fraction of the prunable usage removed) for a target; checks it."""
        if isinstance(target, Budget) or (isinstance(target, (int, np.integer)) and not isinstance(target, bool)):
            b = target if isinstance(target, Budget) else Budget(int(target))
            budget = b.as_array(self.dims)
            mins = self.minimum()
            if np.any(budget + 1e-9 < mins):
                d = int(np.argmax(mins - budget))
                raise InfeasibleBudget(self._infeasible_message(budget[d], mins[d], d))
            if np.all(budget >= self.total - 1e-9):
                return 0.0
            s = 1.0 - (budget - self.fixed) / np.maximum(self.prunable_total, 1e-12)
            s = np.where(self.prunable_total > 0, s, 0.0)
            return float(np.clip(s.max(), 0.0, 1.0))
        if isinstance(target, (float, np.floating)):
            s = float(target)
            if not (0.0 <= s < 1.0):
                raise ValueError(f"target sparsity {s!r} must be in [0, 1); for a budget in objective units use "
                                 "Budget(n), e.g. Budget(60) for at most 60 DSPs")
            cap = self.fixed + (1.0 - s) * self.prunable_total
            mins = self.minimum()
            if np.any(cap + 1e-9 < mins):
                d = int(np.argmax(mins - cap))
                raise InfeasibleBudget(self._infeasible_message(cap[d], mins[d], d, sparsity=s))
            return s
        raise TypeError(f"target must be a sparsity (float in [0, 1)), an int budget or Budget(...), got {target!r}")

    def _infeasible_message(self, budget, minimum, d, sparsity=None) -> str:
        unit = self._unit(d)
        what = (f"sparsity {sparsity:g} leaves {budget:.1f} {unit}" if sparsity is not None
                else f"a budget of {budget:g} {unit}")
        fixed_layers = [n for n, p in self.layers.items() if not p.prunable and p.resources is not None
                        and p.resources[d] > 0]
        return (f"impossible target: {what}, but {self.objective_name} cannot go below {minimum:.1f} {unit}: "
                f"{self.fixed[d]:.1f} in layers it cannot prune ({', '.join(fixed_layers) or 'none'}) plus "
                f"{minimum - self.fixed[d]:.1f} for keeping at least {self.min_keep} structure(s) in each of "
                f"{', '.join(self.prunable_layers)}; the unpruned model uses {self.total[d]:.1f}")

    def _unit(self, d) -> str:
        name = self.objective_name
        if "Multi" in name:
            return ("DSPs", "BRAM18Ks")[d] if d < 2 else "units"
        return {"VivadoDSPEstimator": "DSPs", "ParameterEstimator": "weights", "VivadoFFEstimator": "FFs",
                "GPUFLOPEstimator": "FLOPs"}.get(name, "units")

    def capacity(self, sparsity: float, final_capacity: np.ndarray | None = None) -> np.ndarray:
        """Capacity of the prunable layers at a schedule sparsity (never below a budget's final capacity)."""
        cap = (1.0 - sparsity) * self.prunable_total
        if final_capacity is not None:
            cap = np.maximum(cap, final_capacity)
        return cap

    # ------------------------------------------------------------------ masks
    def masks(self, model, sparsity: float = 0.0, *, capacity: np.ndarray | None = None, metric: str = "l1",
              gradients: dict | None = None, previous: dict | None = None, shift_add: bool = False) -> dict:
        """Keep-masks for every prunable layer at ``sparsity`` (or an explicit prunable ``capacity``).

        Groups already pruned in ``previous`` stay pruned. With ``shift_add`` (layers priced per weight only, see
        :meth:`check_shift_add`), a pruned weight is held at its nearest shift-and-add constant instead of zero,
        and a group's importance is the size of that change. Returns ``{layer name: LayerMask}``.
        """
        if shift_add:
            self.check_shift_add()
        cap = self.capacity(sparsity) if capacity is None else np.asarray(capacity, dtype=np.float64)
        names, values, costs, forced, owners, allowed, heldv = [], [], [], [], [], [], []
        for name, p in self.layers.items():
            if not p.prunable:
                continue
            kernel = np.asarray(model.get_layer(name).kernel.numpy())
            p.reprice(kernel)  # fine-tuning moves weights across the shift-add / multiplier line
            held = p.dsp_cost.round(kernel) if shift_add else None
            imp = group_importance(kernel if held is None else kernel - held, p.groups, p.n_groups, metric,
                                   None if gradients is None else gradients.get(name))
            if held is not None and previous is not None and name in previous:
                held = np.where(previous[name].kernel == 0, previous[name].held(), held)
            ok = np.ones(p.n_groups, dtype=bool)
            if previous is not None and name in previous:
                kept_before = np.bincount(p.groups.ravel(), weights=previous[name].kernel.ravel(),
                                          minlength=p.n_groups) > 0
                ok = kept_before
            f = np.zeros(p.n_groups, dtype=bool)
            cand = np.flatnonzero(ok)
            if cand.size:
                f[cand[np.argsort(-imp[cand], kind="stable")[: self.min_keep]]] = True
            names.append(name)
            heldv.append(held)
            values.append(imp)
            costs.append(p.cost)
            forced.append(f)
            owners.append(np.full(p.n_groups, len(names) - 1))
            allowed.append(ok)
        if not names:
            return {}
        v = np.concatenate(values)
        c = np.concatenate(costs, axis=1)
        fo = np.concatenate(forced)
        al = np.concatenate(allowed)
        idx = np.flatnonzero(al)
        res = solve_knapsack(v[idx], c[:, idx], cap, forced=fo[idx])
        keep = np.zeros(v.size, dtype=bool)
        keep[idx[res.selected]] = True
        if shift_add:  # a weight that costs no DSP now is held where it is, so fine-tuning cannot make it cost one
            keep &= np.any(c > 0, axis=0) | fo
        out, start = {}, 0
        for name, held in zip(names, heldv):
            p = self.layers[name]
            k = keep[start:start + p.n_groups]
            start += p.n_groups
            km = k[p.groups].astype(np.float32)
            bias = None
            if p.mask_bias and held is None:  # a neuron held at shift-add constants keeps its bias
                b = model.get_layer(name).bias
                if b is not None:
                    bias = k.astype(np.float32)
            out[name] = LayerMask(km, bias, held)
        return out

    def check_shift_add(self) -> None:
        """Raise unless every pruned layer is priced per weight (``price="weights"`` with hlsnb's DSP objective,
        Latency, ReuseFactor 1): only there is a few-digit constant known to need no DSP."""
        bad = [n for n in self.prunable_layers if self.layers[n].dsp_cost is None]
        if bad:
            raise InvalidSetting(f"shift_add needs weights priced by their DSPs: hlsnb's 'dsp' objective on Latency "
                                 f"layers at ReuseFactor 1, price='weights' (a constant with few signed digits "
                                 f"needs no DSP there); not so for {bad}")

    def usage(self, masks: dict) -> np.ndarray:
        """Objective usage (per dimension) with these masks, in the plan's accounting."""
        u = self.fixed.copy()
        for name, p in self.layers.items():
            if not p.prunable:
                continue
            m = masks.get(name)
            if m is None:
                u = u + p.resources
                continue
            kept = np.bincount(p.groups.ravel(), weights=m.kernel.ravel(), minlength=p.n_groups) > 0
            u = u + p.cost[:, kept].sum(axis=1)
        return u

    def rows(self) -> list[dict]:
        return [{"layer": n, "structure": p.structure or "", "groups": p.n_groups,
                 "resources": None if p.resources is None else p.resources.tolist(),
                 "pruned": p.prunable, "reason": p.reason or ""} for n, p in self.layers.items()]


#: How the knapsack prices a group: the layer's average, or the DSPs its weights use (see plan_pruning).
PRICES = ("average", "weights")

#: Layer families the plan prunes (hls4ml's optimizer supports Dense and Conv layers only).
_FAMILIES = ("dense", "conv")

# Keras layers hls4ml leaves out of the graph at inference: they need no design entry
_FOLDED = {"InputLayer", "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "AlphaDropout",
           "GaussianDropout"}


def _known_types():
    from ..layer_types import LAYER_TYPES

    return set(LAYER_TYPES)


def plan_pruning(model, design, objective="dsp", *, structure=None, layers=None, min_keep: int = 1,
                 price: str = "average") -> PruningPlan:
    """Ask ``objective`` about every Dense/Conv layer of ``design`` (built from ``model``) and group the weights.

    Parameters
    ----------
    objective : a name in :data:`OBJECTIVES` (``"dsp"``, ``"parameters"``, ``"ff"``, ``"dsp+bram"``,
        ``"gpu_flops"``) or an ``hlsnb.objectives.ObjectiveEstimator`` class / instance.
    structure : override the objective's structure choice: one of ``unstructured``, ``structured``, ``pattern``,
        ``block`` for every layer, or ``{layer: structure}`` (``("block", (rows, cols))`` for blocks). The objective
        still says what removing one such structure saves.
    layers : prune only these layers (default: every layer the objective can optimise). A named layer the
        objective cannot optimise raises ``ValueError``.
    min_keep : groups every pruned layer keeps (so no layer is cut off entirely).
    price : ``"average"`` (default): every group of a layer costs the layer's usage / groups; ``"weights"``:
        with hlsnb's DSP objective on Latency layers at ReuseFactor 1, every weight costs the DSPs it really uses
        (none for a zero or a constant with few signed digits; see the module docstring), re-priced from the
        current weights at every :meth:`PruningPlan.masks`. ``prune`` uses ``"weights"``.
    """
    if price not in PRICES:
        raise InvalidSetting(f"plan_pruning: price must be one of {', '.join(PRICES)}; got {price!r}")
    from .. import objectives as O

    obj = resolve_objective(objective)
    oname = objective_name(obj)
    known = _known_types()
    unknown = [f"{l.name!r} ({l.keras_class})" for l in design.layers if l.layer_type not in known]
    if unknown:
        raise ValueError(f"the design has layers hlsnb does not know: {', '.join(unknown)}; pruning needs every "
                         f"layer to be one of {', '.join(sorted(known))}")
    design.check_model(model)
    specs = {l.name: l for l in design.layers}
    keras_names = {l.keras_name: l.name for l in design.layers}
    for kl in model.layers:
        if kl.name not in specs and kl.name not in keras_names and type(kl).__name__ not in _FOLDED:
            raise ValueError(f"Keras layer {kl.name!r} ({type(kl).__name__}) is not in the design: hlsnb/hls4ml do "
                             "not know this layer, or the design was built from another model; build the design "
                             "with Design.from_keras(model)")
    attrs = O.layer_attributes(model, design)
    # one entry per Keras layer (a layer called twice is several design nodes sharing its kernel)
    nodes: dict = {}
    for l in design.layers:
        lt = get_layer_type(l.layer_type)
        if lt is not None and lt.family in _FAMILIES:
            nodes.setdefault(l.keras_name, []).append(l)
    mult = list(nodes)
    alias = {l.name: k for k, ls in nodes.items() for l in ls}  # a node name also names its Keras layer
    if layers is not None:
        layers = [layers] if isinstance(layers, str) else list(layers)
        layers = [alias.get(n, n) for n in layers]
        missing = [n for n in layers if n not in mult]
        if missing:
            raise ValueError(f"cannot prune {missing}: not Dense/Conv layers of the design; prunable layers: {mult}")
    if isinstance(structure, dict):
        structure = {alias.get(n, n): v for n, v in structure.items()}
        extra = set(structure) - set(mult)
        if extra:
            raise ValueError(f"structure given for {sorted(extra)}, which are not Dense/Conv layers: {mult}")
    last_weighted = mult[-1] if mult else None
    dims = None
    plans = {}
    for name in mult:
        spec = nodes[name][0]
        la = attrs[name]
        copies = len(nodes[name])
        res = np.asarray(obj.layer_resources(la), dtype=np.float64) * copies
        dims = res.size if dims is None else dims
        kshape = tuple(la.weight_shape)
        p = LayerPlan(name=name, kernel_shape=kshape, structure=None, resources=res,
                      nodes=tuple(l.name for l in nodes[name]))
        plans[name] = p
        if layers is not None and name not in layers:
            p.reason = "not in the layers you asked to prune"
            continue
        ok, oa = obj.is_layer_optimizable(la)
        if not ok or oa is None:
            why = _why_not(spec, oname)
            if layers is not None:
                raise ValueError(f"layer {name!r}: objective {oname} cannot optimise it ({why}); prunable with this "
                                 f"objective: {[n for n in mult if obj.is_layer_optimizable(attrs[n])[0]]}")
            p.reason = f"{oname} cannot optimise it ({why})"
            continue
        st_over = structure.get(name) if isinstance(structure, dict) else structure
        block_shape = None
        if isinstance(st_over, tuple):
            st_over, block_shape = st_over
        if st_over is not None:
            st = structure_name(st_over)
            oa = O.OptimizationAttributes(O.SUPPORTED_STRUCTURES(st), pruning=True, weight_sharing=False,
                                          block_shape=tuple(block_shape or oa.block_shape),
                                          pattern_offset=(int(np.prod(kshape)) // spec.reuse_factor
                                                          if st == "pattern" else oa.pattern_offset),
                                          consecutive_patterns=oa.consecutive_patterns if st == "pattern" else 1)
        st = structure_name(oa.structure_type)
        p.structure = st
        if not oa.pruning:
            p.reason = f"{oname} proposes weight sharing only, which hlsnb does not do"
            continue
        if st == "structured" and name == last_weighted:
            p.reason = "structured pruning would remove outputs of the last layer"
            continue
        la.optimizable, la.optimization_attributes = True, oa
        sav = np.asarray(obj.layer_savings(la), dtype=np.float64)
        p.savings = sav
        if not np.any(sav > 0) or not np.any(res > 0):
            p.reason = f"{oname} saves nothing by removing {st} groups here ({_why_zero(spec, st)})"
            continue
        p.groups, p.n_groups = structure_groups(
            kshape, st, reuse_factor=spec.reuse_factor if st == "pattern" else None,
            pattern_offset=oa.pattern_offset if st == "pattern" else None,
            consecutive_patterns=oa.consecutive_patterns, block_shape=oa.block_shape if st == "block" else None,
            layer=name)
        p.cost = np.where(sav > 0, res / p.n_groups, 0.0)[:, None] * np.ones((1, p.n_groups))
        p.dsp_cost = _dsp_cost(obj, la, spec, copies) if price == "weights" else None
        if p.dsp_cost is not None:
            p.reprice(np.asarray(model.get_layer(name).kernel.numpy()))
            res = p.resources
        p.prunable = True
        p.mask_bias = st == "structured"
    dims = dims or 1
    fixed = np.zeros(dims)
    prunable_total = np.zeros(dims)
    for p in plans.values():
        if p.prunable:
            variable = np.where(p.savings > 0, p.resources, 0.0)
            prunable_total += variable
            fixed += p.resources - variable
        else:
            fixed += p.resources
    if not any(p.prunable for p in plans.values()):
        reasons = "; ".join(f"{n}: {p.reason}" for n, p in plans.items()) or "the design has no Dense/Conv layers"
        raise ValueError(f"objective {oname} can prune no layer of this model ({reasons})")
    return PruningPlan(obj, plans, dims, fixed, prunable_total, min_keep=int(min_keep))


def _dsp_cost(obj, la, spec, copies: int) -> _DspCost | None:
    """Per-weight DSP prices for hlsnb's own DSP objective on a Latency layer at ReuseFactor 1 (where a zero or
    few-digit constant removes its multiplier); ``None`` elsewhere (hls4ml's counts, Resource patterns)."""
    from .. import objectives as O

    own = getattr(getattr(obj, "layer_resources", None), "__func__", None)
    if own is not O.VivadoDSPEstimator.layer_resources.__func__ or spec.reuse_factor != 1:
        return None
    if spec.strategy not in ("Latency", "Resource", "Resource_Unrolled"):
        return None
    h = la.args["hls4ml_attributes"]
    # the design's layer type (the registry's name), never a guess from the class name: a depthwise or separable
    # layer is costed as what it is
    inp = h.layer_input(spec.layer_type, la.name, la.input_shape, la.output_shape or (1, h.n_out))
    return _DspCost(inp, h.weight_precision.width, h.weight_precision.integer,
                    int(constant_rule(inp.tool)["max_free_digits"]), copies)


def _why_not(spec, oname) -> str:
    if "DSP" in oname or "Multi" in oname:
        try:
            if parse_precision(spec.weight_precision).width < 9:
                return f"weight precision {spec.weight_precision} is below 9 bits, so it uses no DSPs"
        except ValueError:
            pass  # an unreadable precision: fall through to the general reasons below
        if spec.strategy == "distributed_arithmetic":
            return "distributed_arithmetic uses no multipliers"
        return "its products do not map to DSPs"
    if "FF" in oname and spec.strategy != "Latency":
        return "io_stream Resource layers: hls4ml's FF objective has no model"
    return "the objective says so"


def _why_zero(spec, st) -> str:
    if spec.strategy == "Latency" and spec.reuse_factor > 1:
        return (f"Latency with ReuseFactor {spec.reuse_factor}: zero weights only remove multipliers at "
                "ReuseFactor 1 (hls4ml #566)")
    if spec.strategy.startswith("Resource") and st != "pattern":
        return "Resource reads weights from a ROM: only whole multiplier patterns save DSPs"
    return "see the objective's layer_savings"

