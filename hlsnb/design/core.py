"""The Design: per-layer HLS settings of a Keras model for one FPGA target, the single source of truth for hlsnb.

A :class:`Design` holds one frozen :class:`~hlsnb.design.spec.LayerSpec` per hls4ml layer and the target (board or
part, clock, io type, backend). Everything else in hlsnb (estimator, widgets, pruning, synthesis) reads it and
changes it only through :meth:`Design.set`, :meth:`~Design.set_all`, :meth:`~Design.set_target`,
:meth:`~Design.update_from` and :meth:`~Design.attach_weights`. Each validates every value first, the way hls4ml's
backend would *and refuses* where hls4ml would silently substitute another value, then replaces the state whole
(all or nothing) and tells the observers.
"""

from __future__ import annotations

import inspect
import json
import warnings as _warnings
from dataclasses import dataclass, replace
from typing import Any, Callable

import numpy as np

from .. import rules, vocab
from ..errors import InvalidSetting, UnrollLimitWarning
from ..layer_types import get_layer_type, weighted_layer_types
from ..precision import parse_precision
from ..targets import Part, get_board, get_part, normalise_part, resolve_target
from ..tcl import check_part_number
from . import hls4ml_config as _hls4ml
from . import html as _html
from . import serialise as _serialise
from .keras import layers_from_keras
from .spec import (
    DEFAULT_PRECISION,
    SETTINGS,
    LayerSpec,
    _finite_number,
    check_layer,
    check_reuse_factor,
    extra_json,
)

__all__ = ["Design", "BACKENDS", "IO_TYPES", "CLOCK_RANGE_NS"]

BACKENDS = vocab.BACKENDS
IO_TYPES = vocab.IO_TYPES
_SETTING_NAMES = tuple(s.name for s in SETTINGS)
_SETTING_KIND = {s.name: s.kind for s in SETTINGS}
# what a layer is (from the model), as opposed to how it is built: update_from and loads must not change it
_GEOMETRY = ("layer_type", "keras_class", "input_shape", "output_shape", "n_in", "n_out", "filters", "kernel_size",
             "strides", "padding", "pool_op", "n_weights", "n_bias", "inputs", "keras_layer", "activation")


@dataclass(frozen=True)
class _Target:
    """What the design is built for (replaced whole by ``set_target`` / ``update_from``)."""

    board: str | None
    part: Part
    part_number: str
    io_type: str
    clock_ns: float
    backend: str
    model_name: str
    default_precision: str
    tool_version: str = rules.DEFAULT_TOOL_VERSION["vivado_hls"]
    hls4ml_extra: str | None = None  # JSON: {"Model": ..., "HLSConfig": ..., "Project": ...} keys hlsnb does not model


class _TargetField:
    """A read-only attribute of the design's target (change it with ``Design.set_target``)."""

    def __init__(self, doc: str):
        self.__doc__ = doc

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, design, owner=None):
        return self if design is None else getattr(design._target, self.name)

    def __set__(self, design, value):
        raise AttributeError(
            f"Design.{self.name} is read-only: change the target with design.set_target(...) "
            "(or work on design.copy())"
        )


_check_io_type = rules.check_io_type
_check_backend = rules.check_backend


def _tool_version(backend: str, tool_version) -> str:
    """The HLS tool version for ``backend`` (its default when ``None``), checked: Vivado and VivadoAccelerator run
    Vivado HLS, whose last release is 2020.1."""
    return rules.check_tool_version(rules.TOOL_OF_BACKEND[backend], tool_version, f"backend {backend}")


#: The clock periods (ns) a design may ask for (shared with the estimator's check).
CLOCK_RANGE_NS = rules.CLOCK_RANGE_NS


def _design_extra(extra) -> str | None:
    """The design's carried hls4ml keys as canonical JSON (``None`` when there are none)."""
    if extra is None:
        return None
    if not isinstance(extra, dict) or set(extra) - {"Model", "HLSConfig", "Project"}:
        raise InvalidSetting(f"hls4ml_extra must be a dict with keys Model, HLSConfig, Project, got {extra!r:.80}")
    return extra_json({k: v for k, v in extra.items() if v})


def _check_clock(clock_ns) -> float:
    return _finite_number(clock_ns, "clock_ns (the clock period in ns)", *CLOCK_RANGE_NS)


