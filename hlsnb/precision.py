"""HLS fixed-point types: parse and format ``ap_fixed<W,I,Q,O>`` / ``ap_int<W>`` strings.

Pure Python (no hls4ml import), so the estimator and the widgets can validate precisions cheaply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import InvalidSetting

__all__ = ["FixedType", "parse_precision", "ROUNDING_MODES", "SATURATION_MODES"]

ROUNDING_MODES = ("AP_TRN", "AP_TRN_ZERO", "AP_RND", "AP_RND_ZERO", "AP_RND_INF", "AP_RND_MIN_INF", "AP_RND_CONV")
SATURATION_MODES = ("AP_WRAP", "AP_SAT", "AP_SAT_ZERO", "AP_SAT_SYM")

_FIXED = re.compile(
    r"^\s*(ap_)?(u?)fixed\s*<\s*(\d+)\s*,\s*(-?\d+)\s*"  # [ap_][u]fixed<W, I
    r"(?:,\s*(\w+)\s*)?(?:,\s*(\w+)\s*)?(?:,\s*(\d+)\s*)?>\s*$",  # [, rounding][, saturation][, sat. bits]>
    re.ASCII,  # \d is 0-9 only: other scripts' digits are not C++ template arguments
)
_INT = re.compile(r"^\s*(ap_)?(u?)int\s*<\s*(\d+)\s*>\s*$", re.ASCII)

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
    An ``ap_int<W>`` is ``FixedType(W, W)``.
    """

    width: int
    integer: int
    signed: bool = True
    rounding: str = "AP_TRN"
    saturation: str = "AP_WRAP"
    is_int: bool = False

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
        if self.rounding != "AP_TRN" or self.saturation != "AP_WRAP":
            extra = f",{self.rounding},{self.saturation}"
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
        return text
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
        return FixedType(width, integer, signed=(u == ""), rounding=rounding, saturation=saturation)
    m = _INT.match(text)
    if m:
        _, u, w = m.groups()
        width = int(w)
        if width < 1 or width > 1024:
            raise InvalidSetting(f"precision {text!r}: width must be 1..1024 bits")
        return FixedType(width, width, signed=(u == ""), is_int=True)
    raise InvalidSetting(f"precision {text!r} is not an HLS fixed-point type; valid examples: {_EXAMPLES}")
