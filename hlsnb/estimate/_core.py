"""Per-layer resource and latency model of hls4ml's Vivado/Vitis HLS templates: the shared ground.

Pure Python (math + numpy for weight statistics). No keras, no hls4ml, no widgets, and no state: every function
here is a function of its arguments (the caches below are keyed on them).

Every number is a sum of :class:`Term` objects. A term is ``exact`` when it follows from hls4ml's templates and
the design rules (how many multipliers ``ceil(n_in*n_out/RF)``, ROM depth and width, BRAM18K port shapes, II of a
pipelined reuse loop) and ``modelled`` when a coefficient fitted on real reports (a
:class:`hlsnb.calibration.Calibration`) or a structural constant (LUTs per multiplexer input) is involved.
The families compute what the HLS tool's *csynth* report would say; ``stage="vsynth"`` (Vivado post-synthesis) adds
explicit ratio terms on top (:mod:`hlsnb.estimate._stage`). ``cal`` is the tool's merged calibration
(:meth:`Calibration.for_tool`).

This module keeps the data types, the term accumulator, the helpers every layer family shares and the dispatch:
layer type -> its family in :mod:`hlsnb.layer_types` -> the function registered for that family in
:mod:`hlsnb.estimate.layers` (see the guide there).
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Callable

import numpy as np

from .. import vocab
from ..layer_types import get_layer_type, layer_type_of_class
from ..precision import as_hls4ml_writes, parse_precision
from ..targets import Part, get_board, get_part
from ._calibration import Calibration

if TYPE_CHECKING:
    from .inputs import LayerInput

__all__ = ["Term", "LayerEstimate", "COEFFICIENTS", "load_coefficients", "mux_luts", "dsp_per_product",
           "bram18k_for", "DSP_THRESHOLD_BITS", "RESOURCES", "register", "not_estimated", "estimate_input"]

#: The resources every estimate (and every table of them) reports, in this order.
RESOURCES = vocab.RESOURCES
#: hls4ml's rule (pruning objectives): "Vivado doesn't use DSP when precision < 9". Not fitted.
DSP_THRESHOLD_BITS = 9
#: LUT6 distributed ROM/RAM: 64 x 1 bit per LUT.
LUTRAM_BITS_PER_LUT = 64
#: Shift-register LUT (SRL32): 32 x 1 bit per LUT.
SRL_BITS_PER_LUT = 32
#: BRAM18K shapes: (max depth, data width) per aspect ratio, 18 Kb each (9-bit bytes counted with parity).
BRAM18K_SHAPES = ((512, 36), (1024, 18), (2048, 9), (4096, 4), (8192, 2), (16384, 1))


def load_coefficients(path=None) -> dict:
    """The fitted coefficients shipped with the package (or read from ``path``), as a plain dict."""
    if path is None:
        return Calibration.shipped().to_dict()
    return Calibration.load(path).to_dict()


#: Read-only view of the shipped coefficients (kept for code that read them here; estimates take a Calibration).
COEFFICIENTS = MappingProxyType(Calibration.shipped().coefficients)


# ---------------------------------------------------------------------------------------------------- data types
@dataclass(frozen=True)
class Term:
    """One item of an estimate: ``value`` units of ``resource`` because of ``what``.

    ``resource`` is one of ``dsp, lut, ff, bram18k, latency, ii`` (latency and ii in clock cycles).
    ``kind`` is ``"exact"`` (follows from hls4ml's templates and the design rules) or ``"modelled"`` (uses a
    coefficient fitted on real reports or a structural constant).
    """

    resource: str
    value: float
    what: str
    kind: str = "modelled"

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class LayerEstimate:
    """Estimated resources of one layer as the HLS csynth report would give them.

    ``dsp`` DSP slices, ``lut`` LUTs, ``ff`` flip-flops, ``bram18k`` 18 Kb block RAMs, ``uram`` UltraRAMs,
    ``latency_cycles`` clock cycles from first input to last output, ``ii`` initiation interval in cycles.
    ``estimated`` is False (and ``reason`` says why) for layer types the model does not know: their numbers are
    ``None``, never a silent zero.
    """

    name: str
    layer_type: str
    dsp: float | None = 0
    lut: float | None = 0
    ff: float | None = 0
    bram18k: float | None = 0
    uram: float | None = 0
    latency_cycles: float | None = 0
    ii: float | None = 1
    stage: str = "csynth"
    estimated: bool = True
    reason: str | None = None
    breakdown: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    strategy: str | None = None
    reuse_factor: int | None = None

    def terms(self, resource: str) -> list[Term]:
        """The breakdown items of one resource."""
        return [t for t in self.breakdown if t.resource == resource]

    def explain(self, resource: str | None = None) -> str:
        """The breakdown as text, one line per term."""
        lines = []
        for t in self.breakdown:
            if resource is None or t.resource == resource:
                lines.append(f"{self.name:>16} {t.resource:>8} {t.value:>10.0f}  [{t.kind}] {t.what}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["breakdown"] = [t.to_dict() for t in self.breakdown]
        return d

    def copy(self) -> "LayerEstimate":
        """A copy whose lists can be changed without touching this one (cached estimates are handed out so)."""
        return LayerEstimate(**{**self.__dict__, "breakdown": list(self.breakdown), "warnings": list(self.warnings)})


class Terms:
    """Collects the terms (and warnings) of one layer and sums them per resource."""

    def __init__(self):
        self.terms: list[Term] = []
        self.warnings: list[str] = []

    def add(self, resource: str, value: float, what: str, kind: str = "modelled") -> None:
        """Add a term; a zero value adds nothing (use ``terms.append`` for a zero that explains itself)."""
        if value:
            self.terms.append(Term(resource, float(value), what, kind))

    def add_copies(self, kernel: "Terms", n: int, why: str) -> None:
        """``kernel``'s terms and warnings, its resources ``n`` times (``n`` copies side by side, ``why``); its
        latency and II once."""
        self.warnings.extend(kernel.warnings)
        for t in kernel.terms:
            if t.resource in ("latency", "ii") or n == 1:
                self.terms.append(t)
            else:
                self.terms.append(Term(t.resource, t.value * n, f"{t.what}, x {n} {why}", t.kind))

    def total(self, resource: str) -> float:
        return float(sum(t.value for t in self.terms if t.resource == resource))

    def finish(self, inp: "LayerInput", latency: float, ii: float) -> LayerEstimate:
        """The layer's estimate: every resource is the rounded sum of its terms."""
        est = LayerEstimate(name=inp.name, layer_type=inp.layer_type, strategy=inp.strategy,
                            reuse_factor=inp.reuse_factor)
        for r in RESOURCES:
            setattr(est, r, round(self.total(r)))
        est.uram = 0
        est.latency_cycles = int(round(latency))
        est.ii = int(round(ii))
        est.breakdown = self.terms
        est.warnings = self.warnings
        return est


