"""hlsnb.objectives: hls4ml's documented ObjectiveEstimator examples, on Keras-free attributes."""

import pytest

from hlsnb.objectives import (
    SUPPORTED_STRUCTURES,
    GPUFLOPEstimator,
    LayerAttributes,
    OptimizationAttributes,
    ParameterEstimator,
    VivadoDSPEstimator,
    VivadoFFEstimator,
    VivadoMultiObjectiveEstimator,
    hls4mlAttributes,
)
from hlsnb.precision import parse_precision


class Dense:  # stands in for keras.layers.Dense: the objectives only look at the class name
    pass


def dense(n_in=4, n_out=4, prec="ap_fixed<16,6>", strategy="Latency", rf=1, part="pynq-z2", oa=None):
    h = hls4mlAttributes(n_in, n_out, "io_parallel", strategy, prec, "ap_fixed<16,6>", rf, part=part)
    return LayerAttributes("fc", Dense, [], (n_in, n_out), (n_in,), (n_out,), False,
                           oa or OptimizationAttributes(), {"hls4ml_attributes": h})


def test_parameter_estimator_documented_examples():
    la = dense(4, 4)
    assert ParameterEstimator.layer_resources(la) == [16]
    ok, oa = ParameterEstimator.is_layer_optimizable(la)
    assert ok and oa.structure_type == SUPPORTED_STRUCTURES.UNSTRUCTURED and oa.pruning
    la.optimization_attributes = oa
    assert ParameterEstimator.layer_savings(la) == [1]
    la.optimization_attributes = OptimizationAttributes(SUPPORTED_STRUCTURES.STRUCTURED, pruning=True)
    assert ParameterEstimator.layer_savings(la) == [4]


def test_dsp_objective_precision_threshold():
    assert VivadoDSPEstimator.is_layer_optimizable(dense(prec="ap_fixed<8,0>")) == (False, None)
    assert VivadoDSPEstimator.layer_resources(dense(prec="ap_fixed<8,0>")) == [0]
    ok, oa = VivadoDSPEstimator.is_layer_optimizable(dense(16, 16, strategy="Resource", rf=4))
    assert ok and oa.structure_type == SUPPORTED_STRUCTURES.PATTERN and oa.pattern_offset == 16 * 16 // 4
    ok, oa = VivadoDSPEstimator.is_layer_optimizable(dense(prec="ap_fixed<16,6>"))
    assert ok and oa.pruning


def test_dsp_savings_keep_hls4ml_semantics():
    la = dense(16, 16, strategy="Resource", rf=4)
    _, la.optimization_attributes = VivadoDSPEstimator.is_layer_optimizable(la)
    assert VivadoDSPEstimator.layer_savings(la) == [1]  # one pattern = one DSP
    lat = dense(16, 16, rf=1)
    _, lat.optimization_attributes = VivadoDSPEstimator.is_layer_optimizable(lat)
    assert VivadoDSPEstimator.layer_savings(lat) == [1]
    lat2 = dense(16, 16, rf=2)
    _, lat2.optimization_attributes = VivadoDSPEstimator.is_layer_optimizable(lat2)
    assert VivadoDSPEstimator.layer_savings(lat2) == [0]


def test_dsp_resources_know_the_dsp_family():
    wide = "ap_fixed<27,6>"
    la7 = dense(32, 32, prec=wide, strategy="Resource", rf=32, part="pynq-z2")
    la7.args["hls4ml_attributes"].input_precision = parse_precision("ap_fixed<18,8>")
    lau = dense(32, 32, prec=wide, strategy="Resource", rf=32, part="zcu102")
    lau.args["hls4ml_attributes"].input_precision = parse_precision("ap_fixed<18,8>")
    assert VivadoDSPEstimator.layer_resources(la7) == [64]  # hls4ml would say 32
    assert VivadoDSPEstimator.layer_resources(lau) == [32]


def test_multi_objective_bram_pattern():
    la = dense(64, 32, prec="ap_fixed<18,8>", strategy="Resource", rf=64)
    ok, oa = VivadoMultiObjectiveEstimator.is_layer_optimizable(la)
    assert ok and oa.consecutive_patterns == 2 and oa.pattern_offset == 32
    la.optimization_attributes = oa
    dsp, bram = VivadoMultiObjectiveEstimator.layer_resources(la)
    assert dsp == 32 and bram >= 1
    assert VivadoMultiObjectiveEstimator.layer_savings(la) == [2, 1]


def test_ff_and_flop_formulas():
    la = dense(4, 4)
    assert VivadoFFEstimator.layer_resources(la) == [16 * 16 + 4 * 16]
    ok, oa = GPUFLOPEstimator.is_layer_optimizable(la)
    la.optimization_attributes = oa
    assert GPUFLOPEstimator.layer_resources(la) == [2 * 16 + 4]
    assert GPUFLOPEstimator.layer_savings(la) == [2 * 4 + 1]


