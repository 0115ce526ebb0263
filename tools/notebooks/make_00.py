"""Source of notebooks/00_index.ipynb (run from the repo root: python tools/notebooks/make_00.py)."""
# ruff: noqa: E501 - markdown cells keep their paragraphs on one line, as the notebook shows them
import sys

sys.path.insert(0, "tools")
from nbtools import write_notebook

IGNORE = ["nbval-ignore-output"]  # nbval runs these cells but does not compare their output (timings, paths)

write_notebook("notebooks/00_index.ipynb", [
("md", """
# hlsnb: from a Keras model to a PYNQ-Z2, in notebooks

The path follows **one design**: the hls4ml tutorial's network that a forum user put on a PYNQ-Z2 and asked about ("why does Resource at ReuseFactor 64 use *more* LUTs than Latency?"). Each notebook saves what it made (the trained model, the chosen design, the pruned model, the build) as a new version in `hlsnb_work/project/`, and the next one picks up what the notebooks before it handed over and says so, with when, in a banner at its top; a rerun never picks up its own earlier result. Each notebook also runs alone: what is missing is made with a default (the forum's network, trained in under a minute), and the banner says so.

| notebook | what it does | estimate mode (no Vivado, no board) | replay mode | synth mode (Vivado present) | on the board |
|---|---|---|---|---|---|
| [01 · train](01_train.ipynb) | trains the forum's network (16-64-32-32-5, 6-bit weights and ReLUs, quantization-aware with HGQ2, 75 % pruned); saves the model | runs fully | same | same | same |
| [02 · strategy and reuse](02_strategy_and_reuse.ipynb) | the seed question answered on that network: Latency against Resource at ReuseFactor 64, and the 16-bit what-if; then your design: per-layer widgets, compare designs, fit to board; saves the design | runs fully (estimates) | same | same | - |
| [03 · pruning until it fits](03_dsp_aware_pruning.ipynb) | the same network unpruned does not fit fully parallel; prunes it (tolerance checked on held-out rows) until it fits the PYNQ-Z2 by the post-synthesis estimate, with the accuracy cost; saves the pruned model | runs fully | same | same | - |
| [04 · synthesise](04_synthesise.ipynb) | that design in hls4ml: C-simulation check (explained), build or replay, does it fit (one column per stage), estimate against the report, open synthesis of its DA version, the PYNQ-Z2 project | C simulation + estimates; says the build is skipped | the public builds of this network (HLS, Vivado synthesis, placed), labelled *replay* | runs Vivado HLS / Vivado, streams the log | - |
| [05 · run on PYNQ](05_run_on_pynq.ipynb) | runs that design: on the board, or the bit-accurate C simulation beside the estimated FPGA latency and throughput | software overlay, labelled *simulated off-board* | same | same | the real overlay through pynq's DMA |
| [06 · sweep](06_sweep.ipynb) | starts from the carried design and sweeps the settings around it: thousands scored by the estimator, the Pareto front, the best evaluated on Dask | runs fully (estimates, C simulation) | same | builds the front | - |

**Modes.** `estimate`: neither Vivado/Vitis nor a stored build; every resource number is an *estimate by hlsnb*, and says its stage (HLS csynth or Vivado post-synthesis). `replay`: a stored build is shown as if just built, labelled *replay*. `synth`: the tools are on `PATH` and builds really run. `open synth` (04): da4ml, Yosys and Verilator give real post-synthesis counts of the design's distributed-arithmetic version without Vivado. On a PYNQ board (pynq installed, the device present) notebook 05 uses the real overlay. The cell below tells which mode this machine is in for the PYNQ-Z2 flow (the one 04 uses).

**Time** (measured on a busy 2-core machine, warm caches): Run All of 00-06 took about 3 minutes, one of them in 03 (fine-tuning for three pruning targets); a first Run All in a new folder about 4; the first open synthesis of a design in 04 adds 2-8 minutes, once (it is cached by content, and so are the C-simulation and Verilator libraries). The README has each number and how it was measured.
"""),
("code", """
from html import escape

from IPython.display import HTML

from hlsnb.cli import doctor_report
from hlsnb.synth import FORUM_REPLAY_DIR, detect_mode

rows = "".join(f"<tr><td>{ {True: 'ok', False: 'BAD', None: '-'}[r['ok']]}</td><td>{escape(r['component'])}</td>"
               f"<td>{escape(r['found'] or 'not found')}</td><td>{escape(r['note'])}</td></tr>" for r in doctor_report())
mode = detect_mode("VivadoAccelerator", replay=FORUM_REPLAY_DIR)  # the same question notebook 04 asks
HTML(f"<table><tr><th></th><th>component</th><th>found</th><th>note</th></tr>{rows}</table>"
     f"<p><b>mode {escape(mode.mode)}</b>: {escape(mode.message)}</p>")
""", IGNORE),
("md", "Start with [01 · train](01_train.ipynb)."),
])
