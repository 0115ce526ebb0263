"""Source of notebooks/00_index.ipynb and notebooks/01_train.ipynb (run from the repo root)."""
import sys
sys.path.insert(0, "tools")
from nbtools import write_notebook

IGNORE = ["nbval-ignore-output"]  # nbval runs these cells but does not compare their output (timings, paths)

write_notebook("notebooks/00_index.ipynb", [
("md", """
# hlsnb: from a Keras model to a PYNQ-Z2, in notebooks

One design is carried through the path: each notebook saves what it made (the trained model, the chosen design, the
pruned model, the build) in `hlsnb_work/project/`, and the next one picks it up and says so in a banner at its top.
Each notebook also runs alone: what is missing is made in a few seconds with a sensible default.

| notebook | what it does | estimate mode (no Vivado, no board) | replay mode | synth mode (Vivado present) | on the board |
|---|---|---|---|---|---|
| [01 · train](01_train.ipynb) | trains the 16-64-32-32-10 MLP on `digits10` (or the hls4ml jets with a network), optionally quantisation-aware (HGQ2); saves the model | runs fully | same | same | same |
| [02 · strategy and reuse](02_strategy_and_reuse.ipynb) | the seed question as charts: why Resource at ReuseFactor 64 can cost *more* LUTs than Latency; then your design: per-layer widgets, compare designs, fit to board; saves the design | runs fully (estimates) | same | same | - |
| [03 · DSP-aware pruning](03_dsp_aware_pruning.ipynb) | prunes your model for DSPs with a slider; accuracy against DSPs; pruning + ReuseFactor to fit the board; saves the pruned model | runs fully | same | same | - |
| [04 · synthesise](04_synthesise.ipynb) | your design in hls4ml: C-simulation check, build or replay, estimate against actual, the PYNQ-Z2 project (refused, with a fix, when it will not fit) | C simulation + estimates; says the build is skipped | a stored build report, labelled *replay* | runs Vivado HLS / Vivado, streams the log | - |
| [05 · run on PYNQ](05_run_on_pynq.ipynb) | runs your design: on the board, or the bit-accurate C simulation beside the estimated FPGA latency and throughput | software overlay, labelled *simulated off-board* | same | same | the real overlay through pynq's DMA |

**Modes.** `estimate`: neither Vivado/Vitis nor a stored build; every resource number is an *HLS estimate by hlsnb*.
`replay`: a stored build directory or report is shown as if just built, labelled *replay*. `synth`: the tools are on
`PATH` and builds really run. On a PYNQ board (pynq installed, `/dev/xclmgmt`-style device present) notebook 05 uses the
real overlay. The cell below tells which mode this machine is in for the PYNQ-Z2 flow (the one 04 uses).
"""),
("code", """
from html import escape

from IPython.display import HTML

from hlsnb.cli import doctor_report
from hlsnb.synth import REPLAY_DIR, detect_mode

rows = "".join(f"<tr><td>{ {True: 'ok', False: 'BAD', None: '-'}[r['ok']]}</td><td>{escape(r['component'])}</td>"
               f"<td>{escape(r['found'] or 'not found')}</td><td>{escape(r['note'])}</td></tr>" for r in doctor_report())
mode = detect_mode("VivadoAccelerator", replay=REPLAY_DIR)  # the same question notebook 04 asks
HTML(f"<table><tr><th></th><th>component</th><th>found</th><th>note</th></tr>{rows}</table>"
     f"<p><b>mode {escape(mode.mode)}</b>: {escape(mode.message)}</p>")
""", IGNORE),
("md", "Start with [01 · train](01_train.ipynb)."),
])

