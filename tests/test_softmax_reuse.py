"""hls4ml 1.3's io_stream softmax reads a ReuseFactor (issue 23): ``softmax_latency``/``softmax_stable`` in
``nnet_activation_stream.h`` build ``ceil(n/RF)`` 1/sum multipliers at ``PIPELINE II = n // that`` for the ``n`` values
of a stream word; the io_parallel softmax never reads it. The rule, the Design (set, files, hls4ml configs both ways),
the widget's menu, the estimator against the real stream-softmax reports, and a real hls4ml conversion."""

from __future__ import annotations

import csv
import math
import re
import statistics

import pytest

from hlsnb import rules
from hlsnb.design import Design
from hlsnb.errors import InvalidSetting
from hlsnb.estimate import estimate_design, estimate_layer

SM = "output_softmax"  # the tutorial MLP's softmax: 5 values, one stream word


# ---------------------------------------------------------------------------------------------------- the rule
@pytest.mark.parametrize("rf", [1, 2, 3, 5, 7, 64])
def test_an_io_stream_softmax_takes_any_positive_reuse_factor(rf):
    assert rules.check_setting("sm", "Softmax", "Latency", rf, 10, 10, io_type="io_stream") == ("Latency", rf)
    assert rules.accepted_reuse_factors("Softmax", 10, 10, "Latency", "io_stream") is None
    assert rules.takes_reuse_factor("Softmax", "io_stream")


def test_an_io_parallel_softmax_keeps_reuse_factor_1_with_a_message_saying_why():
    with pytest.raises(InvalidSetting) as info:
        rules.check_setting("sm", "Softmax", "Latency", 4, 10, 10, io_type="io_parallel")
    msg = str(info.value)
    assert "'sm'" in msg and "ReuseFactor 4" in msg and "io_parallel" in msg and msg.endswith("valid: 1")
    assert "io_stream" in msg  # where it would be built
    assert rules.accepted_reuse_factors("Softmax", 10, 10, "Latency", "io_parallel") == (1,)
    assert not rules.takes_reuse_factor("Softmax", "io_parallel")
    # the other activations' stream kernels are plain PIPELINE loops: still fixed at 1, with the old message
    with pytest.raises(InvalidSetting, match="'r'.*ReuseFactor 4.*no multipliers.*fixed at 1"):
        rules.check_setting("r", "Activation", "Latency", 4, io_type="io_stream")
    # the multiplier semantics the pruning objectives and the regimes read are unchanged
    assert "Softmax" not in rules.MULT_LAYER_TYPES


def test_the_distinct_reuse_factors_and_the_notes():
    assert rules.kernel_reuse_factors(10) == (1, 2, 5, 10)
    assert rules.kernel_reuse_factors(1) == (1,)
    assert rules.kernel_reuse_note("sm", "Softmax", 10, 5) is None
    assert rules.kernel_reuse_note("sm", "Softmax", 10, 6) is None  # 2 multipliers, II 5: as RF 5, nothing idle
    above = rules.kernel_reuse_note("sm", "Softmax", 10, 64)
    assert "'sm'" in above and "ReuseFactor 64" in above and "as ReuseFactor 10" in above
    idle = rules.kernel_reuse_note("sm", "Softmax", 10, 4)  # 3 multipliers asked for II 3 over 10 products
    assert "3 multipliers" in idle and "II 3" in idle and "4 cycles" in idle and "1, 2, 5, 10" in idle


# ---------------------------------------------------------------------------------------------------- the Design
@pytest.fixture()
def stream(fresh_mlp):
    return Design.from_keras(fresh_mlp, io_type="io_stream")


def test_design_set_keeps_it_under_io_stream_and_refuses_it_under_io_parallel(fresh_mlp, stream):
    assert stream.valid_reuse_factors(SM) == (1, 5)
    stream.set(SM, reuse_factor=4)
    assert stream.layer(SM).reuse_factor == 4
    assert stream.valid_reuse_factors(SM) == (1, 4, 5)  # the layer's own value is offered too
    assert any("ReuseFactor 4 builds 2 multipliers" in w for w in stream.warnings())
    before = stream.to_json()
    with pytest.raises(InvalidSetting, match=f"'{SM}'.*ReuseFactor 4.*io_parallel.*valid: 1"):
        stream.set_target(io_type="io_parallel")
    assert stream.to_json() == before and stream.io_type == "io_stream"
    parallel = Design.from_keras(fresh_mlp)
    assert parallel.valid_reuse_factors(SM) == (1,)
    with pytest.raises(InvalidSetting, match=f"'{SM}'.*ReuseFactor 2.*fixed at 1"):
        parallel.set(SM, reuse_factor=2)
    assert Design.from_json(stream.to_json()).layer(SM).reuse_factor == 4


