"""The precision advisor (issue 14): Keras value ranges against the Design's types, before any C simulation."""

from __future__ import annotations

import numpy as np
import pytest
import zoo_models  # tests/zoo_models.py

from hlsnb import Design
from hlsnb.advisor import Advice, ValueRange, advise, known_problems, suggest_type
from hlsnb.design.hls4ml_config import to_hls4ml_config
from hlsnb.precision import parse_precision


@pytest.fixture(scope="module")
def gap():
    """GlobalAveragePooling2D over 18x18 = 324 pixels of a conv with all-one kernels: the window sums reach ~1500,
    far past ap_fixed<16,6> (|x| < 32); hls4ml's C simulation returns garbage at the default precision."""
    model = zoo_models.build("big_gap")
    x = np.abs(zoo_models.sample_inputs(model, 32))
    return model, x


def test_the_pooling_accumulator_overflow_is_flagged_with_a_fix(gap):
    model, x = gap
    d = Design.from_keras(model)
    a = advise(d, model, x)
    assert not a.ok and a.n_errors == 1
    f = a.findings[0]
    assert (f.layer, f.kind, f.setting, f.current) == ("gap", "overflow", "accum_precision", "ap_fixed<16,6>")
    assert "wraps around" in f.message and "324" not in f.message
    fixed = parse_precision(f.suggested)
    rng = next(r for r in a.ranges if (r.layer, r.kind) == ("gap", "accum"))
    assert fixed.max_value > rng.max > 1000 and fixed.fractional >= 10  # as many fractional bits as before
    assert a.suggestions() == {"gap": {"accum_precision": f.suggested}}
    assert a.apply(d) == {"gap": {"accum_precision": f.suggested}}
    assert d.layer("gap").accum_precision == f.suggested
    assert a.recheck(d).ok and advise(d, model, x).ok
    assert "precision: 1 error(s)" in a.badge() and "<table>" in a._repr_html_()


def test_pooling_accumulator_is_a_per_layer_setting_that_reaches_hls4ml(gap):
    model, _ = gap
    d = Design.from_keras(model)
    d.set("gap", accum_precision="ap_fixed<24,14>")  # raised "has no accum precision" before issue 14
    assert to_hls4ml_config(d)["LayerName"]["gap"]["Precision"]["accum"] == "ap_fixed<24,14>"
    again = Design.from_json(d.to_json())
    assert again.layer("gap").accum_precision == "ap_fixed<24,14>"


def test_check_csim_says_why_and_the_advice_fixes_it(gap, tmp_path):
    from hlsnb.synth import check_csim, make_project

    model, x = gap
    d = Design.from_keras(model)
    hm = make_project(d, model, tmp_path / "bad")
    check = check_csim(hm, model, x, atol=0.05, trace=False)
    assert not check.passed and check.max_abs_diff > 1
    assert check.advice is not None and check.advice.findings[0].layer == "gap"
    assert "precision advisor" in check.summary() and "accumulator" in check.summary()
    advise(d, model, x).apply(d)
    good = check_csim(make_project(d, model, tmp_path / "good"), model, x, atol=0.05, trace=False)
    assert good.passed and good.max_abs_diff < 0.05 and good.advice is None


def test_simple_rnn_on_vivado_is_flagged_whatever_the_precision():
    model = zoo_models.build("simple_rnn")
    x = zoo_models.sample_inputs(model, 16)
    d = Design.from_keras(model)
    a = advise(d, model, x)
    assert [(f.layer, f.kind, f.severity) for f in a.findings] == [("rnn", "backend", "error")]
    assert "SimpleRNN" in a.findings[0].message and not a.suggestions()
    d.set_target(backend="Vitis")
    assert advise(d, model, x).ok
    assert [f.kind for f in known_problems([("l", "LSTM")], "Vivado")] == ["backend"]
    assert known_problems([("l", "LSTM")], "Vivado")[0].severity == "warning"


def test_tiny_values_lose_precision_and_get_more_fractional_bits():
    model = zoo_models.build("mlp")
    x = zoo_models.sample_inputs(model, 64) * 1e-3
    d = Design.from_keras(model)
    a = advise(d, model, x)
    loss = [f for f in a.findings if f.kind == "precision_loss"]
    assert loss and a.ok  # a warning, not an error
    assert all(parse_precision(f.suggested).fractional > 10 for f in loss)


def test_multi_input_models_and_batches_of_data():
    model = zoo_models.build("two_inputs")
    x1, x2 = zoo_models.sample_inputs(model, 40)
    d = Design.from_keras(model)
    whole = advise(d, model, [x1, x2])
    batched = advise(d, model, ([x1[i:i + 10], x2[i:i + 10]] for i in range(0, 40, 10)))
    assert whole.n_samples == batched.n_samples == 40
    r1 = {(r.layer, r.kind): (r.min, r.max) for r in whole.ranges}
    r2 = {(r.layer, r.kind): (r.min, r.max) for r in batched.ranges}
    assert r1.keys() == r2.keys() and all(np.allclose(r1[k], r2[k], atol=1e-6) for k in r1)
    assert ("fa", "accum") in r1 and ("add", "result") in r1


def test_dense_accumulator_is_the_pre_activation():
    model = zoo_models.build("mlp")
    x = zoo_models.sample_inputs(model, 32)
    a = advise(Design.from_keras(model), model, x)
    rng = {(r.layer, r.kind): r for r in a.ranges}
    pre, post = rng["fc1", "accum"], rng["fc1_relu", "result"]
    assert pre.min < 0 and post.min >= 0 and post.max == pytest.approx(pre.max, rel=1e-5)


def test_suggest_type_keeps_the_fractional_bits_and_adds_integer_ones():
    t = parse_precision("ap_fixed<16,6>")
    s = suggest_type(ValueRange("l", "result", -100.0, 90.0, 30.0, 10), t)
    assert s.max_value >= 100 and s.min_value <= -100 and s.fractional == 10
    assert isinstance(Advice([], [], 0).ok, bool)


def test_the_explorer_shows_the_advice_and_follows_the_design(gap):
    from hlsnb.widgets import Explorer

    model, x = gap
    ex = Explorer(model, live=False)
    a = ex.advise(x)
    assert not a.ok and ex.advice_html in ex.children and "1 error" in ex.advice_html.value
    ex.design.set("gap", accum_precision=a.findings[0].suggested)
    assert ex.last_advice.ok and "precision OK" in ex.advice_html.value
