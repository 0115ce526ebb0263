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

The caches do not grow without end: after each store the least recently used entries (a hit counts as a use) are
removed until all kinds together fit in ``$HLSNB_CACHE_MB`` megabytes (default :data:`DEFAULT_LIMIT_MB`; 0 keeps
everything); the entry just stored is never removed. ``hlsnb cache`` shows what is there, ``hlsnb cache --clear``
empties it (:func:`usage`, :func:`trim`, :func:`clear`).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import warnings
from pathlib import Path

from .fileio import atomic_path

__all__ = ["CacheWarning", "cache_root", "content_key", "fetch_file", "keep_file", "touch", "usage", "trim", "clear",
           "trim_after_store", "limit_bytes", "DEFAULT_LIMIT_MB"]

#: How large the caches may grow, all kinds together, in megabytes (``$HLSNB_CACHE_MB`` overrides; 0: no limit). A
#: C-simulation library of the forum's MLP is ~1 MB, a Verilator emulator ~2 MB, a Yosys run a few kB: 2 GB keeps
#: hundreds of designs, and a PYNQ board's SD card is not filled by them.
DEFAULT_LIMIT_MB = 2048


class CacheWarning(UserWarning):
    """A cache entry could not be read or written; the run went on without it (the message names the file)."""


def _base(root=None) -> Path:
    import platformdirs

    return Path(root or os.environ.get("HLSNB_CACHE") or platformdirs.user_cache_dir("hlsnb", appauthor=False))


def cache_root(kind: str, root=None) -> Path:
    """The folder of the ``kind`` cache (``root`` > ``$HLSNB_CACHE`` > the platform's cache folder) / ``kind``."""
    return _base(root) / kind


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
        touch(entry)
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
    except OSError as e:
        warnings.warn(f"could not store the {what} in the cache ({entry}: {e.strerror or e}); the next run builds "
                      "it again. Point $HLSNB_CACHE at a writable folder (or pass cache_dir=)", CacheWarning,
                      stacklevel=3)
        return None
    trim_after_store(entry.parent)
    return entry


def trim_after_store(entry_dir: Path) -> None:
    """:func:`trim` the caches that ``entry_dir`` (``<base>/<kind>/<key>``, just stored) is in, keeping it; a bad
    ``$HLSNB_CACHE_MB`` is a :class:`CacheWarning` here (a store never fails a run), an error in ``hlsnb cache``."""
    try:
        trim(root=entry_dir.parent.parent, keep=(entry_dir,))
    except ValueError as e:
        warnings.warn(f"{e}: the caches are not trimmed", CacheWarning, stacklevel=3)


def touch(path: Path) -> None:
    """Mark a cache entry's file as just used (its modification time: what :func:`trim` keeps the newest of)."""
    try:
        os.utime(path)
    except OSError:
        pass  # a read-only cache still serves hits; it only cannot record them


def limit_bytes() -> int | None:
    """The size limit of the caches in bytes: ``$HLSNB_CACHE_MB`` or :data:`DEFAULT_LIMIT_MB`; None for no limit
    (0). A value that is not a whole number of megabytes is an error that names it."""
    text = os.environ.get("HLSNB_CACHE_MB")
    if text is None or not text.strip():
        mb = DEFAULT_LIMIT_MB
    else:
        try:
            mb = int(text)
        except ValueError:
            raise ValueError(f"$HLSNB_CACHE_MB={text!r} is not a whole number of megabytes (0: no limit; default "
                             f"{DEFAULT_LIMIT_MB})") from None
        if mb < 0:
            raise ValueError(f"$HLSNB_CACHE_MB={text!r} is negative (0: no limit; default {DEFAULT_LIMIT_MB})")
    return mb * 1024 * 1024 if mb else None


def _entries(base: Path) -> list[tuple[float, int, Path, str]]:
    """(last use, bytes, folder, kind) of every entry ``<base>/<kind>/<key>/``: last use is the newest file's time."""
    out = []
    if not base.is_dir():
        return out
    for kind in sorted(p for p in base.iterdir() if p.is_dir()):
        for entry in kind.iterdir():
            if not entry.is_dir():
                continue
            size, used = 0, 0.0
            for f in entry.rglob("*"):
                try:
                    st = f.stat()
                except OSError:
                    continue  # removed meanwhile
                if f.is_file():
                    size += st.st_size
                    used = max(used, st.st_mtime)
            out.append((used, size, entry, kind.name))
    return out


def usage(root=None) -> dict:
    """``{"folder": path, "limit_bytes": int | None, "kinds": {kind: {"entries": n, "bytes": b}}, "bytes": total}``."""
    base = _base(root)
    kinds: dict = {}
    for _, size, _, kind in _entries(base):
        k = kinds.setdefault(kind, {"entries": 0, "bytes": 0})
        k["entries"] += 1
        k["bytes"] += size
    return {"folder": str(base), "limit_bytes": limit_bytes(), "kinds": kinds,
            "bytes": sum(k["bytes"] for k in kinds.values())}


def trim(limit=None, root=None, keep=()) -> list[Path]:
    """Remove the least recently used entries until the caches (all kinds) take at most ``limit`` bytes (default
    :func:`limit_bytes`; nothing is removed without a limit). Entries in ``keep`` stay whatever their age. Returns
    the removed folders; one that cannot be removed is a :class:`CacheWarning` and the rest goes on."""
    limit = limit_bytes() if limit is None else limit
    if not limit:
        return []
    entries = _entries(_base(root))
    total = sum(e[1] for e in entries)
    kept = {Path(k).resolve() for k in keep}
    removed = []
    for _used, size, entry, _ in sorted(entries, key=lambda e: e[0]):
        if total <= limit:
            break
        if entry.resolve() in kept:
            continue
        try:
            shutil.rmtree(entry)
        except OSError as e:
            warnings.warn(f"could not remove the old cache entry {entry} ({e.strerror or e}); the cache stays over "
                          f"its limit of {limit / 2**20:.0f} MB ($HLSNB_CACHE_MB)", CacheWarning, stacklevel=2)
            continue
        total -= size
        removed.append(entry)
    return removed


def clear(kind: str | None = None, root=None) -> int:
    """Remove every entry (of ``kind`` only, when given); returns how many. Nothing but the cache folders is
    touched."""
    base = _base(root)
    n = 0
    for _, _, entry, k in _entries(base):
        if kind is None or k == kind:
            shutil.rmtree(entry, ignore_errors=True)
            n += 1
    return n
