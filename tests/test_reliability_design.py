"""Issue 13, phase 2: the Design boundary. A catalogue (one test per class of bad input: the error type, that the
message names the field and the value, that nothing changed) and hypothesis properties over ``Design.set`` and
``Design.from_json`` (any input gives a documented error or a valid Design that round-trips JSON); see
docs/errors.md, "Design"."""

from __future__ import annotations

import copy
import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hlsnb.calibration.reference import tutorial_mlp
from hlsnb.design import Design, LayerSpec, load
from hlsnb.errors import InvalidSetting

FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture()
def design():
    """The tutorial MLP built without Keras: input, fc1 (16x64), fc1_relu, ..., output (32x5), output_softmax."""
    d = tutorial_mlp()
    d.set("fc1", strategy="Resource", reuse_factor=16)
    return d


def _file(design) -> dict:
    return json.loads(design.to_json())


def _layer(d: dict, name: str) -> dict:
    return next(l for l in d["layers"] if l["name"] == name)


def _refused(source, *words, error=InvalidSetting):
    """``load(source)`` raises ``error`` whose message holds every word (field, value, what is valid)."""
    with pytest.raises(error) as info:
        load(source)
    for w in words:
        assert w in str(info.value), (w, str(info.value))
    return str(info.value)


def _unchanged(design, before: str, seen: list):
    assert design.to_json() == before and seen == []


# ------------------------------------------------------------------ precisions
@pytest.mark.parametrize("bad", ["float32", "ap_fixed<0,0>", "ap_fixed<16>", "ap_fixed<16,6,AP_FOO>", "", 16, None])
def test_a_garbage_precision_in_a_file_is_refused_naming_layer_and_field(design, bad):
    d = _file(design)
    _layer(d, "fc1")["weight_precision"] = bad
    msg = _refused(d, "'fc1'", "weight_precision", error=(InvalidSetting, TypeError))
    assert repr(bad) in msg or bad is None


def test_a_garbage_precision_in_set_or_the_constructor_changes_nothing(design):
    seen, before = [], design.to_json()
    design.observe(seen.append)
    with pytest.raises(InvalidSetting, match="ap_fixed<8,3,WHAT>"):
        design.set("fc1", weight_precision="ap_fixed<8,3,WHAT>")
    with pytest.raises(InvalidSetting, match="default_precision.*'int8'"):
        Design(design.layers, default_precision="int8")
    _unchanged(design, before, seen)


# ------------------------------------------------------------------ sizes and counts
@pytest.mark.parametrize("field,bad", [("n_in", -16), ("n_in", 0), ("n_out", 2.5), ("n_out", True), ("filters", -1),
                                       ("n_weights", -1), ("n_bias", 1.5), ("input_shape", [16, -1]),
                                       ("output_shape", "64"), ("kernel_size", [0])])
def test_negative_zero_or_non_integer_sizes_are_refused(design, field, bad):
    d = _file(design)
    _layer(d, "fc1")[field] = bad
    _refused(d, "'fc1'", field)


def test_a_layer_with_multipliers_needs_its_sizes(design):
    d = _file(design)
    _layer(d, "fc1")["n_in"] = None
    _refused(d, "'fc1'", "n_in", "positive integers")


@pytest.mark.parametrize("zeros", [1025, -1])
def test_n_zeros_outside_0_to_the_weight_count_is_refused(design, zeros):
    d = _file(design)
    _layer(d, "fc1")["n_zeros"] = zeros
    _refused(d, "'fc1'", "n_zeros", str(zeros))


def test_the_constructor_checks_each_layer_spec(design):
    fc1 = design.layer("fc1")
    import dataclasses

    with pytest.raises(InvalidSetting, match="'fc1'.*n_zeros 2000.*1024 weights"):
        Design([*design.layers[:1], dataclasses.replace(fc1, n_zeros=2000), *design.layers[2:]])
    with pytest.raises(TypeError, match="LayerSpec"):
        Design([*design.layers, {"name": "x"}])
    with pytest.raises(TypeError, match="list of LayerSpec"):
        Design("fc1")


# ------------------------------------------------------------------ settings on layers without multipliers
@pytest.mark.parametrize("field,value,words", [("reuse_factor", 4, ("ReuseFactor", "fixed at 1")),
                                               ("strategy", "Resource", ("'Resource'", "valid: Latency"))])
