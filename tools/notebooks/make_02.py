"""Source of notebooks/02_strategy_and_reuse.ipynb (run from the repo root)."""
import sys
sys.path.insert(0, "tools")
from nbtools import write_notebook

IGNORE = ["nbval-ignore-output"]  # nbval runs these cells but does not compare their output (timings, paths)

write_notebook("notebooks/02_strategy_and_reuse.ipynb", [
("md", """
# 02 · Strategy and ReuseFactor on the PYNQ-Z2: why did Resource cost *more* LUTs than Latency?

The question this notebook answers, asked again and again on the hls4ml forum: *"I built the tutorial's network on my
PYNQ-Z2 with Strategy=Resource, ReuseFactor=64, and it used MORE than Latency: 47,883 LUT, 21 DSP. Why?"* The network
is the one [01 · train](01_train.ipynb) trained: the tutorial's 16-64-32-32-5 MLP with 6-bit weights and ReLUs and 75 %
of its weights at zero. Part 1 answers the question on it, beside the same network at 16 bits without pruning (the
network the question is usually imagined about); part 2 takes the design to the board.

Every resource number says what it is: an **HLS csynth estimate by hlsnb** (what the HLS report prints; computed in
milliseconds, without Vivado), a **Vivado post-synthesis estimate by hlsnb**, or a **report** of a real build (measured
by Vivado HLS). The answer is computed by the estimator when the notebook runs, never typed in.
"""),
("code", """
import os

import plotly.io as pio
from IPython.display import HTML

from hlsnb.forum import forum_design
from hlsnb.project import Project, file_link, show
from hlsnb.widgets.seed import (breakdown_figure, design_table, items, reports_table, rf_rule_figure, seed_answer, steps,
                                totals_figure)

import hgq  # noqa: E402,F401  (after hlsnb, which quiets TensorFlow's start-up lines: registers HGQ2's layers, so
#             the model 01 saved loads)

# figures also show in exported HTML (make html sets HLSNB_PLOTLY_RENDERER to embed plotly.js for offline reading)
pio.renderers.default = os.environ.get("HLSNB_PLOTLY_RENDERER", "plotly_mimetype+notebook_connected")
project = Project(notebook="02_strategy_and_reuse")
data = project.data()
model = project.trained_model(data)  # what 01 handed over (trained here, and said so, when 01 has not run)
project.banner()
""", IGNORE),
("md", """
## Part 1 · The seed question

Both strategies at ReuseFactor 64 on every Dense layer (where 64 is not valid for Resource, the value hls4ml builds,
said below), for the forum's design and for the same network at 16 bits without zero weights. The forum's design is
01's model (its 6-bit weights and its zero weights) with the forum's hls4ml configuration: the forum converted a QKeras
model with `config_from_keras_model(granularity='name')`, so every Dense accumulator and result is `auto`, which hls4ml
infers wide enough for every product and the bias (27, 19, 18 and 18 bits, as in the public build's config). A strategy is called larger only
where the two error bars do not overlap. Each estimate's error bar is the measured error of its regime
(`DesignEstimate.regime`: whole designs of that HLS tool and strategy, each report's repository held out of the fit),
so Latency and Resource can carry different bars.
"""),
("code", """
# NBVAL_CHECK_OUTPUT
answer = seed_answer(model)  # the carried model: 01's, or the default trained above
show(answer.verdict)
"""),
("md", """
### The totals: the flip at a glance

Bars: hlsnb's HLS csynth estimates; each error bar is the measured error of that estimate's regime (whole designs of
that HLS tool and strategy, each report's repository held out of the fit). Markers: the real reports of the forum's
design (the public Latency build and the forum's own Resource report), which the estimate is checked against, never
fitted to. The dashed line is the chip's capacity.
"""),
("code", "totals_figure(answer)"),
("code", """
# NBVAL_CHECK_OUTPUT
reports_table(answer)
"""),
("md", """
### Why, item by item

What each strategy pays for, summed from the estimator's itemized breakdown (every term has its reason):

* **Zero weights and narrow constants**: Latency's weights are compile-time constants, so a zero weight vanishes and a
  6-bit constant becomes a few shifts and adds in the *adder trees*; Resource reads every weight, zero or not, from a
  **ROM** (BRAM) into a **generic multiplier**: its weights are run-time data, nothing folds.
* **The accumulator select (RF > n_in)**: when a layer's ReuseFactor exceeds its input count (fc1: 64 > 16, fc3:
  64 > 32), hls4ml indexes the accumulators at run time, so every accumulator can take any product in any cycle.
* **Quantized activations**: a ReLU that rounds and saturates to 6 bits is a compare-and-select on the wide
  accumulator type, in both strategies.
* **DATAFLOW**: one Resource layer switches the whole top function from PIPELINE to DATAFLOW; the arrays between the
  layers become ping-pong buffers with handshakes.
"""),
("code", """
# NBVAL_CHECK_OUTPUT
items(answer)
"""),
("md", """
And the same path as steps: from the 16-bit dense network to the forum's design, one change at a time, under both
strategies. The change column says what each step does to each strategy: this is where the ordering turns. The last
row is an extra, not the forum's design: the types hls4ml's conversion of the HGQ2 model gives (HGQ2 tells hls4ml the
narrowest accumulator and result widths that hold every value this model's weights can produce, e.g. fc1's result 14
bits instead of 27). Narrower accumulators make every adder and register narrower, under both strategies
(`hlsnb.forum.hgq_design(model)` builds that design).
"""),
("code", """
# NBVAL_CHECK_OUTPUT
steps(answer)
"""),
("code", "breakdown_figure(answer)"),
("md", """
### The rule of thumb it teaches

One layer's LUTs against its ReuseFactor, the rest of the design unchanged. Resource is cheap up to RF = n_in and jumps
right after it, where the accumulator index becomes run-time. **With Resource, keep ReuseFactor <= n_in**, and use it for
large layers that Latency cannot unroll (over ~4,096 multiplications).
"""),
("code", "rf_rule_figure(answer)"),
("md", """
hlsnb also refuses what hls4ml would silently change: 64 is not a valid Resource ReuseFactor for the 32x5 output layer
(160 multiplications), and hls4ml would build it with 32 (so the forum's Resource build has 32 there; its Latency build
keeps 64, which hls4ml 1.3 builds as given for Latency). Asked for 64 with Resource, hlsnb names the layer and the
valid values:
"""),
("code", """
# NBVAL_CHECK_OUTPUT
trial = answer.designs["forum"]["Resource"].copy()
show("valid Resource ReuseFactors of output: " + ", ".join(map(str, trial.valid_reuse_factors("output", "Resource"))))
try:
    trial.set("output", strategy="Resource", reuse_factor=64)
except ValueError as err:
    show(f"hlsnb refuses: {err}")
"""),
("md", """
## Part 2 · Your design on the PYNQ-Z2

The forum's settings on the model 01 handed over (Latency, ReuseFactor 64, the forum's types).
This is what the explorer starts from and what it compares with, whatever an earlier run of this notebook saved.
"""),
("code", """
# NBVAL_CHECK_OUTPUT
design = forum_design(model)
design_table(design)
"""),
("md", """
### Explore it

Change a layer's Strategy or ReuseFactor: the menu offers only values hls4ml keeps as given, and the plot, the line
**Now** (always the latest estimate) and the explanation follow at once. Pick a layer in *explain* (or click its bar)
for its itemized breakdown. **A** is the design as 01 handed it over; every change (B) is compared with it. The plot's
resource axis stops at 200 %: a taller column says its real total at the top.
"""),
("code", """
from hlsnb.widgets import Explorer

explorer = Explorer(design)
explorer.model = model  # lets Load read an hls4ml config of this model
explorer.pin("A (as 01 handed it over)")
explorer
"""),
("md", """
### Fit to board

Which per-layer Strategy and ReuseFactor give the lowest latency with every resource under 80 % of the PYNQ-Z2? The
search asks the estimator a few hundred times (well under a second) and verifies its answer, for the strategies the
board's flow (hls4ml's VivadoAccelerator backend) builds: Latency and Resource. The report compares the result with
the design as 01 handed it over (A): every change with its real effect and why.
"""),
("code", """
result = explorer.fit_to_board(target=0.8)  # as the button does
result
""", IGNORE),
("md", "The same view, static (readable without a kernel): the fitted design B against A."),
("code", "explorer.plot.static()"),
("md", """
### Save the design for the next notebooks

Notebook 03 prunes this design's model further and 04 builds this design. The hls4ml config is written too, for use
without hlsnb (`hls4ml.converters.convert_from_keras_model(model, hls_config=...)`).
"""),
("code", """
saved = project.save_design(explorer.design, note=explorer.last_fit.summary().split("\\n")[0]
                            if explorer.last_fit and explorer.last_fit.fits else "chosen in the explorer")
config = explorer.save(str(project.root / "design_hls4ml.json"), kind="hls4ml")
HTML(f"Design saved: {file_link(saved)}<br>hls4ml config: {file_link(config)}")
""", IGNORE),
("md", """
Next: [03 · DSP-aware pruning](03_dsp_aware_pruning.ipynb) prunes the model further, or go straight to
[04 · synthesise](04_synthesise.ipynb) to build this design. Previous: [01 · train](01_train.ipynb).
"""),
])
