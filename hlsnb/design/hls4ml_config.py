"""A Design in hls4ml's terms: the ``hls_config`` dict both ways, the converter's arguments, the conversion itself.

Both directions loop over :data:`hlsnb.design.spec.SETTINGS`, so every per-layer setting reaches hls4ml explicitly
(never hls4ml's defaults or ``auto``) and comes back from a config the user wrote.
"""

from __future__ import annotations

import difflib
import warnings
from dataclasses import replace
from functools import lru_cache
from typing import Any

from ..errors import InvalidSetting
from ..layer_types import get_layer_type, weighted_layer_types
from ..precision import FixedType, parse_precision
from ..rules import as_reuse_factor, canonical_strategy
from ..targets import get_board, normalise_part
from ..vocab import BACKENDS, PLAIN_BACKEND
from .spec import DEFAULT_PRECISION, SETTINGS, normalise_precision

__all__ = ["to_hls4ml_config", "hls4ml_kwargs", "convert", "apply_design_types", "check_model", "from_hls4ml_config",
           "unlisted_layers", "CONFIG_SECTIONS", "hls4ml_keys", "split_project", "DefaultBoard", "to_hls4ml_precision",
           "from_hls4ml_precision"]


def to_hls4ml_config(design) -> dict:
    """The ``hls_config`` dict for ``hls4ml.converters.convert_from_keras_model``, with every layer explicit.

    Every setting hlsnb models is written for every layer (never hls4ml's defaults or ``auto`` unless the design
    says ``auto``); the keys hlsnb carries without modelling them (read from an hls4ml config:
    :attr:`LayerSpec.extra`, :attr:`Design.hls4ml_extra`) are written back verbatim beside them."""
    extra = design.hls4ml_extra
    model: dict[str, Any] = {"Precision": {"default": design.default_precision}}
    # Model-level values of the plain settings (Strategy, ReuseFactor) are the schema's defaults; each layer
    # below says its own anyway
    model.update({s.hls4ml_key: s.default for s in SETTINGS if s.hls4ml_subkey is None})
    model.update(BramFactor=1_000_000_000, TraceOutput=False)
    model = _merge(model, extra.get("Model", {}))
    cfg: dict[str, Any] = {"Model": model, "LayerName": {}}
    for l in design.layers:
        entry: dict[str, Any] = {"Trace": False}
        for s in SETTINGS:
            if s.applies(l, design.io_type):
                s.to_hls4ml(entry, getattr(l, s.name))
        cfg["LayerName"][l.name] = _merge(entry, l.extra)  # extra holds no modelled key; its Trace wins
    cfg.update(extra.get("HLSConfig", {}))
    return cfg


#: Keys of a project config and the ``convert_from_keras_model`` keyword each goes back as.
_PROJECT_KWARGS = {"ClockUncertainty": "clock_uncertainty", "Version": "version"}
_WRITER_KWARGS = {"Namespace": "namespace", "WriteWeightsTxt": "write_weights_txt", "WriteTar": "write_tar",
                  "TBOutputStream": "tb_output_stream", "WriteEmulationConstants": "write_emulation_constants"}
_ACCELERATOR_KWARGS = {"Interface": "interface", "Driver": "driver", "Platform": "platform"}


def _project_kwargs(project: dict) -> dict:
    """The carried project keys (a whole hls4ml config's) as ``convert_from_keras_model`` keywords."""
    kw = {arg: project[k] for k, arg in _PROJECT_KWARGS.items() if k in project}
    writer = project.get("WriterConfig") or {}
    kw.update({arg: writer[k] for k, arg in _WRITER_KWARGS.items() if k in writer})
    accel = project.get("AcceleratorConfig") or {}
    kw.update({arg: accel[k] for k, arg in _ACCELERATOR_KWARGS.items() if k in accel})
    prec = accel.get("Precision") or {}
    kw.update({arg: prec[k] for k, arg in (("Input", "input_type"), ("Output", "output_type")) if k in prec})
    return kw


