"""NeuralNetworkOverlay through pynq's own Overlay, allocate and AxiDMA driver, on the emulated PYNQ-Z2.

Runs in .venv-board (pynq 3.x, numpy < 2, no hls4ml). HLSNB_BOARD_CSIM_INFO names the info.json that
tests/board_env/build_csim.py wrote in the main env (C simulation library, inputs, hls4ml's own outputs).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import fixtures
import numpy as np
import pytest

import hlsnb.board as hb
from hlsnb.board import emulation
from hlsnb.board.fixed import decode_fixed, encode_fixed

FIXED_IN, FIXED_OUT = "ap_fixed<16,6>", "ap_fixed<16,6,AP_RND,AP_SAT>"


@pytest.fixture(scope="session")
def info():
    path = os.environ.get("HLSNB_BOARD_CSIM_INFO")
    if not path:
        pytest.fail("HLSNB_BOARD_CSIM_INFO is not set: run these through tests/test_board_pynq_env.py (main env)")
    d = json.loads(Path(path).read_text())
    d["dir"] = Path(path).parent
    os.environ[emulation.ENV_CSIM] = d["library"]
    return d


@pytest.fixture(scope="session")
def X(info):
    return np.load(info["dir"] / "X.npy")


def _bundle(tmp, info, X, in_type="float", out_type="float", n=1000):
    iface = hb.StreamInterface(tuple(info["input_shape"]), tuple(info["output_shape"]), in_type, out_type)
    bits = (iface.input_word.bits, iface.output_word.bits)
    bit, _ = fixtures.make_design(tmp / "src", "nn", *bits)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # saturated test inputs
        archive = hb.package(tmp / "nn.tar.gz", bitfile=bit, interface=iface, test_inputs=X[:n],
                             csim_library=info["library"])
    return hb.load_bundle(archive, extract_to=tmp / "board")


@pytest.fixture
def float_bundle(tmp_path, info, X):
    return _bundle(tmp_path, info, X)


def test_emulated_device_is_pynqs_active_device_only_when_enabled():
    import pynq

    dev = pynq.Device.active_device
    assert isinstance(dev, emulation.EmulatedZynqDevice)
    # sorted after the real devices (EmbeddedDevice 50, RemoteDevice 100, XrtDevice 200): never wins on a board
    prios = sorted(type(d)._probe_priority_ for d in pynq.Device.devices)
    assert prios[-1] == emulation.EmulatedZynqDevice._probe_priority_ > 200
    env = {k: v for k, v in os.environ.items() if k != emulation.ENV_ENABLE}
    code = "import hlsnb.board, pynq, warnings; warnings.simplefilter('ignore'); print(len(pynq.Device.devices))"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[2], check=True)
    assert out.stdout.strip() == "0"


@pytest.mark.parametrize("chunk", [64, 333, None])
def test_float_stream_bit_exact_with_hls4ml_through_pynq(float_bundle, info, X, chunk):
    import pynq
    from pynq.lib.dma import DMA

    y_hls4ml = np.load(info["dir"] / "y_hls4ml_float.npy")
    with float_bundle.overlay("fpga", max_chunk_samples=chunk) as nn:
        assert isinstance(nn.overlay, pynq.Overlay) and type(nn.dma) is DMA  # pynq's own driver, unchanged
        dev = nn.device
        y = nn.predict(X)
        stats = nn.last_stats
        dma_model = next(iter(dev.dmas.values()))[0]
    expect_chunks = -(-len(X) // chunk) if chunk else 1
    assert stats.n_chunks == expect_chunks and stats.n_samples == len(X)
    assert dma_model.transfers == {"mm2s": expect_chunks, "s2mm": expect_chunks}
    assert dev.flushes >= expect_chunks and dev.invalidates >= expect_chunks  # cache maintenance happened
    assert y.dtype == np.float32 and y.shape == (len(X), 5)
    np.testing.assert_array_equal(y, y_hls4ml)
    np.testing.assert_array_equal(y, float_bundle.expected_outputs()[: len(y)])
    assert "emulated" in stats.source and stats.throughput > 0
    assert dev.memory.live == {}  # close() gave the CMA back


def test_fixed_stream_exact_encode_and_saturation(tmp_path, info, X):
    b = _bundle(tmp_path, info, X, FIXED_IN, FIXED_OUT)
    y_double = np.load(info["dir"] / "y_hls4ml_double.npy")  # model input type == stream input type
    raw, _ = encode_fixed(y_double, FIXED_OUT)
    expect = decode_fixed(raw, FIXED_OUT)
    with b.overlay("fpga", max_chunk_samples=97) as nn:
        with pytest.warns(UserWarning, match=r"input value\(s\) lie outside the range of ap_fixed<16,6>"):
            y = nn.predict(X)
        assert nn.last_stats.input_overflow > 0
        assert nn.dma.sendchannel._align == 2  # 16-bit words on the wire
    np.testing.assert_array_equal(y, expect)
    np.testing.assert_array_equal(y, b.expected_outputs())


def test_arguments_are_honoured(tmp_path, info, X, float_bundle):
    import pynq

    other = emulation.EmulatedZynqDevice(tag="second_board")
    dtbo = float_bundle.bitfile.with_suffix(".dtbo")
    dtbo.write_bytes(b"\xd0\x0d\xfe\xed")
    with hb.NeuralNetworkOverlay(float_bundle.bitfile, dtbo=str(dtbo), device=other, timeout=5) as nn:
        assert nn.device is other and pynq.Device.active_device is not other
        assert other.downloads == [str(float_bundle.bitfile)] and other.dtbos == [str(dtbo)]
        assert nn.overlay.ignore_version is False
        y = nn.predict(X[:10])
    # the design is loaded now: download=False must not load it again, and must still work
    with hb.NeuralNetworkOverlay(float_bundle.bitfile, download=False, ignore_version=True, device=other) as nn2:
        assert other.downloads == [str(float_bundle.bitfile)] and nn2.overlay.ignore_version is True
        np.testing.assert_array_equal(nn2.predict(X[:10]), y)
    assert other.memory.allocated == 4 and other.memory.live == {}


def test_download_false_on_a_board_without_the_design_times_out(float_bundle, X):
    fresh = emulation.EmulatedZynqDevice(tag="blank_board")
    nn = hb.NeuralNetworkOverlay(float_bundle.bitfile, download=False, device=fresh, timeout=0.3)
    fresh.stream_ip = None  # nothing in the fabric answers
    t0 = time.perf_counter()
    with pytest.raises(hb.DMATimeoutError, match="did not complete within 0.3 s"):
        nn.predict(X[:10])
    assert time.perf_counter() - t0 < 3
    assert fresh.memory.live == {}


def test_results_are_new_arrays(float_bundle, X):
    with float_bundle.overlay("fpga") as nn:
        y1 = nn.predict(X[:50])
        keep = y1.copy()
        allocated = nn.device.memory.allocated
        y2 = nn.predict(X[50:100])
        assert not np.shares_memory(y1, nn._outbuf) and not np.shares_memory(y2, nn._outbuf)
        np.testing.assert_array_equal(y1, keep)  # the second call did not overwrite the first result
        assert nn.device.memory.allocated == allocated  # buffers reused across calls


def test_dma_that_never_completes_times_out_and_frees(float_bundle, X):
    with float_bundle.overlay("fpga", timeout=0.25) as nn:
        dev = nn.device
        dev.stall = True
        t0 = time.perf_counter()
        with pytest.raises(hb.DMATimeoutError, match=r"send \(MM2S\) did not complete within 0.25 s"):
            nn.predict(X[:100])
        assert time.perf_counter() - t0 < 3
        assert dev.memory.live == {} and nn._inbuf is None
        dev.stall = False  # the design recovers: the driver reset the DMA
        np.testing.assert_array_equal(nn.predict(X[:100]), float_bundle.expected_outputs()[:100])


def test_bad_input_clear_errors_and_no_leak(float_bundle, X):
    with float_bundle.overlay("fpga") as nn:
        with pytest.raises(ValueError, match=r"shape \(10, 15\); the bitstream expects \(n_samples, 16\)"):
            nn.predict(X[:10, :15])
        with pytest.raises(ValueError, match=r"one sample\? use X\[None\]"):
            nn.predict(X[0])
        with pytest.raises(TypeError, match="dtype <U"):
            nn.predict(np.array([["a"] * 16]))
        with pytest.raises(ValueError, match="empty batch"):
            nn.predict(X[:0])
        bad = X[:10].copy()
        bad[3, 7] = np.nan
        with pytest.raises(ValueError, match=r"1 input value\(s\) are NaN \(first at index \(3, 7\)\)"):
            nn.predict(bad)
        assert len(nn.device.memory.live) <= 2
        nn.predict(X[:10])
    with pytest.raises(hb.BoardError, match="closed"):
        nn.predict(X[:10])


def test_missing_and_mismatched_hwh(tmp_path, info, X, float_bundle):
    bit = float_bundle.bitfile
    lonely = tmp_path / "lonely"
    lonely.mkdir()
    (lonely / "nn.bit").write_bytes(bit.read_bytes())
    with pytest.raises(FileNotFoundError, match=r"nn.hwh is missing"):
        hb.NeuralNetworkOverlay(lonely / "nn.bit", float_bundle.interface)
    # a 16-bit design opened with a float (32-bit) interface
    d16 = tmp_path / "d16"
    b16, _ = fixtures.make_design(d16, "nn", 16, 16)
    with pytest.raises(hb.BoardError, match=r"streams 16-bit input words but the interface says input type float"):
        hb.NeuralNetworkOverlay(b16, float_bundle.interface)
    # the original resizer design: its DMA is not where hls4ml puts it
    other = tmp_path / "other"
    other.mkdir()
    fixtures.make_bit(other / "resizer.bit")
    (other / "resizer.hwh").write_text(fixtures.resizer_hwh().read_text())
    with pytest.raises(hb.BoardError, match=r"no AXI DMA at 'hier_0/axi_dma_0' \(DMAs found: \['axi_dma_0'\]\)"):
        hb.NeuralNetworkOverlay(other / "resizer.bit", float_bundle.interface)


def test_ip_returning_too_little_is_reported(float_bundle, X, info):
    with float_bundle.overlay("fpga") as nn:
        class FourOut(emulation.StreamIP):
            def process(self, data, lasts):
                out, l, used = super().process(data, lasts)
                k = used // (16 * 4)
                words = np.frombuffer(out, np.float32).reshape(k, 5)[:, :4]
                return np.ascontiguousarray(words).tobytes(), {(b // 5 + 1) * 4 - 1 for b in l}, used
        nn.device.stream_ip = FourOut(nn.device.stream_ip.csim, float_bundle.interface)
        with pytest.raises(hb.BoardError, match=r"returned 160 bytes for 10 samples, expected 200"):
            nn.predict(X[:10])
        assert nn.device.memory.live == {}


def test_cma_exhaustion_is_a_clear_error(float_bundle, X):
    tiny = emulation.EmulatedZynqDevice(tag="tiny_cma", cma_bytes=4096)
    nn = hb.NeuralNetworkOverlay(float_bundle.bitfile, device=tiny)
    with pytest.raises(hb.BoardError, match=r"could not allocate .* bytes of contiguous \(CMA\) memory"):
        nn.predict(X[:1000])
    assert tiny.memory.live == {}
    nn.close()
    with hb.NeuralNetworkOverlay(float_bundle.bitfile, device=tiny, cma_budget=4096) as nn2:
        assert nn2.chunk_samples == 4096 // (64 + 20)
        np.testing.assert_array_equal(nn2.predict(X[:1000]), float_bundle.expected_outputs())
        assert nn2.last_stats.n_chunks == -(-1000 // nn2.chunk_samples)


def test_chunk_size_follows_the_dma_length_register(float_bundle):
    with float_bundle.overlay("fpga", cma_budget=1 << 30) as nn:
        assert nn.dma.buffer_max_size == hb.DMA_MAX_BYTES == 67_108_863  # from c_sg_length_width = 26
        assert nn.chunk_samples == hb.DMA_MAX_BYTES // 64  # 16 float32 inputs per sample
        assert nn.chunk_samples * 64 <= nn.dma.sendchannel._max_size


def test_corrupted_bundle_is_refused_before_download(tmp_path, float_bundle):
    import pynq

    dev = pynq.Device.active_device
    before = list(dev.downloads)
    bit = float_bundle.bitfile
    data = bytearray(bit.read_bytes())
    data[-1] ^= 0xFF
    bit.write_bytes(bytes(data))
    with pytest.raises(hb.BundleError, match=r"nn.bit: SHA-256 .* does not match the manifest"):
        hb.load_bundle(float_bundle.root)
    assert dev.downloads == before


def test_bundle_notebook_runs_unchanged_on_the_board(float_bundle, monkeypatch, capsys):
    nb = json.loads((float_bundle.root / "run_on_pynq.ipynb").read_text())
    monkeypatch.chdir(float_bundle.root)
    ns: dict = {}
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            exec(compile("".join(cell["source"]), "run_on_pynq.ipynb", "exec"), ns)
    out = capsys.readouterr().out
    assert ns["ON_FPGA"] is True and type(ns["nn"]).__name__ == "NeuralNetworkOverlay"
    assert "outputs identical to the C simulation: True" in out
    assert "PYNQ device found" in out


def test_bundled_driver_copy_runs_alone(float_bundle):
    """The bundle's own driver copy, with the repo off sys.path, on this Python (3.10 like the board)."""
    code = (
        "import sys; sys.path.insert(0, 'driver'); import hlsnb.board as b, numpy as np\n"
        "assert b.__file__.startswith(sys.path[0]) or 'driver' in b.__file__, b.__file__\n"
        "bd = b.load_bundle('.')\n"
        "y = bd.overlay('fpga').predict(bd.test_inputs())\n"
        "print(sys.version_info[:2], np.array_equal(y, bd.expected_outputs()))\n"
    )
    env = dict(os.environ, PYTHONPATH="")
    out = subprocess.run([sys.executable, "-c", code], cwd=float_bundle.root, env=env, capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("True")


def test_the_tutorials_profile_call_through_pynq(float_bundle, info, X, capsys):
    """hls4ml-tutorial part 7b: ``y, latency, throughput = nn.predict(X, profile=True)`` works on the pynq overlay:
    seconds of the whole call and inferences per second, as hls4ml's axi_stream_driver returns them, printed with
    what was timed (an emulated device here: simulated off-board, not FPGA timing)."""
    with float_bundle.overlay("fpga") as nn:
        y, latency, throughput = nn.predict(X, profile=True)
        stats = nn.last_stats
        assert not nn.measured_on_board
    np.testing.assert_array_equal(y, np.load(info["dir"] / "y_hls4ml_float.npy"))
    assert latency == stats.seconds > 0 and throughput == pytest.approx(len(X) / latency)
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith(f"Classified {len(X)} samples in ") and "inferences / s" in line
    assert "simulated off-board" in line and "emulated" in line
