"""Clean notebooks: no test-harness markers in what the user reads, links along the path, and a git filter that
keeps the tree clean when a user runs and saves them (outputs and widget state stay in the working file only)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
PATH = ["00_index", "01_train", "02_strategy_and_reuse", "03_dsp_aware_pruning", "04_synthesise", "05_run_on_pynq",
        "06_sweep"]
NBVAL_TAGS = {"nbval-ignore-output", "nbval-check-output", "nbval-skip", "nbval-raises-exception", "raises-exception"}

sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "tests"))
from nbtools import KERNELSPEC, clean, is_checked  # noqa: E402  (tools/ is not a package)
from test_notebooks_clean import committed_text  # noqa: E402


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_harness_markers_in_the_cells(path):
    nb = nbformat.read(path, as_version=4)
    for i, c in enumerate(nb.cells):
        # the one nbval comment allowed: it tells the reader (and nbval) that this cell's output is checked
        others = [x for x in re.findall(r"#\s*NBVAL_\w+", c.source) if x.lstrip("# ") != "NBVAL_CHECK_OUTPUT"]
        assert not others, f"{path.name} cell {i}: {others}; use the cell tag nbval-ignore-output / nbval-skip"
        assert set(c.metadata.get("tags", [])) <= NBVAL_TAGS | {"hide-input"}, (path.name, i)
        # slicing a printed reason cuts it mid-word: print the whole text
        assert not re.search(r"\[:\d+\]\)?\s*$|\)\[:\d+\]", c.source, re.M), f"{path.name} cell {i} truncates text"


@pytest.mark.parametrize("i", range(1, len(PATH)), ids=PATH[1:])
def test_each_notebook_links_its_neighbours(i):
    nb = nbformat.read(ROOT / "notebooks" / f"{PATH[i]}.ipynb", as_version=4)
    md = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert f"({PATH[i - 1]}.ipynb)" in md, f"{PATH[i]} does not link back to {PATH[i - 1]}"
    if i + 1 < len(PATH):
        assert f"({PATH[i + 1]}.ipynb)" in md, f"{PATH[i]} does not link on to {PATH[i + 1]}"


def test_index_links_every_notebook():
    nb = nbformat.read(ROOT / "notebooks" / "00_index.ipynb", as_version=4)
    md = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert all(f"({p}.ipynb)" in md for p in PATH[1:])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_a_run_and_saved_notebook_is_clean_for_git(path):
    """What JupyterLab saves after Run All (outputs, counts, widget state, nbformat 4.5 cell ids, the kernel's
    language_info and its own kernelspec) goes through the clean filter back to the committed bytes; a checked
    cell's outputs are kept."""
    committed = committed_text(path)
    assert clean(committed) == committed, f"run: python tools/nbtools.py strip {path}"
    nb = json.loads(committed)
    nb["nbformat_minor"] = 5
    nb["metadata"]["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    nb["metadata"]["language_info"] = {"name": "python", "version": "3.11.7", "mimetype": "text/x-python"}
    nb["metadata"]["kernelspec"] = {"display_name": "hlsnb (.venv)", "language": "python", "name": "hlsnb-venv"}
    for k, c in enumerate(nb["cells"]):
        c["id"] = f"cell-{k}"
        if c["cell_type"] == "code" and is_checked(c):
            c["execution_count"] = k + 1
            c["metadata"]["execution"] = {"iopub.status.busy": "2026-01-01T00:00:00Z"}
        elif c["cell_type"] == "code":
            c["execution_count"] = k + 1
            c["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["run\n"]}]
            c["metadata"]["execution"] = {"iopub.status.busy": "2026-01-01T00:00:00Z"}
    assert clean(json.dumps(nb, indent=1)) == committed


def test_the_filter_keeps_what_nbval_checks_and_strips_the_rest():
    nb = nbformat.v4.new_notebook()
    checked = nbformat.v4.new_code_cell("design.summary()", metadata={"tags": ["nbval-check-output"]})
    commented = nbformat.v4.new_code_cell("# NBVAL_CHECK_OUTPUT\nprint(1)")
    plain = nbformat.v4.new_code_cell("print(2)")
    for c in (checked, commented, plain):
        c.execution_count = 7
        c.outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "ok", "application/vnd.jupyter."
                                            "widget-view+json": {"model_id": "x"}}, execution_count=7)]
    nb.cells = [checked, commented, plain]
    out = nbformat.reads(clean(nbformat.writes(nb)), as_version=4)
    assert [len(c.outputs) for c in out.cells] == [1, 1, 0]
    assert [c.execution_count for c in out.cells] == [1, 1, None]  # nbval compares only cells that ran
    assert out.cells[0].outputs[0]["data"] == {"text/plain": "ok"} and out.cells[0].outputs[0].execution_count == 1
    assert out.metadata["kernelspec"] == KERNELSPEC
