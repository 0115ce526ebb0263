"""Find the AMD/Xilinx tools an hls4ml build needs, check their versions, and pick the notebook's mode.

Support matrix (what each hls4ml backend calls; the versions are where each flow is known to work):

* ``Vivado``: ``vivado_hls`` (Vivado HLS 2018.x-2020.1; discontinued after 2020.1).
* ``VivadoAccelerator``: ``vivado_hls`` <= 2020.1 for the IP and ``vivado`` for the bitstream (the PYNQ-Z2
  overlay; build it with 2019.2 or 2020.1).
* ``Vitis``: ``vitis-run`` (Vitis 2023.2 or newer).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Tool", "Mode", "SUPPORT", "detect_tools", "check_backend", "detect_mode"]

TOOLS = ("vivado_hls", "vitis-run", "vivado", "vitis_hls")
VERSION_ARGS = {"vivado_hls": ["-version"], "vivado": ["-version"], "vitis-run": ["--version"],
                "vitis_hls": ["-version"]}

# backend -> list of (tool, min version or None, max version or None, why)
SUPPORT: dict[str, list[tuple[str, tuple | None, tuple | None, str]]] = {
    "Vivado": [("vivado_hls", None, (2020, 1), "hls4ml's Vivado backend runs vivado_hls (Vivado HLS ends at 2020.1)")],
    "VivadoAccelerator": [
        ("vivado_hls", None, (2020, 1), "VivadoAccelerator needs Vivado HLS <= 2020.1"),
        ("vivado", None, None, "VivadoAccelerator runs 'vivado -mode batch -source design.tcl' for the bitstream"),
    ],
    "Vitis": [("vitis-run", (2023, 2), None, "hls4ml's Vitis backend runs 'vitis-run --tcl build_prj.tcl --mode hls'")],
}


@dataclass
class Tool:
    """One tool on PATH: where it is and the version it reports (``None`` when not found)."""

    name: str
    path: str | None
    version: str | None = None
    error: str | None = None  # why the version could not be read

    @property
    def found(self) -> bool:
        return self.path is not None

    @property
    def version_tuple(self) -> tuple | None:
        if not self.version:
            return None
        return tuple(int(x) for x in self.version.split("."))


@dataclass
class Mode:
    """What the notebook can do here: ``synth`` (tools present), ``replay`` (a stored build/report) or ``estimate``."""

    mode: str
    message: str
    backend: str
    tools: dict[str, Tool] = field(default_factory=dict)
    replay_path: str | None = None

    def __str__(self) -> str:
        return self.message

    def _repr_html_(self) -> str:
        colour = {"synth": "#2a7", "replay": "#c80", "estimate": "#58a"}[self.mode]
        return f'<p><b style="color:{colour}">mode: {self.mode}</b> &mdash; {self.message}</p>'


def _read_version(name: str, path: str, timeout_s: float) -> tuple[str | None, str | None]:
    try:
        proc = subprocess.run(
            [path, *VERSION_ARGS.get(name, ["-version"])],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            stdin=subprocess.DEVNULL,
            check=False,  # the version in the output is what counts; without one the message below shows the output
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, f"'{name} {' '.join(VERSION_ARGS.get(name, []))}' failed: {e}"
    m = re.search(r"\bv?(20\d\d\.\d(?:\.\d)?)\b", proc.stdout + proc.stderr)
    if not m:
        first = (proc.stdout + proc.stderr).strip().splitlines()[:1]
        return None, f"no version (YYYY.N) in the output of '{name}': {first[0] if first else '(empty)'}"
    return m.group(1), None


def detect_tools(path: str | None = None, timeout_s: float = 60.0) -> dict[str, Tool]:
    """Look up ``vivado_hls``, ``vitis-run``, ``vivado`` and ``vitis_hls`` on ``path`` (default ``$PATH``).

    Runs each found tool's version command (``-version`` / ``--version``; a few seconds each for real tools).
    """
    out = {}
    for name in TOOLS:
        where = shutil.which(name, path=path if path is not None else os.environ.get("PATH"))
        version = error = None
        if where:
            version, error = _read_version(name, where, timeout_s)
        out[name] = Tool(name, where, version, error)
    return out


def _vstr(v: tuple) -> str:
    return ".".join(str(x) for x in v)


def check_backend(backend: str, tools: dict[str, Tool] | None = None) -> tuple[bool, str]:
    """Whether ``backend`` can build here; returns ``(ok, one-line reason)``."""
    if backend not in SUPPORT:
        raise ValueError(f"backend {backend!r} is not one hlsnb builds; valid: {', '.join(SUPPORT)}")
    tools = detect_tools() if tools is None else tools
    for name, lo, hi, why in SUPPORT[backend]:
        t = tools.get(name) or Tool(name, None)
        if not t.found:
            return False, f"{name} not found on PATH ({why})"
        v = t.version_tuple
        if v is None:
            return False, f"{name} at {t.path}: version unknown ({t.error}); {why}"
        if hi is not None and v[: len(hi)] > hi:
            return False, f"{name} {t.version} at {t.path} is too new: {why} (found {t.version}, need <= {_vstr(hi)})"
        if lo is not None and v[: len(lo)] < lo:
            return False, f"{name} {t.version} at {t.path} is too old: {why} (found {t.version}, need >= {_vstr(lo)})"
    names = ", ".join(f"{n} {tools[n].version}" for n, *_ in SUPPORT[backend])
    return True, f"{backend} can build here with {names}"


def detect_mode(backend: str = "VivadoAccelerator", replay=None, tools: dict[str, Tool] | None = None) -> Mode:
    """Pick the mode and say it in one line.

    ``synth`` when the tools ``backend`` needs are present in a supported version; otherwise ``replay`` when
    ``replay`` (a stored build directory or report) exists; otherwise ``estimate``.
    """
    tools = detect_tools() if tools is None else tools
    ok, why = check_backend(backend, tools)
    if ok:
        return Mode("synth", f"synth: {why}; builds run for real.", backend, tools)
    if replay is not None and Path(replay).exists():
        return Mode(
            "replay",
            f"replay: {why}; showing the stored build {Path(replay).name} as if just built (numbers labelled replay).",
            backend,
            tools,
            str(replay),
        )
    return Mode("estimate", f"estimate: {why}; no build possible here, carrying on with estimates.", backend, tools)
