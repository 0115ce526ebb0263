"""One module per layer family: how hls4ml builds that kind of layer, as a sum of terms.

Adding a layer type
-------------------
1. **One registry entry** in ``hlsnb/layer_types.py``: a :class:`hlsnb.layer_types.LayerType` with its Keras
   classes, hls4ml class, report-module pattern and ``family`` (the name of the module here that costs it). With
   that entry alone the parser, the design rules, the report reader and ``compare`` know the type; the estimate
   says "not estimated" until a family function exists.
2. **One file here** when no existing family fits (``layers/<family>.py``), registering one function::

       from .._core import Terms, register

       @register("upsampling")
       def upsampling(inp, cal):
           acc = Terms()
           acc.add("lut", ..., "what this term is and why", "exact" or "modelled")
           return acc.finish(inp, latency_cycles, ii)

   ``inp`` is a :class:`hlsnb.estimate.inputs.LayerInput` (every number the layer's estimate may depend on:
   sizes, shapes, strategy, ReuseFactor, bit widths, io type, part, clock, zeros, weights); ``cal`` a
   :class:`hlsnb.calibration.Calibration` (read fitted coefficients as ``cal["name"]``, never a module global).
   Mark a term ``exact`` only when it follows from hls4ml's templates; anything with a fitted or structural constant
   is ``modelled``. Raise ``ValueError`` naming the layer for inputs the model cannot take; return
   ``not_estimated(...)`` (from ``_core``) for a configuration it has no model of. Then add the module's name to
   the import below, and a test in ``tests/test_estimate.py``.
   If an existing family fits (another pooling type, another activation), add the type to its registry entry
   with that family instead, and branch on ``inp.layer_type`` in the family function if it differs.

Shared helpers live in ``hlsnb.estimate._core`` (multiplexer LUTs, DSPs per product, BRAM18K shapes, pipeline
depth, the DSP mapping) and ``hlsnb.estimate._kernel`` (the matrix-vector product of Dense and convolutions).
"""

from . import (
    activation,
    batchnorm,
    conv,
    dense,
    depthwise,
    einsum,
    embedding,
    merge,
    padding,
    pooling,
    recurrent,
    resize,
    softmax,
    wiring,
)

__all__ = ["activation", "batchnorm", "conv", "dense", "depthwise", "einsum", "embedding", "merge", "padding",
           "pooling", "recurrent", "resize", "softmax", "wiring"]
