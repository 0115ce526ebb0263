"""HLS fixed-point types: parse and format ``ap_fixed<W,I,Q,O>`` / ``ap_int<W>`` strings.

Pure Python (no hls4ml import), so the estimator, the widgets and the board can validate precisions cheaply. The
conversion to and from hls4ml's own type objects is :func:`hlsnb.design.to_hls4ml_precision` /
:func:`hlsnb.design.from_hls4ml_precision` (the design floor may import hls4ml).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import InvalidSetting

__all__ = ["FixedType", "parse_precision", "ROUNDING_MODES", "SATURATION_MODES", "as_hls4ml_writes"]

ROUNDING_MODES = ("AP_TRN", "AP_TRN_ZERO", "AP_RND", "AP_RND_ZERO", "AP_RND_INF", "AP_RND_MIN_INF", "AP_RND_CONV")
SATURATION_MODES = ("AP_WRAP", "AP_SAT", "AP_SAT_ZERO", "AP_SAT_SYM")

_FIXED = re.compile(
    r"^\s*(ap_)?(u?)fixed\s*<\s*(\d+)\s*,\s*(-?\d+)\s*"  # [ap_][u]fixed<W, I
    r"(?:,\s*(\w+)\s*)?(?:,\s*(\w+)\s*)?(?:,\s*(\d+)\s*)?>\s*$",  # [, rounding][, saturation][, sat. bits]>
    re.ASCII,  # \d is 0-9 only: other scripts' digits are not C++ template arguments
)
_INT = re.compile(r"^\s*(ap_)?(u?)int\s*<\s*(\d+)\s*>\s*$", re.ASCII)
_INT_EXTRA = re.compile(r"^\s*(ap_)?(u?)int\s*<\s*\d+\s*,[^>]*>\s*$", re.ASCII)
# hls4ml types that are no ap_fixed / ap_int: floats, ac_ types, exponent/xnor spellings
_OTHER = re.compile(r"^\s*(float|double|half|bfloat16|ap_float|ac_|std_float|exponent|xnor)", re.ASCII | re.I)

_EXAMPLES = "ap_fixed<16,6>, ap_ufixed<8,0>, ap_fixed<18,8,AP_RND,AP_SAT>, ap_int<8>, ap_uint<4>"


def _norm_mode(mode: str | None, allowed: tuple[str, ...], default: str, what: str, text: str) -> str:
    if mode is None:
        return default
    m = mode.upper()
    if not m.startswith("AP_"):
        m = "AP_" + m
    if m not in allowed:
        raise InvalidSetting(f"precision {text!r}: unknown {what} mode {mode!r}; valid: {', '.join(allowed)}")
    return m


@dataclass(frozen=True)
class FixedType:
    """An arbitrary-precision fixed-point type as Vivado/Vitis HLS knows it.

    ``width`` is the total number of bits, ``integer`` the integer bits (sign included when signed).
    ``rounding`` / ``saturation``: the quantisation and overflow modes; ``saturation_bits``: ``ap_fixed``'s fifth
    field N (bits saturated on overflow in ``AP_WRAP`` mode, 0 by default). An ``ap_int<W>`` is
    ``FixedType(W, W, is_int=True)``. Every field of the text is kept: ``str(parse_precision(t))`` is ``t`` in
    canonical form (``ap_`` names, defaults left out), never another type.
    """

    width: int
    integer: int
    signed: bool = True
    rounding: str = "AP_TRN"
    saturation: str = "AP_WRAP"
    is_int: bool = False
    saturation_bits: int = 0

    @property
    def fractional(self) -> int:
        """Number of fractional bits (may be negative)."""
        return self.width - self.integer

    @property
    def lsb(self) -> float:
        """Value of the least significant bit."""
        return 2.0 ** (-self.fractional)

    @property
    def min_value(self) -> float:
        return -(2.0 ** (self.integer - 1)) if self.signed else 0.0

    @property
    def max_value(self) -> float:
        top = 2.0 ** (self.integer - 1) if self.signed else 2.0**self.integer
        return top - self.lsb

    def __str__(self) -> str:
        u = "" if self.signed else "u"
        if self.is_int:
            return f"ap_{u}int<{self.width}>"
        extra = ""
        if self.rounding != "AP_TRN" or self.saturation != "AP_WRAP" or self.saturation_bits:
            extra = f",{self.rounding},{self.saturation}"
        if self.saturation_bits:
            extra += f",{self.saturation_bits}"
        return f"ap_{u}fixed<{self.width},{self.integer}{extra}>"

    def to_hls4ml(self) -> str:
        """The string hls4ml's config accepts (it understands the ``ap_`` names)."""
        return str(self)


