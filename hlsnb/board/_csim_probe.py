"""How many values a C-simulation library really reads and writes per sample, measured with guard pages.

hls4ml's ``<project>_float(float *in, float *out)`` reads exactly N_INPUT floats and writes exactly N_OUTPUT floats,
but the library records neither number: the C++ arrays decay to pointers. Given a wrong interface, ctypes would
happily let it read past the input buffer and write past the output buffer, returning numbers. So the widths are
measured: a buffer ends ``k`` floats before an inaccessible page; the call survives iff the width is <= ``k``. A wrong
guess crashes (SIGSEGV), so every call runs in a forked child of a separate, minimal Python process (stdlib only),
which is in its own process group and killed with everything it started on a timeout.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

__all__ = ["measure_widths", "PROBE_TIMEOUT_S"]

#: Seconds the whole measurement may take (a few C-simulation calls; a large CNN takes about a second each).
PROBE_TIMEOUT_S = 120.0

# Runs in the child Python: argv = library, project name, expected n_in, expected n_out; prints "n_in n_out".
_SCRIPT = r"""
import ctypes, mmap, os, sys
path, name, want_in, want_out = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
fn = getattr(ctypes.CDLL(path), name + "_float")
fn.restype = None
fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
libc = ctypes.CDLL(None, use_errno=True)
libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
PAGE, CAP = mmap.PAGESIZE, 1 << 22  # at most 4 Mi values per side

def region():  # CAP zero floats followed by one inaccessible page; returns (mmap, address of the guard page)
    size = -(-4 * CAP // PAGE) * PAGE
    m = mmap.mmap(-1, size + PAGE)
    base = ctypes.addressof(ctypes.c_char.from_buffer(m))
    if libc.mprotect(base + size, PAGE, 0) != 0:
        raise OSError(ctypes.get_errno(), "mprotect failed")
    return m, base + size

(mi, gi), (mo, go) = region(), region()

def fits(side, k):  # does one call survive when `side` has only k floats before the guard page?
    pid = os.fork()
    if pid == 0:
        try:
            fn(gi - 4 * k if side == "in" else gi - 4 * CAP, go - 4 * k if side == "out" else go - 4 * CAP)
        finally:
            os._exit(0)
    return os.waitpid(pid, 0)[1] == 0

def width(side, want):
    if 1 <= want <= CAP and fits(side, want) and not fits(side, want - 1):
        return want  # the usual case: two calls
    lo, hi = 0, max(1, min(want, CAP))  # invariant: fits(hi) or hi == CAP; not fits(lo)
    while not fits(side, hi):
        if hi == CAP:
            return -1
        lo, hi = hi, min(2 * hi, CAP)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if fits(side, mid) else (mid, hi)
    return hi

print(width("out", want_out), width("in", want_in))
"""

_cache: dict = {}


def measure_widths(path, project_name: str, n_in: int, n_out: int) -> "tuple[int, int] | None":
    """``(values read, values written)`` per call of ``<project_name>_float`` in the library at ``path``.

    ``n_in``/``n_out`` (the interface's widths) are tried first, so a matching library costs a few calls. Returns
    ``None`` when the widths cannot be measured here (no ``fork``/``mprotect``, or the measurement timed out); a
    width above 4 Mi values is returned as -1. Results are cached per file (path, size, modification time).
    """
    if not hasattr(os, "fork"):
        return None
    st = os.stat(path)
    key = (os.path.realpath(path), st.st_size, st.st_mtime_ns, project_name, n_in, n_out)
    if key in _cache:
        return _cache[key]
    cmd = [sys.executable, "-I", "-S", "-c", _SCRIPT, os.path.realpath(path), project_name, str(n_in), str(n_out)]
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=PROBE_TIMEOUT_S)
    except BaseException:  # a timeout or an interrupt: the probe and its forked children go, then the error goes on
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
        if isinstance(sys.exc_info()[1], subprocess.TimeoutExpired):
            return None
        raise
    if proc.returncode != 0:
        return None
    try:
        w_out, w_in = (int(v) for v in out.split())
    except ValueError:
        return None
    _cache[key] = (w_in, w_out)
    return w_in, w_out