def test_hls4ml_config_both_ways(fresh_mlp, stream):
    stream.set(SM, reuse_factor=5)
    cfg = stream.to_hls4ml_config()
    assert cfg["LayerName"][SM]["ReuseFactor"] == 5
    assert Design.from_hls4ml_config(fresh_mlp, cfg, io_type="io_stream").layer(SM).reuse_factor == 5
    # a Model-level ReuseFactor reaches the softmax as in hls4ml (pominiq's RF 16 designs: one multiplier)
    cfg = {"Model": {"Precision": "ap_fixed<16,6>", "ReuseFactor": 16, "Strategy": "Latency"}}
    assert Design.from_hls4ml_config(fresh_mlp, cfg, io_type="io_stream").layer(SM).reuse_factor == 16
    assert Design.from_hls4ml_config(fresh_mlp, cfg, io_type="io_parallel").layer(SM).reuse_factor == 1
    # a softmax's own ReuseFactor under io_parallel (hls4ml's config_from_keras_model writes one on every layer) is
    # carried to hls4ml unchanged and said, not dropped; hlsnb's own set() refuses it
    cfg = {"Model": {"Precision": "ap_fixed<16,6>"}, "LayerName": {SM: {"ReuseFactor": 4}}}
    d = Design.from_hls4ml_config(fresh_mlp, cfg, io_type="io_parallel")
    assert d.layer(SM).reuse_factor == 1 and d.to_hls4ml_config()["LayerName"][SM]["ReuseFactor"] == 4
    assert any(f"'{SM}': ReuseFactor 4 from the hls4ml config" in w for w in d.warnings())
    with pytest.raises(InvalidSetting, match=f"'{SM}'.*ReuseFactor 4.*valid: 1"):
        d.set(SM, reuse_factor=4)
    # legacy and argmax ignore it: said so
    cfg = {"Model": {"Precision": "ap_fixed<16,6>"},
           "LayerName": {SM: {"ReuseFactor": 5, "Implementation": "argmax"}}}
    d = Design.from_hls4ml_config(fresh_mlp, cfg, io_type="io_stream")
    assert any("argmax softmax ignores it" in w for w in d.warnings())


def test_the_reuse_factor_reaches_hls4mls_generated_code(fresh_mlp, stream, tmp_path):
    hls4ml = pytest.importorskip("hls4ml")
    stream.set(SM, reuse_factor=5)
    stream.set("output", result_precision="ap_fixed<16,6>")
    hm = hls4ml.converters.convert_from_keras_model(fresh_mlp, **stream.hls4ml_kwargs(str(tmp_path / "prj")))
    hm.write()
    params = (tmp_path / "prj" / "firmware" / "parameters.h").read_text()
    block = re.search(r"struct softmax_config\d+ : nnet::activ_config \{(.*?)\};", params, re.S).group(1)
    assert "reuse_factor = 5;" in block and "io_type = nnet::io_stream;" in block
    assert "implementation = nnet::softmax_implementation::stable" in block  # a kernel that reads it


def test_the_widget_offers_reuse_factors_for_an_io_stream_softmax(stream):
    from hlsnb.widgets import LayerConfigurator

    cfg = LayerConfigurator(stream)
    row = cfg.rows[SM]
    assert not row.reuse_factor.disabled and list(row.reuse_factor.options) == [1, 5]
    row.reuse_factor.value = 5  # as a user picks it
    assert stream.layer(SM).reuse_factor == 5
    stream.set(SM, reuse_factor=1)
    stream.set_target(io_type="io_parallel")
    assert row.reuse_factor.disabled and list(row.reuse_factor.options) == [1]
    assert cfg.rows["fc1_relu"].reuse_factor.disabled  # a ReLU has none
    cfg.close()


def test_the_explorer_comparison_lists_a_softmax_reuse_factor_change(stream):
    from hlsnb.widgets import Explorer

    ex = Explorer(stream, live=False)
    ex.control.pin("A")
    stream.set(SM, reuse_factor=5)
    _, a, _, diffs = ex.control.comparison("csynth", None)
    assert (SM, "Latency RF 1", "Latency RF 5") in diffs
    pinned = next(e for e in a.layers if e.name == SM)
    now = next(e for e in estimate_design(stream).layers if e.name == SM)
    assert pinned.dsp == 5  # the pinned design: one multiplier per value
    assert (now.dsp, now.reuse_factor) == (1, 5)  # the design now: one multiplier for the 5 values, RF shown
    ex.close()


# ---------------------------------------------------------------------------------------------------- the estimator
def _vivado():
    from hlsnb.estimate._calibration import Calibration

    return Calibration.shipped().for_tool("vivado_hls")


@pytest.mark.parametrize("rf,mults,ii", [(1, 10, 1), (2, 5, 2), (3, 4, 3), (4, 3, 4), (5, 2, 5), (10, 1, 10),
                                         (64, 1, 10)])
