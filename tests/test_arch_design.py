"""The Design package's architecture: frozen layer specs, read-only targets, one settings schema, one load(),
one subscription mechanism, all-or-nothing changes, and the registry / rules it reads."""

import dataclasses
import inspect
import json
from pathlib import Path

import pytest

from hlsnb import rules
from hlsnb.design import SETTINGS, Design, LayerSpec, load
from hlsnb.errors import InvalidSetting
from hlsnb.layer_types import get_layer_type, mult_layer_types

# A valid non-default value per kind of setting, for a Dense 16x64 layer (Latency/Resource RF 4 are both valid).
_VALUE = {"strategy": "Resource", "reuse_factor": 4, "precision": "ap_fixed<10,4,AP_RND,AP_SAT>"}
_TARGETS = ("board", "part", "part_number", "io_type", "clock_ns", "backend", "model_name", "default_precision")


@pytest.fixture()
def design(fresh_mlp):
    return Design.from_keras(fresh_mlp)


def test_layer_specs_are_frozen(design):
    fc2 = design.layers[3]
    with pytest.raises(dataclasses.FrozenInstanceError):
        fc2.reuse_factor = 7
    with pytest.raises(dataclasses.FrozenInstanceError):
        design.layer("fc1").strategy = "Resource"
    assert design.layer("fc2").reuse_factor == 1


def test_layers_is_a_copy(design):
    layers = design.layers
    layers.append(LayerSpec(name="noise", layer_type="GaussianNoise", keras_class="GaussianNoise"))
    layers.pop(0)
    assert len(design.layers) == 9 and design.layers[0].name == "inputs"
    assert len(design.layers + [layers[-1]]) == 10  # callers build new designs from the copy


@pytest.mark.parametrize("attr", _TARGETS)
def test_target_attributes_are_read_only(design, attr):
    before = getattr(design, attr)
    with pytest.raises(AttributeError, match="set_target"):
        setattr(design, attr, before)
    assert getattr(design, attr) == before


def test_set_target_keeps_a_custom_part_number(fresh_mlp):
    d = Design.from_keras(fresh_mlp, part="xcvu9p-flgb2104-2-i")
    d.set_target(io_type="io_stream", backend="Vitis", clock_ns=4.0)
    assert (d.part_number, d.io_type, d.backend, d.clock_ns, d.tool) == (
        "xcvu9p-flgb2104-2-i", "io_stream", "Vitis", 4.0, "vitis_hls")
    copy = d.copy()
    copy.set_target(backend="Vivado")
    assert d.backend == "Vitis" and copy.backend == "Vivado"  # a copy is independent


def test_load_dict_text_and_paths(design, fresh_mlp, tmp_path):
    design.set("fc1", strategy="Resource", reuse_factor=16)
    path = tmp_path / "d.json"
    text = design.to_json(path)
    for source in (design.to_dict(), text, str(path), path, json.loads(path.read_text())):
        back = load(source)
        assert back == design and back.layer("fc1").reuse_factor == 16
    assert load(path, model=fresh_mlp).layer("fc1").weights is not None
    assert Design.from_json(Path(path)) == design  # the old name reads the same sources
    with pytest.raises(InvalidSetting, match="not an hlsnb design"):
        load({"layers": []})
    with pytest.raises(InvalidSetting, match="not a design JSON"):
        load("{not json")
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "missing.json")


def test_load_validates_every_setting(design):
    bad = design.to_dict()
    bad["layers"][1]["weight_precision"] = "float32"
    with pytest.raises(InvalidSetting, match="'fc1'.*not an HLS fixed-point type"):
        load(bad)


def test_schema_describes_every_setting():
    names = [s.name for s in SETTINGS]
    assert names == ["strategy", "reuse_factor", "weight_precision", "bias_precision", "accum_precision",
                     "result_precision"]
    for s in SETTINGS:
        f = {f.name: f for f in dataclasses.fields(LayerSpec)}[s.name]
        assert s.default == f.default and s.kind in _VALUE
    assert [(s.hls4ml_key, s.hls4ml_subkey) for s in SETTINGS][:3] == [
        ("Strategy", None), ("ReuseFactor", None), ("Precision", "weight")]
    # Design.set's signature is the schema's
    params = inspect.signature(Design.set).parameters
    assert set(names) <= set(params) and "precision" in params


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_every_setting_round_trips_set_json_hls4ml_summary(fresh_mlp, setting):
    # The one-field claim: each setting in the schema goes through set, JSON, the hls4ml config both ways, the
    # summary and update_from with no code naming it, so a new LayerSpec setting field is all it takes.
    d = Design.from_keras(fresh_mlp)
    fc1 = d.layer("fc1")
    relu = d.layer("fc1_relu")
    assert setting.applies(fc1)
    value = _VALUE[setting.kind]
    seen = []
    d.observe(seen.append)
    d.set("fc1", **{setting.name: value})
    assert getattr(d.layer("fc1"), setting.name) == value and seen == ["fc1"]
    assert getattr(load(d.to_json()).layer("fc1"), setting.name) == value
    entry = d.to_hls4ml_config()["LayerName"]["fc1"][setting.hls4ml_key]
    assert (entry[setting.hls4ml_subkey] if setting.hls4ml_subkey else entry) == value
    back = Design.from_hls4ml_config(fresh_mlp, d.to_hls4ml_config())
    assert getattr(back.layer("fc1"), setting.name) == value
    row = {r["layer"]: r for r in d.summary()}
    assert row["fc1"][setting.label] == value
    fresh = Design.from_keras(fresh_mlp)
    assert fresh.update_from(d) == ["fc1"] and getattr(fresh.layer("fc1"), setting.name) == value
    # a layer without the setting leaves it out of its hls4ml entry and its summary cell
    if not setting.applies(relu):
        assert row["fc1_relu"][setting.label] == ""
        relu_entry = d.to_hls4ml_config()["LayerName"]["fc1_relu"]
        assert setting.hls4ml_subkey not in relu_entry.get(setting.hls4ml_key, {}) if setting.hls4ml_subkey \
            else setting.hls4ml_key not in relu_entry


