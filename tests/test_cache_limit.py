"""The caches stay within a size: the least recently used entries go first, a hit counts as a use, the entry just
stored stays, and ``hlsnb cache`` shows, trims and clears them (hlsnb.cache.usage / trim / clear)."""

from __future__ import annotations

import json
import os
import time
import warnings

import pytest

from hlsnb import cache
from hlsnb.cache import CacheWarning, cache_root, fetch_file, keep_file
from hlsnb.cli import main
from hlsnb.opensynth import cache as yosys_cache

MB = 2**20


def _entry(base, kind, key, size, age_s):
    """An entry of ``size`` bytes last used ``age_s`` seconds ago."""
    d = cache_root(kind, base) / key
    d.mkdir(parents=True)
    f = d / "lib.so"
    f.write_bytes(b"\0" * size)
    t = time.time() - age_s
    os.utime(f, (t, t))
    return d


def test_trim_removes_the_least_recently_used_until_within_the_limit(tmp_path):
    old = _entry(tmp_path, "csim", "a" * 32, 3 * MB, 300)
    mid = _entry(tmp_path, "opensynth", "b" * 32, 3 * MB, 200)
    new = _entry(tmp_path, "csim", "c" * 32, 3 * MB, 100)
    assert cache.usage(tmp_path)["bytes"] == 9 * MB
    gone = cache.trim(limit=7 * MB, root=tmp_path)
    assert gone == [old] and not old.exists() and mid.exists() and new.exists()
    # across kinds, oldest first; a kept entry stays even when it is the oldest
    gone = cache.trim(limit=1 * MB, root=tmp_path, keep=(mid,))
    assert gone == [new] and mid.exists()
    u = cache.usage(tmp_path)
    assert u["kinds"] == {"opensynth": {"entries": 1, "bytes": 3 * MB}} and u["bytes"] == 3 * MB


def test_a_hit_counts_as_a_use(tmp_path):
    a = _entry(tmp_path, "csim", "a" * 32, 2 * MB, 300)
    b = _entry(tmp_path, "csim", "b" * 32, 2 * MB, 100)
    assert fetch_file(a / "lib.so", tmp_path / "out.so", "C-simulation library")  # a is used now: b is older
    assert cache.trim(limit=3 * MB, root=tmp_path) == [b] and a.exists()


def test_storing_trims_to_the_limit_and_keeps_what_it_stored(tmp_path, monkeypatch):
    monkeypatch.setenv("HLSNB_CACHE_MB", "4")
    old = _entry(tmp_path, "csim", "a" * 32, 3 * MB, 300)
    src = tmp_path / "new.so"
    src.write_bytes(b"\1" * (2 * MB))
    entry = cache_root("csim", tmp_path) / ("d" * 32) / "csim.so"
    assert keep_file(src, entry, "C-simulation library") == entry
    assert entry.is_file() and not old.exists()
    # a store larger than the limit is still kept (it is the entry just stored)
    big = tmp_path / "big.so"
    big.write_bytes(b"\2" * (5 * MB))
    entry2 = cache_root("csim", tmp_path) / ("e" * 32) / "csim.so"
    assert keep_file(big, entry2, "C-simulation library") == entry2 and entry2.is_file() and not entry.exists()
    # the Yosys cache trims the same way and counts a load as a use
    monkeypatch.setenv("HLSNB_CACHE_MB", "7")
    p = yosys_cache.store("f" * 32, {"stat": "x" * MB, "seconds": 1.0, "tool": "yosys"}, root=tmp_path)
    assert p is not None and p.is_file() and entry2.is_file()
    assert yosys_cache.load("f" * 32, root=tmp_path)["tool"] == "yosys"


def test_the_limit_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("HLSNB_CACHE_MB", raising=False)
    assert cache.limit_bytes() == cache.DEFAULT_LIMIT_MB * MB
    monkeypatch.setenv("HLSNB_CACHE_MB", "0")
    assert cache.limit_bytes() is None and cache.trim() == []
    for bad in ("2GB", "-5"):
        monkeypatch.setenv("HLSNB_CACHE_MB", bad)
        with pytest.raises(ValueError, match=r"HLSNB_CACHE_MB.*megabytes|HLSNB_CACHE_MB.*negative"):
            cache.limit_bytes()


def test_a_bad_limit_never_fails_a_store(tmp_path, monkeypatch):
    monkeypatch.setenv("HLSNB_CACHE_MB", "lots")
    src = tmp_path / "x.so"
    src.write_bytes(b"\1")
    entry = cache_root("csim", tmp_path) / ("a" * 32) / "csim.so"
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        assert keep_file(src, entry, "C-simulation library") == entry
    assert any(issubclass(x.category, CacheWarning) and "'lots'" in str(x.message) for x in w)


def test_the_cache_command(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HLSNB_CACHE", str(tmp_path))
    monkeypatch.setenv("HLSNB_CACHE_MB", "100")
    _entry(tmp_path, "csim", "a" * 32, 2 * MB, 300)
    _entry(tmp_path, "opensynth", "b" * 32, 1 * MB, 100)
    assert main(["cache"]) == 0
    out = capsys.readouterr().out
    assert str(tmp_path) in out and "3.0 MB of 100.0 MB" in out and "csim" in out and "opensynth" in out
    assert main(["cache", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["kinds"]["csim"] == {"entries": 1, "bytes": 2 * MB}
    assert main(["cache", "--trim-mb", "1"]) == 0
    assert "removed 1 least recently used entry" in capsys.readouterr().out
    assert main(["cache", "--clear", "opensynth"]) == 0
    assert "removed 1 cache entry of opensynth" in capsys.readouterr().out
    assert cache.usage()["bytes"] == 0
    monkeypatch.setenv("HLSNB_CACHE_MB", "2GB")
    assert main(["cache"]) == 2
    assert "HLSNB_CACHE_MB='2GB'" in capsys.readouterr().err
