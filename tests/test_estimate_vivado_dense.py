"""Issue 12: Dense layers on Vivado HLS 2019-2020, modelled from hls4ml's templates and checked
leave-one-repository-out on the three calibration CSVs (the figures make calibrate measured and shipped)."""

import statistics
from pathlib import Path

import pytest

from hlsnb.estimate import estimate_layer
from hlsnb.estimate._calibration import Calibration
from hlsnb.estimate._core import mux_luts

CAL = Path(__file__).resolve().parents[1].parent / "shared" / "calibration"
CSVS = [CAL / "reports.csv", CAL / "reports2.csv", CAL / "reports3.csv"]
needs_data = pytest.mark.skipif(not all(p.exists() for p in CSVS), reason=f"calibration data not found at {CAL}")

VIVADO = dict(part="pynq-z2", tool="vivado_hls", weight_bits=16, input_bits=16, accum_bits=16, clock_ns=10.0)


def _terms(e, resource, start):
    return [t for t in e.terms(resource) if t.what.startswith(start)]


def test_latency_product_registers_are_the_shared_multiplier_outputs_held_ii_minus_1_cycles():
    """dense_latency at II > 1: each shared multiplier's product is held until the last cycle, whose products go to
    the adder trees directly: units x (II - 1) registers of accum bits (pominiq 4x128 RF 8: 16 x 4 x 16 = 1024 FF)."""
    e = estimate_layer("Dense", 4, 128, strategy="Latency", reuse_factor=8, n_zeros=384, **VIVADO)
    (term,) = _terms(e, "ff", "product registers")
    units = e.dsp  # 16x16-bit products: one DSP48E1 each
    assert 1 < e.ii <= 8 and units > 0
    # ... plus the constant products built from shifts and adds, which wait in mult[] too (issue 23)
    assert min(512 - 384, units * (e.ii - 1)) * 16 <= term.value <= (512 - 384) * 16
    # no further adder-tree stage registers at II > 1 on Vivado HLS (the tree is chained)
    assert not _terms(e, "ff", "pipeline registers")


def test_resource_input_mux_is_rf_to_1_whatever_n_in():
    """dense_resource_rf_leq_nin: multiplier im reads data[ir + RF*k] with ir the reuse-loop counter, so the input
    multiplexer of each multiplier is RF-to-1: its cost per multiplier does not grow with n_in."""
    per_mult = []
    for n_in in (32, 144):
        e = estimate_layer("Dense", n_in, 12, strategy="Resource", reuse_factor=4, **VIVADO)
        (term,) = _terms(e, "lut", "input multiplexers")
        assert "4-to-1" in term.what
        per_mult.append(term.value / (n_in * 12 / 4))
    cal = Calibration.shipped().for_tool("vivado_hls")
    assert per_mult[0] == pytest.approx(per_mult[1])
    assert per_mult[0] == pytest.approx(16 * mux_luts(4) * cal["res_inmux_lut"])


def test_resource_layer_carries_its_reuse_loop_control_once():
    cal = Calibration.shipped().for_tool("vivado_hls")
    assert cal["res_layer_lut"] > 0
    for rf, n_in in ((4, 32), (64, 32)):  # RF < n_in and RF > n_in
        e = estimate_layer("Dense", n_in, 10, strategy="Resource", reuse_factor=rf, **VIVADO)
        (term,) = _terms(e, "lut", "reuse-loop control")
        assert term.value == pytest.approx(cal["res_layer_lut"])
    for strategy in ("Latency", "Resource_Unrolled"):
        e = estimate_layer("Dense", 32, 10, strategy=strategy, reuse_factor=4, **VIVADO)
        assert not _terms(e, "lut", "reuse-loop control")


