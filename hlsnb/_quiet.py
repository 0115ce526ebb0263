"""Keep TensorFlow's C++ start-up log lines out of notebooks.

TensorFlow 2.21 writes "oneDNN custom operations are on", "This TensorFlow binary is optimized to use ..." and
absl's "All log messages before absl::InitializeLog() ..." straight to file descriptor 2 while it is imported,
whatever TF_CPP_MIN_LOG_LEVEL says; Jupyter shows them as red error output. ``install()`` (called by
``import hlsnb``) wraps the first import of ``tensorflow`` so that exactly those lines are dropped; anything else
written to stderr meanwhile is passed on unchanged.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.util
import os
import re
import sys
import tempfile

_NOISE = re.compile(
    r"All log messages before absl::InitializeLog|oneDNN custom operations are on|"
    r"This TensorFlow binary is optimized to use|To enable the following instructions|"
    r"rebuild TensorFlow with the appropriate compiler flags|Unable to register cu(DNN|FFT|BLAS) factory|"
    r"computation placer already registered|failed call to cuInit|Could not find cuda drivers"
)


@contextlib.contextmanager
def filtered_stderr():
    """Capture what is written to file descriptor 2 and pass on all but TensorFlow's start-up noise."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    with tempfile.TemporaryFile() as tmp:
        try:
            sys.stderr.flush()
        except (AttributeError, OSError, ValueError):
            pass  # no stderr (None), a broken pipe or a closed stream: nothing buffered to keep in order
        os.dup2(tmp.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            keep = [l for l in tmp.read().decode(errors="replace").splitlines() if l.strip() and not _NOISE.search(l)]
            if keep:
                sys.stderr.write("\n".join(keep) + "\n")


class _QuietLoader(importlib.abc.Loader):
    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        with filtered_stderr():
            self._loader.exec_module(module)


class _QuietTensorFlow(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(self)  # only the first import
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            spec.loader = _QuietLoader(spec.loader)
        return spec


def install() -> None:
    """Filter TensorFlow's start-up lines from its first import on (no-op if it is already imported)."""
    if "tensorflow" in sys.modules or os.environ.get("HLSNB_TF_LOGS") == "1":
        return
    if not any(isinstance(f, _QuietTensorFlow) for f in sys.meta_path):
        sys.meta_path.insert(0, _QuietTensorFlow())
