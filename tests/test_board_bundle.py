"""package() / load_bundle(): one archive, checked by manifest and checksums; corrupted bundles are refused."""

from __future__ import annotations

import json
import sys
import tarfile
import warnings
from pathlib import Path

import numpy as np
import pytest

import hlsnb.board as hb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "board_env"))
import build_csim  # noqa: E402
from fixtures import make_bit  # noqa: E402  (pure Python; the .hwh fixture needs pynqmetadata, not here)

HWH = '<?xml version="1.0"?>\n<EDKSYSTEM><MODULES/></EDKSYSTEM>\n'  # content is opaque to package()
IFACE = hb.StreamInterface((16,), (5,))


@pytest.fixture(scope="module")
def csim(pytestconfig, tmp_path_factory):
    cache = getattr(pytestconfig, "cache", None)
    d = Path(cache.mkdir("hlsnb_board_csim")) if cache is not None else tmp_path_factory.mktemp("csim")
    info = build_csim.build(d)
    info["X"] = np.load(d / "X.npy")[:200]
    return info


@pytest.fixture
def design(tmp_path):
    src = tmp_path / "build"
    src.mkdir()
    bit = make_bit(src / "design_1_wrapper.bit")
    hwh = src / "design_1.hwh"  # Vivado names them differently: package() stores both under one stem
    hwh.write_text(HWH)
    return bit, hwh


@pytest.mark.parametrize("suffix", [".zip", ".tar.gz"])
def test_round_trip_and_manifest(tmp_path, csim, design, suffix):
    bit, hwh = design
    labels = np.arange(len(csim["X"])) % 5
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = hb.package(tmp_path / f"nn{suffix}", bitfile=bit, hwh=hwh, interface=IFACE, test_inputs=csim["X"],
                         test_labels=labels, csim_library=csim["library"], name="mlp")
    b = hb.load_bundle(out, extract_to=tmp_path / "x")
    assert b.bitfile.name == "mlp.bit" and b.hwh.name == "mlp.hwh"
    assert b.bitfile.read_bytes() == bit.read_bytes() and b.hwh.read_text() == HWH
    m = b.manifest
    assert m["interface"]["input_shape"] == [16] and m["interface"]["output_type"] == "float"
    assert m["bit_header"]["part"] == "7z020clg400" and m["versions"]["hls4ml"] == csim["hls4ml"]
    assert {"mlp.bit", "mlp.hwh", "data/test_inputs.npy", "data/expected_outputs.npy", "run_on_pynq.ipynb",
            "driver/hlsnb/board/overlay.py", "driver/hlsnb/precision.py", "manifest.json"} - {"manifest.json"} \
        <= set(m["files"])
    np.testing.assert_array_equal(b.test_labels(), labels)
    # expected outputs are the C simulation's; off-board "auto" gives the software overlay, same numbers
    with b.overlay() as nn:
        assert isinstance(nn, hb.SoftwareOverlay)
        np.testing.assert_array_equal(nn.predict(b.test_inputs()), b.expected_outputs())
    # an extracted folder loads too
    assert hb.load_bundle(b.root).name == "mlp"


def test_bundle_notebook_runs_off_board(tmp_path, csim, design, capsys, monkeypatch):
    bit, hwh = design
    out = hb.package(tmp_path / "nn.zip", bitfile=bit, hwh=hwh, interface=IFACE, test_inputs=csim["X"],
                     csim_library=csim["library"])
    b = hb.load_bundle(out)
    nb = json.loads((b.root / "run_on_pynq.ipynb").read_text())
    monkeypatch.chdir(b.root)
    ns: dict = {}
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            exec(compile("".join(cell["source"]), "run_on_pynq.ipynb", "exec"), ns)
    text = capsys.readouterr().out
    assert "No PYNQ board here" in text and "simulated off-board" in text
    assert "outputs identical to the C simulation: True" in text


def _package(tmp_path, csim, design, name="nn.zip"):
    bit, hwh = design
    return hb.package(tmp_path / name, bitfile=bit, hwh=hwh, interface=IFACE, test_inputs=csim["X"][:20],
                      csim_library=csim["library"])


def test_tampered_file_is_named(tmp_path, csim, design):
    b = hb.load_bundle(_package(tmp_path, csim, design), extract_to=tmp_path / "x")
    p = b.root / "data" / "expected_outputs.npy"
    data = bytearray(p.read_bytes())
    data[-1] ^= 1
    p.write_bytes(bytes(data))
    with pytest.raises(hb.BundleError, match=r"data/expected_outputs.npy: SHA-256 .* does not match"):
        hb.load_bundle(b.root)
    p.unlink()
    with pytest.raises(hb.BundleError, match=r"data/expected_outputs.npy is listed in the manifest but missing"):
        hb.load_bundle(b.root)


