"""Run an hls4ml build with its log streamed, stage progress, and checks hls4ml itself does not make.

hls4ml's ``build()`` runs the tools through ``os.system``: no streaming, and the bitstream step's exit code is
ignored. ``run_build`` runs the same commands itself, streams each log line into an ipywidgets ``Output`` (in a
notebook) or stdout, drives a progress bar from the stage markers in the log, and then checks both the exit
code and the files each stage must leave behind. ``replay_build`` shows a stored build the same way, labelled.
"""

from __future__ import annotations

import math
import re
import shutil
import sys
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BuildError, InvalidSetting, ToolNotFound
from ..fileio import atomic_path
from .processes import Deadline, kill_group, start
from .project import check_project_tcl
from .reports import Report, ReportError, find_reports, read_report, short_name
from .tools import check_backend, detect_tools

__all__ = ["BuildError", "ToolNotFound", "BuildResult", "STAGES", "run_build", "replay_build", "project_name_of",
           "DEFAULT_BUILD_TIMEOUT_S", "LogSink"]

# (key, label, regex on a log line that says the stage has started)
STAGES = (
    ("csim", "C simulation", r"\*{5} C SIMULATION \*{5}"),
    ("csynth", "C synthesis", r"\*{5} C/RTL SYNTHESIS \*{5}"),
    ("cosim", "co-simulation", r"\*{5} C/RTL SIMULATION \*{5}"),
    ("validation", "validation", r"\*{5} C/RTL VALIDATION \*{5}"),
    ("export", "export IP", r"\*{5} EXPORT IP \*{5}"),
    ("vsynth", "Vivado synthesis",
     r"\*{5} VIVADO SYNTHESIS \*{5}|\[hlsnb\] vivado bitstream|launch_runs .*synth_1|Starting synth_design"),
    ("bitstream", "bitstream", r"write_bitstream|launch_runs impl_1|Starting Write Bitstream"),
)
_LABEL = {k: label for k, label, _ in STAGES}


@dataclass
class BuildResult:
    """What a build (or a replay) left: its reports, log, bitstream and hardware handoff."""

    project_dir: str
    label: str  # "measured" (run here) or "replay"
    stages: list[str] = field(default_factory=list)  # stage keys seen in the log, in order
    reports: list[Report] = field(default_factory=list)
    log_path: str | None = None
    returncodes: dict[str, int] = field(default_factory=dict)
    bitfile: str | None = None
    hwh: str | None = None
    seconds: float | None = None

    def report(self, stage: str = "csynth") -> Report:
        """The report of ``stage`` (``csynth``, ``vsynth`` or ``impl``)."""
        for r in self.reports:
            if r.kind == stage:
                return r
        raise ReportError(
            f"{self.project_dir}: no {stage} report in this build; have: {[r.kind for r in self.reports] or 'none'}"
        )

    def summary(self) -> str:
        tag = "[replay] " if self.label == "replay" else ""
        lines = [f"{tag}build {self.project_dir}: stages {', '.join(_LABEL.get(s, s) for s in self.stages) or 'none'}"]
        lines += [f"  {tag}{r.describe()}" for r in self.reports]
        if self.bitfile:
            lines.append(f"  bitstream {self.bitfile} + {self.hwh}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


#: A build's default time limit: a day, above any real hls4ml build of a PYNQ-sized design (minutes to hours).
DEFAULT_BUILD_TIMEOUT_S = 24 * 3600.0

_STEM = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")


def _check_build_args(*, timeout_s, stem, **flags) -> None:
    """Refuse bad arguments before anything runs (InvalidSetting naming the parameter, the value, what is valid)."""
    for name, v in flags.items():
        if not isinstance(v, bool):
            raise InvalidSetting(f"run_build: {name} must be True or False; got {v!r}")
    if timeout_s is not None and (isinstance(timeout_s, bool) or not isinstance(timeout_s, (int, float))
                                  or not 0 < timeout_s < math.inf):
        raise InvalidSetting(f"run_build: timeout_s must be a positive finite number of seconds or None; "
                             f"got {timeout_s!r}")
    if stem is not None and (not isinstance(stem, str) or not _STEM.fullmatch(stem) or stem.strip(".") == ""):
        raise InvalidSetting(f"run_build: stem must be a file name without folder or suffix (letters, digits, _ - .); "
                             f"got {stem!r}")


def project_name_of(project_dir) -> str:
    """hls4ml's ProjectName from ``hls4ml_config.yml`` (or the single ``*_prj`` folder)."""
    d = Path(project_dir)
    cfg = d / "hls4ml_config.yml"
    if cfg.is_file():
        m = re.search(r"^ProjectName:\s*(\S+)", cfg.read_text(), re.M)
        if m:
            return m.group(1).strip("'\"")
    prj = sorted(d.glob("*_prj"))
    if len(prj) == 1:
        return prj[0].name[: -len("_prj")]
    raise BuildError(
        f"{d}: cannot tell the hls4ml project name: expected hls4ml_config.yml with a ProjectName line, "
        "or exactly one <name>_prj folder (write the project first: hls_model.write())"
    )


class LogSink:
    """Where a tool's log lines go: an ipywidgets Output in a notebook, else stdout (nowhere with ``echo=False``).

    Shared by every tool runner (vendor builds here, Yosys and Verilator in :mod:`hlsnb.opensynth`)."""

    def __init__(self, output=None, echo: bool = True):
        self.output = output
        if output is None and echo and _in_notebook():
            try:
                import ipywidgets as w
                from IPython.display import display

                self.output = w.Output(layout={"max_height": "20em", "overflow": "auto", "border": "1px solid #ccc"})
                display(self.output)
            except ImportError:
                self.output = None
        self.echo = echo

    def write(self, line: str) -> None:
        if self.output is not None:
            self.output.append_stdout(line)
        elif self.echo:
            sys.stdout.write(line)
            sys.stdout.flush()


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython

        ip = get_ipython()
        return ip is not None and ip.__class__.__name__ == "ZMQInteractiveShell"
    except ImportError:
        return False


def _progress(total: int, desc: str, enabled: bool):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="stage")


