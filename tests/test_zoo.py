"""The model zoo (issue 14): the architectures of hls4ml's own tests, in Keras 3, through Design, estimate and fit.

Fast part: every architecture with io_parallel and io_stream, no compile: every layer is estimated (or named as
missing wherever a total is shown), reused layers get one entry per hls4ml node, fit never says "fits" over a hole.
Compiled part: a few architectures converted with exactly the Design's settings and C-simulated against Keras, in
a subprocess (an hls4ml template abort must fail a test, not kill the run).
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest
import zoo_models  # tests/zoo_models.py: pytest puts the tests folder on sys.path

from hlsnb import Design
from hlsnb.errors import InvalidSetting
from hlsnb.estimate import estimate_design
from hlsnb.fit import fit_to_board

#: hls4ml 1.3 cannot parse these Keras 3 models (its SeparableConv handler reads `layer.kernel`, which Keras 3's
#: SeparableConv has not): hlsnb must say so, not crash.
HLS4ML_CANNOT = {"separable"}
ARCHS = sorted(n for n in zoo_models.ZOO if n not in HLS4ML_CANNOT)


@pytest.mark.parametrize("io_type", ["io_parallel", "io_stream"])
@pytest.mark.parametrize("name", ARCHS)
def test_every_layer_is_estimated_and_fit_runs(name, io_type):
    model = zoo_models.build(name)
    d = Design.from_keras(model, io_type=io_type)
    e = estimate_design(d)
    assert e.not_estimated == [], f"{name}/{io_type}: not estimated: {e.not_estimated}"
    assert not e.lower_bound and e.missing_note() == ""
    for le in e.layers:
        assert le.estimated and all(getattr(le, r) is not None and getattr(le, r) >= 0
                                    for r in ("dsp", "lut", "ff", "bram18k", "latency_cycles")), le
    r = fit_to_board(d, 0.8)
    assert r.missing == [] and r.estimate.not_estimated == []
    assert r.summary().startswith(("Fits", "Nothing found"))
    # every choice the fit made is one the design offers (and so one hls4ml's templates build)
    for n, (s, rf) in r.choices.items():
        assert s in d.strategies(n) and rf in d.valid_reuse_factors(n, s)


@pytest.mark.parametrize("name", sorted(HLS4ML_CANNOT))
def test_what_hls4ml_cannot_parse_is_a_clear_error(name):
    with pytest.raises(InvalidSetting, match="hls4ml cannot parse"):
        Design.from_keras(zoo_models.build(name))


def test_new_layer_types_get_their_own_model():
    kinds = {}
    for name in ("depthwise", "embedding", "upsampling2d", "cropping", "simple_rnn", "lstm", "gru", "bidirectional",
                 "einsum_dense", "dot", "merges", "hard_activations"):
        d = Design.from_keras(zoo_models.build(name))
        for l in d.layers:
            kinds[l.name + "@" + name] = l.layer_type
    assert kinds["dw@depthwise"] == "DepthwiseConv2D" and kinds["dw1@depthwise"] == "DepthwiseConv1D"
    assert kinds["up@upsampling2d"] == "Resize" and kinds["crop@cropping"] == "Cropping2D"
    assert kinds["mul@merges"] == "Multiply" and kinds["add@merges"] == "Merge" and kinds["dot@dot"] == "Dot"
    assert kinds["hsig@hard_activations"] == "HardActivation"
    assert {kinds["rnn@simple_rnn"], kinds["lstm@lstm"], kinds["gru@gru"], kinds["bi@bidirectional"]} == {
        "SimpleRNN", "LSTM", "GRU", "Bidirectional"}


def test_a_multiply_merge_costs_multipliers_not_adders():
    d = Design.from_keras(zoo_models.build("merges"))
    e = estimate_design(d)
    mul, add = e.layer("mul"), e.layer("add")
    assert mul.dsp == 8 and add.dsp == 0  # 8 products of 16x16 bits: one DSP each
    assert any("products" in t.what for t in mul.breakdown)
    d.set_all(precision="ap_fixed<8,3>")
    mul8 = estimate_design(d).layer("mul")
    assert mul8.dsp == 0 and mul8.lut > estimate_design(d).layer("add").lut  # 8x8 products in LUTs


def test_depthwise_and_recurrent_layers_have_strategy_and_reuse_factor_controls():
    d = Design.from_keras(zoo_models.build("rf_sequence"))
    for n in ("dw1", "lstm", "gru"):
        assert d.layer(n).is_mult_layer
    assert d.strategies("dw1") == ("Latency",)  # Resource aborts (io_parallel) or is built as Latency (io_stream)
    assert set(d.strategies("lstm")) == {"Latency", "Resource", "Resource_Unrolled"}
    lstm = d.layer("lstm")
    assert (lstm.n_in, lstm.n_out) == (4, 16)  # hls4ml's mult size: features x 4 gates * state
    before = estimate_design(d).layer("lstm")
    d.set("lstm", strategy="Resource", reuse_factor=8)
    after = estimate_design(d).layer("lstm")
    assert after.dsp < before.dsp and after.latency_cycles > before.latency_cycles
    with pytest.raises(InvalidSetting, match="ReuseFactor 3 is not valid"):
        d.set("gru", strategy="Resource", reuse_factor=3)


def test_recurrent_reuse_factor_must_suit_both_kernels():
    # LSTM(4) on 3 features: kernel 3x16, recurrent kernel 4x16; hls4ml validates the one ReuseFactor on each
    from hlsnb import rules

    assert 3 in rules.valid_reuse_factors(3, 16) and 3 not in rules.template_reuse_factors("LSTM", 3, 16)
    assert rules.template_reuse_factors("LSTM", 3, 16, "Resource") == (1,)
    d = Design.from_keras(zoo_models.build("lstm"))
    assert d.valid_reuse_factors("lstm", "Resource") == (1,)


def test_conv_resource_reuse_factor_follows_the_template():
    d = Design.from_keras(zoo_models.build("rf_image"))
    c = d.layer("c2")  # 3x3 kernel x 2 channels = 18 = hls4ml's filt_height*filt_width*n_chan
    assert c.n_in == 18
    par = d.valid_reuse_factors("c2", "Resource")
    assert max(par) == 18 and 54 not in par  # RF 54 passes hls4ml's validator, then aborts the C simulation
    assert 54 in d.valid_reuse_factors("c2", "Latency")
    with pytest.raises(InvalidSetting, match="ReuseFactor 54 is not valid"):
        d.set("c2", strategy="Resource", reuse_factor=54)
    d.set_target(io_type="io_stream")  # the stream template has no such limit
    assert 54 in d.valid_reuse_factors("c2", "Resource")
    d.set("c2", strategy="Resource", reuse_factor=54)
    with pytest.raises(InvalidSetting, match="ReuseFactor 54 is not valid"):
        d.set_target(io_type="io_parallel")
    r = fit_to_board(Design.from_keras(zoo_models.build("rf_image")), 0.05)
    s, rf = r.choices["c2"]
    assert not (s == "Resource" and rf > 18)


def test_reused_layer_is_one_entry_per_node_with_its_own_shapes():
    model = zoo_models.build("reused_layer")
    d = Design.from_keras(model)
    a, b = d.layer("conv"), d.layer("conv_0")
    assert (a.input_shape, a.output_shape) == ((8, 2), (6, 3))
    assert (b.input_shape, b.output_shape) == ((12, 2), (10, 3))
    assert a.keras_name == b.keras_name == "conv" and b.keras_layer == "conv" and a.keras_layer is None
    assert a.weights.shape == b.weights.shape == (3, 2, 3)
    d.check_model(model)  # used to raise "design layer 'conv_0' is not in the Keras model"
    d.attach_weights(model)
    assert d.layer("conv_0").weights.shape == (3, 2, 3)
    e = estimate_design(d)
    assert e.layer("conv_0").latency_cycles > e.layer("conv").latency_cycles  # 10 output pixels against 6
    again = Design.from_json(d.to_json())
    assert again.layer("conv_0").keras_layer == "conv"


def test_the_design_checks_the_kernel_size_against_the_model():
    d = Design.from_keras(zoo_models.build("mlp"))
    import keras

    other = keras.Model(*_bigger_mlp(keras))
    with pytest.raises(InvalidSetting, match="'fc1'.*kernel of"):
        d.check_model(other)


def _bigger_mlp(keras):
    i = keras.Input((16,), name="x")
    h = keras.layers.Dense(64, name="fc1")(i)
    h = keras.layers.Dense(16, name="fc2")(h)
    return i, keras.layers.Dense(5, name="out")(h)


def test_a_hole_is_named_everywhere_and_never_fits(capsys, tmp_path):
    d = Design.from_keras(zoo_models.build("mlp"))
    layers = [dataclasses.replace(l, layer_type="Mystery") if l.name == "fc2" else l for l in d.layers]
    holey = Design(layers, board="pynq-z2")
    e = estimate_design(holey)
    assert e.not_estimated == ["fc2"] and e.lower_bound
    assert "fc2" in e.missing_note() and "lower bound" in e.missing_note().lower()
    assert "lower bound" in e._repr_html_()
    r = fit_to_board(holey, 0.8)
    assert r.missing == ["fc2"] and not r.fits
    text = r.summary()
    assert not text.startswith("Fits") and "lower bound" in text and "fc2" in text
    assert "lower bound" in r._repr_html_()
    # the CLI's estimate lines say it too
    from hlsnb.cli import main

    path = tmp_path / "holey.json"
    path.write_text(holey.to_json())
    assert main(["estimate", str(path)]) == 0
    out = capsys.readouterr().out
    assert "total (lower bound)" in out and "fc2" in out.split("total (lower bound)")[1]


# ------------------------------------------------------------------------------------------ compiled subset
def _run_jobs(jobs: list[dict], timeout: float = 900) -> tuple[list[dict], subprocess.CompletedProcess]:
    """Run the zoo worker on ``jobs`` in a subprocess; returns its JSON lines and the process."""
    proc = subprocess.run([sys.executable, str(Path(__file__).with_name("zoo_models.py"))],
                          input="\n".join(json.dumps(j) for j in jobs) + "\n", capture_output=True, text=True,
                          timeout=timeout, cwd=Path(__file__).parent)
    lines = [json.loads(x) for x in proc.stdout.splitlines() if x.startswith("{")]
    return lines, proc


def _check_all_done(jobs, lines, proc, max_err=None):
    done = [x for x in lines if "done" in x]
    if len(done) != len(jobs):
        started = [x["start"] for x in lines if "start" in x]
        raise AssertionError(f"the C simulation died (exit {proc.returncode}) in job {started[-1] if started else '?'}"
                             f": {proc.stderr[-1500:]}")
    for x in done:
        assert x["finite"] and x["size"] == x["ref_size"], x
        if max_err is not None:
            assert x["max_err"] < max_err, x
    return done


def test_every_offered_reuse_factor_class_compiles_and_simulates():
    """One layer of each type with multipliers (Dense, Conv1D/2D, DepthwiseConv1D/2D, LSTM, GRU) at each RF class
    hlsnb offers: the largest and smallest Resource ReuseFactor, Resource_Unrolled in the middle, Latency at its
    largest. Two models hold all seven types, so ten compiles cover them (about 2 min on 2 cores)."""
    jobs = [{"name": n, "io_type": io, "rf_class": c} for n, io, c in (
        ("rf_image", "io_parallel", "resource_max"), ("rf_image", "io_parallel", "resource_min"),
        ("rf_image", "io_parallel", "latency_max"), ("rf_image", "io_stream", "resource_max"),
        ("rf_image", "io_stream", "unrolled_mid"),
        ("rf_sequence", "io_parallel", "resource_max"), ("rf_sequence", "io_parallel", "unrolled_mid"),
        ("rf_sequence", "io_parallel", "latency_max"), ("rf_sequence", "io_stream", "resource_max"))]
    lines, proc = _run_jobs(jobs)
    done = _check_all_done(jobs, lines, proc, max_err=0.1)
    seen = {(x["done"]["name"], x["done"]["io_type"], x["done"]["rf_class"], n): tuple(c)
            for x in done for n, c in x["choices"].items()}
    assert seen["rf_image", "io_parallel", "resource_max", "c2"] == ("Resource", 18)  # not 54: see the control
    assert seen["rf_image", "io_stream", "resource_max", "c2"] == ("Resource", 54)
    assert seen["rf_sequence", "io_parallel", "unrolled_mid", "lstm"][0] == "Resource_Unrolled"
    assert seen["rf_image", "io_parallel", "latency_max", "dw2"] == ("Latency", 81)


def test_the_reuse_factor_hlsnb_no_longer_offers_does_abort_hls4ml():
    """The control: io_parallel Conv2D Resource at RF 54 > 18 (valid by hls4ml's validator) aborts its C
    simulation in nnet_conv2d_resource.h; hlsnb refuses it (see test_conv_resource_reuse_factor_follows_the_template)."""
    jobs = [{"name": "rf_image", "io_type": "io_parallel", "rf_class": "resource_max",
             "override": {"c2": ["Resource", 54]}}]
    lines, proc = _run_jobs(jobs)
    assert proc.returncode != 0 and not any("done" in x for x in lines)
    assert "RF <= FILT_HEIGHT * FILT_WIDTH * N_CHAN" in proc.stderr


def test_a_compiled_subset_of_the_zoo_matches_keras():
    """Reused layer (refused at convert before), Embedding, UpSampling, Cropping (io_stream), merges and Dot: the
    Design's settings converted and C-simulated, outputs against Keras."""
    jobs = [{"name": n, "io_type": io, "rf_class": "default"} for n, io in (
        ("reused_layer", "io_parallel"), ("embedding", "io_parallel"), ("upsampling2d", "io_parallel"),
        ("cropping", "io_stream"), ("merges", "io_parallel"), ("dot", "io_parallel"))]
    lines, proc = _run_jobs(jobs)
    _check_all_done(jobs, lines, proc, max_err=0.1)
