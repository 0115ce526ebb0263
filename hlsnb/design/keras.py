"""The Keras parser: a Keras 3 model as hls4ml will build it, one :class:`LayerSpec` per hls4ml layer.

hls4ml's own parser decides the layer names and order (so ``fc1`` and the activation it splits off, ``fc1_relu``,
are separate entries); this module adds shapes and weight statistics, and maps each class to hlsnb's layer type
through the registry (:mod:`hlsnb.layer_types`). Shapes come from the Keras tensor each hls4ml node outputs, so a
layer called twice (``conv(i1)``, ``conv(i2)``) is two entries (``conv``, ``conv_0``) with their own shapes, both
mapped back to the Keras layer (``LayerSpec.keras_layer``) for weights, checks and conversion.
"""

from __future__ import annotations

import contextlib
import io

import numpy as np

from ..errors import InvalidSetting
from ..layer_types import get_layer_type, layer_type_of_class
from ..precision import parse_precision
from .spec import LayerSpec

__all__ = ["layers_from_keras"]


def _as_tuple(x) -> tuple:
    return tuple(int(v) for v in x) if x is not None else ()


def _family(layer_type: str) -> str | None:
    lt = get_layer_type(layer_type)
    return lt.family if lt is not None else None


def layers_from_keras(model, precision: str) -> list[LayerSpec]:
    """hls4ml's view of a Keras 3 ``model`` (its parser), plus shapes and weight statistics.

    Every precision a layer has starts at ``precision``. Raises ``InvalidSetting`` for a model hls4ml cannot parse
    or a layer named ``input`` (reserved by hls4ml).
    """
    import hls4ml  # heavy; the parser decides names and order exactly as the converter will

    try:
        with contextlib.redirect_stdout(io.StringIO()):
            layer_list, *_ = hls4ml.converters.parse_keras_v3_model(model)
    except Exception as e:  # hls4ml raises plain Exceptions for unsupported layers
        raise InvalidSetting(f"hls4ml cannot parse this model: {e}") from e
    prec = str(parse_precision(precision))
    for d in layer_list:
        if d["name"] == "input":
            raise InvalidSetting(
                "layer name 'input' is reserved by hls4ml (its converter raises on it); rename that layer in the "
                "Keras model, e.g. keras.Input(shape, name='inputs')"
            )
    layer_list = _without_fused_quantizers(layer_list)
    tensors = _keras_tensors(model)
    shapes: dict[str, tuple] = {}
    specs = []
    for d in layer_list:
        name = d["name"]
        cls_name = d["class_name"]
        lt = _layer_type(cls_name, hls4ml)
        if cls_name == "Merge" and get_layer_type(layer_type_of_class(str(d.get("op", "")).capitalize())):
            lt = layer_type_of_class(str(d["op"]).capitalize())  # hls4ml's Merge node with op 'multiply'
        inputs = tuple(d.get("inputs", []) or [])
        # the Keras layer and output shape of this hls4ml node, found by the tensor it outputs: a layer called
        # twice (conv(i1), conv(i2)) is two hls4ml nodes (conv, conv_0) with their own shapes and one Keras layer
        kl, kshape = _keras_of(d, tensors)
        if lt == "Input":
            out_shape = _as_tuple(d.get("input_shape") or model.input_shape[1:])
            in_shape = out_shape
        else:
            in_shape = shapes.get(inputs[0], ()) if inputs else ()
            out_shape = kshape if kshape is not None else in_shape
        shapes[name] = out_shape
        keras_name = kl.name if kl is not None else None
        kw = dict(
            name=name,
            layer_type=lt,
            keras_class=cls_name if kl is None else type(kl).__name__,
            input_shape=in_shape,
            output_shape=out_shape,
            result_precision=prec,
            inputs=inputs,
            keras_layer=keras_name if keras_name not in (None, name) else None,
        )
        family = _family(lt)
        if family == "dense":
            kw.update(n_in=int(d["n_in"]), n_out=int(d["n_out"]), **_weights(d, prec))
        elif family in ("conv", "depthwise"):
            kw.update(_conv_geometry(d, lt), padding=getattr(kl, "padding", None) if kl is not None else None,
                      **_weights(d, prec))
        elif family == "recurrent":
            kw.update(_recurrent(d, lt, prec))
        else:
            size_in = int(np.prod(in_shape)) if in_shape else 0
            kw.update(n_in=size_in or None, n_out=int(np.prod(out_shape)) if out_shape else None)
            if family in ("activation", "softmax"):
                kw["activation"] = d.get("activation") or cls_name.lower()
            elif family == "pooling":
                # hls4ml's pooling layers have an accumulator type (accum_t): a per-layer setting here
                kw.update(_pool_geometry(d, cls_name), accum_precision=prec)
            elif family == "batchnorm":
                n = int(d.get("n_in") or size_in)
                kw.update(weight_precision=prec, bias_precision=prec, n_weights=n, n_bias=n)
            elif family == "embedding":
                w = np.asarray(d["embeddings_data"])
                # kernel_size: the table's shape (vocabulary, embedding size), what the estimate reads
                kw.update(weights=w, n_weights=int(w.size), weight_precision=prec, kernel_size=_as_tuple(w.shape))
            elif family == "einsum":
                # n_in: the kernel's first axis (the contracted one in the usual "...d,dh->...h" equations)
                kw.update(_weights(d, prec), n_in=int(np.asarray(d["weight_data"]).shape[0]),
                          n_out=int(np.asarray(d["weight_data"]).size // np.asarray(d["weight_data"]).shape[0]))
            elif family == "merge" and lt == "Dot":
                # the product of the dot: one input's length (both are the same); accumulated over all of it
                kw.update(n_in=int(np.prod(shapes.get(inputs[0], ()) or (1,))), accum_precision=prec)
        specs.append(LayerSpec(**kw))
    return specs


def _without_fused_quantizers(layer_list: list) -> list:
    """The parsed layers without HGQ2's homogeneous ``FixedPointQuantizer`` nodes, inputs relinked.

    hls4ml's HGQ2 flow fuses a quantizer with one type for every value into the neighbouring layers' types
    (a quantized ReLU's ``ap_ufixed<6,0>`` result, the next Dense's input): the built design has no such layer, so
    the Design has none either (no row, no DATAFLOW channel). A heterogeneous quantizer (a width per value) stays.
    """
    to: dict = {}
    out = []
    for d in layer_list:
        mask = d.get("mask_kbi")
        if d.get("class_name") == "FixedPointQuantizer" and mask is not None \
                and all(np.unique(np.asarray(m)).size == 1 for m in mask) and len(d.get("inputs") or ()) == 1:
            to[d["name"]] = to.get(d["inputs"][0], d["inputs"][0])
            continue
        if to and d.get("inputs"):
            d = {**d, "inputs": [to.get(i, i) for i in d["inputs"]]}
        out.append(d)
    return out


def _layer_type(cls_name: str, hls4ml) -> str:
    """hlsnb's layer type of a parsed class: its registry entry, else the entry of the hls4ml IR class it becomes
    (``UpSampling2D`` -> ``Resize``), else the class name itself (a type hlsnb does not know)."""
    lt = layer_type_of_class(cls_name)
    if get_layer_type(lt) is None:
        ir = getattr(hls4ml.model.layers, "layer_map", {}).get(cls_name)
        if ir is not None and get_layer_type(layer_type_of_class(ir.__name__)) is not None:
            return layer_type_of_class(ir.__name__)
    return lt


def _keras_tensors(model) -> dict:
    """Output tensor name -> (Keras layer, shape without the batch axis) for every call of every layer."""
    out = {}
    for kl in model.layers:
        for node in getattr(kl, "_inbound_nodes", []):
            for t in node.outputs:
                try:
                    out[t.name] = (kl, _as_tuple(t.shape[1:]))
                except (TypeError, ValueError):  # a dimension Keras leaves undefined (None)
                    out[t.name] = (kl, None)
    return out


def _keras_of(d: dict, tensors: dict) -> tuple:
    """(Keras layer, output shape) of hls4ml node ``d``, by the tensor it outputs; ``(None, None)`` for a node
    that is no Keras layer call.

    hls4ml splits a Dense/Conv with an activation in two: the Dense node outputs ``<tensor>_activation`` (the
    Keras layer's tensor with a suffix), the activation node ``fc1_relu`` the Keras tensor itself but it is not
    the Keras layer: it keeps the shape of its input.
    """
    outs = d.get("output_keras_tensor_names") or ()
    if not outs:
        return None, None
    out = outs[0]
    if list(d.get("input_keras_tensor_names") or ()) == [f"{out}_activation"]:
        return None, None
    return tensors.get(out.removesuffix("_activation"), (None, None))


def _recurrent(d: dict, layer_type: str, prec: str) -> dict:
    """hls4ml's mult size of a recurrent layer: n_in features x gates * n_state (LSTM 4, GRU 3, SimpleRNN 1
    gates; Bidirectional: both directions' gates), the kernel, the cell activation."""
    if layer_type == "Bidirectional":
        w = [np.asarray(d[f"{k}_weight_data"]) for k in ("forward", "backward")]
        r = [np.asarray(d[f"{k}_recurrent_weight_data"]) for k in ("forward", "backward")]
        n_out = int(sum(x.shape[1] for x in w))
        kernel = np.concatenate(w, axis=1)
        activation = str(d.get("forward_activation", "tanh"))
    else:
        kernel = np.asarray(d["weight_data"])
        r = [np.asarray(d["recurrent_weight_data"])]
        n_out = int(kernel.shape[1])
        activation = str(d.get("activation", "tanh"))
    b = d.get("bias_data")
    return dict(n_in=int(d["n_in"]), n_out=n_out, weights=kernel, n_weights=int(kernel.size + sum(x.size for x in r)),
                n_zeros=int(np.count_nonzero(kernel == 0)), n_bias=int(np.asarray(b).size) if b is not None else 0,
                activation=activation, weight_precision=prec, bias_precision=prec, accum_precision=prec)


def _conv_geometry(d: dict, layer_type: str) -> dict:
    """Filters, kernel, strides and hls4ml's mult size (n_in = channels x kernel, n_out = filters)."""
    filters = int(d["n_filt"])
    if "1D" in layer_type:
        kernel = (int(d["filt_width"]),)
        strides = (int(d["stride_width"]),)
    else:
        kernel = (int(d["filt_height"]), int(d["filt_width"]))
        strides = (int(d["stride_height"]), int(d["stride_width"]))
    return dict(filters=filters, kernel_size=kernel, strides=strides,
                n_in=int(d["n_chan"]) * int(np.prod(kernel)), n_out=filters)


def _pool_geometry(d: dict, cls_name: str) -> dict:
    """Pooling operation, window and strides (global pooling has neither window nor strides)."""
    out: dict = {"pool_op": "max" if "Max" in cls_name else "average"}
    if "pool_width" in d:
        out["kernel_size"] = (
            (int(d["pool_height"]), int(d["pool_width"])) if "pool_height" in d else (int(d["pool_width"]),)
        )
    if "stride_width" in d:
        out["strides"] = (
            (int(d["stride_height"]), int(d["stride_width"])) if "stride_height" in d else (int(d["stride_width"]),)
        )
    return out


def _weights(d: dict, prec: str) -> dict:
    """The kernel, its size and zero count, the bias count, and the weight/bias/accumulator precisions."""
    w = np.asarray(d["weight_data"])
    b = d.get("bias_data")
    return dict(
        weights=w,
        n_weights=int(w.size),
        n_zeros=int(np.count_nonzero(w == 0)),
        n_bias=int(np.asarray(b).size) if b is not None else 0,
        weight_precision=prec,
        bias_precision=prec,
        accum_precision=prec,
    )
