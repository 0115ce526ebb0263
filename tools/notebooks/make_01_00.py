"""Source of notebooks/01_train.ipynb (run from the repo root; 00_index: make_00.py)."""
import sys
sys.path.insert(0, "tools")
from nbtools import write_notebook

IGNORE = ["nbval-ignore-output"]  # nbval runs these cells but does not compare their output (timings, paths)

write_notebook("notebooks/01_train.ipynb", [
("md", """
# 01 · Train the forum's network: quantization-aware, 6 bits, 75 % of the weights at zero

The network that asked hlsnb's seed question ("Resource at ReuseFactor 64 used *more* LUTs than Latency") is the hls4ml
tutorial's part-4 `model_3`: 16 inputs, ReLU layers of 64, 32 and 32 neurons, 5 outputs and a softmax; **6-bit weights
and biases** (`ap_fixed<6,1>`), **6-bit quantized ReLUs** (`ap_ufixed<6,0>`) and **75 % of its weights pruned to
zero**. This notebook trains that network here:

* on `digits16`: scikit-learn's handwritten digits 0-4, PCA to 16 features (offline, ships with scikit-learn), the
  tutorial's shape (16 inputs, 5 classes). `HLSNB_DATASET=jets` uses the hls4ml LHC jet data set instead (it needs a
  network the first time);
* quantization-aware with HGQ2's fixed quantizers of the tutorial's types (the tutorial used QKeras, which does not run
  on Keras 3; hls4ml converts HGQ2 bit-exactly);
* pruned as the tutorial prunes: every Dense layer to 75 % zeros by weight magnitude, along a polynomial schedule
  (hlsnb.prune's masks and schedule).

Everything is seeded. This notebook runs alone; the next ones pick its model up. Previous: [00 · index](00_index.ipynb).
"""),
("code", """
import os

import plotly.graph_objects as go
import plotly.io as pio
from IPython.display import HTML

from hlsnb.data import DEFAULT_DATASET, load_dataset
from hlsnb.forum import PUBLIC_ZEROS, csim_check, forum_design, train_forum_mlp, zero_counts
from hlsnb.project import Project, file_link, show

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
("md", "## Train and prune, with a progress bar (about half a minute on 2 cores)"),
("code", """
model = train_forum_mlp(data, epochs=30, seed=0)
info = model.forum_info
print(f"trained in {info['seconds']:.0f} s (measured); Keras test accuracy {100 * info['keras_test_accuracy']:.1f} % "
      f"on {len(data.y_test):,} test rows")
""", IGNORE),
("md", """
## Is it the forum's design?

The forum's hls4ml configuration on this model's weights, beside the public build of the tutorial's model (its weight
files, `../shared/calibration/reports3.csv`): the same sizes and types, and close to the same number of zero weights in
every layer. The weight and ReLU types are this model's, as hls4ml converts them; the Dense accumulators and results
are the forum's: its config says `auto`, which hls4ml infers wide enough for every product and the bias. (hls4ml's own
conversion of this HGQ2 model would pick narrower ones, HGQ2's minimal widths: `hlsnb.forum.hgq_design(model)`; 02
shows what they change.)
"""),
("code", """
# NBVAL_CHECK_OUTPUT
design = forum_design(model)
mine = zero_counts(design)
print(f"{'layer':<7}{'weights':>8}{'zeros here':>16}{'public build':>16}  {'weight type':<14}accumulator, result")
for name, (z, n) in mine.items():
    pz, pn = PUBLIC_ZEROS[name]
    spec = design.layer(name)
    print(f"{name:<7}{n:>8,}{z:>7,}{100 * z / n:>7.1f} %{pz:>7,}{100 * pz / pn:>7.1f} %  {spec.weight_precision:<14}"
          f"{spec.accum_precision}")
relus = sorted({l.result_precision for l in design.layers if l.layer_type == "Activation"})
show(f"ReLU outputs: {', '.join(relus)}; input {design.layers[0].result_precision}; Strategy "
     f"{design.layer('fc1').strategy}, ReuseFactor {design.layer('fc1').reuse_factor} ({design.backend}, "
     f"{design.board}, Vivado HLS {design.tool_version})")
"""),
("md", """
## Does hls4ml compute what Keras computes? The C simulation

About a minute the first time: hls4ml writes the project and g++ compiles it (a rerun with the same trained model
reuses the compiled library, and says so). hls4ml's C simulation is the bit-accurate C++ model of
the FPGA design, here with the forum's types (hls4ml's conversion of an HGQ2 model picks its own types, so `csim_check`
puts the design's on the converted model before it compiles; it says which). The forum's accumulators are wide enough
for every sum, so the values before the softmax are bit-exact with Keras; the softmax itself is hls4ml's lookup-table
approximation, so the two can disagree on a class only where two classes are nearly tied.
"""),
("code", """
check = csim_check(model, data, design, output_dir=str(project.root.parent / "01_csim"))
show(check)
show("types put on hls4ml's conversion: " + "; ".join(f"{name} {kind} {was} -> {now}" for name, kinds in
                                                        check.retyped.items() for kind, (was, now) in kinds.items()))
""", IGNORE),
("md", "## Where it errs: the confusion matrix (Keras, test rows)"),
("code", """
from sklearn.metrics import confusion_matrix

probs = model.predict(data.X_test, verbose=0)
cm = confusion_matrix(data.y_test, probs.argmax(1))
go.Figure(go.Heatmap(z=cm, x=data.classes, y=data.classes, colorscale="Blues", text=cm, texttemplate="%{text}",
                     colorbar=dict(title="rows")),
          layout=dict(title=dict(text=f"Confusion matrix, {len(data.y_test):,} test rows (Keras, measured)", x=0.02),
                      height=460, width=520, margin=dict(t=50, l=70, b=60),
                      xaxis=dict(title="predicted class", type="category"),
                      yaxis=dict(title="true class", type="category", autorange="reversed")))
"""),
("md", "## Hand it to the next notebooks"),
("code", """
path = project.save_model(model, data, check.keras_accuracy,
                          note=f"the forum's design ({info['bits']}-bit, {100 * info['sparsity']:.0f} % zeros) trained "
                               f"on {data.name}: Keras {100 * check.keras_accuracy:.1f} %, C simulation "
                               f"{100 * check.csim_accuracy:.1f} %")
display(HTML(f"Model saved ({path.stat().st_size // 1024:,} KiB): {file_link(path)}; the next notebooks pick it up."))
""", IGNORE),
("md", "Next: [02 · strategy and reuse](02_strategy_and_reuse.ipynb): why Resource at ReuseFactor 64 cost this design "
       "*more* LUTs than Latency."),
])
