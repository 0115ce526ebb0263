"""Exact, vectorised conversion between floats and the raw bits of an ``ap_fixed``/``ap_int`` stream word.

The AXI stream carries the two's-complement bits of the interface type; the PS has to produce them the way
Vivado HLS's ``ap_fixed`` conversion would (quantisation mode, then overflow mode). Everything here is numpy
integer/float arithmetic that is exact for widths up to 53 bits: ``x * 2**F`` is exact in float64, ``floor``
and ``v - floor(v)`` are exact, and the result is range-checked before it becomes an integer.
"""

from __future__ import annotations

import numpy as np

from ..precision import FixedType, parse_precision

__all__ = ["encode_fixed", "decode_fixed", "raw_dtype", "quantise_scaled", "MAX_EXACT_WIDTH"]

# float64 holds every integer up to 2**53 exactly; beyond it decode would round.
MAX_EXACT_WIDTH = 53


def raw_dtype(ftype: FixedType) -> np.dtype:
    """numpy dtype of one stream word of ``ftype`` (8, 16, 32 or 64 bits, signed or not)."""
    if ftype.width not in (8, 16, 32, 64):
        raise ValueError(
            f"stream word {ftype} is {ftype.width} bits wide; the AXI DMA moves 8, 16, 32 or 64-bit words "
            "(hls4ml rounds the interface width up to a multiple of 8: choose a width of 8, 16 or 32)"
        )
    return np.dtype(("i" if ftype.signed else "u") + str(ftype.width // 8))


def _raw_range(ftype: FixedType) -> tuple[float, float]:
    if ftype.signed:
        return -(2.0 ** (ftype.width - 1)), 2.0 ** (ftype.width - 1) - 1
    return 0.0, 2.0**ftype.width - 1


def quantise_scaled(v: np.ndarray, mode: str) -> np.ndarray:
    """Round the exact, already scaled values ``v`` to integers (as float64) the way ``mode`` says."""
    f = np.floor(v)
    if mode == "AP_TRN":
        return f
    with np.errstate(invalid="ignore"):
        r = v - f  # exact; in [0, 1); NaN for +-inf (those are overflows anyway)
    if mode == "AP_TRN_ZERO":
        up = (v < 0) & (r > 0)
    elif mode == "AP_RND":  # ties towards +inf
        up = r >= 0.5
    elif mode == "AP_RND_ZERO":  # ties towards zero
        up = (r > 0.5) | ((r == 0.5) & (v < 0))
    elif mode == "AP_RND_INF":  # ties away from zero
        up = (r > 0.5) | ((r == 0.5) & (v > 0))
    elif mode == "AP_RND_MIN_INF":  # ties towards -inf
        up = r > 0.5
    elif mode == "AP_RND_CONV":  # ties to even
        up = (r > 0.5) | ((r == 0.5) & (np.fmod(f, 2.0) != 0))
    else:  # parse_precision already rejects unknown modes
        raise ValueError(f"unknown quantisation mode {mode!r}")
    return np.where(up, f + 1.0, f)


def encode_fixed(values, ftype: "FixedType | str", *, what: str = "value") -> tuple[np.ndarray, int]:
    """Convert real numbers to the raw words of ``ftype``, exactly as an HLS ``ap_fixed`` cast would.

    Parameters
    ----------
    values : array_like of real numbers (any shape).
    ftype : the stream type, e.g. ``ap_fixed<16,6>`` or ``ap_fixed<16,6,AP_RND,AP_SAT>``.
    what : how errors name the values (e.g. ``"input"``).

    Returns
    -------
    raw : ndarray of ``raw_dtype(ftype)``, same shape, the two's-complement words.
    n_overflow : number of values outside the type's range after rounding (saturated, set to zero or
        wrapped, as the type's overflow mode says).

    Raises ``ValueError`` for NaN (an ``ap_fixed`` has no NaN), and for infinities with a wrapping type.
    """
    ftype = parse_precision(ftype)
    dtype = raw_dtype(ftype)
    if ftype.width > MAX_EXACT_WIDTH:
        raise ValueError(f"{ftype}: widths above {MAX_EXACT_WIDTH} bits cannot be converted exactly through float64")
    x = np.asarray(values, dtype=np.float64)
    nan = np.isnan(x)
    if nan.any():
        first = np.unravel_index(int(np.argmax(nan)), x.shape) if x.ndim else ()
        raise ValueError(
            f"{int(nan.sum())} {what} value(s) are NaN (first at index {tuple(int(i) for i in first)}); "
            f"{ftype} has no NaN: clean the data first"
        )
    with np.errstate(over="ignore"):  # |x| near 1e308: inf, handled per overflow mode below
        v = np.ldexp(x, ftype.fractional)
    # ap_int/ap_uint from a double truncate towards zero like a C cast (ap_fixed's default truncates down)
    q = quantise_scaled(v, "AP_TRN_ZERO" if ftype.is_int else ftype.rounding)
    lo, hi = _raw_range(ftype)
    over = (q < lo) | (q > hi)
    n_over = int(over.sum())
    sat = ftype.saturation
    if getattr(ftype, "saturation_bits", 0):
        raise ValueError(f"{ftype}: saturation bits in AP_WRAP mode are not modelled by the board's fixed-point "
                         "code; convert with ap_fixed<W,I,Q,AP_WRAP> or AP_SAT")
    if sat == "AP_WRAP":
        if np.isinf(x).any():
            raise ValueError(
                f"{what} contains infinities, which {ftype} (AP_WRAP) cannot wrap; use AP_SAT or clean the data"
            )
        # a finite value whose scaled word exceeds float64's range (|x| near 1e308) is a multiple of 2**width: it
        # wraps to 0, as ap_fixed's assignment from that double does
        q = np.where(np.isinf(q), 0.0, q)
        m = 2.0**ftype.width
        q = np.mod(q, m)  # exact: integer-valued float64 below 2**53
        if ftype.signed:
            q = np.where(q > hi, q - m, q)
    elif sat == "AP_SAT":
        q = np.clip(q, lo, hi)
    elif sat == "AP_SAT_ZERO":
        q = np.where(over, 0.0, q)
    elif sat == "AP_SAT_SYM":
        if ftype.signed:
            # the most negative code is not used: the range is symmetric, -max .. max
            over = (q < -hi) | (q > hi)
            n_over = int(over.sum())
            q = np.clip(q, -hi, hi)
        else:
            q = np.clip(q, lo, hi)
    else:
        raise ValueError(f"unknown overflow mode {sat!r}")
    return q.astype(np.int64).astype(dtype), n_over


def decode_fixed(raw, ftype: "FixedType | str") -> np.ndarray:
    """Real values (float64, exact) of the raw words ``raw`` of type ``ftype``. Returns a new array."""
    ftype = parse_precision(ftype)
    dtype = raw_dtype(ftype)
    r = np.asarray(raw)
    if r.dtype != dtype:
        # reinterpret words of the right width (e.g. uint16 from a DMA buffer) as the signedness of the type
        if r.dtype.itemsize != dtype.itemsize or r.dtype.kind not in "iu":
            raise ValueError(f"raw words of {ftype} must be {dtype} (or same-width integers); got {r.dtype}")
        r = r.view(dtype)
    return np.ldexp(r.astype(np.float64), -ftype.fractional)
