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


def pytest_collection_modifyitems(config, items):
    """With pytest-xdist (`make test` runs two workers, ``--dist loadgroup``), the notebook path stays on one worker in
    order: the browser walk first (it fills the content caches of 04's open synthesis and RTL check), then every
    notebook under nbval (00 -> 06: each picks up what the notebook before it handed over). The unit tests share the
    other worker."""
    for item in items:
        path = str(item.fspath)
        if path.endswith(".ipynb") or path.endswith("test_browser.py"):
            item.add_marker(pytest.mark.xdist_group("notebook_path"))