def test_a_reuse_factor_or_strategy_on_an_activation_is_refused(design, field, value, words):
    d = _file(design)
    _layer(d, "fc1_relu")[field] = value
    _refused(d, "'fc1_relu'", *words)
    seen, before = [], design.to_json()
    design.observe(seen.append)
    with pytest.raises(InvalidSetting, match="'fc1_relu'"):
        design.set("fc1_relu", **{field: value})
    _unchanged(design, before, seen)
    design.set("fc1_relu", strategy="latency", reuse_factor=1)  # the neutral values are fine


def test_an_invalid_reuse_factor_in_a_file_is_refused_with_what_hls4ml_would_do(design):
    d = _file(design)
    _layer(d, "fc2").update(strategy="Resource", reuse_factor=3)
    _refused(d, "'fc2'", "ReuseFactor 3", "silently use")


# ------------------------------------------------------------------ the layer list
def test_an_empty_layer_list_is_refused(design):
    d = _file(design)
    d["layers"] = []
    _refused(d, "at least one layer")
    with pytest.raises(InvalidSetting, match="at least one layer"):
        Design([])


def test_duplicate_layer_names_are_refused_naming_them(design):
    d = _file(design)
    d["layers"].append(dict(_layer(d, "fc1_relu")))
    _refused(d, "repeated", "'fc1_relu'")


def test_a_layer_that_is_not_an_object_or_lacks_fields_is_refused(design):
    d = _file(design)
    d["layers"][1] = ["fc1"]
    _refused(d, "layer is a JSON object")
    d = _file(design)
    del _layer(d, "fc1")["layer_type"]
    _refused(d, "'fc1'", "missing fields", "layer_type")
    d = _file(design)
    _layer(d, "fc1")["reuse"] = 4
    _refused(d, "'fc1'", "unknown fields", "'reuse'", "reuse_factor")
    d = _file(design)
    d["layers"] = "fc1"
    _refused(d, "layers must be a list")


# ------------------------------------------------------------------ target: part, board, clock, tool
@pytest.mark.parametrize("part", ["xc7z020[exec touch /tmp/owned]", "xc7z020 clg400", "$env(HOME)", "x" * 65])
def test_a_part_number_that_is_not_one_is_refused_before_anything(design, part):
    d = _file(design)
    d["board"], d["part_number"] = None, part
    _refused(d, "part", "not a part number")
    with pytest.raises(InvalidSetting, match="not a part number"):
        design.set_target(part=part)
    assert design.part_number == "xc7z020clg400-1"


@pytest.mark.parametrize("part", ["xczu9eg-ffvb1156-2-e", "xc7z020clg484-1", "xc7z020clg400-2"])
def test_a_board_and_a_part_that_disagree_are_refused(design, part):
    d = _file(design)
    d["part_number"] = part  # board stays pynq-z2 (xc7z020clg400-1)
    _refused(d, "pynq-z2", part)
    with pytest.raises(InvalidSetting, match="pynq-z2"):
        Design(design.layers, board="pynq-z2", part=part)


def test_the_board_part_in_any_spelling_and_a_bare_device_are_the_board(design):
    for part in ("xc7z020clg400-1", "xc7z020-clg400-1", "xc7z020"):
        d = Design(design.layers, board="pynq-z2", part=part)
        assert d.part_number == "xc7z020clg400-1" and d.board == "pynq-z2"


def test_an_unknown_part_says_how_to_register_it(design):
    with pytest.raises(InvalidSetting, match="register_part"):
        Design(design.layers, board=None, part="xc9z999clg400-1")


@pytest.mark.parametrize("clock", [0, -1, 0.1, 5000, math.inf, math.nan, True, "10", None])
def test_a_clock_outside_0_5_to_1000_ns_or_not_finite_is_refused(design, clock):
    seen, before = [], design.to_json()
    design.observe(seen.append)
    if clock is not None:  # None means "keep the clock" to set_target
        with pytest.raises(InvalidSetting, match=r"clock_ns.*0\.5 to 1000"):
            design.set_target(clock_ns=clock)
        with pytest.raises(InvalidSetting, match=r"clock_ns.*0\.5 to 1000"):
            Design(design.layers, clock_ns=clock)
    _unchanged(design, before, seen)
    d = _file(design)
    d["clock_ns"] = clock
    _refused(d, "clock_ns", "0.5 to 1000")


@pytest.mark.parametrize("field,value,words", [("tool_version", "2023.2", ("Vivado HLS 2023.2", "2020.1")),
                                               ("tool_version", "latest", ("'latest'",)),
                                               ("backend", "Quartus", ("'Quartus'", "Vitis")),
                                               ("io_type", "io_serial", ("'io_serial'", "io_stream")),
                                               ("board", "pynq-z9", ("'pynq-z9'", "known boards")),
                                               ("model_name", "", ("model_name",))])
