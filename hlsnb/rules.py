"""hls4ml's design rules, in pure Python: strategies per layer type, valid ReuseFactors, the unroll limit.

The one owner of setting validity: :func:`check_setting` answers "does hls4ml 1.3 build this Strategy and ReuseFactor
as given?" per strategy, layer type, io type and backend, with one message format (:func:`reuse_factor_message`);
the Design (``set``, ``set_all``, files, hls4ml configs) and the estimator's raw inputs both call it. Whether a
layer's kernel reads a ReuseFactor at all is :func:`takes_reuse_factor` (layers with multipliers, and the io_stream
softmax, whose ``ceil(n/RF)`` 1/sum multipliers hls4ml 1.3 limits with ``ALLOCATION``).

These mirror hls4ml 1.3's Vivado/Vitis backends (``FPGABackend._validate_reuse_factor``, ``init_dense``,
``init_conv1d/2d``); ``tests/test_rules.py`` checks them against hls4ml's own functions. They live here, without an
hls4ml import, so the estimator and the widgets can ask them thousands of times a second. Which layer types have
multipliers and which strategies hls4ml builds for each is data in the layer-type registry (:mod:`hlsnb.layer_types`).
"""

from __future__ import annotations

import bisect
import math
from functools import lru_cache

import numpy as np

from .errors import InvalidSetting
from .layer_types import get_layer_type, mult_layer_types
from .vocab import BACKENDS, IO_TYPES, STRATEGIES, TOOL_OF_BACKEND, TOOLS, valid_list

__all__ = [
    "STRATEGIES",
    "STRATEGY_ALIASES",
    "UNROLL_LIMIT",
    "MULT_LAYER_TYPES",  # noqa: F822  (served live from the registry by the module __getattr__ below)
    "canonical_strategy",
    "strategies_for",
    "takes_reuse_factor",
    "kernel_reuse_factors",
    "stream_word_values",
    "SOFTMAX_REUSE_IMPLEMENTATIONS",
    "valid_reuse_factors",
    "template_reuse_factors",
    "recurrent_gates",
    "closest_reuse_factors",
    "is_valid_reuse_factor",
    "hls4ml_weight_position",
    "multiplier_of_weight",
    "TOOLS",
    "TOOL_OF_BACKEND",
    "DEFAULT_TOOL_VERSION",
    "check_tool_version",
    "BACKENDS",
    "IO_TYPES",
    "InvalidSettingType",
    "check_io_type",
    "check_backend",
    "as_reuse_factor",
    "check_strategy",
    "accepted_reuse_factors",
    "closest_reuse_factor",
    "reuse_factor_message",
    "check_setting",
    "latency_note",
    "kernel_reuse_note",
    "takes_parallelization_factor",
    "PARALLELIZATION_IO_TYPE",
    "valid_parallelization_factors",
    "conv_pixels",
    "check_parallelization_factor",
    "MAX_ELEMENTS",
    "CLOCK_RANGE_NS",
]

#: Spellings hls4ml accepts for the strategies (case-insensitive), mapped to the canonical name: the one alias table.
STRATEGY_ALIASES = {
    "latency": "Latency",
    "resource": "Resource",
    "resource_unrolled": "Resource_Unrolled",
    "distributed_arithmetic": "distributed_arithmetic",
    "da": "distributed_arithmetic",
}
#: Vivado HLS stops unrolling loops past about this many operations ("Stop unrolling loop"), hls4ml #1013, #903.
UNROLL_LIMIT = 4096
#: hls4ml's C++ sizes and array indices are 32-bit integers: no size, shape or product of two sizes above this (the
#: Design and the estimator both refuse larger ones; the ReuseFactor check enumerates divisors of n_in x n_out).
MAX_ELEMENTS = 2**31 - 1
#: The clock periods (ns) a design may ask for: 2 GHz to 1 MHz. Outside it a number is a unit slip (seconds, MHz)
#: or garbage; hls4ml would pass it to the tool, and the estimator would count billions of cycles.
CLOCK_RANGE_NS = (0.5, 1000.0)

