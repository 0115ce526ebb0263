"""SoftwareOverlay (C simulation through ctypes), the numpy-only import, chunk planning, input checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import hlsnb.board as hb
from hlsnb.board.fixed import decode_fixed, encode_fixed

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def csim(board_csim_dir):
    import json

    d = board_csim_dir
    info = json.loads((d / "info.json").read_text())
    info["X"] = np.load(d / "X.npy")
    info["y_float"] = np.load(d / "y_hls4ml_float.npy")
    info["y_double"] = np.load(d / "y_hls4ml_double.npy")
    return info


FLOAT = hb.StreamInterface((16,), (5,))
FIXED = hb.StreamInterface((16,), (5,), "ap_fixed<16,6>", "ap_fixed<16,6,AP_RND,AP_SAT>")


@pytest.mark.parametrize("chunk", [1, 7, 250, None])
def test_float_stream_equals_hls4ml_predict(csim, chunk):
    with hb.SoftwareOverlay(csim["library"], FLOAT, max_chunk_samples=chunk) as sw:
        y = sw.predict(csim["X"])
        assert sw.last_stats.n_chunks == (-(-1000 // chunk) if chunk else 1)
        assert "not FPGA timing" in sw.last_stats.source
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, csim["y_float"])


def test_fixed_stream_quantises_like_the_axi_wrapper(csim):
    raw, _ = encode_fixed(csim["y_double"], FIXED.output_type)
    with hb.SoftwareOverlay(csim["library"], FIXED) as sw:
        with pytest.warns(UserWarning, match=r"lie outside the range of ap_fixed<16,6>; they were wrapped"):
            y = sw.predict(csim["X"])
        n_out_of_range = int((np.abs(csim["X"]) >= 32).sum())
        assert sw.last_stats.input_overflow == n_out_of_range > 0
    np.testing.assert_array_equal(y, decode_fixed(raw, FIXED.output_type))


def test_bad_input_is_refused_with_clear_errors(csim):
    X = csim["X"]
    with hb.SoftwareOverlay(csim["library"], FLOAT) as sw:
        with pytest.raises(ValueError, match=r"shape \(3, 16, 1\)"):
            sw.predict(X[:3, :, None])
        with pytest.raises(ValueError, match=r"one sample\? use X\[None\]"):
            sw.predict(X[0])
        with pytest.raises(TypeError, match="dtype bool"):
            sw.predict(X[:3] > 0)
        with pytest.raises(TypeError, match="dtype object"):
            sw.predict(np.array([[object()] * 16]))
        with pytest.raises(ValueError, match="empty batch"):
            sw.predict(np.zeros((0, 16)))
        with pytest.raises(ValueError, match=r"NaN \(first at index \(1, 2\)\)"):
            bad = X[:3].copy()
            bad[1, 2] = np.nan
            sw.predict(bad)
        ints = sw.predict(np.ones((2, 16), dtype=np.int16))  # integers are fine
        np.testing.assert_array_equal(ints, sw.predict(np.ones((2, 16))))
    with pytest.raises(hb.BoardError, match="closed"):
        sw.predict(X[:2])


def test_wrong_library_or_project_name(csim, tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        hb.SoftwareOverlay(tmp_path / "nope.so", FLOAT)
    other = hb.StreamInterface((16,), (5,), project_name="otherproject")
    with pytest.raises(ValueError, match="has no symbol otherproject_float"):
        hb.SoftwareOverlay(csim["library"], other)


def test_chunk_planning_respects_dma_length_and_cma_budget():
    big = hb.StreamInterface((1_000_000,), (10,))  # 4 MB per sample in, 40 B out
    assert hb.plan_chunk(big, cma_budget=1 << 30) == hb.DMA_MAX_BYTES // 4_000_000 == 16
    assert hb.plan_chunk(big) == (32 << 20) // 4_000_040 == 8
    assert hb.plan_chunk(big, max_chunk_samples=3) == 3
    huge = hb.StreamInterface((20_000_000,), (1,))  # 80 MB: one sample exceeds one DMA transfer
    with pytest.raises(ValueError, match="more than the DMA limit"):
        hb.plan_chunk(huge, cma_budget=1 << 30)
    assert hb.DMA_MAX_BYTES == 67_108_863


def test_interface_round_trip_and_bad_types():
    d = FIXED.to_dict()
    back = hb.StreamInterface.from_dict(d)
    assert back == FIXED and back.n_in == 16 and back.output_word.bits == 16
    with pytest.raises(ValueError, match="8, 16, 32 or 64-bit words"):
        hb.StreamInterface((4,), (2,), "ap_fixed<12,4>")
    with pytest.raises(ValueError, match="not an HLS fixed-point type"):
        hb.StreamInterface((4,), (2,), "half")
    with pytest.raises(ValueError, match="input_shape must be a non-empty tuple"):
        hb.StreamInterface((), (2,))


def test_interface_from_hls4ml_vivado_accelerator(tmp_path):
    hls4ml = pytest.importorskip("hls4ml")
    keras = pytest.importorskip("keras")
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(3, name="fc")])
    cfg = hls4ml.utils.config_from_keras_model(model, granularity="model")
    hm = hls4ml.converters.convert_from_keras_model(
        model, hls_config=cfg, output_dir=str(tmp_path / "prj"), backend="VivadoAccelerator", board="pynq-z2",
        input_type="ap_fixed<14,6>", output_type="float",
    )
    it = hb.StreamInterface.from_hls4ml(hm)
    assert (it.input_shape, it.output_shape) == ((8,), (3,))
    assert it.input_type == "ap_fixed<16,6>" and it.output_type == "float"  # width rounded up like hls4ml
    assert it.project_name == hm.config.get_project_name()


def test_import_needs_only_numpy_on_python_310_style_path():
    """hlsnb.board imports (and runs SoftwareOverlay) with TensorFlow, Keras, hls4ml and pynq unimportable."""
    code = r"""
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in {'tensorflow', 'keras', 'hls4ml', 'pynq', 'qkeras', 'torch', 'hgq'}:
            raise ImportError('blocked: ' + name)
