"""Deployment bundle: one archive with everything the board needs, checked before use.

Layout (inside one top folder named after the stem)::

    manifest.json              checksums, interface, versions
    <stem>.bit, <stem>.hwh     bitstream and its hardware handoff, same stem (pynq needs that)
    driver/hlsnb/...           a standalone copy of hlsnb.board (numpy only; pynq on the board)
    data/test_inputs.npy       test inputs and the C simulation's outputs for them
    data/expected_outputs.npy
    csim/<lib>.so              optional: the C simulation library (x86-64), for SoftwareOverlay off-board
    run_on_pynq.ipynb          the on-board notebook
"""

from __future__ import annotations

import datetime
import os
import platform
import re
import shutil
import tarfile
import tempfile
import zipfile
import zlib
from pathlib import Path

import numpy as np

from ..errors import BundleError, InvalidSetting
from ..fileio import atomic_path
from .interface import StreamInterface
from .manifest import (
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    Manifest,
    file_table,
    read_interface_next_to,
    read_manifest,
    verify_files,
    write_manifest,
)
from .overlay import NeuralNetworkOverlay, SoftwareOverlay
from .profiles import BoardProfile, get_profile, profile_or_default

__all__ = ["package", "load_bundle", "Bundle", "BundleError", "read_interface_next_to", "read_bit_header",
           "FORMAT", "FORMAT_VERSION"]

_BOARD_DIR = Path(__file__).resolve().parent
_PACKAGE_DIR = _BOARD_DIR.parent


def read_bit_header(path) -> dict:
    """Design, tool version, part, date and time from a Xilinx ``.bit`` header (raises BundleError if absent)."""
    data = Path(path).read_bytes()[:4096]
    try:
        n = int.from_bytes(data[0:2], "big")
        off = 2 + n + 2
        out = {}
        while off < len(data):
            key = data[off]
            off += 1
            if key == 0x65:
                out["length"] = int.from_bytes(data[off:off + 4], "big")
                break
            n = int.from_bytes(data[off:off + 2], "big")
            off += 2
            text = data[off:off + n].rstrip(b"\0").decode("ascii")
            off += n
            if key == 0x61:
                parts = text.split(";")
                out["design"], out["version"] = parts[0], parts[-1]
            elif key == 0x62:
                out["part"] = text
            elif key == 0x63:
                out["date"] = text
            elif key == 0x64:
                out["time"] = text
            else:
                raise ValueError(f"unknown field {key:#x}")
        if "part" not in out or "length" not in out:
            raise ValueError("no part or data field")
        return out
    except (ValueError, IndexError, UnicodeDecodeError) as e:
        raise BundleError(f"{Path(path).name} is not a Xilinx .bit file (header: {e})") from None


