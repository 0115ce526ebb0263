"""Source of notebooks/04_synthesise.ipynb (run from the repo root: python tools/notebooks/make_04.py)."""
# ruff: noqa: E501 - markdown cells keep their paragraphs on one line, as the notebook shows them
import sys

sys.path.insert(0, "tools")
from nbtools import write_notebook

IGNORE = ["nbval-ignore-output"]  # nbval runs these cells without comparing their output (tags: the user never sees them)

write_notebook("notebooks/04_synthesise.ipynb", [
("md", r"""
# 04 · Synthesise

Convert the design carried through the earlier notebooks (the forum's network: [02](02_strategy_and_reuse.ipynb)
answered the seed question on it, [03](03_dsp_aware_pruning.ipynb) pruned it until it fits the PYNQ-Z2) with hls4ml,
check its C simulation against Keras, then build it (where Vivado HLS / Vivado exist), replay the public builds of
this network (where they do not), or carry on with estimates.
Every number below says what it is: **estimated** (hlsnb's model of the HLS report), **csynth** (HLS estimate from a
report), **vsynth** (Vivado post-synthesis), and **replay** when it comes from a stored report rather than a build
run here.
"""),
("code", r"""
import os
import plotly.io as pio
# figures also show in exported HTML (make html sets HLSNB_PLOTLY_RENDERER to embed plotly.js for offline reading)
pio.renderers.default = os.environ.get("HLSNB_PLOTLY_RENDERER", "plotly_mimetype+notebook_connected")
from hlsnb.synth import FORUM_REPLAY_DIR, detect_mode

mode = detect_mode("VivadoAccelerator", replay=FORUM_REPLAY_DIR)  # replay: public builds of the forum's network
mode
""", IGNORE),
("md", r"""
## The model and its design
The design the earlier notebooks handed over and the model its weights come from (the banner says what was picked up and when; run alone, this notebook trains the forum's model and uses hls4ml's default design, Latency at ReuseFactor 1, and says so). Its estimate per layer, then whether it fits, one column per stage: the Vivado post-synthesis estimate is the one that decides whether a PYNQ-Z2 project is worth preparing.
"""),
("code", r"""
from hlsnb.design import Design
from hlsnb.estimate import estimate_design
from hlsnb.fit import check_board, fit_table
from hlsnb.project import Project, file_link, show

project = Project(notebook="04_synthesise")
model, design, data = project.current()
display(project.banner())
display(estimate_design(design))  # your design, per layer (HLS csynth estimate by hlsnb)
board_check = check_board(design)  # Vivado post-synthesis estimate against 100 % of the part; a fix when over
display(fit_table(design))
if not board_check.fits:
    display(board_check)
""", IGNORE),
("md", r"""
## hls4ml project and C simulation
`make_project` writes the VivadoAccelerator project (the PYNQ-Z2 bitstream flow) only when the check above says the design fits; otherwise it is refused, with the reason and the fix, and the C simulation runs on a plain Vivado HLS project of the same design. `check_csim` compiles the C simulation (5-15 s; a rerun of the same design loads the library compiled before, cached by the content of the generated C++ and the compiler flags) and compares it with Keras. When they disagree it traces every layer and names the first one that departs, with its precision.
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
import warnings

with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")  # hls4ml's conversion log is noise here; warnings become notes below
    hls_model = make_project(design, model, prj_dir, backend=backend)
    check = check_csim(hls_model, model, data.X_test, data.y_test)
show(check)
for note in dict.fromkeys(str(w.message) for w in caught if issubclass(w.category, UserWarning)):
    display(HTML(f"<p style='color:#555'>Note (conversion): {note}</p>"))
""", IGNORE),
("md", r"""
What the check says: hls4ml's **C simulation** is the bit-accurate C++ model of the design (its fixed-point types, as the FPGA computes). Run on the test rows, it must pick the same class as Keras on at least 98 % of them: that is the PASS. *max |diff|* is the largest difference between one Keras output and the C simulation's, over all rows and classes; the outputs are softmax probabilities (0 to 1), and fixed-point rounding moves them most on rows where two classes are close, so a large max |diff| with a high agreement means a few close calls moved, not a broken design. When the check fails, it traces every layer and names the first one that departs, with its precision.
"""),
("code", r"""
assert check.passed, check.summary()
show(f"C simulation picks the same class as Keras on {check.argmax_agreement:.1%} of {check.n_samples:,} test rows "
     f"(needed: {check.tolerance['min_agreement']:.0%}); test accuracy Keras {check.keras_accuracy:.1%}, "
     f"C simulation {check.hls_accuracy:.1%}; largest output difference {check.max_abs_diff:.3f} (probability)")
"""),
("md", r"""
## Build, replay or estimate
With the tools, `run_build` streams the log below with a progress bar per stage and collects `<stem>.bit` + `<stem>.hwh`. Without them, the **public builds of this network** are replayed (`FORUM_REPLAY_DIR/README.md`): the hls4ml tutorial's 16-64-32-32-5 MLP, 75 % pruned, Resource at ReuseFactor 64, built for the PYNQ-Z2 with Vivado HLS and Vivado 2019.2 (the HLS report, Vivado's synthesis of the IP, and the placed block design). Their numbers are labelled **replay**: the same network and settings, the tutorial's own trained weights (7-bit), not the ones trained here.
"""),
("code", r"""
from pathlib import Path

from hlsnb.synth import read_report, replay_build, run_build

if mode.mode == "synth" and board_check.fits:
    build = run_build(prj_dir, synth=True, export=True, bitfile=True, stem="digits")
    built_design, reports = design, [build.report("csynth")]
elif mode.mode == "replay":
    build = replay_build(mode.replay_path)
    # the settings the public build used, on this notebook's weights: Resource, ReuseFactor 64, 7-bit weights
    built_design = design.copy()
    built_design.set_all(strategy="Resource", reuse_factor=64, closest=True)
    for l in built_design.layers:
        if l.is_mult_layer:
            built_design.set(l.name, weight_precision="ap_fixed<7,1>", bias_precision="ap_fixed<7,1>")
    vivado = Path(mode.replay_path) / "vivado"
    reports = [build.report("csynth"),
               read_report(vivado / "design_1_myproject_axi_0_3_utilization_synth.rpt", label="replay"),
               read_report(vivado / "design_1_wrapper_utilization_placed.rpt", label="replay")]
else:
    build, built_design, reports = None, None, []
    why = "the design will not fit the board (see above)" if mode.mode == "synth" else f"{mode.mode} mode"
    print(f"no build ({why}): the estimates above are the numbers there are")
if build:
    display(reports[0])  # what it is, the design, tool and stage, and the file (relative; full path on hover)
"""),
("md", r"""
### Does the built design fit? The same question, every stage
One column per report of the build (in replay mode: the HLS report, Vivado's synthesis of the IP out of context, and the placed block design with the Zynq's DMA around the IP), the binding resource named under each verdict; then hlsnb's two estimates of the same settings on this notebook's weights beside them.
"""),
("code", r"""
# NBVAL_CHECK_OUTPUT
if build is not None:
    display(fit_table(built_design, stages=(), reports=reports))  # the reports alone: nbval checks this output
"""),
("code", r"""
if build is not None:
    display(fit_table(built_design, reports=reports))
""", IGNORE),
("md", r"""
## Estimate against the report
Per layer and in total, with the error of each (estimated − reported, and % of reported). **In replay mode** the estimate is of this notebook's weights with the public build's settings, and the report is of the tutorial's own weights: the zeros differ a little (both are about 75 % pruned), and this report is one of those the estimator was calibrated on, so these errors are in-sample. In estimate mode there is nothing to compare and the cell shows nothing.
"""),
("code", r"""
from hlsnb.synth import compare

if build is not None:
    comparison = compare(built_design, reports[0])
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
Does the DA version fit? One column per stage again: the estimator's numbers for the same DA design (csynth: what an HLS report would say; vsynth: Vivado post-synthesis), then Yosys's count, with its verdict. The line under it says how far the estimate is from Yosys here (the DA estimate is calibrated on Yosys builds of other layers, docs/estimator.md). Then Verilator compiles the Verilog itself and runs it on the test set (cast to the input precision, so every implementation sees the same bits). It must match, in every output bit: da4ml's bit-exact model, and, where hls4ml's DA pass takes the model, **hls4ml's C simulation of the same DA design** (`against="csim"`: the model converted with `distributed_arithmetic`, io_parallel, ReuseFactor 1 and the same precisions, compiled; the logits before the softmax are compared, since the RTL leaves the softmax out). hls4ml's DA pass takes the Keras weights as they are (it ignores the weight precision), so the C simulation converts a copy whose weights are already at `ap_fixed<8,2>`: the same logic as the RTL.
"""),
("code", r"""
if open_result is not None:
    table = fit_table(da_design, reports=[open_result.report])
    display(table)
    ys, vs = table.columns[-1], table.column("Vivado post-synthesis")
    gap = (vs.counts["lut"] - ys.counts["lut"]) / ys.counts["lut"]
    print(f"hlsnb's Vivado post-synthesis estimate {vs.counts['lut']:,.0f} LUT against Yosys's {ys.counts['lut']:,.0f} "
          f"({gap:+.0%}); da4ml's own cost model: {open_result.rtl.trace.da4ml_lut:,.0f} LUT")
    if open_mode.tools["verilator"].version:
        try:
            rtl_check = check_rtl(open_result.rtl, model, data.X_test, data.y_test, against="csim",
                                  hls_model=hls_model)
        except AssertionError:  # hls4ml 1.3's DA code generation asserts on some quantization-aware models
            display(HTML("<p style='color:#555'>Note: hls4ml's distributed-arithmetic pass does not take this "
                         "quantization-aware model (an assertion in its DA code generation), so there is no DA C "
                         "simulation to compare with: the RTL is checked against da4ml's bit-exact model and "
                         "Keras.</p>"))
            rtl_check = check_rtl(open_result.rtl, model, data.X_test, data.y_test, against="da4ml")
        show(rtl_check)
""", IGNORE),
("md", r"""
## Learn from your builds
`recalibrate([(design, report), ...])` refits the estimator's modelled terms on your reports (together with the calibration rows shipped in the package), saves the refit to `~/.config/hlsnb/coefficients.json` and applies it, now and in every later session (estimates then say *fitted on: your builds*); `reset_calibration()` goes back to the shipped coefficients. Run it on your own builds:

```python
from hlsnb.synth import recalibrate, reset_calibration
print(recalibrate([(built_design, build.report("csynth"))]))
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
    if build is not None and build.bitfile and mode.mode == "synth":
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
