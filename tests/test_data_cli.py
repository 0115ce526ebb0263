import json
import subprocess
import sys
import time

import numpy as np
import pytest

from hlsnb.data import load_dataset


def test_digits16_shape_and_split(digits16):
    d = digits16
    assert d.X_train.shape[1] == 16 and d.n_classes == 5 and d.X_train.dtype == np.float32
    assert set(np.unique(d.y_train)) == {0, 1, 2, 3, 4}
    assert abs(float(d.X_train.mean())) < 1e-5  # standardised on the training split
    again = load_dataset("digits16")
    np.testing.assert_array_equal(again.X_test, d.X_test)  # fixed split


def test_unknown_dataset():
    with pytest.raises(ValueError, match="digits16"):
        load_dataset("mnist")


def test_jets_without_network_fails_fast(tmp_path, monkeypatch):
    import hlsnb.data as data

    monkeypatch.setattr(data, "_reachable", lambda *a, **k: False)
    t = time.perf_counter()
    with pytest.raises(RuntimeError, match="digits16"):
        load_dataset("jets", data_home=str(tmp_path))
    assert time.perf_counter() - t < 5


def test_jets_probe_times_out_quickly(tmp_path):
    from hlsnb.data import _reachable

    t = time.perf_counter()
    _reachable("10.255.255.1", 9, 1.0)  # a non-routable address: never answers
    assert time.perf_counter() - t < 3


def _run(*args):
    return subprocess.run([sys.executable, "-m", "hlsnb.cli", *args], capture_output=True, text=True, timeout=300)


def test_cli_doctor_runs():
    r = _run("doctor", "--json")
    rows = json.loads(r.stdout)
    names = {x["component"] for x in rows}
    assert {"python", "tensorflow", "keras", "hls4ml", "g++", "vivado_hls", "vitis-run", "vivado", "pynq"} <= names
    assert next(x for x in rows if x["component"] == "hls4ml")["ok"] is True


def test_cli_design(mlp, tmp_path):
    path = tmp_path / "m.keras"
    mlp.save(path)
    r = _run("design", str(path), "--board", "pynq-z2", "--strategy", "Resource", "--reuse-factor", "64", "-o",
             str(tmp_path / "d.json"))
    assert r.returncode == 2 and "'output'" in r.stderr and "160" in r.stderr  # RF 64 is invalid for 32x5
    r = _run("design", str(path), "--strategy", "Resource", "--reuse-factor", "64", "--closest", "-o",
             str(tmp_path / "d.json"))
    assert r.returncode == 0 and "'output'" in r.stderr and "using 32" in r.stderr
    d = json.loads((tmp_path / "d.json").read_text())
    assert [l["reuse_factor"] for l in d["layers"] if l["layer_type"] == "Dense"] == [64, 64, 64, 32]
    r = _run("design", str(path), "--strategy", "Resource", "--reuse-factor", "32", "-o", str(tmp_path / "d.json"))
    assert r.returncode == 0, r.stderr
    d = json.loads((tmp_path / "d.json").read_text())
    assert {l["reuse_factor"] for l in d["layers"] if l["layer_type"] == "Dense"} == {32}


def test_cli_estimate(tmp_path):
    from hlsnb.estimate._reference import tutorial_mlp

    path = tmp_path / "d.json"
    tutorial_mlp("Resource", 64).to_json(str(path))
    r = _run("estimate", str(path))
    assert r.returncode == 0 and "estimated by hlsnb" in r.stdout and "fc1" in r.stdout
    (tmp_path / "bad.json").write_text("{}")
    r = _run("estimate", str(tmp_path / "bad.json"))
    assert r.returncode == 2 and "not an hlsnb design JSON" in r.stderr
