"""hls4ml's C simulation compiled once per content: ``compile_csim(hls_model)`` instead of ``hls_model.compile()``.

Public as :func:`hlsnb.synth.compile_csim`; a module of its own on floor 6, below ``hlsnb.synth`` and ``hlsnb.prune``,
which both compile C simulations (docs/ARCHITECTURE.md).

``hls_model.compile()`` writes the project and runs its ``build_lib.sh`` (g++ -O3 over the generated firmware): 5-15 s
for the forum's network, every time, even when nothing changed. :func:`compile_csim` writes the project the same way,
then looks the library up by a content key and runs the same ``build_lib.sh`` only on a miss:

- every file g++ can read: ``firmware/`` (the generated C++, the weight headers, hls4ml's ``nnet_utils`` and
  ``ap_types``) and the ``*_bridge.cpp``; ``build_lib.sh`` itself (compiler and flags), its per-write library stamp
  removed; the g++ version;
- the project folder's absolute path: the library reads the weight values (``firmware/weights/*.txt``) from it when it
  runs (hls4ml bakes that path in as ``WEIGHTS_DIR``), so a library is reused only in the folder it was built for,
  and it always reads that folder's current weights.

A hit copies the stored library to ``firmware/<project>-<stamp>.so`` (the name ``compile()`` would give it) and loads
it, as ``compile()`` does; ``hls_model.predict`` and ``trace`` then run it unchanged. The cache is
:mod:`hlsnb.cache` (``<cache root>/csim/<key>/csim.so``); a damaged entry is a miss with a warning.
"""

from __future__ import annotations

import ctypes
import functools
import re
import subprocess
import time
import warnings
from pathlib import Path

from .cache import CacheWarning, cache_root, content_key, fetch_file, keep_file

__all__ = ["compile_csim", "csim_key", "trace_csim"]

_STAMP = re.compile(r"^LIB_STAMP=.*$", re.M)


@functools.lru_cache(maxsize=1)
def _compiler_version() -> str:
    """``g++ --version``'s first line (the compiler hls4ml's build_lib.sh calls), or why there is none."""
    try:
        out = subprocess.run(["g++", "--version"], check=False, capture_output=True, text=True, timeout=30).stdout
        return out.splitlines()[0] if out else "g++: no version"
    except (OSError, subprocess.SubprocessError) as e:
        return f"g++: {e}"


def csim_key(output_dir) -> str:
    """Content key of the C-simulation library of the hls4ml project written in ``output_dir`` (see the module)."""
    out = Path(output_dir).resolve()
    firmware = out / "firmware"
    files = sorted(p for p in firmware.rglob("*") if p.is_file() and p.suffix != ".so"
                   and not (p.parent.name == "weights" and p.suffix == ".txt"))
    files += sorted(out.glob("*_bridge.cpp"))
    script = _STAMP.sub("LIB_STAMP=-", (out / "build_lib.sh").read_text())
    return content_key(files, f"hls4ml build_lib.sh in {out}\n{script}", _compiler_version(), base=out)


def _load(hls_model, lib: Path) -> None:
    """Load ``lib`` into ``hls_model`` the way hls4ml's ``ModelGraph._compile`` does once ``build_lib.sh`` has run
    (hls4ml/model/graph.py): close the library loaded before, if any, then load the new one."""
    old = hls_model._top_function_lib
    if old is not None:
        try:
            dlclose = ctypes.CDLL("libdl.so.2").dlclose
        except OSError:  # a C library without a separate libdl (musl, macOS): dlclose is in the process already
            dlclose = ctypes.CDLL(None).dlclose
        dlclose.argtypes, dlclose.restype = [ctypes.c_void_p], ctypes.c_int
        dlclose(old._handle)
        hls_model._top_function_lib = None
    hls_model._top_function_lib = ctypes.cdll.LoadLibrary(str(lib))


def compile_csim(hls_model, *, use_cache: bool = True, cache_dir=None) -> float:
    """Write ``hls_model``'s project and compile its C simulation, or load the library cached for the same content.

    What ``hls_model.compile()`` does, with the cache of the module docstring in between (``use_cache=False``: the
    same as ``compile()``). Returns the compile time in seconds, 0.0 when the library came from the cache. Raises
    what ``compile()`` raises for a failed build."""
    if type(hls_model).__name__ != "ModelGraph" or not hasattr(hls_model, "_top_function_lib"):
        t0 = time.monotonic()
        hls_model.compile()  # another kind of graph (hls4ml's MultiModelGraph): its own build, not cached
        return time.monotonic() - t0
    hls_model.write()
    cfg = hls_model.config
    out = Path(cfg.get_output_dir())
    lib = out / "firmware" / f"{cfg.get_project_name()}-{cfg.get_config_value('Stamp')}.so"
    entry = cache_root("csim", cache_dir) / csim_key(out) / "csim.so" if use_cache else None
    if entry is not None and fetch_file(entry, lib, "C-simulation library"):
        try:
            _load(hls_model, lib)
            return 0.0
        except OSError as e:  # copied but not loadable (a damaged entry): a miss; the build below replaces it
            warnings.warn(f"cached C-simulation library {entry} cannot be loaded ({e}): compiling it again",
                          CacheWarning, stacklevel=2)
    t0 = time.monotonic()
    hls_model._compile()  # hls4ml: run build_lib.sh, load firmware/<project>-<stamp>.so
    seconds = time.monotonic() - t0
    if entry is not None and lib.is_file():
        keep_file(lib, entry, "C-simulation library")
    return seconds


def trace_csim(hls_model, X, *, use_cache: bool = True, cache_dir=None) -> tuple:
    """``hls_model.trace(X)`` with the traced library built by :func:`compile_csim`: ``(predictions, traces,
    compile seconds)`` (0.0 when the library came from the cache).

    hls4ml's ``trace()`` turns tracing on and calls ``compile()`` on every call; here the traced project is written
    and compiled (or fetched) first, and that one graph's ``compile`` is a no-op while ``trace()`` runs it."""
    hls_model.config.trace_output = True
    seconds = compile_csim(hls_model, use_cache=use_cache, cache_dir=cache_dir)
    hls_model.compile = lambda: None  # an instance attribute: this graph only; its library is loaded above
    try:
        y, traces = hls_model.trace(X)
    finally:
        del hls_model.compile  # the class's compile() again
    return y, traces, seconds
