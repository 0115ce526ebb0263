"""Checks of the estimator's inputs, done once per :class:`LayerInput` before anything is estimated.

Without them the estimator turned any numbers into resources: negative sizes gave negative LUTs, a clock of
1e-9 ns billions of cycles, an invalid ReuseFactor a design hls4ml never builds, NaN weights NaN counts. Every check
raises :class:`hlsnb.errors.InvalidSetting` (a ``ValueError``) for a value out of range, or ``TypeError`` for a
value of the wrong kind, with a message naming the layer, the field, the value and what is valid
(``docs/errors.md``, "Estimator"). :func:`check_input` is cached on the (hashable) input, so estimating the same
layer again costs a dictionary lookup; the weights are not part of the key and are checked on every call.
"""

from __future__ import annotations

import math
import numbers
from functools import lru_cache

import numpy as np

from .. import rules, vocab
from ..errors import InvalidSetting
from ..layer_types import get_layer_type
from ..targets import Part
from ._core import BoundedCache, layer_kind, prod, weights_key

__all__ = ["MAX_BITS", "MAX_ELEMENTS", "CLOCK_NS_RANGE", "IO_TYPES", "MULT_IMPLS", "as_count", "as_bits",
           "as_shape", "as_fraction", "check_clock", "check_input", "check_weights", "kernel_weight_count"]

#: Widest ``ap_fixed`` / ``ap_int`` Vivado and Vitis HLS build by default (``AP_INT_MAX_W``).
MAX_BITS = 1024
#: hls4ml's C++ sizes are 32-bit (:data:`hlsnb.rules.MAX_ELEMENTS`, the Design's bound too).
MAX_ELEMENTS = rules.MAX_ELEMENTS
#: Clock periods in ns (:data:`hlsnb.rules.CLOCK_RANGE_NS`, the Design's range too).
CLOCK_NS_RANGE = rules.CLOCK_RANGE_NS
IO_TYPES = vocab.IO_TYPES
MULT_IMPLS = ("auto", "dsp", "fabric")


def _is_int(x) -> bool:
    return isinstance(x, numbers.Integral) and not isinstance(x, bool)


def as_count(value, field: str, layer: str, lo: int = 1, hi: int = MAX_ELEMENTS) -> int:
    """``value`` as an ``int`` in ``[lo, hi]``; an integral float (16.0, from a CSV or JSON) counts as an integer.

    ``TypeError`` for a bool, text, a fractional number or anything else; ``InvalidSetting`` out of range."""
    if type(value) is int and lo <= value <= hi:  # the common case, first: this runs for every layer estimated
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if not _is_int(value):
        raise TypeError(f"layer {layer!r}: {field} must be an integer, got {value!r} ({type(value).__name__})")
    value = int(value)
    if not lo <= value <= hi:
        raise InvalidSetting(f"layer {layer!r}: {field} {value} is not valid; valid: an integer from {lo} to {hi}")
    return value


def as_bits(value, field: str, layer: str) -> int:
    """A fixed-point width in bits: an integer from 1 to :data:`MAX_BITS`."""
    return as_count(value, field, layer, 1, MAX_BITS)


def as_shape(value, field: str, layer: str) -> tuple:
    """A shape (``None`` or empty: ``()``) as a tuple of positive integers whose product is at most
    :data:`MAX_ELEMENTS`."""
    if value is None:
        return ()
    if type(value) is tuple and all(type(v) is int and 0 < v for v in value) and prod(value) <= MAX_ELEMENTS:
        return value
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise TypeError(f"layer {layer!r}: {field} must be a tuple of positive integers, got {value!r}")
    out = tuple(as_count(v, f"{field} entry", layer) for v in value)
    if prod(out) > MAX_ELEMENTS:
        raise InvalidSetting(f"layer {layer!r}: {field} {out} has {prod(out)} elements; valid: at most {MAX_ELEMENTS}")
    return out


