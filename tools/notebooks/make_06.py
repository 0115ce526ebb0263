"""Source of notebooks/06_sweep.ipynb (run from the repo root: python tools/notebooks/make_06.py)."""
# ruff: noqa: E501 - markdown cells keep their paragraphs on one line, as the notebook shows them
import sys

sys.path.insert(0, "tools")
from nbtools import write_notebook

write_notebook("notebooks/06_sweep.ipynb", [
("md", r"""
# 06 · Sweep the design space around your design

This notebook starts from the design carried through the path (the forum's network as [03](03_dsp_aware_pruning.ipynb) pruned it to fit the PYNQ-Z2, or whatever the banner below says was picked up) and sweeps the settings around it. Previous: [05 · run on PYNQ](05_run_on_pynq.ipynb); back to the [index](00_index.ipynb).

Per-layer Strategy and ReuseFactor, precision and pruning level span millions of configurations of even the tutorial MLP. Real builds take minutes to hours each, so we do not build them all: the estimator scores a few thousand in seconds, the Pareto front shows which are worth building, and only those go to real evaluation, in parallel on a **Dask** cluster (a `LocalCluster` on this machine by default; a scheduler address or a `dask_jobqueue` SLURM/PBS/HTCondor cluster works the same way). Every estimate and every result goes into a **results store** (one SQLite file), so a crash or a kernel restart loses no finished work, and every build ever run can refit the estimator (`recalibrate`). See docs/sweep.md.
"""),
("code", r"""
import os
import time

import plotly.io as pio

# figures also show in exported HTML (make html sets HLSNB_PLOTLY_RENDERER to embed plotly.js for offline reading)
pio.renderers.default = os.environ.get("HLSNB_PLOTLY_RENDERER", "plotly_mimetype+notebook_connected")

from hlsnb.fit import fit_table
from hlsnb.project import Project, show
from hlsnb.sweep import Space, Sweep

project = Project(notebook="06_sweep")
model, design, data = project.current()  # the carried design (run alone: the forum's network, trained here)
display(project.banner())
display(fit_table(design))  # where the sweep starts: does the carried design fit?
""", ["nbval-ignore-output"]),
("md", r"""
## The space
Around the carried design: both strategies, ReuseFactors 1 to 64 (only those hls4ml keeps as given for each layer: any other would be silently rounded, and two points would be the same build), the design's own precisions (6-bit weights), and its weights as they are or pruned further by magnitude to 75 % and 90 % of every kernel. The space is never built as a list: it is counted, and sampled.
"""),
("code", r"""
# NBVAL_CHECK_OUTPUT
space = Space(design, strategy=["Latency", "Resource"], reuse_factor=[1, 2, 4, 8, 16, 32, 64],
              sparsity=[0.0, 0.75, 0.9])
show(space)  # wrapped at word boundaries (a notebook's output area breaks long lines anywhere)
"""),
("md", r"""
## Score a sample with the estimator
3,000 configurations (set `N` higher: 10,000 take a few seconds, see `benchmarks/bench_sweep.py`). Estimates are Vivado post-synthesis numbers (`stage="vsynth"`: what decides whether a bitstream fits; leave it out for HLS csynth numbers). The scores are kept in the store.
"""),
("code", r"""
N = int(os.environ.get("HLSNB_SWEEP_N", "3000"))
sweep = Sweep(space, store="hlsnb_work/sweep.sqlite", model=model, data=data, work_dir="hlsnb_work/sweep",
              stage="vsynth")
t = time.perf_counter()
scores = sweep.score(n=N, seed=0)
print(f"{scores} in {time.perf_counter() - t:.1f} s")
""", ["nbval-ignore-output"]),
("md", r"""
## The Pareto front
Among the configurations that fit the PYNQ-Z2, those no other one beats on LUTs, DSPs and latency at once. Pick other objectives by column name (`accuracy` is maximised, the rest minimised).
"""),
("code", r"""
from itertools import islice

front = sweep.pareto(("lut_pct", "dsp_pct", "latency_ns"))
show(f"{len(front):,} configurations on the front (Vivado post-synthesis estimates); the five smallest in LUTs:")
for r in islice(front.rows(), 5):
    layers = ", ".join(f"{n} {s} RF {rf}" for n, s, rf, p in r["config"]["layers"])
    show(f"  LUT {r['lut_pct']:5.1f}%  DSP {r['dsp_pct']:5.1f}%  latency {r['latency_ns']:7,.0f} ns  "
         f"pruned to {r['config']['sparsity']:.0%}  {layers}")
""", ["nbval-ignore-output"]),
("md", r"""
## The widget
Grey: every configuration scored; coloured: the front (colour = latency); red stars: configurations with a measured accuracy. Change the axes with the drop-downs. The Explorer below opens on the carried design, judged like the sweep by the Vivado post-synthesis estimate (what decides whether it fits: the HLS report's own estimate overstates LUTs, so a design can be over the board at csynth and fit after synthesis; the table at the top shows both); **click a point** to load its settings into it (the Explorer keeps its own weights: a pruned configuration's sparsity is not carried over).
"""),
("code", r"""
from hlsnb.widgets import Explorer

explorer = Explorer(design.copy())
explorer.stage = "vsynth"
w = sweep.widget(explorer=explorer)
w
""", ["nbval-ignore-output"]),
("md", r"""
## Evaluate the best candidates for real, on Dask
`w.evaluate(...)` sends one task per configuration to a Dask cluster and moves the progress bar above as results arrive. Each task runs hls4ml's C simulation (`kind="csim"`: the accuracy on the test set; a g++ compile of 5-15 s) in a process of its own with a timeout, and keeps its project and log under `hlsnb_work/sweep/<config id>/`. Run the cell again (or restart the kernel and run the notebook again): finished configurations are taken from the store, not rebuilt.

With no `cluster=` a `LocalCluster` of two single-threaded workers is started and closed. On a real cluster:

```python
rows = w.evaluate(front, kind="csynth", cluster="tcp://scheduler:8786", timeout_s=4 * 3600)

from dask_jobqueue import SLURMCluster
cluster = SLURMCluster(cores=4, memory="16GB", walltime="04:00:00")
cluster.scale(jobs=8)
rows = w.evaluate(front, kind="vsynth", cluster=cluster, env={"PATH": "/opt/Xilinx/Vivado/2020.1/bin:/usr/bin:/bin"})
```
"""),
("code", r"""
K = int(os.environ.get("HLSNB_SWEEP_EVALUATE", "2"))
rows = w.evaluate(front.subset(range(min(K, len(front)))), kind="csim", timeout_s=600)
for r in rows:
    show(f"{r['config_id']}: {r['status']}, C-simulation accuracy {r['accuracy']}, {r['seconds']:.0f} s, "
         f"project {r['project_dir']}" + (f"\n  {r['error']}" if r["error"] else ""))
""", ["nbval-ignore-output"]),
("md", r"""
## Builds where the tools are present
`kind="csynth"` runs Vivado HLS / Vitis HLS C synthesis (`"vsynth"` adds Vivado synthesis) and keeps the reports in the store. Without the tools a build is recorded as *skipped*; here we only try when they are on `PATH`.
"""),
("code", r"""
from hlsnb.synth import detect_mode

mode = detect_mode(design.backend)
if mode.mode == "synth":
    builds = w.evaluate(front.subset([0]), kind="csynth", timeout_s=4 * 3600)
    print([(r["config_id"], r["status"], r["lut"], r["dsp"]) for r in builds])
else:
    show(f"no build here: {mode.message}")
""", ["nbval-ignore-output"]),
("md", r"""
## The store
One row per configuration and evaluation (design JSON, estimates, measured reports, accuracy, tool versions, timings). Export it, or refit the estimator on every build it holds: `recalibrate(list(sweep.store.builds()))`.
"""),
("code", r"""
print(sweep.store)
csv_path = sweep.store.to_csv("hlsnb_work/sweep_results.csv")
print("exported", csv_path)
pairs = list(sweep.store.builds())
if pairs:
    from hlsnb.synth import recalibrate

    print(recalibrate(pairs, path="hlsnb_work/sweep_refit.json", apply=False))
else:
    print("no C-synthesis build in the store yet: nothing to recalibrate on")
""", ["nbval-ignore-output"]),
])
