"""Read Vivado HLS / Vitis HLS / Vivado reports into one tidy table.

One reader for the three kinds of report an hls4ml build leaves behind:

* C synthesis (``csynth``, the HLS estimate): ``<top>_csynth.rpt`` / ``csynth.rpt`` / the
  ``vivado_hls -f build_prj.tcl`` console summary, or ``<top>_csynth.xml``.  Per-layer rows come from the
  report's instance tables; the whole design from its summary tables.
* Vivado synthesis (``vsynth``) and implementation (``impl``) utilisation: ``report_utilization`` output such as
  hls4ml's ``vivado_synth.rpt`` or ``util.rpt`` (the hierarchical form gives per-instance rows as well).

Every row carries the stage its numbers stand for: an HLS estimate is not a post-synthesis count.
"""

from __future__ import annotations

import html
import os
import re
import stat
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .. import vocab
from ..errors import ReportError
from ..layer_types import layer_type_of_module

__all__ = ["ReportError", "ReportRow", "Report", "read_report", "find_reports", "layer_type_from_module", "short_name"]

#: Resource columns a report holds: the four the estimator models, plus UltraRAM.
RESOURCES = vocab.REPORT_RESOURCES
STAGES = vocab.STAGE_LABELS


@dataclass
class ReportRow:
    """One line of the tidy table: a layer (report instance) or the whole design.

    Resources are counts (``bram18k`` in 18 Kb block RAMs: a RAMB36 counts 2); latencies and intervals in clock
    cycles (``None`` when the report gives ``?`` or nothing).
    """

    scope: str  # "model" | "layer"
    name: str  # instance name in the report (the design name for scope="model")
    stage: str  # "csynth" | "vsynth" | "impl"
    module: str | None = None
    layer_type: str | None = None  # hls4ml layer type guessed from the module name (Dense, Conv2D, ...)
    config_index: int | None = None  # hls4ml layer index N from "configN" in the module name
    tool: str | None = None  # e.g. "vivado_hls 2019.2.1", "vitis_hls 2021.1", "vivado 2018.2"
    part: str | None = None
    clock_ns: float | None = None  # target clock period
    est_clock_ns: float | None = None  # HLS estimated clock period
    dsp: int | None = None
    lut: int | None = None
    ff: int | None = None
    bram18k: float | None = None
    uram: int | None = None
    latency_min_cycles: int | None = None
    latency_max_cycles: int | None = None
    ii_min: int | None = None
    ii_max: int | None = None
    pipeline: str | None = None
    source: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(repr=False)