def _stream(cmd: list[str], cwd: Path, sink: LogSink, log, planned: list[str], seen: list[str], bar,
            deadline_s: float | None = None, limit_s: float | None = None) -> int:
    """Run ``cmd`` in ``cwd``, stream its output line by line, record the stages it reaches; return its exit code.

    The tool runs in its own process group. When ``deadline_s`` seconds pass, or the caller is interrupted
    (KeyboardInterrupt: the notebook's stop button) or anything fails while streaming, the whole group is killed,
    the log says why, and a :class:`BuildError` (timeout) or the original exception is raised. ``limit_s`` is the
    build's whole timeout, for the message (``deadline_s`` is what is left of it for this tool).
    """
    try:
        proc = start(cmd, cwd)
    except OSError as e:
        raise ToolNotFound(f"cannot start {cmd[0]!r} in {cwd}: {e}") from None
    rx = [(k, re.compile(p)) for k, _, p in STAGES if k in planned]
    assert proc.stdout is not None
    watchdog = Deadline(proc, deadline_s)
    try:
        for line in proc.stdout:
            log.write(line)
            sink.write(line)
            for key, r in rx:
                if key not in seen and r.search(line):
                    seen.append(key)
                    if bar is not None:
                        bar.set_postfix_str(_LABEL[key])
                        bar.update(1)
        rc = proc.wait()
    except BaseException as e:
        watchdog.cancel()
        kill_group(proc)
        _say(log, sink, f"[hlsnb] build stopped ({type(e).__name__}): killed '{cmd[0]}' and its process group "
                        f"{proc.pid}\n")
        raise
    watchdog.cancel()
    kill_group(proc, grace_s=0)  # the leader exited: a child it left behind does not outlive the build
    if watchdog.fired:
        msg = (f"{cwd}: '{' '.join(cmd)}' did not finish within the timeout of {limit_s or deadline_s:g} s; killed "
               f"it and its process group {proc.pid}")
        _say(log, sink, f"[hlsnb] {msg}\n")
        raise BuildError(f"{msg}; see the log {getattr(log, 'name', '')}")
    return rc


