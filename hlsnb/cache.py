"""Content-hash caches of expensive tool outputs: the same inputs to the same tool give the same output.

Used for Yosys runs (:mod:`hlsnb.opensynth.cache`), Verilator's emulator library
(:func:`hlsnb.opensynth.verilator.compile_emulator`) and hls4ml's C-simulation library
(:func:`hlsnb.synth.compile_csim`).
A key hashes every file the tool reads, the command (paths and other run-to-run noise removed) and the tool's
version; an entry is a folder ``<cache root>/<kind>/<key>/``. The cache root is ``root`` (a ``cache_dir=`` argument)
> ``$HLSNB_CACHE`` > the platform's user cache folder (``~/.cache/hlsnb`` on Linux).

A cache is only ever a shortcut: an entry that cannot be read (damaged, truncated, removed meanwhile) or a cache folder
that cannot be written (read-only, full) never fails a run. Each is a :class:`CacheWarning` that names the file and
says what happens, and the run goes on as a miss / without storing.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import warnings
from pathlib import Path

from .fileio import atomic_path

__all__ = ["CacheWarning", "cache_root", "content_key", "fetch_file", "keep_file"]


class CacheWarning(UserWarning):
    """A cache entry could not be read or written; the run went on without it (the message names the file)."""


def cache_root(kind: str, root=None) -> Path:
    """The folder of the ``kind`` cache (``root`` > ``$HLSNB_CACHE`` > the platform's cache folder) / ``kind``."""
    import platformdirs

    base = root or os.environ.get("HLSNB_CACHE") or platformdirs.user_cache_dir("hlsnb", appauthor=False)
    return Path(base) / kind


def content_key(files, script: str, tool: str, *, base=None) -> str:
    """SHA-256 over the files' names and contents (in the order given), ``script`` and ``tool`` (32 hex digits).

    A file's name is its path relative to ``base`` when given (two files of one name in different folders stay
    apart), else its bare name (so the same sources in another folder give the same key)."""
    h = hashlib.sha256()
    for f in files:
        f = Path(f)
        name = f.relative_to(base).as_posix() if base is not None else f.name
        h.update(name.encode() + b"\0" + f.read_bytes() + b"\0")
    h.update(script.encode() + b"\0" + tool.encode())
    return h.hexdigest()[:32]


def fetch_file(entry: Path, dest: Path, what: str) -> bool:
    """Copy the cached file ``entry`` to ``dest``; False when there is none, or (with a :class:`CacheWarning`) when
    it cannot be copied: the caller builds again and :func:`keep_file` replaces the entry."""
    if not entry.is_file():
        return False
    try:
        shutil.copyfile(entry, dest)
        return True
    except OSError as e:
        warnings.warn(f"cached {what} {entry} cannot be used ({e.strerror or e}): building it again",
                      CacheWarning, stacklevel=3)
        return False


def keep_file(src: Path, entry: Path, what: str) -> Path | None:
    """Store a copy of ``src`` as the cache entry ``entry``, atomically (a killed run never leaves a torn entry).

    Returns ``entry``, or None (with a :class:`CacheWarning`) when the cache cannot be written: a read-only or full
    cache folder costs the next run its shortcut, never this run its result."""
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(entry) as tmp:
            shutil.copyfile(src, tmp)
        return entry
    except OSError as e:
        warnings.warn(f"could not store the {what} in the cache ({entry}: {e.strerror or e}); the next run builds "
                      "it again. Point $HLSNB_CACHE at a writable folder (or pass cache_dir=)", CacheWarning,
                      stacklevel=3)
        return None