def test_set_refuses_unknown_settings_and_raises_invalid_setting(design):
    with pytest.raises(TypeError, match="unknown settings.*'reuse'"):
        design.set("fc1", reuse=4)
    with pytest.raises(InvalidSetting):
        design.set("fc2", strategy="Resource", reuse_factor=7)
    with pytest.raises(KeyError):
        design.set("fc9", reuse_factor=2)
    with pytest.raises(InvalidSetting, match="no weight precision"):
        design.set("fc1_relu", weight_precision="ap_fixed<8,3>")


def test_observe_and_unsubscribe(design, fresh_mlp):
    seen, other = [], []
    stop = design.observe(seen.append)
    stop_other = design.observe(other.append)
    design.set("fc2", reuse_factor=2)
    design.set_all(reuse_factor=1)
    design.set_target(io_type="io_stream")
    design.attach_weights(fresh_mlp)
    design.update_from(design.copy())
    with pytest.raises(InvalidSetting):
        design.set("fc2", strategy="Resource", reuse_factor=3)  # a refused change tells nobody
    assert seen == ["fc2", "*", "*", "*", "*"] == other
    stop()
    stop()  # unsubscribing twice is harmless
    design.set("fc2", reuse_factor=4)
    assert seen == ["fc2", "*", "*", "*", "*"] and other[-1] == "fc2"
    stop_other()
    assert design._observers == []
    assert design.copy()._observers == []


def test_set_all_is_all_or_nothing(design):
    seen = []
    design.observe(seen.append)
    before = design.to_json()
    with pytest.raises(InvalidSetting, match="cannot apply to all layers"):
        design.set_all(strategy="Resource", reuse_factor=64)
    with pytest.raises(InvalidSetting, match="not an HLS fixed-point type"):
        design.set_all(strategy="Resource", precision="float32")
    assert design.to_json() == before and seen == []


def test_update_from_and_attach_weights_are_all_or_nothing(design, fresh_mlp):
    import keras

    seen = []
    design.observe(seen.append)
    before = design.to_json()
    # another design whose fc2 says an invalid ReuseFactor: the constructor refuses it (issue 13), so it is built
    # around the constructor to check that update_from checks on its own
    layers = [dataclasses.replace(l, strategy="Resource", reuse_factor=3) if l.name == "fc2" else l
              for l in design.layers]
    with pytest.raises(InvalidSetting, match="'fc2'"):
        Design(layers, board="zcu102")
    tampered = design.copy()
    tampered._layers = layers
    with pytest.raises(InvalidSetting, match="'fc2'"):
        design.update_from(tampered)
    small = keras.Sequential([keras.Input((16,)), keras.layers.Dense(64, name="fc1"),
                              keras.layers.Dense(8, name="fc2")])
    with pytest.raises(InvalidSetting, match="'fc2'.*weights"):
        design.attach_weights(small)
    assert design.to_json() == before and design.board == "pynq-z2" and seen == []
    assert design.layer("fc1").weights.shape == (16, 64)


def test_rules_read_the_registry():
    assert rules.MULT_LAYER_TYPES == mult_layer_types()
    assert mult_layer_types()[:3] == ("Dense", "Conv1D", "Conv2D")  # issue 14 added depthwise and recurrent types
    for name in ("Dense", "Conv1D", "Conv2D", "Activation"):
        for io in ("io_parallel", "io_stream"):
            assert rules.strategies_for(name, io) == get_layer_type(name).strategies(io)
    assert rules.strategies_for("SomethingNew") == ("Latency",)
    spec = LayerSpec(name="x", layer_type="Dense", keras_class="Dense", n_in=4, n_out=2)
    assert spec.is_mult_layer and not dataclasses.replace(spec, layer_type="Softmax").is_mult_layer


def test_warnings_use_the_rules_unroll_limit(design, monkeypatch):
    assert not any("unroll limit" in w for w in design.warnings())
    monkeypatch.setattr(rules, "UNROLL_LIMIT", 512)  # fc1 unrolls 16*64 = 1024 multiplications at RF 1
    msgs = [w for w in design.warnings() if "unroll limit" in w]
    assert msgs and "'fc1'" in msgs[0] and "about 512" in msgs[0] and "ReuseFactor >= 2" in msgs[0]
