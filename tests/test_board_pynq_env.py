"""The real pynq code path, off-board: tests/board_env/ run inside .venv-board (pynq 3.1, numpy < 2).

This one test (a) builds the C simulation library with hls4ml here in the main env, (b) creates or updates
.venv-board (tools/board_env.sh: pinned, idempotent, a no-op when up to date), and (c) runs
``.venv-board/bin/python -m pytest tests/board_env`` with the library's location in the environment, where
NeuralNetworkOverlay drives pynq's own Overlay/allocate/DMA driver against the emulated PYNQ-Z2.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def csim_info(board_csim_dir):
    return board_csim_dir / "info.json"


def _clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    env.update(extra)
    return env


def test_pynq_driver_end_to_end_in_board_env(csim_info):
    venv = Path(os.environ.get("HLSNB_BOARD_VENV", ROOT / ".venv-board"))
    made = subprocess.run(["bash", str(ROOT / "tools" / "board_env.sh")], capture_output=True, text=True,
                          env=_clean_env(HLSNB_BOARD_VENV=str(venv)), timeout=900)
    if made.returncode != 0:
        pytest.fail(
            "could not create the pynq test environment .venv-board with tools/board_env.sh "
            f"(exit {made.returncode}; is the package registry reachable?):\n{made.stdout[-3000:]}\n{made.stderr[-3000:]}"
        )
    run = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pytest", "tests/board_env", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
        env=_clean_env(HLSNB_BOARD_CSIM_INFO=str(csim_info), HLSNB_PYNQ_EMULATE="1"),
    )
    print(run.stdout[-20000:], run.stderr[-5000:])
    assert run.returncode == 0, f"tests/board_env failed in {venv}:\n{run.stdout[-20000:]}\n{run.stderr[-5000:]}"
    assert " passed" in run.stdout and " failed" not in run.stdout
