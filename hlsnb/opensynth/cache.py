"""Content-hash cache of Yosys runs: the same Verilog, script and Yosys version give the same cell counts.

A run of a 16x64 layer takes about a minute, a whole MLP several: re-running a notebook must not pay that again.
The key hashes every file Yosys reads, the script and the tool version; a hit returns the stored ``stat`` output.
The cache lives in ``$HLSNB_CACHE`` or the platform's user cache folder (``~/.cache/hlsnb`` on Linux), under
``opensynth/<key>/`` (the shared content-cache code is :mod:`hlsnb.cache`).

A cache is only ever a shortcut: an entry that cannot be read (damaged, truncated, another program's file) or a
cache folder that cannot be written (read-only, full) never fails a run. Each is a :class:`CacheWarning` that names
the file and says what to do, and the run goes on as a miss / without storing.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

from .. import cache as _cache
from ..cache import CacheWarning
from ..fileio import atomic_write

__all__ = ["cache_root", "run_key", "load", "store", "CacheWarning"]


def cache_root(root=None) -> Path:
    """Where cached runs live (``root`` > ``$HLSNB_CACHE`` > the platform's cache folder, ``~/.cache/hlsnb`` on
    Linux), plus ``/opensynth``."""
    return _cache.cache_root("opensynth", root)


def run_key(files, script: str, tool: str) -> str:
    """SHA-256 over the files' names and contents (in order), the script (paths removed) and the tool version."""
    return _cache.content_key(files, script, tool)


def load(key: str, root=None) -> dict | None:
    """The stored run for ``key`` (``{"stat": text, "seconds": float, "tool": str}``), or None.

    An entry that is there but cannot be read is a miss with a :class:`CacheWarning` naming it (the next run
    replaces it with a good one)."""
    p = cache_root(root) / key / "run.json"
    if not p.is_file():
        return None
    try:
        d = json.loads(p.read_text())
    except (OSError, ValueError) as e:
        why = e.strerror if isinstance(e, OSError) and e.strerror else f"not JSON ({e})"
        warnings.warn(f"Yosys cache entry {p} cannot be read ({why}): running Yosys again; the new run replaces "
                      f"it (or delete {p.parent})", CacheWarning, stacklevel=2)
        return None
    if not (isinstance(d, dict) and isinstance(d.get("stat"), str)):
        warnings.warn(f"Yosys cache entry {p} is not a cached run (no 'stat' text): running Yosys again; the new "
                      "run replaces it", CacheWarning, stacklevel=2)
        return None
    _cache.touch(p)
    return d


def store(key: str, run: dict, root=None) -> Path | None:
    """Store ``run`` under ``key`` atomically (a killed run or a full disk never leaves a torn entry).

    Returns the entry's path, or None (with a :class:`CacheWarning` naming the folder) when the cache cannot be
    written: a read-only or full cache folder costs the next run its shortcut, never this run its result."""
    d = cache_root(root) / key
    try:
        d.mkdir(parents=True, exist_ok=True)
        path = atomic_write(d / "run.json", json.dumps(run))
    except OSError as e:
        warnings.warn(f"cannot write the Yosys cache entry {d / 'run.json'} ({e.strerror or e}); the result is "
                      "not cached. Point $HLSNB_CACHE at a writable folder (or pass cache_dir=)", CacheWarning,
                      stacklevel=2)
        return None
    _cache.trim_after_store(d)
    return path
