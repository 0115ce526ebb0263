"""Write notebooks from plain Python cell lists (outputs cleared), and strip outputs of existing ones.

    python tools/nbtools.py strip notebooks/*.ipynb
"""

from __future__ import annotations

import sys

import nbformat


def write_notebook(path: str, cells: list[tuple[str, str]]) -> None:
    """``cells``: (kind, source) with kind "md" or "code"."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    for kind, src in cells:
        src = src.strip("\n")
        nb.cells.append(nbformat.v4.new_markdown_cell(src) if kind == "md" else nbformat.v4.new_code_cell(src))
    nbformat.write(nb, path)


def strip(path: str) -> None:
    nb = nbformat.read(path, as_version=4)
    for c in nb.cells:
        if c.cell_type == "code":
            c.outputs, c.execution_count = [], None
        c.metadata.pop("execution", None)
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, path)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "strip":
        for p in sys.argv[2:]:
            strip(p)
    else:
        print(__doc__)
