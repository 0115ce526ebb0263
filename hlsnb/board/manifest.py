"""The bundle manifest (``manifest.json``): what it holds, how it is written and read, and its checks.

Both the bundle (which writes and verifies it) and the overlay (which reads the interface recorded next to a
bitfile) need it; keeping it here lets ``overlay`` and ``bundle`` each import this module instead of each other.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import TypedDict

from ..errors import BoardError, BundleError
from .interface import StreamInterface

__all__ = ["Manifest", "FORMAT", "FORMAT_VERSION", "MANIFEST", "MANIFEST_SHA", "sha256", "file_table",
           "write_manifest", "read_manifest", "verify_files", "verify_manifest_checksum", "read_interface_next_to",
           "check_member_path"]

FORMAT = "hlsnb-pynq-bundle"
#: 2: ``manifest.sha256`` covers the manifest itself (version-1 bundles, without it, are still read).
FORMAT_VERSION = 2
MANIFEST = "manifest.json"
#: ``sha256sum`` format (``<hex>  manifest.json``), so ``sha256sum -c manifest.sha256`` checks it on any machine.
MANIFEST_SHA = "manifest.sha256"


class Manifest(TypedDict, total=False):
    """The keys of ``manifest.json`` (a JSON object; paths are relative to the bundle root, POSIX style)."""

    format: str  # FORMAT
    format_version: int  # FORMAT_VERSION when written; a newer one is refused
    name: str  # stem of the .bit / .hwh pair
    board: str  # board name (selects the BoardProfile), e.g. "pynq-z2"
    created: str  # ISO 8601, UTC
    bitfile: str
    hwh: str
    bit_header: dict  # design, version, part, date, time from the .bit header
    interface: dict  # StreamInterface.to_dict()
    test: dict  # inputs, expected_outputs, labels (or None), n_samples, expected_from
    csim_library: "str | None"
    csim_platform: "str | None"  # "<system>-<machine>" the C simulation library was built on
    driver: str
    notebook: str
    versions: dict  # package -> version at packaging time
    files: dict  # relative path -> {"sha256": hex digest, "bytes": size}


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def file_table(root: Path) -> dict:
    """``{relative path: {"sha256", "bytes"}}`` for every file under ``root`` (the manifest's ``files``)."""
    return {
        p.relative_to(root).as_posix(): {"sha256": sha256(p), "bytes": p.stat().st_size}
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def write_manifest(root: Path, manifest: Manifest) -> Path:
    """Write ``root/manifest.json`` (sorted keys, so two packagings of the same inputs differ only in dates) and
    ``root/manifest.sha256``, its own checksum (the manifest cannot list its own hash)."""
    path = Path(root) / MANIFEST
    data = json.dumps(manifest, indent=1, sort_keys=True, allow_nan=False).encode()
    path.write_bytes(data)
    (Path(root) / MANIFEST_SHA).write_text(f"{hashlib.sha256(data).hexdigest()}  {MANIFEST}\n")
    return path


def check_member_path(rel, what: str) -> str:
    """``rel`` if it is a relative POSIX path inside the bundle (no ``..``, no absolute path, no backslash, no
    drive), else :class:`BundleError` naming ``what``: a manifest must not point the driver outside its folder."""
    if not isinstance(rel, str) or not rel or rel.startswith("/") or "\\" in rel or ":" in rel \
            or any(part in ("", ".", "..") for part in rel.split("/")):
        raise BundleError(f"the manifest's {what} {rel!r} is not a relative path inside the bundle")
    return rel


_HEX64 = re.compile(r"[0-9a-f]{64}")


def read_manifest(root: Path) -> Manifest:
    """Read and check ``root/manifest.json``: valid JSON, an hlsnb bundle manifest of a format version this driver
    understands, with the keys and types the driver uses and only paths inside the bundle. Raises
    :class:`BundleError` naming the problem. (:func:`verify_files` checks it against ``manifest.sha256``.)"""
    mpath = Path(root) / MANIFEST
    if not mpath.is_file():
        raise BundleError(f"{root} has no {MANIFEST}: not an hlsnb bundle")
    try:
        m = json.loads(mpath.read_bytes())
    except (ValueError, UnicodeDecodeError) as e:
        raise BundleError(f"{MANIFEST} is not valid JSON ({e}): the bundle is corrupted") from None
    if not isinstance(m, dict) or m.get("format") != FORMAT:
        raise BundleError(f"{MANIFEST} is not an {FORMAT} manifest")
    version = m.get("format_version", 0)
    if isinstance(version, bool) or not isinstance(version, int):
        raise BundleError(f"{MANIFEST}: format_version must be an integer; got {version!r}")
    if version > FORMAT_VERSION:
        raise BundleError(
            f"bundle format {m.get('format_version')} is newer than this driver understands ({FORMAT_VERSION})"
        )
    _check_shape(m)
    return m


def verify_manifest_checksum(root: Path, m: Manifest) -> None:
    """Check ``manifest.json`` against ``manifest.sha256`` (required from format version 2; a version-1 bundle has
    none). Raises :class:`BundleError`."""
    spath = Path(root) / MANIFEST_SHA
    if not spath.is_file():
        if m.get("format_version", 0) >= 2:
            raise BundleError(f"{root} has no {MANIFEST_SHA}: a format-{m['format_version']} bundle must carry its "
                              "manifest checksum")
        return
    recorded = spath.read_text(errors="replace").split()[:1]
    digest = sha256(Path(root) / MANIFEST)
    if recorded != [digest]:
        raise BundleError(f"{MANIFEST}: SHA-256 {digest[:16]}... does not match {MANIFEST_SHA} "
                          f"({(recorded or ['(empty)'])[0][:16]}...): the manifest was changed or corrupted")


def _check_shape(m: dict) -> None:
    """The keys the driver reads, with their types."""
    for key, typ in (("name", str), ("bitfile", str), ("hwh", str), ("interface", dict), ("test", dict),
                     ("files", dict)):
        if not isinstance(m.get(key), typ):
            raise BundleError(f"{MANIFEST}: {key!r} must be a {typ.__name__}; got {m.get(key)!r}")
    n = m["test"].get("n_samples")
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise BundleError(f"{MANIFEST}: test.n_samples must be a count; got {n!r}")


def _check_entries(m: dict) -> None:
    """Every file entry well-formed and inside the bundle; every file the driver opens listed (so verified)."""
    for rel, info in m["files"].items():
        check_member_path(rel, "file")
        if not (isinstance(info, dict) and isinstance(info.get("bytes"), int) and not isinstance(info["bytes"], bool)
                and info["bytes"] >= 0 and isinstance(info.get("sha256"), str) and _HEX64.fullmatch(info["sha256"])):
            raise BundleError(f"{MANIFEST}: the entry of {rel!r} must be {{'sha256': 64 hex digits, 'bytes': size}}; "
                              f"got {info!r}")
    t = m["test"]
    refs = {"bitfile": m["bitfile"], "hwh": m["hwh"], "test.inputs": t.get("inputs"),
            "test.expected_outputs": t.get("expected_outputs"), "test.labels": t.get("labels"),
            "csim_library": m.get("csim_library")}
    for what, rel in refs.items():
        if rel is None and what in ("test.labels", "csim_library"):
            continue
        check_member_path(rel, what)
        if rel not in m["files"]:
            raise BundleError(f"the manifest does not list its {what} ({rel!r}) among its files")


def verify_files(root: Path, m: Manifest) -> None:
    """Check that every listed file is under ``root`` with its recorded size and SHA-256, that the .bit and .hwh
    share a stem (pynq finds the .hwh by it), and that the manifest matches ``manifest.sha256``. Raises
    :class:`BundleError` naming the first problem."""
    files = m.get("files") or {}
    for key in ("bitfile", "hwh"):
        if m.get(key) not in files:
            raise BundleError(f"the manifest does not list its {key} ({m.get(key)!r}) among its files")
    if Path(m["bitfile"]).stem != Path(m["hwh"]).stem:
        raise BundleError(f"{m['bitfile']} and {m['hwh']} must share a stem (pynq finds the .hwh by it)")
    verify_manifest_checksum(root, m)
    _check_entries(m)
    base = Path(root).resolve()
    for rel, info in files.items():
        p = Path(root) / check_member_path(rel, "file")
        if not p.is_file():
            raise BundleError(f"{rel} is listed in the manifest but missing from the bundle")
        if not p.resolve().is_relative_to(base):  # a symlink in an extracted folder pointing elsewhere
            raise BundleError(f"{rel} resolves outside the bundle folder ({p.resolve()})")
        if p.stat().st_size != info["bytes"]:
            raise BundleError(f"{rel} has {p.stat().st_size} bytes, the manifest says {info['bytes']}: corrupted")
        digest = sha256(p)
        if digest != info["sha256"]:
            raise BundleError(
                f"{rel}: SHA-256 {digest[:16]}... does not match the manifest ({info['sha256'][:16]}...): "
                "the file was changed or corrupted"
            )


def read_interface_next_to(bitfile) -> StreamInterface:
    """The interface recorded in the bundle manifest next to ``bitfile`` (raises BoardError when there is none)."""
    bitfile = Path(bitfile)
    mpath = bitfile.parent / MANIFEST
    if mpath.is_file():
        try:
            m = json.loads(mpath.read_text())
        except ValueError as e:
            raise BundleError(f"{mpath} is not valid JSON: {e}") from None
        if m.get("bitfile") == bitfile.name and "interface" in m:
            return StreamInterface.from_dict(m["interface"])
    raise BoardError(
        f"no interface given and no bundle {MANIFEST} for {bitfile.name} next to it: pass "
        "interface=StreamInterface(input_shape=..., output_shape=..., input_type=..., output_type=...)"
    )
