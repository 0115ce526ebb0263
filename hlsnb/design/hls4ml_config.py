"""A Design in hls4ml's terms: the ``hls_config`` dict both ways, the converter's arguments, the conversion itself.

Both directions loop over :data:`hlsnb.design.spec.SETTINGS`, so every per-layer setting reaches hls4ml explicitly
(never hls4ml's defaults or ``auto``) and comes back from a config the user wrote.
"""

from __future__ import annotations

from typing import Any

from ..errors import InvalidSetting
from ..layer_types import weighted_layer_types
from ..targets import get_board
from .spec import DEFAULT_PRECISION, SETTINGS, normalise_precision

__all__ = ["to_hls4ml_config", "hls4ml_kwargs", "convert", "check_model", "from_hls4ml_config"]


def to_hls4ml_config(design) -> dict:
    """The ``hls_config`` dict for ``hls4ml.converters.convert_from_keras_model``, with every layer explicit."""
    model: dict[str, Any] = {"Precision": {"default": design.default_precision}}
    # Model-level values of the plain settings (Strategy, ReuseFactor) are the schema's defaults; each layer
    # below says its own anyway
    model.update({s.hls4ml_key: s.default for s in SETTINGS if s.hls4ml_subkey is None})
    model.update(BramFactor=1_000_000_000, TraceOutput=False)
    cfg: dict[str, Any] = {"Model": model, "LayerName": {}}
    for l in design.layers:
        entry: dict[str, Any] = {"Trace": False}
        for s in SETTINGS:
            if s.applies(l):
                s.to_hls4ml(entry, getattr(l, s.name))
        cfg["LayerName"][l.name] = entry
    return cfg


def hls4ml_kwargs(design, output_dir: str = "hlsnb_prj", project_name: str = "myproject") -> dict:
    """Keyword arguments for ``hls4ml.converters.convert_from_keras_model(model, **kwargs)``."""
    kw = dict(
        hls_config=to_hls4ml_config(design),
        output_dir=str(output_dir),
        project_name=project_name,
        backend=design.backend,
        part=design.part_number,
        clock_period=design.clock_ns,
        io_type=design.io_type,
    )
    if design.backend == "VivadoAccelerator":
        if design.board is None or get_board(design.board).accelerator_board is None:
            raise InvalidSetting(
                f"backend VivadoAccelerator needs a board it knows (pynq-z2, pynq-z1, zcu102, ...), "
                f"got board={design.board!r}"
            )
        kw["board"] = get_board(design.board).accelerator_board
        kw.pop("part")
    return kw


def check_model(design, model) -> None:
    """Raise ``InvalidSetting`` if a weighted layer of ``design`` is not in ``model`` or its kernel has another size.

    A node is looked up by its Keras layer (:attr:`LayerSpec.keras_name`): a layer called twice is two design
    entries (``conv``, ``conv_0``) of one Keras layer, which hls4ml converts.
    """
    by_name = {kl.name: kl for kl in model.layers}
    weighted = weighted_layer_types()
    for l in design.layers:
        if l.layer_type not in weighted:
            continue
        kl = by_name.get(l.keras_name)
        if kl is None:
            raise InvalidSetting(f"design layer {l.name!r} is not in the Keras model (layers: {sorted(by_name)})")
        if l.weights is None or l.layer_type == "Bidirectional":  # Bidirectional: the design holds both directions
            continue
        kernel = kl.get_weights()[0] if kl.get_weights() else None
        if kernel is not None and kernel.size != l.weights.size:
            raise InvalidSetting(
                f"design layer {l.name!r}: the Keras layer {l.keras_name!r} has a kernel of {kernel.size} weights, "
                f"the design {l.weights.size}: the design was made from another model (Design.from_keras(model))"
            )


def convert(design, model, output_dir: str = "hlsnb_prj", project_name: str = "myproject"):
    """Convert ``model`` with hls4ml using exactly ``design``'s settings; returns the hls4ml ModelGraph."""
    import hls4ml  # heavy, imported only here

    check_model(design, model)
    return hls4ml.converters.convert_from_keras_model(model, **hls4ml_kwargs(design, output_dir, project_name))


def from_hls4ml_config(cls, model, config: dict, **target) -> Any:
    """A ``cls`` (Design) for ``model`` from an hls4ml config dict (``Model`` / ``LayerType`` / ``LayerName``).

    ``target``: the keywords of ``cls.from_keras`` for the target (board, io_type, clock_ns, part, backend). A
    layer's ``LayerName`` entry wins over its ``LayerType`` entry, which wins over ``Model``, as in hls4ml. Values
    hls4ml would silently change raise ``InvalidSetting``; precisions given as ``auto`` are kept.
    """
    if not isinstance(config, dict):
        raise InvalidSetting(f"config must be an hls4ml config dict, got {type(config).__name__}")
    mcfg = config.get("Model", {}) or {}
    mprec = mcfg.get("Precision", DEFAULT_PRECISION)
    default_prec = mprec.get("default", DEFAULT_PRECISION) if isinstance(mprec, dict) else mprec
    design = cls.from_keras(model, precision=normalise_precision(default_prec, "Model"), **target)
    by_type = config.get("LayerType", {}) or {}
    by_name = config.get("LayerName", {}) or {}
    for l in design.layers:
        merged = {**mcfg, **(by_type.get(l.keras_class, {}) or {}), **(by_name.get(l.name, {}) or {})}
        kw = {}
        for s in SETTINGS:
            if s.applies(l):
                value = s.from_hls4ml(merged)
                if value is not None:
                    kw[s.name] = value
        if kw:
            design.set(l.name, **kw)
    return design
