"""A Design in hls4ml's terms: the ``hls_config`` dict both ways, the converter's arguments, the conversion itself.

Both directions loop over :data:`hlsnb.design.spec.SETTINGS`, so every per-layer setting reaches hls4ml explicitly
(never hls4ml's defaults or ``auto``) and comes back from a config the user wrote.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..errors import InvalidSetting
from ..layer_types import get_layer_type, weighted_layer_types
from ..targets import get_board
from .spec import DEFAULT_PRECISION, SETTINGS, normalise_precision

__all__ = ["to_hls4ml_config", "hls4ml_kwargs", "convert", "check_model", "from_hls4ml_config", "unlisted_layers",
           "CONFIG_SECTIONS", "NOT_CARRIED"]


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


#: The fields of a layer that must be the model's for hls4ml to build the design's choices as given: a ReuseFactor
#: is valid for one (n_in, n_out), so a layer of another shape makes hls4ml substitute another one.
MODEL_GEOMETRY = ("layer_type", "input_shape", "output_shape", "n_in", "n_out", "filters", "kernel_size", "strides",
                  "n_weights", "keras_layer")


def check_model(design, model) -> None:
    """Raise ``InvalidSetting`` unless ``model`` is the model ``design`` describes, layer by layer.

    A node is looked up by its Keras layer (:attr:`LayerSpec.keras_name`): a layer called twice is two design
    entries (``conv``, ``conv_0``) of one Keras layer, which hls4ml converts. A weighted layer missing from the
    model or with a kernel of another size raises; then the model is parsed as hls4ml will convert it and every
    layer's geometry (:data:`MODEL_GEOMETRY`: type, shapes, n_in x n_out, filters, kernel, strides) must be the
    design's, and the two must have the same layers, so hls4ml never builds a layer with a ReuseFactor chosen for
    another shape, nor a layer the design does not set. The message names the layer and both values.
    """
    from .keras import layers_from_keras  # imports hls4ml: only here

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
    parsed = {p.name: p for p in layers_from_keras(model, design.default_precision)}
    mine = [l.name for l in design.layers]
    extra, missing = [n for n in parsed if n not in mine], [n for n in mine if n not in parsed]
    if extra or missing:
        first = f"Keras layer {extra[0]!r} ({parsed[extra[0]].keras_class}) is not in the design" if extra else \
            f"design layer {missing[0]!r} is not in the Keras model"
        raise InvalidSetting(f"{first} (layers only in the model: {extra}; only in the design: {missing}): the "
                             "design was made from another model; make it with Design.from_keras(model)")
    for l in design.layers:
        p = parsed[l.name]
        for k in MODEL_GEOMETRY:
            if getattr(l, k) != getattr(p, k):
                raise InvalidSetting(
                    f"design layer {l.name!r} ({l.layer_type}): the model's {k} is {getattr(p, k)!r}, the design's "
                    f"{getattr(l, k)!r}: hls4ml would build the design's settings on another shape (and substitute "
                    "a ReuseFactor); make the design from this model (Design.from_keras(model))"
                )


def convert(design, model, output_dir: str = "hlsnb_prj", project_name: str = "myproject"):
    """Convert ``model`` with hls4ml using exactly ``design``'s settings; returns the hls4ml ModelGraph."""
    import hls4ml  # heavy, imported only here

    check_model(design, model)
    return hls4ml.converters.convert_from_keras_model(model, **hls4ml_kwargs(design, output_dir, project_name))


#: The sections of an hls4ml config hlsnb reads.
CONFIG_SECTIONS = ("Model", "LayerType", "LayerName")
_PLAIN = tuple(x.hls4ml_key for x in SETTINGS if x.hls4ml_subkey is None)  # Strategy, ReuseFactor
_CARRIED_PRECISIONS = tuple(x.hls4ml_subkey for x in SETTINGS if x.kind == "precision")
#: Keys hls4ml's own ``config_from_keras_model`` writes that hlsnb does not carry: ``Trace``/``TraceOutput`` and
#: ``BramFactor`` hlsnb writes itself (no tracing, weights in the design), ``Algorithm`` (Resize) and
#: ``Direction`` (recurrent) hls4ml takes from the model. They are accepted and not carried.
NOT_CARRIED = {"Model": ("BramFactor", "TraceOutput"), "entry": ("Trace", "Algorithm", "Direction")}


def _section(config: dict, key: str) -> dict:
    v = config.get(key)
    if v is None:
        return {}
    if not isinstance(v, dict):
        raise InvalidSetting(f"hls4ml config: {key} must be a dict, got {type(v).__name__} {v!r}")
    return v


