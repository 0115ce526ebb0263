"""The ObjectiveEstimator API of hls4ml's DSP-aware pruning, on Keras 3 and hlsnb's estimator.

Same classes, classmethod signatures and return conventions as ``hls4ml.optimization.dsp_aware_pruning``
(``objectives/__init__.py``, ``objectives/vivado_objectives.py``, ``objectives/gpu_objectives.py``,
``attributes.py``, ``config.py``), which cannot be imported with Keras 3 (QKeras, Keras-2 APIs, ortools 9.4).
``layer_resources`` returns a list with one number per objective dimension; ``layer_savings`` the number saved by
removing one structure (one weight, one neuron, one pattern, one block), as hls4ml's knapsack expects.

Differences from hls4ml, where hlsnb's calibrated estimator knows better (see docs/estimator.md):

- ``VivadoDSPEstimator.layer_resources`` counts DSPs with :func:`hlsnb.estimate.estimate_layer`: products wider
  than the DSP slice take several DSPs (DSP48E1 25x18 on 7-series, DSP48E2 27x18 on UltraScale), both operands
  must reach the DSP threshold, and in the Latency strategy zero weights and constants with few signed digits
  cost no multiplier. hls4ml uses ``n_in*n_out // RF`` whenever the weight has >= 9 bits.
- ``VivadoMultiObjectiveEstimator`` counts BRAM18Ks of the weight ROM with the BRAM's real port shapes
  (512x36 ... 16Kx1); hls4ml uses ``ceil(bits*n_in*n_out/(RF*36))``, which undercounts ROMs deeper than 512.
- ``VivadoFFEstimator`` keeps hls4ml's formulas (its own comment says they are inaccurate but consistent, which
  is what the knapsack needs).
The savings (``layer_savings``) keep hls4ml's semantics exactly, so a pruning loop written for hls4ml works.
"""

from __future__ import annotations

import logging
import math
from abc import ABC, abstractmethod
from dataclasses import replace
from enum import Enum

from .estimate import estimate
from .estimate.inputs import LayerInput, layer_input
from .layer_types import LayerType, get_layer_type, layer_type_of_class, mult_layer_types
from .precision import FixedType, parse_precision
from .rules import canonical_strategy

__all__ = [
    "SUPPORTED_STRUCTURES", "OptimizationAttributes", "LayerAttributes", "hls4mlAttributes", "ObjectiveEstimator",
    "ParameterEstimator", "VivadoDSPEstimator", "VivadoFFEstimator", "VivadoMultiObjectiveEstimator",
    "GPUFLOPEstimator", "layer_attributes", "layer_kind", "savings_enabled", "resource_like",
]

log = logging.getLogger(__name__)


class SUPPORTED_STRUCTURES(Enum):
    """Structures pruning can remove: single weights, neurons/filters, DSP patterns, rectangular blocks."""

    UNSTRUCTURED = "unstructured"
    STRUCTURED = "structured"
    PATTERN = "pattern"
    BLOCK = "block"


class OptimizationAttributes:
    """How to optimise a layer (hls4ml's class): structure type, pruning / weight sharing, block shape,
    ``pattern_offset`` (= n_in*n_out/RF, weights processed in parallel) and ``consecutive_patterns``."""

    def __init__(self, structure_type=SUPPORTED_STRUCTURES.UNSTRUCTURED, pruning=False, weight_sharing=False,
                 block_shape=(1, 1), pattern_offset=1, consecutive_patterns=1):
        if not isinstance(structure_type, SUPPORTED_STRUCTURES):
            raise ValueError(f"unknown structure type {structure_type!r}; valid: "
                             f"{', '.join(s.value for s in SUPPORTED_STRUCTURES)}")
        self.structure_type = structure_type
        self.pruning = pruning
        self.weight_sharing = weight_sharing
        self.block_shape = block_shape
        self.pattern_offset = pattern_offset
        self.consecutive_patterns = consecutive_patterns

    def __repr__(self):
        return (f"OptimizationAttributes({self.structure_type.value}, pruning={self.pruning}, "
                f"weight_sharing={self.weight_sharing}, block_shape={self.block_shape}, "
                f"pattern_offset={self.pattern_offset}, consecutive_patterns={self.consecutive_patterns})")


