"""``hls4ml.optimization.dsp_aware_pruning.attributes`` on Keras 3.

Same classes and builders as hls4ml 1.3: :class:`hls4mlAttributes`, :class:`OptimizationAttributes`,
:class:`LayerAttributes`, :func:`get_attributes_from_keras_model` and
:func:`get_attributes_from_keras_model_and_hls4ml_config`, with hls4ml's conventions where hls4ml's tests pin them:

- ``n_in`` of a convolution is the kernel size (9 for a 3x3 kernel), ``n_out`` the filters, as hls4ml stores it.
  hlsnb's own :mod:`hlsnb.objectives` stores the multiplier rows, kernel x channels (27), which is what the
  hardware multiplies and what hls4ml's ReuseFactor check uses; the compatibility layer keeps hls4ml's number.
- precisions are hls4ml's own ``FixedPrecisionType`` / ``IntegerPrecisionType`` objects; strings are converted
  with hls4ml's ``convert_precision_string`` (hls4ml itself refuses strings here; accepting them costs nothing).
- a ReuseFactor that hls4ml would replace when it builds the layer (Resource strategy, not one of the valid
  values) is kept in ``reuse_factor`` as the config says, as hls4ml does; ``built_reuse_factor`` records the value
  hls4ml would really build and a warning says so (hls4ml only prints that at conversion time).
"""

from __future__ import annotations

import warnings

import numpy as np

from hlsnb.objectives import LayerAttributes as _LayerAttributes
from hlsnb.objectives import OptimizationAttributes, layer_kind
from hlsnb.rules import closest_reuse_factor, valid_reuse_factors

from .config import SUPPORTED_STRUCTURES

__all__ = ["hls4mlAttributes", "OptimizationAttributes", "LayerAttributes", "get_attributes_from_keras_model",
           "get_attributes_from_keras_model_and_hls4ml_config", "SUPPORTED_STRUCTURES"]


def _precision(p, what):
    from hls4ml.backends.fpga.fpga_backend import FPGABackend
    from hls4ml.model.types import FixedPrecisionType, IntegerPrecisionType

    if isinstance(p, str):
        p = FPGABackend.convert_precision_string(p)
    if not isinstance(p, (FixedPrecisionType, IntegerPrecisionType)):
        raise ValueError(f"{what} precision must be an hls4ml FixedPrecisionType / IntegerPrecisionType or a string "
                         f"such as 'ap_fixed<16,6>', got {p!r}")
    return p


class hls4mlAttributes:
    """hls4ml settings of one layer (hls4ml's class): ``n_in``/``n_out`` of its matrix multiplication, io type,
    strategy, weight / output precision (hls4ml type objects), ReuseFactor and ParallelizationFactor.

    ``built_reuse_factor``: the ReuseFactor hls4ml would really build (see the module docstring); equal to
    ``reuse_factor`` unless hls4ml would replace it.
    """

    def __init__(self, n_in, n_out, io_type, strategy, weight_precision, output_precision, reuse_factor,
                 parallelization_factor=1):
        if strategy not in ("Latency", "latency", "Resource", "resource"):
            raise ValueError(f"unknown layer strategy {strategy!r}; hls4ml's pruning supports Latency and Resource")
        if io_type not in ("io_parallel", "io_stream"):
            raise ValueError(f"unknown IO type {io_type!r}; valid: io_parallel, io_stream")
        self.n_in = n_in
        self.n_out = n_out
        self.io_type = io_type
        self.strategy = strategy
        self.weight_precision = _precision(weight_precision, "weight")
        self.output_precision = _precision(output_precision, "output")
        self.reuse_factor = reuse_factor
        self.parallelization_factor = parallelization_factor
        self.built_reuse_factor = reuse_factor

    def __repr__(self):
        return (f"hls4mlAttributes(n_in={self.n_in}, n_out={self.n_out}, io_type={self.io_type!r}, "
                f"strategy={self.strategy!r}, reuse_factor={self.reuse_factor})")


class LayerAttributes(_LayerAttributes):
    """One layer as the objectives see it (hls4ml's class; hlsnb's, so both objective families accept it)."""

    def __str__(self):
        return (f"name: {self.name}, layer_type: {self.layer_type}, inbound_layers: {self.inbound_layers}, "
                f"weight_shape: {self.weight_shape}, input_shape: {self.input_shape}, "
                f"output_shape: {self.output_shape}, optimizable: {self.optimizable}, "
                f"optimization_attributes: {self.optimization_attributes}, args: {self.args}, ")


def _shape(layer, which):
    if which == "input" and type(layer).__name__ == "InputLayer":  # Keras 3 gives it no input tensor
        which = "output"
    try:
        return tuple(getattr(layer, which).shape[1:])
    except (AttributeError, ValueError):  # a layer never called on a tensor (Keras raises either)
        return ()


