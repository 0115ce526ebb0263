"""Time Run All of the notebook path 00-06, in order, as a user runs it: target under 10 minutes on 2 cores.

    python benchmarks/bench_notebook_path.py [--repeats N] [--workdir DIR] [--top K] [--json FILE]

``notebooks/*.ipynb`` are copied once into a fresh folder, and each repeat executes them there one after the other
with ``jupyter nbconvert --to notebook --execute``, as a user runs Run All in each notebook again: the project state
they hand over (``hlsnb_work/project/``) grows by a version per save, and what a notebook keeps for reruns
(``hlsnb_work/``) and hlsnb's content caches (``$HLSNB_CACHE`` or ``~/.cache/hlsnb``: Yosys, Verilator, C simulation)
stay. Repeat 1 is a first Run All in a new folder; the later ones are the warm path: run with ``--repeats 2`` or
more and read the median of the warm repeats (repeat 1 is left out of the median when there are two or more).

Printed per notebook: wall time, peak memory (``/usr/bin/time``'s maximum resident set size: the largest single
process, the kernel or a tool it started) and the ``--top`` slowest cells (from nbclient's execution timestamps).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 600.0
PEAK_TARGET_KB = 1.5 * 1024 * 1024


def _ts(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def cell_times(nb_path: Path) -> list[tuple[float, int, str]]:
    """(seconds, cell index, first code line) of each executed code cell, from nbclient's timing metadata."""
    nb = json.loads(nb_path.read_text())
    out = []
    for i, c in enumerate(nb["cells"]):
        ex = c.get("metadata", {}).get("execution", {})
        a, b = ex.get("iopub.execute_input"), ex.get("shell.execute_reply")
        if c["cell_type"] == "code" and a and b:
            src = "".join(c["source"]).strip().splitlines()
            first = next((ln for ln in src if ln.strip() and not ln.startswith("#")), src[0] if src else "")
            out.append(((_ts(b) - _ts(a)).total_seconds(), i, first[:70]))
    return out


def run_path(workdir: Path, top: int) -> dict:
    """Run every notebook in ``workdir`` (a fresh copy) in order; per notebook seconds, peak KB and slow cells."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    jupyter = Path(sys.executable).with_name("jupyter")
    results = {}
    for nb in sorted(workdir.glob("0[0-9]_*.ipynb")):
        out = workdir / f"executed-{nb.name}"
        tfile = workdir / f"time-{nb.stem}.txt"
        t0 = time.monotonic()
        r = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", str(tfile), str(jupyter), "nbconvert", "--to",
                            "notebook", "--execute", "--ExecutePreprocessor.timeout=-1", "--output", out.name,
                            nb.name], check=False, cwd=workdir, env=env, capture_output=True, text=True)
        seconds = time.monotonic() - t0
        if r.returncode:
            print(r.stderr[-3000:], file=sys.stderr)
            raise SystemExit(f"{nb.name} failed (exit {r.returncode})")
        peak = int(tfile.read_text().split()[-1])
        cells = sorted(cell_times(out), reverse=True)
        results[nb.stem] = {"seconds": seconds, "peak_kb": peak, "cells": cells}
        print(f"  {nb.stem:28s} {seconds:7.1f} s  peak {peak / 1024 / 1024:5.2f} GB", flush=True)
        for s, i, first in cells[:top]:
            print(f"      cell {i:3d} {s:7.1f} s  {first}", flush=True)
    return results


def main(argv=None) -> float:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--workdir", type=Path, help="the folder to run in, emptied first (default: a new temp folder)")
    ap.add_argument("--top", type=int, default=3, help="slowest cells listed per notebook")
    ap.add_argument("--json", type=Path, help="write every repeat's figures here")
    a = ap.parse_args(argv)
    wd = a.workdir or Path(tempfile.mkdtemp(prefix="hlsnb-path-"))
    shutil.rmtree(wd, ignore_errors=True)
    wd.mkdir(parents=True)
    for nb in sorted((ROOT / "notebooks").glob("0*.ipynb")):
        shutil.copy(nb, wd / nb.name)
    runs = []
    for r in range(a.repeats):
        print(f"repeat {r + 1} in {wd}:", flush=True)
        res = run_path(wd, a.top)
        total = sum(v["seconds"] for v in res.values())
        print(f"repeat {r + 1}: Run All of the path in {total:.0f} s ({total / 60:.1f} min)", flush=True)
        runs.append(res)
    warm = runs[1:] if len(runs) > 1 else runs
    totals = [sum(v["seconds"] for v in res.values()) for res in warm]
    med = statistics.median(totals)
    print(f"median over {len(warm)} {'warm ' if len(runs) > 1 else ''}repeat(s): {med:.0f} s ({med / 60:.1f} min); "
          f"target < {TARGET_S / 60:.0f} min: {'met' if med < TARGET_S else 'MISSED'}")
    for nb in warm[0]:
        s = statistics.median(res[nb]["seconds"] for res in warm)
        peak = max(res[nb]["peak_kb"] for res in warm)
        flag = "" if peak < PEAK_TARGET_KB else "  (over 1.5 GB)"
        print(f"  {nb:28s} median {s:7.1f} s  peak {peak / 1024 / 1024:5.2f} GB{flag}")
    if a.json:
        a.json.write_text(json.dumps({
            "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "cores": os.cpu_count(),
            "load_average_at_end": os.getloadavg(), "command": " ".join(["python", *sys.argv]),
            "median_warm_seconds": med, "runs": runs}, indent=1))
    return med


if __name__ == "__main__":
    main()
