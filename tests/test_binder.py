"""binder/ installs what the project pins: same versions, every core dependency present."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line:
            continue
        m = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)$", line)
        assert m, f"{path.name}: '{line}' is not pinned with =="
        pins[m.group(1).lower().replace("_", "-")] = m.group(2)
    return pins


def test_binder_pins_agree_with_project_pins():
    project = _pins(ROOT / "requirements" / "constraints.txt")
    binder = _pins(ROOT / "binder" / "requirements.txt")
    assert binder, "binder/requirements.txt is empty"
    differ = {k: (v, project.get(k)) for k, v in binder.items() if project.get(k) != v}
    assert not differ, f"binder pins differ from requirements/constraints.txt: {differ}"


def test_binder_has_every_core_dependency():
    import tomllib

    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    names = {re.split(r"[<>=;! \[]", d, maxsplit=1)[0].lower() for d in deps}
    names = {n for n in names if not (n == "tensorflow")}  # tensorflow-cpu on Linux (Binder runs Linux)
    binder = _pins(ROOT / "binder" / "requirements.txt")
    assert names <= set(binder), f"missing in binder/requirements.txt: {names - set(binder)}"


def test_binder_has_one_environment_file_and_postbuild_installs_hlsnb():
    files = {p.name for p in (ROOT / "binder").iterdir()}
    assert not ({"requirements.txt", "environment.yml"} <= files), "repo2docker takes one of them, not both"
    assert "pip install" in (ROOT / "binder" / "postBuild").read_text()


def test_binder_builds_hlsnb_with_the_backend_pyproject_asks_for():
    """postBuild installs without build isolation, so binder's own setuptools must satisfy build-system.requires
    (>= 77 for the SPDX license string; an older one refuses the pyproject)."""
    import tomllib

    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"]
    want = next(r for r in requires if r.startswith("setuptools"))
    low = tuple(int(x) for x in re.search(r">=([\d.]+)", want).group(1).split("."))
    pin = _pins(ROOT / "binder" / "requirements.txt")["setuptools"]
    assert tuple(int(x) for x in pin.split(".")[: len(low)]) >= low, (want, pin)
    assert "--no-build-isolation" in (ROOT / "binder" / "postBuild").read_text()
