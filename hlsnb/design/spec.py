"""One hls4ml layer (:class:`LayerSpec`) and the schema of its per-layer settings (:data:`SETTINGS`).

A setting is a ``LayerSpec`` field declared with :func:`_setting`: its metadata says what hls4ml calls it, which
layers it applies to and how a value is checked. ``Design.set``, ``Design.update_from``, the JSON file, the hls4ml
config (both ways), the summary table and the configurator widgets all loop over :data:`SETTINGS`, so a new
per-layer setting is one field here.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np

from .. import rules
from ..errors import InvalidSetting
from ..layer_types import get_layer_type
from ..precision import parse_precision

__all__ = ["LayerSpec", "Setting", "SETTINGS", "DEFAULT_PRECISION", "check_reuse_factor", "normalise_precision",
           "check_layer", "extra_json"]

DEFAULT_PRECISION = "ap_fixed<16,6>"
_META = "hlsnb_setting"
_KINDS = ("strategy", "reuse_factor", "precision")
_APPLIES = ("multipliers", "reuse", "present", "all")
_TUPLE_FIELDS = ("input_shape", "output_shape", "kernel_size", "strides", "inputs")


def _setting(default, hls4ml: str, kind: str, applies: str, label: str):
    """A ``LayerSpec`` field that is a per-layer setting.

    ``hls4ml``: its key in an hls4ml ``LayerName`` entry, ``"Precision/weight"`` for a member of a dict-valued key.
    ``kind``: how a value is checked ("strategy", "reuse_factor", "precision"). ``applies``: which layers have it
    ("multipliers": Dense/Conv; "reuse": layers whose kernel reads a ReuseFactor,
    :func:`hlsnb.rules.takes_reuse_factor`; "present": layers whose value is not None; "all"). ``label``: its summary
    column.
    """
    if kind not in _KINDS or applies not in _APPLIES:
        raise ValueError(f"setting kind {kind!r} / applies {applies!r}: kinds are {_KINDS}, applies {_APPLIES}")
    key, _, sub = hls4ml.partition("/")
    meta = {"hls4ml_key": key, "hls4ml_subkey": sub or None, "kind": kind, "applies_to": applies, "label": label}
    return field(default=default, metadata={_META: meta})


@dataclass(frozen=True)
class LayerSpec:
    """One hls4ml layer and its HLS settings (frozen: change settings with ``Design.set``).

    See docs/INTERFACES.md for the fields. ``strategy`` .. ``result_precision`` are the per-layer settings of
    :data:`SETTINGS`; the other fields are the layer's geometry and weight statistics, read from the model.
    ``keras_layer``: the Keras layer this hls4ml node comes from when its name differs (a layer called twice is
    two nodes, ``conv`` and ``conv_0``, of one Keras layer ``conv``); see :attr:`keras_name`. ``hls4ml_extra``:
    the layer's hls4ml config keys hlsnb does not model, as canonical JSON text (:attr:`extra`; frozen, hashable).
    """

    name: str
    layer_type: str
    keras_class: str
    input_shape: tuple = ()
    output_shape: tuple = ()
    n_in: int | None = None
    n_out: int | None = None
    activation: str | None = None
    filters: int | None = None
    kernel_size: tuple | None = None
    strides: tuple | None = None
    padding: str | None = None
    pool_op: str | None = None
    n_weights: int = 0
    n_zeros: int = 0
    n_bias: int = 0
    strategy: str = _setting("Latency", "Strategy", "strategy", "multipliers", "strategy")
    reuse_factor: int = _setting(1, "ReuseFactor", "reuse_factor", "reuse", "reuse_factor")
    weight_precision: str | None = _setting(None, "Precision/weight", "precision", "present", "weight")
    bias_precision: str | None = _setting(None, "Precision/bias", "precision", "present", "bias")
    accum_precision: str | None = _setting(None, "Precision/accum", "precision", "present", "accum")
    result_precision: str = _setting(DEFAULT_PRECISION, "Precision/result", "precision", "all", "result")
    inputs: tuple = ()
    keras_layer: str | None = None
    hls4ml_extra: str | None = None
    weights: Any = field(default=None, repr=False, compare=False)

    @property
    def extra(self) -> dict:
        """hls4ml config keys of this layer that hlsnb does not model (``TableSize``, ``Implementation``, table
        precisions, ...), as read from an hls4ml config and written back verbatim (:attr:`hls4ml_extra`, JSON)."""
        return json.loads(self.hls4ml_extra) if self.hls4ml_extra else {}

    @property
    def parallelization_factor(self) -> int | None:
        """The ParallelizationFactor this layer is built with: the one it carries among its hls4ml keys
        (:attr:`extra`), else 1 (hls4ml's default: one output pixel after another); None for a layer that takes none
        (:func:`hlsnb.rules.takes_parallelization_factor`). Read as held, never corrected."""
        if not rules.takes_parallelization_factor(self.layer_type):
            return None
        return self.extra.get("ParallelizationFactor", 1)

    @property
    def keras_name(self) -> str:
        """The name of the Keras layer this node comes from (its weights, its checks, its conversion)."""
        return self.keras_layer or self.name

    @property
    def is_mult_layer(self) -> bool:
        """True for layers whose Strategy and ReuseFactor decide their multipliers (the registry's Dense, Conv)."""
        lt = get_layer_type(self.layer_type)
        return lt is not None and lt.has_multipliers

    @property
    def mult_size(self) -> tuple[int, int]:
        """hls4ml's ``get_layer_mult_size``: (n_in, n_out) of the matrix the ReuseFactor divides."""
        if not self.is_mult_layer:
            raise InvalidSetting(f"layer {self.name!r} ({self.layer_type}) has no multipliers")
        return int(self.n_in), int(self.n_out)

    @property
    def sparsity(self) -> float:
        """Fraction of kernel weights that are exactly zero."""
        return self.n_zeros / self.n_weights if self.n_weights else 0.0

    @property
    def n_mult(self) -> int:
        """Multiplications per output set (n_in * n_out) for Dense/Conv, else 0."""
        return int(self.n_in) * int(self.n_out) if self.is_mult_layer else 0

    @property
    def output_size(self) -> int:
        """Number of values the layer outputs per sample (product of ``output_shape``)."""
        return int(np.prod(self.output_shape)) if self.output_shape else 0

    def precision(self, kind: str) -> str | None:
        """The configured precision string of ``kind`` ("weight", "bias", "accum", "result")."""
        return getattr(self, f"{kind}_precision")

    def to_dict(self) -> dict:
        """Every field but the weights, tuples as lists (the JSON form of a layer)."""
        d = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "weights"}
        for k in _TUPLE_FIELDS:
            if d[k] is not None:
                d[k] = list(d[k])
        return d

    @classmethod
    def from_dict(cls, d: dict) -> LayerSpec:
        """The inverse of :meth:`to_dict`. Unknown or missing fields, and a list field that is not a list, raise
        ``InvalidSetting`` naming them (a file from elsewhere); the values are checked by :func:`check_layer`."""
        if not isinstance(d, dict):
            raise InvalidSetting(f"a layer is a JSON object of its fields, got {type(d).__name__} {_short(d)}")
        known = [f.name for f in fields(cls) if f.name != "weights"]
        where = f"layer {d.get('name')!r}"
        unknown = sorted(set(d) - set(known), key=str)
        if unknown:
            raise InvalidSetting(f"{where}: unknown fields {unknown}; valid fields: {', '.join(known)}")
        missing = [k for k in _REQUIRED if k not in d]
        if missing:
            raise InvalidSetting(f"{where}: missing fields {missing} (every layer has {', '.join(_REQUIRED)})")
        d = dict(d)
        for k in _TUPLE_FIELDS:
            if d.get(k) is not None:
                if not isinstance(d[k], (list, tuple)):
                    raise InvalidSetting(f"{where}: {k} must be a list, got {_short(d[k])}")
                d[k] = tuple(d[k])
        return cls(**d)


@dataclass(frozen=True)
class Setting:
    """One per-layer setting of :data:`SETTINGS`, derived from a ``LayerSpec`` field's metadata.

    ``name``: the ``LayerSpec`` field and the keyword of ``Design.set``. ``hls4ml_key`` / ``hls4ml_subkey``: where
    hls4ml's config keeps it (``"Precision"`` / ``"weight"``; no subkey for ``"Strategy"``, ``"ReuseFactor"``).
    ``kind``: "strategy", "reuse_factor" or "precision" (how a value is checked and which control edits it).
    ``applies_to``: see :meth:`applies`. ``label``: its column in ``Design.summary()``. ``default``: the field's.
    """

    name: str
    hls4ml_key: str
    hls4ml_subkey: str | None
    kind: str
    applies_to: str
    label: str
    default: Any

    def applies(self, spec: LayerSpec, io_type: str | None = None) -> bool:
        """True if layer ``spec`` has this setting (hls4ml reads it for that layer) with ``io_type`` (``None``: with
        some io type; the io_stream softmax's ReuseFactor, say)."""
        if self.applies_to == "multipliers":
            return spec.is_mult_layer
        if self.applies_to == "reuse":
            return any(rules.takes_reuse_factor(spec.layer_type, io) for io in
                       ((io_type,) if io_type is not None else rules.IO_TYPES))
        if self.applies_to == "present":
            return getattr(spec, self.name) is not None
        return True

    def check(self, value, spec: LayerSpec, io_type: str):
        """``value`` in canonical form for layer ``spec`` with ``io_type``, or ``InvalidSetting`` saying why not.

        Only this value is checked; whether the ReuseFactor suits the strategy is :func:`check_reuse_factor`'s job.
        """
        if self.kind == "strategy":
            return rules.check_strategy(value, spec.layer_type, io_type, spec.name)
        if self.kind == "reuse_factor":
            # the value on its own (a positive integer; 1 without multipliers): without the sizes check_setting
            # leaves the strategy's rule to check_reuse_factor, which sees the new strategy too
            return rules.check_setting(spec.name, spec.layer_type, "Latency", value, io_type=io_type)[1]
        if not self.applies(spec):
            raise InvalidSetting(f"layer {spec.name!r} ({spec.layer_type}) has no {self.hls4ml_subkey} precision")
        return normalise_precision(value, spec.name, allow_auto=True)

    def from_hls4ml(self, entry: dict):
        """This setting's value in an hls4ml config entry (``LayerName``/``LayerType``/``Model``), else ``None``.

        A string ``Precision`` sets every precision of the layer, as in hls4ml.
        """
        value = entry.get(self.hls4ml_key)
        if value is None:
            return None
        if self.hls4ml_subkey is not None:
            if isinstance(value, dict):
                value = value.get(self.hls4ml_subkey)
            elif not isinstance(value, str):
                return None
        if value is None:
            return None
        return int(value) if self.kind == "reuse_factor" else value

    def to_hls4ml(self, entry: dict, value) -> None:
        """Write ``value`` into an hls4ml ``LayerName`` entry."""
        if self.hls4ml_subkey is None:
            entry[self.hls4ml_key] = value
        else:
            entry.setdefault(self.hls4ml_key, {})[self.hls4ml_subkey] = value


#: The per-layer settings, in ``LayerSpec`` field order: what every consumer of a layer's settings loops over.
SETTINGS: tuple[Setting, ...] = tuple(
    Setting(name=f.name, default=f.default, **f.metadata[_META]) for f in fields(LayerSpec) if _META in f.metadata
)


def check_reuse_factor(spec: LayerSpec, io_type: str = "io_parallel", backend: str = "Vivado") -> None:
    """Raise ``InvalidSetting`` unless hls4ml builds ``spec``'s Strategy and ReuseFactor as given with ``io_type``
    (:func:`hlsnb.rules.check_setting`, the one check: Latency keeps any ReuseFactor, the Resource-type strategies
    only hls4ml's valid ones and what the templates build)."""
    rules.check_setting(spec.name, spec.layer_type, spec.strategy, spec.reuse_factor, spec.n_in, spec.n_out,
                        io_type, backend)


def normalise_precision(value, layer: str, allow_auto: bool = False) -> str:
    """``value`` as a canonical HLS type string (``ap_fixed<16,6>``); ``auto`` kept if ``allow_auto``."""
    if allow_auto and isinstance(value, str) and value.strip().lower() == "auto":
        return "auto"
    try:
        return str(parse_precision(value))
    except ValueError as e:
        raise InvalidSetting(f"layer {layer!r}: {e}") from None


_REQUIRED = ("name", "layer_type", "keras_class")
_SIZE_FIELDS = ("n_in", "n_out", "filters")  # None (not applicable) or a positive count
_COUNT_FIELDS = ("n_weights", "n_zeros", "n_bias")  # counts, 0 allowed
_SHAPE_FIELDS = ("input_shape", "output_shape", "kernel_size", "strides")  # tuples of positive ints
_TEXT_FIELDS = ("activation", "padding", "pool_op", "keras_layer", "hls4ml_extra")  # None or text


def extra_json(extra: dict | None) -> str | None:
    """``extra`` (hls4ml config keys) as the canonical JSON text a ``LayerSpec`` keeps (``None`` when empty)."""
    if not extra:
        return None
    try:
        return json.dumps(extra, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise InvalidSetting(f"hls4ml config keys must be JSON values (text, numbers, lists, dicts): {e}") from None


def _short(value, n: int = 60) -> str:
    """``repr(value)`` cut to ``n`` characters (a message must stay one readable line)."""
    r = repr(value)
    return r if len(r) <= n else r[: n - 3] + "..."


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def check_layer(spec: LayerSpec, io_type: str = "io_parallel") -> LayerSpec:
    """``spec`` checked as a whole, with its precisions and strategy in canonical form; else ``InvalidSetting``.

    What :meth:`Design.set` checks for one value, this checks for every field: text fields are text, sizes are
    positive integers (``n_in``, ``n_out``, ``filters``; required on layers with multipliers), counts non-negative
    integers with ``n_zeros <= n_weights``, shapes tuples of positive integers, ``inputs`` names; every precision
    an HLS type (or ``auto``); the strategy one hls4ml builds for the layer type and ``io_type``; the ReuseFactor a
    positive integer, 1 on layers without multipliers, and one hls4ml keeps for the strategy
    (:func:`check_reuse_factor`). The message names the layer, the field, the value and what is valid.
    """
    if not isinstance(spec, LayerSpec):
        raise TypeError(f"a Design's layers are LayerSpec objects, got {type(spec).__name__} {_short(spec)}")
    for k in ("name", *_REQUIRED[1:]):
        v = getattr(spec, k)
        if not isinstance(v, str) or not v.strip():
            raise InvalidSetting(f"layer {_short(spec.name)}: {k} must be a non-empty string, got {_short(v)}")
    where = f"layer {spec.name!r} ({spec.layer_type})"
    for k in _TEXT_FIELDS:
        v = getattr(spec, k)
        if v is not None and not isinstance(v, str):
            raise InvalidSetting(f"{where}: {k} must be text or null, got {_short(v)}")
    for k in _SIZE_FIELDS:
        v = getattr(spec, k)
        # at most 2^31-1 (rules.MAX_ELEMENTS): hls4ml's C++ sizes are 32-bit
        if v is not None and not (_is_int(v) and 1 <= v <= rules.MAX_ELEMENTS):
            raise InvalidSetting(f"{where}: {k} must be a positive integer up to 2^31-1 (or null), got {_short(v)}")
    if (spec.is_mult_layer and spec.n_in is not None and spec.n_out is not None
            and spec.n_in * spec.n_out > rules.MAX_ELEMENTS):
        raise InvalidSetting(f"{where}: n_in x n_out = {spec.n_in * spec.n_out} is over 2^31-1 (hls4ml's sizes are "
                             "32-bit)")
    if spec.is_mult_layer and (spec.n_in is None or spec.n_out is None):
        raise InvalidSetting(f"{where}: a layer with multipliers needs n_in and n_out (positive integers), got "
                             f"n_in={spec.n_in!r}, n_out={spec.n_out!r}")
    for k in _COUNT_FIELDS:
        v = getattr(spec, k)
        if not (_is_int(v) and v >= 0):
            raise InvalidSetting(f"{where}: {k} must be a non-negative integer, got {_short(v)}")
    if spec.n_zeros > spec.n_weights:
        raise InvalidSetting(f"{where}: n_zeros {spec.n_zeros} is more than its {spec.n_weights} weights "
                             f"(valid: 0 to {spec.n_weights})")
    for k in _SHAPE_FIELDS:
        v = getattr(spec, k)
        if v is None and k in ("kernel_size", "strides"):
            continue
        if not isinstance(v, tuple) or not all(_is_int(x) and x >= 1 for x in v):
            raise InvalidSetting(f"{where}: {k} must be a list of positive integers, got {_short(v)}")
    lt = get_layer_type(spec.layer_type)
    if spec.hls4ml_extra is not None:
        try:
            ok = isinstance(json.loads(spec.hls4ml_extra), dict)
        except ValueError:
            ok = False
        if not ok:
            raise InvalidSetting(f"{where}: hls4ml_extra must be JSON text of a dict of hls4ml config keys, got "
                                 f"{_short(spec.hls4ml_extra)}")
        pf = spec.extra.get("ParallelizationFactor")
        if pf is not None and spec.output_shape and rules.takes_parallelization_factor(spec.layer_type):
            # hls4ml splits the output pixels (the width of a 1-D one) into equal partitions, else substitutes
            rules.check_parallelization_factor(spec.name, pf, rules.conv_pixels(spec.output_shape))
    if not isinstance(spec.inputs, tuple) or not all(isinstance(x, str) and x for x in spec.inputs):
        raise InvalidSetting(f"{where}: inputs must be a list of layer names, got {_short(spec.inputs)}")
    # what hls4ml's layer has: a kernel has a weight type; a product accumulates into accum_t with a bias
    needs = (("weight_precision", "bias_precision", "accum_precision") if spec.is_mult_layer
             else ("weight_precision",) if lt is not None and lt.weighted else ())
    changes = {}
    for s in SETTINGS:
        v = getattr(spec, s.name)
        if s.kind == "precision":
            if v is None:
                if s.applies_to == "all" or s.name in needs:
                    raise InvalidSetting(f"{where}: {s.name} must be an HLS type such as {DEFAULT_PRECISION}, got None")
                continue
            try:
                changes[s.name] = normalise_precision(v, spec.name, allow_auto=True)
            except InvalidSetting as e:
                raise InvalidSetting(f"{where}: {s.name}: {str(e).split(': ', 1)[-1]}") from None
        else:
            changes[s.name] = s.check(v, spec, io_type)
    new = replace(spec, **changes)
    check_reuse_factor(new, io_type)
    return new


def _finite_number(value, what: str, lo: float, hi: float) -> float:
    """``value`` as a float if it is a real number in [lo, hi], else ``InvalidSetting`` naming ``what`` and the
    range (booleans, NaN and infinities are refused)."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if not ok or not math.isfinite(float(value)) or not lo <= float(value) <= hi:
        raise InvalidSetting(f"{what} must be a finite number from {lo:g} to {hi:g}, got {_short(value)}")
    return float(value)
