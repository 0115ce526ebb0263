"""io_stream pooling and zero padding as Vivado HLS builds them (hls4ml's nnet_pooling_stream.h and
nnet_padding_stream.h): comparators priced per comparator, per-channel writes and per-loop control, loop counters;
the fit of those coefficients (hlsnb.calibration.pool_pad) and its leave-one-repository-out error."""

import statistics
from pathlib import Path

import pytest

from hlsnb.calibration.pool_pad import POOL_PAD_KEYS, fit_pool_pad
from hlsnb.estimate import estimate_layer
from hlsnb.estimate._calibration import TOOL_DEFAULTS, Calibration

CAL = Path(__file__).resolve().parents[1].parent / "shared" / "calibration"
CSVS = [CAL / "reports.csv", CAL / "reports2.csv"]
needs_data = pytest.mark.skipif(not all(p.exists() for p in CSVS), reason=f"calibration data not found at {CAL}")

COEF = dict(stream_pool_pad=1.0, pool_lut_cmp=66.0, pool_lut_ctrl=500.0, pad_lut_chan=34.0, pad_lut_loop=36.0,
            pad_ff_state=1.0)
ON = Calibration.shipped().replace(**COEF)
OFF = Calibration.shipped().replace(**{k: TOOL_DEFAULTS[k] for k in COEF})
POOL = dict(input_shape=(26, 26, 4), output_shape=(6, 6, 4), kernel_size=(4, 4), io_type="io_stream",
            part="pynq-z2", tool="vivado_hls", n_out=144)


def _pad(i, o, cal=ON, io_type="io_stream"):
    lt = "ZeroPadding2D" if len(i) == 3 else "ZeroPadding1D"
    return estimate_layer(lt, input_shape=i, output_shape=o, io_type=io_type, part="pynq-z2",
                          tool="vivado_hls", calibration=cal)


def test_defaults_switch_the_model_off():
    assert all(k in TOOL_DEFAULTS for k in POOL_PAD_KEYS) and TOOL_DEFAULTS["stream_pool_pad"] == 0.0
    # switched off: the per-bit model (60 comparators x 16 bits x lut_add_per_bit), no control term
    e = estimate_layer("Pooling2D", calibration=OFF, **POOL)
    c = OFF.for_tool("vivado_hls")
    assert e.lut == round(60 * 16 * c["lut_add_per_bit"])
    # the Vitis block holds no pooling coefficient: Vitis estimates keep the per-bit model
    assert Calibration.shipped().for_tool("vitis_hls")["stream_pool_pad"] == 0.0


def test_max_pooling_is_priced_per_comparator_plus_control():
    e = estimate_layer("Pooling2D", calibration=ON, **POOL)
    assert e.lut == 4 * 15 * 66 + 500  # FiltLoop unrolled over 4 channels, 15 comparators each
    wide = estimate_layer("Pooling2D", calibration=ON, **dict(POOL, input_bits=32, result_bits=32))
    assert wide.lut == e.lut  # flat in the width, as the 16- and 32-bit reports are
    assert e.ff == estimate_layer("Pooling2D", calibration=OFF, **POOL).ff  # line buffer registers unchanged
    assert e.latency_cycles >= 26 * 26


def test_global_pooling_updates_one_value_per_channel_and_pixel():
    kw = dict(input_shape=(128, 16), output_shape=(16,), n_out=16, pool_op="average", part="pynq-z2")
    stream = estimate_layer("GlobalPooling1D", io_type="io_stream", calibration=OFF, **kw)
    par = estimate_layer("GlobalPooling1D", io_type="io_parallel", calibration=OFF, **kw)
    c = OFF.for_tool("vivado_hls")
    assert stream.lut == round(16 * 16 * c["lut_add_per_bit"])  # 16 running sums
    assert par.lut == round(16 * 127 * 16 * c["lut_add_per_bit"])  # 16 trees over 128 values
    assert stream.latency_cycles >= 128


def test_padding_counts_channels_loops_and_counters():
    one = _pad((64, 1), (66, 1))  # PadLeft 1, CopyMain 64, PadRight 1: one loop iterates
    assert one.lut == 34 * 1 + 36 * (1 + 1)
    assert one.ff == (1 + 7 + 1) + (3 + 1)  # counters ceil(log2(trip + 1)) + FSM states
    # 64 -> 67 (pads 1, 2) and 64 -> 68 (2, 2) differ by one iterating loop (the reports: 375 vs 410 LUT)
    assert _pad((64, 8), (68, 8)).lut - _pad((64, 8), (67, 8)).lut == 36
    two = _pad((8, 8, 4), (10, 10, 4))  # PadTopWidth, PadMain, CopyMain, PadBottomWidth iterate
    assert two.lut == 34 * 4 + 36 * (4 + 1)
    assert two.ff == (1 + 4) + 4 + (1 + 4 + 1) + (1 + 4) + (8 + 1)
    assert two.latency_cycles == 10 * 10 + 2
    # io_parallel padding is wiring; the switched-off model is the old per-bit one
    assert _pad((8, 8, 4), (10, 10, 4), io_type="io_parallel").lut == 0
    assert _pad((8, 8, 4), (10, 10, 4), cal=OFF).ff == 30


