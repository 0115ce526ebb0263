"""Architecture of the estimator (issue 11): one family module per layer family, one frozen input built in one
place, calibration as a value with no global state. Numbers are compared between code paths, never hard-coded."""

import dataclasses
import json
import os
import subprocess
import sys

import pytest

from hlsnb.calibration import Calibration, default_calibration, user_calibration_path
from hlsnb.estimate import (
    COEFFICIENTS,
    LayerInput,
    design_inputs,
    estimate,
    estimate_design,
    estimate_layer,
    layer_input,
    layer_kwargs,
)
from hlsnb.estimate._core import _FAMILIES, load_coefficients
from hlsnb.estimate._reference import tutorial_mlp
from hlsnb.layer_types import LAYER_TYPES

NUMBERS = ("dsp", "lut", "ff", "bram18k", "latency_cycles", "ii")


def numbers(e):
    return tuple(getattr(e, k) for k in NUMBERS)


def test_every_family_has_one_registered_module():
    families = {lt.family for lt in LAYER_TYPES.values() if lt.family}
    assert families == set(_FAMILIES)
    for fam, fn in _FAMILIES.items():
        assert fn.__module__ == f"hlsnb.estimate.layers.{fam}"
    import hlsnb.estimate.layers as layers

    assert "Adding a layer type" in layers.__doc__ and "hlsnb/layer_types.py" in layers.__doc__


def test_unknown_types_give_the_one_not_estimated_row():
    e = estimate_layer("UpSampling2D", 16, 64, activation="nearest")
    assert not e.estimated and e.lut is None and e.latency_cycles is None
    assert e.reason == "no model for layer type 'UpSampling2D' (activation 'nearest')"
    assert e.warnings == [f"not estimated: {e.reason}"]
    odd = estimate_layer("Activation", 8, 8, activation="weird")  # a known type without a model of its activation
    assert not odd.estimated and "activation 'weird'" in odd.reason


def test_keras_class_names_reach_their_family():
    assert numbers(estimate_layer("ReLU", 32, 32)) == numbers(estimate_layer("Activation", 32, 32, activation="relu"))
    assert numbers(estimate_layer("Flatten", 16, 16)) == numbers(estimate_layer("Reshape", 16, 16))
    assert estimate_layer("ReLU", 32, 32).layer_type == "ReLU"  # the row keeps the caller's name


def test_layer_input_is_frozen_hashable_and_ignores_weights():
    import numpy as np

    a = layer_input("Dense", 16, 8, weights=np.ones((16, 8)))
    b = layer_input("Dense", 16, 8)
    assert a == b and hash(a) == hash(b)
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.reuse_factor = 4
    assert b.part.device == "xc7z020" and b.clock_ns == 10.0 and b.accum_bits == b.input_bits == b.result_bits == 16
    assert layer_input("Dense", 10, 10, sparsity=0.25).n_zeros == 25
    with pytest.raises(ValueError, match="layer 'fc': strategy 'x' is not valid"):
        layer_input("Dense", 4, 4, name="fc", strategy="x")


@pytest.mark.parametrize("strategy,rf", [("Latency", 1), ("Latency", 16), ("Resource", 16), ("Resource", 64)])
def test_design_inputs_and_keyword_arguments_give_the_same_estimates(strategy, rf):
    d = tutorial_mlp(strategy, rf)
    by_inputs = [estimate(inp).to_dict() for _, inp in design_inputs(d)]
    by_kwargs = [estimate_layer(**kw).to_dict() for _, kw in layer_kwargs(d)]
    assert by_inputs == by_kwargs
    est = estimate_design(d)
    for row, (l, inp) in zip(est.layers, design_inputs(d)):
        assert numbers(row) == numbers(estimate(inp)), l.name


def test_calibration_is_an_immutable_value():
    shipped = Calibration.shipped()
    assert shipped.source == "shipped" and shipped.path is None and shipped.label == "shipped"
    assert dict(COEFFICIENTS) == load_coefficients() == shipped.to_dict()
    with pytest.raises(TypeError):
        shipped.coefficients["lut_add_per_bit"] = 3.0
    with pytest.raises(TypeError):
        COEFFICIENTS["lut_add_per_bit"] = 3.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        shipped.source = "x"
    same = Calibration(shipped.to_dict())
    assert same == shipped and hash(same) == hash(shipped)
    other = shipped.replace(lut_add_per_bit=3.0)
    assert other != shipped and other["lut_add_per_bit"] == 3.0 and shipped["lut_add_per_bit"] != 3.0