def test_a_bad_tool_backend_io_type_board_or_name_is_refused(design, field, value, words):
    d = _file(design)
    d[field] = value
    _refused(d, *words)


# ------------------------------------------------------------------ the file itself
@pytest.mark.parametrize("number", ["Infinity", "-Infinity", "NaN", "1e400"])
def test_non_finite_numbers_in_json_are_refused_on_read(design, number):
    text = design.to_json().replace('"clock_ns": 10.0', f'"clock_ns": {number}')
    assert number in text
    _refused(text, "design JSON text", "clock_ns", "not a finite number")


def test_json_is_written_strict_and_never_with_infinity(design, tmp_path):
    text = design.to_json(tmp_path / "d.json")
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard constant {c}"))
    assert load(tmp_path / "d.json") == design


def test_unknown_keys_in_a_design_file_are_refused_naming_them(design):
    d = _file(design)
    d["clock_mhz"] = 100
    _refused(d, "'clock_mhz'", "clock_ns", "layers")


@pytest.mark.parametrize("version", [2, True, "1", None])
def test_a_design_file_of_another_version_is_refused(design, version):
    d = _file(design)
    d["hlsnb_design"] = version
    _refused(d, "hlsnb_design", "expected hlsnb_design=1")


def test_missing_keys_are_named(design):
    d = _file(design)
    del d["io_type"]
    _refused(d, "missing keys", "io_type")


def test_files_name_themselves_and_binary_or_folders_are_refused(design, tmp_path):
    bad = _file(design)
    _layer(bad, "fc1")["n_zeros"] = -3
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    _refused(str(path), "bad.json", "'fc1'", "n_zeros")
    binary = tmp_path / "b.json"
    binary.write_bytes(b"\xff\xfe\x00\x01garbage")
    _refused(binary, "b.json", "not UTF-8")
    _refused(tmp_path, "not a regular file")
    _refused("{not json", "not a design JSON")


# ------------------------------------------------------------------ update_from and set_all
def test_update_from_refuses_another_geometry_and_takes_only_settings(design):
    import dataclasses

    seen, before = [], design.to_json()
    design.observe(seen.append)
    other = Design([dataclasses.replace(l, kernel_size=(3,)) if l.name == "fc1" else l for l in design.layers])
    with pytest.raises(InvalidSetting, match="'fc1' has kernel_size=None here and \\(3,\\)"):
        design.update_from(other)
    with pytest.raises(TypeError, match="needs a Design"):
        design.update_from(_file(design))
    _unchanged(design, before, seen)


@pytest.mark.parametrize("rf", [0, -4, 2.5, True, "4"])
def test_set_all_refuses_a_reuse_factor_that_is_no_positive_integer(design, rf):
    seen, before = [], design.to_json()
    design.observe(seen.append)
    with pytest.raises(InvalidSetting, match="reuse_factor must be a positive integer"):
        design.set_all(reuse_factor=rf, closest=True)
    _unchanged(design, before, seen)


def test_set_refuses_a_layer_name_that_is_no_string(design):
    with pytest.raises(TypeError, match="named by a string"):
        design.set(["fc1"], reuse_factor=2)


# ------------------------------------------------------------------ hls4ml configs
@pytest.fixture(scope="module")
def mlp_model():
    from hlsnb.train import build_mlp

    return build_mlp(seed=1)


def test_hls4mls_own_config_loads(mlp_model):
    import hls4ml

    for g in ("name", "type", "model"):
        cfg = hls4ml.utils.config_from_keras_model(mlp_model, granularity=g)
        Design.from_hls4ml_config(mlp_model, cfg)


