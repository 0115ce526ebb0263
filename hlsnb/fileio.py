"""Writing files so that nothing a user saved can be lost: atomic replacement and an inter-process lock.

Every file hlsnb writes for a user (designs, project state, models, calibrations, refits, widget saves, bundles,
exports) goes through :func:`atomic_write` or :func:`atomic_path`: the new content is written to a unique temporary
file in the same folder, flushed and fsynced, then renamed over the target. A kill -9 or a full disk at any moment
leaves either the previous version or the new one, never a mix; two processes writing the same file never share a
temporary file. :func:`locked` serialises read-modify-write cycles between processes (several notebooks on one
project folder).

Floor 0 of docs/ARCHITECTURE.md: standard library only, so the board code (a leaf) may use it too.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_write", "atomic_path", "locked", "LockTimeout"]


class LockTimeout(TimeoutError):
    """Another process held the lock longer than the caller was prepared to wait."""


def _fsync_dir(folder: Path) -> None:
    # the rename itself is durable only once the folder's entry is on disk (POSIX); Windows has no directory fds
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems (tmpfs on old kernels, network mounts) refuse fsync on a directory: nothing to do
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, suffix: str | None = None) -> Iterator[Path]:
    """Yield a unique temporary path beside ``path``; on a clean exit it replaces ``path`` atomically.

    For writers that need a file name rather than a stream (``keras.Model.save``, ``sqlite3`` backups, zip files).
    The temporary file keeps ``path``'s suffix (or ``suffix``) because some writers (Keras) choose the format from it.
    On an exception the temporary file is removed and ``path`` is untouched.

    Examples
    --------
    >>> with atomic_path("model.keras") as tmp:      # doctest: +SKIP
    ...     model.save(tmp)
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    folder.mkdir(parents=True, exist_ok=True)
    # ".part" before the suffix: writers that pick the format from the suffix (Keras: ".keras") see it last
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.part.", suffix=suffix if suffix is not None else target.suffix,
                                dir=folder)
    os.close(fd)
    tmp = Path(name)
    # mkstemp creates the file 0600: give it the mode the target has, or what a plain open() would give (0666 less
    # the umask), so a saved design or bundle stays readable by whoever could read the previous version
    try:
        mode = target.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    with contextlib.suppress(OSError):
        os.chmod(tmp, mode)
    try:
        yield tmp
        if not tmp.exists():
            raise FileNotFoundError(f"{tmp}: the writer did not create the file it was given for {target}")
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, target)
        _fsync_dir(folder)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def atomic_write(path: str | os.PathLike, data: str | bytes, *, encoding: str = "utf-8") -> Path:
    """Write ``data`` to ``path`` atomically (unique temporary file in the same folder, fsync, rename).

    A crash or a full disk while writing leaves the previous content of ``path`` intact; the ``OSError`` (e.g.
    ``ENOSPC``) is raised with the target's name in its message.

    Returns
    -------
    Path
        ``path``.
    """
    target = Path(path)
    raw = data.encode(encoding) if isinstance(data, str) else bytes(data)
    try:
        with atomic_path(target) as tmp, open(tmp, "wb") as f:
            f.write(raw)
            f.flush()
    except OSError as e:
        if e.errno == errno.ENOSPC:
            raise OSError(e.errno, f"no space left on the device while writing {target}; its previous version "
                                   "is intact") from e
        raise
    return target


@contextlib.contextmanager
def locked(path: str | os.PathLike, *, timeout: float = 30.0, poll: float = 0.05) -> Iterator[None]:
    """Hold an exclusive inter-process lock on ``path`` (a ``.lock`` file beside it) for the ``with`` block.

    Used around read-modify-write of a shared state file, so two notebooks saving into one project do not lose each
    other's entries. The lock is advisory (``fcntl.flock``; on systems without it, an exclusive lock file created with
    ``O_EXCL``) and is released when the process dies, so a killed notebook never leaves it held (flock).

    Raises
    ------
    LockTimeout
        When another process held the lock for longer than ``timeout`` seconds; names the lock file.
    """
    target = Path(path)
    lock = target.with_name(target.name + ".lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        fcntl = None
    if fcntl is not None:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as e:
                    if e.errno not in (errno.EAGAIN, errno.EACCES) or time.monotonic() > deadline:
                        raise LockTimeout(f"{lock}: held by another process for more than {timeout:g} s "
                                          "(another notebook saving into the same folder?)") from e
                    time.sleep(poll)
            yield
        finally:
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
        return
    while True:  # pragma: no cover - Windows
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            break
        except FileExistsError as e:
            if time.monotonic() > deadline:
                raise LockTimeout(f"{lock}: held by another process for more than {timeout:g} s") from e
            time.sleep(poll)
    try:
        yield
    finally:
        os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            lock.unlink()