def hls4ml_kwargs(design, output_dir: str = "hlsnb_prj", project_name: str = "myproject") -> dict:
    """Keyword arguments for ``hls4ml.converters.convert_from_keras_model(model, **kwargs)`` (a project config's
    carried keys, such as ``ClockUncertainty`` and ``WriterConfig``, included)."""
    kw = dict(
        hls_config=to_hls4ml_config(design),
        output_dir=str(output_dir),
        project_name=project_name,
        backend=design.backend,
        part=design.part_number,
        clock_period=design.clock_ns,
        io_type=design.io_type,
    )
    kw.update(_project_kwargs(design.hls4ml_extra.get("Project", {})))
    if design.backend == "VivadoAccelerator":
        if design.board is None or get_board(design.board).accelerator_board is None:
            raise InvalidSetting(
                f"backend VivadoAccelerator needs a board it knows (pynq-z2, pynq-z1, zcu102, ...), "
                f"got board={design.board!r}"
            )
        kw["board"] = get_board(design.board).accelerator_board
        kw.pop("part")
    return kw


def to_hls4ml_precision(ftype: "FixedType | str"):
    """``ftype`` as hls4ml's own type: ``IntegerPrecisionType`` for ``ap_int``/``ap_uint``, else
    ``FixedPrecisionType`` with every field (rounding, saturation, saturation bits). Imports hls4ml (on use)."""
    from hls4ml.model.types import FixedPrecisionType, IntegerPrecisionType

    t = parse_precision(ftype)
    if t.is_int:
        return IntegerPrecisionType(width=t.width, signed=t.signed)
    return FixedPrecisionType(width=t.width, integer=t.integer, signed=t.signed, rounding_mode=t.rounding[3:],
                              saturation_mode=t.saturation[3:], saturation_bits=t.saturation_bits)


def from_hls4ml_precision(ptype) -> FixedType:
    """hls4ml's ``FixedPrecisionType`` / ``IntegerPrecisionType`` as a :class:`FixedType`, every field kept.

    Other hls4ml types (``auto``, exponent, xnor, floats) raise ``InvalidSetting`` naming the type: hlsnb's
    estimator and board code model ap_fixed / ap_int arithmetic only."""
    name = type(ptype).__name__
    if name == "IntegerPrecisionType":
        return FixedType(int(ptype.width), int(ptype.width), signed=bool(ptype.signed), is_int=True)
    if name == "FixedPrecisionType":
        rounding = f"AP_{ptype.rounding_mode}" if ptype.rounding_mode is not None else "AP_TRN"
        saturation = f"AP_{ptype.saturation_mode}" if ptype.saturation_mode is not None else "AP_WRAP"
        return parse_precision(FixedType(int(ptype.width), int(ptype.integer), signed=bool(ptype.signed),
                                         rounding=rounding, saturation=saturation,
                                         saturation_bits=int(ptype.saturation_bits or 0)))
    raise InvalidSetting(f"hls4ml type {name} ({ptype}) is not an ap_fixed / ap_int type; hlsnb models those only "
                         f"(valid examples: ap_fixed<16,6>, ap_int<8>)")


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
    """Convert ``model`` with hls4ml using exactly ``design``'s settings; returns the hls4ml ModelGraph.

    An HGQ2 model goes through hls4ml's bit-exact flow, which takes every result and accumulator type from the
    model's quantizers and ignores the config's: the design's types are put back on the graph
    (:func:`apply_design_types`), so the project, its C simulation and its bitstream hold the types the design (and
    its estimate) has. What changed is in ``hls_model.hlsnb_retyped`` and a warning names it."""

    check_model(design, model)
    hm = convert_from_keras(model, hls4ml_kwargs(design, output_dir, project_name), design)
    hm.hlsnb_retyped = apply_design_types(hm, design) if _is_hgq(model) else {}
    if hm.hlsnb_retyped:
        changes = "; ".join(f"{layer} {kind} {have} -> {want}" for layer, kinds in hm.hlsnb_retyped.items()
                            for kind, (have, want) in kinds.items())
        warnings.warn(f"hls4ml's conversion of this HGQ2 model chose its own types; the design's are kept: {changes}",
                      stacklevel=2)
    return hm


