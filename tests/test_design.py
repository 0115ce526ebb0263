"""The Design: geometry from Keras, validation that refuses what hls4ml would silently change, JSON, hls4ml config."""

import json

import pytest

from hlsnb import Design
from hlsnb.design import UnrollLimitWarning


def test_layers_follow_hls4ml_names(fresh_mlp):
    d = Design.from_keras(fresh_mlp)
    names = [l.name for l in d.layers]
    assert names == ["inputs", "fc1", "fc1_relu", "fc2", "fc2_relu", "fc3", "fc3_relu", "output", "output_softmax"]
    fc1 = d.layer("fc1")
    assert (fc1.layer_type, fc1.n_in, fc1.n_out, fc1.n_weights, fc1.n_bias) == ("Dense", 16, 64, 1024, 64)
    assert d.layer("fc1_relu").activation == "relu"
    assert d.layer("output_softmax").layer_type == "Softmax"
    assert d.layer("fc2_relu").output_shape == (32,)
    assert d.part.device == "xc7z020" and d.clock_ns == 10.0  # PYNQ-Z2's IP clock, not hls4ml's 5 ns


def test_reserved_input_name_refused():
    import keras

    m = keras.Sequential([keras.Input((4,), name="input"), keras.layers.Dense(3, name="d")])
    with pytest.raises(ValueError, match="reserved by hls4ml"):
        Design.from_keras(m)


def test_zero_weights_counted():
    import keras

    m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="d")])
    w, b = m.layers[0].get_weights()
    w[0, :] = 0.0
    m.layers[0].set_weights([w, b])
    assert Design.from_keras(m).layer("d").n_zeros == 3


def test_conv_geometry():
    import keras

    m = keras.Sequential([keras.Input((16, 16, 3)), keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="c1"),
                          keras.layers.MaxPooling2D(2, name="p1"), keras.layers.Flatten(name="f"),
                          keras.layers.Dense(10, name="d")])
    d = Design.from_keras(m, io_type="io_stream")
    c1 = d.layer("c1")
    assert (c1.layer_type, c1.filters, c1.kernel_size, c1.strides, c1.padding) == ("Conv2D", 8, (3, 3), (1, 1), "same")
    assert c1.mult_size == (27, 8) and c1.input_shape == (16, 16, 3) and c1.output_shape == (16, 16, 8)
    p = d.layer("p1")
    assert p.layer_type == "Pooling2D" and p.pool_op == "max" and p.output_shape == (8, 8, 8)
    assert d.layer("d").n_in == 512


def test_seed_rf64_refused_for_output_layer(fresh_mlp):
    # hls4ml would silently build the 32x5 output layer at RF 32: we refuse and say what is valid
    with pytest.raises(ValueError) as e:
        Design.from_keras(fresh_mlp, strategy="Resource", reuse_factor=64)
    msg = str(e.value)
    assert "'output'" in msg and "64" in msg and "32" in msg and "160" in msg


def test_set_valid_and_invalid(fresh_mlp):
    d = Design.from_keras(fresh_mlp)
    d.set("fc1", strategy="Resource", reuse_factor=64)
    assert (d.layer("fc1").strategy, d.layer("fc1").reuse_factor) == ("Resource", 64)
    before = d.to_json()
    with pytest.raises(ValueError, match="'fc2'.*ReuseFactor 7.*closest valid: 2, 4, 8, 16"):
        d.set("fc2", strategy="Resource", reuse_factor=7)
    with pytest.raises(ValueError, match="unknown strategy 'Resourse'"):
        d.set("fc2", strategy="Resourse")
    with pytest.raises(ValueError, match="distributed_arithmetic needs ReuseFactor 1"):
        d.set("fc1", strategy="distributed_arithmetic")
    with pytest.raises(ValueError, match="no multipliers"):
        d.set("fc1_relu", reuse_factor=4)
    with pytest.raises(ValueError, match="not an HLS fixed-point type"):
        d.set("fc1", precision="float32")
    with pytest.raises(KeyError, match="fc9"):
        d.set("fc9", reuse_factor=2)
    assert d.to_json() == before  # nothing half-applied


