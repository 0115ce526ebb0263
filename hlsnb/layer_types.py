"""The layer-type registry: one entry per hls4ml layer type hlsnb knows, as plain data.

This is the ground floor: it imports nothing from hlsnb. Every other place that needs to know about layer types
(the Keras parser in ``hlsnb.design``, the design rules in ``hlsnb.rules``, the report reader, ``compare``, the
pruning planner, the objectives and the estimator's dispatch) reads it here, so the lists cannot disagree.

Adding a layer type is one :class:`LayerType` entry below plus, for an estimate, one file in
``hlsnb/estimate/layers/`` (see the guide at the top of ``hlsnb/estimate/layers/__init__.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType

from .vocab import STRATEGIES

__all__ = [
    "LayerType",
    "LAYER_TYPES",
    "STRATEGIES",
    "register_layer_type",
    "get_layer_type",
    "layer_type_of_class",
    "layer_type_of_module",
    "mult_layer_types",
    "weighted_layer_types",
]

# io_parallel convolutions turn Resource_Unrolled into Resource, so it is not offered there
_CONV_PARALLEL = ("Latency", "Resource", "distributed_arithmetic")
_NONE = ("Latency",)
# hls4ml's recurrent layers (LSTM, GRU) build Latency, Resource and Resource_Unrolled (init_lstm / init_gru)
_RECURRENT = ("Latency", "Resource", "Resource_Unrolled")


@dataclass(frozen=True)
class LayerType:
    """What hlsnb knows about one hls4ml layer type.

    ``name``: hlsnb's ``layer_type`` (what ``LayerSpec.layer_type`` says). ``classes``: the Keras / hls4ml class
    names that become this type. ``hls4ml_class``: hls4ml's IR class. ``report_module``: a regular expression on the
    HLS module names of its csynth report (``None``: it leaves no module). ``family``: the estimator family that
    costs it (``hlsnb/estimate/layers/<family>.py``; ``None``: no model yet). ``has_multipliers``: Strategy and
    ReuseFactor decide its multipliers (its ReuseFactor follows hls4ml's matrix rule on ``n_in x n_out``).
    ``weighted``: it carries a kernel from the Keras model. ``strategies_parallel`` / ``strategies_stream``: what
    hls4ml really builds for it with io_parallel / io_stream (``("Latency",)`` for layers without a choice).
    ``report_kind``: the type name compare() matches report rows on (activations are matched as one kind).
    ``kernel_reuse_io``: the io types whose hls4ml kernel reads the ReuseFactor of a layer that ``has_multipliers``
    leaves out (no weights, no Strategy choice, no matrix rule): there any positive ReuseFactor is built and sets the
    kernel's ``PIPELINE II`` / ``ALLOCATION`` limit (the io_stream softmax: ``ceil(n/RF)`` multipliers for the ``n``
    values of a stream word); elsewhere its ReuseFactor is fixed at 1 (:func:`hlsnb.rules.check_setting`).
    """

    name: str
    classes: tuple[str, ...]
    hls4ml_class: str
    report_module: str | None
    family: str | None
    has_multipliers: bool = False
    weighted: bool = False
    strategies_parallel: tuple[str, ...] = _NONE
    strategies_stream: tuple[str, ...] = _NONE
    report_kind: str | None = None
    kernel_reuse_io: tuple[str, ...] = ()

    def strategies(self, io_type: str = "io_parallel") -> tuple[str, ...]:
        """Strategies hls4ml builds for this type with ``io_type``."""
        return self.strategies_stream if io_type == "io_stream" else self.strategies_parallel

    @property
    def kind(self) -> str:
        """The name report rows are matched on (``report_kind`` or ``name``)."""
        return self.report_kind or self.name


_REGISTRY: dict[str, LayerType] = {}
_BY_CLASS: dict[str, str] = {}
#: name -> LayerType, read-only (use :func:`register_layer_type` to add one).
LAYER_TYPES = MappingProxyType(_REGISTRY)


def register_layer_type(lt: LayerType, *, replace: bool = False) -> LayerType:
    """Add ``lt`` to the registry (``replace=True`` to redefine an existing name). Returns ``lt``."""
    if lt.name in _REGISTRY and not replace:
        raise ValueError(f"layer type {lt.name!r} is already registered")
    for c in lt.classes:
        owner = _BY_CLASS.get(c)
        if owner is not None and owner != lt.name and not replace:
            raise ValueError(f"class {c!r} already maps to layer type {owner!r}")
    if lt.report_module is not None:
        re.compile(lt.report_module)
    _REGISTRY[lt.name] = lt
    for c in lt.classes:
        _BY_CLASS[c] = lt.name
    return lt


def get_layer_type(name: str) -> LayerType | None:
    """The registry entry of layer type ``name`` (``None`` for a type hlsnb does not know)."""
    return _REGISTRY.get(name)


def layer_type_of_class(class_name: str) -> str:
    """hlsnb's layer type for a Keras / hls4ml class name; an unknown class keeps its own name."""
    return _BY_CLASS.get(class_name, class_name)