def _records(coef):
    """Synthetic Vivado HLS rows measured with ``coef``: the fit has to find it again."""
    out = []
    for kw, group in [(dict(POOL), "Pool"), (dict(POOL, input_shape=(4, 4, 8), output_shape=(2, 2, 8),
                                                  kernel_size=(2, 2), n_out=32), "Pool"),
                      (dict(POOL, input_shape=(32, 32, 8), output_shape=(16, 16, 8), kernel_size=(2, 2),
                            n_out=2048), "Pool")]:
        kw = dict(kw, layer_type="Pooling2D")
        out.append((group, kw))
    for i, o in [((64, 1), (66, 1)), ((32, 4), (35, 4)), ((64, 8), (68, 8)), ((8, 8, 4), (10, 10, 4)),
                 ((16, 16, 8), (18, 18, 8))]:
        out.append(("Pad", dict(layer_type="ZeroPadding2D" if len(i) == 3 else "ZeroPadding1D", input_shape=i,
                                output_shape=o, io_type="io_stream", part="pynq-z2", tool="vivado_hls")))
    cal = Calibration.shipped().replace(**coef)
    recs = []
    for group, kw in out:
        e = estimate_layer(**kw, calibration=cal)
        recs.append(dict(tool="vivado_hls", scope="layer", kw=kw, flag=False, type=group, repo="synthetic",
                         meas=dict(lut=float(e.lut), ff=float(e.ff))))
    return recs


def test_fit_recovers_the_coefficients_it_was_measured_with():
    got = fit_pool_pad(_records(COEF), Calibration.shipped().for_tool("vivado_hls").to_dict())
    assert got["stream_pool_pad"] == 1.0
    for k in ("pool_lut_cmp", "pool_lut_ctrl", "pad_lut_chan", "pad_lut_loop", "pad_ff_state"):
        assert got[k] == pytest.approx(COEF[k], rel=0.05), k
    # without rows of one kind the switch stays off
    assert fit_pool_pad([r for r in _records(COEF) if r["type"] == "Pad"], {}) == {}


@needs_data
def test_leave_one_repository_out_error():
    from hlsnb.calibration.rows import load_records

    recs = load_records(CSVS)
    base = Calibration.shipped().for_tool("vivado_hls").to_dict()
    errs = {"Pool": [], "Pad": []}
    pad_ff = []
    held_repos = {r["repo"] for r in recs if r["type"] in errs and r["kw"] and r["tool"] == "vivado_hls"}
    for held in sorted(held_repos):
        fold = fit_pool_pad([r for r in recs if r["repo"] != held], base)
        assert fold["stream_pool_pad"] == 1.0
        cal = Calibration(dict(base, **fold), source="fold")
        for r in recs:
            if r["repo"] == held and r["type"] in errs and r["kw"] and r["tool"] == "vivado_hls":
                e = estimate_layer(**r["kw"], calibration=cal)
                errs[r["type"]].append(abs(e.lut - r["meas"]["lut"]) / r["meas"]["lut"])
                if r["type"] == "Pad":
                    pad_ff.append(abs(e.ff - r["meas"]["ff"]) / r["meas"]["ff"])
    # before: Pool LUT 0.80 (n=32), Pad LUT 0.66 and FF 0.76 (n=19)
    assert len(errs["Pool"]) >= 30 and statistics.median(errs["Pool"]) < 0.3
    assert len(errs["Pad"]) >= 15 and statistics.median(errs["Pad"]) < 0.15
    assert statistics.median(pad_ff) < 0.2


def test_an_exact_fit_drops_no_row_to_floating_point_noise():
    """Issue 22: of three rows that fit exactly, the one that floating-point noise made "worst" was dropped, and the
    two left (the same comparator count) could not separate the two coefficients: pool_lut_cmp 86.8 instead of 66."""
    from hlsnb.calibration.fitting import nnls_relative

    # two rows of the one geometry that separates the coefficients, 1e-9 apart: the only non-zero residuals
    rows = [(4460.0 * (1 + 1e-9), 0.0, [60, 1]), (4460.0 * (1 - 1e-9), 0.0, [60, 1])] + [(2084.0, 0.0, [24, 1])] * 18
    assert nnls_relative(rows, drop_worst=0.1) == pytest.approx([66.0, 500.0], rel=1e-6)
    # a real outlier is still dropped, and only when the rows kept still determine every coefficient
    rows = [(4460.0, 0.0, [60, 1]), (2084.0, 0.0, [24, 1]), (1292.0, 0.0, [12, 1]), (9000.0, 0.0, [12, 1]),
            (8420.0, 0.0, [120, 1]), (1028.0, 0.0, [8, 1]), (3140.0, 0.0, [40, 1]), (2348.0, 0.0, [28, 1]),
            (1820.0, 0.0, [20, 1]), (5780.0, 0.0, [80, 1])]
    assert nnls_relative(rows, drop_worst=0.1) == pytest.approx([66.0, 500.0], rel=1e-6)
