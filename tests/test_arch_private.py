"""No module reaches into another package's private parts (issue 24.6/24.7): a ``_``-prefixed module, or a
``_``-prefixed name, belongs to the package it sits in. Import-linter cannot say "private" in general, so this test
walks every import of hlsnb (lazy ones inside functions too) and fails on a new one.

There are no exceptions (the last ones, calibration -> ``estimate._*``, now go through :mod:`hlsnb.estimate.model`):
give a name another package needs a public home.
"""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "hlsnb"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = importer.split(".") if is_package else importer.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _private_owner(module: str) -> str | None:
    """The package a private module belongs to (``hlsnb.estimate`` for ``hlsnb.estimate._core``), else None."""
    parts = module.split(".")
    for i, p in enumerate(parts):
        if p.startswith("_") and not p.startswith("__"):
            return ".".join(parts[:i])
    return None


def _package_of(module: str) -> str:
    """The package a module's private names belong to: the module itself for a package or a top-level module of
    hlsnb (``hlsnb.targets`` is a floor of its own, not part of ``hlsnb``), else its parent."""
    is_package = (PACKAGE.parent / Path(*module.split(".")) / "__init__.py").exists()
    top_level = module.count(".") == 1
    return module if is_package or top_level else module.rsplit(".", 1)[0]


def _inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


@lru_cache(maxsize=1)
def private_imports() -> frozenset[tuple[str, str]]:
    """Every (importer, imported) where the importer is outside the package that owns the private part."""
    found = set()
    modules = {_module_name(p) for p in PACKAGE.rglob("*.py")}
    for path in sorted(PACKAGE.rglob("*.py")):
        me = _module_name(path)
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text())):
            targets = []
            if isinstance(node, ast.Import):
                targets = [(a.name, None) for a in node.names if a.name.startswith("hlsnb")]
            elif isinstance(node, ast.ImportFrom):
                mod = _resolve(me, is_package, node)
                if not mod.startswith("hlsnb"):
                    continue
                for a in node.names:
                    sub = f"{mod}.{a.name}"
                    targets.append((sub, None) if sub in modules else (mod, a.name))
            for mod, name in targets:
                owner = _private_owner(mod)
                if owner is not None and not _inside(me, owner):
                    found.add((me, mod))
                if name and name.startswith("_") and not name.startswith("__") and not _inside(me, _package_of(mod)):
                    found.add((me, f"{mod}:{name}"))
    return frozenset(found)


def test_no_import_of_another_packages_private_module():
    found = sorted(private_imports())
    assert not found, ("imports of another package's private module or name (give it a public name in its package, "
                       "or move the code):\n  " + "\n  ".join(f"{a} -> {b}" for a, b in found))


def test_every_package_is_on_a_floor():
    """The layers contract names every package and public top-level module of hlsnb (``train``, ``data`` and
    ``boards`` were left out once); the board is a leaf under its own contract."""
    import tomllib

    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    layers = next(c for c in contracts if c["type"] == "layers")["layers"]
    named = {m.strip().strip("()") for layer in layers for m in layer.replace(":", "|").split("|")}
    board = any(c["type"] == "forbidden" and c["source_modules"] == ["hlsnb.board"] for c in contracts)
    tops = {f"hlsnb.{p.stem if p.is_file() else p.name}" for p in PACKAGE.iterdir()
            if (p.suffix == ".py" or (p / "__init__.py").exists()) and not p.name.startswith("_")}
    assert board
    assert tops - {"hlsnb.board"} <= named, f"not on any floor of the layers contract: {tops - named - {'hlsnb.board'}}"