def parse_precision(text: "str | FixedType") -> FixedType:
    """Parse an HLS type string such as ``ap_fixed<16,6>`` into a :class:`FixedType`.

    Accepts hls4ml's short spellings (``fixed<16,6>``, ``ufixed<8,0,RND,SAT>``, ``int<8>``) too.
    Raises ``InvalidSetting`` (a ``ValueError``) naming the string and giving valid examples.
    """
    if isinstance(text, FixedType):
        return parse_precision(str(text)) if text.saturation_bits else text
    if not isinstance(text, str):
        raise InvalidSetting(f"precision must be a string; got {text!r}; valid examples: {_EXAMPLES}")
    m = _FIXED.match(text)
    if m:
        _, u, w, i, q, o, _n = m.groups()
        width, integer = int(w), int(i)
        if width < 1 or width > 1024:
            raise InvalidSetting(f"precision {text!r}: width must be 1..1024 bits")
        if abs(integer) > 1024:
            raise InvalidSetting(f"precision {text!r}: integer bits must be -1024..1024 (the binary point at most "
                                 "1024 bits from the word)")
        if _n is not None and int(_n) > width:
            raise InvalidSetting(f"precision {text!r}: saturation bits must be 0..{width} (at most the width)")
        rounding = _norm_mode(q, ROUNDING_MODES, "AP_TRN", "rounding", text)
        saturation = _norm_mode(o, SATURATION_MODES, "AP_WRAP", "saturation", text)
        n_bits = int(_n) if _n is not None else 0
        if n_bits and saturation != "AP_WRAP":
            raise InvalidSetting(f"precision {text!r}: saturation bits ({n_bits}) count only in AP_WRAP mode (Vivado "
                                 f"HLS ignores them with {saturation}); give 0, or AP_WRAP")
        return FixedType(width, integer, signed=(u == ""), rounding=rounding, saturation=saturation,
                         saturation_bits=n_bits)
    m = _INT_EXTRA.match(text)
    if m:
        raise InvalidSetting(f"precision {text!r}: ap_int / ap_uint take one field, the width (hls4ml drops the "
                             "others); for rounding or overflow modes use ap_fixed<W,W,...>")
    m = _INT.match(text)
    if m:
        _, u, w = m.groups()
        width = int(w)
        if width < 1 or width > 1024:
            raise InvalidSetting(f"precision {text!r}: width must be 1..1024 bits")
        return FixedType(width, width, signed=(u == ""), is_int=True)
    if _OTHER.match(text):
        raise InvalidSetting(f"precision {text!r} is not an HLS fixed-point type: hls4ml has it, but hlsnb models "
                             "ap_fixed / ap_ufixed / "
                             f"ap_int / ap_uint arithmetic only (the estimator, the board's fixed-point code); "
                             f"valid examples: {_EXAMPLES}")
    raise InvalidSetting(f"precision {text!r} is not an HLS fixed-point type; valid examples: {_EXAMPLES}")


def as_hls4ml_writes(values, fractional: int):
    """``values`` (a numpy array of float64) as hls4ml writes weights and biases into its firmware: printed with as
    many decimals as the type has ``fractional`` bits (``WeightVariable.precision_fmt``; the C simulation reads the
    same text), before the C++ cast into the type. 0.999999 for ``ap_fixed<6,1>`` is written 1.00000."""
    import numpy as np

    v = np.asarray(values, dtype=np.float64)
    return np.round(v, min(fractional, 17)) if fractional > 0 else v
