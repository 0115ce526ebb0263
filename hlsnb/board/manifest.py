"""The bundle manifest (``manifest.json``): what it holds, how it is written and read, and its checks.

Both the bundle (which writes and verifies it) and the overlay (which reads the interface recorded next to a
bitfile) need it; keeping it here lets ``overlay`` and ``bundle`` each import this module instead of each other.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TypedDict

from ..errors import BoardError, BundleError
from .interface import StreamInterface

__all__ = ["Manifest", "FORMAT", "FORMAT_VERSION", "MANIFEST", "sha256", "file_table", "write_manifest",
           "read_manifest", "verify_files", "read_interface_next_to"]

FORMAT = "hlsnb-pynq-bundle"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"


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
    """Write ``root/manifest.json`` (sorted keys, so two packagings of the same inputs differ only in dates)."""
    path = Path(root) / MANIFEST
    path.write_text(json.dumps(manifest, indent=1, sort_keys=True))
    return path


def read_manifest(root: Path) -> Manifest:
    """Read and check ``root/manifest.json``: present, valid JSON, an hlsnb bundle manifest of a format version
    this driver understands. Raises :class:`BundleError` naming the problem."""
    mpath = Path(root) / MANIFEST
    if not mpath.is_file():
        raise BundleError(f"{root} has no {MANIFEST}: not an hlsnb bundle")
    try:
        m = json.loads(mpath.read_text())
    except (ValueError, UnicodeDecodeError) as e:
        raise BundleError(f"{MANIFEST} is not valid JSON ({e}): the bundle is corrupted") from None
    if not isinstance(m, dict) or m.get("format") != FORMAT:
        raise BundleError(f"{MANIFEST} is not an {FORMAT} manifest")
    if int(m.get("format_version", 0)) > FORMAT_VERSION:
        raise BundleError(
            f"bundle format {m.get('format_version')} is newer than this driver understands ({FORMAT_VERSION})"
        )
    return m


def verify_files(root: Path, m: Manifest) -> None:
    """Check that every listed file is under ``root`` with its recorded size and SHA-256, and that the .bit and
    .hwh share a stem (pynq finds the .hwh by it). Raises :class:`BundleError` naming the first problem."""
    files = m.get("files") or {}
    for key in ("bitfile", "hwh"):
        if m.get(key) not in files:
            raise BundleError(f"the manifest does not list its {key} ({m.get(key)!r}) among its files")
    if Path(m["bitfile"]).stem != Path(m["hwh"]).stem:
        raise BundleError(f"{m['bitfile']} and {m['hwh']} must share a stem (pynq finds the .hwh by it)")
    for rel, info in files.items():
        p = Path(root) / rel
        if not p.is_file():
            raise BundleError(f"{rel} is listed in the manifest but missing from the bundle")
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
