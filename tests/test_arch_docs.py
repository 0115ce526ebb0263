"""docs/ARCHITECTURE.md stays true to the code (issue 24 item 7).

- every package and module under ``hlsnb/`` is named in it (by its dotted name);
- its floors table is the import-linter layers contract of ``pyproject.toml`` (same floors, same packages), and every
  top-level package is on a floor or named as a leaf;
- every ``hlsnb.x.y`` name it writes in backticks exists (a module, or a name a module defines or re-exports, or a
  class's method), and every ``tests/...`` or ``hlsnb/...`` file it names exists.

Names are resolved from the source (``ast``), not imported: the check takes well under a second and does not load
TensorFlow or hls4ml.
"""

from __future__ import annotations

import ast
import re
from functools import lru_cache
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "hlsnb"
DOC = ROOT / "docs" / "ARCHITECTURE.md"

HOW_TO_FIX = "name it in docs/ARCHITECTURE.md (its package's module table: one row, what it owns and why)"


def _doc() -> str:
    return DOC.read_text()


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules() -> list[str]:
    return sorted(_module_name(p) for p in PACKAGE.rglob("*.py"))


def _named(name: str, text: str) -> bool:
    """``name`` written as a whole dotted name (``hlsnb.design`` is not named by ``hlsnb.design.core``)."""
    return re.search(r"(?<![\w.])" + re.escape(name) + r"(?!\w|\.\w)", text) is not None


def test_every_module_is_named():
    text = _doc()
    missing = [m for m in all_modules() if not _named(m, text)]
    assert not missing, f"modules not named in docs/ARCHITECTURE.md: {missing}; {HOW_TO_FIX}"


# --------------------------------------------------------------------------------------------------- the floors
def _contracts() -> list[dict]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]


def contract_floors() -> dict[int, set[str]]:
    """Floor number (0 = lowest) -> the packages of that layer of the layers contract."""
    (layers,) = [c["layers"] for c in _contracts() if c["type"] == "layers"]
    return {i: {p.strip() for p in layer.split("|")} for i, layer in enumerate(reversed(layers))}


def doc_floors() -> tuple[dict[int, set[str]], set[str]]:
    """The floors table of the doc: floor -> packages, and the packages of its ``leaf`` rows."""
    text = _doc()
    start = text.index("\n## The floors")
    table = text[start:text.index("\n## ", start + 1)]
    floors: dict[int, set[str]] = {}
    leaves: set[str] = set()
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) < 2 or not (cells[0].isdigit() or cells[0] == "leaf"):
            continue
        names = set(re.findall(r"`(hlsnb(?:\.\w+)*)`", cells[1]))
        if cells[0] == "leaf":
            leaves |= names
        else:
            floors.setdefault(int(cells[0]), set()).update(names)
    return floors, leaves


def test_floors_table_is_the_layers_contract():
    doc, _ = doc_floors()
    contract = contract_floors()
    assert doc, "docs/ARCHITECTURE.md has no floors table under '## The floors'"
    diff = {f: (sorted(doc.get(f, set())), sorted(contract.get(f, set())))
            for f in sorted(set(doc) | set(contract)) if doc.get(f) != contract.get(f)}
    assert not diff, ("the floors table of docs/ARCHITECTURE.md and the layers contract of pyproject.toml disagree "
                      f"(floor: (doc, contract)): {diff}")


def test_every_top_level_package_is_on_a_floor_or_a_leaf():
    _, leaves = doc_floors()
    on_floors = set().union(*contract_floors().values())
    top = {f"hlsnb.{p.stem if p.is_file() else p.name}" for p in PACKAGE.iterdir()
           if (p.suffix == ".py" or (p / "__init__.py").exists()) and not p.name.startswith("_")}
    assert not leaves & on_floors, f"a leaf of the doc is on a floor of the contract: {sorted(leaves & on_floors)}"
    assert top - on_floors == leaves, (f"top-level packages outside the layers contract {sorted(top - on_floors)} must "
                                       f"be the doc's leaf rows {sorted(leaves)}")
    forbidden_sources = {s for c in _contracts() if c["type"] == "forbidden" for s in c["source_modules"]}
    assert leaves <= forbidden_sources, f"a leaf without a contract of its own: {sorted(leaves - forbidden_sources)}"


def _top(module: str) -> str:
    return ".".join(module.split(".")[:2])


def actual_imports() -> dict[str, set[str]]:
    """Top-level package -> the other top-level hlsnb packages its modules import (lazy imports too), leaving out the
    imports the layers contract ignores (the old alias modules)."""
    (ignored,) = [c.get("ignore_imports", []) for c in _contracts() if c["type"] == "layers"]
    ignored_importers = {i.split("->")[0].strip() for i in ignored}
    out: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        module = _module_name(path)
        if module in ignored_importers or module == "hlsnb":
            continue
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level == 0:
                    targets = [node.module or ""]
                else:
                    base = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    src = ".".join(base + ([node.module] if node.module else []))
                    targets = [src] if src != "hlsnb" else [f"hlsnb.{a.name}" for a in node.names]
            else:
                continue
            for t in targets:
                if t.startswith("hlsnb.") and _top(t) != _top(module):
                    out.setdefault(_top(module), set()).add(_top(t))
    return out