def test_corrupted_archives(tmp_path, csim, design):
    z = _package(tmp_path, csim, design)
    data = bytearray(z.read_bytes())
    # flip bytes inside the first member's compressed data: the zip CRC check catches it
    data[200:260] = bytes(b ^ 0x5A for b in data[200:260])
    bad = tmp_path / "bad.zip"
    bad.write_bytes(bytes(data))
    with pytest.raises(hb.BundleError, match=r"bad.zip"):
        hb.load_bundle(bad, extract_to=tmp_path / "bad")
    trunc = tmp_path / "trunc.tar.gz"
    t = _package(tmp_path, csim, design, "ok.tar.gz")
    trunc.write_bytes(t.read_bytes()[: len(t.read_bytes()) // 2])
    with pytest.raises(hb.BundleError, match=r"trunc.tar.gz"):
        hb.load_bundle(trunc, extract_to=tmp_path / "trunc")
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not an archive at all")
    with pytest.raises(hb.BundleError, match="not a zip or tar.gz archive"):
        hb.load_bundle(junk)


def test_manifest_problems(tmp_path, csim, design):
    b = hb.load_bundle(_package(tmp_path, csim, design), extract_to=tmp_path / "x")
    mpath = b.root / "manifest.json"
    m = json.loads(mpath.read_text())
    m["hwh"] = "other.hwh"
    m["files"]["other.hwh"] = m["files"].pop("nn.hwh") if "nn.hwh" in m["files"] else None
    mpath.write_text(json.dumps(m))
    with pytest.raises(hb.BundleError, match="must share a stem"):
        hb.load_bundle(b.root)
    mpath.write_text("{ not json")
    with pytest.raises(hb.BundleError, match="not valid JSON"):
        hb.load_bundle(b.root)
    mpath.unlink()
    with pytest.raises(hb.BundleError, match="no manifest.json"):
        hb.load_bundle(b.root)


def test_path_traversal_is_refused(tmp_path):
    evil = tmp_path / "evil.tar.gz"
    payload = tmp_path / "p.txt"
    payload.write_text("x")
    with tarfile.open(evil, "w:gz") as t:
        t.add(payload, arcname="nn/../../escaped.txt")
    with pytest.raises(hb.BundleError, match="outside the target folder"):
        hb.load_bundle(evil, extract_to=tmp_path / "e")
    assert not (tmp_path / "escaped.txt").exists()


def test_package_refuses_incomplete_input(tmp_path, csim, design):
    bit, hwh = design
    with pytest.raises(FileNotFoundError, match=r"hardware handoff \(.hwh\)"):
        hb.package(tmp_path / "a.zip", bitfile=bit, interface=IFACE, test_inputs=csim["X"])  # no nn.hwh next to it
    fake = tmp_path / "fake.bit"
    fake.write_bytes(b"hello")
    with pytest.raises(hb.BundleError, match="not a Xilinx .bit file"):
        hb.package(tmp_path / "a.zip", bitfile=fake, hwh=hwh, interface=IFACE, test_inputs=csim["X"],
                   csim_library=csim["library"])
    with pytest.raises(ValueError, match="give expected_outputs, or csim_library"):
        hb.package(tmp_path / "a.zip", bitfile=bit, hwh=hwh, interface=IFACE, test_inputs=csim["X"])
    with pytest.raises(ValueError, match=r"must end in .zip, .tar.gz or .tgz"):
        hb.package(tmp_path / "a.rar", bitfile=bit, hwh=hwh, interface=IFACE, test_inputs=csim["X"])
    with pytest.raises(ValueError, match="3 rows for 200 test inputs"):
        hb.package(tmp_path / "a.zip", bitfile=bit, hwh=hwh, interface=IFACE, test_inputs=csim["X"],
                   expected_outputs=np.zeros((3, 5)))
    assert not list(tmp_path.glob("a.*"))


def test_fpga_mode_without_pynq_says_so(tmp_path, csim, design):
    b = hb.load_bundle(_package(tmp_path, csim, design))
    with pytest.raises(ImportError, match="needs the pynq package"):
        b.overlay("fpga")
    with pytest.raises(ValueError, match="mode must be"):
        b.overlay("gpu")