def layer_type_of_module(module: str | None) -> str | None:
    """The layer type of an HLS module name such as ``dense_latency_ap_fixed_..._config2_s`` (``None`` if unknown).

    Patterns are anchored at the start of the name, so at most one entry matches.
    """
    if not module:
        return None
    for lt in _REGISTRY.values():
        if lt.report_module and re.search(lt.report_module, module):
            return lt.name
    return None


def mult_layer_types() -> tuple[str, ...]:
    """Names of the types whose Strategy and ReuseFactor decide their multipliers."""
    return tuple(n for n, t in _REGISTRY.items() if t.has_multipliers)


def weighted_layer_types() -> tuple[str, ...]:
    """Names of the types that carry a kernel from the Keras model."""
    return tuple(n for n, t in _REGISTRY.items() if t.weighted)


_ACT = "Activation"
for _lt in (
    LayerType("Input", ("InputLayer", "Input"), "Input", None, "wiring"),
    LayerType("Dense", ("Dense", "QDense"), "Dense", r"^(dense|pointwise)", "dense", has_multipliers=True,
              weighted=True, strategies_parallel=STRATEGIES, strategies_stream=STRATEGIES),
    LayerType("Conv1D", ("Conv1D", "QConv1D"), "Conv1D", r"^conv_?1d", "conv", has_multipliers=True, weighted=True,
              strategies_parallel=_CONV_PARALLEL, strategies_stream=STRATEGIES),
    LayerType("Conv2D", ("Conv2D", "QConv2D"), "Conv2D", r"^conv_?2d", "conv", has_multipliers=True, weighted=True,
              strategies_parallel=_CONV_PARALLEL, strategies_stream=STRATEGIES),
    LayerType("Activation", ("Activation", "ReLU"), "Activation",
              r"^(relu|linear|sigmoid|tanh|elu|selu|softplus|softsign)", "activation"),
    LayerType("LeakyReLU", ("LeakyReLU", "ELU", "PReLU", "ThresholdedReLU"), "ParametrizedActivation",
              r"^(leaky_relu|prelu|thresholded_relu)", "activation", report_kind=_ACT),
    # hls4ml 1.3's io_stream softmax_latency/softmax_stable (nnet_activation_stream.h, shared by the Vivado and Vitis
    # backends) limit the 1/sum multiplications to ceil(n_chan/RF) at PIPELINE II n_chan/that; the io_parallel
    # softmax is a plain PIPELINE that never reads the ReuseFactor
    LayerType("Softmax", ("Softmax",), "Softmax", r"^softmax", "softmax", kernel_reuse_io=("io_stream",)),
    LayerType("BatchNormalization", ("BatchNormalization",), "BatchNormalization", r"^normalize", "batchnorm"),
    LayerType("Pooling1D", ("MaxPooling1D", "AveragePooling1D"), "Pooling1D", r"^pooling1d", "pooling"),
    LayerType("Pooling2D", ("MaxPooling2D", "AveragePooling2D"), "Pooling2D", r"^pooling2d", "pooling"),
    LayerType("GlobalPooling1D", ("GlobalMaxPooling1D", "GlobalAveragePooling1D"), "GlobalPooling1D",
              r"^global_pooling1d", "pooling"),
    LayerType("GlobalPooling2D", ("GlobalMaxPooling2D", "GlobalAveragePooling2D"), "GlobalPooling2D",
              r"^global_pooling2d", "pooling"),
    LayerType("ZeroPadding1D", ("ZeroPadding1D",), "ZeroPadding1D", r"^zeropad1d", "padding"),
    LayerType("ZeroPadding2D", ("ZeroPadding2D",), "ZeroPadding2D", r"^zeropad2d", "padding"),
    LayerType("Reshape", ("Reshape", "Flatten"), "Reshape", None, "wiring"),
    LayerType("Transpose", ("Transpose",), "Transpose", None, "wiring"),
    LayerType("Merge", ("Add", "Subtract", "Average", "Maximum", "Minimum", "Concatenate"), "Merge",
              r"^(add|subtract|average|maximum|minimum|concatenate)", "merge"),
    # --- added for issue 14: every layer type hls4ml's Vivado/Vitis backends convert from Keras 3 ---
    # Multiply is a Merge in hls4ml, but it multiplies: its own type so the merge family costs multipliers
    LayerType("Multiply", ("Multiply",), "Merge", r"^multiply", "merge", report_kind="Merge"),
    # hls4ml's Dot (Merge op "dot1d"): n products and an adder tree
    LayerType("Dot", ("Dot",), "Dot", r"^dot", "merge", report_kind="Merge"),
    # Keras 3's Activation('hard_sigmoid') becomes hls4ml's HardActivation (slope and shift, then clip)
    LayerType("HardActivation", ("HardActivation",), "HardActivation", r"^hard_(sigmoid|tanh)", "activation",
              report_kind=_ACT),
    # depthwise convolutions: io_parallel Resource hits `assert("Resource strategy for DepthwiseConv2D is not
    # supported")` in nnet_sepconv2d.h and io_stream builds every strategy as Latency: Latency only, its
    # ReuseFactor is the II of the pipelined pixel loop (hls4ml's mult size: channels x kernel, filters)
    LayerType("DepthwiseConv1D", ("DepthwiseConv1D",), "DepthwiseConv1D", r"^depthwise_conv_?1d", "depthwise",
              has_multipliers=True, weighted=True),
    LayerType("DepthwiseConv2D", ("DepthwiseConv2D",), "DepthwiseConv2D", r"^depthwise_conv_?2d", "depthwise",
              has_multipliers=True, weighted=True),
    LayerType("Embedding", ("Embedding",), "Embedding", r"^embedding", "embedding", weighted=True),
    # UpSampling1D/2D become hls4ml's Resize (nearest neighbour: nnet::resize_nearest). Only the IR class is listed:
    # the parser maps a Keras class through hls4ml's own layer map (UpSampling2D -> Resize).
    LayerType("Resize", ("Resize",), "Resize", r"^resize_nearest", "resize"),
    LayerType("Cropping1D", ("Cropping1D",), "Cropping1D", r"^cropping1d", "resize"),
    LayerType("Cropping2D", ("Cropping2D",), "Cropping2D", r"^cropping2d", "resize"),
    # recurrent layers: hls4ml's mult size is n_in x gates*n_state (kernel) and n_state x gates*n_state (recurrent
    # kernel), one ReuseFactor for both. SimpleRNN has no strategy in the Vivado backend (no init pass): Latency only
    LayerType("SimpleRNN", ("SimpleRNN",), "SimpleRNN", r"^simple_rnn", "recurrent", weighted=True),
    LayerType("LSTM", ("LSTM",), "LSTM", r"^lstm", "recurrent", has_multipliers=True, weighted=True,
              strategies_parallel=_RECURRENT, strategies_stream=_RECURRENT),
    LayerType("GRU", ("GRU",), "GRU", r"^gru", "recurrent", has_multipliers=True, weighted=True,
              strategies_parallel=_RECURRENT, strategies_stream=_RECURRENT),
    LayerType("Bidirectional", ("Bidirectional",), "Bidirectional", r"^bidirectional", "recurrent", weighted=True),
    # EinsumDense: hls4ml builds it as n_free x n_inplace Dense products of n_contract x n_free_kernel (io_parallel)
    LayerType("EinsumDense", ("EinsumDense",), "EinsumDense", r"^einsum_dense", "einsum", weighted=True),
):
    register_layer_type(_lt)
del _lt
