"""Pruning masks on Keras 3 layers, and keeping them enforced while the model trains.

A mask is a 0/1 array shaped like a layer's kernel (and, for structured pruning, its bias). Masked weights are
set to exactly zero (or, with ``values``, held at those constants: ``prune(..., shift_add=True)`` rounds a weight
to a shift-and-add constant instead of zeroing it), and :func:`enforce_masks` keeps them there during
``model.fit``: it installs a Keras variable constraint, which Keras 3's optimizer applies right after every
gradient update (inside the compiled train step, so it costs no Python call per batch). Adam's moment estimates
would otherwise move a masked weight off its value again even though its gradient is masked. The constraint
composes with any constraint the layer had, and is removed again afterwards so the returned model serialises
without hlsnb.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np

__all__ = ["LayerMask", "apply_masks", "enforce_masks", "mask_violations", "MaskConstraint"]


@dataclass
class LayerMask:
    """Keep-mask of one layer: ``kernel`` (same shape as the kernel), ``bias`` (or None: biases untouched) and
    ``values`` (or None: zero), the constants the masked kernel weights are held at."""

    kernel: np.ndarray
    bias: np.ndarray | None = None
    values: np.ndarray | None = None

    def held(self) -> np.ndarray:
        """The kernel's masked part: ``values`` where the mask is 0, else 0."""
        v = np.zeros_like(self.kernel) if self.values is None else np.asarray(self.values, dtype=self.kernel.dtype)
        return v * (1 - self.kernel)

    @property
    def sparsity(self) -> float:
        return float(1.0 - self.kernel.mean()) if self.kernel.size else 0.0

    def __and__(self, other: "LayerMask") -> "LayerMask":
        b = None
        if self.bias is not None or other.bias is not None:
            one = np.ones_like(self.bias if self.bias is not None else other.bias)
            b = (self.bias if self.bias is not None else one) * (other.bias if other.bias is not None else one)
        v = None
        if self.values is not None or other.values is not None:  # a weight held by either mask keeps that value
            v = np.where(self.kernel == 0, self.held(), other.held())
        return LayerMask(self.kernel * other.kernel, b, v)


class MaskConstraint:
    """Keras constraint ``w -> previous(w) * mask + held``; ``mask`` and ``held`` (the masked weights' constants,
    or None for zeros) are constants of the variable's dtype."""

    def __init__(self, mask: np.ndarray, previous=None, held: np.ndarray | None = None):
        self.mask = np.asarray(mask, dtype=np.float32)
        self.previous = previous
        self.held = None if held is None or not np.any(held) else np.asarray(held, dtype=np.float32)

    def __call__(self, w):
        from keras import ops

        if self.previous is not None:
            w = self.previous(w)
        w = ops.multiply(w, ops.cast(self.mask, w.dtype))
        return w if self.held is None else ops.add(w, ops.cast(self.held, w.dtype))

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
        k.assign(np.asarray(k.numpy()) * m.kernel.astype(k.dtype) + m.held().astype(k.dtype))
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
            for var, mask, held in ((layer.kernel, m.kernel, m.held()), (getattr(layer, "bias", None), m.bias, None)):
                if var is None or mask is None:
                    continue
                saved.append((var, var.constraint))
                var.constraint = MaskConstraint(mask, var.constraint, held)
        yield
    finally:
        for var, old in saved:
            var.constraint = old
        apply_masks(model, masks)  # exact zeros even if training was interrupted


def mask_violations(model, masks: dict) -> dict:
    """Layer name -> number of masked weights that are not exactly zero (or their held value; empty dict: all
    masks hold)."""
    out = {}
    for name, m in masks.items():
        layer = _layer(model, name)
        k = np.asarray(layer.kernel.numpy())
        bad = int(np.count_nonzero((k - m.held().astype(k.dtype))[m.kernel == 0]))
        if m.bias is not None and getattr(layer, "bias", None) is not None:
            bad += int(np.count_nonzero(np.asarray(layer.bias.numpy())[m.bias == 0]))
        if bad:
            out[name] = bad
    return out