@pytest.mark.parametrize("mutate,words", [
    (lambda c: c.update(Flowz=["x"]), ("unknown sections", "'Flowz'", "LayerName")),
    (lambda c: c["Model"].update(Stratgy="Resource"), ("Model", "'Stratgy'", "ReuseFactor")),
    (lambda c: c["LayerName"]["fc1"].update(reuse=4), ("'fc1'", "'reuse'", "Strategy")),
    (lambda c: c["LayerName"].update(fc9={"ReuseFactor": 2}), ("'fc9'", "its layers", "fc1")),
    (lambda c: c.update(LayerType={"Conv2D": {"Strategy": "Resource"}}), ("'Conv2D'", "its types", "Dense")),
    (lambda c: c["LayerName"]["fc1_relu"].update(ReuseFactor="four"), ("'fc1_relu'", "'four'")),
    (lambda c: c.update(LayerType={"Activation": {"Strategy": "Fastest"}}), ("'fc1_relu'", "'Fastest'")),
    (lambda c: c["LayerName"]["fc1_relu"].update(Precision={"weigth": "ap_fixed<8,3>"}),
     ("'fc1_relu'", "'weigth'", "'weight'")),
    (lambda c: c["LayerName"]["fc1"].update(Precision={"scale": "ap_fixed<8>"}),
     ("'scale'", "ap_fixed<8>")),
    (lambda c: c["LayerName"]["fc1"].update(ReuseFactor=4.5), ("'fc1'", "4.5")),
    (lambda c: c.update(LayerName=["fc1"]), ("LayerName must be a dict",)),
])
def test_a_bad_hls4ml_config_is_refused_naming_the_key(mlp_model, mutate, words):
    import hls4ml

    cfg = hls4ml.utils.config_from_keras_model(mlp_model, granularity="name")
    mutate(cfg)
    with pytest.raises(InvalidSetting) as info:
        Design.from_hls4ml_config(mlp_model, cfg)
    for w in words:
        assert w in str(info.value), (w, str(info.value))


# ------------------------------------------------------------------ the Explorer's load
@pytest.fixture()
def explorer(mlp_model):
    from hlsnb.widgets import Explorer

    return Explorer(mlp_model, live=False)


def test_a_failed_load_leaves_the_explorer_as_it_was_and_set_works(explorer, design):
    ex = explorer
    ex.design.set("fc2", strategy="Resource", reuse_factor=8)
    before, history = ex.design.to_json(), len(ex.history)
    bad = _file(ex.design)
    _layer(bad, "fc3")["n_zeros"] = 10**6
    _layer(bad, "fc1")["reuse_factor"] = 4  # valid on its own: must not be applied either
    for source in (bad, json.dumps(bad), {"Model": {"ReuseFactor": 3, "Strategy": "Resource"}},
                   {"LayerName": {"nope": {}}}):
        with pytest.raises(ValueError):
            ex.load(source)
        assert ex.design.to_json() == before and len(ex.history) == history
    ex.design.set("fc2", reuse_factor=16)  # works, and the views follow
    assert ex.configurator.rows["fc2"].reuse_factor.value == 16


def test_a_view_failing_during_a_load_puts_the_design_back(explorer):
    ex = explorer
    good = _file(ex.design)
    _layer(good, "fc2").update(strategy="Resource", reuse_factor=8)
    before = ex.design.to_json()

    def broken(_name):
        raise RuntimeError("a view failed")

    stop = ex.design.observe(broken)
    with pytest.raises(RuntimeError, match="a view failed"):
        ex.load(good)
    stop()
    assert ex.design.to_json() == before
    assert "loaded" not in ex.status.value


def test_an_hls4ml_config_keeps_the_layers_it_does_not_list_and_says_so(explorer):
    ex = explorer
    ex.design.set("fc2", strategy="Resource", reuse_factor=8, precision="ap_fixed<10,4>")
    out = ex.load({"LayerName": {"fc1": {"Strategy": "Resource", "ReuseFactor": 16}}})
    assert ex.design.layer("fc1").reuse_factor == 16
    fc2 = ex.design.layer("fc2")
    assert (fc2.strategy, fc2.reuse_factor, fc2.weight_precision) == ("Resource", 8, "ap_fixed<10,4>")
    assert "kept their settings" in out and "fc2" in out and "fc1," not in out


# ------------------------------------------------------------------ convert / check_model: shapes, not names
def _conv_model(filters: int, kernel: int, channels: int):
    import keras

    i = keras.Input((8, 8, channels), name="x")
    h = keras.layers.Conv2D(filters, kernel, name="c1")(i)
    h = keras.layers.Flatten(name="fl")(h)
    return keras.Model(i, keras.layers.Dense(4, name="out")(h))


@pytest.mark.parametrize("other,field", [((4, 3, 3), "input_shape"), ((8, 3, 2), "n_out"), ((4, 5, 2), "n_in")])
def test_check_model_compares_each_layers_shape_not_only_its_name(other, field):
    d = Design.from_keras(_conv_model(4, 3, 2), io_type="io_stream")
    d.check_model(_conv_model(4, 3, 2))
    bare = Design.from_json(d.to_json())  # no weights: only the shapes can tell
    with pytest.raises(InvalidSetting) as info:
        bare.check_model(_conv_model(*other))
    msg = str(info.value)
    assert "'c1'" in msg or "'x'" in msg, msg
    assert "model's" in msg and "design's" in msg


