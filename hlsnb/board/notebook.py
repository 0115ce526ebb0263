"""The on-board notebook stored in every bundle (plain JSON: no nbformat needed on the board)."""

from __future__ import annotations

import json

__all__ = ["bundle_notebook", "run_cells"]


def run_cells(bundle_expr: str = 'Path(".").resolve()') -> list:
    """(kind, source) cells that open a bundle, run it on the FPGA or in software, and compare.

    ``bundle_expr`` is the Python expression for the bundle folder or archive.
    """
    return [
        ("markdown", "## Run the bundle\n"
                     "On a PYNQ board this loads the bitstream and streams the test inputs through the AXI DMA. "
                     "Anywhere else it says so and runs the bit-accurate C simulation stored in the bundle; "
                     "its timings are then those of this CPU, not of the FPGA."),
        ("code", "import sys\nfrom pathlib import Path\nimport numpy as np\n\n"
                 f"BUNDLE = {bundle_expr}\n"
                 "_driver = Path(BUNDLE) / 'driver' if Path(BUNDLE).is_dir() else None\n"
                 "if _driver is not None and _driver.is_dir() and 'hlsnb.board' not in sys.modules:\n"
                 "    sys.path.insert(0, str(_driver))  # the bundle's own copy of the driver\n"
                 "from hlsnb.board import load_bundle, fpga_available\n\n"
                 "bundle = load_bundle(BUNDLE)  # checks the manifest and every checksum first\n"
                 "print(bundle.interface.input_shape, bundle.interface.input_type, '->',\n"
                 "      bundle.interface.output_shape, bundle.interface.output_type)"),
        ("code", "ON_FPGA = fpga_available()\n"
                 "if ON_FPGA:\n"
                 "    print('PYNQ device found: running on the FPGA (timings measured)')\n"
                 "else:\n"
                 "    print('No PYNQ board here: running the C simulation (SoftwareOverlay); timings are simulated')"),
        ("code", "X = bundle.test_inputs()\n"
                 "Y_csim = bundle.expected_outputs()\n"
                 "with bundle.overlay() as nn:\n"
                 "    Y = nn.predict(X)\n"
                 "    stats = nn.last_stats\n"
                 "label = 'measured on the FPGA' if ON_FPGA else 'simulated off-board, not FPGA timing'\n"
                 "print(f'throughput: {stats.throughput:,.0f} samples/s ({label})')"),
        ("code", "same = np.array_equal(Y, Y_csim)\n"
                 "agree = float(np.mean(Y.reshape(len(Y), -1).argmax(1) == Y_csim.reshape(len(Y), -1).argmax(1)))\n"
                 "print('outputs identical to the C simulation:', same)\n"
                 "print(f'argmax agreement with the C simulation: {agree:.1%}')\n"
                 "labels = bundle.test_labels()\n"
                 "if labels is not None:\n"
                 "    acc = float(np.mean(Y.reshape(len(Y), -1).argmax(1) == labels))\n"
                 "    print(f'accuracy on the {len(labels)} bundled test samples: {acc:.1%}')"),
    ]


def bundle_notebook() -> str:
    """The notebook JSON that sits in the bundle root (``BUNDLE`` is the notebook's own folder)."""
    cells = [("markdown", "# Run an hls4ml network on the PYNQ-Z2\n"
                          "This notebook came with the bundle; open it from the bundle folder.")]
    cells += run_cells()
    return to_ipynb(cells)


def to_ipynb(cells) -> str:
    nb_cells = []
    for i, (kind, src) in enumerate(cells):
        c = {"cell_type": kind, "id": f"cell-{i}", "metadata": {}, "source": src.splitlines(keepends=True)}
        if kind == "code":
            c.update(execution_count=None, outputs=[])
        nb_cells.append(c)
    nb = {
        "cells": nb_cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(nb, indent=1) + "\n"
