"""Real synthesis without Vivado: the distributed-arithmetic version of a Design as Verilog (da4ml), synthesised
with Yosys for post-synthesis cell counts, and emulated with Verilator for a bit-exact check.

    from hlsnb.opensynth import da_version, open_synth, check_rtl
    da = da_version(design)                       # every Dense on distributed_arithmetic, RF 1
    result = open_synth(da, model, "hlsnb_work/open_synth")
    result.report                                 # a Report like read_report's, stage "yosys"
    check_rtl(result.rtl, model, X, y, against="csim")  # Verilator vs da4ml's model, Keras, and bit for bit
                                                        # vs hls4ml's C simulation of the same DA design

Yosys's counts are an open-source mapping to the part family's primitives, typically within tens of % of Vivado's
post-synthesis numbers; there is no timing closure and no bitstream.

Weights are quantised to the Design's weight precision in the RTL. hls4ml's own distributed_arithmetic pass builds
its adder graph from the Keras weights as they are (it is meant for quantisation-aware trained models): for a float
model that is a larger design than the one counted here; :func:`quantised_model` is the model to convert for the
design counted here. Conv1D/Conv2D (valid padding) are traced with every output pixel computed at once: their
Yosys count is the fully parallel one (hls4ml's io_parallel DA convolution has ParallelizationFactor copies of the
kernel's logic and reuses them over the pixels).
"""

from __future__ import annotations

import html
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..synth.reports import Report, ReportRow
from ._process import ToolTimeout
from .csim import BitExactCheck, csim_model
from .rtl import DATrace, RTLProject, da_version, quantised_model, trace_design, trace_hgq, write_rtl
from .verilator import RTLCheck, check_rtl
from .yosys import FAMILY, YosysRun, parse_stat, run_yosys

__all__ = ["open_synth", "OpenSynthResult", "da_version", "trace_design", "trace_hgq", "write_rtl", "check_rtl",
           "run_yosys", "parse_stat", "RTLCheck", "RTLProject", "DATrace", "YosysRun", "ToolTimeout", "FAMILY",
           "quantised_model", "csim_model", "BitExactCheck"]


@dataclass
class OpenSynthResult:
    """What :func:`open_synth` made: the report (stage ``yosys``), the RTL project, each Yosys run, timings."""

    report: Report
    rtl: RTLProject
    runs: list[YosysRun] = field(default_factory=list)
    trace_seconds: float = 0.0
    seconds: float = 0.0
    versions: dict = field(default_factory=dict)

    @property
    def cells(self) -> dict[str, int]:
        """Primitive counts of the whole design (CARRY4, MUXF7, ... beside the report's LUT/FF/DSP/BRAM)."""
        out: dict[str, int] = {}
        for r in self.runs:
            for c, n in r.cells.items():
                out[c] = out.get(c, 0) + n
        return out

    def summary(self) -> str:
        cached = sum(r.cached for r in self.runs)
        extra = ", ".join(f"{c} {self.cells[c]}" for c in ("CARRY4", "CARRY8", "MUXF7", "MUXF8") if c in self.cells)
        return (f"{self.report.describe()}{'; ' + extra if extra else ''}\n"
                f"da4ml's own estimate: {self.rtl.trace.da4ml_lut:.0f} LUT; trace {self.trace_seconds:.1f} s, "
                f"Yosys {sum(r.seconds for r in self.runs):.1f} s"
                f"{f' ({cached} of {len(self.runs)} runs from the cache)' if cached else ''}; "
                f"versions {', '.join(f'{k} {v}' for k, v in self.versions.items())}"
                + (f"\nnot in the RTL: {', '.join(self.rtl.trace.omitted)} (the class is decided by the logits)"
                   if self.rtl.trace.omitted else ""))

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(self.summary())}</pre>{self.report._repr_html_()}"


def _progress(total: int, desc: str, enabled: bool):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="run")