def _precision(p) -> FixedType:
    # hls4ml's own FixedPrecisionType / IntegerPrecisionType print as "fixed<16,6>" / "int<8>", which parse
    return parse_precision(p if isinstance(p, (str, FixedType)) else str(p))


class hls4mlAttributes:
    """hls4ml settings of one layer (hls4ml's class). Precisions are :class:`hlsnb.precision.FixedType` (strings
    and hls4ml's ``FixedPrecisionType`` objects are parsed; assign a new one to change it, as in hls4ml). Extra
    fields hlsnb uses: ``part``, ``clock_ns``, ``input_precision``, ``accum_precision``, ``n_zeros``, ``tool``.

    The other settings are held in ``settings``, the estimator's :class:`hlsnb.estimate.inputs.LayerInput` (built
    and checked by the same builder as ``estimate_layer``'s arguments), and read from it.
    """

    def __init__(self, n_in, n_out, io_type, strategy, weight_precision, output_precision, reuse_factor,
                 parallelization_factor=1, *, part="pynq-z2", clock_ns=10.0, input_precision=None,
                 accum_precision=None, n_zeros=0, tool="vivado_hls"):
        self.weight_precision: FixedType = _precision(weight_precision)
        self.output_precision: FixedType = _precision(output_precision)
        self.input_precision: FixedType = _precision(input_precision or output_precision)
        self.accum_precision: FixedType = _precision(accum_precision or output_precision)
        self.parallelization_factor = parallelization_factor
        self.settings: LayerInput = layer_input(
            "Dense", int(n_in), int(n_out), strategy=canonical_strategy(strategy), reuse_factor=int(reuse_factor),
            io_type=io_type, part=part, clock_ns=clock_ns, n_zeros=int(n_zeros), tool=tool)

    n_in = property(lambda self: self.settings.n_in, doc="Inputs of the matrix hls4ml multiplies.")
    n_out = property(lambda self: self.settings.n_out, doc="Outputs of the matrix hls4ml multiplies.")
    io_type = property(lambda self: self.settings.io_type, doc="``io_parallel`` or ``io_stream``.")
    strategy = property(lambda self: self.settings.strategy, doc="hls4ml's Strategy (canonical spelling).")
    reuse_factor = property(lambda self: self.settings.reuse_factor, doc="hls4ml's ReuseFactor.")
    part = property(lambda self: self.settings.part, doc="The FPGA part (:class:`hlsnb.boards.Part`).")
    clock_ns = property(lambda self: self.settings.clock_ns, doc="Clock period in ns.")
    n_zeros = property(lambda self: self.settings.n_zeros, doc="Zero weights of the layer.")
    tool = property(lambda self: self.settings.tool, doc="``vivado_hls`` or ``vitis_hls``.")

    def layer_input(self, layer_type: str, name: str, input_shape, output_shape) -> LayerInput:
        """The estimator's input for a layer with these settings, its current precisions and a dense (unpruned)
        weight matrix: the objectives cost the layer as the knapsack expects, before any pruning."""
        return replace(self.settings, layer_type=layer_type, name=name, input_shape=tuple(input_shape),
                       output_shape=tuple(output_shape), weight_bits=self.weight_precision.width,
                       weight_int_bits=self.weight_precision.integer, result_bits=self.output_precision.width,
                       accum_bits=self.accum_precision.width, input_bits=self.input_precision.width, n_zeros=0)


class LayerAttributes:
    """One layer as the objectives see it (hls4ml's class). ``layer_type`` is the Keras class;
    ``weight_shape`` the kernel shape (``()`` for layers without weights); ``args['hls4ml_attributes']`` the
    :class:`hls4mlAttributes`."""

    def __init__(self, name, layer_type, inbound_layers, weight_shape, input_shape, output_shape, optimizable,
                 optimization_attributes, args):
        self.name = name
        self.layer_type = layer_type
        self.inbound_layers = inbound_layers
        self.weight_shape = tuple(weight_shape)
        self.input_shape = tuple(input_shape)
        self.output_shape = tuple(output_shape)
        self.optimizable = optimizable
        self.optimization_attributes = optimization_attributes
        self.args = args

    def update_args(self, updates):
        self.args.update(updates)

    def __repr__(self):
        t = getattr(self.layer_type, "__name__", self.layer_type)
        return (f"LayerAttributes(name={self.name!r}, layer_type={t}, weight_shape={self.weight_shape}, "
                f"optimizable={self.optimizable})")


