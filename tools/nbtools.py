"""Write notebooks from plain Python cell lists (outputs cleared), and strip outputs of existing ones.

    python tools/nbtools.py strip notebooks/*.ipynb
    python tools/nbtools.py clean < run.ipynb > committed.ipynb   # a git "clean" filter: stdin -> stdout

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
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    for kind, src, *tags in cells:
        src = src.strip("\n")
        cell = nbformat.v4.new_markdown_cell(src) if kind == "md" else nbformat.v4.new_code_cell(src)
        if tags and tags[0]:
            cell.metadata["tags"] = list(tags[0])
        cell.pop("id", None)  # nbformat makes random ids: regenerated notebooks would differ on every run
        nb.cells.append(cell)
    nb.nbformat_minor = 4  # 4.4 has no cell ids: the files stay byte-identical when regenerated
    nbformat.write(nb, path)


def _strip(nb) -> None:
    nb.nbformat_minor = 4  # JupyterLab saves 4.5 with random cell ids; the committed form is 4.4 without
    for c in nb.cells:
        c.pop("id", None)
        if c.cell_type == "code":
            c.outputs, c.execution_count = [], None
        c.metadata.pop("execution", None)
        c.metadata.pop("scrolled", None)
        c.metadata.pop("collapsed", None)
    nb.metadata.pop("widgets", None)
    nb.metadata["language_info"] = {"name": "python"}  # the kernel writes its version here on every run


def strip(path: str) -> None:
    """Clear outputs, execution counts and widget state of the notebook at ``path``, in place."""
    nb = nbformat.read(path, as_version=4)
    _strip(nb)
    nbformat.write(nb, path)


def clean(text: str) -> str:
    """The committed form of a notebook's JSON text (see the module docstring)."""
    nb = nbformat.reads(text, as_version=4)
    _strip(nb)
    return nbformat.writes(nb) + "\n"


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "strip":
        for p in sys.argv[2:]:
            strip(p)
    elif len(sys.argv) == 2 and sys.argv[1] == "clean":
        sys.stdout.write(clean(sys.stdin.read()))
    else:
        print(__doc__)