def test_layer_without_weights_is_not_optimizable():
    la = LayerAttributes("relu", type("ReLU", (), {}), [], (), (4,), (4,), False, OptimizationAttributes(), {})
    for est in (ParameterEstimator, VivadoDSPEstimator, VivadoFFEstimator, VivadoMultiObjectiveEstimator,
                GPUFLOPEstimator):
        assert est.is_layer_optimizable(la) == (False, None)
        assert est.layer_resources(la) == [0]


def test_bad_structure_type_names_valid_ones():
    with pytest.raises(ValueError, match="unstructured, structured, pattern, block"):
        OptimizationAttributes("diagonal")


def test_layer_attributes_from_keras_model_and_design():
    keras = pytest.importorskip("keras")
    from hlsnb.design import Design
    from hlsnb.objectives import layer_attributes

    m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(4, name="fc1"), keras.layers.ReLU(name="r")])
    d = Design.from_keras(m, board="pynq-z2")
    attrs = layer_attributes(m, d)
    assert ParameterEstimator.layer_resources(attrs["fc1"]) == [16]
    ok, _ = VivadoDSPEstimator.is_layer_optimizable(attrs["fc1"])
    assert ok
    assert attrs["r"].weight_shape == ()


# ---------------------------------------------------------------- one implementation, kinds from the registry
class DepthwiseConv2D:  # stands in for keras.layers.DepthwiseConv2D (the registry knows the class name)
    pass


class Conv2D:
    pass


def _conv_like(cls):
    h = hlsnb_attrs = hls4mlAttributes(9, 8, "io_parallel", "Latency", "ap_fixed<16,6>", "ap_fixed<16,6>", 1)
    del hlsnb_attrs
    return LayerAttributes("c", cls, [], (3, 3, 8, 1), (10, 10, 8), (8, 8, 8), False, OptimizationAttributes(),
                           {"hls4ml_attributes": h})


def test_layer_kinds_come_from_the_registry_not_the_class_name():
    from hlsnb.objectives import layer_kind

    dw, conv = _conv_like(DepthwiseConv2D), _conv_like(Conv2D)
    assert layer_kind(dw).name == "DepthwiseConv2D" and layer_kind(dw).family == "depthwise"
    assert layer_kind(conv).family == "conv"
    assert layer_kind(_conv_like(type("SeparableThing", (), {}))) is None
    # a depthwise layer is not costed as a plain conv: the estimator sees its own layer type
    seen = []
    import hlsnb.objectives as O

    real = O.estimate
    O.estimate = lambda inp: seen.append(inp.layer_type) or real(inp)
    try:
        VivadoDSPEstimator.dsp_count(dw)
        VivadoDSPEstimator.dsp_count(conv)
    finally:
        O.estimate = real
    assert seen == ["DepthwiseConv2D", "Conv2D"]
    with pytest.raises(ValueError, match="no FLOP formula for DepthwiseConv2D"):
        GPUFLOPEstimator.layer_resources(dw)
    unknown = _conv_like(type("Mystery", (), {}))
    with pytest.raises(ValueError, match="Mystery.*unknown to hlsnb"):
        VivadoDSPEstimator.dsp_count(unknown)


@pytest.mark.parametrize("strategy", ["Latency", "latency", "Resource", "resource"])
@pytest.mark.parametrize("rf", [1, 2, 4, 16])
def test_compat_objectives_differ_from_hlsnb_only_in_the_counts(strategy, rf):
    """hls4ml's drop-in and hlsnb's objectives share structure choices, savings and the strategy check (they used to
    disagree on 'Resource_Unrolled' and spelling); only the DSP/BRAM counts are hls4ml's formulas."""
    import hlsnb.compat.hls4ml.objectives.vivado_objectives as C

    la = dense(16, 16, strategy=strategy, rf=rf)
    for ours, theirs in ((VivadoDSPEstimator, C.VivadoDSPEstimator),
                         (VivadoMultiObjectiveEstimator, C.VivadoMultiObjectiveEstimator)):
        ok, oa = ours.is_layer_optimizable(la)
        ok2, oa2 = theirs.is_layer_optimizable(la)
        assert ok == ok2 and repr(oa) == repr(oa2)
        la.optimization_attributes = oa
        assert ours.layer_savings(la) == theirs.layer_savings(la)
    assert C.VivadoDSPEstimator.layer_resources(la) == [16 * 16 // rf]  # hls4ml's count, whatever the strategy
    assert C.VivadoFFEstimator is VivadoFFEstimator