def _prod(t) -> int:
    return int(math.prod(int(x) for x in t)) if t else 0


def layer_kind(layer_attributes) -> LayerType | None:
    """The registry entry (:mod:`hlsnb.layer_types`) of a layer's Keras class (``layer_type``, a class or its
    name); ``None`` for a class hlsnb does not know. A depthwise or separable layer is its own kind, never a conv."""
    t = layer_attributes.layer_type
    return get_layer_type(layer_type_of_class(t if isinstance(t, str) else getattr(t, "__name__", str(t))))


def _family(la) -> str | None:
    kind = layer_kind(la)
    return None if kind is None else kind.family


def _kind_error(la, what: str, valid: str) -> ValueError:
    kind = layer_kind(la)
    t = la.layer_type if isinstance(la.layer_type, str) else getattr(la.layer_type, "__name__", la.layer_type)
    return ValueError(f"layer {la.name!r}: no {what} formula for {t} "
                      f"({'unknown to hlsnb' if kind is None else 'layer type ' + kind.name}); supported: {valid}")


def _h(la: LayerAttributes):
    try:
        return la.args["hls4ml_attributes"]
    except KeyError:
        raise ValueError(f"layer {la.name!r} has no hls4ml attributes; build them with "
                         "hlsnb.objectives.layer_attributes(model, design)") from None


def resource_like(h) -> bool:
    """Whether a layer's strategy (hlsnb's or hls4ml's attributes, any spelling) reads weights from a ROM:
    ``Resource`` or ``Resource_Unrolled``. The one strategy check of both objective families."""
    return canonical_strategy(h.strategy) in ("Resource", "Resource_Unrolled")


def _latency(h) -> bool:
    return canonical_strategy(h.strategy) == "Latency"


def savings_enabled(la, what: str) -> bool:
    """False (with hls4ml's warning) when ``la``'s optimization attributes cannot decrease ``what``."""
    oa = la.optimization_attributes
    if oa.weight_sharing:
        log.warning("%s: weight sharing does not decrease %s; use the attributes from is_layer_optimizable", la.name,
                    what)
        return False
    if not oa.pruning:
        log.warning("%s: pruning must be enabled to decrease %s; use the attributes from is_layer_optimizable",
                    la.name, what)
        return False
    return True


class ObjectiveEstimator(ABC):
    """How much of an objective (weights, DSPs, BRAM, FFs, FLOPs) a layer uses and how much pruning one structure
    saves. Objectives may have several dimensions: every method returns one number per dimension."""

    @classmethod
    @abstractmethod
    def is_layer_optimizable(cls, layer_attributes):
        """(optimizable, OptimizationAttributes or None): the most suitable structure for this objective."""

    @classmethod
    @abstractmethod
    def layer_resources(cls, layer_attributes):
        """Units of the objective the layer uses with a generic (dense) weight matrix, one per dimension."""

    @classmethod
    @abstractmethod
    def layer_savings(cls, layer_attributes):
        """Units saved by removing one structure of ``layer_attributes.optimization_attributes``."""


def _pruning_of(layer_attributes, structure):
    """Layers with weights can be pruned with ``structure`` (no weight sharing); others are not optimizable."""
    if not layer_attributes.weight_shape:
        return False, None
    return True, OptimizationAttributes(structure, pruning=True, weight_sharing=False)


def _pattern(la, consecutive: int = 1) -> OptimizationAttributes:
    return OptimizationAttributes(SUPPORTED_STRUCTURES.PATTERN, pruning=True, weight_sharing=False,
                                  pattern_offset=_prod(la.weight_shape) // _h(la).reuse_factor,
                                  consecutive_patterns=consecutive)