def test_multiplexers_priced_at_zero_stay_in_the_breakdown():
    """The shared input and accumulator-select multiplexers of RF > n_in have a fitted scale of 0 on Vivado HLS (the
    reports do not separate them from the per-layer control): the breakdown still names them, at 0."""
    e = estimate_layer("Dense", 16, 64, strategy="Resource", reuse_factor=64, **VIVADO)
    words = " ".join(t.what for t in e.breakdown)
    assert "one shared input multiplexer" in words and "accumulator select" in words


def test_a_calibration_without_per_tool_block_keeps_the_first_forms():
    """The Vivado HLS terms are switched off by TOOL_DEFAULTS: a flat (shared-only) calibration estimates Resource as
    before, and a Latency layer at II > 1 as the shared (Vitis HLS) fit does: every nonzero product held."""
    flat = Calibration({k: v for k, v in Calibration.shipped().coefficients.items() if k != "per_tool"}, "fit")
    e = estimate_layer("Dense", 32, 10, strategy="Resource", reuse_factor=4, calibration=flat, **VIVADO)
    (term,) = _terms(e, "lut", "input multiplexers")
    assert "32-to-1" in term.what
    assert not _terms(e, "lut", "reuse-loop control")
    lat = estimate_layer("Dense", 32, 10, strategy="Latency", reuse_factor=16, calibration=flat, **VIVADO)
    (held,) = _terms(lat, "ff", "product registers")
    assert held.value == 320 * 16 and "every nonzero product" in held.what


@pytest.fixture(scope="module")
def table():
    """The leave-one-repository-out medians ``make calibrate`` measured on the three CSVs and shipped (the held-out
    rows of every fold; one fold is recomputed for real in tests/test_estimate_tools.py), keyed like
    :func:`hlsnb.calibration.loro.error_table`."""
    from hlsnb.estimate._regime import regime_errors

    layer = regime_errors()["layer"]
    return {(tool, group, strategy, "csynth"): layer[f"{tool} | {group} | csynth | {strategy}"]
            for tool in ("vivado_hls",) for group in ("Dense", "Conv") for strategy in ("Latency", "Resource")}


@needs_data
def test_loro_vivado_dense_medians(table):
    """The issue's target (<= 0.30 for DSP, LUT, FF and latency of Vivado HLS Dense layers, leave-one-repository-out):
    met for Latency; for Resource on DSP and latency (LUT and FF: the strict xfails below)."""
    lat = table[("vivado_hls", "Dense", "Latency", "csynth")]
    res = table[("vivado_hls", "Dense", "Resource", "csynth")]
    assert lat["n"] >= 30 and res["n"] >= 20
    # LUT 0.23: 0.16 while Duchstf's convolutions, modelled one pixel at a time instead of the ten their older
    # template computes at once, pulled the operand-multiplexer scale to 3.0 in pominiq's fold; 0.33 without that,
    # until Latency io_stream Dense layers paid for their stream wrapper as Resource ones do
    for r in ("dsp", "lut", "ff", "latency"):
        assert lat[r] <= 0.30, r
    for r in ("dsp", "latency"):
        assert res[r] <= 0.30, r
    # LUT 0.32 and FF 0.35 on the three CSVs, the seed checks and flagged rows left out (the strict xfail below); on
    # reports.csv + reports2.csv alone 0.30 / 0.33 (FF 0.25 before the write-select registers were priced per
    # accumulator)
    assert res["lut"] <= 0.33 and res["ff"] <= 0.40
    for strategy in ("Latency", "Resource"):
        conv = table[("vivado_hls", "Conv", strategy, "csynth")]
        assert all(conv[r] <= 0.50 for r in ("dsp", "lut", "ff", "latency")), strategy


@needs_data
@pytest.mark.xfail(strict=True, reason="measured: Vivado HLS Dense Resource LUT 0.32 and FF 0.35 leave-one-repository-out"
                   " on the three CSVs, the seed checks and the flagged rows left out (0.32 / 0.34 with Duchstf's two "
                   "flagged ones) (kendermag's 6-bit io_stream layers; mgrailoo's RF 500-307,200 layers)")