def test_resource_unrolled_rf1_refused(fresh_mlp):
    d = Design.from_keras(fresh_mlp)
    with pytest.raises(ValueError, match="would build Resource instead"):
        d.set("fc1", strategy="Resource_Unrolled", reuse_factor=1)
    d.set("fc1", strategy="Resource_Unrolled", reuse_factor=4)
    assert d.valid_reuse_factors("fc1")[-1] == 512  # the maximum (1024) is not offered


def test_valid_reuse_factors(fresh_mlp):
    d = Design.from_keras(fresh_mlp)
    assert d.valid_reuse_factors("output", "Resource") == (1, 2, 4, 8, 16, 32, 160)
    assert d.valid_reuse_factors("fc1_relu") == (1,)


def test_set_all_reports_substitutions(fresh_mlp):
    d = Design.from_keras(fresh_mlp)
    with pytest.raises(ValueError, match="output"):
        d.set_all(strategy="Resource", reuse_factor=64)
    assert d.layer("fc1").strategy == "Latency"  # all or nothing
    used = d.set_all(strategy="Resource", reuse_factor=64, closest=True)
    assert used == {"output": 32}
    assert d.layer("fc1").reuse_factor == 64 and d.layer("output").reuse_factor == 32


def test_unroll_limit_warning():
    import keras

    m = keras.Sequential([keras.Input((128,)), keras.layers.Dense(64, name="big")])
    with pytest.warns(UnrollLimitWarning, match="8192.*ReuseFactor >= 2"):
        d = Design.from_keras(m)
    d.set("big", reuse_factor=2)
    assert not any("unroll" in w for w in d.warnings())


def test_observe(fresh_mlp):
    d = Design.from_keras(fresh_mlp)
    seen = []
    stop = d.observe(seen.append)
    d.set("fc2", reuse_factor=2)
    with pytest.raises(ValueError):
        d.set("fc2", reuse_factor=0)
    with pytest.raises(ValueError):
        d.set("fc2", strategy="Resource", reuse_factor=3)
    stop()
    d.set("fc2", reuse_factor=4)
    assert seen == ["fc2"]


def test_json_round_trip(fresh_mlp, tmp_path):
    d = Design.from_keras(fresh_mlp, board="zcu102", io_type="io_stream", precision="ap_fixed<12,4>")
    d.set("fc1", strategy="Resource", reuse_factor=16, result_precision="ap_fixed<18,8,AP_RND,AP_SAT>")
    path = tmp_path / "d.json"
    d.to_json(path)
    back = Design.from_json(str(path), model=fresh_mlp)
    assert back == d and back.to_json() == d.to_json()
    assert back.layer("fc1").weights is not None
    assert back.clock_ns == 5.0 and back.board == "zcu102"
    # a tampered file is validated like set()
    bad = json.loads(d.to_json())
    for l in bad["layers"]:
        if l["name"] == "fc2":
            l["strategy"], l["reuse_factor"] = "Resource", 3
    with pytest.raises(ValueError, match="'fc2'"):
        Design.from_json(json.dumps(bad))


def test_part_instead_of_board(fresh_mlp):
    d = Design.from_keras(fresh_mlp, part="xcvu9p-flgb2104-2-i")
    assert d.board is None and d.part.device == "xcvu9p" and d.clock_ns == 5.0
    assert Design.from_json(d.to_json()) == d


def test_hls4ml_config_is_honoured(fresh_mlp, tmp_path):
    d = Design.from_keras(fresh_mlp)
    d.set("fc1", strategy="Resource", reuse_factor=64)
    d.set("fc2", weight_precision="ap_fixed<8,3>")
    d.set("output", strategy="Resource", reuse_factor=32)
    hm = d.convert(fresh_mlp, output_dir=str(tmp_path / "prj"))
    got = {l.name: l for l in hm.get_layers()}
    assert got["fc1"].get_attr("strategy") == "resource" and got["fc1"].get_attr("reuse_factor") == 64
    assert got["output"].get_attr("reuse_factor") == 32
    assert got["fc3"].get_attr("strategy") == "latency"
    assert str(got["fc2"].types["weight_t"].precision).startswith("fixed<8,3")
    # the softmax input is an explicit 16-bit type, never hls4ml's 'auto' (which breaks the softmax)
    assert str(got["output"].types["result_t"].precision).startswith("fixed<16,6")
    assert hm.config.get_config_value("ClockPeriod") == 10.0


