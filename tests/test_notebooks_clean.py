"""Notebooks are committed with cleared outputs (nbval re-runs them; nothing stale is shown as a result)."""

from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_the_path_is_complete():
    names = {p.stem for p in NOTEBOOKS}
    for stem in ("00_index", "01_train", "02_strategy_and_reuse", "03_dsp_aware_pruning", "04_synthesise",
                 "05_run_on_pynq"):
        assert stem in names, f"notebooks/{stem}.ipynb is missing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert not dirty, f"{path.name}: cells {dirty} have outputs; run: python tools/nbtools.py strip {path}"
    assert path.stat().st_size < 200_000