@pytest.mark.parametrize("resource", ["lut", "ff"])
def test_loro_vivado_dense_resource_target(table, resource):
    assert table[("vivado_hls", "Dense", "Resource", "csynth")][resource] <= 0.30



@needs_data
def test_latency_io_stream_dense_pays_for_its_stream_wrapper_held_out():
    """hls4ml's io_stream Dense reads its input words into an array and writes its result words whatever the
    strategy (``nnet_dense_stream.h``): the wrapper the Resource layers pay for (``res_stream_lut``/``_ff``, fitted
    on them) is paid by Latency ones too (``stream_dense_all``, structural on Vivado HLS). pominiq's 11 io_stream
    Latency Dense layers, pominiq held out of the fit: median |LUT error| 0.39 without it, 0.29 with it."""
    from hlsnb.calibration.loro import predict_rows
    from hlsnb.calibration.per_tool import fit_per_tool
    from hlsnb.calibration.rows import load_records

    recs = load_records(CSVS)
    fold = "pominiq/DNNonSilicon"
    shared = {k: v for k, v in Calibration.shipped().coefficients.items() if k != "per_tool" and not k.startswith("_")}
    fit = fit_per_tool(recs, {r["repo"] for r in recs} - {fold}, shared)
    held = [r for r in recs if r["repo"] == fold and r["scope"] == "layer" and r["type"] == "Dense" and r["kw"]
            and r["strategy"] == "Latency" and r["kw"]["io_type"] == "io_stream"]
    assert len(held) >= 10
    err = {}
    for switch in (1.0, 0.0):
        block = dict(fit["vivado_hls"], stream_dense_all=switch)
        cal = Calibration(dict(shared, per_tool=dict(fit, vivado_hls=block)), source="fit")
        err[switch] = statistics.median(abs(r["pred"]["lut"] - r["meas"]["lut"]) / r["meas"]["lut"]
                                        for r in predict_rows(held, {fold: cal}))
    assert fit["vivado_hls"]["stream_dense_all"] == 1.0
    assert err[1.0] <= 0.30 < 0.35 < err[0.0], err


@needs_data
def test_io_stream_dense_takes_its_next_input_after_its_result_held_out():
    """hls4ml's stream Dense (``nnet_dense_stream.h``) reads every input word, runs the kernel and writes every
    result word with no PIPELINE across inputs: its II is its latency, as every io_stream Dense report says (II =
    latency on 27 of 29 rows). pominiq's io_stream Dense layers, pominiq held out of the fit: each estimate's II is
    its latency, and the II is within 10 % of the reports at the median (6 %; 22 % when the II was the kernel's)."""
    from hlsnb.calibration.per_tool import fit_per_tool
    from hlsnb.calibration.rows import load_records

    recs = load_records(CSVS)
    fold = "pominiq/DNNonSilicon"
    shared = {k: v for k, v in Calibration.shipped().coefficients.items() if k != "per_tool" and not k.startswith("_")}
    cal = Calibration(dict(shared, per_tool=fit_per_tool(recs, {r["repo"] for r in recs} - {fold}, shared)),
                      source="fit")
    held = [r for r in recs if r["repo"] == fold and r["scope"] == "layer" and r["type"] == "Dense" and r["kw"]
            and r["kw"]["io_type"] == "io_stream" and r["meas"]["ii"]]
    assert len(held) >= 15 and sum(r["meas"]["ii"] == r["meas"]["latency"] for r in held) >= len(held) - 1
    errs = []
    for r in held:
        e = estimate_layer(**r["kw"], calibration=cal)
        assert e.ii == e.latency_cycles, r["kw"]["name"]
        assert "II = its latency" in " ".join(t.what for t in e.breakdown if t.resource == "ii")
        errs.append(abs(e.ii - r["meas"]["ii"]) / r["meas"]["ii"])
    assert statistics.median(errs) <= 0.10, sorted(errs)
