"""The Keras parser: a Keras 3 model as hls4ml will build it, one :class:`LayerSpec` per hls4ml layer.

hls4ml's own parser decides the layer names and order (so ``fc1`` and the activation it splits off, ``fc1_relu``,
are separate entries); this module adds shapes and weight statistics, and maps each class to hlsnb's layer type
through the registry (:mod:`hlsnb.layer_types`).
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
    shapes: dict[str, tuple] = {}
    by_keras = {kl.name: kl for kl in model.layers}
    specs = []
    for d in layer_list:
        name = d["name"]
        cls_name = d["class_name"]
        lt = layer_type_of_class(cls_name)
        inputs = tuple(d.get("inputs", []) or [])
        kl = by_keras.get(name)
        if lt == "Input":
            out_shape = _as_tuple(d.get("input_shape") or model.input_shape[1:])
            in_shape = out_shape
        else:
            in_shape = shapes.get(inputs[0], ()) if inputs else ()
            out_shape = in_shape  # an activation hls4ml split off its Dense/Conv: same shape as its input
            if kl is not None and getattr(kl, "output", None) is not None:
                try:
                    out_shape = _as_tuple(kl.output.shape[1:])
                except (TypeError, ValueError):  # a dimension Keras leaves undefined (None)
                    pass
        shapes[name] = out_shape
        kw = dict(
            name=name,
            layer_type=lt,
            keras_class=cls_name if kl is None else type(kl).__name__,
            input_shape=in_shape,
            output_shape=out_shape,
            result_precision=prec,
            inputs=inputs,
        )
        family = _family(lt)
        if family == "dense":
            kw.update(n_in=int(d["n_in"]), n_out=int(d["n_out"]), **_weights(d, prec))
        elif family == "conv":
            kw.update(_conv_geometry(d, lt), padding=getattr(kl, "padding", None) if kl is not None else None,
                      **_weights(d, prec))
        else:
            size_in = int(np.prod(in_shape)) if in_shape else 0
            kw.update(n_in=size_in or None, n_out=int(np.prod(out_shape)) if out_shape else None)
            if family in ("activation", "softmax"):
                kw["activation"] = d.get("activation") or cls_name.lower()
            elif family == "pooling":
                kw.update(_pool_geometry(d, cls_name))
            elif family == "batchnorm":
                n = int(d.get("n_in") or size_in)
                kw.update(weight_precision=prec, bias_precision=prec, n_weights=n, n_bias=n)
        specs.append(LayerSpec(**kw))
    return specs


def _conv_geometry(d: dict, layer_type: str) -> dict:
    """Filters, kernel, strides and hls4ml's mult size (n_in = channels x kernel, n_out = filters)."""
    filters = int(d["n_filt"])
    if layer_type == "Conv1D":
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