def test_check_model_refuses_a_model_with_layers_the_design_lacks(mlp_model):
    import keras

    d = Design.from_keras(mlp_model)
    i = keras.Input((16,), name="inputs")
    h = i
    for n, w in (("fc1", 64), ("fc2", 32), ("fc3", 32), ("extra", 32), ("output", 5)):
        h = keras.layers.Dense(w, activation="relu", name=n)(h)
    bare = Design.from_json(d.to_json())
    with pytest.raises(InvalidSetting, match="'extra' \\(Dense\\) is not in the design.*only in the model"):
        bare.check_model(keras.Model(i, h))


# ------------------------------------------------------------------ properties
anything = st.one_of(st.none(), st.booleans(), st.integers(-5, 5000), st.floats(allow_nan=True), st.text(max_size=12),
                     st.sampled_from(["Resource", "latency", "Resource_Unrolled", "ap_fixed<8,3>", "auto",
                                      "ap_ufixed<4,0,AP_RND,AP_SAT>", "fixed<12,4>", "ap_int<6>"]),
                     st.lists(st.integers(-2, 70), max_size=3))
LAYERS = ["input", "fc1", "fc1_relu", "fc2", "output", "output_softmax"]
SETTING_NAMES = ["strategy", "reuse_factor", "weight_precision", "bias_precision", "accum_precision",
                 "result_precision", "precision"]


@FAST
@given(st.sampled_from(LAYERS), st.dictionaries(st.sampled_from(SETTING_NAMES), anything, max_size=3))
def test_set_gives_a_documented_error_or_a_valid_design_that_round_trips(design, layer, kw):
    before, seen = design.to_json(), []
    design.observe(seen.append)
    try:
        design.set(layer, **kw)
    except (InvalidSetting, TypeError) as e:
        assert f"'{layer}'" in str(e) or "precision" in str(e), str(e)
        _unchanged(design, before, seen)
        return
    assert seen == [layer]
    assert load(design.to_json()) == design


FIELDS = ["n_in", "n_out", "n_zeros", "n_weights", "n_bias", "filters", "strategy", "reuse_factor",
          "weight_precision", "result_precision", "input_shape", "kernel_size", "name", "layer_type", "inputs"]
TOP = ["clock_ns", "part_number", "board", "io_type", "backend", "tool_version", "default_precision", "model_name"]


@FAST
@given(st.sampled_from(LAYERS), st.sampled_from(FIELDS + TOP), anything)
def test_from_json_gives_a_documented_error_or_a_valid_design_that_round_trips(design, layer, field, value):
    d = _file(design)
    original = copy.deepcopy(d)
    if field in TOP:
        d[field] = value
    else:
        _layer(d, layer)[field] = value
    try:
        text = json.dumps(d)
    except ValueError:
        return  # NaN cannot be written as JSON: the dict itself is the input below
    for source in (d, text):
        try:
            back = load(source)
        except (InvalidSetting, TypeError) as e:
            msg = str(e)
            assert msg.startswith(("design dict", "design JSON text")), msg
            assert field in msg or f"'{layer}'" in msg or repr(value)[:20] in msg or "board" in msg, msg
            continue
        again = load(back.to_json())
        assert again == back and again.to_json() == back.to_json()
        for l in back.layers:  # what a valid design holds
            assert 0 <= l.n_zeros <= l.n_weights and l.reuse_factor >= 1
        assert 0.5 <= back.clock_ns <= 1000 and math.isfinite(back.clock_ns)
    assert d is not original and design == load(original)


def test_layer_specs_built_by_hand_are_checked_too():
    spec = LayerSpec(name="fc", layer_type="Dense", keras_class="Dense", input_shape=(4,), output_shape=(2,), n_in=4,
                     n_out=2, n_weights=8, weight_precision="ap_fixed<8,3>", bias_precision="ap_fixed<8,3>",
                     accum_precision="ap_fixed<8,3>", strategy="resource", reuse_factor=2)
    d = Design([spec])
    assert d.layer("fc").strategy == "Resource"  # canonical spellings
    with pytest.raises(InvalidSetting, match="'fc'.*ReuseFactor 3"):
        Design([LayerSpec(**{**spec.to_dict(), "input_shape": (4,), "output_shape": (2,), "inputs": (),
                             "strategy": "Resource", "reuse_factor": 3})])