sys.meta_path.insert(0, Block())
import hlsnb.board as hb
heavy = sorted(m for m in sys.modules if m.split('.')[0] in {'tensorflow', 'keras', 'hls4ml', 'pynq'})
assert not heavy, heavy
print('ok', hb.fpga_available())
"""
    env = {k: v for k, v in os.environ.items() if k not in ("HLSNB_PYNQ_EMULATE",)}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok False"


def test_board_package_has_no_heavy_imports_in_source():
    banned = ("tensorflow", "keras", "hls4ml", "qkeras")
    for p in (ROOT / "hlsnb" / "board").glob("*.py"):
        for line in p.read_text().splitlines():
            s = line.strip()
            if s.startswith(("import ", "from ")):
                assert not any(f" {b}" in s or f" {b}." in s for b in banned), f"{p.name}: {s}"
    # the pynq import is deferred: only emulation.py imports it at module level
    tops = [p.name for p in (ROOT / "hlsnb" / "board").glob("*.py")
            if any(line.startswith(("import pynq", "from pynq")) for line in p.read_text().splitlines())]
    assert tops == ["emulation.py"]


def test_the_tutorials_profile_call_returns_latency_and_throughput(csim, capsys):
    """hls4ml-tutorial part 7b's ``y, latency, throughput = nn.predict(X, profile=True)`` on the SoftwareOverlay:
    the same outputs, the call's seconds (perf_counter) and N / seconds, printed like hls4ml's driver and labelled
    as simulated off-board (C simulation on this CPU), never as FPGA timing."""
    X = csim["X"]
    with hb.SoftwareOverlay(csim["library"], FLOAT, max_chunk_samples=250) as sw:
        y, latency, throughput = sw.predict(X, profile=True)
        assert not sw.measured_on_board and sw.timing.startswith("simulated off-board: C simulation")
        np.testing.assert_array_equal(y, sw.predict(X))
        assert latency == sw.history[-2].seconds > 0 and throughput == pytest.approx(len(X) / latency)
        out = capsys.readouterr().out
        assert f"Classified {len(X)} samples in {latency:.6f} seconds (" in out
        assert "inferences / s) [simulated off-board: C simulation on this CPU (not FPGA timing)]" in out
        sw.predict(X[:3], debug=True)
        assert capsys.readouterr().out.count("Transfer OK") == 1
        scaled = sw.predict(X[:4], encode=lambda a: a * 0, decode=lambda b: b + 1)  # hls4ml's hooks, applied
        np.testing.assert_array_equal(scaled, sw.predict(np.zeros_like(X[:4])) + 1)
    assert hb.NeuralNetworkOverlay.source == "FPGA (pynq, measured)"