def _say(log, sink: LogSink, text: str) -> None:
    """One line of hlsnb's own into the log and the sink; a failure to write it must not hide the real error."""
    try:
        log.write(text)
        log.flush()
        sink.write(text)
    except Exception:  # noqa: BLE001, S110  (a closed widget or log: the exception being raised says it all)
        pass


def _expect(path_or_none, project_dir: Path, what: str, log_path: Path, since: float) -> Path:
    # a file left by an earlier build does not count: hls4ml would happily report stale results
    if path_or_none is None or not Path(path_or_none).exists() or Path(path_or_none).stat().st_mtime < since:
        errors = [ln.strip() for ln in log_path.read_text(errors="replace").splitlines() if ln.startswith("ERROR")]
        hint = f"; first error in the log: {errors[0]}" if errors else f"; see the log {log_path}"
        raise BuildError(f"{project_dir}: the build exited 0 but left no {what}{hint}")
    return Path(path_or_none)


def run_build(
    project_dir,
    backend: str | None = None,
    *,
    csim: bool = False,
    synth: bool = True,
    cosim: bool = False,
    export: bool = False,
    vsynth: bool = False,
    bitfile: bool = False,
    stem: str | None = None,
    output=None,
    progress: bool = True,
    echo: bool = True,
    tools=None,
    timeout_s: float | None = DEFAULT_BUILD_TIMEOUT_S,
) -> BuildResult:
    """Build a written hls4ml project with the vendor tools, streaming the log.

    Parameters
    ----------
    project_dir : path
        hls4ml's output directory (``hls_model.write()`` done; holds ``build_prj.tcl``).
    backend : {"Vivado", "VivadoAccelerator", "Vitis"}, optional
        Read from ``hls4ml_config.yml`` when omitted.
    csim, synth, cosim, export, vsynth : bool
        hls4ml's build steps (C simulation, C synthesis, co-simulation, IP export, Vivado synthesis).
    bitfile : bool
        VivadoAccelerator only: also run ``vivado -mode batch -source design.tcl`` and collect the ``.bit`` and
        ``.hwh`` as ``<stem>.bit`` / ``<stem>.hwh`` in ``project_dir`` (PYNQ needs one stem for both).
    output : ipywidgets.Output, optional
        Where to stream the log (default: a new Output in a notebook, stdout otherwise). The whole log is also
        written to ``project_dir/hlsnb_build.log``.
    stem : str, optional
        File name (no folder, no suffix) of the collected ``.bit``/``.hwh``; letters, digits, ``_``, ``-``, ``.``.
    timeout_s : float or None
        Seconds the whole build may take (default 24 h; ``None``: no limit). The tools run in their own process
        group: on the timeout, an interrupt (KeyboardInterrupt, the notebook's stop button) or any error while
        streaming, the whole group (``vivado_hls`` and every child it started) is killed and the log says so.

    Raises
    ------
    InvalidSetting
        A bad argument (``timeout_s``, ``stem``, a flag that is not a bool), or a ``project.tcl`` whose values would
        let Tcl run commands (see :func:`hlsnb.synth.project.check_project_tcl`); nothing is run.
    ToolNotFound
        A tool the backend needs is missing or unsupported (one line saying which and why).
    BuildError
        A step exited non-zero, timed out, or exited 0 without leaving the file it must produce (named in the
        message).
    """
    _check_build_args(timeout_s=timeout_s, stem=stem, csim=csim, synth=synth, cosim=cosim, export=export,
                      vsynth=vsynth, bitfile=bitfile)
    d, top, backend, export = _checked_project(project_dir, backend, bitfile=bitfile, export=export, tools=tools)
    planned, cmd = _plan(d, backend, csim=csim, synth=synth, cosim=cosim, export=export, vsynth=vsynth,
                         bitfile=bitfile)
    result = BuildResult(project_dir=str(d), label="measured", log_path=str(d / "hlsnb_build.log"))
    since = time.time()
    _run_tools(d, cmd, planned, result, bitfile=bitfile, sink=LogSink(output, echo),
               bar=_progress(len(planned), f"building {top} ({backend})", progress), timeout_s=timeout_s)
    _check_outputs(d, top, Path(result.log_path), since, synth=synth, cosim=cosim, export=export, vsynth=vsynth)
    if bitfile:
        _collect_bitstream(d, stem or top, result, since)
    result.reports = find_reports(d)
    return result


