"""Run one open tool (Yosys, make + Verilator) so that it can never outlive the call that started it.

Built on :mod:`hlsnb.synth.processes`: the tool leads its own process group; on a timeout, a Jupyter interrupt
(``KeyboardInterrupt``) or any exception the whole group is killed (SIGTERM, then SIGKILL), so no Yosys/ABC or
compiler child is left using a core. Output is streamed line by line into a log file and the notebook.
"""

from __future__ import annotations

import time

from ..errors import BuildError, ToolNotFound
from ..synth.processes import Deadline, kill_group, start

__all__ = ["ToolTimeout", "run_streamed"]


class ToolTimeout(BuildError, TimeoutError):
    """An open-synthesis tool ran past its time limit and was killed (with all its children)."""


def run_streamed(cmd: list[str], cwd, *, log_path, sink=None, timeout_s: float | None = None, on_line=None,
                 what: str | None = None) -> str:
    """Run ``cmd`` in ``cwd``, stream its output, and return the whole output text.

    Parameters
    ----------
    cmd : the command and its arguments (prefix ``env NAME=value`` to set its environment)
    cwd : working directory
    log_path : file that receives the whole output (overwritten)
    sink : object with ``write(line)`` (the notebook's log view); ``None`` streams nowhere
    timeout_s : wall-clock limit in seconds; ``None`` for none
    on_line : optional callback on each output line (drives the progress display)
    what : the tool's name in messages (default ``cmd[0]``)

    Raises
    ------
    ToolNotFound
        ``cmd[0]`` cannot be started.
    ToolTimeout
        It ran past ``timeout_s``; its process group was killed.
    BuildError
        It exited non-zero; the message names the exit code, the last lines of output and the log.
    """
    what = what or cmd[0]
    try:
        proc = start(cmd, cwd)
    except OSError as e:
        raise ToolNotFound(f"cannot start {what} ({cmd[0]!r}) in {cwd}: {e}") from None
    watchdog = Deadline(proc, timeout_s)
    lines: list[str] = []
    t0 = time.monotonic()
    try:
        with open(log_path, "w") as log:
            assert proc.stdout is not None
            for line in proc.stdout:
                lines.append(line)
                log.write(line)
                if sink is not None:
                    sink.write(line)
                if on_line is not None:
                    on_line(line)
        rc = proc.wait()
    except BaseException:  # the notebook's stop button (KeyboardInterrupt) included: never leave the tool running
        watchdog.cancel()
        kill_group(proc)
        raise
    finally:
        if proc.stdout is not None:
            proc.stdout.close()
    watchdog.cancel()
    kill_group(proc, grace_s=0)  # the leader exited; a child it left behind does not outlive the run
    if watchdog.fired:
        raise ToolTimeout(f"{what} ran past its limit of {timeout_s:g} s in {cwd} and was killed with its process "
                          f"group; the log so far is in {log_path}")
    if rc != 0:
        tail = "".join(lines[-8:]).rstrip() or "(no output)"
        raise BuildError(f"{what} exited with code {rc} after {time.monotonic() - t0:.1f} s in {cwd}; last lines:\n"
                         f"{tail}\nwhole log: {log_path}")
    return "".join(lines)
