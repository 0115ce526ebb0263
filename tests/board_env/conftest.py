"""Runs inside .venv-board (pynq 3.x, numpy < 2, no TensorFlow/hls4ml). Enables the emulated device."""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))  # the repo root: hlsnb is used from the work tree

import importlib.util  # noqa: E402

# In the main venv (no pynq) these tests are run by tests/test_board_pynq_env.py through .venv-board instead.
if importlib.util.find_spec("pynq") is None:
    collect_ignore_glob = ["test_*.py"]
else:
    # PYNQ's no-hardware testing: our Device subclass registers only when asked for, before pynq is used.
    os.environ.setdefault("HLSNB_PYNQ_EMULATE", "1")
