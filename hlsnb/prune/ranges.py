"""Range check of a (pruned) Keras model against its Design's fixed-point types, before pruning says "done".

Pruning and fine-tuning can grow a layer's pre-activation outputs (fewer, larger weights): measured on the digits
MLP, logits reached +-64 after a polynomial schedule while ``ap_fixed<16,6>`` holds +-32, and the C simulation,
which wraps (``AP_WRAP``), fell from 97 % to 59 % while Keras kept 97 %. This module runs the Keras model on data
and compares every Dense/Conv layer's pre-activation output with the range of its ``result`` and ``accum``
precision, so the overflow is named with its layer and a type that holds it, without a C compile.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..precision import parse_precision

__all__ = ["Overflow", "find_overflows"]


@dataclass(frozen=True)
class Overflow:
    """A layer whose values leave its fixed-point type on the given data."""

    layer: str
    fields: tuple  # the settings whose type overflows: "accum_precision" and/or "result_precision"
    precision: str  # the narrowest of those types now
    max_abs: float  # largest |value| seen (pre-activation)
    fraction: float  # share of the values outside that type's range
    suggested: str  # same fractional bits, enough integer bits (+1 of headroom)

    def fix(self) -> str:
        """The Design call that fixes it."""
        args = ", ".join(f'{f}="{self.suggested}"' for f in self.fields)
        return f'design.set("{self.layer}", {args})'

    def __str__(self) -> str:
        return (f"layer {self.layer!r}: values up to {self.max_abs:.3g} leave its type {self.precision} "
                f"({100 * self.fraction:.2g} % of them; the C simulation wraps); fix: {self.fix()}")


def _suggest(t, max_abs: float) -> str:
    integer = max(t.integer, int(math.ceil(math.log2(max_abs + t.lsb))) + (2 if t.signed else 1))
    return str(type(t)(t.width + integer - t.integer, integer, t.signed, t.rounding, t.saturation, False))


def _pre_activations(model, names, X):
    """Pre-activation outputs of the named layers (their activation temporarily linear), computed in float."""
    import keras

    layers = [model.get_layer(n) for n in names]
    probe = keras.Model(model.inputs, [layer.input for layer in layers])
    inputs = probe.predict(np.asarray(X, dtype=np.float32), batch_size=4096, verbose=0)
    if len(layers) == 1:
        inputs = [inputs]
    out = {}
    for layer, x in zip(layers, inputs):
        act = getattr(layer, "activation", None)
        try:
            if act is not None:
                layer.activation = keras.activations.linear
            out[layer.name] = np.asarray(layer(x))
        finally:
            if act is not None:
                layer.activation = act
    return out


def find_overflows(model, design, X) -> list[Overflow]:
    """Every Dense/Conv layer of ``design`` whose pre-activation values on ``X`` leave its result or accumulator
    type (saturating types are skipped: they clip instead of wrapping). ``model`` is the Keras model the design
    was made from (layer names as in the design)."""
    names = []
    for spec in design.layers:
        if not spec.is_mult_layer:
            continue
        try:
            model.get_layer(spec.name)
        except ValueError:  # a design layer hls4ml split off (its Keras layer has another name): nothing to trace
            continue
        names.append(spec.name)
    if not names or X is None or len(X) == 0:
        return []
    values = _pre_activations(model, names, X)
    found = []
    for name in names:
        spec = design.layer(name)
        v = values[name]
        bad = []
        for field in ("accum_precision", "result_precision"):
            text = getattr(spec, field, None)
            t = parse_precision(text) if text else None
            if t is not None and t.saturation == "AP_WRAP":
                outside = (v < t.min_value) | (v > t.max_value)
                if outside.any():
                    bad.append((field, t, float(outside.mean())))
        if bad:
            field_t = min(bad, key=lambda b: b[1].integer)
            m = float(np.max(np.abs(v)))
            found.append(Overflow(name, tuple(b[0] for b in bad), str(field_t[1]), m, field_t[2],
                                  _suggest(field_t[1], m)))
    return found