def test_from_hls4ml_config(fresh_mlp):
    import hls4ml

    cfg = hls4ml.utils.config_from_keras_model(fresh_mlp, granularity="name")
    cfg["LayerName"]["fc1"]["Strategy"] = "Resource"
    cfg["LayerName"]["fc1"]["ReuseFactor"] = 16
    d = Design.from_hls4ml_config(fresh_mlp, cfg)
    assert d.layer("fc1").strategy == "Resource" and d.layer("fc1").reuse_factor == 16
    assert d.layer("output").result_precision == "auto"  # kept as the user wrote it, but flagged
    assert any("feeds the softmax" in w for w in d.warnings())
    cfg["LayerName"]["fc2"]["Strategy"] = "Latancy"
    with pytest.raises(ValueError, match="'fc2'.*unknown strategy"):
        Design.from_hls4ml_config(fresh_mlp, cfg)
    cfg["LayerName"]["fc2"]["Strategy"] = "Resource"
    cfg["LayerName"]["fc2"]["ReuseFactor"] = 5000
    with pytest.raises(ValueError, match="'fc2'.*5000"):
        Design.from_hls4ml_config(fresh_mlp, cfg)


def test_round_trip_through_hls4ml_config(fresh_mlp):
    d = Design.from_keras(fresh_mlp)
    d.set("fc3", strategy="Resource", reuse_factor=8, precision="ap_fixed<10,4>")
    back = Design.from_hls4ml_config(fresh_mlp, d.to_hls4ml_config())
    assert back.to_hls4ml_config() == d.to_hls4ml_config()


def test_set_target(fresh_mlp):
    d = Design.from_keras(fresh_mlp)
    seen = []
    d.observe(seen.append)
    d.set_target(board="zcu102")
    assert d.part.dsp_type == "DSP48E2" and d.clock_ns == 5.0 and seen == ["*"]
    with pytest.raises(ValueError, match="unknown board"):
        d.set_target(board="nope")
    with pytest.raises(ValueError, match="io_type"):
        d.set_target(io_type="io_serial")


def test_update_from_is_all_or_nothing_and_notifies_once(fresh_mlp):
    d = Design.from_keras(fresh_mlp)
    other = Design.from_keras(fresh_mlp, board="zcu102")
    other.set("fc2", strategy="Resource", reuse_factor=16)
    seen = []
    d.observe(seen.append)
    assert d.update_from(other) == ["fc2"]
    assert seen == ["*"] and d.board == "zcu102" and d.layer("fc2").reuse_factor == 16
    assert d.layer("fc2").weights is not None  # keeps its own weights
    import keras

    small = keras.Sequential([keras.Input((16,)), keras.layers.Dense(8, name="fc1")])
    with pytest.raises(ValueError, match="same layers"):
        d.update_from(Design.from_keras(small))
    assert seen == ["*"]


def test_latency_keeps_any_reuse_factor_as_hls4ml_does_with_a_note():
    """Issue 24.1: the Design refused a 3x2 Dense at Latency RF 100 ("hls4ml would silently use 6"), which hls4ml
    does not do for Latency; the estimator accepted it. rules.check_setting is the one answer: accepted, and
    warnings() says what it costs; Resource still refuses what hls4ml would substitute."""
    import keras

    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="fc")])
    d = Design.from_keras(m)
    d.set("fc", reuse_factor=100)
    assert d.layer("fc").reuse_factor == 100 and 100 in d.valid_reuse_factors("fc")
    assert any("Latency ReuseFactor 100 is above its 6 products" in w for w in d.warnings())
    with pytest.raises(ValueError, match="ReuseFactor 100 is not valid.*silently use 6"):
        d.set("fc", strategy="Resource")
    assert d.set_all(strategy="Resource", closest=True) == {"fc": 6}
