"""Pruning masks on Keras 3 layers, and keeping them enforced while the model trains.

A mask is a 0/1 array shaped like a layer's kernel (and, for structured pruning, its bias). Masked weights are
set to exactly zero, and :func:`enforce_masks` keeps them at zero during ``model.fit``: it installs a Keras
variable constraint, which Keras 3's optimizer applies right after every gradient update (inside the compiled
train step, so it costs no Python call per batch). Adam's moment estimates would otherwise move a zeroed weight
off zero again even though its gradient is masked. The constraint composes with any constraint the layer had,
and is removed again afterwards so the returned model serialises without hlsnb.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np

__all__ = ["LayerMask", "apply_masks", "enforce_masks", "mask_violations", "MaskConstraint"]


@dataclass
class LayerMask:
    """Keep-mask of one layer: ``kernel`` (same shape as the kernel), ``bias`` (or None: biases untouched)."""

    kernel: np.ndarray
    bias: np.ndarray | None = None

    @property
    def sparsity(self) -> float:
        return float(1.0 - self.kernel.mean()) if self.kernel.size else 0.0

    def __and__(self, other: "LayerMask") -> "LayerMask":
        b = None
        if self.bias is not None or other.bias is not None:
            one = np.ones_like(self.bias if self.bias is not None else other.bias)
            b = (self.bias if self.bias is not None else one) * (other.bias if other.bias is not None else one)
        return LayerMask(self.kernel * other.kernel, b)


class MaskConstraint:
    """Keras constraint ``w -> previous(w) * mask``; ``mask`` is a constant of the variable's dtype."""

    def __init__(self, mask: np.ndarray, previous=None):
        self.mask = np.asarray(mask, dtype=np.float32)
        self.previous = previous

    def __call__(self, w):
        from keras import ops

        if self.previous is not None:
            w = self.previous(w)
        return ops.multiply(w, ops.cast(self.mask, w.dtype))

    def get_config(self) -> dict:  # never serialised: enforce_masks removes it again
        return {}


def _layer(model, name):
    try:
        return model.get_layer(name)
    except ValueError:
        raise ValueError(f"no layer {name!r} in the Keras model; layers: {[l.name for l in model.layers]}") from None


def apply_masks(model, masks: dict) -> None:
    """Multiply each named layer's kernel (and bias, where masked) by its mask, in place."""
    for name, m in masks.items():
        layer = _layer(model, name)
        k = layer.kernel
        if tuple(k.shape) != m.kernel.shape:
            raise ValueError(f"layer {name!r}: mask shape {m.kernel.shape} != kernel shape {tuple(k.shape)}")
        k.assign(np.asarray(k.numpy()) * m.kernel.astype(k.dtype))
        if m.bias is not None and getattr(layer, "bias", None) is not None:
            layer.bias.assign(np.asarray(layer.bias.numpy()) * m.bias.astype(layer.bias.dtype))


@contextlib.contextmanager
def enforce_masks(model, masks: dict):
    """Inside the ``with`` block, every optimizer step keeps masked weights at exactly zero.

    Masks are applied on entry. Compile the model (or re-compile it) inside the block, or at least call ``fit``
    there: the constraint is read when Keras traces the train step.
    """
    apply_masks(model, masks)
    saved = []
    try:
        for name, m in masks.items():
            layer = _layer(model, name)
            for var, mask in ((layer.kernel, m.kernel), (getattr(layer, "bias", None), m.bias)):
                if var is None or mask is None:
                    continue
                saved.append((var, var.constraint))
                var.constraint = MaskConstraint(mask, var.constraint)
        yield
    finally:
        for var, old in saved:
            var.constraint = old
        apply_masks(model, masks)  # exact zeros even if training was interrupted


def mask_violations(model, masks: dict) -> dict:
    """Layer name -> number of masked weights that are not exactly zero (empty dict: all masks hold)."""
    out = {}
    for name, m in masks.items():
        layer = _layer(model, name)
        bad = int(np.count_nonzero(np.asarray(layer.kernel.numpy())[m.kernel == 0]))
        if m.bias is not None and getattr(layer, "bias", None) is not None:
            bad += int(np.count_nonzero(np.asarray(layer.bias.numpy())[m.bias == 0]))
        if bad:
            out[name] = bad
    return out