#: The version assumed when none is given: the last Vivado HLS (2020.1, what the PYNQ flow uses) and a current Vitis.
DEFAULT_TOOL_VERSION = {"vivado_hls": "2020.1", "vitis_hls": "2023.2"}
#: Vivado HLS was last released in 2020.1; Vitis HLS replaced it (first as a separate tool in 2020.1).
_VERSION_RANGE = {"vivado_hls": ((2013, 1), (2020, 1)), "vitis_hls": ((2020, 1), (2099, 9))}


def check_tool_version(tool: str, version, what: str = "") -> str:
    """``version`` (``"2020.1"``, ``None`` for the tool's default) checked against ``tool``; returns it as text.

    Raises ``InvalidSetting`` for an unknown tool, a version that is not ``YEAR.N``, or one the tool never had:
    Vivado HLS (the Vivado and VivadoAccelerator backends) ends at 2020.1, Vitis HLS starts at 2020.1.
    ``what`` prefixes the message (a layer or backend name).
    """
    pre = f"{what}: " if what else ""
    if tool not in TOOLS:
        raise InvalidSetting(f"{pre}tool {tool!r} is not valid; valid: {valid_list(TOOLS)}")
    if version is None:
        return DEFAULT_TOOL_VERSION[tool]
    text = str(version).strip()
    try:
        year, minor = (int(x) for x in text.split("."))
    except ValueError:
        raise InvalidSetting(f"{pre}tool_version {version!r} is not a version such as '2020.1'") from None
    lo, hi = _VERSION_RANGE[tool]
    if not lo <= (year, minor) <= hi:
        if tool == "vivado_hls":
            why = ("Vivado HLS was last released as 2020.1; from 2020.2 on it is Vitis HLS, which hls4ml drives "
                   "with the Vitis backend; valid: 2013.1 to 2020.1")
        else:
            why = "Vitis HLS exists from 2020.1 on"
        raise InvalidSetting(f"{pre}{'Vivado' if tool == 'vivado_hls' else 'Vitis'} HLS {text} does not exist: {why}")
    return text


def __getattr__(name: str):
    # MULT_LAYER_TYPES is read from the registry on every access, so a layer type registered later counts too
    if name == "MULT_LAYER_TYPES":
        return mult_layer_types()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def canonical_strategy(strategy: str, layer: str = "?") -> str:
    """Return hls4ml's spelling of ``strategy`` or raise ``InvalidSetting`` (hls4ml silently uses Latency instead)."""
    key = str(strategy).strip().lower()
    if key not in STRATEGY_ALIASES:
        raise InvalidSetting(
            f"layer {layer!r}: unknown strategy {strategy!r}; valid: {', '.join(STRATEGIES)} "
            "(hls4ml would silently build it as Latency)"
        )
    return STRATEGY_ALIASES[key]


def strategies_for(layer_type: str, io_type: str = "io_parallel") -> tuple[str, ...]:
    """Strategies hls4ml really builds for this layer type and io type (the registry's entry).

    Conv layers with io_parallel turn Resource_Unrolled into Resource, so it is not offered there.
    Layers without multipliers (activations, pooling, ...) and unknown types have no strategy choice: ``("Latency",)``.
    """
    lt = get_layer_type(layer_type)
    return lt.strategies(io_type) if lt is not None else ("Latency",)


def takes_reuse_factor(layer_type: str, io_type: str = "io_parallel") -> bool:
    """True if hls4ml's kernel for ``layer_type`` with ``io_type`` reads a ReuseFactor other than 1.

    Layers with multipliers (Dense, Conv, ...: Strategy and ReuseFactor decide their multipliers) always do; a layer
    type whose registry entry lists ``io_type`` in ``kernel_reuse_io`` does there (the io_stream softmax:
    ``ceil(n/RF)`` multipliers for the ``n`` values of a stream word, :func:`kernel_reuse_factors`). Every other
    layer's ReuseFactor is fixed at 1 (:func:`check_setting`).
    """
    lt = get_layer_type(layer_type)
    return lt is not None and (lt.has_multipliers or io_type in lt.kernel_reuse_io)