def _versions(extra: "dict | None") -> dict:
    from importlib import metadata

    v = {"python": platform.python_version(), "numpy": np.__version__}
    for dist in ("hlsnb", "hls4ml", "keras", "tensorflow-cpu", "tensorflow"):
        try:
            v[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    v.update(extra or {})
    return v


# The modules outside hlsnb/board that the board code imports (stdlib only): the driver copy needs them too.
_DRIVER_EXTRA = ("precision.py", "errors.py", "fileio.py")


def _copy_driver(dest: Path):
    """A standalone copy of hlsnb.board (plus hlsnb/precision.py, hlsnb/errors.py and hlsnb/fileio.py, which it
    uses)."""
    pkg = dest / "hlsnb"
    shutil.copytree(_BOARD_DIR, pkg / "board", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in _DRIVER_EXTRA:
        shutil.copy2(_PACKAGE_DIR / name, pkg / name)
    (pkg / "__init__.py").write_text(
        '"""Driver-only copy of hlsnb (hlsnb.board, hlsnb.precision, hlsnb.errors, hlsnb.fileio), for the board."""\n'
    )


def package(
    out,
    *,
    bitfile,
    interface,
    test_inputs,
    test_labels=None,
    hwh=None,
    expected_outputs=None,
    csim_library=None,
    notebook=None,
    name: "str | None" = None,
    board: "str | BoardProfile" = "pynq-z2",
    versions: "dict | None" = None,
) -> Path:
    """Write a deployment bundle (``.zip`` or ``.tar.gz``, from the suffix of ``out``) and return its path.

    Parameters
    ----------
    out : archive path ending in ``.zip``, ``.tar.gz`` or ``.tgz``.
    bitfile : the ``.bit``; ``hwh`` defaults to the ``.hwh`` with the same stem. Both are stored as
        ``<name>.bit`` / ``<name>.hwh`` (``name`` defaults to the bitfile's stem).
    interface : :class:`StreamInterface` (or dict), e.g. ``StreamInterface.from_hls4ml(hls_model)``.
    test_inputs : array (n, *input_shape) stored with the bundle.
    test_labels : optional true class labels (n,) for an accuracy figure on the board.
    expected_outputs : the C simulation's outputs for ``test_inputs``; computed with
        :class:`SoftwareOverlay` from ``csim_library`` when omitted.
    csim_library : hls4ml's ``firmware/<project>-<stamp>.so``; stored so the bundle also runs off-board.
    notebook : path of the on-board notebook; default: a generated one (``hlsnb.board.notebook``).
    board : the board the bitstream is for (a name, or a :class:`BoardProfile` whose name is stored); the overlays
        size their DMA buffers from its profile (``hlsnb.board.profiles``).
    versions : extra entries for the manifest's ``versions``.

    Everything is checked before anything is written (``ValueError``/``InvalidSetting`` naming the parameter,
    ``FileNotFoundError`` for a missing input file, :class:`BundleError` for a file that is not what it claims):
    ``name`` must be a plain file name (no folder, ``..`` or separator), test inputs and outputs must be finite
    and fit the interface. The archive is written through :func:`hlsnb.fileio.atomic_path` (a unique temporary
    file next to ``out``, fsynced and renamed at the end): on any failure (a full disk, an interrupt, a kill) ``out``
    is left as it was.
    """
    job = _checked_inputs(out, bitfile=bitfile, interface=interface, test_inputs=test_inputs,
                          test_labels=test_labels, hwh=hwh, expected_outputs=expected_outputs,
                          csim_library=csim_library, notebook=notebook, name=name, board=board, versions=versions)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / job.stem
        lib_rel = _stage_files(root, job)
        write_manifest(root, _manifest(job, lib_rel, file_table(root)))
        _write_archive(root, job.out, job.kind, job.stem)
    return job.out


class _Job:
    """A packaging job whose every input has been checked (what :func:`package` writes)."""

    def __init__(self, **kw):
        self.__dict__.update(kw)


def _checked_inputs(out, *, bitfile, interface, test_inputs, test_labels, hwh, expected_outputs, csim_library,
                    notebook, name, board, versions) -> _Job:
    """Check every argument of :func:`package` before anything is written; the checked values as a :class:`_Job`."""
    if not isinstance(out, (str, os.PathLike)):
        raise InvalidSetting(f"package: out must be an archive path; got {type(out).__name__} {out!r}")
    out = Path(out)
    if isinstance(board, BoardProfile):
        board = board.name
    kind = "zip" if out.name.endswith(".zip") else "tar" if out.name.endswith((".tar.gz", ".tgz")) else None
    if kind is None:
        raise ValueError(f"bundle name {out.name!r} must end in .zip, .tar.gz or .tgz")
    if out.is_dir():
        raise InvalidSetting(f"package: out {str(out)!r} is a folder; give the archive's file name")
    bitfile = Path(bitfile)
    hwh = Path(hwh) if hwh is not None else bitfile.with_suffix(".hwh")
    for p, what in ((bitfile, "bitstream"), (hwh, "hardware handoff (.hwh)")):
        if not p.is_file():
            raise FileNotFoundError(f"{what} {p} does not exist")
    for p, what in ((csim_library, "csim_library"), (notebook, "notebook")):
        if p is not None and not Path(p).is_file():
            raise FileNotFoundError(f"{what} {p} does not exist")
    if versions is not None and not isinstance(versions, dict):
        raise InvalidSetting(f"package: versions must be a dict of name -> version; got {versions!r}")
    bit_header = read_bit_header(bitfile)
    try:
        iface = interface if isinstance(interface, StreamInterface) else StreamInterface.from_dict(interface)
    except (TypeError, ValueError, AttributeError) as e:
        raise InvalidSetting(f"package: interface is not a StreamInterface or its dict: {e}") from None
    stem = _check_stem(name, "name") if name is not None else _check_stem(bitfile.stem, f"bitfile {bitfile.name!r}")
    X = _samples(test_inputs, iface.input_shape, "test_inputs")
    if expected_outputs is None:
        if csim_library is None:
            raise ValueError("give expected_outputs, or csim_library to compute them with the C simulation")
        with SoftwareOverlay(csim_library, iface) as sw:
            expected_outputs = sw.predict(X)
    Y = np.asarray(expected_outputs)
    if Y.ndim == 0 or len(Y) != len(X):
        raise ValueError(f"expected_outputs has {len(Y) if Y.ndim else 0} rows for {len(X)} test inputs")
    Y = _samples(Y, iface.output_shape, "expected_outputs")
    labels = None
    if test_labels is not None:
        labels = np.asarray(test_labels)
        if labels.ndim == 0 or len(labels) != len(X):
            raise ValueError(f"test_labels has {len(labels) if labels.ndim else 0} rows for {len(X)} test inputs")
        if labels.ndim != 1 or labels.dtype.kind not in "iu":
            raise InvalidSetting(f"package: test_labels must be integer class labels of shape ({len(X)},); got "
                                 f"dtype {labels.dtype}, shape {labels.shape}")
    return _Job(out=out, kind=kind, board=board, bitfile=bitfile, hwh=hwh, bit_header=bit_header, iface=iface,
                stem=stem, X=X, Y=Y, labels=labels, csim_library=csim_library, notebook=notebook, versions=versions)


def _stage_files(root: Path, job: _Job) -> "str | None":
    """Lay the bundle's files out under ``root`` (bitstream, data, driver, C simulation, notebook); returns the
    C simulation library's path inside the bundle, if any."""
    (root / "data").mkdir(parents=True)
    shutil.copy2(job.bitfile, root / f"{job.stem}.bit")
    shutil.copy2(job.hwh, root / f"{job.stem}.hwh")
    np.save(root / "data" / "test_inputs.npy", job.X, allow_pickle=False)
    np.save(root / "data" / "expected_outputs.npy", job.Y, allow_pickle=False)
    if job.labels is not None:
        np.save(root / "data" / "test_labels.npy", job.labels, allow_pickle=False)
    _copy_driver(root / "driver")
    lib_rel = None
    if job.csim_library is not None:
        (root / "csim").mkdir()
        lib_rel = f"csim/{Path(job.csim_library).name}"
        shutil.copy2(job.csim_library, root / lib_rel)
    if job.notebook is not None:
        shutil.copy2(job.notebook, root / "run_on_pynq.ipynb")
    else:
        from .notebook import bundle_notebook

        (root / "run_on_pynq.ipynb").write_text(bundle_notebook())
    return lib_rel


def _manifest(job: _Job, lib_rel: "str | None", files: dict) -> Manifest:
    """The manifest of a staged bundle: interface, test data, versions and every file's checksum."""
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "name": job.stem,
        "board": job.board,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "bitfile": f"{job.stem}.bit",
        "hwh": f"{job.stem}.hwh",
        "bit_header": {k: v for k, v in job.bit_header.items() if k != "length"},
        "interface": job.iface.to_dict(),
        "test": {
            "inputs": "data/test_inputs.npy",
            "expected_outputs": "data/expected_outputs.npy",
            "labels": "data/test_labels.npy" if job.labels is not None else None,
            "n_samples": int(len(job.X)),
            "expected_from": "hls4ml C simulation (bit-accurate)",
        },
        "csim_library": lib_rel,
        "csim_platform": f"{platform.system()}-{platform.machine()}" if lib_rel else None,
        "driver": "driver/hlsnb/board",
        "notebook": "run_on_pynq.ipynb",
        "versions": _versions(job.versions),
        "files": files,
    }


def _write_archive(root: Path, out: Path, kind: str, stem: str) -> None:
    """Archive the staged folder ``root`` as ``out`` atomically: a reader never sees a half-written archive, a full
    disk or a kill leaves the previous ``out``, and two packagings into one folder do not collide."""
    with atomic_path(out) as tmp_out:
        if kind == "zip":
            with zipfile.ZipFile(tmp_out, "w", zipfile.ZIP_DEFLATED) as z:
                for p in sorted(root.rglob("*")):
                    z.write(p, Path(stem, p.relative_to(root)).as_posix())
        else:
            with tarfile.open(tmp_out, "w:gz") as t:
                t.add(root, arcname=stem)


# A bundle's name becomes a folder and the .bit/.hwh stem: a plain file name, nothing that walks out of the folder.
_STEM = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")


def _check_stem(stem, what: str) -> str:
    if not isinstance(stem, str) or not _STEM.fullmatch(stem) or ".." in stem:
        raise InvalidSetting(
            f"package: {what} gives the bundle name {stem!r}; it must be a plain file name (letters, digits, _ - ., "
            "no '..', no folder separator, at most 128 characters)"
        )
    return stem


def _samples(values, shape: tuple, what: str) -> np.ndarray:
    """``values`` as a real array of (n >= 1, *shape) or (n, prod(shape)) with only finite numbers."""
    a = np.asarray(values)
    if a.dtype == bool or a.dtype.kind not in "fiu":
        raise InvalidSetting(f"package: {what} must hold real numbers; got dtype {a.dtype}")
    n_flat = int(np.prod(shape))
    if not (a.ndim == len(shape) + 1 and tuple(a.shape[1:]) == tuple(shape)) and not (a.ndim == 2
                                                                                    and a.shape[1] == n_flat):
        raise InvalidSetting(f"package: {what} has shape {a.shape}; the interface expects (n, "
                             f"{', '.join(map(str, shape))})")
    if len(a) == 0:
        raise InvalidSetting(f"package: {what} is empty; a bundle needs at least one test sample")
    bad = ~np.isfinite(a) if a.dtype.kind == "f" else None
    if bad is not None and bad.any():
        first = tuple(int(i) for i in np.unravel_index(int(np.argmax(bad)), a.shape))
        raise InvalidSetting(f"package: {what} has {int(bad.sum())} NaN or infinite value(s) (first at index "
                             f"{first}); the board test would fail on them")
    return a


def _safe_extract(archive: Path, dest: Path) -> Path:
    """Extract ``archive`` into ``dest``; refuse members that would land outside it. Returns the top folder."""
    dest = dest.resolve()
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as z:
                names = z.namelist()
                bad = z.testzip()
                if bad is not None:
                    raise BundleError(f"{archive.name}: member {bad} is corrupted (CRC mismatch)")
                _check_names(archive, names, dest)
                z.extractall(dest)
        elif tarfile.is_tarfile(archive):
            with tarfile.open(archive) as t:
                members = t.getmembers()
                names = [m.name for m in members]
                _check_names(archive, names, dest)
                for m in members:
                    if not (m.isfile() or m.isdir()):
                        raise BundleError(f"{archive.name}: member {m.name} is not a regular file")
                t.extractall(dest)
        else:
            raise BundleError(f"{archive.name} is not a zip or tar.gz archive (corrupted or wrong file)")
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, ValueError, zlib.error) as e:
        if isinstance(e, BundleError):
            raise
        raise BundleError(f"{archive.name} cannot be extracted: {e} (corrupted download?)") from None
    tops = {n.split("/")[0] for n in names if n.strip("/")}
    if len(tops) != 1:
        raise BundleError(f"{archive.name} should hold one top folder; found {sorted(tops)}")
    return dest / tops.pop()