def not_estimated(name: str, layer_type: str, reason: str) -> LayerEstimate:
    """The row of a layer the model cannot estimate: every number ``None`` (never a silent zero), and why."""
    return LayerEstimate(name=name, layer_type=layer_type, dsp=None, lut=None, ff=None, bram18k=None, uram=None,
                         latency_cycles=None, ii=None, estimated=False, reason=reason,
                         breakdown=[], warnings=[f"not estimated: {reason}"])


# ---------------------------------------------------------------------------------------------------- dispatch
#: family name -> the function that estimates its layers (filled by ``@register`` in hlsnb/estimate/layers/).
_FAMILIES: dict[str, Callable] = {}


def register(family: str):
    """Decorator: ``fn(inp: LayerInput, cal: Calibration) -> LayerEstimate`` estimates the layer types of
    ``family`` (the ``family`` of their :class:`hlsnb.layer_types.LayerType` entries)."""

    def deco(fn):
        if family in _FAMILIES:
            raise ValueError(f"estimator family {family!r} is already registered ({_FAMILIES[family].__module__})")
        _FAMILIES[family] = fn
        return fn

    return deco


@lru_cache(maxsize=256)
def layer_kind(layer_type: str) -> str | None:
    """The registry name of ``layer_type``: itself if registered, else the type its Keras/hls4ml class maps to
    (``ReLU`` -> ``Activation``, ``Flatten`` -> ``Reshape``); ``None`` for a type hlsnb does not know."""
    if get_layer_type(layer_type) is not None:
        return layer_type
    kind = layer_type_of_class(layer_type)
    return kind if get_layer_type(kind) is not None else None


def estimate_input(inp: "LayerInput", cal: Calibration) -> LayerEstimate:
    """Estimate one layer (not cached): the function registered for its family, or a "not estimated" row."""
    kind = layer_kind(inp.layer_type)
    fn = _FAMILIES.get(get_layer_type(kind).family) if kind is not None else None
    if fn is None:
        return unknown(inp)
    return fn(inp, cal)


def unknown(inp: "LayerInput") -> LayerEstimate:
    """The row of a layer type (or activation) without a model."""
    act = inp.activation
    reason = f"no model for layer type {inp.layer_type!r}" + (f" (activation {act!r})" if act else "")
    return not_estimated(inp.name, inp.layer_type, reason)


# ---------------------------------------------------------------------------------------------------- helpers
def mux_luts(n: int) -> float:
    """LUT6s per bit of an ``n``-to-1 multiplexer on a 7-series/UltraScale fabric (F7/F8 muxes used for 8/16)."""
    n = int(n)
    if n <= 1:
        return 0.0
    if n == 2:
        return 0.5  # LUT6_2 holds two 2:1 muxes with a shared select
    if n <= 4:
        return 1.0
    if n <= 16:
        return float(math.ceil(n / 4))
    groups = math.ceil(n / 16)
    return 4.0 * groups + mux_luts(groups)