def get_attributes_from_keras_model(model):
    """``{layer name: LayerAttributes}`` of a Keras 3 model (Sequential: the previous layer is the inbound one;
    functional: the inbound layer names). Platform settings are added by
    :func:`get_attributes_from_keras_model_and_hls4ml_config`, pruning settings by the objective."""
    sequential = type(model).__name__ == "Sequential"
    out = {}
    for i, layer in enumerate(model.layers):
        if sequential:
            inbound = [model.layers[i - 1]] if i > 0 else []
        else:
            inbound = [getattr(t, "_keras_history", (None,))[0].name for t in _as_list(_node_inputs(layer))]
        ws = layer.get_weights()
        out[layer.name] = LayerAttributes(layer.name, layer.__class__, inbound, ws[0].shape if ws else (),
                                          _shape(layer, "input"), _shape(layer, "output"), False,
                                          OptimizationAttributes(), {})
    return out


def _node_inputs(layer):
    nodes = getattr(layer, "_inbound_nodes", [])
    return nodes[0].input_tensors if nodes else []


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _mult_size(la):
    # the layer kind from hlsnb's registry, not from the class name: a depthwise or separable conv is no plain conv
    kind = layer_kind(la)
    family = None if kind is None else kind.family
    if family == "dense":
        return int(np.prod(la.input_shape)), int(np.prod(la.output_shape))
    if family == "conv":
        return int(np.prod(la.weight_shape[0:-2])), int(la.weight_shape[-1])
    t = la.layer_type.__name__
    raise ValueError(f"layer {la.name!r}: no multiplication size for {t} "
                     f"({'unknown to hlsnb' if kind is None else 'layer type ' + kind.name}); supported: Dense, Conv")


def _is_auto(p) -> bool:
    from hls4ml.model.types import UnspecifiedPrecisionType

    return isinstance(p, UnspecifiedPrecisionType) or (isinstance(p, str) and p.strip().lower() == "auto")


def _inferred_types(model, config, io_type) -> dict:
    """``{layer: (weight type, result type)}`` as hls4ml's own conversion infers them (``infer_precision``: an
    ``auto`` weight becomes its quantizer's type or the model's default precision, an ``auto`` result the width
    that holds every product and the bias). Converts once, writes nothing (about 20 ms for an MLP)."""
    import contextlib
    import io
    import tempfile

    import hls4ml

    with tempfile.TemporaryDirectory() as folder, contextlib.redirect_stdout(io.StringIO()):
        hls_model = hls4ml.converters.convert_from_keras_model(model, hls_config=config, output_dir=folder,
                                                               io_type=io_type)
    types = {}
    for layer in hls_model.get_layers():
        weight = layer.get_attr("weight_t")
        types[layer.name] = (getattr(weight, "precision", None), layer.get_output_variable().type.precision)
    return types


def get_attributes_from_keras_model_and_hls4ml_config(model, config):
    """Like :func:`get_attributes_from_keras_model`, plus ``args['hls4ml_attributes']`` for Dense / Conv2D layers
    from an hls4ml config (``config_from_keras_model(..., granularity='name')`` with ``IOType`` set).

    hls4ml's own function refuses the configs hls4ml itself writes: ``config_from_keras_model`` gives every weight
    and result the precision ``auto`` (and the model precision as ``{'default': ...}``), which hls4ml's
    ``hls4mlAttributes`` rejects. Here an ``auto`` precision is the type hls4ml's conversion infers for it (one
    conversion of the model, nothing written), so the objectives cost what hls4ml would build."""
    from .keras.config import SUPPORTED_LAYERS

    attrs = get_attributes_from_keras_model(model)
    io_type = config["IOType"]
    model_cfg = config["Model"]
    default = model_cfg["Precision"]
    if isinstance(default, dict):
        default = default.get("default", "fixed<16,6>")
    inferred = None
    for name, la in attrs.items():
        if not issubclass(la.layer_type, SUPPORTED_LAYERS):
            continue
        n_in, n_out = _mult_size(la)
        lc = config.get("LayerName", {}).get(name, {})
        prec = lc.get("Precision", {})
        if not isinstance(prec, dict):
            prec = {"weight": prec, "result": prec}
        weight, result = prec.get("weight", default), prec.get("result", default)
        if _is_auto(weight) or _is_auto(result):
            inferred = inferred if inferred is not None else _inferred_types(model, config, io_type)
            weight = inferred[name][0] if _is_auto(weight) else weight
            result = inferred[name][1] if _is_auto(result) else result
        strategy = lc.get("Strategy", model_cfg["Strategy"])
        h = hls4mlAttributes(n_in, n_out, io_type, strategy, weight, result,
                             lc.get("ReuseFactor", model_cfg["ReuseFactor"]), lc.get("ParallelizationFactor", 1))
        if strategy.lower() == "resource":
            rows = int(np.prod(la.weight_shape[:-1]))  # what hls4ml multiplies: kernel x channels for a conv
            valid = list(valid_reuse_factors(rows, n_out, "Resource"))
            if h.reuse_factor not in valid:
                h.built_reuse_factor = closest_reuse_factor(valid, h.reuse_factor)
                warnings.warn(f"layer {name!r}: ReuseFactor {h.reuse_factor} is not valid for a {rows}x{n_out} "
                              f"Resource layer; hls4ml would build it with {h.built_reuse_factor} (valid: {valid}). "
                              "The pruning objectives use the configured value, as hls4ml's do.", stacklevel=2)
        la.update_args({"hls4ml_attributes": h})
    return attrs
