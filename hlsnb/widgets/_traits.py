"""Trait types for the domain values the views hold (the way ipywidgets' ``trait_types.Color`` holds a colour)."""

from __future__ import annotations

import traitlets

from ..precision import parse_precision

__all__ = ["Precision"]


class Precision(traitlets.Unicode):
    """An HLS fixed-point type such as ``ap_fixed<16,6>``, validated once by :func:`hlsnb.precision.parse_precision`.

    The value is stored in the normalised spelling the Design uses (``fixed<8,3>`` becomes ``ap_fixed<8,3>``), so a
    view compares it with the design's value as a string.

    Parameters
    ----------
    allow_auto : bool
        Also accept ``"auto"`` (hls4ml infers the type), as the Design does for layer precisions.
    allow_empty : bool
        Also accept ``""``, meaning "no precision given" (e.g. "leave the layers' precisions as they are").
    """

    info_text = "an HLS fixed-point type such as ap_fixed<16,6>"
    default_value = traitlets.Undefined

    def __init__(self, default_value=traitlets.Undefined, *, allow_auto: bool = False, allow_empty: bool = False,
                 **kwargs):
        self.allow_auto = allow_auto
        self.allow_empty = allow_empty
        if allow_auto:
            self.info_text = "an HLS fixed-point type such as ap_fixed<16,6>, or 'auto'"
        super().__init__(default_value, **kwargs)

    def validate(self, obj, value):
        if value is None and self.allow_none:
            return value
        if not isinstance(value, str):
            self.error(obj, value)
        text = value.strip()
        if self.allow_empty and not text:
            return ""
        if self.allow_auto and text.lower() == "auto":
            return "auto"
        try:
            return str(parse_precision(text))
        except ValueError as e:  # parse_precision's message names the problem and gives valid examples
            raise traitlets.TraitError(str(e)) from None