def dsp_per_product(a_bits: int, b_bits: int, part: Part) -> int:
    """DSP slices for one ``a_bits x b_bits`` product: 1 if it fits the slice (25x18 DSP48E1, 27x18 DSP48E2)."""
    big, small = part.dsp_mult_width
    a, b = max(a_bits, b_bits), min(a_bits, b_bits)
    return int(min(math.ceil(a / big) * math.ceil(b / small), math.ceil(a / small) * math.ceil(b / big)))


def bram18k_for(depth: int, width: int) -> int:
    """BRAM18K blocks for a ``depth x width`` memory, using the best of the 512x36 ... 16Kx1 shapes."""
    if depth <= 0 or width <= 0:
        return 0
    best = None
    for max_depth, port in BRAM18K_SHAPES:
        n = math.ceil(depth / max_depth) * math.ceil(width / port)
        best = n if best is None else min(best, n)
    return int(best)


@lru_cache(maxsize=64)
def _part_named(name: str) -> Part:
    try:
        return get_board(name).part
    except ValueError:
        return get_part(name)


def resolve_part(part) -> Part:
    """A :class:`Part` from a Part, a board or part name, or ``None`` (the PYNQ-Z2's)."""
    if isinstance(part, Part):
        return part
    return _part_named("pynq-z2" if part is None else part)


def bits(prec, default: int) -> tuple[int, int]:
    """(width, integer bits) of a precision string, an int width, or ``None``/``"auto"`` (both ``default``)."""
    if prec is None or prec == "auto":
        return default, default
    if isinstance(prec, (int, float)):
        return int(prec), int(prec)
    return _bits_of(prec)


@lru_cache(maxsize=1024)
def _bits_of(prec) -> tuple[int, int]:
    t = parse_precision(prec)
    return t.width, t.integer


def prod(t) -> int:
    """Product of a shape (1 for an empty or missing one)."""
    p = 1
    for x in t or ():
        p *= int(x)
    return p


def mult_mapping(mult_impl: str, w_bits: int, in_bits: int) -> tuple[bool, str]:
    """(on DSPs?, reason in words) for ``w_bits x in_bits`` products under ``config_op mul -impl mult_impl``."""
    if mult_impl == "dsp":
        return True, "multiplications forced onto DSPs (config_op mul -impl dsp)"
    if mult_impl == "fabric":
        return False, "multiplications forced into LUTs (config_op mul -impl fabric)"
    if min(w_bits, in_bits) >= DSP_THRESHOLD_BITS:
        return True, f"{in_bits}x{w_bits}-bit products are at or above the DSP threshold ({DSP_THRESHOLD_BITS} bits)"
    return False, (f"{in_bits}x{w_bits}-bit products are below the DSP threshold ({DSP_THRESHOLD_BITS} bits): "
                   "the tool builds them from LUTs")


def adder_levels(nonzero: int, n_out: int) -> int:
    """Adder-tree levels of one output (products per output, plus the bias add)."""
    return int(math.ceil(math.log2(max(2, nonzero / max(n_out, 1))))) + 1


#: The timing-scale coefficient of each FPGA family whose fabric is faster than the 7-series parts the operation
#: delays were fitted on (``t_scale_usp``: fitted per tool on UltraScale+ latencies; 1 where no report says otherwise).
TIME_SCALE_KEYS = {"ultrascale+": "t_scale_usp"}


def latency_depth(levels: int, has_mult: bool, clock_ns: float, cal, family: str = "7series") -> int:
    """Pipeline stages of an optional multiply plus ``levels`` adder levels at ``clock_ns`` (fitted ns per op, fitted
    on 7-series parts; scaled by the family's ``t_scale_*``: an UltraScale+ fabric does more per cycle)."""
    t = (cal["t_mul_ns"] if has_mult else 0.0) + levels * cal["t_add_ns"]
    key = TIME_SCALE_KEYS.get(family)
    if key is not None:
        t *= cal[key]
    return max(0, int(math.ceil(t / clock_ns - 1e-9)))


def csd_digits(q):
    """Non-zero digits of the canonical signed-digit (NAF) form of integers ``q`` (numpy array)."""
    x = np.abs(q).astype(np.int64)
    return np.bitwise_count((x ^ (3 * x)) >> 1)