def convert_from_keras(model, kwargs: dict, design):
    """``hls4ml.converters.convert_from_keras_model(model, **kwargs)``, with hls4ml's refusal of the VivadoAccelerator
    backend for some HGQ2 models turned into an error that says why and what to do.

    hls4ml's HGQ proxy pass keeps a standalone quantizer layer where it cannot merge a layer's input quantizer into
    the layer before (e.g. after a short training, a ReLU whose range the next quantizer still cuts) and then asserts
    that the backend is Vivado, Vitis, Quartus or oneAPI (``hgq_proxy_model.py``): VivadoAccelerator, the PYNQ
    wrapper around the same Vivado HLS code, is refused with "Backend VivadoAccelerator not tested"."""
    import hls4ml

    try:
        return hls4ml.converters.convert_from_keras_model(model, **kwargs)
    except AssertionError as e:
        if kwargs.get("backend") != "VivadoAccelerator" or "not tested" not in str(e):
            raise
    names = _standalone_quantizers(model, vivado_kwargs(design, kwargs))
    where = f" ({', '.join(names)})" if names else ""
    raise InvalidSetting(
        f"backend 'VivadoAccelerator': hls4ml {hls4ml.__version__} cannot convert this HGQ2 model for it: its HGQ "
        f"proxy pass keeps standalone quantizer layers{where} where it cannot merge an input quantizer into the layer "
        "before, and accepts those only for the Vivado, Vitis, Quartus and oneAPI backends. Use backend='Vivado' "
        "(the same HLS code and C simulation, without the PYNQ wrapper), or train until each quantized activation "
        "feeds the next layer's quantizer exactly (hlsnb.forum.train_forum_mlp's default training does)") from None


def vivado_kwargs(design, kwargs: dict) -> dict:
    """``kwargs`` (of :func:`hls4ml_kwargs`) for hls4ml's plain Vivado backend: a VivadoAccelerator project without
    its PYNQ wrapper (the same layers, types and HLS code), on the design's part."""
    kw = dict(kwargs)
    if kw.get("backend") in PLAIN_BACKEND:
        kw.pop("board", None)
        kw.update(backend=PLAIN_BACKEND[kw["backend"]], part=design.part_number)
    return kw


def _standalone_quantizers(model, kwargs: dict) -> list[str]:
    """Names of the quantizer layers hls4ml keeps for ``model`` (``kwargs`` of a backend that converts it); [] when
    that conversion fails too."""
    import tempfile

    import hls4ml

    try:
        with tempfile.TemporaryDirectory(prefix="hlsnb_quantizers_") as tmp:
            hm = hls4ml.converters.convert_from_keras_model(model, **dict(kwargs, output_dir=f"{tmp}/prj"))
    except Exception:  # noqa: BLE001 - only the error message is at stake
        return []
    return [layer.name for layer in hm.get_layers() if layer.class_name == "FixedPointQuantizer"]


def _is_hgq(model) -> bool:
    """True for a model with HGQ2 layers (hls4ml converts those bit-exactly from their quantizers)."""
    return any(type(layer).__module__.startswith("hgq.") for layer in getattr(model, "layers", ()))