def _check_keys(entry, where: str, extra: tuple) -> dict:
    """``entry`` (one config entry) with its keys checked: the settings hlsnb carries plus ``extra``."""
    if not isinstance(entry, dict):
        raise InvalidSetting(f"hls4ml config: {where} must be a dict of settings, got {type(entry).__name__}")
    valid = ("Precision", *_PLAIN, *extra)
    unknown = sorted(set(entry) - set(valid), key=str)
    if unknown:
        raise InvalidSetting(f"hls4ml config: {where}: unknown keys {unknown}; hlsnb reads {', '.join(valid)} "
                             "(hlsnb builds with exactly its settings, so a key it cannot carry is refused rather "
                             "than dropped)")
    prec = entry.get("Precision")
    if prec is not None and not isinstance(prec, (str, dict)):
        raise InvalidSetting(f"hls4ml config: {where}: Precision must be a type string or a dict, got {prec!r}")
    return entry


def _as_rf(value):
    """A ReuseFactor as hls4ml configs write it (an int; YAML may give ``"4"`` or ``4.0``), else the value as is
    for ``Design.set`` to refuse with its message (``4.5`` is never rounded)."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _precision_of(entry: dict, var: str):
    """``var``'s precision in one entry: its own key, else the entry's ``default`` or string ``Precision``."""
    prec = entry.get("Precision")
    if isinstance(prec, str):
        return prec
    if isinstance(prec, dict):
        return prec.get(var, prec.get("default"))
    return None


def _type_entries(design, by_type: dict) -> dict:
    """``{layer name: its LayerType entries}``; a LayerType key names a layer's Keras class, hlsnb type or hls4ml
    class, or an activation layer's function (hls4ml's parser names ``Activation('elu')`` ``ELU``),
    case-insensitively (hls4ml lower-cases it). A key matching no layer raises, listing those there are."""
    names = {}
    for l in design.layers:
        lt = get_layer_type(l.layer_type)
        names[l.name] = {l.keras_class.lower(), l.layer_type.lower(), (lt.hls4ml_class if lt else "").lower()}
        if lt is not None and lt.family == "activation" and l.activation:
            names[l.name].add(l.activation.lower())
    out: dict = {}
    for key, entry in by_type.items():
        hit = [n for n, ks in names.items() if str(key).lower() in ks]
        if not hit:
            present = sorted({l.keras_class for l in design.layers} | {l.layer_type for l in design.layers})
            raise InvalidSetting(f"hls4ml config: LayerType {key!r} is no layer of this model; its types: "
                                 f"{', '.join(present)}")
        _check_keys(entry, f"LayerType {key!r}", NOT_CARRIED["entry"])
        for n in hit:
            out.setdefault(n, []).append(entry)
    return out


def _check_other_precisions(entry: dict, where: str, default: str, spec, own: bool) -> None:
    """Precisions hlsnb does not carry (``recurrent_weight``, ``scale``, ``param``, ...) are built at the model
    default by hlsnb's config: accepted only as ``auto`` or that default, else refused naming the key. ``own``: the
    entry is the layer's own (``LayerName``), where a precision the layer lacks (``weight`` on an activation) is an
    error too; a ``LayerType``/``Model`` entry speaks for many layers, so there it is skipped."""
    prec = entry.get("Precision")
    if not isinstance(prec, dict):
        return
    have = [x.hls4ml_subkey for x in SETTINGS if x.kind == "precision" and x.applies(spec)]
    for var, value in prec.items():
        if var in have or var == "default":
            continue
        if var in _CARRIED_PRECISIONS:
            if not own:
                continue
            raise InvalidSetting(f"hls4ml config: {where}: layer {spec.name!r} ({spec.layer_type}) has no {var} "
                                 f"precision; it has: {', '.join(have)}")
        ok = isinstance(value, str) and (value.strip().lower() == "auto" or
                                         normalise_precision(value, spec.name) == default)
        if not ok:
            raise InvalidSetting(
                f"hls4ml config: {where}: Precision {var!r} = {value!r} is not carried by hlsnb (it carries "
                f"{', '.join(have)} for this layer) and would be built at the model default {default}; remove it, or "
                "give 'auto' or the default"
            )


def unlisted_layers(design, config: dict) -> list[str]:
    """The layers of ``design`` that ``config`` lists neither by ``LayerName`` nor by ``LayerType`` (they keep their
    settings when the config is loaded onto a design, see :func:`from_hls4ml_config`'s ``base``)."""
    by_name, by_type = _section(config, "LayerName"), _section(config, "LayerType")
    if not (by_name or by_type):
        return []
    types = _type_entries(design, by_type)
    return [l.name for l in design.layers if l.name not in by_name and l.name not in types]


def from_hls4ml_config(cls, model, config: dict, base=None, **target) -> Any:
    """A ``cls`` (Design) for ``model`` from an hls4ml config dict (``Model`` / ``LayerType`` / ``LayerName``).

    ``target``: the keywords of ``cls.from_keras`` for the target (board, io_type, clock_ns, part, backend). A
    layer's ``LayerName`` entry wins over its ``LayerType`` entry, which wins over ``Model``, as in hls4ml. Values
    hls4ml would silently change raise ``InvalidSetting``; precisions given as ``auto`` are kept.

    Everything is checked before a value is applied: unknown sections, keys (:data:`NOT_CARRIED` lists the keys
    hls4ml writes that are accepted without being carried), ``LayerName`` entries that are no layer of the model
    and ``LayerType`` entries that match none raise ``InvalidSetting`` naming them and listing the valid ones.

    ``base``: a Design of ``model`` to start from (the Explorer's): then only the layers the config lists (by
    ``LayerName`` or ``LayerType``; every layer when it has neither section) change, and a listed layer keeps each
    setting the config does not give at any level; the layers it does not list keep their settings. Without
    ``base`` the design starts from ``from_keras`` and ``Model`` applies to every layer, as in hls4ml.
    """
    if not isinstance(config, dict):
        raise InvalidSetting(f"config must be an hls4ml config dict, got {type(config).__name__}")
    unknown = sorted(set(config) - set(CONFIG_SECTIONS), key=str)
    if unknown:
        raise InvalidSetting(f"hls4ml config: unknown sections {unknown}; hlsnb reads {', '.join(CONFIG_SECTIONS)} "
                             "(Flows, Optimizers and the like are hls4ml's defaults in hlsnb's conversion)")
    mcfg = _check_keys(_section(config, "Model"), "Model", NOT_CARRIED["Model"])
    mprec = mcfg.get("Precision")
    mdefault = mprec.get("default") if isinstance(mprec, dict) else mprec
    if base is None:
        design = cls.from_keras(model, precision=normalise_precision(mdefault or DEFAULT_PRECISION, "Model"),
                                **target)
    else:
        design = base.copy()
        if mdefault is not None:
            design._target = replace(design._target, default_precision=normalise_precision(mdefault, "Model"))
    default = design.default_precision
    by_type = _section(config, "LayerType")
    by_name = _section(config, "LayerName")
    layer_names = [l.name for l in design.layers]
    missing = sorted((k for k in by_name if k not in layer_names), key=str)
    if missing:
        raise InvalidSetting(f"hls4ml config: LayerName {missing} are no layers of this model; its layers: "
                             f"{', '.join(layer_names)}")
    for k, entry in by_name.items():
        _check_keys(entry, f"LayerName {k!r}", NOT_CARRIED["entry"])
    types = _type_entries(design, by_type)
    everything = base is None or not (by_name or by_type)
    plan = {}
    for l in design.layers:
        entries = [*([by_name[l.name]] if l.name in by_name else []), *reversed(types.get(l.name, []))]
        if not everything and not entries:
            continue  # a layer the config does not list keeps its settings
        for e in entries:
            own = e is by_name.get(l.name)
            _check_other_precisions(e, f"LayerName {l.name!r}" if own else "LayerType", default, l, own)
        _check_other_precisions(mcfg, "Model", default, l, False)
        kw = {}
        for x in SETTINGS:
            if not x.applies(l):
                continue
            chain = [*entries, mcfg]
            if x.kind == "precision":
                value = next((v for v in (_precision_of(e, x.hls4ml_subkey) for e in chain) if v is not None), None)
            else:
                value = next((e[x.hls4ml_key] for e in chain if e.get(x.hls4ml_key) is not None), None)
                if x.kind == "reuse_factor" and value is not None:
                    value = _as_rf(value)
            if value is not None:
                kw[x.name] = value
        plan[l.name] = kw
        # a Strategy or ReuseFactor its own or its type's entry gives a layer without multipliers: checked (only
        # the neutral Latency / 1 pass), not dropped; Model's speak for every layer, as in hls4ml
        for x in SETTINGS:
            for e in entries:
                if x.hls4ml_subkey is None and not x.applies(l) and e.get(x.hls4ml_key) is not None:
                    x.check(_as_rf(e[x.hls4ml_key]) if x.kind == "reuse_factor" else e[x.hls4ml_key], l,
                            design.io_type)
    for name, kw in plan.items():  # design is a fresh object: a raise here leaves the caller's state untouched
        if kw:
            design.set(name, notify=False, **kw)
    return design