def _check_names(archive, names, dest):
    for n in names:
        target = (dest / n).resolve()
        if n.startswith("/") or ".." in Path(n).parts or not str(target).startswith(str(dest)):
            raise BundleError(f"{archive.name}: member {n!r} would be written outside the target folder")


def load_bundle(path, extract_to=None) -> "Bundle":
    """Open a bundle (the archive or its extracted folder) after checking its manifest and every checksum.

    Raises :class:`BundleError` naming the first problem: not an archive, no manifest, a missing file, a
    checksum that does not match, a ``.bit``/``.hwh`` pair that does not share a stem.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"bundle {path} does not exist")
    if path.is_dir():
        return Bundle(path)
    dest = Path(extract_to) if extract_to is not None else path.parent / (path.name.split(".")[0] + "_bundle")
    dest.mkdir(parents=True, exist_ok=True)
    # all or nothing: extract and verify in a staging folder, then move the verified folder into place; a corrupted
    # archive leaves dest as it was (and an earlier extraction of the same bundle is replaced only by a good one)
    staging = Path(tempfile.mkdtemp(prefix=".extracting-", dir=dest))
    try:
        top = _safe_extract(path, staging)
        bundle = Bundle(top)
        final = dest / top.name
        if final.exists():
            if not (final / MANIFEST).is_file():
                raise BundleError(f"{final} exists and is not an extracted bundle: extract elsewhere (extract_to=)")
            shutil.rmtree(final)
        os.replace(top, final)
        bundle.root = final.resolve()
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return bundle


class Bundle:
    """An extracted, verified bundle. Build it with :func:`load_bundle`."""

    def __init__(self, root):
        self.root = Path(root).resolve()
        self.manifest: Manifest = read_manifest(self.root)
        self.verify()
        self.interface = StreamInterface.from_dict(self.manifest["interface"])

    def verify(self):
        """Check that every listed file is there with its recorded size and SHA-256, and that the .bit and .hwh
        share a stem. Raises :class:`BundleError`."""
        verify_files(self.root, self.manifest)
        return True

    @property
    def profile(self) -> BoardProfile:
        """The limits of the board the bundle was built for (manifest ``board``; PYNQ-Z2 when absent or unknown)."""
        return profile_or_default(self.manifest.get("board") or None)

    @property
    def name(self) -> str:
        return self.manifest["name"]

    @property
    def bitfile(self) -> Path:
        return self.root / self.manifest["bitfile"]

    @property
    def hwh(self) -> Path:
        return self.root / self.manifest["hwh"]

    def test_labels(self) -> "np.ndarray | None":
        rel = self.manifest["test"].get("labels")
        return np.load(self.root / rel, allow_pickle=False) if rel else None

    @property
    def csim_library(self) -> "Path | None":
        rel = self.manifest.get("csim_library")
        return self.root / rel if rel else None

    def test_inputs(self) -> np.ndarray:
        return np.load(self.root / self.manifest["test"]["inputs"], allow_pickle=False)

    def expected_outputs(self) -> np.ndarray:
        return np.load(self.root / self.manifest["test"]["expected_outputs"], allow_pickle=False)

    def overlay(self, mode: str = "auto", **kwargs):
        """An overlay for this bundle.

        ``mode="fpga"``: :class:`NeuralNetworkOverlay` (needs pynq and a device); ``"software"``:
        :class:`SoftwareOverlay` on the stored C simulation library; ``"auto"``: the FPGA when pynq finds a
        device, else software. Keyword arguments go to the overlay's constructor; the board profile (DMA and CMA
        limits) is the bundle's unless ``board=`` is given.
        """
        if mode not in ("auto", "fpga", "software"):
            raise ValueError(f"mode must be 'auto', 'fpga' or 'software'; got {mode!r}")
        kwargs["board"] = get_profile(kwargs["board"]) if "board" in kwargs else self.profile
        if mode == "fpga" or (mode == "auto" and fpga_available()):
            return NeuralNetworkOverlay(self.bitfile, self.interface, **kwargs)
        lib = self.csim_library
        if lib is None:
            raise BundleError("no FPGA found and the bundle has no C simulation library: package it with csim_library=")
        plat = self.manifest.get("csim_platform")
        here = f"{platform.system()}-{platform.machine()}"
        if plat and plat != here:
            raise BundleError(f"the bundled C simulation library was built for {plat}; this machine is {here}")
        return SoftwareOverlay(lib, self.interface, **kwargs)

    def __repr__(self):
        i = self.interface
        return (f"Bundle({self.name!r}: {i.input_shape} {i.input_type} -> {i.output_shape} {i.output_type}, "
                f"{self.manifest['test']['n_samples']} test samples, root={str(self.root)!r})")


def fpga_available() -> bool:
    """True when pynq is installed and finds a device (a PYNQ board, or the emulator when enabled)."""
    import importlib.util
    import warnings

    try:
        if importlib.util.find_spec("pynq") is None:
            return False
    except (ImportError, ValueError):
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            import pynq

            return len(pynq.Device.devices) > 0
        except Exception:  # noqa: BLE001  (pynq runs every registered Device probe: any failure means no board)
            return False
