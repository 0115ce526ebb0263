"""The bit-accurate C simulation library hls4ml compiles (``firmware/<project>-<stamp>.so``), through ctypes.

hls4ml's ``ModelGraph._predict`` calls ``<project>_float(in, out)`` or ``<project>_double(in, out)`` once per
sample; we do the same, without importing hls4ml.
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

import numpy as np

from .interface import StreamInterface

__all__ = ["CSimLibrary", "find_csim_library"]


def find_csim_library(project_dir, project_name: str = "myproject") -> Path:
    """The newest ``firmware/<project_name>-*.so`` in an hls4ml output directory."""
    libs = sorted(Path(project_dir, "firmware").glob(f"{project_name}-*.so"), key=os.path.getmtime)
    if not libs:
        raise FileNotFoundError(
            f"no C simulation library {project_name}-*.so in {Path(project_dir, 'firmware')}; "
            "run hls_model.compile() first"
        )
    return libs[-1]


class CSimLibrary:
    """One sample in, one sample out, through the compiled C simulation.

    ``run(x)`` takes a (n, n_in) array of float32 (calls ``_float``) or float64 (calls ``_double``) and
    returns a new (n, n_out) array of the same dtype.
    """

    def __init__(self, path, n_in: int, n_out: int, project_name: str = "myproject"):
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"C simulation library {self.path} does not exist")
        self.n_in, self.n_out, self.project_name = int(n_in), int(n_out), project_name
        self._lib = ctypes.CDLL(str(self.path.resolve()))
        self._fn = {}
        for suffix, dt in (("_float", np.float32), ("_double", np.float64)):
            name = project_name + suffix
            try:
                fn = getattr(self._lib, name)
            except AttributeError:
                raise ValueError(
                    f"{self.path.name} has no symbol {name}: project_name {project_name!r} does not match the library"
                ) from None
            fn.restype = None
            fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
            self._fn[np.dtype(dt)] = fn

    @classmethod
    def for_interface(cls, path, interface: StreamInterface) -> "CSimLibrary":
        return cls(path, interface.n_in, interface.n_out, interface.project_name)

    def run(self, x: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(x)
        fn = self._fn.get(x.dtype)
        if fn is None:
            raise TypeError(f"C simulation takes float32 or float64 samples; got {x.dtype}")
        x = x.reshape(len(x), self.n_in) if x.size else x.reshape(0, self.n_in)
        y = np.zeros((len(x), self.n_out), dtype=x.dtype)
        xs, ys = x.strides[0], y.strides[0]
        xp, yp = x.ctypes.data, y.ctypes.data
        for i in range(len(x)):
            fn(xp + i * xs, yp + i * ys)
        return y
