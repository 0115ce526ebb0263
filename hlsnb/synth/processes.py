"""Vendor-tool processes in their own process group, so a timeout, an interrupt or an error stops all of them.

``vivado_hls`` and ``vivado`` are shell wrappers that start Java and compiler children; killing only the process
Python started leaves those running (and, holding the output pipe, they keep a reader waiting). Every tool hlsnb
starts therefore gets a new session (``start_new_session=True``, so its process-group id is its pid), and every way
out of a run that is not a clean exit kills the whole group: first SIGTERM (Vivado removes its lock files), then,
after a short grace, SIGKILL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading

__all__ = ["start", "kill_group", "run_capture", "Deadline", "TERM_GRACE_S"]

#: Seconds between SIGTERM and SIGKILL when a group is stopped: long enough for Vivado to drop its locks.
TERM_GRACE_S = 3.0


def start(cmd: list[str], cwd=None, *, capture: bool = True) -> subprocess.Popen:
    """Start ``cmd`` as the leader of a new process group; stdout and stderr merged into one text pipe."""
    return subprocess.Popen(
        cmd, cwd=cwd, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE if capture else subprocess.DEVNULL, stderr=subprocess.STDOUT,
        text=True, bufsize=1, errors="replace", start_new_session=True,
    )


def _signal_group(proc: subprocess.Popen, sig) -> bool:
    """Send ``sig`` to ``proc``'s group; False when the group is already gone."""
    try:
        if hasattr(os, "killpg"):
            os.killpg(proc.pid, sig)  # the group id is the leader's pid (start_new_session)
        else:  # pragma: no cover  (no process groups: the leader is all that can be stopped)
            proc.send_signal(sig)
        return True
    except (ProcessLookupError, PermissionError):
        return False


def kill_group(proc: subprocess.Popen, grace_s: float = TERM_GRACE_S) -> None:
    """Stop ``proc`` and every process of its group: SIGTERM, up to ``grace_s`` for the leader to exit, SIGKILL.

    SIGKILL goes to the group even when the leader exited after SIGTERM: its children may not have.
    """
    if _signal_group(proc, signal.SIGTERM):
        try:
            proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            pass
    _signal_group(proc, getattr(signal, "SIGKILL", signal.SIGTERM))
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:  # pragma: no cover  (SIGKILL cannot be ignored; only an unkillable D state)
        pass


class Deadline:
    """Kills ``proc``'s group when ``timeout_s`` seconds have passed (``None``: never); ``fired`` says whether it did.

    A timer thread, because the reader of a tool's output blocks on its pipe: killing the group closes the pipe and
    ends the read.
    """

    def __init__(self, proc: subprocess.Popen, timeout_s: float | None):
        self.fired = False
        self._proc = proc
        self._timer = None
        if timeout_s is not None:
            self._timer = threading.Timer(timeout_s, self._fire)
            self._timer.daemon = True
            self._timer.start()

    def _fire(self):
        self.fired = True
        kill_group(self._proc)

    def cancel(self):
        if self._timer is not None:
            self._timer.cancel()


def run_capture(cmd: list[str], timeout_s: float, cwd=None) -> tuple[int | None, str, bool]:
    """Run ``cmd`` to completion in its own group: ``(exit code or None, output, timed_out)``.

    On a timeout, an interrupt or any error the whole group is killed before this returns or raises, so no
    child of the tool outlives the call. ``OSError`` (the program cannot be started) propagates.
    """
    proc = start(cmd, cwd)
    try:
        out, _ = proc.communicate(timeout=timeout_s)
        return proc.returncode, out or "", False
    except subprocess.TimeoutExpired:
        kill_group(proc)
        try:  # the group is dead, so the pipe is closed: collect what was printed before the timeout
            out, _ = proc.communicate(timeout=TERM_GRACE_S)
        except subprocess.TimeoutExpired:  # pragma: no cover  (a child that left the group still holds the pipe)
            out = ""
        return None, out or "", True
    except BaseException:
        kill_group(proc)
        raise
    finally:
        # a clean exit of the leader can still leave children behind (a daemonised helper): not past this call
        if proc.returncode is not None:
            _signal_group(proc, getattr(signal, "SIGKILL", signal.SIGTERM))
