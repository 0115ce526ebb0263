"""Builds and tool probes run in their own process group: a timeout, an interrupt or an error leaves no process."""

from __future__ import annotations

import os
import signal
import stat
import threading
import time
from pathlib import Path

import psutil
import pytest

from hlsnb.errors import BuildError, InvalidSetting
from hlsnb.synth import build as B
from hlsnb.synth.tools import detect_tools

# A fake tool that answers nothing: it starts a child (which would inherit the output pipe) and both sleep. Each
# writes its pid to $PIDS_DIR, so the test can check that none survives.
HANG = """#!/usr/bin/env bash
echo $$ > "$PIDS_DIR/leader.$$"
( echo $BASHPID > "$PIDS_DIR/tmp.$BASHPID" && mv "$PIDS_DIR/tmp.$BASHPID" "$PIDS_DIR/child.$BASHPID"; sleep 1000 ) &
while [ ! -s "$PIDS_DIR/child.$!" ]; do sleep 0.01; done
echo "***** C SIMULATION *****"
sleep 1000
"""


def _fake(folder: Path, name: str, body: str) -> Path:
    p = folder / name
    p.write_text(body)
    p.chmod(p.stat().st_mode | stat.S_IXUSR)
    return p


def _pids(folder: Path) -> list[int]:
    return [int(p.read_text()) for p in folder.iterdir() if p.name.split(".")[0] in ("leader", "child")]


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _wait_gone(pids, within_s=5.0) -> list[int]:
    end = time.monotonic() + within_s
    while time.monotonic() < end and any(_alive(p) for p in pids):
        time.sleep(0.05)
    return [p for p in pids if _alive(p)]


@pytest.fixture
def hang_env(tmp_path, monkeypatch):
    tools, pids = tmp_path / "tools", tmp_path / "pids"
    tools.mkdir()
    pids.mkdir()
    for name in ("vivado_hls", "vivado"):
        _fake(tools, name, HANG)
    monkeypatch.setenv("PIDS_DIR", str(pids))
    monkeypatch.setenv("PATH", f"{tools}{os.pathsep}/usr/bin{os.pathsep}/bin")
    prj = tmp_path / "prj"
    prj.mkdir()
    (prj / "hls4ml_config.yml").write_text("Backend: Vivado\nProjectName: myproject\n")
    (prj / "build_prj.tcl").write_text("# hls4ml\n")
    return prj, pids


# a Tool table that says the fake tools are supported (their -version hangs, which is tested separately)
def _ok_tools():
    from hlsnb.synth.tools import Tool

    return {n: Tool(n, f"/fake/{n}", "2020.1") for n in ("vivado_hls", "vivado", "vitis-run", "vitis_hls")}


def test_version_probe_that_hangs_is_stopped_with_its_children(hang_env):
    _, pids = hang_env
    t0 = time.monotonic()
    tools = detect_tools(timeout_s=1.0)
    assert time.monotonic() - t0 < 15
    t = tools["vivado_hls"]
    assert t.found and t.version is None and "did not answer within 1 s" in t.error
    assert _pids(pids) and _wait_gone(_pids(pids)) == []


def test_build_timeout_kills_the_whole_group_and_says_so(hang_env):
    prj, pids = hang_env
    with pytest.raises(BuildError, match=r"did not finish within the timeout of 1 s; killed it and its process group"):
        B.run_build(prj, timeout_s=1.0, progress=False, echo=False, tools=_ok_tools())
    assert len(_pids(pids)) == 2 and _wait_gone(_pids(pids)) == []
    log = (prj / "hlsnb_build.log").read_text()
    assert "***** C SIMULATION *****" in log and "[hlsnb] " in log and "timeout" in log


def test_interrupt_kills_the_whole_group_and_the_log_says_so(hang_env):
    prj, pids = hang_env

    class Interrupting:  # the sink raises KeyboardInterrupt at the first line, as the stop button does mid-stream
        def append_stdout(self, text):
            if "C SIMULATION" in text:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        B.run_build(prj, output=Interrupting(), progress=False, tools=_ok_tools())
    assert _pids(pids) and _wait_gone(_pids(pids)) == []
    assert "build stopped (KeyboardInterrupt): killed 'vivado_hls' and its process group" in \
        (prj / "hlsnb_build.log").read_text()


def test_interrupt_from_another_thread_while_blocked_on_output(hang_env):
    """The realistic case: the tool prints nothing for a long time and the user presses stop (Jupyter's interrupt
    is a SIGINT to the kernel process, whose handler while a cell runs is Python's default one: ipykernel installs
    it for each execution). The handler is set here as the kernel sets it: another test in the same worker may have
    left its own (a full parallel run once lost the signal that way and waited out the fake tool's 1,000 s). The
    build's timeout bounds the wait if the interrupt is lost all the same."""
    prj, pids = hang_env
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT)).start()
        with pytest.raises(KeyboardInterrupt):
            B.run_build(prj, progress=False, echo=False, tools=_ok_tools(), timeout_s=120.0)
    finally:
        signal.signal(signal.SIGINT, before)
    assert _pids(pids) and _wait_gone(_pids(pids)) == []


@pytest.mark.parametrize("bad", [0, -1, float("inf"), float("nan"), "10", True])
def test_bad_timeout_is_refused_before_anything_runs(hang_env, bad):
    prj, pids = hang_env
    with pytest.raises(InvalidSetting, match="timeout_s must be a positive finite number"):
        B.run_build(prj, timeout_s=bad, progress=False, echo=False, tools=_ok_tools())
    assert _pids(pids) == [] and not (prj / "hlsnb_build.log").exists()


@pytest.mark.parametrize("stem", ["../evil", "a/b", "", "..", "/abs", "x y"])
def test_bad_stem_is_refused(hang_env, stem):
    prj, _ = hang_env
    with pytest.raises(InvalidSetting, match="stem must be a file name"):
        B.run_build(prj, stem=stem, progress=False, echo=False, tools=_ok_tools())


def test_detect_tools_refuses_a_bad_timeout():
    with pytest.raises(InvalidSetting, match="timeout_s must be a positive finite number"):
        detect_tools(timeout_s=0)


def test_doctor_does_not_hang_on_a_silent_tool(hang_env, monkeypatch, capsys):
    from hlsnb import cli

    _, pids = hang_env
    monkeypatch.setattr(cli, "DOCTOR_PROBE_TIMEOUT_S", 1.0)
    t0 = time.monotonic()
    cli.main(["doctor"])
    assert time.monotonic() - t0 < 30
    assert "did not answer within 1 s" in capsys.readouterr().out
    assert _wait_gone(_pids(pids)) == []