def as_fraction(value, field: str, layer: str) -> float:
    """A finite real number in [0, 1] (a sparsity)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"layer {layer!r}: {field} must be a number in [0, 1], got {value!r}")
    value = float(value)
    if not 0.0 <= value <= 1.0:  # also refuses NaN
        raise InvalidSetting(f"layer {layer!r}: {field} {value!r} is not valid; valid: a fraction in [0, 1]")
    return value


def check_clock(value, where: str) -> float:
    """A clock period in ns: a finite real number in :data:`CLOCK_NS_RANGE` (0 is not "the default")."""
    if type(value) is float and CLOCK_NS_RANGE[0] <= value <= CLOCK_NS_RANGE[1]:
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{where}: clock_ns must be a number of nanoseconds, got {value!r}")
    value = float(value)
    lo, hi = CLOCK_NS_RANGE
    if not lo <= value <= hi:  # also refuses NaN and inf
        raise InvalidSetting(f"{where}: clock_ns {value!r} is not valid; valid: a period from {lo:g} to {hi:g} ns "
                             "(10 for 100 MHz)")
    return value


def _choice(value, field: str, layer: str, valid) -> None:
    if value not in valid:
        raise InvalidSetting(f"layer {layer!r}: {field} {value!r} is not valid; valid: {', '.join(valid)}")


def kernel_weight_count(inp) -> int | None:
    """Weights of the layer's kernel: ``n_in x n_out`` (hls4ml's mult size), except a depthwise convolution's
    ``kernel taps x channels``; ``None`` when the sizes are not given."""
    kind = layer_kind(inp.layer_type)
    lt = get_layer_type(kind) if kind is not None else None
    if lt is not None and lt.family == "depthwise" and inp.kernel_size:
        chans = inp.input_shape[-1] if inp.input_shape else (inp.output_shape[-1] if inp.output_shape else None)
        return prod(inp.kernel_size) * chans if chans else None
    return inp.n_in * inp.n_out if inp.n_in and inp.n_out else None


def _check(inp) -> None:
    name = inp.name
    if not isinstance(name, str) or not name:
        raise TypeError(f"layer name must be a non-empty string, got {name!r}")
    if not isinstance(inp.layer_type, str) or not inp.layer_type:
        raise TypeError(f"layer {name!r}: layer_type must be a non-empty string, got {inp.layer_type!r}")
    for f in ("n_in", "n_out", "filters"):
        v = getattr(inp, f)
        if v is not None:
            as_count(v, f, name)
    kind = layer_kind(inp.layer_type)
    lt = get_layer_type(kind) if kind is not None else None
    if inp.n_in and inp.n_out and inp.n_in * inp.n_out > MAX_ELEMENTS and (lt is None or lt.has_multipliers):
        # a matrix of n_in x n_out weights; for other layers n_in and n_out are element counts (an activation of
        # 65,536 values is fine)
        raise InvalidSetting(f"layer {name!r}: n_in x n_out = {inp.n_in * inp.n_out}; valid: at most {MAX_ELEMENTS}")
    for f in ("input_shape", "output_shape", "kernel_size", "strides"):
        if as_shape(getattr(inp, f), f, name) != getattr(inp, f):
            raise TypeError(f"layer {name!r}: {f} must be a tuple of integers, got {getattr(inp, f)!r}")
    for f in ("padding", "pool_op"):
        v = getattr(inp, f)
        if v is not None and not isinstance(v, str):
            raise TypeError(f"layer {name!r}: {f} must be a string or None, got {v!r}")
    if not isinstance(inp.activation, str):
        raise TypeError(f"layer {name!r}: activation must be a string, got {inp.activation!r}")
    for f in ("weight_bits", "result_bits", "accum_bits", "input_bits"):
        as_bits(getattr(inp, f), f, name)
    as_count(inp.weight_int_bits, "weight_int_bits", name, -MAX_BITS, MAX_BITS)
    _choice(inp.io_type, "io_type", name, IO_TYPES)
    _choice(inp.mult_impl, "mult_impl", name, MULT_IMPLS)
    _choice(inp.strategy, "strategy", name, rules.STRATEGIES)
    rules.check_tool_version(inp.tool, inp.tool_version, f"layer {name!r}")
    if not isinstance(inp.part, Part):
        raise TypeError(f"layer {name!r}: part must be a hlsnb.targets.Part, got {inp.part!r}")
    check_clock(inp.clock_ns, f"layer {name!r}")
    if lt is not None:  # strategy and ReuseFactor: the Design's one rule (hlsnb.rules.check_setting)
        rules.check_setting(name, kind, inp.strategy, inp.reuse_factor, inp.n_in or None, inp.n_out or None,
                            inp.io_type, field="reuse_factor")
    else:
        rules.as_reuse_factor(inp.reuse_factor, name, "reuse_factor")
    n_weights = kernel_weight_count(inp)
    as_count(inp.n_zeros, "n_zeros", name, 0, n_weights if n_weights is not None else MAX_ELEMENTS)


@lru_cache(maxsize=4096)
def _check_cached(inp) -> None:
    _check(inp)


def check_input(inp) -> None:
    """Raise ``InvalidSetting`` / ``TypeError`` naming the layer, field, value and what is valid if ``inp`` (a
    :class:`hlsnb.estimate.inputs.LayerInput`) cannot be estimated as hls4ml would build it; its weights too
    (:func:`check_weights`). Cached on the input (weights excluded), so a second call costs a lookup."""
    try:
        hash(inp)
    except TypeError:  # an unhashable field (a list for a shape): the uncached check names it
        _check(inp)
        raise TypeError(f"layer {inp.name!r}: every field of a LayerInput must be hashable (tuples, not lists)") \
            from None
    _check_cached(inp)
    if inp.weights is not None:
        key = weights_key(inp.weights)
        if key is None:  # not a numeric array: the full check says what it is
            check_weights(inp)
        elif _WEIGHTS_CHECKED.get((inp, key)) is None:
            check_weights(inp)
            _WEIGHTS_CHECKED.put((inp, key), True)


#: (input, weights key) pairs whose weights passed :func:`check_weights` (content-keyed: see ``weights_key``).
_WEIGHTS_CHECKED = BoundedCache(4096)


def check_weights(inp) -> None:
    """The kernel of ``inp``: a real array of the layer's weight count (recurrent layers: ``(n_in, n_out)``), with
    no NaN or infinity."""
    name, w = inp.name, inp.weights
    try:
        a = np.asarray(w)
    except Exception as e:  # noqa: BLE001  (ragged lists and odd objects: say what was given)
        raise TypeError(f"layer {name!r}: weights must be an array of real numbers, got {type(w).__name__}: {e}") \
            from None
    if a.dtype == object or not (np.issubdtype(a.dtype, np.number) or a.dtype == bool) or \
            np.issubdtype(a.dtype, np.complexfloating):
        raise TypeError(f"layer {name!r}: weights must be an array of real numbers, got dtype {a.dtype}")
    n = kernel_weight_count(inp)
    if n is not None and a.size != n:
        raise InvalidSetting(f"layer {name!r}: weights has {a.size} values (shape {a.shape}); valid: the kernel's "
                             f"{n} weights")
    kind = layer_kind(inp.layer_type)
    lt = get_layer_type(kind) if kind is not None else None
    if lt is not None and lt.family == "recurrent" and a.shape != (inp.n_in, inp.n_out):
        raise InvalidSetting(f"layer {name!r}: weights of shape {a.shape} are not valid; valid: the kernel "
                             f"(n_in, n_out) = ({inp.n_in}, {inp.n_out})")
    if a.dtype.kind == "f":
        bad = ~np.isfinite(a)
        if bad.any():
            idx = tuple(int(i) for i in np.argwhere(bad)[0])
            raise InvalidSetting(f"layer {name!r}: weights{list(idx)} is {float(a[idx])}; valid: finite numbers")
        big = np.abs(a) > np.finfo(np.float32).max
        if big.any():
            idx = tuple(int(i) for i in np.argwhere(big)[0])
            raise InvalidSetting(f"layer {name!r}: weights{list(idx)} is {float(a[idx]):g}, beyond float32; "
                                 "valid: finite float32 numbers")
