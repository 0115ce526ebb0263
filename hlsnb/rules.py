"""hls4ml's design rules, in pure Python: strategies per layer type, valid ReuseFactors, the unroll limit.

These mirror hls4ml 1.3's Vivado/Vitis backends (``FPGABackend._validate_reuse_factor``, ``init_dense``,
``init_conv1d/2d``); ``tests/test_rules.py`` checks them against hls4ml's own functions. They live here, without an
hls4ml import, so the estimator and the widgets can ask them thousands of times a second. Which layer types have
multipliers and which strategies hls4ml builds for each is data in the layer-type registry (:mod:`hlsnb.layer_types`).
"""

from __future__ import annotations

import bisect
from functools import lru_cache

import numpy as np

from .errors import InvalidSetting
from .layer_types import STRATEGIES, get_layer_type, mult_layer_types

__all__ = [
    "STRATEGIES",
    "STRATEGY_ALIASES",
    "UNROLL_LIMIT",
    "MULT_LAYER_TYPES",  # noqa: F822  (served live from the registry by the module __getattr__ below)
    "canonical_strategy",
    "strategies_for",
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

#: The HLS tools hls4ml's backends drive.
TOOLS = ("vivado_hls", "vitis_hls")
#: The tool each backend drives: Vivado and VivadoAccelerator run Vivado HLS, Vitis runs Vitis HLS.
TOOL_OF_BACKEND = {"Vivado": "vivado_hls", "VivadoAccelerator": "vivado_hls", "Vitis": "vitis_hls"}
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
        raise InvalidSetting(f"{pre}tool {tool!r} is not valid; valid: {', '.join(TOOLS)}")
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
    - Latency: hls4ml does not check, but an RF that does not divide the work evenly only wastes multipliers;
      we offer the same set as Resource so that what you pick is what the hardware does.
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
    """True if hls4ml keeps ReuseFactor ``rf`` as given (see :func:`valid_reuse_factors`)."""
    return int(rf) in valid_reuse_factors(n_in, n_out, strategy)


def closest_reuse_factors(valid: "tuple[int, ...] | list[int]", rf: int, k: int = 2) -> list[int]:
    """The valid values nearest to ``rf`` (up to ``k`` below and ``k`` above), for error messages."""
    valid = sorted(valid)
    if not valid:
        return []
    pos = bisect.bisect_left(valid, rf)
    return valid[max(0, pos - k): pos + k]


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
