"""Notebooks are committed without outputs, except the cells nbval checks (tagged ``nbval-check-output``), which keep
theirs so that nbval has something to compare. The tests read what git holds (``git show HEAD:...``), not the working
file: a user who runs and saves the notebooks (``make lab``) changes the working files only, and ``make test`` must
still pass."""

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

sys.path.insert(0, str(ROOT / "tools"))
from nbtools import is_checked  # noqa: E402  (tools/ is not a package)


def committed_text(path: Path) -> str:
    """The notebook as git holds it at HEAD (the working file outside a git checkout, e.g. an unpacked sdist)."""
    rel = path.relative_to(ROOT).as_posix()
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "show", f"HEAD:{rel}"], capture_output=True, text=True,
                             timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return path.read_text()
    return out.stdout if out.returncode == 0 else path.read_text()


def test_the_path_is_complete():
    names = {p.stem for p in NOTEBOOKS}
    for stem in ("00_index", "01_train", "02_strategy_and_reuse", "03_dsp_aware_pruning", "04_synthesise",
                 "05_run_on_pynq", "06_sweep"):
        assert stem in names, f"notebooks/{stem}.ipynb is missing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs_but_the_checked_cells(path):
    text = committed_text(path)
    nb = nbformat.reads(text, as_version=4)
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.execution_count and not is_checked(c)]
    dirty += [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.outputs and not is_checked(c)]
    assert not dirty, f"{path.name}: cells {sorted(set(dirty))} have outputs; run: python tools/nbtools.py strip {path}"
    for i, c in enumerate(nb.cells):
        if is_checked(c):
            assert c.outputs, (f"{path.name} cell {i} is checked by nbval but has no output to compare; run: "
                               f"python tools/nbtools.py refresh {path}")
            # nbval compares only a reference cell that ran (has a count), and refuses outputs without one
            assert c.execution_count is not None, f"{path.name} cell {i}: a checked cell needs its execution count"
    assert len(text) < 200_000
