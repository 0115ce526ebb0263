"""The architecture's promise, exercised: a new layer type is one registry entry plus one estimator function.

The test adds UpSampling1D (which hls4ml converts; the registry's own Resize entry is taken out first) the way a contributor would, and
checks that the Keras parser, the design rules, the report reader and the whole-design estimate all pick it up with
no other change. The registry is restored afterwards.
"""

import pytest

from hlsnb import layer_types
from hlsnb.estimate import _core


def _forget():
    """Estimates are cached per input; a test that redefines a type must forget them (a user never does)."""
    from hlsnb.estimate import clear_cache

    _core.layer_kind.cache_clear()
    clear_cache()


@pytest.fixture
def upsampling_registered(monkeypatch):
    # as before issue 14 costed it: UpSampling (hls4ml's Resize) not in the registry yet
    monkeypatch.setattr(layer_types, "_REGISTRY", {k: v for k, v in layer_types._REGISTRY.items() if k != "Resize"})
    monkeypatch.setattr(layer_types, "_BY_CLASS", {k: v for k, v in layer_types._BY_CLASS.items() if v != "Resize"})
    monkeypatch.setattr(_core, "_FAMILIES", dict(_core._FAMILIES))
    _forget()

    # 1. the registry entry
    layer_types.register_layer_type(layer_types.LayerType(
        "UpSampling1D", ("UpSampling1D",), "Resize", r"^resize_nearest", "upsampling_example"))

    # 2. the estimator function for its family
    @_core.register("upsampling_example")
    def upsampling(inp, cal):
        acc = _core.Terms()
        n = int(inp.n_out or 0)
        acc.add("lut", 2 * n, f"output select of {n} values (example model)", "modelled")
        return acc.finish(inp, 1, 1)

    yield
    _forget()


def test_a_new_layer_type_is_one_entry_and_one_function(upsampling_registered):
    import keras

    from hlsnb import Design
    from hlsnb.estimate import estimate_design, estimate_layer
    from hlsnb.synth.reports import layer_type_from_module

    est = estimate_layer("UpSampling1D", 8, 16)
    assert est.estimated and est.lut == 32

    m = keras.Sequential([keras.Input((4, 2)), keras.layers.UpSampling1D(2, name="up"),
                          keras.layers.Flatten(name="flat"), keras.layers.Dense(3, name="d")])
    d = Design.from_keras(m)
    up = d.layer("up")
    assert up.layer_type == "UpSampling1D" and not up.is_mult_layer
    assert d.strategies("up") == ("Latency",)
    e = estimate_design(d)
    assert "up" not in e.not_estimated and e.layer("up").lut == 2 * 16
    assert layer_type_from_module("resize_nearest_array_array_ap_fixed_2u_config2_s") == "UpSampling1D"


def test_without_the_function_the_type_is_named_as_not_estimated(monkeypatch):
    monkeypatch.setattr(layer_types, "_REGISTRY", {k: v for k, v in layer_types._REGISTRY.items() if k != "Resize"})
    monkeypatch.setattr(layer_types, "_BY_CLASS", {k: v for k, v in layer_types._BY_CLASS.items() if v != "Resize"})
    _forget()
    layer_types.register_layer_type(layer_types.LayerType(
        "UpSampling1D", ("UpSampling1D",), "Resize", r"^resize_nearest", "no_such_family"))
    from hlsnb.estimate import estimate_layer

    est = estimate_layer("UpSampling1D", 8, 16)
    assert not est.estimated and est.lut is None and "UpSampling1D" in est.reason
    _forget()