def test_the_estimate_shares_the_multipliers(rf, mults, ii):
    e = estimate_layer("Softmax", n_in=10, n_out=10, io_type="io_stream", reuse_factor=rf)
    base = estimate_layer("Softmax", n_in=10, n_out=10, io_type="io_stream", reuse_factor=1)
    assert e.dsp == mults  # 18 x 16-bit products: one DSP48E1 each
    assert e.bram18k == math.ceil(math.ceil(10 / ii) / 2) + 1  # exp ROM copies for the reads a cycle, 1/sum ROM
    # a word shared by fewer multipliers than values: ii cycles, and the fitted cycles of the shared pipeline
    shared = round(_vivado()["softmax_stream_lat"]) if ii > 1 else 0
    assert e.latency_cycles == base.latency_cycles + ii - 1 + shared and e.ii == e.latency_cycles
    fabric = estimate_layer("Softmax", n_in=10, n_out=10, io_type="io_stream", reuse_factor=rf, mult_impl="fabric")
    assert fabric.dsp == 0 and fabric.lut > e.lut
    if rf == 64:
        assert any("as ReuseFactor 10" in w for w in e.warnings)


def test_the_estimate_per_pixel_and_the_io_parallel_refusal():
    # a Conv2D's 16 pixels of 8 channels: 8 values a word, 16 words
    e1 = estimate_layer("Softmax", n_in=128, n_out=128, output_shape=(4, 4, 8), io_type="io_stream")
    e4 = estimate_layer("Softmax", n_in=128, n_out=128, output_shape=(4, 4, 8), io_type="io_stream", reuse_factor=4)
    assert (e1.dsp, e4.dsp) == (8, 2)
    assert e4.latency_cycles - e1.latency_cycles == 16 * (4 - 1) + round(_vivado()["softmax_stream_lat"])
    with pytest.raises(InvalidSetting, match="'softmax'.*reuse_factor 4.*valid: 1"):
        estimate_layer("Softmax", n_in=10, n_out=10, io_type="io_parallel", reuse_factor=4, name="softmax")


def _stream_rows_with_rf(calibration_dir):
    from hlsnb.calibration.rows import load_records

    recs = load_records([calibration_dir / f for f in ("reports.csv", "reports2.csv", "reports3.csv")])
    return [r for r in recs if r["type"] == "Softmax" and r["kw"] and r["stage"] == "csynth"
            and r["kw"]["io_type"] == "io_stream" and r["kw"].get("reuse_factor", 1) > 1]


def test_against_the_real_stream_softmax_reports(calibration_dir):
    """pominiq/DNNonSilicon's io_stream softmaxes at RF 3-64 (Vivado HLS 2020.1, 3-12 values a word, 1-676 words).
    DSP and BRAM are structural (no fitted number); the latency line is fitted on the Vitis io_parallel MLPs only,
    so these rows are held out of everything the estimate uses."""
    rows = _stream_rows_with_rf(calibration_dir)
    assert len(rows) >= 10 and {r["repo"] for r in rows} == {"pominiq/DNNonSilicon"}
    lat_err, ii_err, old_dsp_exact = [], [], 0
    for r in rows:
        e, m = estimate_layer(**r["kw"]), r["meas"]
        assert (e.dsp, e.bram18k) == (m["dsp"], m["bram18k"]), (r["row"]["layer_name"], r["kw"]["reuse_factor"])
        lat_err.append(abs(e.latency_cycles - m["latency"]) / m["latency"])
        ii_err.append(abs(e.ii - m["ii"]) / m["ii"])
        old = estimate_layer(**dict(r["kw"], reuse_factor=1))  # what hlsnb estimated before (RF forced to 1)
        old_dsp_exact += old.dsp == m["dsp"]
    assert statistics.median(lat_err) <= 0.15 and statistics.median(ii_err) <= 0.15
    assert old_dsp_exact <= 1  # the RF-1 model misses them (it counted one multiplier per value)


def test_against_keb_l_stream_softmaxes(calibration_dir):
    """Keb-L's model*_rf* CNNs (Vivado HLS 2018.2, xcvu9p): an 8-value softmax (its module name's ``8u``) at RF 2, 4,
    18 and 72; the calibration reader skips these rows (precision not recorded), so only DSP and BRAM are checked."""
    seen = 0
    for r in csv.DictReader(open(calibration_dir / "reports.csv", newline="")):
        if not (r["source"].startswith("Keb-L") and r["layer_type"] == "softmax" and r["reuse_factor"]
                and "array_ap_fixed_8u_softmax" in r["notes"]):
            continue
        e = estimate_layer("Softmax", n_in=8, n_out=8, io_type="io_stream", reuse_factor=int(r["reuse_factor"]),
                           part=r["part"], tool="vivado_hls", tool_version="2018.2")
        assert (e.dsp, e.bram18k) == (float(r["dsp"]), float(r["bram18k"])), r["source"]
        seen += 1
    assert seen == 5