def weights_key(weights):
    """A content key of a numeric weight array (dtype, shape, a 128-bit digest of its bytes), or ``None`` for
    anything else: estimates and checks of a layer with weights are cached on its input plus this key, so an array
    changed in place is a new key, never a stale hit."""
    if not isinstance(weights, np.ndarray) or weights.dtype.kind not in "fiub":
        return None
    a = np.ascontiguousarray(weights)
    return a.dtype.str, a.shape, hashlib.blake2b(a.tobytes(), digest_size=16).digest()


class BoundedCache(OrderedDict):
    """A small least-recently-used map (``get`` refreshes, ``put`` evicts the oldest beyond ``size``); safe to share
    between threads (a threaded sweep estimates in several)."""

    def __init__(self, size: int):
        super().__init__()
        self.size = size
        self._lock = threading.Lock()

    def get(self, key, default=None):
        with self._lock:
            if key in self:
                self.move_to_end(key)
                return self[key]
            return default

    def put(self, key, value) -> None:
        with self._lock:
            self[key] = value
            self.move_to_end(key)
            if len(self) > self.size:
                self.popitem(last=False)


def quantize_weights(weights, w_bits: int, w_int: int) -> np.ndarray:
    """Float weights as the ``ap_fixed<w_bits, w_int>`` integers (LSBs) hls4ml's firmware holds: its writer prints
    each weight with as many decimals as the type has fractional bits (``WeightVariable.precision_fmt``), and the C++
    initialisation casts that number with the type's default modes, AP_TRN (floor to the LSB) and AP_WRAP (a weight
    outside the type's range wraps around: :func:`weights_out_of_range` finds them)."""
    half = 2.0 ** (w_bits - 1)
    return np.mod(_printed_lsbs(weights, w_bits, w_int) + half, 2 * half) - half


def _printed_lsbs(weights, w_bits: int, w_int: int) -> np.ndarray:
    """The weights as hls4ml prints them (as many decimals as fractional bits), floored to LSBs, not yet wrapped."""
    frac = w_bits - w_int
    return np.floor(as_hls4ml_writes(weights, frac) * 2.0**frac)


def weights_out_of_range(weights, w_bits: int, w_int: int) -> tuple[int, float, float]:
    """(how many, the type's least and greatest value) of the weights an ``ap_fixed<w_bits, w_int>`` cannot hold
    as hls4ml writes them (a weight a hair under the top prints as the top and is out too): hls4ml wraps them
    (AP_WRAP), so the firmware computes with other constants than the model."""
    half = 2.0 ** (w_bits - 1)
    lsb = 2.0 ** (w_int - w_bits)

    def count(a):
        q = _printed_lsbs(a, w_bits, w_int)
        return int(np.count_nonzero((q < -half) | (q > half - 1)))

    return _weights_fact("out of range", weights, (w_bits, w_int), count), -half * lsb, (half - 1) * lsb


def mean_bit_length(q, default: float) -> float:
    """Mean bit length of the nonzero magnitudes of integer weights ``q`` (``default`` when all are zero)."""
    a = np.abs(np.asarray(q, dtype=np.float64))
    a = a[a > 0]
    return float(np.mean(np.floor(np.log2(a)) + 1)) if a.size else float(default)


#: What the estimator reads off known weights (their magnitudes' bit length, their signed-digit classes), keyed on
#: the weights' content (:func:`weights_key`) and the type: the key holds a digest, not the array.
WEIGHT_FACTS = BoundedCache(512)


def _weights_fact(kind: str, weights, args: tuple, compute):
    a = np.ascontiguousarray(np.asarray(weights, dtype=np.float32).ravel())
    key = (kind, weights_key(a), *args)
    hit = WEIGHT_FACTS.get(key)
    if hit is None:
        hit = compute(a)
        WEIGHT_FACTS.put(key, hit)
    return hit


def weight_magnitude_bits(weights, w_bits: int, w_int: int) -> float:
    """Mean bit length of the nonzero quantized constant weights' magnitudes (``w_bits`` at most): a product of an
    ``n``-bit input and the constant ``q`` is ``n + bit_length(|q|)`` bits wide, which HLS sizes it to."""
    return _weights_fact("magnitude bits", weights, (w_bits, w_int),
                         lambda a: mean_bit_length(quantize_weights(a, w_bits, w_int), w_bits))


def weight_classes(weights, w_bits: int, w_int: int, k: int) -> tuple[int, int, int, int]:
    """Split quantized constant weights into (zeros, powers of two, shift-add constants, generic multiplies).

    A constant with one signed digit is a shift; with at most ``k`` digits the compiler builds it from shifts and
    adds; with more it stays a multiply operation.
    """
    def classes(a):
        d = csd_digits(quantize_weights(a, w_bits, w_int))
        return (int(np.count_nonzero(d == 0)), int(np.count_nonzero(d == 1)),
                int(np.count_nonzero((d >= 2) & (d <= k))), int(np.count_nonzero(d > k)))

    return _weights_fact("classes", weights, (w_bits, w_int, k), classes)
