"""The ``hlsnb`` command line: ``hlsnb doctor``, ``hlsnb design``, ``hlsnb estimate``, ``hlsnb cache``."""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import platform
import shutil
import sys
from pathlib import Path

from . import vocab

__all__ = ["main", "doctor_report"]

#: What hlsnb is tested with, and what each piece must be for the path to work.
SUPPORT_MATRIX = {
    "python": ("3.10", "3.13", "3.10-3.12 (PYNQ images v3.0.1/v3.1 ship 3.10)"),
    "tensorflow": ("2.16", "2.99", "TensorFlow 2.16+ with Keras 3"),
    "keras": ("3.0", "3.99", "Keras 3 (QKeras and hls4ml's own pruning do not work with it)"),
    "hls4ml": ("1.3", "1.3.99", "hls4ml 1.3.x"),
    "numpy": ("1.26", "2.99", "numpy 1.26+ (pynq's own environment needs numpy<2)"),
}


def _version_tuple(v: str) -> tuple:
    out = []
    for p in v.split("."):
        digits = "".join(ch for ch in p if ch.isdigit())
        out.append(int(digits) if digits else 0)
    return tuple(out)


def _module_version(name: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        try:
            return getattr(importlib.import_module(name), "__version__", "?")
        except Exception:  # noqa: BLE001  (doctor reports a broken install as missing instead of crashing)
            return None


#: Seconds one tool may take to print its version in ``hlsnb doctor`` (real Vivado: a few); then it is stopped.
DOCTOR_PROBE_TIMEOUT_S = 20.0



def doctor_report(tools: dict | None = None) -> list[dict]:
    """One row per component: name, found (version or None), ok (bool or None for optional), note.

    ``tools``: the result of :func:`hlsnb.synth.tools.detect_tools` when already probed; by default each HLS tool
    is probed here, in its own process group, stopped after ``DOCTOR_PROBE_TIMEOUT_S`` seconds.
    """
    rows = []

    def check(name, found, lo=None, hi=None, note="", required=True):
        ok = None
        if found is not None and lo is not None:
            ok = _version_tuple(lo) <= _version_tuple(found) <= _version_tuple(hi)
        elif found is None:
            ok = False if required else None
        else:
            ok = True
        rows.append({"component": name, "found": found, "ok": ok, "note": note})

    py = platform.python_version()
    lo, hi, note = SUPPORT_MATRIX["python"]
    check("python", py, lo, hi, note)
    for dist, mod in (("tensorflow-cpu", "tensorflow"), ("keras", "keras"), ("hls4ml", "hls4ml"), ("numpy", "numpy")):
        v = _module_version(dist) or _module_version(mod)
        lo, hi, note = SUPPORT_MATRIX[mod]
        check(mod, v, lo, hi, note)
    for opt, note in (("ipywidgets", "widgets"), ("plotly", "plots"), ("anywidget", "live plotly FigureWidget"),
                      ("hgq2", "quantisation-aware training ([qat] extra)"),
                      ("da4ml", "distributed_arithmetic strategy"),
                      ("pynq", "board runtime (on the board image only)")):
        check(opt, _module_version(opt), note=note, required=False)
    gxx = shutil.which("g++")
    gv = None
    if gxx:
        from .synth.processes import run_capture

        try:  # its own process group and a timeout, like the HLS tools: a wedged compiler cannot hang doctor
            _rc, out, timed_out = run_capture([gxx, "-dumpfullversion"], 10.0)
            gv = "?" if timed_out else out.strip()  # found but silent: the version shows empty
        except OSError:
            gv = "?"
    rows.append({"component": "g++", "found": gv, "ok": gxx is not None, "note": "hls4ml C simulation (compile)"})
    from .synth.tools import SUPPORT, detect_tools

    if tools is None:
        tools = detect_tools(timeout_s=DOCTOR_PROBE_TIMEOUT_S)
    for name, t in tools.items():
        needs = [f"{b}: {why}" for b, reqs in SUPPORT.items() for n, _lo, _hi, why in reqs if n == name]
        note = needs[0] if needs else "HLS tool"
        if t.found and t.error:
            note = f"{note} (version unreadable: {t.error})"
        rows.append({"component": name, "found": (t.version or "?") if t.found else None,
                     "ok": True if t.found else None, "note": note})
    from .board import fpga_available

    board = fpga_available()
    rows.append({"component": "PYNQ board", "found": "present" if board else None, "ok": True if board else None,
                 "note": "a device pynq can program (only on the board image)"})
    return rows


def _cmd_doctor(args) -> int:
    from .synth.tools import detect_tools

    tools = detect_tools(timeout_s=DOCTOR_PROBE_TIMEOUT_S)
    rows = doctor_report(tools)
    if args.json:
        print(json.dumps(rows, indent=1))
    else:
        w = max(len(r["component"]) for r in rows)
        for r in rows:
            mark = {True: "ok ", False: "BAD", None: "-  "}[r["ok"]]
            found = r["found"] if r["found"] is not None else "not found"
            print(f"{mark} {r['component']:<{w}}  {found:<14}  {r['note']}")
        from .synth.tools import detect_mode

        mode = detect_mode(tools=tools)  # the tools probed above: no second round of version probes
        print(f"\nmode {mode.message}")
    return 1 if any(r["ok"] is False for r in rows if r["component"] in ("python", "tensorflow", "keras", "hls4ml",
                                                                           "numpy", "g++")) else 0


def _fail(message: str) -> int:
    """A one-line error on stderr and exit code 2 (bad input), as argparse does for its own errors."""
    print(f"error: {message}", file=sys.stderr)
    return 2


def _check_output_path(path: str) -> str | None:
    """Why ``path`` cannot be written as an output file, or None. Checked before any work is done."""
    p = Path(path)
    if not path.strip():
        return "--output is empty; give a file name"
    if p.is_dir():
        return f"--output {path}: is a folder; give a file name"
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        return f"--output {path}: the folder {parent} does not exist"
    if not os.access(parent, os.W_OK) or (p.exists() and not os.access(p, os.W_OK)):
        return f"--output {path}: not writable"
    return None


def _load_model(path: str):
    """The Keras model saved at ``path``, or a one-line reason why not (never a Keras traceback)."""
    p = Path(path)
    if not p.exists():
        return None, f"{path}: no such file; give a saved Keras model (.keras)"
    if not p.is_file():
        return None, f"{path}: not a file; give a saved Keras model (.keras)"
    if p.suffix not in (".keras", ".h5", ".hdf5"):
        return None, f"{path}: expected a saved Keras model ending in .keras (or a legacy .h5)"
    import keras

    try:
        return keras.models.load_model(path, compile=False), None
    except Exception as e:  # noqa: BLE001  Keras raises ValueError, OSError, zipfile and h5py errors for a bad file
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        return None, f"{path}: not a Keras model Keras can load ({type(e).__name__}: {first[:200]})"


def _cmd_design(args) -> int:
    from .design import Design

    if args.output is not None:
        bad = _check_output_path(args.output)
        if bad:
            return _fail(bad)
    if args.reuse_factor < 1:
        return _fail(f"--reuse-factor must be a positive integer; got {args.reuse_factor}")
    if args.clock_ns is not None and not (0 < args.clock_ns < math.inf):
        return _fail(f"--clock-ns must be a positive finite period in ns; got {args.clock_ns}")
    model, why = _load_model(args.model)
    if model is None:
        return _fail(why)
    kw = dict(io_type=args.io_type, precision=args.precision, clock_ns=args.clock_ns, backend=args.backend)
    if args.part:
        kw["part"] = args.part
        kw["board"] = None
    else:
        kw["board"] = args.board
    try:
        design = Design.from_keras(model, **kw)
        used = design.set_all(strategy=args.strategy, reuse_factor=args.reuse_factor, closest=args.closest)
    except ValueError as e:
        hint = "" if args.closest else "\n(--closest uses the closest valid ReuseFactor per layer and says which)"
        print(f"error: {e}{hint}", file=sys.stderr)
        return 2
    for layer, rf in used.items():
        print(f"note: layer {layer!r}: ReuseFactor {args.reuse_factor} is not valid there; using {rf} (--closest)",
              file=sys.stderr)
    text = design.to_json()
    if args.output:
        from .fileio import atomic_write

        try:  # a unique temporary file, fsynced and renamed: a failed write leaves the previous file whole
            atomic_write(args.output, text)
        except OSError as e:
            return _fail(f"--output {args.output}: cannot write ({e.strerror or e}); the previous file, if any, "
                         "is unchanged")
        print(f"wrote {args.output}: {design!r}")
    else:
        print(text)
    for w in design.warnings():
        print(f"warning: {w}", file=sys.stderr)
    return 0


def _cmd_estimate(args) -> int:
    from .design import Design
    from .estimate import estimate_design

    if not Path(args.design).is_file():
        return _fail(f"{args.design}: no such file; give a Design JSON (hlsnb design MODEL -o design.json)")
    try:
        design = Design.from_json(args.design)
    except (ValueError, OSError, KeyError, TypeError) as e:
        print(f"error: {args.design}: {e}", file=sys.stderr)
        return 2
    try:
        est = estimate_design(design, stage=args.stage)
    except ValueError as e:
        return _fail(f"{args.design}: cannot estimate: {e}")
    rows = est.rows()
    if args.json:
        print(json.dumps(rows, indent=1, default=str))
        return 0
    cols = ["name", "strategy", "reuse_factor", "dsp", "lut", "ff", "bram18k", "latency_cycles", "ii"]
    print(f"{vocab.stage_label(est.stage, estimated=True)} (not measured) for {est.tool}: {design!r}")
    print("  ".join(f"{c:>14}" for c in cols))
    for r in rows:
        if not r["estimated"]:
            print(f"{r['name']:>14}  not estimated: {r['reason']}")
            continue
        print("  ".join(f"{'' if r.get(c) is None else str(r.get(c)):>14}" for c in cols))
    t, u = est.total, est.utilisation
    label = "total (lower bound)" if est.not_estimated else "total"
    print(f"{label:>14}  " + "  ".join(f"{k} {t[k]:.0f} ({u[k]:.1f} %)" for k in ("dsp", "lut", "ff", "bram18k"))
          + f"  latency {est.latency_cycles} cycles ({est.latency_ns:g} ns), II {est.ii}, top {est.top.upper()}")
    if est.not_estimated:
        print(est.missing_note())
    return 0


def _mb(n: int) -> str:
    return f"{n / 2**20:,.1f} MB"


def _cmd_cache(args) -> int:
    from . import cache

    if args.trim_mb is not None and args.trim_mb < 0:
        return _fail(f"--trim-mb {args.trim_mb}: give a size of at least 0 MB")
    try:
        if args.clear is not None:
            kind = args.clear or None
            n = cache.clear(kind)
            print(f"removed {n} cache entr{'y' if n == 1 else 'ies'}" + (f" of {kind}" if kind else "")
                  + f" from {cache.usage()['folder']}")
            return 0
        if args.trim_mb is not None:
            # trim() takes 0 as "no limit"; here 0 MB means keep nothing, so ask for at most one byte
            gone = cache.trim(limit=max(1, args.trim_mb * 2**20))
            print(f"removed {len(gone)} least recently used entr{'y' if len(gone) == 1 else 'ies'}")
        u = cache.usage()
    except ValueError as e:  # a bad $HLSNB_CACHE_MB
        return _fail(str(e))
    if args.json:
        print(json.dumps(u, indent=1))
        return 0
    limit = u["limit_bytes"]
    print(f"hlsnb caches in {u['folder']}: {_mb(u['bytes'])} of "
          + (f"{_mb(limit)} ($HLSNB_CACHE_MB; the least recently used go first)" if limit else
             "no limit ($HLSNB_CACHE_MB=0)"))
    for kind, k in sorted(u["kinds"].items()):
        print(f"  {kind:<10} {k['entries']:>5} entr{'y ' if k['entries'] == 1 else 'ies'}  {_mb(k['bytes']):>10}")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="hlsnb", description="hls4ml from the notebook: design, estimate, synthesise")
    sub = p.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("doctor", help="check Python, TensorFlow, Keras, hls4ml, g++, Vivado/Vitis, pynq, board")
    d.add_argument("--json", action="store_true")
    d.set_defaults(func=_cmd_doctor)
    g = sub.add_parser("design", help="write a Design JSON for a saved Keras model")
    g.add_argument("model", help="a saved Keras model (.keras)")
    g.add_argument("--board", default="pynq-z2")
    g.add_argument("--part", default=None, help="an FPGA part instead of a board")
    g.add_argument("--io-type", default="io_parallel", choices=["io_parallel", "io_stream"])
    g.add_argument("--strategy", default="Latency")
    g.add_argument("--reuse-factor", type=int, default=1)
    g.add_argument("--closest", action="store_true",
                   help="where the ReuseFactor is invalid for a layer, use the closest valid one (reported)")
    g.add_argument("--precision", default="ap_fixed<16,6>")
    g.add_argument("--clock-ns", type=float, default=None)
    g.add_argument("--backend", default="Vivado", choices=["Vivado", "Vitis", "VivadoAccelerator"])
    g.add_argument("-o", "--output", default=None)
    g.set_defaults(func=_cmd_design)
    e = sub.add_parser("estimate", help="estimate resources and latency of a Design JSON")
    e.add_argument("design")
    e.add_argument("--json", action="store_true")
    e.add_argument("--stage", default="csynth", choices=["csynth", "vsynth"],
                   help="csynth: what the HLS synthesis report would say (default); vsynth: what Vivado places after "
                        "synthesis (report_utilization), which says whether the design fits the board")
    e.set_defaults(func=_cmd_estimate)
    c = sub.add_parser("cache", help="show, trim or clear the caches of C-simulation libraries, Verilator "
                                     "emulators and Yosys runs")
    c.add_argument("--clear", nargs="?", const="", default=None, metavar="KIND",
                   help="remove every entry (of KIND only: csim, opensynth)")
    c.add_argument("--trim-mb", type=int, default=None, metavar="MB",
                   help="remove the least recently used entries until the caches take at most MB megabytes")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=_cmd_cache)
    args = p.parse_args(argv)
    from .errors import HlsnbError

    try:
        return args.func(args)
    except HlsnbError as e:  # hlsnb's own errors already say what is wrong: one line, not a traceback
        return _fail(str(e).splitlines()[0] if str(e) else type(e).__name__)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
