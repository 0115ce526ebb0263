"""The board package is a leaf: what ``import hlsnb.board`` loads, the manifest module between bundle and overlay,
per-board limits as data, and one error hierarchy with the built-in bases callers already catch."""

from __future__ import annotations

import ast
import dataclasses
import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import hlsnb.board as hb
from hlsnb import errors
from hlsnb.board.profiles import PROFILES, BoardProfile, get_profile

ROOT = Path(__file__).resolve().parents[1]
BOARD_DIR = ROOT / "hlsnb" / "board"
sys.path.insert(0, str(ROOT / "tests" / "board_env"))
from fixtures import make_bit  # noqa: E402  (pure Python)

# Outside hlsnb/board the board code may load only these: the package's lazy __init__ (with the stdlib-only
# TensorFlow log filter it installs), the error classes, the fixed-point type parser and the atomic file writes
# (bundles are written through hlsnb.fileio), all standard library only.
ALLOWED_OUTSIDE = {"hlsnb", "hlsnb._quiet", "hlsnb.errors", "hlsnb.precision", "hlsnb.fileio"}


def _run(code: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "HLSNB_PYNQ_EMULATE"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_import_hlsnb_board_loads_only_the_board_code():
    mods = json.loads(_run("import hlsnb.board, sys, json; print(json.dumps(sorted(sys.modules)))"))
    ours = {m for m in mods if m == "hlsnb" or m.startswith("hlsnb.")}
    outside = {m for m in ours if not m.startswith("hlsnb.board")}
    assert outside <= ALLOWED_OUTSIDE, sorted(outside - ALLOWED_OUTSIDE)
    assert {"hlsnb.board.manifest", "hlsnb.board.profiles", "hlsnb.board.overlay"} <= ours
    heavy = sorted(m for m in mods if m.split(".")[0] in {"keras", "tensorflow", "hls4ml", "pynq", "traitlets"})
    assert not heavy, heavy


def test_import_hlsnb_is_lazy_and_names_load_on_use():
    out = _run(
        "import sys, hlsnb\n"
        "before = sorted(m for m in sys.modules if m.startswith('hlsnb.'))\n"
        "d = hlsnb.Design\n"
        "print(before, d.__name__, hlsnb.FixedType(8, 3).width, hlsnb.get_board('pynq-z2').name,\n"
        "      set(hlsnb.__all__) <= set(dir(hlsnb)))\n"
    )
    assert out.split() == ["['hlsnb._quiet']", "Design", "8", "pynq-z2", "True"]
    import hlsnb

    with pytest.raises(AttributeError, match="no attribute 'not_a_name'"):
        hlsnb.not_a_name  # noqa: B018


def _board_imports(path: Path) -> tuple[set, set]:
    """(board modules, modules outside the board package) that one board module imports, anywhere in it."""
    inside, outside = set(), set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                inside.add(node.module)
            else:
                inside.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 2:
            outside.add(node.module or "")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("hlsnb"):
            outside.add(node.module)
        elif isinstance(node, ast.Import):
            outside.update(a.name for a in node.names if a.name.startswith("hlsnb"))
    return inside, outside


def test_board_modules_import_no_other_hlsnb_module_and_have_no_cycle():
    graph = {}
    for p in BOARD_DIR.glob("*.py"):
        inside, outside = _board_imports(p)
        assert outside <= {"errors", "precision", "fileio"}, f"{p.name} imports {sorted(outside)} from outside hlsnb.board"
        graph[p.stem] = inside
    assert "bundle" not in graph["overlay"] and "manifest" in graph["overlay"]  # the cycle is gone

    def visit(node, path):
        assert node not in path, f"import cycle in hlsnb.board: {' -> '.join(path + [node])}"
        for nxt in graph.get(node, ()):
            visit(nxt, path + [node])

    for mod in graph:
        visit(mod, [])


def test_profiles_are_frozen_data_matching_the_board_catalogue():
    from hlsnb.targets import BOARDS

    assert {"pynq-z2", "pynq-z1", "zcu102"} <= set(PROFILES)
    for name, prof in PROFILES.items():
        assert prof.name == name and BOARDS[name].part_number == prof.part
        assert prof.cma_bytes is None or prof.cma_budget <= prof.cma_bytes
    z2 = PROFILES["pynq-z2"]
    assert (z2.dma_max_bytes, z2.cma_bytes, z2.cma_budget, z2.pl_clock_mhz) == (2**26 - 1, 128 << 20, 32 << 20, 100.0)
    # the old module constants are the default board's profile
    assert (hb.DMA_MAX_BYTES, hb.CMA_BYTES, hb.DEFAULT_CMA_BUDGET) == (z2.dma_max_bytes, z2.cma_bytes, z2.cma_budget)
    with pytest.raises(dataclasses.FrozenInstanceError):
        z2.cma_budget = 1
    assert get_profile() is z2 and get_profile("PYNQ_Z2") is z2 and get_profile(z2) is z2
    with pytest.raises(errors.InvalidSetting, match="no board profile for 'de10-nano'; known boards: .*pynq-z2"):
        get_profile("de10-nano")
    with pytest.raises(errors.InvalidSetting, match="exceeds the board's CMA"):
        BoardProfile("tiny", "xc7z010clg400-1", 1 << 20, 1 << 20, 2 << 20, 100.0)


@pytest.fixture(scope="module")
def csim(board_csim_dir):
    return json.loads((board_csim_dir / "info.json").read_text())


IFACE = hb.StreamInterface((16,), (5,))  # 64 + 20 bytes per sample


def test_overlay_sizes_chunks_from_the_board_profile(csim):
    small = BoardProfile("small-dma", "xc7z020clg400-1", dma_max_bytes=640, cma_bytes=None, cma_budget=1 << 20,
                         pl_clock_mhz=100.0)
    with hb.SoftwareOverlay(csim["library"], IFACE) as default, \
            hb.SoftwareOverlay(csim["library"], IFACE, board=small) as nn:
        assert default.profile.name == "pynq-z2"
        assert default.chunk_samples == (32 << 20) // 84
        assert nn.profile is small and nn.chunk_samples == 640 // 64  # the input side hits the DMA limit first
        X = np.random.default_rng(0).normal(size=(25, 16))
        np.testing.assert_array_equal(nn.predict(X), default.predict(X))
        assert nn.last_stats.n_chunks == 3
    with pytest.raises(errors.InvalidSetting, match="no board profile"):
        hb.SoftwareOverlay(csim["library"], IFACE, board="not-a-board")


def _bundle(tmp_path, csim, board):
    src = tmp_path / "build"
    src.mkdir(exist_ok=True)
    bit = make_bit(src / "nn.bit")
    (src / "nn.hwh").write_text("<EDKSYSTEM/>\n")
    X = np.random.default_rng(1).normal(size=(10, 16))
    out = hb.package(tmp_path / f"{board}.zip", bitfile=bit, interface=IFACE, test_inputs=X,
                     csim_library=csim["library"], board=board)
    return hb.load_bundle(out, extract_to=tmp_path / board)


def test_bundle_takes_the_profile_of_its_board(tmp_path, csim):
    b = _bundle(tmp_path, csim, "pynq-z1")
    assert b.manifest["board"] == "pynq-z1" and b.profile is PROFILES["pynq-z1"]
    assert {"driver/hlsnb/errors.py", "driver/hlsnb/board/manifest.py", "driver/hlsnb/board/profiles.py"} \
        <= set(b.manifest["files"])
    with b.overlay("software") as nn:
        assert nn.profile is PROFILES["pynq-z1"]
    with b.overlay("software", board="zcu102") as nn:
        assert nn.profile is PROFILES["zcu102"]
    other = _bundle(tmp_path, csim, "kv260")  # no profile recorded: runs with the PYNQ-Z2 limits, and says so
    with pytest.warns(UserWarning, match="no board profile for 'kv260'"):
        prof = other.profile
    assert prof.name == "kv260" and prof.cma_budget == PROFILES["pynq-z2"].cma_budget


def test_bundled_driver_runs_on_its_own(tmp_path, csim):
    """The driver copy in a bundle (board package + errors + precision) imports without the rest of hlsnb."""
    b = _bundle(tmp_path, csim, "pynq-z2")
    code = ("import sys; sys.path.insert(0, 'driver'); import hlsnb.board as hb, hlsnb.errors as e\n"
            "assert '/driver/hlsnb/' in hb.__file__ and '/driver/hlsnb/' in e.__file__, hb.__file__\n"
            "print(issubclass(hb.BundleError, e.HlsnbError), hb.load_bundle('.').profile.name)")
    env = {k: v for k, v in os.environ.items() if k not in ("HLSNB_PYNQ_EMULATE", "PYTHONPATH")}
    out = subprocess.run([sys.executable, "-c", code], cwd=b.root, env=env, capture_output=True, text=True,
                         timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "pynq-z2"]


@pytest.mark.parametrize("name, bases", [
    ("InvalidSetting", (ValueError,)),
    ("ReportError", (ValueError,)),
    ("BuildError", (RuntimeError,)),
    ("ToolNotFound", (RuntimeError,)),
    ("BoardError", (RuntimeError,)),
    ("BundleError", (RuntimeError,)),
    ("DMATimeoutError", (RuntimeError, TimeoutError)),
    ("InfeasibleBudget", (ValueError,)),
])
def test_errors_share_one_base_and_keep_their_builtin_bases(name, bases):
    cls = getattr(errors, name)
    assert issubclass(cls, errors.HlsnbError)
    for base in bases:
        assert issubclass(cls, base), f"{name} is no longer a {base.__name__}"


def test_modules_re_export_the_one_error_class():
    from hlsnb import prune
    from hlsnb.board import bundle, overlay
    from hlsnb.prune import knapsack
    from hlsnb.synth import build

    assert hb.BoardError is overlay.BoardError is errors.BoardError
    assert hb.DMATimeoutError is overlay.DMATimeoutError is errors.DMATimeoutError
    assert hb.BundleError is bundle.BundleError is errors.BundleError
    assert build.BuildError is errors.BuildError and build.ToolNotFound is errors.ToolNotFound
    assert knapsack.InfeasibleBudget is prune.InfeasibleBudget is errors.InfeasibleBudget
    assert issubclass(errors.BundleError, errors.BoardError) and issubclass(errors.ToolNotFound, errors.BuildError)


def test_train_model_is_the_training_helper_and_fit_its_alias():
    from hlsnb import train

    assert train.fit is train.train_model and "train_model" in train.__all__


def test_a_closed_overlay_raises_a_board_error_that_is_an_hlsnb_error(csim):
    nn = hb.SoftwareOverlay(csim["library"], IFACE)
    nn.close()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(errors.HlsnbError, match="closed"):
            nn.predict(np.zeros((1, 16)))
