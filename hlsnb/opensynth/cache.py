"""Content-hash cache of Yosys runs: the same Verilog, script and Yosys version give the same cell counts.

A run of a 16x64 layer takes about a minute, a whole MLP several: re-running a notebook must not pay that again.
The key hashes every file Yosys reads, the script and the tool version; a hit returns the stored ``stat`` output.
The cache lives in ``$HLSNB_CACHE`` or ``~/.cache/hlsnb``, under ``opensynth/<key>/``.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

__all__ = ["cache_root", "run_key", "load", "store"]


def cache_root(root=None) -> Path:
    """Where cached runs live (``root`` > ``$HLSNB_CACHE`` > ``~/.cache/hlsnb``), plus ``/opensynth``."""
    base = root or os.environ.get("HLSNB_CACHE") or Path.home() / ".cache" / "hlsnb"
    return Path(base) / "opensynth"


def run_key(files, script: str, tool: str) -> str:
    """SHA-256 over the files' names and contents (in order), the script (paths removed) and the tool version."""
    h = hashlib.sha256()
    for f in files:
        f = Path(f)
        h.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
    h.update(script.encode() + b"\0" + tool.encode())
    return h.hexdigest()[:32]


def load(key: str, root=None) -> dict | None:
    """The stored run for ``key`` (``{"stat": text, "seconds": float, "tool": str}``), or None."""
    p = cache_root(root) / key / "run.json"
    if not p.is_file():
        return None
    try:
        d = json.loads(p.read_text())
    except (OSError, ValueError):  # a half-written or damaged entry is a miss, and is overwritten by the next run
        return None
    return d if isinstance(d, dict) and isinstance(d.get("stat"), str) else None


def store(key: str, run: dict, root=None) -> Path:
    """Store ``run`` under ``key`` atomically (write then rename: a killed run never leaves a torn entry)."""
    d = cache_root(root) / key
    d.mkdir(parents=True, exist_ok=True)
    tmp = d / f"run.json.{os.getpid()}"
    tmp.write_text(json.dumps(run))
    tmp.replace(d / "run.json")
    return d / "run.json"