def apply_design_types(hm, design) -> dict:
    """Give hls4ml's converted model the design's result and accumulator types where the conversion chose others;
    returns layer -> {kind: (hls4ml's type, the design's type)} for each change.

    hls4ml's bit-exact flow for an HGQ2 model sets every result and accumulator type from the model's quantizers
    and ignores the config's (a warning says so), so a design's own types (e.g. :func:`hlsnb.forum.forum_design`'s,
    the forum's wider accumulators) are put on the converted graph here, before it is written and compiled. Weight
    and bias types must already agree (they set the weight values hls4ml writes): a difference raises."""
    import copy

    out = {}
    for layer in hm.get_layers():
        if layer.name not in {l.name for l in design.layers}:
            continue
        spec = design.layer(layer.name)
        for kind in ("weight", "bias", "accum", "result"):
            want = spec.precision(kind)
            named = layer.types.get(f"{kind}_t")
            if want is None or named is None or str(want).strip().lower() == "auto":
                continue
            have = str(parse_precision(str(named.precision)))
            want = str(parse_precision(want))
            if have == want:
                continue
            if kind in ("weight", "bias"):
                raise InvalidSetting(f"layer {layer.name!r}: hls4ml converts the model's {kind}s as {have}, the "
                                     f"design says {want}: the C simulation would not hold the design's {kind}s "
                                     f"(use the model's {kind} type)")
            prec = copy.copy(named.precision)  # the backend's class (it writes the C++ typedef)
            t = parse_precision(want)
            prec.width, prec.integer, prec.signed = t.width, t.integer, t.signed
            prec.rounding_mode, prec.saturation_mode = t.rounding[3:], t.saturation[3:]
            prec.saturation_bits = t.saturation_bits
            named.precision = prec
            if kind == "result":
                layer.get_output_variable().type.precision = prec
            out.setdefault(layer.name, {})[kind] = (have, want)
    return out


#: The sections of an hls4ml ``HLSConfig`` hlsnb reads: the three it models, and hls4ml's pass lists, carried.
CONFIG_SECTIONS = ("Model", "LayerType", "LayerName", "Flows", "Optimizers", "SkipOptimizers")
_PLAIN = tuple(x.hls4ml_key for x in SETTINGS if x.hls4ml_subkey is None)  # Strategy, ReuseFactor
_CARRIED_PRECISIONS = tuple(x.hls4ml_subkey for x in SETTINGS if x.kind == "precision")
#: Project-level keys of a whole hls4ml config (``create_config`` / a backend's ``create_initial_config``):
#: the target ones become the Design's target, the others are carried (``hls4ml_kwargs`` passes them back).
PROJECT_TARGET_KEYS = ("Part", "ClockPeriod", "IOType", "Backend")
#: hls4ml reads these keys of ``Model`` itself (``HLSConfig._parse_hls_config``), beside the layer keys.
_MODEL_ONLY_KEYS = ("BramFactor", "TraceOutput", "TargetCycles", "ConvImplementation", "Compression",
                    "PipelineStyle", "PipelineInterval", "BitExact", "ChannelsLastConversion", "TransposeOutputs")
#: Layer keys hls4ml reads without a declared attribute (``get_layer_config_value`` and the config parser), or that
#: ``config_from_keras_model`` writes for the converter (``Algorithm`` of Resize, ``Direction`` of recurrent layers).
_LAYER_READ_KEYS = ("Precision", "Strategy", "ReuseFactor", "Trace", "TargetCycles", "ConvImplementation",
                    "Compression", "Implementation", "ParallelizationFactor", "Algorithm", "Direction")


@lru_cache(maxsize=1)
def hls4ml_keys() -> tuple[frozenset, frozenset]:
    """``(layer keys, precision variables)`` hls4ml 1.3 reads in a ``LayerName``/``LayerType`` entry, from its own
    layer classes and its Vivado/Vitis/VivadoAccelerator attribute maps (every ``ConfigurableAttribute``'s config
    name, every ``TypeAttribute`` without its ``_t``), so a typo is told from a key hlsnb merely does not model."""
    from hls4ml.backends import get_backend  # heavy: only when a config is read
    from hls4ml.model.attributes import ConfigurableAttribute, TypeAttribute
    from hls4ml.model.layers import layer_map

    keys, variables = set(_LAYER_READ_KEYS), {"default"}
    for name in ("Vivado", "Vitis", "VivadoAccelerator"):
        backend = get_backend(name)
        for cls in set(layer_map.values()):
            for attr in (*cls.expected_attributes, *backend.attribute_map.get(cls, ())):
                if isinstance(attr, TypeAttribute):
                    variables.add(attr.name[:-2] if attr.name.endswith("_t") else attr.name)
                elif isinstance(attr, ConfigurableAttribute):
                    keys.add(attr.config_name)
    return frozenset(keys), frozenset(variables)