def test_estimates_take_the_calibration_and_caches_are_keyed_on_it():
    shipped = Calibration.shipped()
    other = shipped.replace(lut_add_per_bit=3.0)
    base = estimate_layer("Dense", 16, 64, calibration=shipped).lut
    more = estimate_layer("Dense", 16, 64, calibration=other).lut
    assert more > base
    assert estimate_layer("Dense", 16, 64, calibration=shipped).lut == base  # nothing was swapped
    assert estimate_layer("Dense", 16, 64).lut == base  # the default (no saved refit in the tests) is shipped
    d = tutorial_mlp()
    assert estimate_design(d, calibration=other).total["lut"] > estimate_design(d).total["lut"]


def test_default_calibration_follows_the_saved_refit(tmp_path, monkeypatch):
    path = tmp_path / "coef.json"
    monkeypatch.setenv("HLSNB_COEFFICIENTS", str(path))
    assert user_calibration_path() == path and default_calibration() == Calibration.shipped()
    shipped_lut = estimate_layer("Dense", 16, 64).lut
    path.write_text(json.dumps({"hlsnb_calibration": 1, "coefficients": {"lut_add_per_bit": 3.0}}))
    cal = default_calibration()
    assert cal.source == "your builds" and cal.path == str(path) and cal["lut_add_per_bit"] == 3.0
    assert cal["share_scale"] == Calibration.shipped()["share_scale"]  # missing coefficients keep the shipped ones
    assert default_calibration() is cal  # read once per version of the file
    assert estimate_layer("Dense", 16, 64).lut > shipped_lut
    assert estimate_design(tutorial_mlp()).calibration == f"your builds ({path})"
    path.write_text("not json")
    with pytest.warns(UserWarning, match="ignoring the saved calibration"):
        assert default_calibration() == Calibration.shipped()
    path.unlink()
    assert estimate_layer("Dense", 16, 64).lut == shipped_lut


def test_nothing_is_read_at_import(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("not json")
    code = ("import warnings; warnings.simplefilter('error')\n"
            "import hlsnb.estimate, hlsnb.calibration, hlsnb.objectives\n"
            "print('imported')\n"
            "warnings.simplefilter('default')\n"
            "print(hlsnb.estimate.estimate_layer('Dense', 4, 4).lut)")
    env = dict(os.environ, HLSNB_COEFFICIENTS=str(bad))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120,
                         check=False)
    assert out.returncode == 0 and out.stdout.startswith("imported"), out.stderr
    assert "ignoring the saved calibration" in out.stderr  # read when the first estimate needed it


def test_objectives_use_the_same_builder():
    from hlsnb.objectives import LayerAttributes, OptimizationAttributes, VivadoDSPEstimator, hls4mlAttributes

    class Dense:
        pass

    h = hls4mlAttributes(32, 16, "io_parallel", "resource", "ap_fixed<18,8>", "ap_fixed<16,6>", 8, part="zcu102")
    assert isinstance(h.settings, LayerInput) and h.strategy == "Resource" and h.part.device == "xczu9eg"
    la = LayerAttributes("fc", Dense, [], (32, 16), (32,), (16,), False, OptimizationAttributes(),
                         {"hls4ml_attributes": h})
    direct = estimate_layer("Dense", 32, 16, name="fc", input_shape=(32,), output_shape=(16,), strategy="Resource",
                            reuse_factor=8, weight_bits=18, weight_int_bits=8, result_bits=16, part="zcu102")
    assert VivadoDSPEstimator.layer_resources(la) == [direct.dsp]
    with pytest.raises(ValueError, match="unknown strategy"):
        hls4mlAttributes(4, 4, "io_parallel", "fast", "ap_fixed<16,6>", "ap_fixed<16,6>", 1)


def test_old_calibrate_module_is_an_alias():
    from hlsnb.calibration import fitting
    from hlsnb.estimate import calibrate

    assert calibrate.fit is fitting.fit_coefficients and calibrate.load_rows is fitting.load_rows