def test_the_imports_column_lists_what_each_package_imports():
    text = _doc()
    start = text.index("\n## The floors")
    table = text[start:text.index("\n## ", start + 1)]
    tops = {p for ps in contract_floors().values() for p in ps} | doc_floors()[1]
    actual = actual_imports()
    wrong = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) < 4 or not (cells[0].isdigit() or cells[0] == "leaf"):
            continue
        if "anything" in cells[3]:
            continue
        listed = {t for t in tops if re.search(rf"(?<!\w){re.escape(t.split('.', 1)[1])}(?!\w)", cells[3])}
        for name in re.findall(r"`(hlsnb\.\w+)`", cells[1]):
            missing = actual.get(name, set()) - listed
            if missing:
                wrong[name] = sorted(missing)
    assert not wrong, (f"the floors table's imports column of docs/ARCHITECTURE.md leaves out imports the code makes "
                       f"(package: missing): {wrong}")


# ------------------------------------------------------------------------------------------- names that exist
def _file_of(module: str) -> Path | None:
    base = ROOT.joinpath(*module.split("."))
    if (base / "__init__.py").exists():
        return base / "__init__.py"
    return base.with_suffix(".py") if base.with_suffix(".py").exists() else None


@lru_cache(maxsize=None)
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text())


def _top_statements(body):
    """A module's statements, the bodies of top-level ``if`` / ``try`` included (conditional definitions)."""
    for node in body:
        yield node
        if isinstance(node, ast.If):
            yield from _top_statements(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            yield from _top_statements(node.body + node.orelse + node.finalbody
                                       + [s for h in node.handlers for s in h.body])


def _targets(node) -> set[str]:
    if isinstance(node, ast.Assign):
        return {n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return {node.target.id}
    return set()


def _member(cls: ast.ClassDef, name: str) -> bool:
    for node in cls.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
            return True
        if name in _targets(node):
            return True
    return False


def _resolve(module: str, rest: list[str], depth: int = 0) -> bool:
    """Whether ``module`` (a file of hlsnb) defines or re-exports ``rest[0]`` (then ``rest[1]`` on that class)."""
    if not rest:
        return True
    path = _file_of(module)
    if path is None or depth > 8:
        return False
    name = rest[0]
    if _file_of(f"{module}.{name}") is not None:  # a submodule
        return _resolve(f"{module}.{name}", rest[1:], depth + 1)
    is_package = path.name == "__init__.py"
    tree = _tree(path)
    for node in _top_statements(tree.body):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
            if len(rest) == 1:
                return True
            return isinstance(node, ast.ClassDef) and len(rest) == 2 and _member(node, rest[1])
        if name in _targets(node):
            return len(rest) == 1
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if (alias.asname or alias.name) != name:
                    continue
                if node.level == 0:
                    src = node.module or ""
                else:
                    base = module.split(".") if is_package else module.split(".")[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    src = ".".join(base + ([node.module] if node.module else []))
                if not src.startswith("hlsnb"):
                    return len(rest) == 1
                return _resolve(src, [alias.name, *rest[1:]], depth + 1)
    # a lazy name served by a module-level __getattr__ (PEP 562): the module must spell it out
    lazy = any(isinstance(n, ast.FunctionDef) and n.name == "__getattr__" for n in tree.body)
    return lazy and len(rest) == 1 and re.search(rf"[\"']{re.escape(name)}[\"']", path.read_text()) is not None


def resolves(dotted: str) -> bool:
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        if _file_of(".".join(parts[:i])) is not None:
            return _resolve(".".join(parts[:i]), parts[i:])
    return False


def doc_names() -> list[str]:
    """Every ``hlsnb...`` dotted name that opens a backtick span of the doc."""
    return sorted(set(re.findall(r"`(hlsnb(?:\.\w+)*)", _doc())))


def test_every_dotted_name_in_backticks_exists():
    names = doc_names()
    assert len(names) > 100, f"only {len(names)} dotted names found: is the doc or the pattern broken?"
    missing = [n for n in names if not resolves(n)]
    assert not missing, f"docs/ARCHITECTURE.md names what the code does not have: {missing}"


def test_every_file_named_exists():
    paths = sorted(set(re.findall(r"(?<![\w/.])((?:tests|hlsnb|docs|benchmarks|tools)/[\w/.-]*\w)", _doc())))
    missing = [p for p in paths if not (ROOT / p).exists()]
    assert not missing, f"docs/ARCHITECTURE.md names files that do not exist: {missing}"


@pytest.mark.parametrize("dotted, exists", [
    ("hlsnb.design.Design.set", True),              # re-exported class, then its method
    ("hlsnb.estimate.estimate_design", True),       # re-exported function
    ("hlsnb.calibration.rows.load_records", True),  # a submodule's function
    ("hlsnb.widgets.PruningSlider", True),          # served lazily by __getattr__
    ("hlsnb.design.Design.no_such_method", False),
    ("hlsnb.estimate.no_such_name", False),
    ("hlsnb.no_such_module", False),
])
def test_the_resolver_itself(dotted, exists):
    assert resolves(dotted) is exists
