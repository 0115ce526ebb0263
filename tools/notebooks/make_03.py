"""Source of notebooks/03_dsp_aware_pruning.ipynb (run from the repo root: python tools/notebooks/make_03.py)."""
# ruff: noqa: E501 - markdown cells keep their paragraphs on one line, as the notebook shows them
import sys

sys.path.insert(0, "tools")
from nbtools import write_notebook

IGNORE = ["nbval-ignore-output"]  # nbval runs these cells without comparing their output (tags: the user never sees them)

write_notebook("notebooks/03_dsp_aware_pruning.ipynb", [
("md", r"""
# 03 · Pruning until it fits the PYNQ-Z2

The forum's network (trained in [01](01_train.ipynb), its strategy question answered in [02](02_strategy_and_reuse.ipynb)) was pruned to 75 % zeros, as the hls4ml tutorial does. Why 75 %? This notebook takes **the same network unpruned** and asks: how far must it be pruned before the fully parallel design (Latency strategy, ReuseFactor 1: every weight its own multiplier, every zero weight one multiplier less) fits the PYNQ-Z2, judged by the Vivado post-synthesis estimate, and what does that cost in accuracy?

It prunes the way hls4ml's DSP-aware pruning does, natively on Keras 3 (`hlsnb.prune`; hls4ml's own `dsp_aware_pruning` no longer runs on Keras 3): an objective says which weights each layer should lose and what that saves, a knapsack keeps the most important weights within the budget, and the model is fine-tuned with the pruning masks enforced (pruned weights stay exactly zero).

Every accuracy below is measured by Keras; every resource number is an **estimate by hlsnb** and says its stage (HLS csynth estimate or Vivado post-synthesis estimate).
"""),
("code", r"""
import os
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import tensorflow as tf
from IPython.display import HTML

# figures also show in exported HTML (make html sets HLSNB_PLOTLY_RENDERER to embed plotly.js for offline reading)
pio.renderers.default = os.environ.get("HLSNB_PLOTLY_RENDERER", "plotly_mimetype+notebook_connected")
tf.get_logger().setLevel("ERROR")  # its tf.function retracing advice is about Keras internals, not this model

from hlsnb.estimate import estimate_design
from hlsnb.fit import fit_table
from hlsnb.project import Project, file_link, show
from hlsnb.prune import Budget, plan_pruning, prune
from hlsnb.train import accuracy

from hlsnb.forum import forum_design, train_forum_mlp

project = Project(notebook="03_dsp_aware_pruning")
carried_model, carried, data = project.current()  # what the earlier notebooks handed over (75 % pruned in 01)
display(project.banner())
# the same network, trained the same way (quantization-aware, 6-bit) but not pruned: 20-40 s, kept for reruns
import hgq  # noqa: F401  (registers the quantization-aware layers Keras reads back)
import keras

from hlsnb.fileio import atomic_path

unpruned_file = Path("hlsnb_work/03_forum_unpruned.keras")
if unpruned_file.exists():
    model = keras.models.load_model(unpruned_file)
    print(f"the unpruned network: {unpruned_file} (trained by an earlier run; delete it to train again)")
else:
    model = train_forum_mlp(data, sparsity=0.0, epochs=15, seed=0, progress=False)
    with atomic_path(unpruned_file) as tmp:
        model.save(tmp)
""", IGNORE),
("md", r"""
## Held-out rows for the tolerance, and the starting point
Pruning stops a step when accuracy drops by more than a tolerance. That tolerance must be checked on rows the model **never trained on**: on its own training rows the network scores close to 100 % and no drop shows until far too late. So the test split is cut in two fixed halves: the *validation* half decides the tolerance, the *test* half reports the accuracy (neither is used for fine-tuning).

Pruning is judged on the fully parallel design: Latency strategy, ReuseFactor 1, where every weight is its own multiplier and every zero weight removes one. The first table says whether the unpruned network fits, one column per stage, with the binding resource named.
"""),
("code", r"""
rng = np.random.default_rng(0)
order = rng.permutation(len(data.X_test))
val_rows, test_rows = order[: len(order) // 2], order[len(order) // 2:]
X_val, y_val = data.X_test[val_rows], data.y_test[val_rows]
X_te, y_te = data.X_test[test_rows], data.y_test[test_rows]
train_and_test = (data.X_train, data.y_train, X_te, y_te)
print(f"{len(data.X_train):,} training rows (fine-tuning), {len(X_val):,} validation rows (tolerance), "
      f"{len(X_te):,} test rows (reported accuracy)")

design = forum_design(model)  # the forum's types (6-bit weights, 6-bit ReLUs), then fully parallel
design.set_all(strategy="Latency", reuse_factor=1)
acc0 = accuracy(model, X_te, y_te)
zeros0 = sum(l.n_zeros for l in design.layers if l.is_mult_layer) / sum(l.n_weights for l in design.layers if l.is_mult_layer)
print(f"unpruned: Keras test accuracy {acc0:.1%}, {zeros0:.0%} of the weights already zero")
display(fit_table(design))
""", IGNORE),
("md", r"""
## Which resource to prune for
hls4ml's DSP-aware pruning counts DSPs. Its objective is asked first, about every Dense layer; then the one that matches what binds here. With 6-bit weights every multiplication is built from LUTs (a DSP slice is used from about 9-bit operands on), so the DSP objective has nothing to prune and says why, and the binding resource above is LUT: each nonzero weight is a LUT multiplier at Latency, so the objective that counts weights (`"parameters"`, one group per weight) is the one that frees LUTs.
"""),
("code", r"""
try:
    plan_pruning(model, design, "dsp")
except ValueError as err:
    display(HTML(f"<p style='color:#555'>Note: {err}</p>"))
plan = plan_pruning(model, design, "parameters")
for row in plan.rows():
    print(f"{row['layer']:8} {row['structure']:13} {row['groups']:6,} groups, {row['resources'][0]:7,.0f} weights"
          + ("" if row["pruned"] else f"  not pruned: {row['reason']}"))
OBJECTIVE = "parameters"
""", IGNORE),
("md", r"""
## Prune until it fits: 50 %, the forum's 75 %, and beyond
Each target is pruned from the unpruned model in 3 steps of a polynomial schedule with a short fine-tune, keeping a step only while the validation accuracy stays within 3 points (about 3 of the validation rows: this data set is small) of the unpruned model's, or of the same short fine-tune without pruning where that scores lower: hlsnb's default reference, so that pruning is not charged for what the fine-tune alone loses (one fine-tune more per target; `reference="model"` measures against the unpruned model only, as hls4ml does). After each, the pruned design is asked the one question: does it fit the PYNQ-Z2 (Vivado post-synthesis estimate)? Every target is shown; the least pruned design that fits is the one handed on. What the pruner has to say (a tolerance that stopped a schedule early, a layer whose values leave their type) is shown as a note under the table. About a minute per target on 2 cores.
"""),
("code", r"""
TARGETS = (0.5, 0.75, 0.9)
EPOCHS = int(os.environ.get("HLSNB_PRUNE_EPOCHS", "2"))
runs, notes = [], []
for target in TARGETS:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pruned_t, rep = prune(model, design, OBJECTIVE, train_and_test, target=target, scheduler="polynomial",
                              epochs=EPOCHS, tolerance=0.03, validation=(X_val, y_val), csim=False, progress=False)
    notes += [f"target {target:.0%}: {w.message}" for w in caught if issubclass(w.category, UserWarning)]
    table = fit_table(rep.design)
    layers = [l for l in rep.design.layers if l.is_mult_layer]
    runs.append(dict(target=target, model=pruned_t, report=rep, table=table,
                     zeros=sum(l.n_zeros for l in layers) / sum(l.n_weights for l in layers)))

t0 = fit_table(design)
STATUS = {"done": "target reached", "stopped": "stopped by the tolerance", "unpruned": "no step kept"}
rows = "".join(
    f"<tr><td>{r['target']:.0%}</td><td>{r['zeros']:.1%}</td><td>{STATUS.get(r['report'].status, r['report'].status)}</td>"
    f"<td>{r['report'].keras_accuracy_after:.1%}</td><td>{100 * (r['report'].keras_accuracy_after - acc0):+.1f}</td>"
    + "".join(f"<td>{r['table'].column(stage).pct['lut']:,.1f}%</td>" for stage in ("HLS csynth", "Vivado post"))
    + "".join(f"<td>{r['table'].column('Vivado post-synthesis').pct[k]:,.1f}%</td>" for k in ("dsp", "ff"))
    + f"<td>{r['table'].binding.upper()}</td><td><b>{'fits' if r['table'].fits else 'does not fit'}</b></td></tr>"
    for r in runs)
display(HTML(
    "<table><thead><tr><th>target (share of weights removed)</th><th>zero weights</th><th>schedule</th>"
    "<th>Keras test accuracy</th><th>change (points)</th><th>LUT, HLS csynth estimate</th>"
    "<th>LUT, Vivado post-synthesis estimate</th><th>DSP (post-synthesis)</th><th>FF (post-synthesis)</th>"
    "<th>binding</th><th>PYNQ-Z2 (Vivado post-synthesis estimate)</th></tr></thead><tbody>"
    f"<tr><td>unpruned</td><td>{zeros0:.1%}</td><td></td><td>{acc0:.1%}</td><td></td>"
    + "".join(f"<td>{t0.column(stage).pct['lut']:,.1f}%</td>" for stage in ("HLS csynth", "Vivado post"))
    + "".join(f"<td>{t0.column('Vivado post-synthesis').pct[k]:,.1f}%</td>" for k in ("dsp", "ff"))
    + f"<td>{t0.binding.upper()}</td><td><b>{'fits' if t0.fits else 'does not fit'}</b></td></tr>{rows}</tbody></table>"
    + "".join(f"<p style='color:#555'>Note: {n}</p>" for n in notes)))
fitting = [r for r in runs if r["table"].fits]
chosen = fitting[0] if fitting else runs[-1]
print(f"handed on: {chosen['zeros']:.0%} zero weights, " + ("the least pruned design that fits" if fitting
      else "the most pruned, which still does not fit (fit to board below)"))
""", IGNORE),
("md", r"""
For comparison, the network 01 handed over, pruned to 75 % *during* training as the hls4ml tutorial does, at the same fully parallel settings:
"""),
("code", r"""
carried_rf1 = carried.copy()
carried_rf1.set_all(strategy="Latency", reuse_factor=1)
ct = fit_table(carried_rf1)
show(f"01's network: Keras test accuracy {accuracy(carried_model, X_te, y_te):.1%}; "
     f"{ct.columns[-1].verdict(ct.device)}")
""", IGNORE),
("md", r"""
The trade-off as a picture: accuracy against the post-synthesis LUT share of the part (the binding resource of a fully parallel design), one point per target.
"""),
("code", r"""
pv = [r["table"].column("Vivado post-synthesis").pct["lut"] for r in runs]
fig = go.Figure()
fig.add_scatter(x=pv, y=[100 * r["report"].keras_accuracy_after for r in runs], mode="markers+lines+text",
                text=[f"{r['zeros']:.0%} zeros" for r in runs], textposition="middle right",
                name="pruned + fine-tuned", marker={"size": 9})
fig.add_scatter(x=[fit_table(design).column("Vivado post-synthesis").pct["lut"]], y=[100 * acc0],
                mode="markers+text", text=["unpruned"], textposition="middle left", name="unpruned",
                marker={"symbol": "x", "size": 11})
fig.add_vline(x=100, line_dash="dot", annotation_text="all LUTs of the PYNQ-Z2", annotation_position="top left")
fig.update_layout(xaxis_title="LUTs, % of the PYNQ-Z2 (Vivado post-synthesis estimate)",
                  yaxis_title="Keras test accuracy (%)", height=380, margin={"r": 120})
fig
""", IGNORE),
("md", r"""
## Or pick the point with the slider
Moving the slider shows at once the estimated resources of that target (current weights masked one-shot, no training). The button fine-tunes for that target (with the same validation rows, about a minute) and adds the point to the plot, keeping the earlier ones.
"""),
("code", r"""
from hlsnb.widgets import PruningSlider

slider = PruningSlider(model, design, train_and_test, OBJECTIVE,
                       prune_kwargs=dict(epochs=EPOCHS, csim=False, validation=(X_val, y_val), tolerance=0.03))
slider.target = chosen["target"]
slider
""", IGNORE),
("code", r"""
slider.static()  # the same trade-off plot, static: readable without a kernel
""", IGNORE),
("md", r"""
A budget works too: "at most N" in the objective's count (here: nonzero weights). A budget below what any pruning can reach is refused before any training, with the reason:
"""),
("code", r"""
from IPython.display import Markdown

try:
    prune(model, design, OBJECTIVE, train_and_test, target=Budget(0), progress=False)
except ValueError as err:
    display(Markdown(f"**{type(err).__name__}:** {err}"))
""", IGNORE),
("md", r"""
## The chosen pruned model in hls4ml C simulation
The pruned model is converted with its design and compiled (`compile_csim`: hls4ml's `compile()`, except that a rerun whose generated C++ and compiler flags are unchanged loads the library compiled before, cached by content); its C simulation must pick the same class as Keras on (almost) every test row.
"""),
("code", r"""
import contextlib
import io

from hlsnb.synth import compile_csim

pruned, report = chosen["model"], chosen["report"]
with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():  # hls4ml's conversion log: noise here
    warnings.simplefilter("ignore", UserWarning)
    hm = report.design.convert(pruned, output_dir="hlsnb_work/03_pruned_check")
    seconds = compile_csim(hm)
print(f"C simulation: compiled in {seconds:.0f} s" if seconds else
      "C simulation: the library compiled by an earlier run from the same C++ (cached by content)")
y_keras, y_hls = pruned.predict(np.ascontiguousarray(X_te), verbose=0), hm.predict(np.ascontiguousarray(X_te))
agreement = np.mean(y_keras.argmax(1) == y_hls.argmax(1))
print(f"test accuracy: Keras {accuracy(y_keras, y=y_te):.1%}, hls4ml C simulation {accuracy(y_hls, y=y_te):.1%}; "
      f"the two pick the same class on {agreement:.1%} of {len(X_te):,} rows")
assert agreement >= 0.98
""", IGNORE),
("md", r"""
## Hand the pruned design on
The pruned model and its fully parallel design are saved as a new version for [04 · synthesise](04_synthesise.ipynb) (02's design stays in the project beside it, and 04 says which it picked up). When even the most pruned design does not fit, fit to board chooses a Strategy and ReuseFactor per layer *for the pruned weights* instead.
"""),
("code", r"""
from hlsnb.fit import BOARD_STRATEGIES, fit_to_board

final = report.design.copy()
if not chosen["table"].fits:
    fitted = fit_to_board(final, 0.8, strategies=BOARD_STRATEGIES, stage="vsynth")
    display(fitted)
    if fitted.fits:
        final = fitted.design
display(fit_table(final))
path = project.save_pruned(pruned, final, note=f"the unpruned network pruned to {chosen['zeros']:.0%} zero weights, "
                           f"Latency RF 1, Keras test "
                           f"accuracy {report.keras_accuracy_after:.1%} ({100 * (report.keras_accuracy_after - acc0):+.1f} points)"
                           + ("" if fit_table(final).fits else "; does not fit the PYNQ-Z2"))
HTML(f"Pruned model saved: {file_link(path)}")
""", IGNORE),
("md", r"""
A script written for hls4ml 1.3's `optimize_model` runs on Keras 3 after one extra line, `import hlsnb.compat.hls4ml; hlsnb.compat.hls4ml.install()`, which makes hls4ml's import path resolve to hlsnb's implementation (docs/pruning_migration.md, benchmarks/bench_pruning_vs_hls4ml.py).
"""),
("md", r"""
Next: [04 · synthesise](04_synthesise.ipynb) builds the pruned design. Previous: [02 · strategy and reuse](02_strategy_and_reuse.ipynb).
"""),
])
