"""Atomic writes and the inter-process lock (hlsnb.fileio): the previous version survives a failed write, two
processes never lose each other's updates."""

import json
import multiprocessing as mp
import os

import pytest

from hlsnb.fileio import atomic_path, atomic_write, locked


def test_a_failed_write_leaves_the_previous_version(tmp_path):
    p = tmp_path / "design.json"
    atomic_write(p, '{"v": 1}')
    with pytest.raises(RuntimeError), atomic_path(p) as tmp:
        tmp.write_text('{"v": 2, "half')
        raise RuntimeError("killed mid-write")
    assert json.loads(p.read_text()) == {"v": 1}
    assert [f.name for f in tmp_path.iterdir()] == ["design.json"]  # no temporary file left behind


def test_the_temporary_file_keeps_the_suffix_and_is_unique(tmp_path):
    with atomic_path(tmp_path / "m.keras") as a, atomic_path(tmp_path / "m.keras") as b:
        assert a != b and a.name.startswith(".m.keras.") and ".keras" in a.suffixes
        a.write_bytes(b"a")
        b.write_bytes(b"b")
    assert (tmp_path / "m.keras").read_bytes() in (b"a", b"b")


def _add(path, key, n):
    for i in range(n):
        with locked(path):
            state = json.loads(open(path).read()) if os.path.exists(path) else {}
            state[f"{key}{i}"] = i
            atomic_write(path, json.dumps(state))


def test_two_processes_under_the_lock_lose_nothing(tmp_path):
    p = str(tmp_path / "project.json")
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_add, args=(p, k, 60)) for k in "ab"]
    for q in procs:
        q.start()
    for q in procs:
        q.join(60)
        assert q.exitcode == 0
    assert len(json.loads(open(p).read())) == 120


def test_the_new_file_has_the_mode_a_plain_write_would_give(tmp_path):
    old = os.umask(0o022)
    try:
        fresh = atomic_write(tmp_path / "a.json", "{}")
        assert fresh.stat().st_mode & 0o777 == 0o644
        kept = tmp_path / "b.json"
        kept.write_text("{}")
        kept.chmod(0o640)
        atomic_write(kept, "{}")
        assert kept.stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(old)
