"""What one pruning decision removes: the groups of kernel weights that go together.

Every structure type maps each Keras kernel weight to a group id; pruning a group zeroes all of its weights.

- ``unstructured``: every weight is its own group (Latency strategy: a zero constant weight removes its multiplier).
- ``structured``: every output neuron (Dense column) or filter (last kernel axis) is a group.
- ``pattern``: the weights one Resource-strategy multiplier processes over the ReuseFactor cycles. hls4ml's
  ``ApplyResourceStrategy`` pass transposes the kernel (Dense ``(n_in, n_out) -> (n_out, n_in)``, Conv
  ``(..., C, F) -> (F, ..., C)``), and ``nnet_dense_resource.h`` has multiplier ``im`` read
  ``weights[ir + RF * im]`` in reuse cycle ``ir``: multiplier ``im`` owns the RF consecutive entries
  ``[im * RF, (im + 1) * RF)`` of that transposed, flattened array (the same word slice of the RF-deep weight ROM
  that ``ARRAY_RESHAPE block factor=n_in*n_out/RF`` builds). ``consecutive_patterns`` > 1 groups that many
  neighbouring multipliers (hls4ml's BRAM-aware variant).
- ``block``: ``block_shape`` tiles of a 2-D kernel.
"""

from __future__ import annotations

import numpy as np

from ..rules import hls4ml_weight_position, multiplier_of_weight  # the design rule lives in rules

__all__ = ["STRUCTURE_TYPES", "structure_groups", "hls4ml_weight_position", "multiplier_of_weight"]

STRUCTURE_TYPES = ("unstructured", "structured", "pattern", "block")


def structure_name(structure) -> str:
    """``"pattern"`` for the string, an Enum member (hls4ml's ``SUPPORTED_STRUCTURES.PATTERN``) or its value."""
    s = getattr(structure, "value", structure)
    s = str(s).strip().lower()
    if s not in STRUCTURE_TYPES:
        raise ValueError(f"unknown structure type {structure!r}; valid: {', '.join(STRUCTURE_TYPES)}")
    return s


def structure_groups(kernel_shape: tuple, structure, *, reuse_factor: int | None = None,
                     pattern_offset: int | None = None, consecutive_patterns: int = 1,
                     block_shape: tuple | None = None, layer: str = "?") -> tuple[np.ndarray, int]:
    """Group id (same shape as the kernel) and number of groups for one layer and structure type.

    Parameters
    ----------
    kernel_shape : the Keras kernel shape, ``(n_in, n_out)`` for Dense, ``(..., channels, filters)`` for Conv.
    structure : one of :data:`STRUCTURE_TYPES` (or hls4ml's enum member).
    reuse_factor / pattern_offset : for ``pattern``: the ReuseFactor, or hls4ml's ``pattern_offset`` (the number
        of multipliers, ``n_in*n_out/RF``); one of them is needed.
    consecutive_patterns : for ``pattern``: neighbouring multipliers pruned together.
    block_shape : for ``block``: ``(rows, columns)`` dividing the 2-D kernel.
    """
    s = structure_name(structure)
    shape = tuple(int(x) for x in kernel_shape)
    n = int(np.prod(shape)) if shape else 0
    if n == 0:
        raise ValueError(f"layer {layer!r}: no kernel weights to group")
    if s == "unstructured":
        return np.arange(n).reshape(shape), n
    if s == "structured":
        last = shape[-1]
        ids = np.broadcast_to(np.arange(last), shape).copy()
        return ids, last
    if s == "pattern":
        if pattern_offset is None and reuse_factor is None:
            raise ValueError(f"layer {layer!r}: pattern structure needs reuse_factor or pattern_offset")
        if pattern_offset is not None:
            p = int(pattern_offset)
            if p < 1 or n % p:
                raise ValueError(f"layer {layer!r}: pattern_offset {p} does not divide the {n} kernel weights")
            rf = n // p
        else:
            rf = int(reuse_factor)
            if rf < 1 or n % rf:
                raise ValueError(f"layer {layer!r}: ReuseFactor {rf} does not divide the {n} kernel weights")
            p = n // rf
        c = int(consecutive_patterns or 1)
        if c < 1 or p % c:
            raise ValueError(f"layer {layer!r}: consecutive_patterns {c} does not divide the {p} multipliers")
        return hls4ml_weight_position(shape) // (rf * c), p // c
    # block
    if len(shape) != 2:
        raise ValueError(f"layer {layer!r}: block structure needs a 2-D kernel, got shape {shape}")
    if not block_shape or len(block_shape) != 2:
        raise ValueError(f"layer {layer!r}: block structure needs block_shape=(rows, columns), got {block_shape!r}")
    bh, bw = int(block_shape[0]), int(block_shape[1])
    if bh < 1 or bw < 1 or shape[0] % bh or shape[1] % bw:
        raise ValueError(f"layer {layer!r}: block_shape {(bh, bw)} does not tile the kernel {shape}")
    rows = np.arange(shape[0])[:, None] // bh
    cols = np.arange(shape[1])[None, :] // bw
    per_row = shape[1] // bw
    return rows * per_row + cols, (shape[0] // bh) * per_row