def _section(config: dict, key: str) -> dict:
    v = config.get(key)
    if v is None:
        return {}
    if not isinstance(v, dict):
        raise InvalidSetting(f"hls4ml config: {key} must be a dict, got {type(v).__name__} {v!r}")
    return v


def _unknown(keys, valid, where: str, what: str = "keys") -> None:
    """Refuse ``keys`` not in ``valid``, with the nearest spelling of each (a typo would otherwise be dropped)."""
    unknown = sorted(set(keys) - set(valid), key=str)
    if unknown:
        hints = [f"{k!r} -> {m[0]!r}" for k in unknown for m in [difflib.get_close_matches(str(k), valid, 1)] if m]
        hint = f" (did you mean {', '.join(hints)}?)" if hints else ""
        raise InvalidSetting(f"hls4ml config: {where}: unknown {what} {unknown}{hint}; hls4ml 1.3 reads: "
                             f"{', '.join(sorted(valid))}")


def _check_keys(entry, where: str, model: bool = False) -> dict:
    """``entry`` (one config entry) with its keys checked against what hls4ml reads there; its precisions too."""
    if not isinstance(entry, dict):
        raise InvalidSetting(f"hls4ml config: {where} must be a dict of settings, got {type(entry).__name__}")
    keys, variables = hls4ml_keys()
    _unknown(entry, keys | set(_MODEL_ONLY_KEYS) if model else keys, where)
    prec = entry.get("Precision")
    if prec is not None and not isinstance(prec, (str, dict)):
        raise InvalidSetting(f"hls4ml config: {where}: Precision must be a type string or a dict, got {prec!r}")
    if isinstance(prec, dict):
        _unknown(prec, variables, f"{where} Precision", "precision variables")
        for var, value in prec.items():
            _check_precision(value, f"{where} Precision {var!r}")
    elif isinstance(prec, str):
        _check_precision(prec, f"{where} Precision")
    return entry


def _check_precision(value, where: str) -> None:
    """A precision hls4ml reads: ``auto`` or an HLS type every field of which hlsnb keeps (else refused, saying why)."""
    if isinstance(value, str) and value.strip().lower() == "auto":
        return
    try:
        parse_precision(value)
    except InvalidSetting as e:
        raise InvalidSetting(f"hls4ml config: {where}: {e}") from None


def _extras(entry: dict, spec) -> dict:
    """The keys of one entry hlsnb does not model for layer ``spec``, verbatim (a precision variable the layer has
    no setting for, ``TableSize``, ``Implementation``, ``ParallelizationFactor``, ...)."""
    out = {k: v for k, v in entry.items() if k not in ("Precision", *_PLAIN)}
    prec = entry.get("Precision")
    if isinstance(prec, dict):
        have = {x.hls4ml_subkey for x in SETTINGS if x.kind == "precision" and x.applies(spec)} | {"default"}
        rest = {k: v for k, v in prec.items() if k not in have}
        if rest:
            out["Precision"] = rest
    return out


def _merge(base: dict, more: dict) -> dict:
    """``base`` updated by ``more``, one level into ``Precision`` (as hls4ml reads a layer's precisions)."""
    out = {**base, **{k: v for k, v in more.items() if k != "Precision"}}
    if "Precision" in base or "Precision" in more:
        out["Precision"] = {**base.get("Precision", {}), **more.get("Precision", {})}
    return out


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