write_notebook("notebooks/01_train.ipynb", [
("md", """
# 01 · Train the network

The hls4ml tutorial's network shape: 16 inputs, three ReLU layers of 64, 32 and 32 neurons, a softmax over the
classes. We train it on `digits10`: scikit-learn's handwritten digits, all 10 classes, PCA to 16 features (offline, ships
with scikit-learn). It is hard enough that the network does not reach 100 %, so pruning and precision choices later show
a real accuracy cost. Set the environment variable `HLSNB_DATASET=jets` to use the hls4ml LHC jet data set instead (it
needs a network the first time).

Everything is seeded: the same run gives the same model. Previous: [00 · index](00_index.ipynb).
"""),
("code", """
import os

import plotly.graph_objects as go
import plotly.io as pio

from hlsnb.data import DEFAULT_DATASET, load_dataset
from hlsnb.project import Project, file_link
from hlsnb.train import accuracy, build_mlp, fit

# figures also show in exported HTML (make html sets HLSNB_PLOTLY_RENDERER to embed plotly.js for offline reading)
pio.renderers.default = os.environ.get("HLSNB_PLOTLY_RENDERER", "plotly_mimetype+notebook_connected")
project = Project(notebook="01_train")
DATASET = os.environ.get("HLSNB_DATASET", DEFAULT_DATASET)
try:
    data = load_dataset(DATASET)
except RuntimeError as err:
    print(f"{DATASET}: {err}\\nusing {DEFAULT_DATASET} instead")
    data = load_dataset(DEFAULT_DATASET)
data
"""),
("md", "## Train, with a progress bar"),
("code", """
model = build_mlp(n_in=data.n_features, n_out=data.n_classes, seed=0)
history = fit(model, data, epochs=30, seed=0)
model.summary()
""", IGNORE),
("code", """
fig = go.Figure()
for key, name in (("accuracy", "train"), ("val_accuracy", "test")):
    fig.add_scatter(y=history.history[key], name=name, mode="lines")
fig.update_layout(title="Keras accuracy per epoch (measured)", xaxis_title="epoch", yaxis_title="accuracy",
                  yaxis_tickformat=".0%", height=320, margin=dict(t=50, b=40))
fig
"""),
("md", "## How good is it? Accuracy and the confusion matrix (Keras, floating point)"),
("code", """
from sklearn.metrics import confusion_matrix

probs = model.predict(data.X_test, verbose=0)
acc = accuracy(probs, y=data.y_test)
cm = confusion_matrix(data.y_test, probs.argmax(1))
print(f"Keras test accuracy (measured, float): {acc:.1%} on {len(data.y_test)} test samples")
go.Figure(go.Heatmap(z=cm, x=data.classes, y=data.classes, colorscale="Blues", text=cm, texttemplate="%{text}",
                     colorbar=dict(title="samples")),
          layout=dict(title=dict(text="Confusion matrix (test samples)", x=0.02), height=460, width=520,
                      margin=dict(t=50, l=70, b=60), xaxis=dict(title="predicted class", type="category"),
                      yaxis=dict(title="true class", type="category", autorange="reversed")))
"""),
("md", """
## Optional: quantisation-aware training with HGQ2

With the `[qat]` extra installed, HGQ2 learns a bit width for every weight and activation while it trains, and hls4ml
converts the result bit-exactly (no precision to choose by hand). Skipped, and said so, when HGQ2 is absent. The rest
of the path carries the floating-point model above.
"""),
("code", """
from IPython.display import HTML

from hlsnb.train import build_qat_mlp, qat_available

if qat_available():
    qmodel = build_qat_mlp(n_in=data.n_features, n_out=data.n_classes, seed=0)
    fit(qmodel, data, epochs=20, seed=0, from_logits=True, progress=False)
    print(f"QAT Keras test accuracy (measured): {accuracy(qmodel, data.X_test, data.y_test):.1%}")
    qpath = project.root / f"{data.name}_qat_mlp.keras"
    qpath.parent.mkdir(parents=True, exist_ok=True)
    qmodel.save(qpath)
    display(HTML("QAT model saved: " + file_link(qpath)))
else:
    print("HGQ2 is not installed: quantisation-aware training skipped (pip install 'hlsnb[qat]')")
""", IGNORE),
("md", "## Save for the next notebooks"),
("code", """
path = project.save_model(model, data, acc)
display(HTML(f"Model saved ({path.stat().st_size // 1024} KiB): {file_link(path)}; the next notebooks pick it up."))
""", IGNORE),
("md", "Next: [02 · strategy and reuse](02_strategy_and_reuse.ipynb), the seed question and your design on the PYNQ-Z2."),
])
