"""A Design as plain data: ``to_dict`` / JSON out, and one :func:`load` back in (a dict, JSON text or a file path).

Weights are not stored (a design file describes settings, not a trained model); ``load(..., model=...)``
re-attaches them. Everything a file says is validated the way ``Design.set`` would validate it.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

from ..errors import InvalidSetting
from ..fileio import atomic_write
from .spec import DEFAULT_PRECISION, LayerSpec

__all__ = ["JSON_VERSION", "FILE_KEYS", "MAX_FILE_BYTES", "to_dict", "to_json", "read_json", "describe", "load"]

#: The ``hlsnb_design`` version key a design file carries.
JSON_VERSION = 1


def to_dict(design) -> dict:
    """The design as JSON-ready plain data (weights excluded)."""
    return {
        "hlsnb_design": JSON_VERSION,
        "model_name": design.model_name,
        "board": design.board,
        "part_number": design.part_number,
        "io_type": design.io_type,
        "clock_ns": design.clock_ns,
        "backend": design.backend,
        "tool_version": design.tool_version,
        "default_precision": design.default_precision,
        **({"hls4ml_extra": design.hls4ml_extra} if design.hls4ml_extra else {}),
        "layers": [l.to_dict() for l in design.layers],
    }


def to_json(design, path: str | os.PathLike | None = None, indent: int = 1) -> str:
    """The design as JSON text, also written to ``path`` if given (atomically: the previous file survives a crash).

    Strict JSON (``allow_nan=False``): a design holds no NaN or infinity (its constructor refuses them), and a file
    with ``Infinity`` in it is not JSON other tools read.
    """
    text = json.dumps(to_dict(design), indent=indent, allow_nan=False)
    if path is not None:
        atomic_write(path, text)  # a full disk or a kill leaves the previous file whole
    return text


#: The keys of a version-1 design file, and those it must have.
FILE_KEYS = ("hlsnb_design", "model_name", "board", "part_number", "io_type", "clock_ns", "backend", "tool_version",
             "default_precision", "hls4ml_extra", "layers")
_REQUIRED = ("hlsnb_design", "part_number", "io_type", "clock_ns", "backend", "layers")
#: A design file larger than this is not one hlsnb wrote (a thousand-layer design is well under 2 MB).
MAX_FILE_BYTES = 64 * 2**20


def describe(source) -> str:
    """How a design source is named in messages: ``"design dict"``, ``"design JSON text"`` or ``"file '<path>'"``."""
    if isinstance(source, dict):
        return "design dict"
    if isinstance(source, str) and source.lstrip().startswith("{"):
        return "design JSON text"
    return f"file {str(source)!r}"


class _NonFinite:
    """Stands for a NaN / infinity while JSON is parsed, so the error can name where it was."""

    def __init__(self, text: str):
        self.text = text


def _finite_float(text: str):
    x = float(text)
    return x if math.isfinite(x) else _NonFinite(text)


def _first_non_finite(value, path: str = ""):
    """(where, text) of the first NaN / infinity in parsed JSON, else None; a layer is named by its ``name``."""
    if isinstance(value, _NonFinite):
        return path or "(top level)", value.text
    if isinstance(value, dict):
        name = value.get("name")
        prefix = f"layer {name!r}: " if isinstance(name, str) else (f"{path}." if path else "")
        items = [(prefix + str(k), v) for k, v in value.items()]
    elif isinstance(value, list):
        items = [(f"{path}[{i}]", v) for i, v in enumerate(value)]
    else:
        return None
    for where, v in items:
        hit = _first_non_finite(v, where)
        if hit:
            return hit
    return None


def read_json(source) -> dict:
    """``source`` as a dict: a dict as is, a string starting with ``{`` as JSON text, else a file path.

    Any JSON object comes back (a design or an hls4ml config): callers tell the kinds apart. Strict JSON: ``NaN``,
    ``Infinity`` and numbers that overflow a double raise ``InvalidSetting``, as do bad JSON, a file that is not
    UTF-8 text, is larger than :data:`MAX_FILE_BYTES` or is not a regular file, each naming the source; a missing
    file raises ``FileNotFoundError``.
    """
    if isinstance(source, dict):
        return source
    where = describe(source)
    if isinstance(source, os.PathLike) or (isinstance(source, str) and not source.lstrip().startswith("{")):
        path = Path(source)
        if path.exists() and not path.is_file():
            raise InvalidSetting(f"{where} is not a regular file (a folder or a device): give a design JSON file")
        if path.exists() and path.stat().st_size > MAX_FILE_BYTES:
            raise InvalidSetting(f"{where} is {path.stat().st_size} bytes, more than a design file can be "
                                 f"({MAX_FILE_BYTES} bytes)")
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidSetting(f"{where} is not UTF-8 text: not a design JSON or hls4ml config") from None
    elif isinstance(source, str):
        text = source
    else:
        raise InvalidSetting(f"a design is a dict, JSON text or a file path, got {type(source).__name__}")
    try:
        data = json.loads(text, parse_constant=_NonFinite, parse_float=_finite_float)
    except json.JSONDecodeError as e:
        raise InvalidSetting(f"{where}: not a design JSON (nor any JSON): {e}") from None
    hit = _first_non_finite(data)
    if hit:
        raise InvalidSetting(f"{where}: {hit[0]} is {hit[1]}: not a finite number (NaN, infinities and numbers "
                             "that overflow a double are refused; JSON has none)")
    return data


def _from_dict(d):
    """The Design a design dict describes, every field checked (``Design(...)`` checks the values)."""
    from .core import Design  # core delegates its JSON methods to this module, so it is imported here, on use

    version = d.get("hlsnb_design") if isinstance(d, dict) else None
    if isinstance(version, bool) or version != JSON_VERSION:
        got = f"hlsnb_design={version!r}" if isinstance(d, dict) and "hlsnb_design" in d else "no key hlsnb_design"
        raise InvalidSetting(f"not an hlsnb design JSON of a version this hlsnb reads: {got}; expected "
                             f"hlsnb_design={JSON_VERSION}")
    # a version-1 file has exactly these keys: another key is a typo or a file from elsewhere, and silently
    # dropping it would build something other than what the file says (a later format bumps hlsnb_design)
    unknown = sorted(set(d) - set(FILE_KEYS), key=str)
    if unknown:
        raise InvalidSetting(f"unknown keys {unknown}; a design file (hlsnb_design={JSON_VERSION}) has: "
                             f"{', '.join(FILE_KEYS)}")
    missing = [k for k in _REQUIRED if k not in d]
    if missing:
        raise InvalidSetting(f"missing keys {missing}; a design file has: {', '.join(FILE_KEYS)}")
    if not isinstance(d["layers"], list):
        raise InvalidSetting(f"layers must be a list of layer objects, got {type(d['layers']).__name__}")
    if d["clock_ns"] is None:
        raise InvalidSetting("clock_ns must be a finite number from 0.5 to 1000 (ns), got None")
    for k in ("part_number", "io_type", "backend"):
        if not isinstance(d[k], str):
            raise InvalidSetting(f"{k} must be a string, got {d[k]!r}")
    layers = [LayerSpec.from_dict(x) for x in d["layers"]]
    return Design(
        layers,
        board=d.get("board"),
        part=d["part_number"],
        io_type=d["io_type"],
        clock_ns=d["clock_ns"],
        backend=d["backend"],
        tool_version=d.get("tool_version"),
        model_name=d.get("model_name", "model"),
        default_precision=d.get("default_precision", DEFAULT_PRECISION),
        hls4ml_extra=d.get("hls4ml_extra"),
    )


def load(source, model=None):
    """Read a design from a dict, JSON text or a path (``str`` or ``pathlib.Path``), as written by ``to_json``.

    Everything the file says is checked before a Design exists: its keys (unknown or missing keys raise), every
    layer as ``Design(...)`` checks it (sizes, zero counts, precisions, strategies, ReuseFactors), the target
    (part number, board, clock, tool). Errors are ``InvalidSetting`` (or ``TypeError``) starting with the source
    (``file 'x.json': layer 'fc2' (Dense): ...``). Given ``model`` (a Keras model), its kernels are re-attached.
    Returns a :class:`hlsnb.design.Design`.
    """
    d = read_json(source)
    where = describe(source)
    try:
        design = _from_dict(d)
    except (InvalidSetting, TypeError) as e:
        raise type(e)(f"{where}: {e}") from None
    if model is not None:
        design.attach_weights(model)
    return design
