"""Source of notebooks/00_index.ipynb and notebooks/01_train.ipynb (run from the repo root)."""
import sys
sys.path.insert(0, "tools")
from nbtools import write_notebook

write_notebook("notebooks/00_index.ipynb", [
("md", """
# hlsnb: from a Keras model to a PYNQ-Z2, in notebooks

| notebook | what it does | estimate mode (no Vivado, no board) | replay mode | synth mode (Vivado present) | on the board |
|---|---|---|---|---|---|
| [01_train](01_train.ipynb) | trains the 16-64-32-32-5 MLP on `digits16` (or the hls4ml jets with a network), optionally quantisation-aware (HGQ2), saves it | runs fully | same | same | same |
| [02_strategy_and_reuse](02_strategy_and_reuse.ipynb) | the seed question: why Resource at ReuseFactor 64 uses *more* LUTs than Latency; per-layer widgets, estimator plots against the board, fit-to-board | runs fully (estimates) | draws a stored report beside the estimate | same, with your own reports | - |
| [03_dsp_aware_pruning](03_dsp_aware_pruning.ipynb) | DSP-aware pruning on Keras 3 with a slider; accuracy against DSPs; C simulation of the pruned model | runs fully | same | same | - |
| [04_synthesise](04_synthesise.ipynb) | hls4ml project, bit-accurate C-simulation check, build, estimate against actual, PYNQ-Z2 project | C simulation + estimates; says the build is skipped | loads a stored build report, labelled *replay* | runs Vivado HLS / Vivado, streams the log | - |
| [05_run_on_pynq](05_run_on_pynq.ipynb) | loads the deployment bundle and runs the network | software overlay (the bit-accurate C simulation), labelled *simulated off-board* | same | same | the real overlay through pynq's DMA |

Each notebook also runs alone: it trains or loads what it needs in a few seconds when the earlier ones have not run.

**Modes.** `estimate`: neither Vivado/Vitis nor a stored build; every resource number is an *HLS estimate by hlsnb*.
`replay`: a stored build directory or report is shown as if just built, labelled *replay*. `synth`: the tools are on
`PATH` and builds really run. On a PYNQ board (pynq installed, `/dev/xclmgmt`-style device present) notebook 05 uses the
real overlay. The cell below tells which mode this machine is in.
"""),
("code", """
from hlsnb.cli import doctor_report
from hlsnb.synth.tools import detect_mode

for row in doctor_report():
    mark = {True: "ok ", False: "BAD", None: " - "}[row["ok"]]
    print(f"{mark} {row['component']:<12} {row['found'] or 'not found':<14} {row['note']}")
mode = detect_mode()
print(f"\\nmode {mode.message}")
"""),
])

write_notebook("notebooks/01_train.ipynb", [
("md", """
# 01 · Train the network

The hls4ml tutorial's network: 16 inputs, three ReLU layers of 64, 32 and 32 neurons, a 5-class softmax. We train it on
`digits16` (scikit-learn's digits 0-4, PCA to 16 features; offline, ships with scikit-learn). Set the environment
variable `HLSNB_DATASET=jets` to use the hls4ml LHC jet data set instead (it needs a network the first time).

Everything is seeded: the same run gives the same model.
"""),
("code", """
import os
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

import hlsnb
from hlsnb.data import load_dataset
from hlsnb.train import accuracy, build_mlp, fit

# figures also show in exported HTML (make html sets HLSNB_PLOTLY_RENDERER to embed plotly.js for offline reading)
pio.renderers.default = os.environ.get("HLSNB_PLOTLY_RENDERER", "plotly_mimetype+notebook_connected")
WORK = Path("hlsnb_work")
WORK.mkdir(exist_ok=True)
DATASET = os.environ.get("HLSNB_DATASET", "digits16")
try:
    data = load_dataset(DATASET)
except RuntimeError as err:
    print(f"{DATASET}: {err}\\nusing digits16 instead")
    data = load_dataset("digits16")
data
"""),
("md", "## Train, with a progress bar"),
("code", """
model = build_mlp(n_in=data.n_features, n_out=data.n_classes, seed=0)
history = fit(model, data, epochs=30, seed=0)
model.summary()
"""),
("code", """
fig = go.Figure()
for key, name in (("accuracy", "train"), ("val_accuracy", "test")):
    fig.add_scatter(y=history.history[key], name=name, mode="lines")
fig.update_layout(title="Keras accuracy per epoch (measured)", xaxis_title="epoch", yaxis_title="accuracy",
                  height=320, width=640)
fig
"""),
("md", "## How good is it? Accuracy and the confusion matrix (Keras, floating point)"),
("code", """
from sklearn.metrics import confusion_matrix

probs = model.predict(data.X_test, verbose=0)
acc = accuracy(probs, y=data.y_test)
cm = confusion_matrix(data.y_test, probs.argmax(1))
print(f"Keras test accuracy (measured, float): {acc:.3f} on {len(data.y_test)} samples")
go.Figure(go.Heatmap(z=cm, x=data.classes, y=data.classes, colorscale="Blues", text=cm, texttemplate="%{text}"),
          layout=dict(title="confusion matrix (rows: true class, columns: predicted)", height=360, width=420,
                      yaxis=dict(autorange="reversed")))
"""),
("md", """
## Optional: quantisation-aware training with HGQ2

With the `[qat]` extra installed, HGQ2 learns a bit width for every weight and activation while it trains, and hls4ml
converts the result bit-exactly (no precision to choose by hand). Skipped, and said so, when HGQ2 is absent.
"""),
("code", """
from hlsnb.train import build_qat_mlp, qat_available

if qat_available():
    qmodel = build_qat_mlp(n_in=data.n_features, n_out=data.n_classes, seed=0)
    fit(qmodel, data, epochs=20, seed=0, from_logits=True)
    print(f"QAT Keras test accuracy (measured): {accuracy(qmodel, data.X_test, data.y_test):.3f}")
    qmodel.save(WORK / "digits16_qat_mlp.keras")
else:
    print("HGQ2 is not installed: quantisation-aware training skipped (pip install 'hlsnb[qat]')")
"""),
("md", "## Save for the next notebooks"),
("code", """
path = WORK / "digits16_mlp.keras"
model.save(path)
print(f"saved {path} ({path.stat().st_size // 1024} KiB); next: 02_strategy_and_reuse.ipynb")
"""),
])
