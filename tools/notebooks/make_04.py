"""Source of notebooks/04_synthesise.ipynb (run from the repo root: python tools/notebooks/make_04.py)."""
# ruff: noqa: E501 - markdown cells keep their paragraphs on one line, as the notebook shows them
import sys

sys.path.insert(0, "tools")
from nbtools import write_notebook

IGNORE = ["nbval-ignore-output"]  # nbval runs these cells without comparing their output (tags: the user never sees them)

write_notebook("notebooks/04_synthesise.ipynb", [
("md", r"""
# 04 · Synthesise

Convert the design chosen in the earlier notebooks ([02](02_strategy_and_reuse.ipynb) fitted it to the board,
[03](03_dsp_aware_pruning.ipynb) may have pruned it) with hls4ml, check its C simulation against Keras, then build it
(where Vivado HLS / Vivado exist), replay a stored build (where they do not), or carry on with estimates.
Every number below says what it is: **estimated** (hlsnb's model of the HLS report), **csynth** (HLS estimate from a
report), **vsynth** (Vivado post-synthesis), and **replay** when it comes from a stored report rather than a build
run here.
"""),
("code", r"""
import os
import plotly.io as pio
# figures also show in exported HTML (make html sets HLSNB_PLOTLY_RENDERER to embed plotly.js for offline reading)
pio.renderers.default = os.environ.get("HLSNB_PLOTLY_RENDERER", "plotly_mimetype+notebook_connected")
from hlsnb.synth import REPLAY_DIR, detect_mode

mode = detect_mode("VivadoAccelerator", replay=REPLAY_DIR)
mode
""", IGNORE),
("md", r"""
## The model and its design
The design saved by the earlier notebooks and the model its weights come from (the banner says what was picked up; run alone, this notebook trains the default model and uses hls4ml's default design, Latency at ReuseFactor 1). Then the check that decides whether a PYNQ-Z2 project is worth preparing: the Vivado post-synthesis estimate of every resource against the part.
"""),
("code", r"""
from hlsnb.design import Design
from hlsnb.fit import check_board
from hlsnb.project import Project, file_link, show

project = Project(notebook="04_synthesise")
model, design, data = project.current()
display(project.banner())
board_check = check_board(design)  # Vivado post-synthesis estimate against 100 % of the part
board_check
""", IGNORE),
("md", r"""
## hls4ml project and C simulation
`make_project` writes the VivadoAccelerator project (the PYNQ-Z2 bitstream flow) only when the check above says the design fits; otherwise it is refused, with the reason and the fix, and the C simulation runs on a plain Vivado HLS project of the same design. `check_csim` compiles the C simulation (5-7 s) and compares it with Keras. When they disagree it traces every layer and names the first one that departs, with its precision.
"""),
("code", r"""
import contextlib
import io

from IPython.display import HTML

from hlsnb.synth import check_csim, make_project

if board_check.fits:
    prj_dir, backend = "hlsnb_work/pynq_prj", "VivadoAccelerator"
else:
    prj_dir, backend = "hlsnb_work/04_csim_prj", "Vivado"
    display(HTML("<b>PYNQ-Z2 project refused</b> (the check above says why and what fixes it): C simulation "
                 "only, on a Vivado HLS project of the same design."))
with contextlib.redirect_stdout(io.StringIO()):  # hls4ml's conversion log (and its board/part notice) is noise here
    hls_model = make_project(design, model, prj_dir, backend=backend)
check = check_csim(hls_model, model, data.X_test, data.y_test)
show(check)
""", IGNORE),
("code", r"""
assert check.passed, check.summary()
print("C simulation agrees with Keras:", check.argmax_agreement >= 0.98)
"""),
("md", r"""
## Build, replay or estimate
With the tools, `run_build` streams the log below with a progress bar per stage and collects `<stem>.bit` + `<stem>.hwh`. Without them the stored build is replayed: its numbers are labelled **replay**, and they belong to the model it was built from (a dense 21-3-3 MLP, see `REPLAY_DIR/README.md`), not to the digits model.
"""),
("code", r"""
from hlsnb.estimate import estimate_design
from hlsnb.synth import replay_build, run_build

if mode.mode == "synth" and board_check.fits:
    build = run_build(prj_dir, synth=True, export=True, bitfile=True, stem="digits")
    built_design = design
elif mode.mode == "replay":
    build = replay_build(mode.replay_path)
    import keras
    keras.utils.set_random_seed(0)
    # the design the stored report was built from: dense 21-3-3, weights ap_fixed<8,1>, results ap_fixed<16,4>
    replayed = keras.Sequential([keras.Input((21,)), keras.layers.Dense(3, activation="relu", name="fc1"),
                                 keras.layers.Dense(3, activation="softmax", name="output")])
    built_design = Design.from_keras(replayed, board=None, part="xc7z007s-clg225-2", clock_ns=3.33,
                                     precision="ap_fixed<16,4>", backend="Vitis")
    for l in built_design.layers:
        if l.is_mult_layer:
            built_design.set(l.name, weight_precision="ap_fixed<8,1>")
else:
    build = None
    why = "the design will not fit the board (see above)" if mode.mode == "synth" else f"{mode.mode} mode"
    print(f"no build ({why}); the estimate of your design:")
    display(estimate_design(design))
if build:
    display(build.report())  # what it is, the design, tool and stage, and the file (relative; full path on hover)
""", IGNORE),
("md", r"""
## Estimate against the report
Per layer and in total, with the error of each (estimated − reported, and % of reported). **In replay mode this is not your design**: it is the stored build's own design (a dense 21-3-3 MLP on an xc7z007s), shown to say how the comparison reads once you build; its report is one of those the estimator was calibrated on, so these errors are in-sample. In estimate mode there is nothing to compare and the cell shows nothing.
"""),
("code", r"""
from hlsnb.synth import compare

if build is not None:
    comparison = compare(built_design, build.report("csynth"))
    show(comparison.summary())
    display(comparison.figure())
    display(comparison)
""", IGNORE),
("md", r"""
## Open synth: real post-synthesis counts without Vivado
Where `da4ml` and Yosys are installed (`make lab` / `make test` install them) the notebook is also in the **open synth**
mode: the distributed-arithmetic (DA) version of the model, every Dense layer a multiplier-free shift-add graph at
ReuseFactor 1, is written as Verilog by da4ml and synthesised by Yosys (`synth_xilinx -flatten` for the part's
family). DA suits narrow weights, so this version uses 8-bit weights (`ap_fixed<8,2>`). What Yosys's numbers are: an
open-source mapping to the FPGA's primitives (LUTs, carry chains, flip-flops), typically within tens of % of Vivado's
post-synthesis counts; **no timing closure and no bitstream**. The first run takes about 4-6 minutes (da4ml's trace,
then Yosys); runs are cached by content, so re-running is instant. The RTL here is combinational (no pipeline
registers), so FF is 0.
"""),
("code", r"""
from hlsnb.opensynth import check_rtl, da_version, open_synth
from hlsnb.synth.tools import detect_open_synth

open_mode = detect_open_synth()
display(open_mode)
da_design = da_version(design)
for l in da_design.layers:
    if l.is_mult_layer:
        da_design.set(l.name, weight_precision="ap_fixed<8,2>", bias_precision="ap_fixed<8,2>")
open_result = open_synth(da_design, model, "hlsnb_work/open_synth") if open_mode.mode == "open synth" else None
if open_result is not None:
    show(open_result)
""", IGNORE),
("md", r"""
### Yosys beside the estimates, and the RTL checked bit-exactly
The estimator's numbers for the same DA design, at both stages it models (csynth: what an HLS report would say;
vsynth: Vivado post-synthesis), next to Yosys's count (the DA estimate is calibrated on Yosys: about 4 % error over
the benchmark layers, docs/estimator.md). Then Verilator compiles the Verilog itself and runs it on the test set
(cast to the input precision, so every implementation sees the same bits). It must match, in every output bit:
da4ml's bit-exact model, and **hls4ml's C simulation of the same DA design** (`against="csim"`: the model converted
with `distributed_arithmetic`, io_parallel, ReuseFactor 1 and the same precisions, compiled; the logits before the
softmax are compared, since the RTL leaves the softmax out). hls4ml's DA pass takes the Keras weights as they are
(it ignores the weight precision), so the C simulation converts a copy whose weights are already at `ap_fixed<8,2>`:
the same logic as the RTL. The class is also compared with Keras and with the C simulation above (a different
design: 16-bit weights, Latency strategy).
"""),
("code", r"""
from hlsnb.estimate import estimate_design

if open_result is not None:
    rows = []
    for stage in ("csynth", "vsynth"):
        e = estimate_design(da_design, stage=stage)
        rows.append((f"hlsnb estimate ({stage})", e.total["lut"], "estimated"))
    rows.append(("da4ml's own cost model", open_result.rtl.trace.da4ml_lut, "estimated"))
    rows.append((f"Yosys ({open_result.report.tool})", open_result.report.model.lut, "open post-synthesis"))
    for what, lut, kind in rows:
        print(f"{what:32s} LUT {lut:>9,.0f}   [{kind}]")
    if open_mode.tools["verilator"].version:
        rtl_check = check_rtl(open_result.rtl, model, data.X_test, data.y_test, against="csim",
                              hls_model=hls_model)
        show(rtl_check)
""", IGNORE),
("md", r"""
## Learn from your builds
`recalibrate([(design, report), ...])` refits the estimator's modelled terms on your reports (together with the calibration rows shipped in the package), saves the refit to `~/.config/hlsnb/coefficients.json` and applies it, now and in every later session (estimates then say *fitted on: your builds*); `reset_calibration()` goes back to the shipped coefficients. Run it on your own builds:

```python
from hlsnb.synth import recalibrate, reset_calibration
print(recalibrate([(design, build.report())]))
# reset_calibration()
```
"""),
("md", r"""
## The PYNQ-Z2 project
The VivadoAccelerator project written above holds everything Vivado HLS 2019.2/2020.1 and Vivado need for the overlay; `run_build(..., bitfile=True)` collects the bitstream and hardware handoff under one stem, which PYNQ's `Overlay` requires.
"""),
("code", r"""
from pathlib import Path

from IPython.display import HTML

if board_check.fits:
    prj = Path(prj_dir)
    show(", ".join(sorted(p.name for p in prj.iterdir())))
    paths = {"project": prj}
    if build is not None and build.bitfile:
        paths.update(bitfile=build.bitfile, hwh=build.hwh)
        show(f"overlay: {build.bitfile} {build.hwh}")
    project.save_build(f"{backend} project of the design" + (", built" if mode.mode == "synth" else ""), **paths)
    display(HTML(f"PYNQ-Z2 project: {file_link(prj)}"))
else:
    display(HTML("<b>No PYNQ-Z2 project</b>:"), board_check)
""", IGNORE),
("md", r"""
Next: [05 · run on PYNQ](05_run_on_pynq.ipynb) runs this design (on the board, or its C simulation beside the projected FPGA timing). Previous: [03 · DSP-aware pruning](03_dsp_aware_pruning.ipynb).
"""),
])
