"""Catalogue of bad inputs at the boundaries outside the Design and the estimator: each gives a clear error of the
documented type naming the parameter (docs/errors.md), nothing is half-written, no file lands outside its target."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

import hlsnb.board as hb
from hlsnb.errors import BoardError, BundleError, InvalidSetting, ReportError
from hlsnb.synth.project import check_project_tcl
from hlsnb.synth.reports import read_report
from hlsnb.tcl import check_part_number, tcl_word

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "board_env"))
from fixtures import make_bit  # noqa: E402

HWH = '<?xml version="1.0"?>\n<EDKSYSTEM><MODULES/></EDKSYSTEM>\n'  # opaque to package()

IFACE = hb.StreamInterface(input_shape=(16,), output_shape=(5,))


@pytest.fixture(scope="module")
def csim(board_csim_dir):
    info = json.loads((board_csim_dir / "info.json").read_text())
    info["X"] = np.load(board_csim_dir / "X.npy")[:20]
    return info


@pytest.fixture
def design(tmp_path):
    bit = make_bit(tmp_path / "nn.bit")
    (tmp_path / "nn.hwh").write_text(HWH)
    return bit


# ------------------------------------------------------------------ part numbers and Tcl
@pytest.mark.parametrize("part", ["xc7z020clg400-1", "xczu9eg-ffvb1156-2-e", "xcvc1902-vsva2197-2MP-e-S", "7z020"])
def test_good_part_numbers(part):
    assert check_part_number(part) == part


@pytest.mark.parametrize("part", ['xc7z020"; exec rm -rf ~; "', "xc7z020[exec ls]", "$env(HOME)", "", "a b", "x\n",
                                  "x" * 65, None, 7, "xc--1", "-xc7"])
def test_bad_part_numbers_name_the_value(part):
    with pytest.raises(InvalidSetting, match="part"):
        check_part_number(part, "Design.part_number")


def test_tcl_word_braces_and_refuses_what_could_end_it():
    assert tcl_word("xc7z020clg400-1") == "{xc7z020clg400-1}"
    for bad in ("a}b", "a\\b", "a\nb"):
        with pytest.raises(InvalidSetting):
            tcl_word(bad)


PROJECT_TCL = ('variable part\nset part "{part}"\nvariable clock_period\nset clock_period 10.0\n'
               'set clock_uncertainty 12.5%\nset project_name "myproject"\n')


def test_project_tcl_part_is_checked_and_brace_quoted(tmp_path):
    (tmp_path / "project.tcl").write_text(PROJECT_TCL.format(part="xc7z020clg400-1"))
    assert check_project_tcl(tmp_path) == "xc7z020clg400-1"
    assert "set part {xc7z020clg400-1}\n" in (tmp_path / "project.tcl").read_text()
    assert check_project_tcl(tmp_path) == "xc7z020clg400-1"  # idempotent


@pytest.mark.parametrize("text", [PROJECT_TCL.format(part="xc7z020[exec touch /tmp/owned]"),
                                  PROJECT_TCL.format(part="xc7z020clg400-1") + 'set version "[exec id]"\n',
                                  PROJECT_TCL.format(part="xc7z020clg400-1") + "exec rm -rf /\n",
                                  PROJECT_TCL.format(part="xc7z020clg400-1") + "set clock_period [expr 1]\n"])
def test_project_tcl_with_substitution_is_refused_and_left_unchanged(tmp_path, text):
    (tmp_path / "project.tcl").write_text(text)
    with pytest.raises(InvalidSetting, match=r"project.tcl:\d+"):
        check_project_tcl(tmp_path)
    assert (tmp_path / "project.tcl").read_text() == text


def test_run_build_refuses_an_unsafe_project_before_running(tmp_path):
    from hlsnb.synth.build import run_build

    (tmp_path / "build_prj.tcl").write_text("# hls4ml\n")
    (tmp_path / "hls4ml_config.yml").write_text("Backend: Vivado\nProjectName: myproject\n")
    (tmp_path / "project.tcl").write_text(PROJECT_TCL.format(part="x[exec id]"))
    with pytest.raises(InvalidSetting, match="part"):
        run_build(tmp_path, progress=False, echo=False)
    assert not (tmp_path / "hlsnb_build.log").exists()


# ------------------------------------------------------------------ report files
def test_read_report_refuses_devices_binaries_and_non_paths(tmp_path):
    with pytest.raises(ReportError, match="/dev/zero: not a regular file"):
        read_report("/dev/zero")
    fifo = tmp_path / "fifo.rpt"
    os.mkfifo(fifo)
    with pytest.raises(ReportError, match="fifo.rpt: not a regular file"):
        read_report(fifo)  # would block forever on open
    binary = tmp_path / "x_csynth.rpt"
    binary.write_bytes(b"\x00\xff\xfe" * 100)
    with pytest.raises(ReportError, match="x_csynth.rpt: a binary file"):
        read_report(binary)
    with pytest.raises(ReportError, match="path must be a file or folder path"):
        read_report(None)


# ------------------------------------------------------------------ board: software overlay, float streams
@pytest.mark.parametrize("shapes", [((15,), (5,)), ((17,), (5,)), ((16,), (4,)), ((16,), (6,)), ((4, 5), (5,))])
def test_software_overlay_refuses_an_interface_the_library_does_not_have(csim, shapes):
    iface = hb.StreamInterface(input_shape=shapes[0], output_shape=shapes[1])
    with pytest.raises(BoardError, match=r"the interface says \d+ input and \d+ output values .* the library reads 16 "
                                         r"and writes 5"):
        hb.SoftwareOverlay(csim["library"], iface)


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_float_stream_refuses_nan_and_inf(csim, bad):
    X = np.array(csim["X"][:3], dtype=np.float64)
    X[1, 2] = bad
    with hb.SoftwareOverlay(csim["library"], IFACE) as sw, pytest.raises(ValueError, match=r"first at index \(1, 2\)"):
        sw.predict(X)


# ------------------------------------------------------------------ bundles
@pytest.mark.parametrize("name", ["../escape", "a/b", "..", "/abs", "a\\b", "", "x y", "-" * 200])
def test_package_name_stays_in_its_folder(tmp_path, csim, design, name):
    out = tmp_path / "out" / "nn.zip"
    with pytest.raises(InvalidSetting, match="plain file name"):
        hb.package(out, bitfile=design, interface=IFACE, test_inputs=csim["X"], csim_library=csim["library"],
                   name=name)
    assert not out.parent.exists() or list(out.parent.iterdir()) == []


@pytest.mark.parametrize("what", ["nan_inputs", "wrong_shape", "strings", "one_hot_labels", "empty"])
def test_package_checks_its_arrays_before_writing(tmp_path, csim, design, what):
    X = np.array(csim["X"], dtype=np.float64)
    kw = dict(test_inputs=X, csim_library=csim["library"])
    if what == "nan_inputs":
        X[3, 1] = np.nan
    elif what == "wrong_shape":
        kw["test_inputs"] = X[:, :15]
    elif what == "strings":
        kw["test_inputs"] = np.array([["a"] * 16])
    elif what == "one_hot_labels":
        kw["test_labels"] = np.eye(5)[np.arange(len(X)) % 5]
    else:
        kw["test_inputs"] = X[:0]
    with pytest.raises(ValueError, match="test_inputs|test_labels"):
        hb.package(tmp_path / "nn.zip", bitfile=design, interface=IFACE, **kw)
    assert list(tmp_path.glob("*.zip*")) == [] and list(tmp_path.glob(".nn.zip*")) == []


def test_failed_write_leaves_no_part_file(tmp_path, csim, design, monkeypatch):
    import zipfile

    def boom(self, *a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(zipfile.ZipFile, "write", boom)
    with pytest.raises(OSError, match="No space left"):
        hb.package(tmp_path / "nn.zip", bitfile=design, interface=IFACE, test_inputs=csim["X"],
                   csim_library=csim["library"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nn.bit", "nn.hwh"]


def _bundle(tmp_path, csim, design):
    out = hb.package(tmp_path / "nn.zip", bitfile=design, interface=IFACE, test_inputs=csim["X"],
                     csim_library=csim["library"])
    return hb.load_bundle(out, extract_to=tmp_path / "x")


def test_manifest_is_covered_by_its_own_checksum(tmp_path, csim, design):
    b = _bundle(tmp_path, csim, design)
    assert (b.root / "manifest.sha256").read_text().endswith("  manifest.json\n")
    m = json.loads((b.root / "manifest.json").read_text())
    m["board"] = "zcu104"  # a change no file checksum would see
    (b.root / "manifest.json").write_text(json.dumps(m, indent=1, sort_keys=True))
    with pytest.raises(BundleError, match="manifest.json: SHA-256 .* does not match manifest.sha256"):
        hb.load_bundle(b.root)
    (b.root / "manifest.sha256").unlink()
    with pytest.raises(BundleError, match="no manifest.sha256"):
        hb.load_bundle(b.root)


@pytest.mark.parametrize("rel", ["../outside.npy", "/etc/passwd", "data/../../x", "C:\\x"])
def test_manifest_paths_must_stay_inside(tmp_path, csim, design, rel):
    import hashlib

    b = _bundle(tmp_path, csim, design)
    m = json.loads((b.root / "manifest.json").read_text())
    m["test"]["inputs"] = rel
    m["files"][rel] = {"sha256": "0" * 64, "bytes": 1}
    data = json.dumps(m).encode()
    (b.root / "manifest.json").write_bytes(data)
    (b.root / "manifest.sha256").write_text(f"{hashlib.sha256(data).hexdigest()}  manifest.json\n")
    with pytest.raises(BundleError, match="not a relative path inside the bundle"):
        hb.load_bundle(b.root)


def test_a_corrupted_archive_leaves_the_earlier_extraction(tmp_path, csim, design):
    b = _bundle(tmp_path, csim, design)
    good = {p.relative_to(b.root): p.read_bytes() for p in b.root.rglob("*") if p.is_file()}
    bad = tmp_path / "nn.zip"
    data = bytearray(bad.read_bytes())
    data[200:260] = bytes(x ^ 0x5A for x in data[200:260])
    bad.write_bytes(bytes(data))
    with pytest.raises(BundleError):
        hb.load_bundle(bad, extract_to=tmp_path / "x")
    assert {p.relative_to(b.root): p.read_bytes() for p in b.root.rglob("*") if p.is_file()} == good
    assert [p.name for p in (tmp_path / "x").iterdir()] == [b.root.name]  # no staging folder left


# ------------------------------------------------------------------ command line
def _cli(args, capsys):
    from hlsnb.cli import main

    rc = main(args)
    err = capsys.readouterr().err
    return rc, err


def test_cli_missing_and_non_model_files(tmp_path, capsys):
    rc, err = _cli(["design", str(tmp_path / "nope.keras")], capsys)
    assert rc == 2 and "no such file" in err and "Traceback" not in err and err.count("\n") == 1
    junk = tmp_path / "junk.keras"
    junk.write_text("not a model")
    rc, err = _cli(["design", str(junk)], capsys)
    assert rc == 2 and "junk.keras: not a Keras model" in err and err.count("\n") == 1
    txt = tmp_path / "model.txt"
    txt.write_text("x")
    rc, err = _cli(["design", str(txt)], capsys)
    assert rc == 2 and "ending in .keras" in err
    rc, err = _cli(["estimate", str(tmp_path / "none.json")], capsys)
    assert rc == 2 and "none.json: no such file" in err


@pytest.mark.parametrize("out", ["{tmp}/missing/dir/d.json", "{tmp}", ""])
def test_cli_bad_output_path_is_one_line(tmp_path, capsys, out, mlp):
    model = tmp_path / "m.keras"
    mlp.save(model)
    rc, err = _cli(["design", str(model), "-o", out.format(tmp=tmp_path)], capsys)
    assert rc == 2 and err.startswith("error: --output") and err.count("\n") == 1


@pytest.mark.parametrize("args", [["--clock-ns", "inf"], ["--clock-ns", "-1"], ["--clock-ns", "nan"],
                                  ["--reuse-factor", "0"]])
def test_cli_bad_numbers(tmp_path, capsys, args):
    rc, err = _cli(["design", str(tmp_path / "m.keras"), *args], capsys)
    assert rc == 2 and err.startswith("error: --") and "Traceback" not in err


# ------------------------------------------------------------------ pruning
def _tiny():
    import keras

    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((8,)), keras.layers.Dense(4, name="fc")])
    X = np.random.default_rng(0).normal(size=(64, 8)).astype(np.float32)
    y = np.arange(64) % 4
    return m, X, y


@pytest.mark.parametrize("case, match", [
    ("nan", r"data\[0\] \(X_train\) has 1 NaN or infinite"),
    ("inf", r"NaN or infinite"),
    ("label_high", r"labels from 0 to 4; valid class labels are 0..3"),
    ("label_negative", r"labels from -1"),
    ("one_hot", r"one-hot labels.*y.argmax\(axis=1\)"),
    ("float_labels", r"non-integer"),
    ("length", r"63 labels for 64 rows"),
    ("batch_size", r"batch_size must be an integer >= 1; got 0"),
    ("epochs", r"epochs must be an integer >= 1; got 1.5"),
    ("learning_rate", r"learning_rate must be a finite number"),
    ("validation_split", r"validation_split must be a finite number in \[0, 1\)"),
    ("metric", r"metric must be one of l1, l2, taylor"),
])
def test_prune_refuses_bad_inputs_before_training(case, match, monkeypatch):
    from hlsnb.design import Design
    from hlsnb.prune import _core, prune

    m, X, y = _tiny()
    kw = {}
    if case == "nan":
        X[5, 2] = np.nan
    elif case == "inf":
        X[0, 0] = np.inf
    elif case == "label_high":
        y = y.copy()
        y[3] = 4
    elif case == "label_negative":
        y = y - 1
    elif case == "one_hot":
        y = np.eye(4)[y]
    elif case == "float_labels":
        y = y + 0.5
    elif case == "length":
        y = y[:-1]
    elif case == "batch_size":
        kw["batch_size"] = 0
    elif case == "epochs":
        kw["epochs"] = 1.5
    elif case == "learning_rate":
        kw["learning_rate"] = float("nan")
    elif case == "validation_split":
        kw["validation_split"] = 1.0
    else:
        kw["metric"] = "l3"
    monkeypatch.setattr(_core, "_clone", lambda *_: pytest.fail("training started"))
    weights = [w.copy() for w in m.get_weights()]
    with pytest.raises(InvalidSetting, match=match):
        prune(m, Design.from_keras(m, board="pynq-z2"), "dsp", (X, y), progress=False, csim=False, **kw)
    assert all(np.array_equal(a, b) for a, b in zip(weights, m.get_weights()))