class Report:
    """The parsed content of one report file.

    ``rows`` holds the whole design first (``scope="model"``), then one row per instance in report order.
    ``label`` says where the numbers come from: ``"measured"`` (a report from a real build) or ``"replay"``
    (a stored report shown as if just built).
    """

    path: str
    kind: str  # "csynth" | "vsynth" | "impl"
    tool: str | None
    part: str | None
    clock_ns: float | None
    rows: list[ReportRow] = field(default_factory=list)
    cosim: dict | None = None  # RTL co-simulation latency/interval (cycles) when the report includes it
    available: dict | None = None  # resources of the part, as the report states them
    label: str = "measured"

    @property
    def stage(self) -> str:
        return self.kind

    @property
    def model(self) -> ReportRow:
        """The whole-design row."""
        return next(r for r in self.rows if r.scope == "model")

    @property
    def layers(self) -> list[ReportRow]:
        """Per-instance rows (empty when the report has no instance table)."""
        return [r for r in self.rows if r.scope == "layer"]

    def to_rows(self) -> list[dict]:
        """The tidy table as a list of dicts (one per row), with the stage label and ``label`` added."""
        out = []
        for r in self.rows:
            d = r.as_dict()
            d["label"] = self.label
            d["what"] = STAGES[r.stage]
            out.append(d)
        return out

    def to_pandas(self):
        """The tidy table as a pandas DataFrame (needs pandas)."""
        import pandas as pd

        return pd.DataFrame(self.to_rows())

    def describe(self) -> str:
        """One line saying what these numbers are."""
        m = self.model
        res = ", ".join(f"{k.upper()} {_fmt(getattr(m, k))}" for k in RESOURCES if getattr(m, k) is not None)
        lat = ""
        if m.latency_max_cycles is not None:
            lat = f", latency {m.latency_min_cycles}-{m.latency_max_cycles} cycles"
        tag = " [replay]" if self.label == "replay" else ""
        where = f"{self.tool or 'unknown tool'} on {self.part or 'unknown part'}"
        return f"{STAGES[self.kind]} from {where}{tag}: {res}{lat}"

    @property
    def design(self) -> str:
        """The design's name in the report (hls4ml's project name, ``myproject`` by default)."""
        return self.model.name

    @property
    def short_path(self) -> str:
        """The report file's name for people: relative to the working folder or to hlsnb's package (a replayed
        build), else the last folders; the full path stays in :attr:`path`."""
        return short_name(self.path)

    def summary(self) -> str:
        """What the report is, in a few lines: the stage and tool, the design and part, the whole design's
        resources and latency, one line per layer, and the file."""
        m = self.model
        tag = " (replay of a stored build: no tool ran here)" if self.label == "replay" else ""
        lines = [f"{STAGES[self.kind]} report{tag}",
                 f"  design {self.design!r} on {self.part or 'unknown part'}, {self.tool or 'unknown tool'}"
                 + (f", clock {self.clock_ns:g} ns" if self.clock_ns else ""),
                 f"  whole design: {_resources_text(m)}{_latency_text(m)}"]
        for r in self.layers:
            lines.append(f"  {(r.layer_type or '?') + ' ' + str(r.config_index or ''):14s} {_resources_text(r)}"
                         f"{_latency_text(r)}")
        lines.append(f"  file: {self.short_path}")
        return "\n".join(lines)

    __str__ = summary

    def __repr__(self) -> str:
        return (f"<Report {self.kind} of {self.design!r} [{self.label}], {self.tool or 'unknown tool'}, "
                f"{len(self.layers)} layer rows, {self.short_path}>")

    def _repr_html_(self) -> str:
        cols = ["layer_type", *RESOURCES, "latency_min_cycles", "latency_max_cycles", "ii_min", "ii_max"]
        words = {"layer_type": "layer", "bram18k": "BRAM18K", "latency_min_cycles": "latency min (cycles)",
                 "latency_max_cycles": "latency max (cycles)", "ii_min": "II min (cycles)",
                 "ii_max": "II max (cycles)"}
        head = "<th>row</th>" + "".join(f"<th>{words.get(c, c.upper())}</th>" for c in cols)

        def cell(r, c):
            v = getattr(r, c)
            if c == "layer_type" and r.scope == "model":
                v = "whole design"
            elif c == "layer_type":
                v = f"{v or '?'} {r.config_index or ''}".strip()
            return f"<td style='text-align:{'left' if c == 'layer_type' else 'right'}'>{html.escape(_num_text(v))}</td>"

        body = "".join(
            f"<tr><td title='{html.escape(r.module or r.name)}'>{html.escape(_short_row_name(r))}</td>"
            + "".join(cell(r, c) for c in cols) + "</tr>" for r in self.rows
        )
        tag = " <b>[replay: a stored build, no tool ran here]</b>" if self.label == "replay" else ""
        return (
            f"<p><b>{html.escape(STAGES[self.kind])}</b> report of design <code>{html.escape(self.design)}</code> "
            f"on {html.escape(self.part or 'unknown part')}, {html.escape(self.tool or 'unknown tool')}{tag}<br>"
            f"<small title='{html.escape(self.path)}'>file: {html.escape(self.short_path)}</small></p>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        )


def short_name(path: str | os.PathLike) -> str:
    """A file's name for people: relative to the working folder when inside it, else relative to the folder that
    holds the hlsnb package (a replayed build: ``hlsnb/synth/replay/...``), else ``.../`` and its last three parts.
    Never the machine's absolute path, whose length depends on where a clone lives."""
    p = Path(path)
    if not p.is_absolute():
        return p.as_posix()
    for base in (Path.cwd(), Path(__file__).resolve().parents[2]):
        try:
            return p.relative_to(base).as_posix()
        except ValueError:
            continue
    return ".../" + "/".join(p.parts[-3:])


def _short_row_name(r: ReportRow) -> str:
    if r.scope == "model":
        return r.name
    return r.name if len(r.name) <= 40 else r.name[:37] + "..."


def _num_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"
    return str(v)


def _resources_text(r: ReportRow) -> str:
    return ", ".join(f"{k.upper()} {_num_text(getattr(r, k))}" for k in RESOURCES if getattr(r, k) is not None)


def _latency_text(r: ReportRow) -> str:
    if r.latency_max_cycles is None:
        return ""
    lo, hi = r.latency_min_cycles, r.latency_max_cycles
    unit = "cycle" if hi == 1 else "cycles"
    return f"; latency {hi:,} {unit}" if lo == hi else f"; latency {lo:,}-{hi:,} {unit}"


def _fmt(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


# ----------------------------------------------------------------------------------------------- helpers

#: Former name of :func:`hlsnb.layer_types.layer_type_of_module`: the report reader asks the layer-type registry.
layer_type_from_module = layer_type_of_module


def _config_index(module: str | None) -> int | None:
    m = re.search(r"config(\d+)", module or "")
    return int(m.group(1)) if m else None


def _num(cell: str | None, path, what: str):
    """A number from a report cell; ``None`` for ``?``, ``-``, ``NA`` or empty."""
    if cell is None:
        return None
    s = cell.strip()
    if s in ("", "?", "-", "NA", "N/A", "undef"):
        return None
    s = re.sub(r"\s*(ns|us|ms)$", "", s).replace("~", "").strip()
    try:
        v = float(s)
    except ValueError:
        raise ReportError(f"{path}: expected a number for {what}, found {cell.strip()!r}") from None
    return int(v) if v.is_integer() and "." not in s else v


def _int(cell, path, what):
    v = _num(cell, path, what)
    return None if v is None else int(round(v))


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _tables_after(lines: list[str], start: int, stop_markers=("=====",)) -> list[list[str]]:
    """The first ascii table (list of raw '|' lines) at or after line ``start``."""
    i = start
    while i < len(lines) and not lines[i].lstrip().startswith("+-"):
        if any(lines[i].startswith(m) for m in stop_markers) and i > start:
            return []
        i += 1
    rows = []
    while i < len(lines) and lines[i].lstrip()[:1] in ("+", "|"):
        if lines[i].lstrip().startswith("|"):
            rows.append(lines[i])
        i += 1
    return rows


def _find(lines: list[str], pattern: str, start: int = 0, end: int | None = None) -> int:
    end = len(lines) if end is None else end
    rx = re.compile(pattern)
    for i in range(start, end):
        if rx.search(lines[i]):
            return i
    return -1


# ------------------------------------------------------------------------------------------ csynth .rpt


def _read_csynth_rpt(path: Path, text: str) -> Report:
    lines = text.splitlines()
    top = _find(lines, r"^== (Vivado|Vitis) HLS Report for '")
    m = re.search(r"^== (Vivado|Vitis) HLS Report for '([^']+)'", lines[top])
    tool_name = "vivado_hls" if m.group(1) == "Vivado" else "vitis_hls"
    design = m.group(2)
    header = "\n".join(lines[top : top + 15])
    ver = re.search(r"\* Version:\s*(\S+)", header)
    tool = f"{tool_name} {ver.group(1)}" if ver else f"{tool_name} (version not stated)"
    dev = re.search(r"\* Target device:\s*(\S+)", header)
    part = dev.group(1) if dev else None

    perf = _find(lines, r"^== Performance Estimates", top)
    util = _find(lines, r"^== Utilization Estimates", top)
    if perf < 0 or util < 0:
        raise ReportError(
            f"{path}: a {tool_name} csynth report must have '== Performance Estimates' and "
            "'== Utilization Estimates' sections; "
            f"{'both are' if perf < 0 and util < 0 else 'one is'} missing (truncated file?)"
        )
    end_util = _find(lines, r"^(== Interface|CO-SIMULATION RESULT|Co-simulation report)", util)
    end_util = len(lines) if end_util < 0 else end_util

    # timing
    clock_ns = est_ns = None
    t = _find(lines, r"^\s*\|ap_clk\s*\|", perf, util)
    if t >= 0:
        c = _cells(lines[t])
        clock_ns = _num(c[1], path, "target clock")
        est_ns = _num(c[2], path, "estimated clock")

    # latency summary
    lat_i = _find(lines, r"^\+ Latency", perf, util)
    if lat_i < 0:
        raise ReportError(f"{path}: expected a '+ Latency' summary table under '== Performance Estimates'")
    lat_rows = [r for r in _tables_after(lines, lat_i) if _is_data_row(r, 0)]
    if not lat_rows:
        raise ReportError(f"{path}: the '+ Latency' summary table has no data row")
    lat = _latency_cells(_cells(lat_rows[0]), path, "design latency summary")

    # per-instance latency
    inst_lat: dict[str, tuple] = {}
    det = _find(lines, r"^\s*\+ Detail:", lat_i, util)
    if det >= 0:
        ii = _find(lines, r"^\s*\* Instance:", det, util)
        if ii >= 0:
            for r in _tables_after(lines, ii + 1):
                c = _cells(r)
                if _is_data_row(r, 2):
                    inst_lat[c[0]] = (c[1], _latency_cells(c[2:], path, f"instance {c[0]} latency"))

    # utilisation summary
    s = _find(lines, r"^\* Summary:", util, end_util)
    summary = _tables_after(lines, s) if s >= 0 else []
    if not summary:
        raise ReportError(f"{path}: expected a '* Summary:' utilisation table under '== Utilization Estimates'")
    cols = _resource_columns(_cells(summary[0]), path, "utilisation summary")
    total = available = None
    for r in summary[1:]:
        c = _cells(r)
        if c[0] == "Total":
            total = _resources(c, cols, path, "utilisation Total")
        elif c[0] == "Available":
            available = _resources(c, cols, path, "utilisation Available")
    if total is None:
        raise ReportError(f"{path}: the utilisation summary has no 'Total' row")

    # per-instance utilisation
    inst_res: dict[str, tuple] = {}
    d = _find(lines, r"^\s*\* Instance:", s, end_util)
    if d >= 0:
        tab = _tables_after(lines, d + 1)
        if tab:
            icols = _resource_columns(_cells(tab[0]), path, "instance utilisation")
            for r in tab[1:]:
                c = _cells(r)
                if c[0] in ("", "Instance", "Total") or c[0].startswith("Total"):
                    continue
                inst_res[c[0]] = (c[1], _resources(c, icols, path, f"instance {c[0]} utilisation"))

    common = dict(stage="csynth", tool=tool, part=part, clock_ns=clock_ns, est_clock_ns=est_ns, source=str(path))
    rows = [ReportRow(scope="model", name=design, module=design, **total, **lat, **common)]
    for name in list(inst_lat) + [n for n in inst_res if n not in inst_lat]:
        module = (inst_res.get(name) or inst_lat.get(name))[0]
        res = inst_res.get(name, (None, {}))[1]
        la = inst_lat.get(name, (None, {}))[1]
        rows.append(
            ReportRow(
                scope="layer",
                name=name,
                module=module,
                layer_type=layer_type_of_module(module),
                config_index=_config_index(module),
                **res,
                **la,
                **common,
            )
        )
    rep = Report(
        path=str(path), kind="csynth", tool=tool, part=part, clock_ns=clock_ns, rows=rows, available=available
    )
    rep.cosim = _read_cosim(lines, path)
    return rep


def _is_data_row(line: str, n_name_cells: int) -> bool:
    """True for a table row whose first value cell holds a number or '?' (headers hold words)."""
    c = _cells(line)
    if len(c) <= n_name_cells:
        return False
    if n_name_cells and (not c[0] or c[0] in ("Instance", "Total")):
        return False
    v = c[n_name_cells]
    return bool(re.fullmatch(r"\?|-?\d+(\.\d+)?", v))


def _latency_cells(c: list[str], path, what: str) -> dict:
    """Latency/interval from the value cells of a latency row (5 or 7 columns, or Vitis' 6 with one interval)."""
    if len(c) >= 7:
        lmin, lmax, imin, imax, ptype = c[0], c[1], c[4], c[5], c[6]
    elif len(c) == 6:  # newer Vitis: cycles min/max, absolute min/max, interval, pipeline
        lmin, lmax, imin, imax, ptype = c[0], c[1], c[4], c[4], c[5]
    elif len(c) == 5:
        lmin, lmax, imin, imax, ptype = c
    else:
        raise ReportError(f"{path}: {what}: expected 5 or 7 columns (latency min/max, interval min/max, pipeline), "
                          f"found {len(c)}: {c}")
    return dict(
        latency_min_cycles=_int(lmin, path, what),
        latency_max_cycles=_int(lmax, path, what),
        ii_min=_int(imin, path, what),
        ii_max=_int(imax, path, what),
        pipeline=ptype or None,
    )


_RES_NAMES = {"BRAM_18K": "bram18k", "DSP48E": "dsp", "DSP": "dsp", "DSP48": "dsp", "FF": "ff", "LUT": "lut",
              "URAM": "uram"}


def _resource_columns(header: list[str], path, what: str) -> dict[str, int]:
    cols = {}
    for i, h in enumerate(header):
        key = _RES_NAMES.get(h.replace(" ", ""))
        if key:
            cols[key] = i
    missing = {"dsp", "lut", "ff", "bram18k"} - set(cols)
    if missing:
        raise ReportError(
            f"{path}: {what} table header {header} lacks column(s) {sorted(missing)}; "
            "expected BRAM_18K, DSP48E (or DSP), FF, LUT and optionally URAM"
        )
    return cols


def _resources(c: list[str], cols: dict[str, int], path, what: str) -> dict:
    out = {k: None for k in RESOURCES}
    for key, i in cols.items():
        if i >= len(c):
            raise ReportError(f"{path}: {what}: row has {len(c)} cells, expected a {key} value in cell {i + 1}")
        v = _num(c[i], path, f"{what} {key}")
        out[key] = 0 if v is None and c[i].strip() == "-" else v
    return out


def _read_cosim(lines: list[str], path) -> dict | None:
    i = _find(lines, r"^CO-SIMULATION RESULT")
    if i < 0:
        return None
    for r in _tables_after(lines, i):
        c = _cells(r)
        if len(c) >= 8 and c[0] in ("Verilog", "VHDL") and c[1] not in ("NA",):
            return dict(
                rtl=c[0],
                status=c[1],
                latency_min_cycles=_int(c[2], path, "cosim latency min"),
                latency_avg_cycles=_num(c[3], path, "cosim latency avg"),
                latency_max_cycles=_int(c[4], path, "cosim latency max"),
                ii_min=_int(c[5], path, "cosim interval min"),
                ii_avg=_num(c[6], path, "cosim interval avg"),
                ii_max=_int(c[7], path, "cosim interval max"),
            )
    return None


# ------------------------------------------------------------------------------------------ csynth .xml


def _xml_resources(node, path, what) -> dict:
    out = {k: None for k in RESOURCES}
    if node is None:
        raise ReportError(f"{path}: expected <AreaEstimates><Resources> for {what}")
    for child in node:
        key = _RES_NAMES.get(child.tag)
        if key:
            out[key] = _num(child.text, path, f"{what} {child.tag}")
    return out


def _xml_summary(root, path, what) -> dict:
    perf = root.find("./PerformanceEstimates")
    if perf is None or root.find("./AreaEstimates") is None:
        raise ReportError(f"{path}: a csynth .xml needs <PerformanceEstimates> and <AreaEstimates> ({what})")
    lat = perf.find("./SummaryOfOverallLatency")
    g = (lambda tag: lat.findtext(tag)) if lat is not None else (lambda tag: None)
    return dict(
        **_xml_resources(root.find("./AreaEstimates/Resources"), path, what),
        latency_min_cycles=_int(g("Best-caseLatency"), path, f"{what} Best-caseLatency"),
        latency_max_cycles=_int(g("Worst-caseLatency"), path, f"{what} Worst-caseLatency"),
        ii_min=_int(g("Interval-min"), path, f"{what} Interval-min"),
        ii_max=_int(g("Interval-max"), path, f"{what} Interval-max"),
        pipeline=(perf.findtext("./PipelineType") or None),
        est_clock_ns=_num(perf.findtext("./SummaryOfTimingAnalysis/EstimatedClockPeriod"), path, "estimated clock"),
    )


def _read_csynth_xml(path: Path, text: str) -> Report:
    try:
        root = ET.fromstring(text)
    except ET.ParseError as e:
        raise ReportError(
            f"{path}: not well-formed XML ({e}); expected a Vivado/Vitis HLS csynth .xml report"
        ) from None
    if root.tag != "profile" or root.find("./UserAssignments") is None:
        raise ReportError(
            f"{path}: expected a Vivado/Vitis HLS csynth .xml (root <profile> with <UserAssignments>), "
            f"found root <{root.tag}>"
        )
    ua = root.find("./UserAssignments")
    version = root.findtext("./ReportVersion/Version")
    is_vitis = root.find("./AreaEstimates/Resources/DSP") is not None
    tool = f"{'vitis_hls' if is_vitis else 'vivado_hls'} {version or '(version not stated)'}"
    part = ua.findtext("Part")
    clock_ns = _num(ua.findtext("TargetClockPeriod"), path, "TargetClockPeriod")
    top = ua.findtext("TopModelName") or path.stem.replace("_csynth", "")
    common = dict(stage="csynth", tool=tool, part=part, clock_ns=clock_ns, source=str(path))
    rows = [ReportRow(scope="model", name=top, module=top, **_xml_summary(root, path, "design"), **common)]
    available = _xml_resources(root.find("./AreaEstimates/AvailableResources"), path, "available") if root.find(
        "./AreaEstimates/AvailableResources"
    ) is not None else None

    # Per-instance rows: the instance list of the top module (Vivado HLS 2019+ / Vitis), each instance's numbers
    # from its own <module>_csynth.xml beside the top report.
    instances = []
    for inst in root.iter("Instance"):
        name, module = inst.findtext("InstName"), inst.findtext("ModuleName")
        if name and module:
            instances.append((name, module))
    for name, module in instances:
        sub = path.with_name(f"{module}_csynth.xml")
        if not sub.is_file():
            continue
        try:
            sroot = ET.parse(sub).getroot()
        except ET.ParseError as e:
            raise ReportError(
                f"{sub}: not well-formed XML ({e}); expected the csynth .xml of module {module}"
            ) from None
        rows.append(
            ReportRow(
                scope="layer",
                name=name,
                module=module,
                layer_type=layer_type_of_module(module),
                config_index=_config_index(module),
                **_xml_summary(sroot, sub, f"module {module}"),
                **{**common, "source": str(sub)},
            )
        )
    return Report(path=str(path), kind="csynth", tool=tool, part=part, clock_ns=clock_ns, rows=rows,
                  available=available)


# ------------------------------------------------------------------------------------ Vivado utilisation


def _read_utilization(path: Path, text: str) -> Report:
    lines = text.splitlines()
    head = "\n".join(lines[:20])
    ver = re.search(r"Tool Version\s*:\s*Vivado v\.(\S+)", head)
    tool = f"vivado {ver.group(1)}" if ver else "vivado (version not stated)"
    dev = re.search(r"\|\s*Device\s*:\s*(\S+)", head)
    part = dev.group(1) if dev else None
    design = re.search(r"\|\s*Design\s*:\s*(\S+)", head)
    design = design.group(1) if design else path.stem
    state = re.search(r"Design State\s*:\s*([^|\n]+)", head)
    state = state.group(1).strip() if state else None
    if state is None:
        kind = "impl" if "-hierarchical" in head and "impl" in path.name else "vsynth"
    else:
        # "Synthesized", or "Optimized" (opt_design on the synthesised netlist, as newer hls4ml runs it): nothing
        # is placed yet. "Placed", "Routed", "Fully Routed", "Physopt postRoute": implementation.
        kind = "impl" if re.search(r"plac|rout", state, re.I) else "vsynth"

    common = dict(stage=kind, tool=tool, part=part, source=str(path))
    hier = _find(lines, r"^\|\s*Instance\s*\|\s*Module\s*\|\s*Total LUTs")
    if hier >= 0:
        return _read_hierarchical(path, lines, hier, design, kind, tool, part, common)

    vals: dict[str, float] = {}
    want = {
        "lut": r"^(CLB|Slice) LUTs\*?$",
        "ff": r"^(CLB|Slice) Registers$",
        "dsp": r"^DSPs$",
        "ramb36": r"^RAMB36/FIFO\*?$",
        "ramb18": r"^RAMB18$",
        "bram_tile": r"^Block RAM Tile$",
        "uram": r"^URAM$",
    }
    for ln in lines:
        if not ln.startswith("|"):
            continue
        c = _cells(ln)
        for key, rx in want.items():
            if key not in vals and re.match(rx, c[0]) and len(c) > 1:
                vals[key] = _num(c[1], path, c[0])
    missing = [k for k in ("lut", "ff", "dsp") if vals.get(k) is None]
    if missing or ("ramb18" not in vals and "bram_tile" not in vals):
        raise ReportError(
            f"{path}: a Vivado report_utilization file needs 'Slice/CLB LUTs', 'Slice/CLB Registers', 'DSPs' and "
            f"'RAMB36/FIFO' + 'RAMB18' (or 'Block RAM Tile') rows; missing: "
            f"{missing + ([] if ('ramb18' in vals or 'bram_tile' in vals) else ['RAMB18'])}"
        )
    if "ramb18" in vals:
        bram18k = 2 * (vals.get("ramb36") or 0) + (vals.get("ramb18") or 0)
    else:
        bram18k = 2 * vals["bram_tile"]
    row = ReportRow(
        scope="model",
        name=design,
        module=design,
        dsp=int(vals["dsp"]),
        lut=int(vals["lut"]),
        ff=int(vals["ff"]),
        bram18k=bram18k,
        uram=None if vals.get("uram") is None else int(vals["uram"]),
        **common,
    )
    return Report(path=str(path), kind=kind, tool=tool, part=part, clock_ns=None, rows=[row])


def _read_hierarchical(path, lines, hier, design, kind, tool, part, common) -> Report:
    header = _cells(lines[hier])
    idx = {h: i for i, h in enumerate(header)}

    def col(c, name):
        i = idx.get(name)
        if i is None or i >= len(c):
            return None
        return _num(c[i].split("(")[0], path, f"{c[0]} {name}")

    rows, depths = [], []
    for ln in lines[hier + 1 :]:
        if not ln.startswith("|"):
            if rows and not ln.startswith("+"):
                break
            continue
        c = ln.strip()[1:].rstrip("|").split("|")
        raw_name = c[0]
        depth = len(raw_name) - len(raw_name.lstrip())
        cc = [x.strip() for x in c]
        module = cc[1] if len(cc) > 1 else ""
        top = "(top)" in module or not rows
        rows.append(
            ReportRow(
                scope="model" if top else "layer",
                name=design if top else cc[0],
                module=module.replace("(top)", "").strip() or None,
                layer_type=None if top else layer_type_of_module(module),
                config_index=None if top else _config_index(module),
                lut=col(cc, "Total LUTs"),
                ff=col(cc, "FFs"),
                dsp=col(cc, "DSP48 Blocks") if "DSP48 Blocks" in idx else col(cc, "DSP Blocks"),
                bram18k=2 * (col(cc, "RAMB36") or 0) + (col(cc, "RAMB18") or 0),
                uram=col(cc, "URAM"),
                **common,
            )
        )
        depths.append(depth)
    # keep the design and its direct children only: deeper instances are already inside their parents
    child = min((d for r, d in zip(rows, depths) if r.scope == "layer"), default=None)
    rows = [r for r, d in zip(rows, depths) if r.scope == "model" or d == child]
    if not rows:
        raise ReportError(f"{path}: the hierarchical utilisation table after line {hier + 1} has no rows")
    return Report(path=str(path), kind=kind, tool=tool, part=part, clock_ns=None, rows=rows)


# ------------------------------------------------------------------------------------------- entry points


def read_report(path, label: str = "measured") -> Report:
    """Read one synthesis report into a tidy :class:`Report`.

    Parameters
    ----------
    path : str or Path
        A Vivado HLS / Vitis HLS C-synthesis report (``*_csynth.rpt``, ``csynth.rpt``, the build's console summary,
        or ``*_csynth.xml``), or a Vivado ``report_utilization`` file (``vivado_synth.rpt``, ``util.rpt``,
        ``*_utilization_synth.rpt``).  A directory is searched with :func:`find_reports` and must hold exactly
        one C-synthesis report.
    label : {"measured", "replay"}
        Where the numbers are shown from: a build just run, or a stored report replayed.

    Returns
    -------
    Report
        ``rows``: the whole design (``scope="model"``) and one row per instance (``scope="layer"``), each with its
        stage: ``csynth`` (HLS estimate), ``vsynth`` (Vivado post-synthesis) or ``impl`` (post-route).

    Raises
    ------
    ReportError
        The file is missing, empty, of an unknown kind, or lacks the tables its kind must have; the message names
        the file and what was expected.
    """
    if label not in ("measured", "replay"):
        raise ValueError(f"label must be 'measured' or 'replay', not {label!r}")
    if not isinstance(path, (str, os.PathLike)):
        raise ReportError(f"read_report: path must be a file or folder path; got {type(path).__name__} {path!r}")
    p = Path(path)
    if p.is_dir():
        found = [r for r in find_reports(p) if r.kind == "csynth"]
        if len(found) != 1:
            raise ReportError(
                f"{p}: expected exactly one C-synthesis report (*_csynth.rpt/.xml) under this directory, found "
                f"{len(found)}; pass the report file itself"
            )
        found[0].label = label
        return found[0]
    if not p.exists():
        raise ReportError(
            f"{p}: no such file; expected a Vivado/Vitis HLS csynth report (.rpt/.xml) or a Vivado utilisation report"
        )
    text = _read_text(p)
    if not text.strip():
        raise ReportError(
            f"{p}: the file is empty; expected a Vivado/Vitis HLS csynth report or a Vivado utilisation report"
        )
    if p.suffix.lower() == ".xml" or text.lstrip().startswith("<?xml") or text.lstrip().startswith("<profile"):
        rep = _read_csynth_xml(p, text)
    elif re.search(r"^== (Vivado|Vitis) HLS Report for '", text, re.M):
        rep = _read_csynth_rpt(p, text)
    elif "report_utilization" in text[:3000] or "Utilization Design Information" in text[:3000]:
        rep = _read_utilization(p, text)
    else:
        raise ReportError(
            f"{p}: not a report this reader knows; expected a line \"== Vivado HLS Report for '<top>'\" or "
            "\"== Vitis HLS Report for '<top>'\" (C synthesis), or a Vivado 'report_utilization' header"
        )
    rep.label = label
    return rep


#: Files larger than this are refused before reading: the csynth report of a large hls4ml design is a few MB, so a
#: bigger file is a log or a dump passed by mistake, and reading it whole would only exhaust memory.
MAX_REPORT_BYTES = 64 * 2**20


def _read_text(p: Path) -> str:
    """The text of report ``p``, refusing a binary or oversized file with a :class:`ReportError` naming it."""
    try:
        st = p.stat()
        # a device, FIFO or socket has no size to check and may never end (/dev/zero) or block (a FIFO): refused
        if not stat.S_ISREG(st.st_mode):
            raise ReportError(f"{p}: not a regular file (a device, pipe or socket); expected a Vivado/Vitis HLS csynth "
                              "report or a Vivado utilisation report")
        if st.st_size > MAX_REPORT_BYTES:
            raise ReportError(
                f"{p}: {st.st_size / 2**20:.0f} MB is too large for a synthesis report (limit "
                f"{MAX_REPORT_BYTES // 2**20} MB); expected a Vivado/Vitis HLS csynth report or a Vivado utilisation "
                "report"
            )
        with open(p, "rb") as f:
            data = f.read(MAX_REPORT_BYTES + 1)  # bounded even if the file grows between stat and read
    except OSError as e:
        raise ReportError(f"{p}: cannot read ({e})") from None
    if len(data) > MAX_REPORT_BYTES:
        raise ReportError(f"{p}: grew beyond {MAX_REPORT_BYTES // 2**20} MB while being read; not a synthesis report")
    if b"\x00" in data[:65536]:
        raise ReportError(
            f"{p}: a binary file (it holds NUL bytes), not a text report; expected a Vivado/Vitis HLS csynth report "
            "(.rpt/.xml) or a Vivado utilisation report"
        )
    # universal newlines, as text-mode reading gives: the table parsers split and anchor on "\n"
    return data.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")


def find_reports(build_dir, label: str = "measured") -> list[Report]:
    """All reports of an hls4ml output directory, C synthesis first, then Vivado synthesis, then implementation.

    Looks for ``<prj>/solution*/syn/report/<top>_csynth.rpt`` (or ``.xml`` when there is no ``.rpt``),
    ``vivado_synth.rpt`` and ``util.rpt`` / ``*utilization*.rpt``.  Returns an empty list if none exist.
    """
    d = Path(build_dir)
    if not d.is_dir():
        raise ReportError(f"{d}: not a directory; expected an hls4ml output directory (the one with hls4ml_config.yml)")
    out: list[Report] = []
    seen = set()
    csynth = sorted(d.glob("*_prj/solution*/syn/report/*_csynth.rpt")) or sorted(d.glob("**/*_csynth.rpt"))
    tops = [p for p in csynth if not _is_submodule_report(p)]
    if not tops:
        tops = [p for p in sorted(d.glob("*_prj/solution*/syn/report/*_csynth.xml")) if not _is_submodule_report(p)]
    for p in tops:
        out.append(read_report(p, label))
        seen.add(p.resolve())
    for pat in ("vivado_synth.rpt", "*utilization*.rpt", "util.rpt"):
        for p in sorted(d.glob(pat)):
            if p.resolve() not in seen:
                out.append(read_report(p, label))
                seen.add(p.resolve())
    return sorted(out, key=lambda r: ["csynth", "vsynth", "impl"].index(r.kind))


def _is_submodule_report(p: Path) -> bool:
    """Vivado HLS writes one csynth report per module; the top one is the one whose module has no config in it."""
    stem = p.name.rsplit("_csynth", 1)[0]
    return bool(re.search(r"config\d+|_proc$|^Block_|^Loop_", stem)) or stem.endswith("_s")
