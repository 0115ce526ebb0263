"""Write notebooks from plain Python cell lists (outputs cleared), and strip outputs of existing ones.

    python tools/nbtools.py strip notebooks/*.ipynb
    python tools/nbtools.py clean < run.ipynb > committed.ipynb   # a git "clean" filter: stdin -> stdout
    python tools/nbtools.py refresh notebooks/04_synthesise.ipynb # run it; keep the checked cells' outputs

Checked cells: a cell tagged ``nbval-check-output`` (or whose source has a ``# NBVAL_CHECK_OUTPUT`` line: nbval reads
both) keeps its outputs in git, and nbval (``--nbval-lax``, ``make test``) compares a new run's outputs with them,
after the substitutions in ``tests/nbval_sanitize.cfg``. Every other cell is committed without outputs and nbval only
runs it. ``refresh`` runs a notebook (nbclient, its folder as the working folder) and writes it back with the checked
cells' new outputs: run it after changing such a cell, review ``git diff`` and commit.

The clean filter lets a user run and save the notebooks (outputs and widget state stay in the working file, so a
reopened notebook shows the last view) while git sees them as committed: outputs, execution counts and widget
state stripped, nbformat's own layout. Enable it with ``git config filter.hlsnb-strip.clean
".venv/bin/python tools/nbtools.py clean"`` and ``notebooks/*.ipynb filter=hlsnb-strip`` in ``.gitattributes``.
"""

from __future__ import annotations

import sys

import nbformat


def write_notebook(path: str, cells: list[tuple]) -> None:
    """``cells``: (kind, source) or (kind, source, tags) with kind "md" or "code"; ``tags`` are cell tags, e.g.
    nbval's ``["nbval-ignore-output"]`` (tags, not ``# NBVAL_...`` comments: the user never sees them)."""
    import os

    kept = {}  # a checked cell whose source did not change keeps its committed outputs (refresh renews them)
    if os.path.exists(path):
        for c in nbformat.read(path, as_version=4).cells:
            if is_checked(c):
                kept[c.source] = c.outputs
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    for kind, src, *tags in cells:
        src = src.strip("\n")
        cell = nbformat.v4.new_markdown_cell(src) if kind == "md" else nbformat.v4.new_code_cell(src)
        if tags and tags[0]:
            cell.metadata["tags"] = list(tags[0])
        cell.pop("id", None)  # nbformat makes random ids: regenerated notebooks would differ on every run
        if is_checked(cell) and src in kept:
            cell.outputs = _checked_outputs(kept[src])
            cell.execution_count = CHECKED_COUNT if cell.outputs else None
        nb.cells.append(cell)
    nb.nbformat_minor = 4  # 4.4 has no cell ids: the files stay byte-identical when regenerated
    nbformat.write(nb, path)


CHECK_TAG = "nbval-check-output"
#: The kernel every notebook names in git (JupyterLab writes the one it ran, e.g. a venv's own kernel name).
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
#: Output data nbval does not compare (random widget ids) or that is large and varies (plotly): never committed.
_UNCHECKED_DATA = ("application/vnd.jupyter.widget-view+json", "application/vnd.plotly.v1+json")


def is_checked(cell) -> bool:
    """True for a code cell whose outputs nbval compares (and git keeps)."""
    if cell.get("cell_type") != "code":
        return False
    src = cell.get("source", "")
    src = "".join(src) if isinstance(src, list) else src
    return (CHECK_TAG in cell.get("metadata", {}).get("tags", [])
            or any(line.strip().lstrip("#").strip() == "NBVAL_CHECK_OUTPUT" for line in src.splitlines()
                   if line.strip().startswith("#")))


#: The execution count a checked cell is committed with: nbval compares only cells whose reference has run (a count);
#: one fixed value, so that a rerun does not change the committed file.
CHECKED_COUNT = 1


def _checked_outputs(outputs) -> list:
    """A checked cell's outputs as committed: a fixed execution count, no transient or random parts."""
    kept = []
    for o in outputs:
        o = dict(o)
        if o.get("output_type") == "execute_result":
            o["execution_count"] = CHECKED_COUNT
        if "data" in o:
            o["data"] = {k: v for k, v in o["data"].items() if k not in _UNCHECKED_DATA}
            if not o["data"]:
                continue
            o["metadata"] = {}
        o.pop("transient", None)
        kept.append(nbformat.from_dict(o))
    return kept


def _strip(nb) -> None:
    nb.nbformat_minor = 4  # JupyterLab saves 4.5 with random cell ids; the committed form is 4.4 without
    for c in nb.cells:
        c.pop("id", None)
        if c.cell_type == "code":
            checked = is_checked(c)
            c.outputs = _checked_outputs(c.outputs) if checked else []
            c.execution_count = CHECKED_COUNT if checked and c.outputs else None
        c.metadata.pop("execution", None)
        c.metadata.pop("scrolled", None)
        c.metadata.pop("collapsed", None)
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}  # the kernel writes its version here on every run


def strip(path: str) -> None:
    """Clear outputs (but the checked cells'), execution counts and widget state of the notebook at ``path``, in
    place."""
    nb = nbformat.read(path, as_version=4)
    _strip(nb)
    nbformat.write(nb, path)


def clean(text: str) -> str:
    """The committed form of a notebook's JSON text (see the module docstring)."""
    nb = nbformat.reads(text, as_version=4)
    _strip(nb)
    return nbformat.writes(nb) + "\n"


def refresh(path: str, timeout: int = 1800) -> None:
    """Run the notebook at ``path`` (its folder as the working folder) and write it back in its committed form: the
    checked cells with their new outputs, every other cell without."""
    from pathlib import Path

    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(Path(path).resolve().parent)}}).execute()
    _strip(nb)
    nbformat.write(nb, path)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "strip":
        for p in sys.argv[2:]:
            strip(p)
    elif len(sys.argv) > 2 and sys.argv[1] == "refresh":
        for p in sys.argv[2:]:
            refresh(p)
    elif len(sys.argv) == 2 and sys.argv[1] == "clean":
        sys.stdout.write(clean(sys.stdin.read()))
    else:
        print(__doc__)
