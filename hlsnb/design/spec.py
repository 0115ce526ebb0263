"""One hls4ml layer (:class:`LayerSpec`) and the schema of its per-layer settings (:data:`SETTINGS`).

A setting is a ``LayerSpec`` field declared with :func:`_setting`: its metadata says what hls4ml calls it, which
layers it applies to and how a value is checked. ``Design.set``, ``Design.update_from``, the JSON file, the hls4ml
config (both ways), the summary table and the configurator widgets all loop over :data:`SETTINGS`, so a new
per-layer setting is one field here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from .. import rules
from ..errors import InvalidSetting
from ..layer_types import get_layer_type
from ..precision import parse_precision

__all__ = ["LayerSpec", "Setting", "SETTINGS", "DEFAULT_PRECISION", "check_reuse_factor", "normalise_precision"]

DEFAULT_PRECISION = "ap_fixed<16,6>"
_META = "hlsnb_setting"
_KINDS = ("strategy", "reuse_factor", "precision")
_APPLIES = ("multipliers", "present", "all")
_TUPLE_FIELDS = ("input_shape", "output_shape", "kernel_size", "strides", "inputs")


def _setting(default, hls4ml: str, kind: str, applies: str, label: str):
    """A ``LayerSpec`` field that is a per-layer setting.

    ``hls4ml``: its key in an hls4ml ``LayerName`` entry, ``"Precision/weight"`` for a member of a dict-valued key.
    ``kind``: how a value is checked ("strategy", "reuse_factor", "precision"). ``applies``: which layers have it
    ("multipliers": Dense/Conv; "present": layers whose value is not None; "all"). ``label``: its summary column.
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
    two nodes, ``conv`` and ``conv_0``, of one Keras layer ``conv``); see :attr:`keras_name`.
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
    reuse_factor: int = _setting(1, "ReuseFactor", "reuse_factor", "multipliers", "reuse_factor")
    weight_precision: str | None = _setting(None, "Precision/weight", "precision", "present", "weight")
    bias_precision: str | None = _setting(None, "Precision/bias", "precision", "present", "bias")
    accum_precision: str | None = _setting(None, "Precision/accum", "precision", "present", "accum")
    result_precision: str = _setting(DEFAULT_PRECISION, "Precision/result", "precision", "all", "result")
    inputs: tuple = ()
    keras_layer: str | None = None
    weights: Any = field(default=None, repr=False, compare=False)

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
        """The inverse of :meth:`to_dict`; unknown fields raise ``InvalidSetting`` (a file from elsewhere)."""
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise InvalidSetting(f"layer {d.get('name')!r}: unknown fields {sorted(unknown)}")
        d = dict(d)
        for k in _TUPLE_FIELDS:
            if d.get(k) is not None:
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

    def applies(self, spec: LayerSpec) -> bool:
        """True if layer ``spec`` has this setting (hls4ml reads it for that layer)."""
        if self.applies_to == "multipliers":
            return spec.is_mult_layer
        if self.applies_to == "present":
            return getattr(spec, self.name) is not None
        return True

    def check(self, value, spec: LayerSpec, io_type: str):
        """``value`` in canonical form for layer ``spec`` with ``io_type``, or ``InvalidSetting`` saying why not.

        Only this value is checked; whether the ReuseFactor suits the strategy is :func:`check_reuse_factor`'s job.
        """
        if self.kind == "strategy":
            s = rules.canonical_strategy(value, spec.name)
            allowed = rules.strategies_for(spec.layer_type, io_type)
            if s not in allowed:
                raise InvalidSetting(
                    f"layer {spec.name!r} ({spec.layer_type}, {io_type}): strategy {s!r} is not built by hls4ml "
                    f"here; valid: {', '.join(allowed)}"
                )
            return s
        if self.kind == "reuse_factor":
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise InvalidSetting(f"layer {spec.name!r}: ReuseFactor must be a positive integer, got {value!r}")
            if not spec.is_mult_layer and value != 1:
                raise InvalidSetting(
                    f"layer {spec.name!r} ({spec.layer_type}) has no multipliers; its ReuseFactor is fixed at 1 "
                    "(set it on Dense/Conv layers)"
                )
            return int(value)
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


def check_reuse_factor(spec: LayerSpec, io_type: str = "io_parallel") -> None:
    """Raise ``InvalidSetting`` if ``spec``'s ReuseFactor is not one hls4ml keeps for its strategy and builds
    with ``io_type`` (:func:`hlsnb.rules.template_reuse_factors`).

    hls4ml would silently use the closest valid value (or another strategy), or abort the C simulation in its
    template; the message says which, and lists what is valid.
    """
    if not spec.is_mult_layer:
        return
    valid = rules.template_reuse_factors(spec.layer_type, spec.n_in, spec.n_out, spec.strategy, io_type)
    if spec.reuse_factor not in valid:
        raise InvalidSetting(bad_reuse_factor_message(spec, valid))


def closest_reuse_factor(valid, rf: int) -> int:
    """The valid ReuseFactor hls4ml would substitute for ``rf`` (the nearest; the smaller one on a tie)."""
    return min(valid, key=lambda v: (abs(v - rf), v))


def bad_reuse_factor_message(spec: LayerSpec, valid) -> str:
    """Why ``spec.reuse_factor`` is refused: what hls4ml would do instead, the nearest and all valid values."""
    near = rules.closest_reuse_factors(valid, spec.reuse_factor)
    listing = ", ".join(map(str, valid)) if len(valid) <= 24 else ", ".join(map(str, valid[:12])) + ", ..."
    if spec.strategy == "Resource_Unrolled" and spec.reuse_factor == 1:
        extra = " (hls4ml would build Resource instead)"
    elif spec.strategy == "distributed_arithmetic":
        extra = " (distributed_arithmetic needs ReuseFactor 1)"
    else:
        extra = f" (hls4ml would silently use {closest_reuse_factor(valid, spec.reuse_factor)})" if valid else ""
    return (
        f"layer {spec.name!r} ({spec.layer_type} {spec.n_in}x{spec.n_out}, {spec.strategy}): ReuseFactor "
        f"{spec.reuse_factor} is not valid{extra}; closest valid: {', '.join(map(str, near))}; all valid: {listing}"
    )


def normalise_precision(value, layer: str, allow_auto: bool = False) -> str:
    """``value`` as a canonical HLS type string (``ap_fixed<16,6>``); ``auto`` kept if ``allow_auto``."""
    if allow_auto and isinstance(value, str) and value.strip().lower() == "auto":
        return "auto"
    try:
        return str(parse_precision(value))
    except ValueError as e:
        raise InvalidSetting(f"layer {layer!r}: {e}") from None
