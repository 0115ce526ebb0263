"""Shared fixtures: the digits16 data, the trained 16-64-32-32-5 MLP, the shared calibration folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# Tests (and the notebook kernels nbval starts) must not pick up a refit saved on this machine by a user.
os.environ["HLSNB_COEFFICIENTS"] = os.path.join(os.path.dirname(__file__), ".no-user-calibration.json")

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CALIBRATION = SHARED / "calibration"


@pytest.fixture(scope="session")
def calibration_dir() -> Path:
    if not (CALIBRATION / "reports.csv").exists():
        pytest.skip(f"shared calibration data not found at {CALIBRATION} (CI places ../shared beside the repo)")
    return CALIBRATION


def _benchmark_module(name: str):
    """benchmarks/<name>.py as a module (its functions, no run)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="session")
def benchmark_module():
    """``benchmark_module(name)``: benchmarks/<name>.py as a module (its functions, no run)."""
    return _benchmark_module


@pytest.fixture(scope="session")
def pruning_bench():
    """benchmarks/bench_pruning_vs_hls4ml.py as a module (its analysis functions, no run)."""
    return _benchmark_module("bench_pruning_vs_hls4ml")


@pytest.fixture(scope="session")
def digits16():
    from hlsnb.data import load_dataset

    return load_dataset("digits16")


@pytest.fixture(scope="session")
def mlp(digits16, tmp_path_factory):
    """The trained tutorial MLP (16-64-32-32-5, softmax), trained once per session (about 5 s)."""
    from hlsnb.train import build_mlp, fit

    model = build_mlp(seed=0)
    fit(model, digits16, epochs=30, seed=0, progress=False)
    return model


@pytest.fixture()
def fresh_mlp():
    """An untrained 16-64-32-32-5 MLP (random weights): for tests that only need geometry."""
    from hlsnb.train import build_mlp

    return build_mlp(seed=1)


@pytest.fixture(scope="session")
def board_csim_dir(tmp_path_factory) -> Path:
    """The C-simulation library and reference outputs of the board tests, built once per session (hls4ml compile)."""
    import sys

    sys.path.insert(0, str(ROOT / "tests" / "board_env"))
    import build_csim

    d = tmp_path_factory.mktemp("board_csim")
    build_csim.build(d)
    return d


@pytest.fixture(scope="session")
def forum_model(digits16):
    """The forum's design trained here (hlsnb.forum.train_forum_mlp: HGQ2 6-bit QAT, 75 % zeros per Dense layer),
    shortened to 15 epochs (about 15 s): the same layers, types and zero counts as the default's 30."""
    from hlsnb.forum import train_forum_mlp

    return train_forum_mlp(digits16, epochs=15, prune_steps=3, progress=False)


@pytest.fixture
def cardio():
    """``(design, report)``: the small 21-3-3 MLP (8-bit weights, Vitis, xc7z007s) and the replayed real Vitis HLS
    report of its build (``hlsnb.synth.REPLAY_DIR``): a design and the report that belongs to it."""
    keras = pytest.importorskip("keras")
    from hlsnb.design import Design
    from hlsnb.synth import REPLAY_DIR, replay_build

    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((21,)), keras.layers.Dense(3, activation="relu", name="fc1"),
                          keras.layers.Dense(3, activation="softmax", name="output")])
    d = Design.from_keras(m, board=None, part="xc7z007s-clg225-2", clock_ns=3.33, precision="ap_fixed<16,4>",
                          backend="Vitis")
    for l in d.layers:
        if l.is_mult_layer:
            d.set(l.name, weight_precision="ap_fixed<8,1>")
    return d, replay_build(REPLAY_DIR, echo=False).report()


def _on_notebook_path(nodeid: str) -> bool:
    file = nodeid.split("::", 1)[0]
    return file.endswith(".ipynb") or file.endswith("test_browser.py")


def pytest_collection_modifyitems(config, items):
    """The notebook path runs first and in order: the browser walk (it fills the content caches of 04's open synthesis
    and RTL check), then every notebook under nbval, 00 -> 06 (each picks up what the notebook before it handed
    over). Stable: the unit tests keep their order behind it."""
    items[:] = sorted(items, key=lambda item: not _on_notebook_path(item.nodeid))


@pytest.hookimpl(tryfirst=True, optionalhook=True)  # before xdist's DSession; optional: the board env has no xdist
def pytest_xdist_make_scheduler(config, log):
    """`make test` runs two pytest-xdist workers. The notebook path is one work unit, so one worker runs it whole and
    in order (nbval keeps one kernel per notebook, and 02 reads what 01 saved); every other test file is a unit of
    its own (its module fixtures are built once), spread over both workers.

    Not ``--dist loadgroup``: with pytest 9 its ``xdist_group`` mark no longer reaches the node id (pytest 9 keeps the
    id in ``_id``; xdist 3.8 writes ``_nodeid``), so notebook cells were spread over both workers and every cell after
    the first failed with a NameError (the CI run of 2026-12-06)."""
    from xdist.scheduler import LoadScopeScheduling

    # Units in collection order, so the notebook path (sorted first above) starts at once on the first worker instead
    # of waiting behind larger test files (xdist sorts units by size unless told not to).
    config.option.loadscopereorder = False

    class NotebookPathScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return "notebook path" if _on_notebook_path(nodeid) else nodeid.split("::", 1)[0]

    return NotebookPathScheduling(config, log)
