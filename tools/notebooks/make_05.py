"""Source of notebooks/05_run_on_pynq.ipynb (run from the repo root)."""
import sys
sys.path.insert(0, "tools")
from nbtools import write_notebook

IGNORE = ["nbval-ignore-output"]  # nbval runs these cells but does not compare their output (timings, paths)

write_notebook("notebooks/05_run_on_pynq.ipynb", [
("md", """
# 05 · Run on PYNQ

One notebook for the board and for everywhere else. Previous: [04 · synthesise](04_synthesise.ipynb).

* **On a PYNQ-Z2** (PYNQ image v3.0.1/v3.1, `pynq` installed): it loads the deployment bundle, checks its manifest
  and checksums, downloads the bitstream and streams the test samples through the AXI DMA with
  `hlsnb.board.NeuralNetworkOverlay`. Timings are measured on the FPGA.
* **Anywhere else** (laptop, Binder, CI): it says so and runs `hlsnb.board.SoftwareOverlay`, the same API on hls4ml's
  bit-accurate C simulation of *your* design (the forum's network as 03 pruned it and 04 built it; the banner says
  what was picked up). Timings are then those of this CPU, labelled
  *simulated*; beside them, the FPGA latency and throughput the estimator projects for the design.
"""),
("code", """
import os
from pathlib import Path

import numpy as np

import hlsnb.board as hb

BUNDLE = Path(os.environ.get("HLSNB_BUNDLE", "hlsnb_work/pynq_bundle.zip"))
ON_FPGA = hb.fpga_available()
print("PYNQ device found: the FPGA runs the network" if ON_FPGA
      else "No PYNQ board here: the C simulation runs the network (timings are simulated, not FPGA)")
"""),
("md", """
## The design and the network

Off the board this needs hlsnb with hls4ml (the C simulation compiles in 5-15 s, once: a rerun of the same design
loads the library compiled before, cached by content). The banner says which design was
picked up from the earlier notebooks.
"""),
("code", """
def csim_of(design, model, data):
    \"\"\"The design's hls4ml C simulation (the bit-accurate model the bitstream implements) as a SoftwareOverlay.\"\"\"
    import contextlib
    import io
    import warnings

    from hlsnb.project import show
    from hlsnb.synth import compile_csim

    prj = Path("hlsnb_work/05_run_on_pynq_prj")
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # hls4ml's conversion log is noise here; its warnings become notes
        hls_model = design.convert(model, output_dir=str(prj))
        seconds = compile_csim(hls_model)  # hls_model.compile(), the library reused when its C++ is unchanged
    show(f"C simulation: compiled in {seconds:.0f} s" if seconds else
         "C simulation: the library compiled by an earlier run from the same C++ (cached by content)")
    for note in dict.fromkeys(str(w.message) for w in caught if issubclass(w.category, UserWarning)):
        show(f"note (conversion): {note}")  # wrapped at word boundaries
    interface = hb.StreamInterface.from_hls4ml(hls_model)
    return hb.SoftwareOverlay(hb.find_csim_library(prj, interface.project_name), interface)


design = keras_probs = None
if not ON_FPGA or not BUNDLE.exists():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from hlsnb.project import Project

    project = Project(notebook="05_run_on_pynq")
    model, design, data = project.current()
    display(project.banner())
if BUNDLE.exists():
    bundle = hb.load_bundle(BUNDLE)  # manifest and every checksum are checked first
    nn = bundle.overlay()  # NeuralNetworkOverlay on the board, SoftwareOverlay elsewhere
    X_test, reference, labels = bundle.test_inputs(), bundle.expected_outputs(), bundle.test_labels()
    reference_name = "the C simulation stored in the bundle"
    print(bundle)
else:
    print(f"No bundle at {BUNDLE}: running the C simulation of the design here")
    nn = csim_of(design, model, data)
    X_test, labels = np.ascontiguousarray(data.X_test), data.y_test
    reference, reference_name = model.predict(X_test, verbose=0), "the Keras model (floating point)"
print(type(nn).__name__, nn.interface.input_shape, nn.interface.input_type, "->",
      nn.interface.output_shape, nn.interface.output_type)
""", IGNORE),
("md", "## Predictions"),
("code", """
Y = nn.predict(X_test)
agree = float(np.mean(Y.argmax(1) == reference.argmax(1)))
where = "on the FPGA" if ON_FPGA else "in the C simulation (simulated off-board)"
print(f"predicted {len(Y)} samples {where}")
print(f"argmax agreement with {reference_name}: {agree:.1%}")
if labels is not None:
    print(f"test accuracy: {np.mean(Y.argmax(1) == labels):.1%} on {len(labels)} samples")
"""),
("md", """
## Latency and throughput

Each `predict` streams its batch in chunks sized to the DMA length limit (2^26 - 1 bytes) and a CMA budget, and
records its timings (monotonic clock) in `nn.last_stats`. Off the board these are the C simulation's timings on this
CPU, which say nothing about the FPGA: the table puts the estimator's projection for the design beside them (the
network IP alone at its clock, without the DMA transfers and Python around it).
"""),
("code", """
label = "measured on the FPGA" if ON_FPGA else "simulated: C simulation on this CPU"
print(f"{'samples':>8} {'time':>12} {'throughput':>18}  source")
for n in (1, 10, 100, len(X_test)):
    nn.predict(X_test[:n])
    s = nn.last_stats
    print(f"{n:8d} {s.seconds * 1e3:9.3f} ms {s.throughput:12,.0f} /s    {label}")
if design is not None:
    from hlsnb.estimate import estimate_design

    est = estimate_design(design)
    for n in (1, 10, 100, len(X_test)):
        ms = (est.latency_ns + (n - 1) * est.ii * est.clock_ns) * 1e-6
        print(f"{n:8d} {ms:9.4f} ms {n / ms * 1e3:12,.0f} /s    projected FPGA (network IP only)")
    print(f"\\nprojected FPGA numbers: HLS csynth estimate by hlsnb for the design; latency "
          f"{est.latency_cycles:,} cycles\\n= {est.latency_ns:,.0f} ns at {est.clock_ns:g} ns; a new sample every "
          f"{est.ii:,} cycles (II): at most {1e9 / (est.ii * est.clock_ns):,.0f} samples/s")
""", IGNORE),
("code", "nn.close()  # gives the DMA buffers back (the `with` statement does the same)"),
("md", """
### Making the bundle (on the machine that built the bitstream)
```python
import hlsnb.board as hb
hb.package("hlsnb_work/pynq_bundle.zip",
           bitfile="<build>/design_1_wrapper.bit", hwh="<build>/design_1.hwh",
           interface=hb.StreamInterface.from_hls4ml(hls_model),
           test_inputs=X_test, test_labels=y_test,
           csim_library=hb.find_csim_library(hls_model.config.get_output_dir()))
```
Copy the archive to the board (e.g. `/home/xilinx/jupyter_notebooks/`), unpack it and open `run_on_pynq.ipynb`
inside, or point `HLSNB_BUNDLE` at it and run this notebook.

Next: [06 · sweep](06_sweep.ipynb) explores the settings around this design. Back to the start: [00 · index](00_index.ipynb).
"""),
])
