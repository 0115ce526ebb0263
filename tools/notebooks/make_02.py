"""Source of notebooks/02_strategy_and_reuse.ipynb (run from the repo root)."""
import sys
sys.path.insert(0, "tools")
from nbtools import write_notebook

IGNORE = ["nbval-ignore-output"]  # nbval runs these cells but does not compare their output (timings, paths)

write_notebook("notebooks/02_strategy_and_reuse.ipynb", [
("md", """
# 02 · Strategy and ReuseFactor on the PYNQ-Z2: why can Resource cost *more* LUTs than Latency?

The question this notebook answers (asked again and again on the hls4ml forum and issues): the tutorial's
16-64-32-32-5 MLP on a PYNQ-Z2, built with the **Resource** strategy at **ReuseFactor 64**, reported *more* LUTs than
the user expected; isn't Resource supposed to save resources? Part 1 answers it with pictures; part 2 takes the design
from [01 · train](01_train.ipynb) to the board.

Every resource number here is an **estimate by hlsnb**, computed in milliseconds without Vivado; each says its stage:
*HLS csynth* (what the HLS report prints; its LUT counts overstate Vivado's 1.7-5x) or *Vivado post-synthesis* (what
decides whether a design fits).
"""),
("code", """
import os

import plotly.io as pio
from IPython.display import HTML, Markdown

from hlsnb.widgets.seed import breakdown_figure, rf_rule_figure, seed_answer, totals_figure

# figures also show in exported HTML (make html sets HLSNB_PLOTLY_RENDERER to embed plotly.js for offline reading)
pio.renderers.default = os.environ.get("HLSNB_PLOTLY_RENDERER", "plotly_mimetype+notebook_connected")
answer = seed_answer()  # the forum's design under both strategies, and the estimator's measured error (about 3 s)
Markdown(answer.verdict)
"""),
("md", """
## Part 1 · The seed question

### The totals against the board

Both strategies at ReuseFactor 64 (where 64 is not valid, the largest valid value below it, as hls4ml picks), as % of
the PYNQ-Z2's xc7z020, with the absolute counts on the bars. The error bars are the estimator's median error on whole
designs for this HLS tool, each report held out of the fit; the diamonds are the forum's Vivado HLS report of the
Resource build. Read the ordering only where the error bars do not overlap.
"""),
("code", "totals_figure(answer)"),
("md", """
### What each strategy pays for

Per layer, the LUTs of Latency and Resource side by side, each stacked by what they buy:

* **Latency** keeps the weights as compile-time constants: zero weights vanish, powers of two become shifts, small
  constants become shift-and-add logic; its LUTs go to adder trees and to the operand multiplexers of shared
  multipliers. The ReuseFactor only caps how many multipliers are shared.
* **Resource** reads the weights from a ROM (BRAM), so they are run-time data: no constant folding, every product is
  a generic multiplier. When a layer's ReuseFactor exceeds its input count (fc1: 64 > 16, fc3: 64 > 32), hls4ml indexes
  the accumulators at run time, so every accumulator can take any product in any cycle: the red *accumulator select*.
* One Resource layer switches the whole top function from PIPELINE to **DATAFLOW**: the arrays between layers become
  ping-pong buffers with handshakes (the *top level* column).
"""),
("code", "breakdown_figure(answer)"),
("md", """
### The rule of thumb it teaches

One layer's LUTs against its ReuseFactor, the rest of the design unchanged. Resource is cheap up to RF = n_in and jumps
right after it, where the accumulator index becomes run-time; Latency's constant folding makes it pay in adder trees
instead, whatever the RF. **With Resource, keep ReuseFactor <= n_in**, and use it for large layers that Latency
cannot unroll (over ~4096 multiplications).
"""),
("code", "rf_rule_figure(answer)"),
("md", """
hlsnb also refuses what hls4ml would silently change: 64 is not a valid ReuseFactor for the 32x5 output layer (160
multiplications), and hls4ml would build it with 32. Asked for 64 everywhere, hlsnb names the layer and the valid values:
"""),
("code", """
trial = answer.designs["Latency"].copy()
try:
    trial.set_all(strategy="Resource", reuse_factor=64)
except ValueError as err:
    display(Markdown(f"**hlsnb refuses:** {err}"))
"""),
("md", """
## Part 2 · Your design on the PYNQ-Z2

The model saved by [01 · train](01_train.ipynb) and its design (the banner says what was picked up and what was made
here because an earlier notebook has not run).
"""),
("code", """
from hlsnb.project import Project, file_link
from hlsnb.widgets import Explorer

project = Project(notebook="02_strategy_and_reuse")
model, design, data = project.current()
project.banner()
""", IGNORE),
("md", """
### Explore it

Change a layer's Strategy or ReuseFactor: the menu offers only values hls4ml keeps as given, and the plot, the line
**Now** (always the latest estimate) and the explanation follow at once. Pick a layer in *explain* (or click its bar)
for its itemized breakdown. **Pin as A** keeps the current design as grey ghost bars and a difference table, so every
later change (B) is compared with it; the run history lists every estimate. The plot's resource axis stops at 200 %:
a taller column says its real total at the top.
"""),
("code", """
explorer = Explorer(design)
explorer.model = model  # lets Load read an hls4ml config of this model
explorer.pin("A (as picked up)")
explorer
"""),
("md", """
### Fit to board

Which per-layer Strategy and ReuseFactor give the lowest latency with every resource under 80 % of the PYNQ-Z2? The
search asks the estimator a few hundred times (well under a second) and verifies its answer. For a board it considers
the strategies the board's flow (hls4ml's VivadoAccelerator backend) builds: Latency and Resource. The report compares the
result with the design as it was (A): every change with its real effect and why.
"""),
("code", """
result = explorer.fit_to_board(target=0.8)  # as the button does
result
""", IGNORE),
("md", "The same view, static (readable without a kernel): the fitted design B against the pinned A."),
("code", "explorer.plot.static()"),
("md", """
### Save the design for the next notebooks

Notebook 03 prunes this design's model and 04 builds this design. The hls4ml config is written too, for use without
hlsnb (`hls4ml.converters.convert_from_keras_model(model, hls_config=...)`).
"""),
("code", """
saved = project.save_design(explorer.design, note=explorer.last_fit.summary().split("\\n")[0]
                            if explorer.last_fit and explorer.last_fit.fits else "chosen in the explorer")
config = explorer.save(str(project.root / "design_hls4ml.json"), kind="hls4ml")
HTML(f"Design saved: {file_link(saved)}<br>hls4ml config: {file_link(config)}")
""", IGNORE),
("md", """
Next: [03 · DSP-aware pruning](03_dsp_aware_pruning.ipynb) prunes the model for fewer DSPs, or go straight to
[04 · synthesise](04_synthesise.ipynb) to build this design. Previous: [01 · train](01_train.ipynb).
"""),
])
