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