def stream_word_values(output_shape: tuple, n: int | None = None) -> int:
    """Values per io_stream word of a layer's output: its channels (the last axis of ``output_shape``), or ``n`` (the
    element count) when the shape is not known. A 1-D output is one word of all its values."""
    if output_shape:
        return int(output_shape[-1])
    if not n:
        raise InvalidSetting("a stream word needs the output shape or the element count")
    return int(n)


#: hls4ml 1.3's io_stream softmax implementations that read the ReuseFactor (``softmax_latency``,
#: ``softmax_stable``); ``legacy`` and ``argmax`` are plain ``PIPELINE`` loops that ignore it.
SOFTMAX_REUSE_IMPLEMENTATIONS = ("latency", "stable")


def kernel_reuse_factors(n: int) -> tuple[int, ...]:
    """The ReuseFactors that give distinct hardware for a kernel sharing ``n`` operations of a stream word (the
    io_stream softmax's 1/sum multiplications, ``n`` = values per word = channels): each builds
    ``ceil(n / RF)`` multipliers at ``PIPELINE II = n // that``; these are the divisors of ``n``, whose multipliers
    all work every cycle. hls4ml builds any positive ReuseFactor (:func:`check_setting`); one that does not divide
    ``n`` leaves a multiplier partly idle and one above ``n`` builds the hardware of ReuseFactor ``n``
    (:func:`kernel_reuse_note`)."""
    n = int(n)
    if n < 1:
        raise InvalidSetting(f"a stream word has at least one value, got n={n}")
    return tuple(rf for rf in range(1, n + 1) if n % rf == 0)