def _checked_project(project_dir, backend, *, bitfile: bool, export: bool, tools) -> tuple[Path, str, str, bool]:
    """``(project folder, project name, backend, export)`` of a written project whose Tcl is safe and whose backend's
    tools are here; raises before anything runs."""
    d = Path(project_dir).resolve()
    if not (d / "build_prj.tcl").is_file():
        raise BuildError(f"{d}: no build_prj.tcl; write the hls4ml project first (hls_model.write())")
    top = project_name_of(d)
    check_project_tcl(d)
    if backend is None:
        m = re.search(r"^Backend:\s*(\S+)", (d / "hls4ml_config.yml").read_text(), re.M) if (
            d / "hls4ml_config.yml").is_file() else None
        backend = m.group(1) if m else "Vivado"
    if bitfile and backend != "VivadoAccelerator":
        raise ValueError(f"bitfile=True needs backend VivadoAccelerator, not {backend!r}")
    if bitfile:
        export = True  # the block design instantiates the exported IP
    ok, why = check_backend(backend, detect_tools() if tools is None else tools)
    if not ok:
        raise ToolNotFound(f"cannot build {d.name} with {backend}: {why}")
    return d, top, backend, export


def _plan(d: Path, backend: str, *, csim, synth, cosim, export, vsynth, bitfile) -> tuple[list[str], list[str]]:
    """The stages the log will show, in order, and the HLS tool's command (Vitis reads its flags from a file)."""
    planned = [k for k, on in (("csim", csim), ("csynth", synth), ("cosim", cosim), ("export", export),
                               ("vsynth", vsynth), ("bitstream", bitfile)) if on]
    if bitfile and "vsynth" not in planned:  # design.tcl synthesises before it writes the bitstream
        planned.insert(planned.index("bitstream"), "vsynth")
    flags = dict(reset=False, csim=csim, synth=synth, cosim=cosim, validation=False, export=export, vsynth=vsynth,
                 fifo_opt=False)
    if backend == "Vitis":
        (d / "build_opt.tcl").write_text(
            "array set opt {\n" + "".join(f"    {k:<10} {int(v)}\n" for k, v in flags.items()) + "}\n"
        )
        return planned, ["vitis-run", "--tcl", "build_prj.tcl", "--mode", "hls"]
    return planned, ["vivado_hls", "-f", "build_prj.tcl", " ".join(f"{k}={v}" for k, v in flags.items())]


def _run_tools(d: Path, cmd: list[str], planned: list[str], result: BuildResult, *, bitfile: bool, sink: LogSink,
               bar, timeout_s: float | None) -> None:
    """Run the HLS tool (then Vivado for the bitstream) with the log streamed; every exit code is checked."""
    log_path = Path(result.log_path)
    t0 = time.monotonic()

    def left() -> float | None:  # what remains of the build's timeout for the next tool
        return None if timeout_s is None else max(0.0, timeout_s - (time.monotonic() - t0))

    try:
        with open(log_path, "w") as log:
            rc = _stream(cmd, d, sink, log, planned, result.stages, bar, left(), timeout_s)
            result.returncodes[cmd[0]] = rc
            if rc != 0:
                raise BuildError(f"{d}: '{' '.join(cmd)}' exited with code {rc}; see the log {log_path}")
            if bitfile:
                msg = "[hlsnb] vivado bitstream: vivado -mode batch -source design.tcl\n"
                log.write(msg)
                sink.write(msg)
                rc = _stream(["vivado", "-mode", "batch", "-source", "design.tcl"], d, sink, log, planned,
                             result.stages, bar, left(), timeout_s)
                result.returncodes["vivado"] = rc
                # hls4ml ignores this exit code; we do not
                if rc != 0:
                    raise BuildError(
                        f"{d}: 'vivado -mode batch -source design.tcl' exited with code {rc}; see {log_path}"
                    )
    finally:
        if bar is not None:
            bar.close()
        result.seconds = time.monotonic() - t0