def _check_text(value, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidSetting(f"{what} must be a non-empty string, got {value!r}")
    return value


def _resolve(board, part) -> tuple:
    """``resolve_target`` with the part number checked first (it reaches Tcl) and a board's part held to the board:
    a full part number given with a board must be the board's own (another package or speed grade is another
    chip); a bare device name of the board's device is the board's part."""
    if board is not None and not isinstance(board, str):
        raise InvalidSetting(f"board must be a board name such as 'pynq-z2' or None, got {board!r}")
    if part is not None:
        check_part_number(part, "part")
    b, p, part_number = resolve_target(board, part)
    if b is not None and part is not None and normalise_part(part_number) not in (normalise_part(b.part_number),
                                                                                  normalise_part(p.device)):
        raise InvalidSetting(f"board {b.name!r} carries part {b.part_number}, not {part!r} (same device, another "
                             "package or speed grade); give the board alone, or the part alone with board=None")
    if b is not None and part is not None:
        part_number = b.part_number
    return b, p, check_part_number(part_number, "part_number")


class Design:
    """Per-layer HLS settings of one Keras model for one FPGA target.

    Build it with :meth:`from_keras`, :meth:`from_hls4ml_config` or :func:`hlsnb.design.load`; change it with
    :meth:`set`. ``layers`` and the target attributes are read-only views.

    ``Design(layers, ...)`` checks everything before it exists (docs/errors.md, "Design"): at least one layer,
    unique names, each layer as :func:`hlsnb.design.spec.check_layer` checks it (sizes, zero counts, precisions,
    strategy and ReuseFactor), the part number (:func:`hlsnb.tcl.check_part_number`) and that it is the board's,
    a clock period in :data:`CLOCK_RANGE_NS`, the io type, backend and tool version. Errors are ``InvalidSetting``
    (``TypeError`` for a layer that is no ``LayerSpec``).
    """

    board = _TargetField("The board name (``pynq-z2``), or None when the design targets a bare part.")
    part = _TargetField("The FPGA part (:class:`hlsnb.boards.Part`): its resources and DSP type.")
    part_number = _TargetField("The full part number hls4ml is given (``xc7z020clg400-1``).")
    io_type = _TargetField("``io_parallel`` or ``io_stream``.")
    clock_ns = _TargetField("Target clock period in ns (the board's IP clock by default).")
    backend = _TargetField("hls4ml backend: ``Vivado``, ``Vitis`` or ``VivadoAccelerator``.")
    tool_version = _TargetField("Version of the HLS tool the backend drives (``2020.1``): Vivado HLS <= 2020.1 for "
                                "Vivado and VivadoAccelerator, Vitis HLS for Vitis.")
    model_name = _TargetField("The Keras model's name.")
    default_precision = _TargetField("The precision hls4ml's ``Model`` entry gets (every layer's starting point).")

    def __init__(
        self,
        layers: list[LayerSpec],
        *,
        board: str | None = "pynq-z2",
        part: str | None = None,
        io_type: str = "io_parallel",
        clock_ns: float | None = None,
        backend: str = "Vivado",
        model_name: str = "model",
        default_precision: str = DEFAULT_PRECISION,
        tool_version: str | None = None,
        hls4ml_extra: dict | None = None,
    ):
        b, p, part_number = _resolve(board, part)
        _check_io_type(io_type)
        _check_backend(backend)
        tool_version = _tool_version(backend, tool_version)
        if clock_ns is None:
            clock_ns = b.clock_ns if b is not None else 5.0
        clock_ns = _check_clock(clock_ns)
        _check_text(model_name, "model_name")
        try:
            default_precision = str(parse_precision(default_precision))
        except InvalidSetting as e:
            raise InvalidSetting(f"default_precision: {e}") from None
        if isinstance(layers, (str, bytes, dict)) or not hasattr(layers, "__iter__"):
            raise TypeError(f"layers must be a list of LayerSpec, got {type(layers).__name__}")
        layers = [check_layer(l, io_type) for l in layers]
        if not layers:
            raise InvalidSetting("a design needs at least one layer, got an empty layer list")
        names = [l.name for l in layers]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise InvalidSetting(f"layer names must be unique; repeated: {dup}")
        self._layers: list[LayerSpec] = layers
        self._index = {l.name: i for i, l in enumerate(self._layers)}
        self._target = _Target(
            board=b.name if b is not None else None, part=p, part_number=part_number, io_type=io_type,
            clock_ns=clock_ns, backend=backend, model_name=model_name, default_precision=default_precision,
            tool_version=tool_version, hls4ml_extra=_design_extra(hls4ml_extra),
        )
        self._observers: list[Callable[[str], None]] = []

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_keras(
        cls,
        model,
        board: str | None = "pynq-z2",
        io_type: str = "io_parallel",
        strategy: str = "Latency",
        reuse_factor: int = 1,
        precision: str = DEFAULT_PRECISION,
        clock_ns: float | None = None,
        *,
        part: str | None = None,
        backend: str = "Vivado",
        tool_version: str | None = None,
    ) -> Design:
        """Describe a Keras 3 model layer by layer, as hls4ml will build it.

        ``strategy`` and ``reuse_factor`` apply to every Dense/Conv layer and must be valid for each of them (hls4ml
        would silently replace an invalid ReuseFactor by the closest valid one; hlsnb raises instead). Every
        precision (weight, bias, accumulator, result) starts at ``precision``: explicit types, never hls4ml's
        ``auto``, whose 38-bit result before a softmax makes the softmax output a constant.
        """
        parse_precision(precision)
        strategy = rules.canonical_strategy(strategy, "(all layers)")
        if board is not None and part is not None:
            check_part_number(part, "part")
            b, p = get_board(board), get_part(part)
            named = normalise_part(resolve_target(None, part)[2])
            if p.device != b.part.device or named != normalise_part(b.part_number):
                board = None  # part= names another chip than the (default) board's: the part wins
        design = cls(
            layers_from_keras(model, precision),
            board=board,
            part=part,
            io_type=io_type,
            clock_ns=clock_ns,
            backend=backend,
            model_name=getattr(model, "name", "model") or "model",
            default_precision=precision,
            tool_version=tool_version,
        )
        if strategy != "Latency" or reuse_factor != 1:
            for l in design.layers:
                if l.is_mult_layer:
                    design.set(l.name, strategy=strategy, reuse_factor=reuse_factor)
        design._warn_unroll()
        return design

    @classmethod
    def from_hls4ml_config(
        cls,
        model,
        config: dict,
        board: str | None = _hls4ml.DefaultBoard("pynq-z2"),
        io_type: str | None = None,
        clock_ns: float | None = None,
        *,
        part: str | None = None,
        backend: str | None = None,
    ) -> Design:
        """Read an hls4ml config dict for ``model``: ``config_from_keras_model``'s (``Model`` / ``LayerType`` /
        ``LayerName`` granularity, any backend) or a whole project config with its ``HLSConfig``.

        Values hls4ml would silently change (unknown strategies, invalid ReuseFactors) raise ``InvalidSetting`` (a
        ``ValueError``) here, as do keys hls4ml does not read and ``LayerName`` / ``LayerType`` entries that are no
        layer of ``model`` (each named, with the valid ones). Keys hlsnb does not model are carried verbatim and
        written back by :meth:`to_hls4ml_config` (see :func:`hlsnb.design.hls4ml_config.from_hls4ml_config`).
        A project config's ``Part``, ``ClockPeriod``, ``IOType`` and ``Backend`` are the target unless given here
        (defaults otherwise: the PYNQ-Z2, io_parallel, the board's clock, Vivado). Precisions given as ``auto`` are
        kept as ``auto`` and flagged by :meth:`warnings` where they are known to break the design.
        """
        return _hls4ml.from_hls4ml_config(cls, model, config, board=board, io_type=io_type, clock_ns=clock_ns,
                                          part=part, backend=backend)

    @classmethod
    def from_json(cls, text_or_path, model=None) -> Design:
        """Read :meth:`to_json` output (JSON text, a dict or a file path); see :func:`hlsnb.design.load`."""
        return _serialise.load(text_or_path, model=model)

    def _set_hls4ml_extra(self, layers: dict, design: dict, keep: bool = False) -> None:
        """Carry hls4ml config keys hlsnb does not model: ``layers`` ``{name: keys}`` and the design's ``{"Model",
        "HLSConfig", "Project"}``; ``keep``: merge into what the design carries (a config loaded onto a design)."""
        if keep:
            old = self.hls4ml_extra
            design = {k: {**old.get(k, {}), **design.get(k, {})} for k in ("Model", "HLSConfig", "Project")}
        # checked before anything is kept: a key hls4ml would silently replace (an invalid ParallelizationFactor)
        # raises naming the layer (check_layer)
        new = [check_layer(replace(l, hls4ml_extra=extra_json(layers[l.name])), self.io_type) if l.name in layers
               else l for l in self._layers]
        self._layers = new
        self._target = replace(self._target, hls4ml_extra=_design_extra(design))

    # ------------------------------------------------------------------ access
    @property
    def hls4ml_extra(self) -> dict:
        """hls4ml config keys of the whole design hlsnb does not model, carried from the config it was read from:
        ``{"Model": {...}, "HLSConfig": {"Flows": ...}, "Project": {"ClockUncertainty": ...}}`` (each may be empty).
        Per layer: :attr:`LayerSpec.extra`."""
        return json.loads(self._target.hls4ml_extra) if self._target.hls4ml_extra else {}

    @property
    def layers(self) -> list[LayerSpec]:
        """The layers in hls4ml's order (a new list of frozen specs; change settings with :meth:`set`)."""
        return list(self._layers)

    def layer(self, name: str) -> LayerSpec:
        """The layer called ``name``; ``KeyError`` lists the names there are."""
        if not isinstance(name, str):
            raise TypeError(f"a layer is named by a string, got {type(name).__name__} {name!r}")
        try:
            return self._layers[self._index[name]]
        except KeyError:
            raise KeyError(f"no layer {name!r} in the design; layers: {', '.join(self._index)}") from None

    def __iter__(self):
        return iter(list(self._layers))

    def __len__(self) -> int:
        return len(self._layers)

    @property
    def tool(self) -> str:
        """The HLS tool the backend drives: ``vivado_hls`` (Vivado, VivadoAccelerator) or ``vitis_hls``."""
        return rules.TOOL_OF_BACKEND[self.backend]

    @property
    def input_precision(self) -> str:
        """The precision of the model's input (the Input layer's result; the default without one)."""
        first = self._layers[0] if self._layers else None
        return first.result_precision if first is not None and first.layer_type == "Input" else self.default_precision

    def strategies(self, layer: str) -> tuple[str, ...]:
        """Strategies hls4ml really builds for this layer (with this io_type)."""
        return rules.strategies_for(self.layer(layer).layer_type, self.io_type)

    def valid_reuse_factors(self, layer: str, strategy: str | None = None) -> tuple[int, ...]:
        """The ReuseFactors to offer for ``layer`` under ``strategy`` (default: the layer's own).

        Resource-type strategies: exactly those hls4ml keeps as given (:func:`hlsnb.rules.template_reuse_factors`).
        Latency: hls4ml builds any positive ReuseFactor; offered are those that divide the work evenly, plus the
        layer's own when it is another (see :meth:`warnings` for what such a value costs). A layer whose kernel
        reads a ReuseFactor without a matrix rule (the io_stream softmax, :func:`hlsnb.rules.takes_reuse_factor`):
        the distinct ones, the divisors of the values per stream word (:func:`hlsnb.rules.kernel_reuse_factors`),
        plus its own; other layers without multipliers: ``(1,)``."""
        l = self.layer(layer)
        if not l.is_mult_layer:
            if not rules.takes_reuse_factor(l.layer_type, self.io_type):
                return (1,)
            n = rules.stream_word_values(l.output_shape, l.n_out or l.n_in)
            return tuple(sorted({*rules.kernel_reuse_factors(n), l.reuse_factor}))
        s = rules.canonical_strategy(strategy or l.strategy, layer)
        valid = rules.template_reuse_factors(l.layer_type, l.n_in, l.n_out, s, self.io_type)
        if s == "Latency" and s == l.strategy and l.reuse_factor not in valid:
            valid = tuple(sorted((*valid, l.reuse_factor)))  # hls4ml builds any Latency RF: offer the layer's own
        return valid

    # ------------------------------------------------------------------ observers
    def observe(self, callback: Callable[[str], None]) -> Callable[[], None]:
        """Call ``callback(layer_name)`` after every successful change; returns a function that unsubscribes.

        Design-wide changes (:meth:`set_all`, :meth:`set_target`, :meth:`update_from`, :meth:`attach_weights`) call
        it once with ``"*"``.
        """
        self._observers.append(callback)

        def unobserve():
            if callback in self._observers:
                self._observers.remove(callback)

        return unobserve

    def _notify(self, name: str) -> None:
        for cb in list(self._observers):
            cb(name)

    # ------------------------------------------------------------------ change
    def set(self, layer: str, *, precision: str | None = None, notify: bool = True, **settings) -> LayerSpec:
        """Change one layer's settings (the keywords are :data:`hlsnb.design.SETTINGS`' names). All or nothing.

        ``strategy``, ``reuse_factor``, ``weight_precision``, ``bias_precision``, ``accum_precision``,
        ``result_precision``: ``None`` leaves a setting as it is. ``precision`` sets all of the layer's precisions
        at once. Raises ``InvalidSetting`` (a ``ValueError``) naming the layer, the value and what would be valid
        (hls4ml itself would silently use Latency for an unknown strategy and the closest valid ReuseFactor for an
        invalid one); ``KeyError`` for an unknown layer. Returns the new layer spec.
        """
        new = self._validated(self.layer(layer), precision, settings)
        self._layers[self._index[layer]] = new
        if notify:
            self._notify(layer)
        return new

    def _validated(self, spec: LayerSpec, precision: str | None, settings: dict) -> LayerSpec:
        """``spec`` with ``settings`` applied, every value checked (raises, changes nothing, on the first bad one)."""
        unknown = sorted(set(settings) - set(_SETTING_NAMES))
        if unknown:
            raise TypeError(f"Design.set() got unknown settings {unknown}; settings: {', '.join(_SETTING_NAMES)}")
        given = {k: v for k, v in settings.items() if v is not None}
        if precision is not None:
            for s in SETTINGS:
                if s.kind == "precision" and s.name not in given and s.applies(spec):
                    given[s.name] = precision
        changes = {s.name: s.check(given[s.name], spec, self.io_type) for s in SETTINGS if s.name in given}
        new = replace(spec, **changes)
        if any(_SETTING_KIND[n] in ("strategy", "reuse_factor") for n in changes):
            check_reuse_factor(new, self.io_type, self.backend)
        return new

    def valid_parallelization_factors(self, layer: str) -> tuple[int, ...]:
        """The ParallelizationFactors hls4ml 1.3 builds for convolution ``layer``: the divisors of its output pixels
        (the width of a 1-D one) up to half of them, and all of them. ``InvalidSetting`` for a layer that is not a
        convolution; ``KeyError`` for an unknown layer."""
        spec = self.layer(layer)
        if not rules.takes_parallelization_factor(spec.layer_type) or not spec.output_shape:
            raise InvalidSetting(f"layer {layer!r} ({spec.layer_type}): a ParallelizationFactor is set on "
                                 "convolutions (Conv1D/Conv2D and their depthwise/separable kinds)")
        return rules.valid_parallelization_factors(rules.conv_pixels(spec.output_shape))

    def set_parallelization(self, layer: str, factor: int, notify: bool = True) -> LayerSpec:
        """Set convolution ``layer``'s ParallelizationFactor: the output pixels hls4ml's io_parallel convolution
        computes at once (io_stream ignores it). Kept among the layer's hls4ml keys (:attr:`LayerSpec.extra`),
        written to hls4ml's config and estimated (pixel copies, fewer im2col selects, latency). A value hls4ml would
        silently replace raises ``InvalidSetting`` naming what it would use and the valid ones nearby; nothing
        changes then."""
        self.valid_parallelization_factors(layer)  # a convolution, else InvalidSetting
        spec = self.layer(layer)
        pf = rules.as_reuse_factor(factor, layer, "ParallelizationFactor")  # an integer; check_layer checks the rest
        new = check_layer(replace(spec, hls4ml_extra=extra_json({**spec.extra, "ParallelizationFactor": pf})),
                          self.io_type)
        self._layers[self._index[layer]] = new
        if notify:
            self._notify(layer)
        return new

    def set_all(
        self, *, strategy: str | None = None, reuse_factor: int | None = None, precision: str | None = None,
        closest: bool = False,
    ) -> dict[str, int]:
        """Apply settings to every Dense/Conv layer (precision to every layer). All or nothing.

        An invalid ReuseFactor for any layer raises ``InvalidSetting`` listing each such layer and its valid values,
        unless ``closest=True``: then each such layer gets the closest valid value and the substitutions are
        returned as ``{layer: used_rf}`` (never silently: the caller shows them).
        """
        if reuse_factor is not None:
            reuse_factor = rules.as_reuse_factor(reuse_factor, None, "set_all: reuse_factor")
        if strategy is not None:
            rules.canonical_strategy(strategy, "(all layers)")
        new_layers = []
        substituted: dict[str, int] = {}
        problems = []
        for l in self._layers:
            kw: dict[str, Any] = {}
            if l.is_mult_layer:
                asked = reuse_factor if reuse_factor is not None else l.reuse_factor
                try:
                    kw["strategy"], kw["reuse_factor"] = rules.check_setting(
                        l.name, l.layer_type, strategy if strategy is not None else l.strategy, asked, l.n_in,
                        l.n_out, self.io_type, self.backend, closest=closest)
                except InvalidSetting as e:
                    problems.append(str(e))
                    continue
                if kw["reuse_factor"] != asked:
                    substituted[l.name] = kw["reuse_factor"]
            new_layers.append(self._validated(l, precision, kw))
        if problems:
            raise InvalidSetting("cannot apply to all layers:\n  " + "\n  ".join(problems))
        self._layers = new_layers
        self._notify("*")
        return substituted

    def set_target(
        self, *, board: str | None = None, part: str | None = None, io_type: str | None = None,
        clock_ns: float | None = None, backend: str | None = None, tool_version: str | None = None,
    ) -> None:
        """Change the target. Strategies no longer built for a new io_type raise (nothing changes).

        A new board brings its IP clock unless ``clock_ns`` is given. A new backend brings its tool's default
        version (Vivado HLS 2020.1, Vitis HLS 2023.2) unless ``tool_version`` is given; a Vivado HLS version after
        2020.1 raises ``InvalidSetting`` (there is none: the Vitis backend drives Vitis HLS).
        """
        t = self._target
        board_changed = (board or part) is not None
        if board_changed:
            b, p, pn = _resolve(board, part)
            new_board = b.name if b is not None else None
        else:
            b, p, pn, new_board = None, t.part, t.part_number, t.board
        io = io_type or t.io_type
        _check_io_type(io)
        if backend is not None:
            _check_backend(backend)
        new_backend = backend or t.backend
        if tool_version is None and rules.TOOL_OF_BACKEND[new_backend] == rules.TOOL_OF_BACKEND[t.backend]:
            tool_version = t.tool_version
        tool_version = _tool_version(new_backend, tool_version)
        if clock_ns is not None:
            clock_ns = _check_clock(clock_ns)
        for l in self._layers:
            allowed = rules.strategies_for(l.layer_type, io)
            if l.strategy not in allowed:
                raise InvalidSetting(
                    f"layer {l.name!r}: strategy {l.strategy} is not built for {l.layer_type} with {io}; "
                    f"change it first (valid: {', '.join(allowed)})"
                )
            if (l.is_mult_layer or l.reuse_factor != 1) and io != t.io_type:
                # io_parallel convolutions build fewer Resource ReuseFactors; an io_parallel softmax only 1
                check_reuse_factor(l, io, new_backend)
        if clock_ns is None:
            clock_ns = b.clock_ns if (board_changed and b is not None) else t.clock_ns
        self._target = replace(t, board=new_board, part=p, part_number=pn, io_type=io, clock_ns=float(clock_ns),
                               backend=new_backend, tool_version=tool_version)
        self._notify("*")

    def update_from(self, other: Design) -> list[str]:
        """Take ``other``'s target and per-layer settings (same layers); all or nothing; observers hear one "*".

        ``other`` is validated as a whole first (as :func:`hlsnb.design.load` would); this design keeps its own
        weights and model name. Returns the names of the layers whose settings changed.
        """
        if not isinstance(other, Design):
            raise TypeError(f"update_from needs a Design, got {type(other).__name__}")
        mine = [(l.name, l.layer_type, l.n_in, l.n_out) for l in self._layers]
        theirs = [(l.name, l.layer_type, l.n_in, l.n_out) for l in other.layers]
        if mine != theirs:
            raise InvalidSetting("update_from needs a design of the same layers (names, types and sizes); "
                                 f"differences: {sorted(set(mine) ^ set(theirs), key=str)}")
        for a, b in zip(self._layers, other.layers):
            for k in _GEOMETRY:
                if getattr(a, k) != getattr(b, k):
                    raise InvalidSetting(f"update_from needs a design of the same layers: layer {a.name!r} has "
                                         f"{k}={getattr(a, k)!r} here and {getattr(b, k)!r} in the other design")
        trial = _serialise.load(_serialise.to_dict(other))
        changed = [a.name for a, b in zip(self._layers, trial._layers)
                   if any(getattr(a, k) != getattr(b, k) for k in _SETTING_NAMES)]
        # only the settings come over: geometry, weights and zero counts stay this design's own
        self._layers = [replace(m, **{k: getattr(t, k) for k in (*_SETTING_NAMES, "hls4ml_extra")})
                        for t, m in zip(trial._layers, self._layers)]
        self._target = replace(trial._target, model_name=self._target.model_name)
        self._notify("*")
        return changed

    def attach_weights(self, model) -> None:
        """Take kernel arrays and zero counts from ``model`` (after pruning, say); geometry must match.

        All or nothing: a missing layer or a kernel of another size raises ``InvalidSetting`` and changes nothing.
        """
        by_name = {kl.name: kl for kl in model.layers}
        weighted = weighted_layer_types()
        new_layers = []
        for l in self._layers:
            if l.layer_type in weighted:
                kl = by_name.get(l.keras_name)  # a layer called twice: both nodes take its kernel
                if kl is None:
                    raise InvalidSetting(f"design layer {l.name!r} is not in the Keras model")
                w = np.asarray(kl.get_weights()[0])
                if w.size != l.n_weights:
                    raise InvalidSetting(
                        f"layer {l.name!r}: the model's kernel has {w.size} weights, the design expects {l.n_weights}"
                    )
                l = replace(l, weights=w, n_zeros=int(np.count_nonzero(w == 0)))
            new_layers.append(l)
        self._layers = new_layers
        self._notify("*")

    def copy(self) -> Design:
        """An independent copy (no observers). The frozen layer specs are shared: nothing can change them."""
        new = object.__new__(type(self))
        new._layers = list(self._layers)
        new._index = dict(self._index)
        new._target = self._target
        new._observers = []
        return new

    # ------------------------------------------------------------------ checks
    def warnings(self) -> list[str]:
        """Human-readable problems hls4ml or Vivado HLS would hit with these settings, with what would fix them."""
        out = []
        limit = rules.UNROLL_LIMIT
        for i, l in enumerate(self._layers):
            note = rules.latency_note(l.name, l.n_in, l.n_out, l.reuse_factor) \
                if l.is_mult_layer and l.strategy == "Latency" else None
            if not l.is_mult_layer and l.reuse_factor != 1:  # a kernel-level ReuseFactor (the io_stream softmax)
                note = rules.kernel_reuse_note(l.name, l.layer_type, rules.stream_word_values(
                    l.output_shape, l.n_out or l.n_in), l.reuse_factor)
                impl = str(l.extra.get("Implementation", "stable")).lower()
                if l.layer_type == "Softmax" and impl not in rules.SOFTMAX_REUSE_IMPLEMENTATIONS:
                    note = (f"layer {l.name!r}: ReuseFactor {l.reuse_factor} has no effect: hls4ml's {impl} softmax "
                            f"ignores it (only {' and '.join(rules.SOFTMAX_REUSE_IMPLEMENTATIONS)} read it)")
            if note:
                out.append(note)
            carried = {k: v for k, v in l.extra.items() if k in ("Strategy", "ReuseFactor")} if l.hls4ml_extra else {}
            if carried:  # an hls4ml config gave a setting this layer type has no choice of in hlsnb
                what = ", ".join(f"{k} {v}" for k, v in carried.items())
                out.append(f"layer {l.name!r}: {what} from the hls4ml config is passed to hls4ml unchanged; hlsnb "
                           f"has no such setting for {l.layer_type} layers and estimates it without (hls4ml ignores it "
                           "on activations; a few kernels, such as io_parallel pooling and io_stream merges, "
                           "pipeline at II = ReuseFactor)")
            if l.is_mult_layer and l.strategy == "Latency":
                # an io_parallel convolution computes ParallelizationFactor pixels' products at once
                pf = (l.parallelization_factor or 1) if self.io_type == "io_parallel" else 1
                unrolled = pf * l.n_mult // l.reuse_factor
                if unrolled > limit:
                    valid = [rf for rf in rules.valid_reuse_factors(l.n_in, l.n_out, "Latency")
                             if pf * l.n_mult // rf <= limit]
                    fix = f"ReuseFactor >= {valid[0]}" if valid else "a smaller layer"
                    if pf > 1:
                        fix += " or a smaller ParallelizationFactor"
                    per = f" x ParallelizationFactor {pf}" if pf > 1 else ""
                    out.append(
                        f"layer {l.name!r}: Latency strategy unrolls {unrolled} multiplications "
                        f"(n_in*n_out/RF = {l.n_in}*{l.n_out}/{l.reuse_factor}{per}), over Vivado HLS's unroll limit "
                        f"of about {limit} (hls4ml #1013): use {fix}, or the Resource strategy"
                    )
            if l.layer_type == "Softmax" and i > 0:
                prev = self._layers[i - 1]
                if prev.result_precision == "auto":
                    out.append(
                        f"layer {prev.name!r}: result precision 'auto' feeds the softmax {l.name!r}; hls4ml infers a "
                        "wide type (e.g. fixed<38,18>) and the stable softmax then outputs a constant: "
                        f"set {prev.name!r} result precision to e.g. {DEFAULT_PRECISION}"
                    )
            lt = get_layer_type(l.layer_type)
            if lt is not None and lt.family == "conv" and self.io_type == "io_parallel" and l.output_size > limit:
                # io_parallel unrolls over every output position: past the unroll limit hls4ml points at io_stream
                out.append(
                    f"layer {l.name!r}: io_parallel convolution with {l.output_size} outputs; hls4ml "
                    "recommends io_stream for CNNs of this size"
                )
        return out

    def _warn_unroll(self) -> None:
        for w in self.warnings():
            if "unroll limit" in w:
                _warnings.warn(w, UnrollLimitWarning, stacklevel=3)

    # ------------------------------------------------------------------ hls4ml
    def to_hls4ml_config(self) -> dict:
        """The ``hls_config`` dict for ``hls4ml.converters.convert_from_keras_model``, with every layer explicit."""
        return _hls4ml.to_hls4ml_config(self)

    def hls4ml_kwargs(self, output_dir: str = "hlsnb_prj", project_name: str = "myproject") -> dict:
        """Keyword arguments for ``hls4ml.converters.convert_from_keras_model(model, **kwargs)``."""
        return _hls4ml.hls4ml_kwargs(self, output_dir, project_name)

    def convert(self, model, output_dir: str = "hlsnb_prj", project_name: str = "myproject"):
        """Convert ``model`` with hls4ml using exactly these settings; returns the hls4ml ModelGraph."""
        return _hls4ml.convert(self, model, output_dir, project_name)

    def check_model(self, model) -> None:
        """Raise ``InvalidSetting`` if a weighted layer of this design is not in ``model``."""
        _hls4ml.check_model(self, model)

    # ------------------------------------------------------------------ serialisation and display
    def to_dict(self) -> dict:
        """The design as JSON-ready plain data (weights excluded)."""
        return _serialise.to_dict(self)

    def to_json(self, path=None, indent: int = 1) -> str:
        """The design as JSON (weights excluded; re-attach them with ``load(text, model=...)``), also to ``path``."""
        return _serialise.to_json(self, path, indent)

    def __eq__(self, other) -> bool:
        return isinstance(other, Design) and self.to_dict() == other.to_dict()

    def summary(self) -> list[dict]:
        """One row per layer: name, type, shape, weights, zeros, then each setting of the schema."""
        return _html.summary_rows(self)

    def __repr__(self) -> str:
        target = self.board or self.part_number
        return f"<Design {self.model_name!r}: {len(self._layers)} layers, {target}, {self.io_type}, {self.clock_ns} ns>"

    def _repr_html_(self) -> str:
        return _html.design_html(self)


def _set_signature() -> inspect.Signature:
    """``Design.set``'s signature spelled out from the schema, so ``help()`` and tab completion list the settings."""
    P = inspect.Parameter
    params = [P("self", P.POSITIONAL_OR_KEYWORD), P("layer", P.POSITIONAL_OR_KEYWORD, annotation=str)]
    params += [P(n, P.KEYWORD_ONLY, default=None) for n in ("precision", *_SETTING_NAMES)]
    params.append(P("notify", P.KEYWORD_ONLY, default=True, annotation=bool))
    return inspect.Signature(params, return_annotation=LayerSpec)


Design.set.__signature__ = _set_signature()
