"""One evaluation of one configuration (C simulation, C synthesis, Vivado synthesis), run in a process of its own.

:func:`run_task` is what a Dask worker runs. It starts ``python -m hlsnb.sweep.task task.json`` in a new process
group and waits at most ``timeout_s``: a build that hangs is stopped with everything it started, and a crash in
hls4ml's compiled C simulation takes down that process, not the worker. Stopping is SIGTERM first, which the child
turns into an interrupt, so :func:`hlsnb.synth.run_build` kills the vendor tools' own process group on its way out;
then, after :data:`GRACE_S`, SIGKILL to the child's group (g++ and anything else left). The child watches its parent
and stops itself the same way when the parent dies, so a worker killed mid-build leaves no orphaned tools behind.

Everything a task produces stays in its folder ``<work_dir>/<config_id>/<kind>/``: ``task.json`` (what to do),
``task.log`` (the child's whole output), ``prj/`` (the hls4ml project, with the tool logs) and ``result.json``.
A task whose folder already holds a successful ``result.json`` for the same ``task.json`` returns it without
running again: resubmitting after a kernel restart costs nothing for the builds that finished meanwhile.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from ..fileio import atomic_write

__all__ = ["KINDS", "task_dir", "write_task", "run_task"]

#: Kinds of evaluation: "csim" (hls4ml C simulation: accuracy), "csynth" (HLS C synthesis report), "vsynth"
#: (C synthesis + Vivado synthesis report), "yosys" (the open path, :func:`hlsnb.opensynth.open_synth`: da4ml's
#: Verilog of a design whose Dense layers are all ``distributed_arithmetic``, synthesised by Yosys). Builds also
#: measure the C-simulation accuracy unless told not to.
KINDS = ("csim", "csynth", "vsynth", "yosys")

_LOG_TAIL = 2000  # characters of the task log kept in the store's error column

#: Seconds between SIGTERM and SIGKILL when a task is stopped: run_build's own SIGTERM-then-SIGKILL of the tools
#: (3 s) must fit in it.
GRACE_S = 8.0


def task_dir(work_dir, config_id: str, kind: str) -> Path:
    return Path(work_dir) / config_id / kind


def write_task(work_dir, config_id: str, kind: str, design, *, model_path, data_path, backend=None,
               accuracy: bool = True, env: dict | None = None) -> Path:
    """Write ``task.json`` for one evaluation; returns its path. Paths are absolute: workers may run elsewhere
    (on a cluster, ``work_dir`` must be on a file system the workers share). ``env``: environment variables set
    for the evaluation process (e.g. a ``PATH`` with the vendor tools on the cluster's nodes)."""
    if kind not in KINDS:
        raise ValueError(f"evaluation kind {kind!r} is not valid; valid: {', '.join(KINDS)}")
    d = task_dir(work_dir, config_id, kind).resolve()
    d.mkdir(parents=True, exist_ok=True)
    spec = dict(config_id=config_id, kind=kind, design_json=design.to_json(indent=None),
                model_path=str(Path(model_path).resolve()),
                data_path=str(Path(data_path).resolve()) if data_path else None,
                backend=backend or design.backend, accuracy=bool(accuracy or kind == "csim"), env=dict(env or {}))
    text = json.dumps(spec, sort_keys=True, indent=1)
    p = d / "task.json"
    if not p.exists() or p.read_text() != text:  # an unchanged task keeps its file: result.json stays valid
        atomic_write(p, text)
    return p


def _digest(spec_path: Path) -> str:
    return hashlib.sha1(spec_path.read_bytes()).hexdigest()


def _base_result(spec: dict, status: str, started: float, error: str | None = None) -> dict:
    return dict(config_id=spec["config_id"], kind=spec["kind"], status=status, error=error, started=started,
                finished=time.time(), seconds=time.time() - started, design_json=spec["design_json"],
                worker=f"{socket.gethostname()}:{os.getpid()}", reports=[])


def _tail(path: Path) -> str:
    try:
        return path.read_text(errors="replace")[-_LOG_TAIL:]
    except OSError:
        return ""


def run_task(spec_path: str, timeout_s: float = 3600.0) -> dict:
    """Run one evaluation in a child process with a timeout; never raises for a failing build.

    Returns the result dict (the store's ``evaluations`` columns plus ``reports``): ``status`` "ok", "failed"
    (with the log's tail in ``error``), "timeout" or "skipped" (a tool the kind needs is not installed).
    """
    spec_path = Path(spec_path)
    d = spec_path.parent
    try:
        spec = json.loads(spec_path.read_text())
    except (OSError, ValueError) as e:  # recorded by the sweep as this task's failure, with the file named
        raise RuntimeError(f"the task file {spec_path} cannot be read ({e}); the work folder may have been "
                           "removed or is not shared with this worker") from None
    result_path = d / "result.json"
    digest = _digest(spec_path)
    if result_path.exists():
        try:
            done = json.loads(result_path.read_text())
        except ValueError:
            done = {}
        if done.get("status") == "ok" and done.get("task_digest") == digest:
            return done
        result_path.unlink()
    started = time.time()
    log_path = d / "task.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "hlsnb.sweep.task", str(spec_path)], cwd=d, stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                                env={**os.environ, **spec.get("env", {})})
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            _stop(proc)
            r = _base_result(spec, "timeout", started, f"killed after {timeout_s:g} s; log {log_path}")
            r.update(project_dir=str(d / "prj"), log_path=str(log_path))
            return r
        finally:
            if proc.poll() is None:  # the worker is being torn down: take the build with it
                _stop(proc)
    if result_path.exists():
        try:
            done = json.loads(result_path.read_text())
            if isinstance(done, dict) and done.get("status"):
                return done
            why = "is not a result"
        except (OSError, ValueError) as e:
            why = f"cannot be read ({e})"
        r = _base_result(spec, "failed", started, f"{result_path} {why}; end of {log_path}:\n{_tail(log_path)}")
        r.update(project_dir=str(d / "prj"), log_path=str(log_path))
        return r
    r = _base_result(spec, "failed", started, f"the evaluation process exited with code {proc.returncode} "
                     f"{_signal_name(proc.returncode)}without a result; end of {log_path}:\n{_tail(log_path)}")
    r.update(project_dir=str(d / "prj"), log_path=str(log_path))
    return r


def _signal_name(returncode: int | None) -> str:
    """``"(killed by SIGKILL) "`` for a process a signal ended, else empty."""
    if returncode is None or returncode >= 0:
        return ""
    try:
        return f"(killed by {signal.Signals(-returncode).name}) "
    except ValueError:
        return f"(killed by signal {-returncode}) "


def _stop(proc: subprocess.Popen) -> None:
    """Stop a task process: SIGTERM (it cleans up its tools), then SIGKILL to its whole group."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=GRACE_S)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # also when the leader is gone: a child of it may not be
    except ProcessLookupError:
        pass
    proc.wait()


def _interrupt(signum, _frame):
    raise KeyboardInterrupt(f"evaluation stopped by signal {signum}")


def _watch_parent() -> None:
    """Stop this task when the process that started it dies (a killed Dask worker): interrupt, then kill."""
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(GRACE_S)
        os.killpg(os.getpgrp(), signal.SIGKILL)

    threading.Thread(target=watch, daemon=True).start()


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    from ..synth.tools import detect_tools

    out = {}
    for pkg in ("hlsnb", "hls4ml", "keras"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    for name, tool in detect_tools().items():
        if tool.found:
            out[name] = tool.version
    return out


def _prune_model(model, sparsity_of: dict) -> None:
    """Magnitude-prune the model's kernels to the zero counts the design was scored with."""
    import numpy as np

    for layer in model.layers:
        k = sparsity_of.get(layer.name)
        if not k:
            continue
        w = layer.get_weights()
        flat = np.array(w[0]).reshape(-1)
        flat[np.argsort(np.abs(flat), kind="stable")[:k]] = 0
        w[0] = flat.reshape(w[0].shape)
        layer.set_weights(w)


def _evaluate(spec: dict, spec_path: Path) -> dict:
    """The work of one task (in the child process)."""
    import keras
    import numpy as np

    from ..design import Design
    from ..synth.build import run_build
    from ..synth.project import check_csim, make_project
    from ..synth.tools import check_backend, detect_open_synth, detect_tools

    started = time.time()
    d = spec_path.parent
    timings: dict[str, float] = {}
    result = _base_result(spec, "ok", started)
    result.update(project_dir=str(d / "prj"), log_path=str(d / "task.log"), task_digest=_digest(spec_path))
    design = Design.from_json(spec["design_json"])
    t = time.time()
    with contextlib.suppress(ImportError):  # a quantization-aware (HGQ2) model: its layer classes register on import
        import hgq  # noqa: F401
    model = keras.models.load_model(spec["model_path"], compile=False)
    _prune_model(model, {l.name: l.n_zeros for l in design.layers if l.n_zeros})
    timings["load"] = time.time() - t
    result["tool_versions"] = _versions()
    kind = spec["kind"]
    if kind == "yosys":
        mode = detect_open_synth()
        if mode.mode != "open synth":
            result.update(status="skipped", error=mode.message)
            return result
    elif kind != "csim":
        ok, why = check_backend(spec["backend"], detect_tools())
        if not ok:
            result.update(status="skipped", error=f"{kind} needs {spec['backend']}'s tools: {why}")
            return result
    if spec["accuracy"] or kind in ("csynth", "vsynth"):
        t = time.time()
        hm = make_project(design, model, d / "prj", backend=spec["backend"])
        timings["convert"] = time.time() - t
    if spec["accuracy"]:
        data = np.load(spec["data_path"])
        t = time.time()
        check = check_csim(hm, model, data["X"], data["y"], trace=False)
        timings["csim"] = time.time() - t
        result.update(accuracy=check.hls_accuracy, keras_accuracy=check.keras_accuracy,
                      argmax_agreement=check.argmax_agreement)
    if kind in ("csynth", "vsynth"):
        t = time.time()
        build = run_build(d / "prj", spec["backend"], synth=True, vsynth=kind == "vsynth", progress=False,
                          echo=False)
        timings["build"] = time.time() - t
        m = build.report("csynth").model
        result.update(dsp=m.dsp, lut=m.lut, ff=m.ff, bram18k=m.bram18k, latency_cycles=m.latency_max_cycles,
                      ii=m.ii_max)
        result["reports"] = [dict(report_kind=r.kind, filename=Path(r.path).name, text=Path(r.path).read_text())
                             for r in build.reports]
    if kind == "yosys":
        from ..opensynth import open_synth

        t = time.time()
        res = open_synth(design, model, d / "yosys", echo=False, progress=False, timeout_s=None, use_cache=False)
        timings["yosys"] = time.time() - t
        m = res.report.model
        result.update(dsp=m.dsp, lut=m.lut, ff=m.ff, bram18k=m.bram18k, project_dir=str(d / "yosys"))
        result["tool_versions"].update(res.versions)
    result["timings"] = timings
    result.update(finished=time.time(), seconds=time.time() - started)
    return result


def main(spec_path: str) -> int:
    """The child process: evaluate, write ``result.json`` (also for a failure that raised), exit 0."""
    signal.signal(signal.SIGTERM, _interrupt)
    _watch_parent()
    started = time.time()
    p = Path(spec_path)
    spec = json.loads(p.read_text())
    try:
        result = _evaluate(spec, p)
    except Exception as e:  # noqa: BLE001  (any failure of hls4ml or a tool is this task's result, not a crash)
        import traceback

        traceback.print_exc()
        result = _base_result(spec, "failed", started, f"{type(e).__name__}: {e}")
        result.update(project_dir=str(p.parent / "prj"), log_path=str(p.parent / "task.log"))
    atomic_write(p.parent / "result.json", json.dumps(result, default=float))  # the whole result or none
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