def _check_outputs(d: Path, top: str, log_path: Path, since: float, *, synth, cosim, export, vsynth) -> None:
    """Every file the requested stages must leave, newer than the build's start (BuildError naming the first one
    missing)."""
    rep_dir = d / f"{top}_prj" / "solution1"
    if synth:
        _expect(_first(rep_dir / "syn/report", [f"{top}_csynth.rpt", f"{top}_csynth.xml", f"{top}_axi_csynth.rpt"]),
                d, f"C-synthesis report ({top}_prj/solution1/syn/report/{top}_csynth.rpt)", log_path, since)
    if cosim:
        _expect(_first(rep_dir / "sim/report", [f"{top}_cosim.rpt", f"{top}_axi_cosim.rpt"]), d,
                f"co-simulation report ({top}_prj/solution1/sim/report/{top}_cosim.rpt)", log_path, since)
    if export:
        _expect(_newest((rep_dir / "impl/ip").glob("*.zip")), d, f"exported IP ({top}_prj/solution1/impl/ip/*.zip)",
                log_path, since)
    if vsynth:
        _expect(d / "vivado_synth.rpt", d, "Vivado synthesis report (vivado_synth.rpt)", log_path, since)


def _collect_bitstream(d: Path, stem: str, result: BuildResult, since: float) -> None:
    """Copy the new ``.bit`` and ``.hwh`` to ``<stem>.bit`` / ``<stem>.hwh`` in the project folder (one stem: PYNQ
    needs it), each atomically (a reader never sees half a bitstream)."""
    log_path = Path(result.log_path)
    bit = _expect(_newest(d.glob("**/impl_1/*.bit")), d,
                  "bitstream (<name>_vivado_accelerator/project_1.runs/impl_1/*.bit)", log_path, since)
    hwh = _expect(_newest(d.glob("**/hw_handoff/*.hwh")), d,
                  "hardware handoff (.../hw_handoff/*.hwh)", log_path, since)
    for src, attr, suffix in ((bit, "bitfile", ".bit"), (hwh, "hwh", ".hwh")):
        dest = d / f"{stem}{suffix}"
        with atomic_path(dest) as tmp:
            shutil.copyfile(src, tmp)
        setattr(result, attr, str(dest))


def _newest(paths):
    paths = sorted(paths, key=lambda p: p.stat().st_mtime)
    return paths[-1] if paths else None


def _first(folder: Path, names: list[str]):
    for n in names:
        if (folder / n).is_file():
            return folder / n
    return None


def replay_build(path, output=None, echo: bool = True) -> BuildResult:
    """Show a stored build directory or a single report as if just built, every line labelled ``[replay]``.

    ``path`` is an hls4ml output directory (its reports, its ``hlsnb_build.log`` if kept, and any ``.bit``/``.hwh``)
    or one report file. Nothing is run.
    """
    p = Path(path)
    if not p.exists():
        raise ReportError(f"{p}: no such file or directory; expected a stored hls4ml build directory or a report file")
    sink = LogSink(output, echo)
    if p.is_dir():
        reports = find_reports(p, label="replay")
        if not reports:
            raise ReportError(f"{p}: no reports found (expected <name>_prj/solution1/syn/report/<name>_csynth.rpt, "
                              "vivado_synth.rpt or util.rpt)")
        bits = sorted(p.glob("*.bit"))
        hwhs = sorted(p.glob("*.hwh"))
        log = p / "hlsnb_build.log"
    else:
        reports, bits, hwhs, log = [read_report(p, label="replay")], [], [], None
    stages = [{"csynth": "csynth", "vsynth": "vsynth", "impl": "bitstream"}[r.kind] for r in reports]
    result = BuildResult(
        project_dir=str(p), label="replay", stages=stages, reports=reports,
        log_path=str(log) if log is not None and log.is_file() else None,
        bitfile=str(bits[0]) if bits else None, hwh=str(hwhs[0]) if hwhs else None,
    )
    sink.write(f"[replay] no tools run: showing the stored build in\n    {short_name(p)}\n")
    for r in reports:  # wrapped: a notebook's output area breaks long lines mid-word
        sink.write(textwrap.fill(f"[replay] {r.describe()}", 88, subsequent_indent="    ",
                                 break_long_words=False, break_on_hyphens=False) + "\n")
    return result
