"""A Design as plain data: ``to_dict`` / JSON out, and one :func:`load` back in (a dict, JSON text or a file path).

Weights are not stored (a design file describes settings, not a trained model); ``load(..., model=...)``
re-attaches them. Everything a file says is validated the way ``Design.set`` would validate it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..errors import InvalidSetting
from .spec import DEFAULT_PRECISION, SETTINGS, LayerSpec

__all__ = ["JSON_VERSION", "to_dict", "to_json", "read_json", "load"]

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
        "layers": [l.to_dict() for l in design.layers],
    }


def to_json(design, path: str | os.PathLike | None = None, indent: int = 1) -> str:
    """The design as JSON text, also written to ``path`` if given."""
    text = json.dumps(to_dict(design), indent=indent)
    if path is not None:
        Path(path).write_text(text)
    return text


def read_json(source) -> dict:
    """``source`` as a dict: a dict as is, a string starting with ``{`` as JSON text, else a file path.

    Any JSON object comes back (a design or an hls4ml config): callers tell the kinds apart. Bad JSON raises
    ``InvalidSetting``; a missing file ``FileNotFoundError``.
    """
    if isinstance(source, dict):
        return source
    if isinstance(source, os.PathLike) or (isinstance(source, str) and not source.lstrip().startswith("{")):
        text = Path(source).read_text()
    elif isinstance(source, str):
        text = source
    else:
        raise InvalidSetting(f"a design is a dict, JSON text or a file path, got {type(source).__name__}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise InvalidSetting(f"not a design JSON: {e}") from None


def load(source, model=None):
    """Read a design from a dict, JSON text or a path (``str`` or ``pathlib.Path``), as written by ``to_json``.

    Every layer's settings are checked as ``Design.set`` would (a tampered file raises ``InvalidSetting`` naming the
    layer). Given ``model`` (a Keras model), its kernels are re-attached. Returns a :class:`hlsnb.design.Design`.
    """
    from .core import Design  # core delegates its JSON methods to this module, so it is imported here, on use

    d = read_json(source)
    if not isinstance(d, dict) or d.get("hlsnb_design") != JSON_VERSION:
        raise InvalidSetting(f"not an hlsnb design JSON (expected key hlsnb_design={JSON_VERSION})")
    layers = [LayerSpec.from_dict(x) for x in d["layers"]]
    design = Design(
        layers,
        board=d.get("board"),
        part=d["part_number"],
        io_type=d["io_type"],
        clock_ns=d["clock_ns"],
        backend=d["backend"],
        tool_version=d.get("tool_version"),
        model_name=d.get("model_name", "model"),
        default_precision=d.get("default_precision", DEFAULT_PRECISION),
    )
    for l in layers:  # the file's settings, validated the way set() would
        values = {s.name: getattr(l, s.name) for s in SETTINGS if s.applies(l)}
        design.set(l.name, notify=False, **values)
    if model is not None:
        design.attach_weights(model)
    return design