def _type_entries(design, by_type: dict, ignored: list | None = None) -> dict:
    """``{layer name: its LayerType entries}``, matched as hls4ml matches them: a ``LayerType`` key applies to the
    layers whose hls4ml class (``Dense``, ``Pooling2D``, ``ParametrizedActivation``, ...) it names,
    case-insensitively. A key that names a layer only by its Keras class, hlsnb type or activation (``MaxPooling2D``,
    ``InputLayer``, ``ELU``: what ``config_from_keras_model(granularity='type')`` writes) is one hls4ml 1.3
    silently ignores: it is accepted, not applied, and told in ``ignored``. A key matching no layer at all raises,
    listing the types there are."""
    exact, loose = {}, {}
    for l in design.layers:
        lt = get_layer_type(l.layer_type)
        exact[l.name] = lt.hls4ml_class if lt else l.layer_type
        if lt is not None and lt.hls4ml_class == "Merge" and l.keras_class in ("Concatenate", "Dot"):
            exact[l.name] = l.keras_class  # hls4ml's own classes, not its Merge
        loose[l.name] = {l.keras_class.lower(), l.layer_type.lower()}
        if lt is not None and lt.family in ("activation", "softmax") and l.activation:
            loose[l.name].add(l.activation.lower())
    out: dict = {}
    for key, entry in by_type.items():
        _check_keys(entry, f"LayerType {key!r}")
        hit = [n for n, cls in exact.items() if str(key).lower() == cls.lower()]
        if not hit:
            near = [n for n, ks in loose.items() if str(key).lower() in ks]
            if not near:
                present = sorted({l.keras_class for l in design.layers} | {l.layer_type for l in design.layers})
                raise InvalidSetting(f"hls4ml config: LayerType {key!r} is no layer of this model; its types: "
                                     f"{', '.join(present)}")
            if ignored is not None:
                classes = sorted({exact[n] for n in near}, key=str)
                ignored.append(f"hls4ml config: LayerType {key!r} is ignored by hls4ml 1.3, which matches LayerType "
                               f"on its own layer classes ({', '.join(classes)} here) and builds {', '.join(near)} "
                               "without it; hlsnb does the same (give the entry by LayerName, or under the hls4ml "
                               "class, to apply it)")
        for n in hit:
            out.setdefault(n, []).append(entry)
    return out


def unlisted_layers(design, config: dict) -> list[str]:
    """The layers of ``design`` that ``config`` lists neither by ``LayerName`` nor by ``LayerType`` (they keep their
    settings when the config is loaded onto a design, see :func:`from_hls4ml_config`'s ``base``)."""
    config = split_project(config, {})[0]
    by_name, by_type = _section(config, "LayerName"), _section(config, "LayerType")
    if not (by_name or by_type):
        return []
    types = _type_entries(design, by_type)
    return [l.name for l in design.layers if l.name not in by_name and l.name not in types]


class DefaultBoard(str):
    """The default board (``"pynq-z2"``) when the caller did not name one: a project config's ``Part`` then wins."""


def split_project(config: dict, target: dict) -> tuple[dict, dict, dict]:
    """``(HLSConfig part, target keywords, carried project keys)`` of a config: a whole hls4ml project config
    (``create_config``, a backend's ``create_initial_config``: ``Part``, ``ClockPeriod``, ``IOType``, ``Backend``,
    ``HLSConfig``, ...) or just its ``HLSConfig`` (``config_from_keras_model``). The project's target keys fill the
    target keywords the caller left at ``None``; given ones must agree (else ``InvalidSetting`` naming both)."""
    if "HLSConfig" not in config:
        if not set(config) & set(PROJECT_TARGET_KEYS):
            return config, target, {}
        # hls4ml's optimization API adds IOType beside Model / LayerName: read it as a project key
        config = {"HLSConfig": {k: v for k, v in config.items() if k not in PROJECT_TARGET_KEYS},
                  **{k: v for k, v in config.items() if k in PROJECT_TARGET_KEYS}}
    hls = config["HLSConfig"]
    if not isinstance(hls, dict):
        raise InvalidSetting(f"hls4ml config: HLSConfig must be a dict, got {type(hls).__name__}")
    target = dict(target)
    from_project = {"Part": "part", "ClockPeriod": "clock_ns", "IOType": "io_type", "Backend": "backend"}
    for key, kw in from_project.items():
        if key not in config:
            continue
        value = config[key]
        if key == "Backend" and isinstance(value, str):
            value = {b.lower(): b for b in BACKENDS}.get(value.lower(), value)
        if target.get(kw) is None:
            target[kw] = value
        elif target[kw] != value and not (kw == "part" and target.get("board")):
            raise InvalidSetting(f"hls4ml config: {key} is {value!r} but {kw}={target[kw]!r} was given; give one")
    accel = config.get("AcceleratorConfig")
    board_given = not isinstance(target.get("board"), DefaultBoard)
    if isinstance(accel, dict) and accel.get("Board") and not board_given:
        target["board"], board_given = accel["Board"], True
    if board_given and target.get("board") is not None:
        if "Part" in config and target.get("part") == config["Part"]:
            target["part"] = None  # the board brings its part
    elif target.get("part") is not None:
        target["board"] = None  # the project names a part and no board: the part is the target
    carried = {k: v for k, v in config.items() if k not in (*from_project, "HLSConfig")}
    return hls, target, carried


