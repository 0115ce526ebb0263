"""``hls4ml.optimization.dsp_aware_pruning.keras.masking``: ``get_model_masks`` on Keras 3.

``get_model_masks(model, model_attributes, sparsity, objective, metric='l1', local=False, gradients=None,
hessians=None, knapsack_solver='CBC_MIP') -> (masks, offsets)``: per optimizable layer a 0/1 mask of the kernel's
shape and an offset (the value a weight-shared structure is set to; zero for pruned ones), as hls4ml returns them.

Like hls4ml: the structures are the layer's ``optimization_attributes`` (the groups come from
:func:`hlsnb.prune.structure_groups`, the same multiplier patterns hls4ml's Resource template reads); each group's
value is its norm (``l1``/``l2``), ``oracle`` |w * dL/dw| or ``saliency`` w^2 * d2L/dw2 summed over the group, its
cost the objective's ``layer_savings``; a knapsack keeps the most valuable groups within ``(1 - sparsity)`` of the
objective's ``layer_resources`` -- per layer (``local``) or over the model with values scaled by each layer's largest
(global). Weight sharing (a structure set to its mean, ranked by its variance) applies to every structure but single
weights, as in hls4ml.
"""

from __future__ import annotations

import numpy as np

from hlsnb.prune.structures import structure_groups

from ..config import SUPPORTED_STRUCTURES
from ..knapsack import solve_knapsack
from .config import SUPPORTED_LAYERS, SUPPORTED_METRICS

__all__ = ["get_model_masks"]


def _groups(layer, la):
    oa = la.optimization_attributes
    return structure_groups(tuple(layer.kernel.shape), oa.structure_type,
                            pattern_offset=oa.pattern_offset if oa.structure_type == SUPPORTED_STRUCTURES.PATTERN
                            else None, consecutive_patterns=oa.consecutive_patterns, block_shape=oa.block_shape,
                            layer=layer.name)


def _values(layer, la, groups, n, metric, gradients, hessians):
    w = np.asarray(layer.kernel.numpy(), dtype=np.float64)
    if metric == "oracle":
        contrib, power = np.abs(w * np.asarray(gradients[layer.name])), 1
    elif metric == "saliency":
        contrib, power = np.abs(w * w * np.asarray(hessians[layer.name])), 1
    else:
        contrib, power = np.abs(w) ** (1 if metric == "l1" else 2), (1 if metric == "l1" else 2)
    v = np.bincount(groups.ravel(), weights=contrib.ravel(), minlength=n) ** (1.0 / power)
    oa = la.optimization_attributes
    sharing = np.zeros(n, dtype=bool)
    mean = np.zeros(n)
    if oa.weight_sharing and oa.structure_type != SUPPORTED_STRUCTURES.UNSTRUCTURED:
        count = np.bincount(groups.ravel(), minlength=n)
        mean = np.bincount(groups.ravel(), weights=w.ravel(), minlength=n) / count
        var = np.maximum(np.bincount(groups.ravel(), weights=(w * w).ravel(), minlength=n) / count - mean ** 2, 0)
        # as hls4ml: a group is shared (set to its mean) when its spread is below its norm, or always without pruning
        sharing = var < v if oa.pruning else np.ones(n, dtype=bool)
        v = np.where(sharing, var, v)
    return v, sharing, mean


def get_model_masks(keras_model, model_attributes, sparsity, objective, metric="l1", local=False, gradients=None,
                    hessians=None, knapsack_solver="CBC_MIP"):
    """Masks and offsets for every optimizable layer; see the module docstring."""
    if metric not in SUPPORTED_METRICS:
        raise ValueError(f"unknown ranking metric {metric!r}; valid: {', '.join(SUPPORTED_METRICS)}")
    if metric == "oracle" and not gradients:
        raise ValueError("the 'oracle' ranking needs the loss gradients of the kernels (gradients={name: array})")
    if metric == "saliency" and not hessians:
        raise ValueError("the 'saliency' ranking needs second derivatives (hessians={name: array})")
    items = []  # (layer, groups, values, sharing, savings, resources)
    for layer in keras_model.layers:
        la = model_attributes.get(layer.name)
        if not isinstance(layer, SUPPORTED_LAYERS) or la is None or not la.optimizable:
            continue
        groups, n = _groups(layer, la)
        values, sharing, mean = _values(layer, la, groups, n, metric, gradients, hessians)
        items.append((layer, groups, values, (sharing, mean), np.asarray(objective.layer_savings(la)),
                      np.asarray(objective.layer_resources(la))))
    if local:
        selections = [_select(values, [savings] * len(values), resources, sparsity, knapsack_solver)
                      for _, _, values, _, savings, resources in items]
    else:
        values = np.concatenate([v / (v.max() if v.size and v.max() > 0 else 1.0) for _, _, v, *_ in items] or [[]])
        costs = [s for _, _, v, _, s, _ in items for _ in range(len(v))]
        total = np.sum([r for *_, r in items], axis=0) if items else np.zeros(1)
        keep = _select(values, costs, total, sparsity, knapsack_solver)
        bounds = np.cumsum([0] + [len(v) for _, _, v, *_ in items])
        selections = [keep[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
    masks, offsets = {}, {}
    for (layer, groups, _, sharing, _, _), keep in zip(items, selections):
        w = np.asarray(layer.kernel.numpy())
        kept = keep[groups]
        masks[layer.name] = kept.astype(w.dtype)
        shared, mean = sharing
        offsets[layer.name] = np.where(shared[groups] & ~kept, mean[groups], 0).astype(w.dtype)
    return masks, offsets


def _select(values, costs, resources, sparsity, solver):
    """Bool per group: kept within ``(1 - sparsity) * resources`` (groups that save nothing are always kept)."""
    values = np.asarray(values, dtype=np.float64)
    keep = np.zeros(values.size, dtype=bool)
    if values.size == 0:
        return keep
    costs = np.asarray(costs).reshape(values.size, -1).T.astype(np.int64)
    capacity = ((1 - sparsity) * np.atleast_1d(resources)).astype(np.int64)
    free = np.all(costs == 0, axis=0)
    keep[free] = True
    idx = np.flatnonzero(~free)
    if idx.size:
        _, selected = solve_knapsack(values[idx], costs[:, idx], capacity, implementation=solver)
        keep[idx[np.asarray(selected, dtype=int)]] = True
    return keep