class ParameterEstimator(ObjectiveEstimator):
    """Objective: the number of (non-zero) weights. Dense (4, 4): resources [16]; saving [1] per weight
    (unstructured), [4] per neuron (structured)."""

    @classmethod
    def is_layer_optimizable(cls, layer_attributes):
        return _pruning_of(layer_attributes, SUPPORTED_STRUCTURES.UNSTRUCTURED)

    @classmethod
    def layer_resources(cls, layer_attributes):
        return [_prod(layer_attributes.weight_shape)] if layer_attributes.weight_shape else [0]

    @classmethod
    def layer_savings(cls, layer_attributes):
        la = layer_attributes
        if not la.weight_shape or not savings_enabled(la, "the number of parameters"):
            return [0]
        oa = la.optimization_attributes
        st = oa.structure_type
        if st == SUPPORTED_STRUCTURES.UNSTRUCTURED:
            return [1]
        if st == SUPPORTED_STRUCTURES.STRUCTURED:
            if _family(la) in ("dense", "conv"):
                return [_prod(la.weight_shape[:-1])]
            raise _kind_error(la, "structured parameter savings", "Dense and Conv layers")
        if st == SUPPORTED_STRUCTURES.PATTERN:
            return [(_prod(la.weight_shape) // oa.pattern_offset) * oa.consecutive_patterns]
        return [_prod(oa.block_shape)]


def _estimate(la: LayerAttributes):
    h = _h(la)
    kind = layer_kind(la)
    if kind is None or not kind.has_multipliers:
        raise _kind_error(la, "DSP", "layers with multipliers: " + ", ".join(mult_layer_types()))
    return estimate(h.layer_input(kind.name, la.name, la.input_shape, la.output_shape or (1, h.n_out)))


class VivadoDSPEstimator(ObjectiveEstimator):
    """Objective: DSP slices (Vivado/Vitis backends). Resource-like strategies: pattern pruning
    (``pattern_offset = n_in*n_out/RF``), Latency: unstructured. The savings are hls4ml's.

    Two hooks decide the count: :meth:`uses_dsps` (here: both operands of >= 9 bits, not distributed arithmetic)
    and :meth:`dsp_count` (here: hlsnb's estimator: strategy, DSP family, wide products). The hls4ml drop-in
    (``hlsnb.compat.hls4ml.objectives``) overrides only these two with hls4ml's formulas."""

    @classmethod
    def uses_dsps(cls, layer_attributes) -> bool:
        """Whether the layer's products can map to DSPs at all ("Vivado doesn't use DSP when precision < 9")."""
        h = _h(layer_attributes)
        return (h.weight_precision.width >= 9 and h.input_precision.width >= 9
                and canonical_strategy(h.strategy) != "distributed_arithmetic")

    @classmethod
    def dsp_count(cls, layer_attributes) -> int:
        """DSPs of the layer with a generic (dense) weight matrix: hlsnb's estimate."""
        return int(_estimate(layer_attributes).dsp or 0)

    @classmethod
    def _counts(cls, la) -> bool:
        return bool(la.weight_shape) and cls.uses_dsps(la)

    @classmethod
    def is_layer_optimizable(cls, layer_attributes):
        la = layer_attributes
        if not cls._counts(la):
            return False, None
        if resource_like(_h(la)):
            return True, _pattern(la)
        return True, OptimizationAttributes(SUPPORTED_STRUCTURES.UNSTRUCTURED, pruning=True, weight_sharing=False)

    @classmethod
    def layer_resources(cls, layer_attributes):
        la = layer_attributes
        return [cls.dsp_count(la)] if cls._counts(la) else [0]

    @classmethod
    def layer_savings(cls, layer_attributes):
        la = layer_attributes
        if not cls._counts(la):
            return [0]
        if not la.optimization_attributes.pruning:
            log.warning("%s: pruning must be enabled to decrease DSPs", la.name)
            return [0]
        h, oa = _h(la), la.optimization_attributes
        st = oa.structure_type
        if _latency(h) or st == SUPPORTED_STRUCTURES.UNSTRUCTURED:
            return [1] if h.reuse_factor == 1 else [0]
        if st == SUPPORTED_STRUCTURES.STRUCTURED:
            return [1] if h.reuse_factor == h.n_in else [0]
        if st == SUPPORTED_STRUCTURES.PATTERN:
            n_patterns = _prod(la.weight_shape) // oa.pattern_offset
            return [oa.consecutive_patterns] if n_patterns == h.reuse_factor else [0]
        log.warning("%s: hls4ml does not support block sparsity patterns; saving 0", la.name)
        return [0]


class VivadoMultiObjectiveEstimator(ObjectiveEstimator):
    """Objectives: [DSP, BRAM18K]. Resource with RF > 1: pattern pruning grouped so a whole BRAM word (36 bits)
    is freed (``consecutive_patterns``). Hooks: :meth:`dsp_count` and :meth:`bram_count` (here: hlsnb's
    estimator, with the BRAM's real port shapes; the hls4ml drop-in overrides them with hls4ml's formulas)."""

    @classmethod
    def dsp_count(cls, layer_attributes) -> int:
        """DSPs of the layer (hlsnb's DSP objective)."""
        return int(VivadoDSPEstimator.layer_resources(layer_attributes)[0])

    @classmethod
    def bram_count(cls, layer_attributes) -> int:
        """BRAM18Ks of the weight ROM (Resource-like strategies with RF > 1 only)."""
        h = _h(layer_attributes)
        if not resource_like(h) or h.reuse_factor <= 1:
            return 0
        return int(_estimate(layer_attributes).bram18k or 0)

    @classmethod
    def is_layer_optimizable(cls, layer_attributes):
        la = layer_attributes
        if not la.weight_shape:
            return False, None
        h = _h(la)
        if resource_like(h) and h.reuse_factor > 1:
            wb = h.weight_precision.width
            return True, _pattern(la, int(36 // wb) if 36 % wb == 0 else int(math.ceil(2 * 36 / wb)))
        return True, OptimizationAttributes(SUPPORTED_STRUCTURES.UNSTRUCTURED, pruning=True, weight_sharing=False)

    @classmethod
    def layer_resources(cls, layer_attributes):
        la = layer_attributes
        if not la.weight_shape:
            return [0]
        return [cls.dsp_count(la), cls.bram_count(la)]

    @classmethod
    def layer_savings(cls, layer_attributes):
        la = layer_attributes
        if not la.weight_shape:
            return [0]
        if not la.optimization_attributes.pruning:
            log.warning("%s: pruning must be enabled to decrease DSPs and BRAM", la.name)
            return [0]
        h, oa = _h(la), la.optimization_attributes
        if _latency(h):
            return [1, 0] if h.reuse_factor == 1 else [0, 0]
        if resource_like(h) and h.reuse_factor == 1:
            return [1, 0]
        if oa.structure_type == SUPPORTED_STRUCTURES.PATTERN:
            wb = h.weight_precision.width
            n_patterns = _prod(la.weight_shape) // oa.pattern_offset
            one_block = (36 == oa.consecutive_patterns * wb and 36 % wb == 0) or (72 == oa.consecutive_patterns * wb)
            if n_patterns == h.reuse_factor and one_block:
                return [oa.consecutive_patterns, 1]
        log.warning("%s: multi-objective savings only for pattern pruning of Resource layers", la.name)
        return [0, 0]


class VivadoFFEstimator(ObjectiveEstimator):
    """Objective: flip-flops, with hls4ml's formulas (consistent, not accurate: use hlsnb.estimate for numbers).
    hls4ml's and hlsnb's are the same class."""

    @classmethod
    def _case(cls, la):
        h = _h(la)
        return h.io_type, "resource" if resource_like(h) else "latency"

    @classmethod
    def is_layer_optimizable(cls, layer_attributes):
        la = layer_attributes
        if not la.weight_shape:
            return False, None
        io, s = cls._case(la)
        if io == "io_stream" and s == "resource":
            log.warning("%s: FFs are at minimum utilization with io_stream and Resource strategy", la.name)
            return False, None
        if io == "io_parallel" and s == "resource":
            return True, OptimizationAttributes(SUPPORTED_STRUCTURES.STRUCTURED, pruning=True, weight_sharing=False)
        return True, OptimizationAttributes(SUPPORTED_STRUCTURES.UNSTRUCTURED, pruning=True, weight_sharing=False)

    @classmethod
    def layer_resources(cls, layer_attributes):
        la = layer_attributes
        if not la.weight_shape:
            return [0]
        h = _h(la)
        io, s = cls._case(la)
        w = _prod(la.weight_shape) * h.weight_precision.width
        o = _prod(la.output_shape) * h.output_precision.width
        return [{("io_stream", "resource"): 0, ("io_stream", "latency"): w, ("io_parallel", "resource"): o,
                 ("io_parallel", "latency"): w + o}[(io, s)]]

    @classmethod
    def layer_savings(cls, layer_attributes):
        la = layer_attributes
        if not la.weight_shape or not savings_enabled(la, "FFs"):
            return [0]
        h, oa = _h(la), la.optimization_attributes
        io, s = cls._case(la)
        wb, ob = h.weight_precision.width, h.output_precision.width
        st = oa.structure_type
        if s == "resource":
            return [ob] if io == "io_parallel" and st == SUPPORTED_STRUCTURES.STRUCTURED else [0]
        if st == SUPPORTED_STRUCTURES.UNSTRUCTURED:
            return [wb]
        if st == SUPPORTED_STRUCTURES.STRUCTURED:
            return [h.n_in * wb + (ob if io == "io_parallel" else 0)]
        if st == SUPPORTED_STRUCTURES.PATTERN:
            return [(_prod(la.weight_shape) // oa.pattern_offset) * oa.consecutive_patterns * wb]
        return [_prod(oa.block_shape) * wb]


class GPUFLOPEstimator(ObjectiveEstimator):
    """Objective: floating-point operations on a GPU; structured pruning (neurons / filters). hls4ml's formulas
    (Dense and Conv2D); hls4ml's and hlsnb's are the same class."""

    @classmethod
    def is_layer_optimizable(cls, layer_attributes):
        return _pruning_of(layer_attributes, SUPPORTED_STRUCTURES.STRUCTURED)

    @classmethod
    def _kind(cls, la) -> str:
        kind = layer_kind(la)
        if kind is None or kind.name not in ("Dense", "Conv2D"):
            raise _kind_error(la, "FLOP", "Dense, Conv2D")
        return kind.name

    @classmethod
    def layer_resources(cls, layer_attributes):
        la = layer_attributes
        if not la.weight_shape:
            return [0]
        if cls._kind(la) == "Dense":
            return [2 * _prod(la.weight_shape) + la.weight_shape[1]]
        return [2 * _prod(la.weight_shape) * la.output_shape[0] * la.output_shape[1] + la.weight_shape[3]]

    @classmethod
    def layer_savings(cls, layer_attributes):
        la = layer_attributes
        if not la.weight_shape or not savings_enabled(la, "FLOPs"):
            return [0]
        if la.optimization_attributes.structure_type != SUPPORTED_STRUCTURES.STRUCTURED:
            log.warning("%s: FLOP savings come from structured pruning", la.name)
            return [0]
        if cls._kind(la) == "Dense":
            return [2 * la.weight_shape[0] + 1]
        return [2 * _prod(la.weight_shape[0:3]) * la.output_shape[0] * la.output_shape[1] + 1]


def layer_attributes(model, design) -> dict:
    """``{keras layer name: LayerAttributes}`` for a Keras 3 ``model`` and its :class:`hlsnb.design.Design`.

    Layers with weights that the design lists as Dense/Conv get ``args['hls4ml_attributes']`` from the design
    (strategy, ReuseFactor, precisions, io type, part, clock). Works without hls4ml's Keras-2 helpers.
    """
    specs = {l.name: l for l in design.layers}
    out = {}
    prev_name = None
    for layer in model.layers:
        ws = layer.get_weights()
        wshape = tuple(ws[0].shape) if ws else ()
        try:
            in_shape = tuple(layer.input.shape[1:])
            out_shape = tuple(layer.output.shape[1:])
        except (AttributeError, ValueError):  # a layer never called on a tensor (Keras raises either)
            in_shape = out_shape = ()
        la = LayerAttributes(layer.name, type(layer), [prev_name] if prev_name else [], wshape, in_shape, out_shape,
                             False, OptimizationAttributes(), {})
        spec = specs.get(layer.name)
        if spec is not None and spec.is_mult_layer:
            src = specs.get(spec.inputs[0]) if spec.inputs else None
            la.update_args({"hls4ml_attributes": hls4mlAttributes(
                spec.n_in, spec.n_out, design.io_type, spec.strategy, spec.weight_precision, spec.result_precision,
                spec.reuse_factor, part=design.part.device, clock_ns=design.clock_ns,
                input_precision=src.result_precision if src is not None else design.input_precision,
                accum_precision=spec.accum_precision, n_zeros=spec.n_zeros, tool=design.tool)})
        out[layer.name] = la
        prev_name = layer.name
    return out