def open_synth(design, model, work_dir="hlsnb_work/open_synth", *, per_layer: bool = False,
               timeout_s: float | None = 3600.0, use_cache: bool = True, cache_dir=None, output=None,
               echo: bool = True, progress: bool = True, tools=None) -> OpenSynthResult:
    """Trace ``design``'s distributed-arithmetic logic, write the Verilog, and synthesise it with Yosys.

    Parameters
    ----------
    design : hlsnb.design.Design with its Dense layers on ``distributed_arithmetic`` (:func:`da_version`)
    model : the Keras model (weights)
    work_dir : where the RTL project and Yosys's logs go
    per_layer : also synthesise each Dense/Conv layer (with its activation) alone, for per-layer rows; the
        whole-design row is then their sum (``-flatten`` leaves no hierarchy to read per-layer counts from)
    timeout_s : limit of each Yosys run in seconds (killed with its children past it)
    use_cache, cache_dir : reuse a run whose Verilog, script and Yosys version are unchanged
    output, echo, progress : where the log streams (an ipywidgets Output in a notebook by default) and the
        progress bar

    Raises
    ------
    ToolNotFound : da4ml or Yosys missing (the message says what to install)
    ToolTimeout, BuildError : Yosys ran past ``timeout_s`` or failed
    InvalidSetting : a layer the open path does not build, or not distributed_arithmetic
    """
    from ..synth.build import LogSink
    from ..synth.tools import detect_open_tools
    from .yosys import find_yosys

    tools = detect_open_tools() if tools is None else tools
    exe, tool = find_yosys(tools)  # before the trace: say at once when Yosys is missing
    family = FAMILY.get(design.part.family) if design.part is not None else "xc7"
    if family is None:
        raise ValueError(f"part family {design.part.family!r} has no synth_xilinx family; known: {sorted(FAMILY)}")
    t0 = time.monotonic()
    trace = trace_design(design, model, per_layer=per_layer)
    work = Path(work_dir)
    rtl = write_rtl(trace, work / "model", "model", part=getattr(design.part, "default_part", "xc7z020clg400-1"),
                    clock_ns=design.clock_ns)
    jobs = [("model", rtl)] if not per_layer else [
        (name, write_rtl(DATrace(comb=comb, layers=[name]), work / name, name))
        for name, comb in trace.per_layer.items()]
    sink = LogSink(output, echo)
    bar = _progress(len(jobs), f"Yosys synth_xilinx -family {family}", progress)
    runs = []
    try:
        for name, prj in jobs:
            if bar is not None:
                bar.set_postfix_str(name)
            runs.append(run_yosys(prj, family, top=prj.name, exe=exe, tool=tool, timeout_s=timeout_s, sink=sink,
                                  use_cache=use_cache, cache_dir=cache_dir))
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    part = design.part.default_part if design.part is not None else None
    common = dict(stage="yosys", tool=tool, part=part, clock_ns=design.clock_ns, source=str(work))
    layer_rows = []
    if per_layer:
        types = {l.name: l.layer_type for l in design.layers}
        for r in runs:
            layer_rows.append(ReportRow(scope="layer", name=r.name, module=r.name, layer_type=types.get(r.name),
                                        **common, **r.resources))
        total = {k: sum(row.as_dict()[k] for row in layer_rows) for k in runs[0].resources}
    else:
        total = runs[0].resources
    model_row = ReportRow(scope="model", name=getattr(design, "model_name", None) or "model", **common, **total)
    report = Report(path=str(work), kind="yosys", tool=tool, part=part, clock_ns=design.clock_ns,
                    rows=[model_row, *layer_rows])
    from ..synth.tools import Tool

    versions = {n: t.version for n, t in tools.items() if isinstance(t, Tool) and t.version}
    return OpenSynthResult(report=report, rtl=rtl, runs=runs, trace_seconds=trace.seconds,
                           seconds=time.monotonic() - t0, versions=versions)