def kernel_reuse_note(layer: str, layer_type: str, n: int, rf: int) -> str | None:
    """Why a kernel-level ReuseFactor hls4ml builds (the io_stream softmax, :func:`takes_reuse_factor`) may not be
    what you want, or ``None``: above ``n`` (the values per stream word) it builds the hardware of ``n``;
    when ``ceil(n/RF)`` does not divide ``n`` it asks for ``PIPELINE II = n // ceil(n/RF)``, fewer cycles than its
    ``ceil(n/RF)`` multipliers need for ``n`` products."""
    n, rf = int(n), int(rf)
    if rf > n:
        return (f"layer {layer!r} ({layer_type}): ReuseFactor {rf} is above the {n} values of a stream word: hls4ml "
                f"builds it as ReuseFactor {n} (one multiplier, interval {n} cycles per word)")
    m = -(-n // rf)
    if n % m:
        return (f"layer {layer!r} ({layer_type}): ReuseFactor {rf} builds {m} multipliers for the {n} values of a "
                f"stream word and asks for II {n // m}, below the {-(-n // m)} cycles {m} multipliers need for {n} "
                f"products (one partly idle); values that divide evenly nearby: "
                f"{valid_list(closest_reuse_factors(kernel_reuse_factors(n), rf))}")
    return None


def _validate(n_in: int, n_out: int, rf: int) -> bool:
    # Same arithmetic as hls4ml FPGABackend._validate_reuse_factor.
    multfactor = min(n_in, rf)
    multiplier_limit = -(-(n_in * n_out) // multfactor)
    ok = (multiplier_limit % n_out == 0) or (rf >= n_in)
    ok = ok and ((rf % n_in == 0) or (rf < n_in))
    return ok and ((n_in * n_out) % rf == 0)


@lru_cache(maxsize=4096)
def _valid_rf_all(n_in: int, n_out: int) -> tuple[int, ...]:
    total = n_in * n_out
    divisors = set()
    i = 1
    while i * i <= total:
        if total % i == 0:
            divisors.add(i)
            divisors.add(total // i)
        i += 1
    return tuple(rf for rf in sorted(divisors) if _validate(n_in, n_out, rf))


def valid_reuse_factors(n_in: int, n_out: int, strategy: str = "Resource") -> tuple[int, ...]:
    """ReuseFactors hls4ml keeps as given for a layer with ``n_in * n_out`` multiplications per output set.

    For a Dense layer ``n_in``/``n_out`` are its input/output sizes; for a convolution ``n_in`` is
    channels x kernel size and ``n_out`` the filters (hls4ml's ``get_layer_mult_size``).

    - Resource: hls4ml's rule (RF divides n_in*n_out, and so on). Any other value is silently replaced.
    - Resource_Unrolled: the same without the largest value (n_in*n_out), and RF 1 becomes Resource.
    - distributed_arithmetic: only 1.
    - Latency: hls4ml does not check and builds any positive RF (:func:`check_setting` accepts any); this set is
      the values that divide the work evenly, the ones a menu offers (an RF outside it leaves multipliers idle,
      :func:`latency_note`).
    """
    s = canonical_strategy(strategy)
    if n_in < 1 or n_out < 1:
        raise InvalidSetting(f"layer sizes must be positive, got n_in={n_in}, n_out={n_out}")
    if s == "distributed_arithmetic":
        return (1,)
    allrf = _valid_rf_all(int(n_in), int(n_out))
    if s == "Resource_Unrolled":
        return tuple(rf for rf in allrf[:-1] if rf > 1) if len(allrf) > 1 else ()
    return allrf


#: Gates of hls4ml's recurrent cells: the kernel is n_in x gates*n_state, the recurrent kernel n_state x gates*n_state.
_GATES = {"LSTM": 4, "GRU": 3, "SimpleRNN": 1}


def recurrent_gates(layer_type: str) -> int | None:
    """Gates of a recurrent cell type (LSTM 4, GRU 3, SimpleRNN 1); ``None`` for other types."""
    return _GATES.get(layer_type)


def template_reuse_factors(layer_type: str, n_in: int, n_out: int, strategy: str = "Resource",
                           io_type: str = "io_parallel") -> tuple[int, ...]:
    """The ReuseFactors that hls4ml's validator keeps AND its C++ templates build for this layer.

    :func:`valid_reuse_factors` is hls4ml's validator (``_validate_reuse_factor``) on the matrix ``n_in x n_out``;
    some templates accept less:

    - io_parallel Conv1D/Conv2D with Resource: ``conv_1d/2d_resource_cl`` asserts ``RF <= filt_width (x
      filt_height) x n_chan`` (= ``n_in``, hls4ml's mult size); a larger RF passes the validator and then aborts the
      C simulation (``nnet_conv1d_resource.h``, ``nnet_conv2d_resource.h``).
    - LSTM / GRU: one ReuseFactor serves the kernel (``n_in x gates*n_state``) and the recurrent kernel
      (``n_state x gates*n_state``), each validated on its own by ``init_lstm``/``init_gru``: only values valid for
      both stay as given.
    - Layers without a matrix rule (depthwise convolutions' Latency pipeline) use their mult size like Dense.
    """
    s = canonical_strategy(strategy)
    valid = valid_reuse_factors(n_in, n_out, s)
    if layer_type in ("Conv1D", "Conv2D") and io_type == "io_parallel" and s == "Resource":
        valid = tuple(rf for rf in valid if rf <= n_in)
    gates = _GATES.get(layer_type)
    if gates and n_out % gates == 0 and s != "distributed_arithmetic":
        recurrent = set(valid_reuse_factors(n_out // gates, n_out, s))
        valid = tuple(rf for rf in valid if rf in recurrent)
    return valid


def is_valid_reuse_factor(n_in: int, n_out: int, rf: int, strategy: str = "Resource") -> bool:
    """True if hls4ml keeps ReuseFactor ``rf`` as given on a Dense ``n_in x n_out`` layer (Latency: any positive
    one; see :func:`check_setting` for other layer types and io types)."""
    try:
        check_setting("?", "Dense", strategy, rf, n_in, n_out)
    except InvalidSetting:
        return False
    return True


class InvalidSettingType(InvalidSetting, TypeError):
    """A setting of the wrong kind (text, a bool, a fraction where a count belongs). Both a ``ValueError`` (as every
    ``InvalidSetting``) and a ``TypeError``, so a caller catching either sees it (scikit-learn's
    ``InvalidParameterError`` does the same)."""


def check_io_type(io_type, what: str = "") -> str:
    """``io_type`` if hls4ml has it (:data:`hlsnb.vocab.IO_TYPES`), else ``InvalidSetting`` listing them."""
    if io_type not in IO_TYPES:
        pre = f"{what}: " if what else ""
        raise InvalidSetting(f"{pre}io_type {io_type!r} is not valid; valid: {valid_list(IO_TYPES)}")
    return io_type


def check_backend(backend, what: str = "") -> str:
    """``backend`` if hlsnb builds for it (:data:`hlsnb.vocab.BACKENDS`), else ``InvalidSetting`` listing them."""
    if backend not in BACKENDS:
        pre = f"{what}: " if what else ""
        raise InvalidSetting(f"{pre}backend {backend!r} is not valid; valid: {valid_list(BACKENDS)}")
    return backend


def as_reuse_factor(value, layer: str | None = "?", field: str = "ReuseFactor") -> int:
    """``value`` as a ReuseFactor: a positive integer up to :data:`MAX_ELEMENTS`; an integral float (``4.0`` from a
    CSV, JSON or YAML file) is that integer. A bool, text or fraction raises :class:`InvalidSettingType`, a value
    out of range ``InvalidSetting``; the message names ``layer`` and ``field`` (the caller's name for it)."""
    if type(value) is int and 1 <= value <= MAX_ELEMENTS:  # the common case first: the estimator asks per layer
        return value
    where = f"layer {layer!r}: " if layer is not None else ""
    if isinstance(value, (float, np.floating)) and math.isfinite(value) and float(value).is_integer():
        value = int(value)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise InvalidSettingType(f"{where}{field} must be a positive integer, got {value!r} "
                                 f"({type(value).__name__})")
    if not 1 <= int(value) <= MAX_ELEMENTS:
        raise InvalidSetting(f"{where}{field} must be a positive integer, got {int(value)}; valid: an "
                             f"integer from 1 to {MAX_ELEMENTS}")
    return int(value)


def check_strategy(strategy, layer_type: str, io_type: str = "io_parallel", layer: str = "?") -> str:
    """hls4ml's spelling of ``strategy`` if hls4ml builds it for ``layer_type`` with ``io_type``, else
    ``InvalidSetting`` (hls4ml would silently build another strategy: Latency for an unknown name, Resource for
    Resource_Unrolled on an io_parallel convolution)."""
    if not isinstance(strategy, str):
        raise InvalidSettingType(f"layer {layer!r}: strategy must be text such as 'Latency', got {strategy!r}")
    s = canonical_strategy(strategy, layer)
    allowed = strategies_for(layer_type, io_type)
    if s not in allowed:
        raise InvalidSetting(f"layer {layer!r} ({layer_type}, {io_type}): strategy {s!r} is not built by hls4ml "
                             f"here; valid: {valid_list(allowed)}")
    return s


def accepted_reuse_factors(layer_type: str, n_in: int, n_out: int, strategy: str = "Resource",
                           io_type: str = "io_parallel") -> tuple[int, ...] | None:
    """The ReuseFactors hls4ml builds as given for this layer, or ``None`` when it builds any positive one.

    hls4ml 1.3 checks (and silently substitutes) a ReuseFactor only for Resource, Resource_Unrolled and
    distributed_arithmetic layers (``init_dense``/``init_conv*``/``init_lstm``): Latency keeps any value
    (``PIPELINE II=RF`` with ``ceil(n_in*n_out/RF)`` multipliers), so it gets ``None``. The others get
    :func:`template_reuse_factors`. A kernel-level ReuseFactor (the io_stream softmax, :func:`takes_reuse_factor`):
    ``None`` (hls4ml builds any positive one; :func:`kernel_reuse_factors` are the distinct ones). Other layers
    without multipliers: ``(1,)``.
    """
    lt = get_layer_type(layer_type)
    if lt is None or not lt.has_multipliers:
        return None if takes_reuse_factor(layer_type, io_type) else (1,)
    s = canonical_strategy(strategy)
    if s == "Latency":
        return None
    return template_reuse_factors(layer_type, n_in, n_out, s, io_type)


def closest_reuse_factor(valid, rf: int) -> int:
    """The ReuseFactor hls4ml substitutes for ``rf`` (``FPGABackend.get_closest_reuse_factor``: the nearest of the
    sorted ``valid``; the smaller one on a tie)."""
    valid = sorted(valid)
    pos = bisect.bisect_left(valid, rf)
    if pos == 0:
        return valid[0]
    if pos == len(valid):
        return valid[-1]
    before, after = valid[pos - 1], valid[pos]
    return after if after - rf < rf - before else before


def reuse_factor_message(layer: str, layer_type: str, n_in, n_out, strategy: str, rf: int, valid,
                         io_type: str = "io_parallel", field: str = "ReuseFactor") -> str:
    """The one message for a ReuseFactor hls4ml would not build as given: what hls4ml would do instead, the
    nearest valid values and all of them. ``field``: what the caller calls the setting (``ReuseFactor`` in a
    design or hls4ml config, ``reuse_factor`` in the estimator's keywords)."""
    valid = tuple(valid)
    near = closest_reuse_factors(valid, rf)
    listing = valid_list(valid) if len(valid) <= 24 else valid_list(valid[:12]) + ", ..."
    if strategy == "Resource_Unrolled" and rf == 1:
        extra = " (hls4ml would build Resource instead)"
    elif strategy == "distributed_arithmetic":
        extra = " (distributed_arithmetic needs ReuseFactor 1; hls4ml raises)"
    elif layer_type in ("Conv1D", "Conv2D") and io_type == "io_parallel" and strategy == "Resource" \
            and n_in is not None and rf > n_in and rf in valid_reuse_factors(n_in, n_out, strategy):
        extra = (f" (hls4ml's io_parallel conv Resource template asserts ReuseFactor <= filter taps x channels = "
                 f"{n_in}: the C simulation would abort)")
    else:
        extra = f" (hls4ml would silently use {closest_reuse_factor(valid, rf)})" if valid else ""
    return (f"layer {layer!r} ({layer_type} {n_in}x{n_out}, {strategy}): {field} {rf} is not valid"
            f"{extra}; closest valid: {valid_list(near) or 'none'}; all valid: {listing or 'none'}")


def check_setting(layer: str, layer_type: str, strategy, reuse_factor, n_in: int | None = None,
                  n_out: int | None = None, io_type: str = "io_parallel", backend: str = "Vivado",
                  field: str = "ReuseFactor", closest: bool = False) -> tuple[str, int]:
    """A layer's Strategy and ReuseFactor as hls4ml 1.3 builds them, or ``InvalidSetting`` saying why not.

    The one check of setting validity: the Design (``set``, ``set_all``, loading a file or an hls4ml config) and
    the estimator's raw inputs both call it. Per strategy, layer type, io type and backend (the Vivado, Vitis and
    VivadoAccelerator backends share these rules in hls4ml 1.3):

    - the strategy is one hls4ml builds for the layer type and io type (:func:`check_strategy`);
    - the ReuseFactor is a positive integer (:func:`as_reuse_factor`); 1 on a layer without multipliers, except where
      its kernel reads it (:func:`takes_reuse_factor`: the io_stream softmax builds any positive one);
    - Latency: any ReuseFactor (hls4ml does not check it; :func:`latency_note` says when it wastes multipliers);
    - Resource / Resource_Unrolled / distributed_arithmetic: one of :func:`accepted_reuse_factors` (hls4ml would
      silently substitute the closest, or build Resource, or raise, or abort in the conv template).

    ``n_in``/``n_out`` ``None``: the matrix rule is not checked (the sizes are unknown). ``closest=True``: a
    ReuseFactor outside the valid set becomes the one hls4ml would use (for ``Design.set_all(closest=True)``, which
    reports it) instead of raising. Returns ``(strategy, reuse_factor)`` in canonical form.
    """
    check_backend(backend, f"layer {layer!r}")
    check_io_type(io_type, f"layer {layer!r}")
    s = check_strategy(strategy, layer_type, io_type, layer)
    rf = as_reuse_factor(reuse_factor, layer, field)
    lt = get_layer_type(layer_type)
    if lt is None or not lt.has_multipliers:  # an unknown type has no strategy choice either (strategies_for)
        if rf != 1 and not takes_reuse_factor(layer_type, io_type):
            raise InvalidSetting(_fixed_at_one(layer, layer_type, lt, rf, io_type, field))
        return s, rf
    if n_in is None or n_out is None:
        return s, rf
    valid = accepted_reuse_factors(layer_type, n_in, n_out, s, io_type)
    if valid is None or rf in valid:
        return s, rf
    if closest and valid and not (s == "Resource_Unrolled" and rf == 1) and s != "distributed_arithmetic":
        return s, closest_reuse_factor(valid, rf)
    raise InvalidSetting(reuse_factor_message(layer, layer_type, n_in, n_out, s, rf, valid, io_type, field))


def _fixed_at_one(layer: str, layer_type: str, lt, rf: int, io_type: str, field: str) -> str:
    """The message for a ReuseFactor other than 1 on a layer whose kernel does not read it here."""
    if lt is not None and lt.kernel_reuse_io:
        where = ", ".join(lt.kernel_reuse_io)
        return (f"layer {layer!r} ({layer_type}, {io_type}): {field} {rf} is not valid: hls4ml's {io_type} "
                f"{layer_type} kernel does not read a ReuseFactor (nothing to share), so it is fixed at 1 here; "
                f"with {where} it sets the kernel's multipliers; valid: 1")
    return (f"layer {layer!r} ({layer_type}): {field} {rf} is not valid: it has no multipliers to share, so its "
            "ReuseFactor is fixed at 1 (set it on Dense/Conv layers); valid: 1")


def latency_note(layer: str, n_in: int, n_out: int, rf: int) -> str | None:
    """Why a Latency ReuseFactor hls4ml accepts may not be what you want, or ``None``.

    Latency builds ``PIPELINE II=RF`` with at most ``ceil(n_in*n_out/RF)`` multipliers: an RF that does not divide
    the ``n_in*n_out`` products leaves the last multiplier partly idle, and one above ``n_in*n_out`` only lengthens
    the interval (one multiplier already does all the work)."""
    total = n_in * n_out
    if rf > total:
        return (f"layer {layer!r}: Latency ReuseFactor {rf} is above its {total} products: hls4ml builds it (one "
                f"multiplier, initiation interval {rf}); ReuseFactor {total} gives the same hardware at a shorter "
                "interval")
    if total % rf:
        even = valid_reuse_factors(n_in, n_out, "Latency")
        return (f"layer {layer!r}: Latency ReuseFactor {rf} does not divide its {total} products: hls4ml builds "
                f"{-(-total // rf)} multipliers, the last one partly idle; values that divide evenly nearby: "
                f"{valid_list(closest_reuse_factors(even, rf))}")
    return None


def closest_reuse_factors(valid: "tuple[int, ...] | list[int]", rf: int, k: int = 2) -> list[int]:
    """The valid values nearest to ``rf`` (up to ``k`` below and ``k`` above), for error messages."""
    valid = sorted(valid)
    if not valid:
        return []
    pos = bisect.bisect_left(valid, rf)
    return valid[max(0, pos - k): pos + k]


def takes_parallelization_factor(layer_type: str) -> bool:
    """True for the convolutions hls4ml 1.3 gives a ParallelizationFactor (Conv1D/2D and their depthwise and
    separable kinds: ``init_conv1d/2d``, ``init_sepconv*``, ``init_depconv*``)."""
    lt = get_layer_type(layer_type)
    return lt is not None and lt.family in ("conv", "depthwise")


#: The io type whose convolutions read a ParallelizationFactor: hls4ml's io_parallel convolutions compute their
#: output pixels in partitions of PF pixels; its io_stream ones take one pixel at a time and ignore it.
PARALLELIZATION_IO_TYPE = "io_parallel"


@lru_cache(maxsize=256)
def valid_parallelization_factors(n_pixels: int) -> tuple[int, ...]:
    """The ParallelizationFactors hls4ml 1.3 builds for a convolution with ``n_pixels`` output pixels
    (``FPGABackend.get_valid_conv_partition_splits``: the divisors up to half of them, and all of them)."""
    n = int(n_pixels)
    return tuple(i for i in range(1, n // 2 + 1) if n % i == 0) + ((n,) if n > 1 else (1,) if n == 1 else ())


def conv_pixels(output_shape) -> int:
    """The output pixels hls4ml partitions for a convolution's ParallelizationFactor: the width of a 1-D one,
    height x width of a 2-D one (every axis of ``output_shape`` but the channels)."""
    return int(math.prod(int(x) for x in tuple(output_shape)[:-1])) if len(output_shape) > 1 else 1


def check_parallelization_factor(layer: str, value, n_pixels: int) -> int:
    """A convolution's ParallelizationFactor (output pixels an io_parallel convolution computes at once) as hls4ml
    1.3 builds it, or ``InvalidSetting``: hls4ml would print a warning and silently use the closest valid one."""
    pf = as_reuse_factor(value, layer, "ParallelizationFactor")
    valid = valid_parallelization_factors(n_pixels)
    if pf not in valid:
        raise InvalidSetting(
            f"layer {layer!r}: ParallelizationFactor {pf} is not valid for its {n_pixels} output pixels (hls4ml "
            f"would silently use {closest_reuse_factor(valid, pf)}); valid: a divisor of {n_pixels} up to "
            f"{n_pixels // 2}, or {n_pixels}: nearby {valid_list(closest_reuse_factors(valid, pf))}")
    return pf


def hls4ml_weight_position(kernel_shape: tuple) -> np.ndarray:
    """For each Keras kernel weight, its index in the flat weight array of an hls4ml Resource layer.

    Resource transposes the kernel so that the filter / output axis comes first (``ApplyResourceStrategy``).
    """
    kernel_shape = tuple(int(s) for s in kernel_shape)
    n = int(np.prod(kernel_shape))
    transposed = (kernel_shape[-1],) + kernel_shape[:-1]
    return np.moveaxis(np.arange(n).reshape(transposed), 0, -1)


def multiplier_of_weight(kernel_shape: tuple, reuse_factor: int) -> np.ndarray:
    """Which of the ``n_in*n_out/RF`` Resource-strategy multipliers processes each kernel weight."""
    n = int(np.prod(kernel_shape))
    rf = int(reuse_factor)
    if rf < 1 or n % rf:
        raise InvalidSetting(f"ReuseFactor {rf} does not divide the {n} kernel weights")
    return hls4ml_weight_position(kernel_shape) // rf