def _check_base_target(design, target: dict) -> None:
    """A project config loaded onto a design (the Explorer's) must target what the design targets: its ``Part``,
    ``ClockPeriod``, ``IOType`` and ``Backend`` are never dropped silently; a difference raises, naming both."""
    have = {"io_type": design.io_type, "clock_ns": design.clock_ns, "backend": design.backend}
    for kw, mine in have.items():
        given = target.get(kw)
        if given is not None and not isinstance(given, DefaultBoard) and given != mine and \
                not (kw == "clock_ns" and isinstance(given, (int, float)) and float(given) == mine):
            raise InvalidSetting(f"hls4ml config: its {kw} is {given!r}, the design's {mine!r}: change the design's "
                                 "target first (set_target), or load the config without it")
    part = target.get("part")
    if part is not None and normalise_part(str(part)) != normalise_part(design.part_number):
        raise InvalidSetting(f"hls4ml config: its Part is {part!r}, the design's {design.part_number!r}: change the "
                             "design's target first (set_target), or load the config without it")


def from_hls4ml_config(cls, model, config: dict, base=None, **target) -> Any:
    """A ``cls`` (Design) for ``model`` from an hls4ml config dict.

    ``config``: what ``hls4ml.utils.config_from_keras_model`` returns (granularity ``model``, ``type`` or ``name``,
    any backend), or a whole project config (``create_config`` / a backend's ``create_initial_config`` with its
    ``HLSConfig``: its ``Part``, ``ClockPeriod``, ``IOType`` and ``Backend`` become the target unless given).
    ``target``: the keywords of ``cls.from_keras`` for the target (board, io_type, clock_ns, part, backend). A
    layer's ``LayerName`` entry wins over its ``LayerType`` entry, which wins over ``Model``, as in hls4ml. Values
    hls4ml would silently change raise ``InvalidSetting``; precisions given as ``auto`` are kept.

    Keys hlsnb does not model (``TableSize``, ``Implementation``, ``Skip``, table precisions, ``ParallelizationFactor``,
    ``Flows``, ...) are carried verbatim (``LayerSpec.hls4ml_extra``, the design's ``hls4ml_extra``) and written back
    by :func:`to_hls4ml_config`. A key hls4ml 1.3 does not read (:func:`hls4ml_keys`) is refused, with the nearest
    spelling: a typo would otherwise be dropped. ``LayerName`` entries that are no layer of the model and
    ``LayerType`` entries that match none raise ``InvalidSetting`` naming them and listing the valid ones. Every
    precision is checked (:func:`hlsnb.precision.parse_precision` keeps every field of it, or says why not).

    ``base``: a Design of ``model`` to start from (the Explorer's): then only the layers the config lists (by
    ``LayerName`` or ``LayerType``; every layer when it has neither section) change, and a listed layer keeps each
    setting the config does not give at any level; the layers it does not list keep their settings. Without
    ``base`` the design starts from ``from_keras`` and ``Model`` applies to every layer, as in hls4ml.
    """
    if not isinstance(config, dict):
        raise InvalidSetting(f"config must be an hls4ml config dict, got {type(config).__name__}")
    config, target, project = split_project(config, target)
    _unknown(config, CONFIG_SECTIONS, "(top level)", "sections")
    mcfg = _check_keys(_section(config, "Model"), "Model", model=True)
    mprec = mcfg.get("Precision")
    mdefault = mprec.get("default") if isinstance(mprec, dict) else mprec
    if base is None:
        target = {k: (str(v) if k == "board" and v is not None else v) for k, v in target.items()
                  if v is not None or k in ("board", "part")}
        design = cls.from_keras(model, precision=normalise_precision(mdefault or DEFAULT_PRECISION, "Model"),
                                **target)
    else:
        design = base.copy()
        _check_base_target(design, target)
        if mdefault is not None:
            design._target = replace(design._target, default_precision=normalise_precision(mdefault, "Model"))
    by_type = _section(config, "LayerType")
    by_name = _section(config, "LayerName")
    layer_names = [l.name for l in design.layers]
    missing = sorted((k for k in by_name if k not in layer_names), key=str)
    if missing:
        raise InvalidSetting(f"hls4ml config: LayerName {missing} are no layers of this model; its layers: "
                             f"{', '.join(layer_names)}")
    for k, entry in by_name.items():
        _check_keys(entry, f"LayerName {k!r}")
    ignored: list[str] = []
    types = _type_entries(design, by_type, ignored)
    for message in ignored:
        warnings.warn(message, UserWarning, stacklevel=3)
    everything = base is None or not (by_name or by_type)
    plan, extras = {}, {}
    for l in design.layers:
        entries = [*([by_name[l.name]] if l.name in by_name else []), *reversed(types.get(l.name, []))]
        if not everything and not entries:
            continue  # a layer the config does not list keeps its settings
        extra: dict = {}
        for e in reversed(entries):  # as hls4ml's get_layer_config: the type's keys, then the name's
            extra = _merge(extra, _extras(e, l))
        extras[l.name] = extra
        kw = {}
        for x in SETTINGS:
            if not x.applies(l, design.io_type):
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
        # a Strategy or ReuseFactor its own or its type's entry gives a layer the setting does not apply to (hls4ml's
        # own config_from_keras_model writes the default ReuseFactor on every layer, activations included): a
        # well-formed value is carried to hls4ml verbatim, neither refused nor dropped, and Design.warnings() says
        # hlsnb estimates the layer without it; a malformed one raises. Model's speak for every layer, as in hls4ml
        for x in SETTINGS:
            if x.hls4ml_subkey is not None or x.applies(l, design.io_type):
                continue
            given = next((e[x.hls4ml_key] for e in entries if e.get(x.hls4ml_key) is not None), None)
            if given is None:
                continue
            try:
                x.check(_as_rf(given) if x.kind == "reuse_factor" else given, l, design.io_type)
            except InvalidSetting:
                value = (as_reuse_factor(_as_rf(given), l.name) if x.kind == "reuse_factor"
                         else canonical_strategy(given, l.name))
                extras[l.name][x.hls4ml_key] = value
    for name, kw in plan.items():  # design is a fresh object: a raise here leaves the caller's state untouched
        if kw:
            design.set(name, notify=False, **kw)
    model_extra = {k: v for k, v in mcfg.items() if k not in ("Precision", *_PLAIN)}
    if isinstance(mprec, dict):
        rest = {k: v for k, v in mprec.items() if k not in ("default", *_CARRIED_PRECISIONS)}
        if rest:
            model_extra["Precision"] = rest
    sections = {k: config[k] for k in CONFIG_SECTIONS[3:] if k in config}
    design._set_hls4ml_extra({n: e for n, e in extras.items()},
                             {"Model": model_extra, "HLSConfig": sections, "Project": project}, keep=base is not None)
    return design
