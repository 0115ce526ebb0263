"""The Design: per-layer HLS settings of a Keras model, the single source of truth for hlsnb.

A :class:`Design` holds one :class:`LayerSpec` per hls4ml layer (hls4ml's names and order, so ``fc1`` and the
activation hls4ml splits off it, ``fc1_relu``, are separate entries), the target (board or part, clock, io type,
backend) and, per layer, Strategy, ReuseFactor and precisions. Everything else in hlsnb (estimator, widgets,
pruning, synthesis) reads it and changes it only through :meth:`Design.set`, which validates every value the way
hls4ml's backend would *and refuses* where hls4ml would silently substitute another value.
"""

from __future__ import annotations

import copy as _copy
import json
import math
import warnings as _warnings
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Callable

import numpy as np

from . import rules
from .boards import Part, get_board, resolve_target
from .precision import FixedType, parse_precision

__all__ = ["Design", "LayerSpec", "UnrollLimitWarning", "DEFAULT_PRECISION", "BACKENDS", "IO_TYPES"]

DEFAULT_PRECISION = "ap_fixed<16,6>"
BACKENDS = ("Vivado", "Vitis", "VivadoAccelerator")
IO_TYPES = ("io_parallel", "io_stream")
_JSON_VERSION = 1


class UnrollLimitWarning(UserWarning):
    """A Latency layer unrolls more multiplications than Vivado HLS will (about 4096)."""


# hls4ml class name -> hlsnb layer_type
_TYPE_MAP = {
    "InputLayer": "Input",
    "Input": "Input",
    "Dense": "Dense",
    "QDense": "Dense",
    "Conv1D": "Conv1D",
    "Conv2D": "Conv2D",
    "Activation": "Activation",
    "ReLU": "Activation",
    "Softmax": "Softmax",
    "LeakyReLU": "LeakyReLU",
    "ELU": "LeakyReLU",
    "PReLU": "LeakyReLU",
    "ThresholdedReLU": "LeakyReLU",
    "BatchNormalization": "BatchNormalization",
    "MaxPooling1D": "Pooling1D",
    "AveragePooling1D": "Pooling1D",
    "MaxPooling2D": "Pooling2D",
    "AveragePooling2D": "Pooling2D",
    "GlobalMaxPooling1D": "GlobalPooling1D",
    "GlobalAveragePooling1D": "GlobalPooling1D",
    "GlobalMaxPooling2D": "GlobalPooling2D",
    "GlobalAveragePooling2D": "GlobalPooling2D",
    "ZeroPadding1D": "ZeroPadding1D",
    "ZeroPadding2D": "ZeroPadding2D",
    "Reshape": "Reshape",
    "Flatten": "Reshape",
    "Add": "Merge",
    "Subtract": "Merge",
    "Multiply": "Merge",
    "Average": "Merge",
    "Maximum": "Merge",
    "Minimum": "Merge",
    "Concatenate": "Merge",
}
_WEIGHTED = ("Dense", "Conv1D", "Conv2D")


@dataclass
class LayerSpec:
    """One hls4ml layer and its HLS settings. See docs/INTERFACES.md for the fields."""

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
    strategy: str = "Latency"
    reuse_factor: int = 1
    weight_precision: str | None = None
    bias_precision: str | None = None
    accum_precision: str | None = None
    result_precision: str = DEFAULT_PRECISION
    inputs: tuple = ()
    weights: Any = field(default=None, repr=False, compare=False)

    @property
    def is_mult_layer(self) -> bool:
        """True for layers whose Strategy and ReuseFactor decide their multipliers (Dense, Conv1D, Conv2D)."""
        return self.layer_type in rules.MULT_LAYER_TYPES

    @property
    def mult_size(self) -> tuple[int, int]:
        """hls4ml's ``get_layer_mult_size``: (n_in, n_out) of the matrix the ReuseFactor divides."""
        if not self.is_mult_layer:
            raise ValueError(f"layer {self.name!r} ({self.layer_type}) has no multipliers")
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
        return int(np.prod(self.output_shape)) if self.output_shape else 0

    def precision(self, kind: str) -> str | None:
        """The configured precision string of ``kind`` ("weight", "bias", "accum", "result")."""
        return getattr(self, f"{kind}_precision")

    def to_dict(self) -> dict:
        d = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "weights"}
        for k in ("input_shape", "output_shape", "kernel_size", "strides", "inputs"):
            if d[k] is not None:
                d[k] = list(d[k])
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "LayerSpec":
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"layer {d.get('name')!r}: unknown fields {sorted(unknown)}")
        d = dict(d)
        for k in ("input_shape", "output_shape", "kernel_size", "strides", "inputs"):
            if d.get(k) is not None:
                d[k] = tuple(d[k])
        return cls(**d)


def _as_tuple(x) -> tuple:
    return tuple(int(v) for v in x) if x is not None else ()


class Design:
    """Per-layer HLS settings of one Keras model for one FPGA target.

    Build it with :meth:`from_keras`, :meth:`from_hls4ml_config` or :meth:`from_json`; change it with :meth:`set`.
    """

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
    ):
        b, p, part_number = resolve_target(board, part)
        if io_type not in IO_TYPES:
            raise ValueError(f"io_type {io_type!r} is not valid; valid: {', '.join(IO_TYPES)}")
        if backend not in BACKENDS:
            raise ValueError(f"backend {backend!r} is not valid; valid: {', '.join(BACKENDS)}")
        if clock_ns is None:
            clock_ns = b.clock_ns if b is not None else 5.0
        if not (isinstance(clock_ns, (int, float)) and clock_ns > 0):
            raise ValueError(f"clock_ns must be a positive number of nanoseconds, got {clock_ns!r}")
        parse_precision(default_precision)
        names = [l.name for l in layers]
        if len(set(names)) != len(names):
            raise ValueError(f"layer names must be unique, got {names}")
        self._layers = list(layers)
        self._index = {l.name: i for i, l in enumerate(self._layers)}
        self.board: str | None = b.name if b is not None else None
        self.part: Part = p
        self.part_number: str = part_number
        self.io_type = io_type
        self.clock_ns = float(clock_ns)
        self.backend = backend
        self.model_name = model_name
        self.default_precision = default_precision
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
    ) -> "Design":
        """Describe a Keras 3 model layer by layer, as hls4ml will build it.

        ``strategy`` and ``reuse_factor`` apply to every Dense/Conv layer and must be valid for each of them (hls4ml
        would silently replace an invalid ReuseFactor by the closest valid one; hlsnb raises instead). Every
        precision (weight, bias, accumulator, result) starts at ``precision``: explicit types, never hls4ml's
        ``auto``, whose 38-bit result before a softmax makes the softmax output a constant.
        """
        parse_precision(precision)
        strategy = rules.canonical_strategy(strategy, "(all layers)")
        if board is not None and part is not None and get_board(board).part.device != resolve_target(None, part)[1].device:
            board = None  # part= names another device than the (default) board: the part wins
        layers = _layers_from_keras(model, precision)
        design = cls(
            layers,
            board=board,
            part=part,
            io_type=io_type,
            clock_ns=clock_ns,
            backend=backend,
            model_name=getattr(model, "name", "model") or "model",
            default_precision=precision,
        )
        if strategy != "Latency" or reuse_factor != 1:
            for l in design.layers:
                if l.is_mult_layer:
                    s = strategy
                    if s not in design.strategies(l.name):
                        raise ValueError(
                            f"layer {l.name!r} ({l.layer_type}, {io_type}): strategy {strategy!r} is not built by "
                            f"hls4ml here; valid: {', '.join(design.strategies(l.name))}"
                        )
                    design.set(l.name, strategy=s, reuse_factor=reuse_factor)
        design._warn_unroll()
        return design

    @classmethod
    def from_hls4ml_config(
        cls,
        model,
        config: dict,
        board: str | None = "pynq-z2",
        io_type: str = "io_parallel",
        clock_ns: float | None = None,
        *,
        part: str | None = None,
        backend: str = "Vivado",
    ) -> "Design":
        """Read an hls4ml config dict (``Model`` / ``LayerType`` / ``LayerName`` granularity) for ``model``.

        Values hls4ml would silently change (unknown strategies, invalid ReuseFactors) raise ``ValueError`` here.
        Precisions given as ``auto`` are kept as ``auto`` and flagged by :meth:`warnings` where they are known to
        break the design.
        """
        if not isinstance(config, dict):
            raise ValueError(f"config must be an hls4ml config dict, got {type(config).__name__}")
        mcfg = config.get("Model", {}) or {}
        mprec = mcfg.get("Precision", DEFAULT_PRECISION)
        default_prec = mprec.get("default", DEFAULT_PRECISION) if isinstance(mprec, dict) else mprec
        default_prec = _normalise_precision(default_prec, "Model")
        design = cls.from_keras(
            model, board=board, io_type=io_type, clock_ns=clock_ns, part=part, backend=backend,
            precision=default_prec,
        )
        m_strategy = mcfg.get("Strategy", "Latency")
        m_rf = int(mcfg.get("ReuseFactor", 1))
        for l in design.layers:
            lt = (config.get("LayerType", {}) or {}).get(l.keras_class, {}) or {}
            ln = (config.get("LayerName", {}) or {}).get(l.name, {}) or {}
            merged = {**lt, **ln}
            kw: dict[str, Any] = {}
            if l.is_mult_layer:
                kw["strategy"] = merged.get("Strategy", m_strategy)
                kw["reuse_factor"] = int(merged.get("ReuseFactor", m_rf))
            prec = merged.get("Precision")
            if isinstance(prec, str):
                kw["precision"] = _normalise_precision(prec, l.name, allow_auto=True)
            elif isinstance(prec, dict):
                for kind in ("weight", "bias", "accum", "result"):
                    if kind in prec and (kind == "result" or getattr(l, f"{kind}_precision") is not None):
                        kw[f"{kind}_precision"] = _normalise_precision(prec[kind], l.name, allow_auto=True)
            if kw:
                design.set(l.name, **kw)
        return design

    # ------------------------------------------------------------------ access
    @property
    def layers(self) -> list[LayerSpec]:
        """The layers in hls4ml's order (a copy of the list; change settings with :meth:`set`)."""
        return list(self._layers)

    def layer(self, name: str) -> LayerSpec:
        """The layer called ``name``; ``KeyError`` lists the names there are."""
        try:
            return self._layers[self._index[name]]
        except KeyError:
            raise KeyError(f"no layer {name!r} in the design; layers: {', '.join(self._index)}") from None

    def __iter__(self):
        return iter(self._layers)

    def __len__(self) -> int:
        return len(self._layers)

    @property
    def tool(self) -> str:
        """The HLS tool the backend drives: ``vivado_hls`` (Vivado, VivadoAccelerator) or ``vitis_hls``."""
        return "vitis_hls" if self.backend == "Vitis" else "vivado_hls"

    @property
    def input_precision(self) -> str:
        first = self._layers[0] if self._layers else None
        return first.result_precision if first is not None and first.layer_type == "Input" else self.default_precision

    def strategies(self, layer: str) -> tuple[str, ...]:
        """Strategies hls4ml really builds for this layer (with this io_type)."""
        return rules.strategies_for(self.layer(layer).layer_type, self.io_type)

    def valid_reuse_factors(self, layer: str, strategy: str | None = None) -> tuple[int, ...]:
        """ReuseFactors hls4ml keeps as given for ``layer`` under ``strategy`` (default: the layer's own)."""
        l = self.layer(layer)
        if not l.is_mult_layer:
            return (1,)
        s = rules.canonical_strategy(strategy or l.strategy, layer)
        return rules.valid_reuse_factors(l.n_in, l.n_out, s)

    # ------------------------------------------------------------------ change
    def observe(self, callback: Callable[[str], None]) -> Callable[[], None]:
        """Call ``callback(layer_name)`` after every successful change; returns a function that unsubscribes.

        Target-wide changes (:meth:`set_target`) call it with ``"*"``.
        """
        self._observers.append(callback)

        def unobserve():
            if callback in self._observers:
                self._observers.remove(callback)

        return unobserve

    def _notify(self, name: str) -> None:
        for cb in list(self._observers):
            cb(name)

    def set(
        self,
        layer: str,
        *,
        strategy: str | None = None,
        reuse_factor: int | None = None,
        precision: str | None = None,
        weight_precision: str | None = None,
        bias_precision: str | None = None,
        accum_precision: str | None = None,
        result_precision: str | None = None,
        notify: bool = True,
    ) -> LayerSpec:
        """Change one layer's settings. Nothing changes unless every value is valid.

        ``precision`` sets all of the layer's precisions at once. Raises ``ValueError`` naming the layer, the value
        and what would be valid (hls4ml itself would silently use Latency for an unknown strategy and the closest
        valid ReuseFactor for an invalid one).
        """
        l = self.layer(layer)
        new = _copy.copy(l)
        if strategy is not None:
            s = rules.canonical_strategy(strategy, layer)
            allowed = self.strategies(layer)
            if s not in allowed:
                raise ValueError(
                    f"layer {layer!r} ({l.layer_type}, {self.io_type}): strategy {s!r} is not built by hls4ml here; "
                    f"valid: {', '.join(allowed)}"
                )
            new.strategy = s
        if reuse_factor is not None:
            if isinstance(reuse_factor, bool) or not isinstance(reuse_factor, (int, np.integer)) or reuse_factor < 1:
                raise ValueError(f"layer {layer!r}: ReuseFactor must be a positive integer, got {reuse_factor!r}")
            new.reuse_factor = int(reuse_factor)
        if new.is_mult_layer and (strategy is not None or reuse_factor is not None):
            valid = rules.valid_reuse_factors(new.n_in, new.n_out, new.strategy)
            if new.reuse_factor not in valid:
                raise ValueError(_bad_rf_message(new, valid))
        elif not new.is_mult_layer and reuse_factor is not None and reuse_factor != 1:
            raise ValueError(
                f"layer {layer!r} ({l.layer_type}) has no multipliers; its ReuseFactor is fixed at 1 "
                "(set it on Dense/Conv layers)"
            )
        kinds = {"weight": weight_precision, "bias": bias_precision, "accum": accum_precision, "result": result_precision}
        if precision is not None:
            for k in kinds:
                if kinds[k] is None and (k == "result" or getattr(l, f"{k}_precision") is not None):
                    kinds[k] = precision
        for kind, value in kinds.items():
            if value is None:
                continue
            if kind != "result" and getattr(l, f"{kind}_precision") is None:
                raise ValueError(f"layer {layer!r} ({l.layer_type}) has no {kind} precision")
            setattr(new, f"{kind}_precision", _normalise_precision(value, layer, allow_auto=True))
        self._layers[self._index[layer]] = new
        if notify:
            self._notify(layer)
        return new

    def set_all(
        self, *, strategy: str | None = None, reuse_factor: int | None = None, precision: str | None = None,
        closest: bool = False,
    ) -> dict[str, int]:
        """Apply settings to every Dense/Conv layer (precision to every layer). All or nothing.

        An invalid ReuseFactor for any layer raises ``ValueError`` listing each such layer and its valid values,
        unless ``closest=True``: then each such layer gets the closest valid value and the substitutions are
        returned as ``{layer: used_rf}`` (never silently: the caller shows them).
        """
        trial = self.copy()
        substituted: dict[str, int] = {}
        problems = []
        for l in trial.layers:
            kw: dict[str, Any] = {}
            if precision is not None:
                kw["precision"] = precision
            if l.is_mult_layer:
                s = rules.canonical_strategy(strategy, l.name) if strategy is not None else l.strategy
                if s not in trial.strategies(l.name):
                    problems.append(f"{l.name}: strategy {s} not built for {l.layer_type} with {self.io_type}")
                    continue
                kw["strategy"] = s
                rf = reuse_factor if reuse_factor is not None else l.reuse_factor
                valid = rules.valid_reuse_factors(l.n_in, l.n_out, s)
                if rf not in valid:
                    if closest and valid:
                        rf = _closest(valid, rf)
                        substituted[l.name] = rf
                    else:
                        problems.append(_bad_rf_message(dataclass_replace(l, strategy=s, reuse_factor=rf), valid))
                        continue
                kw["reuse_factor"] = rf
            if kw:
                trial.set(l.name, notify=False, **kw)
        if problems:
            raise ValueError("cannot apply to all layers:\n  " + "\n  ".join(problems))
        self._layers = trial._layers
        self._index = trial._index
        self._notify("*")
        return substituted

    def set_target(
        self, *, board: str | None = None, part: str | None = None, io_type: str | None = None,
        clock_ns: float | None = None, backend: str | None = None,
    ) -> None:
        """Change the target. Strategies no longer built for a new io_type raise (nothing changes)."""
        b_name, part_name = (board, part) if (board or part) else (self.board, None if self.board else self.part_number)
        b, p, pn = resolve_target(b_name, part_name)
        io = io_type or self.io_type
        if io not in IO_TYPES:
            raise ValueError(f"io_type {io!r} is not valid; valid: {', '.join(IO_TYPES)}")
        if backend is not None and backend not in BACKENDS:
            raise ValueError(f"backend {backend!r} is not valid; valid: {', '.join(BACKENDS)}")
        if clock_ns is not None and not clock_ns > 0:
            raise ValueError(f"clock_ns must be a positive number of nanoseconds, got {clock_ns!r}")
        for l in self._layers:
            if l.strategy not in rules.strategies_for(l.layer_type, io):
                raise ValueError(
                    f"layer {l.name!r}: strategy {l.strategy} is not built for {l.layer_type} with {io}; "
                    f"change it first (valid: {', '.join(rules.strategies_for(l.layer_type, io))})"
                )
        board_changed = (board or part) is not None
        self.board = b.name if b is not None else None
        self.part, self.part_number = p, pn
        self.io_type = io
        if clock_ns is not None:
            self.clock_ns = float(clock_ns)
        elif board_changed and b is not None:
            self.clock_ns = b.clock_ns
        if backend is not None:
            self.backend = backend
        self._notify("*")

    def update_from(self, other: "Design") -> list[str]:
        """Take ``other``'s target and per-layer settings (same layers); all or nothing; observers hear one "*".

        ``other`` is validated as a whole first (as :meth:`from_json` would); this design keeps its own weights.
        Returns the names of the layers whose settings changed.
        """
        mine = [(l.name, l.layer_type, l.n_in, l.n_out) for l in self._layers]
        theirs = [(l.name, l.layer_type, l.n_in, l.n_out) for l in other.layers]
        if mine != theirs:
            raise ValueError("update_from needs a design of the same layers (names, types and sizes); "
                             f"differences: {sorted(set(mine) ^ set(theirs))}")
        trial = Design.from_json(other.to_json())
        settings = ("strategy", "reuse_factor", "weight_precision", "bias_precision", "accum_precision",
                    "result_precision")
        changed = [a.name for a, b in zip(self._layers, trial._layers)
                   if any(getattr(a, k) != getattr(b, k) for k in settings)]
        self._layers = [dataclass_replace(t, weights=m.weights, n_zeros=m.n_zeros)
                        for t, m in zip(trial._layers, self._layers)]
        self._index = {l.name: i for i, l in enumerate(self._layers)}
        for attr in ("board", "part", "part_number", "io_type", "clock_ns", "backend", "default_precision"):
            setattr(self, attr, getattr(trial, attr))
        self._notify("*")
        return changed

    # ------------------------------------------------------------------ checks
    def warnings(self) -> list[str]:
        """Human-readable problems hls4ml or Vivado HLS would hit with these settings, with what would fix them."""
        out = []
        for i, l in enumerate(self._layers):
            if l.is_mult_layer and l.strategy == "Latency":
                unrolled = l.n_mult // l.reuse_factor
                if unrolled > rules.UNROLL_LIMIT:
                    valid = [rf for rf in rules.valid_reuse_factors(l.n_in, l.n_out, "Latency")
                             if l.n_mult // rf <= rules.UNROLL_LIMIT]
                    fix = f"ReuseFactor >= {valid[0]}" if valid else "a smaller layer"
                    out.append(
                        f"layer {l.name!r}: Latency strategy unrolls {unrolled} multiplications "
                        f"(n_in*n_out/RF = {l.n_in}*{l.n_out}/{l.reuse_factor}), over Vivado HLS's unroll limit of "
                        f"about {rules.UNROLL_LIMIT} (hls4ml #1013): use {fix}, or the Resource strategy"
                    )
            if l.layer_type == "Softmax" and i > 0:
                prev = self._layers[i - 1]
                if prev.result_precision == "auto":
                    out.append(
                        f"layer {prev.name!r}: result precision 'auto' feeds the softmax {l.name!r}; hls4ml infers a "
                        "wide type (e.g. fixed<38,18>) and the stable softmax then outputs a constant: "
                        f"set {prev.name!r} result precision to e.g. {DEFAULT_PRECISION}"
                    )
            if l.layer_type in ("Conv1D", "Conv2D") and self.io_type == "io_parallel":
                if l.output_size > 4096:
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
        cfg: dict[str, Any] = {
            "Model": {
                "Precision": {"default": self.default_precision},
                "ReuseFactor": 1,
                "Strategy": "Latency",
                "BramFactor": 1_000_000_000,
                "TraceOutput": False,
            },
            "LayerName": {},
        }
        for l in self._layers:
            entry: dict[str, Any] = {"Trace": False, "Precision": {"result": l.result_precision}}
            for kind in ("weight", "bias", "accum"):
                p = l.precision(kind)
                if p is not None:
                    entry["Precision"][kind] = p
            if l.is_mult_layer:
                entry["Strategy"] = l.strategy
                entry["ReuseFactor"] = l.reuse_factor
            cfg["LayerName"][l.name] = entry
        return cfg

    def hls4ml_kwargs(self, output_dir: str = "hlsnb_prj", project_name: str = "myproject") -> dict:
        """Keyword arguments for ``hls4ml.converters.convert_from_keras_model(model, **kwargs)``."""
        kw = dict(
            hls_config=self.to_hls4ml_config(),
            output_dir=str(output_dir),
            project_name=project_name,
            backend=self.backend,
            part=self.part_number,
            clock_period=self.clock_ns,
            io_type=self.io_type,
        )
        if self.backend == "VivadoAccelerator":
            if self.board is None or get_board(self.board).accelerator_board is None:
                raise ValueError(
                    f"backend VivadoAccelerator needs a board it knows (pynq-z2, pynq-z1, zcu102, ...), "
                    f"got board={self.board!r}"
                )
            kw["board"] = get_board(self.board).accelerator_board
            kw.pop("part")
        return kw

    def convert(self, model, output_dir: str = "hlsnb_prj", project_name: str = "myproject"):
        """Convert ``model`` with hls4ml using exactly these settings; returns the hls4ml ModelGraph."""
        import hls4ml  # heavy, imported only here

        self.check_model(model)
        return hls4ml.converters.convert_from_keras_model(model, **self.hls4ml_kwargs(output_dir, project_name))

    def check_model(self, model) -> None:
        """Raise ``ValueError`` if ``model``'s layers do not match this design's (names and weight shapes)."""
        names = {l.name for l in model.layers}
        for l in self._layers:
            if l.layer_type in _WEIGHTED and l.name not in names:
                raise ValueError(f"design layer {l.name!r} is not in the Keras model (layers: {sorted(names)})")

    # ------------------------------------------------------------------ serialisation
    def to_dict(self) -> dict:
        return {
            "hlsnb_design": _JSON_VERSION,
            "model_name": self.model_name,
            "board": self.board,
            "part_number": self.part_number,
            "io_type": self.io_type,
            "clock_ns": self.clock_ns,
            "backend": self.backend,
            "default_precision": self.default_precision,
            "layers": [l.to_dict() for l in self._layers],
        }

    def to_json(self, path: str | None = None, indent: int = 1) -> str:
        """The design as JSON (weights excluded; re-attach them with ``from_json(text, model=...)``)."""
        text = json.dumps(self.to_dict(), indent=indent)
        if path is not None:
            with open(path, "w") as f:
                f.write(text)
        return text

    @classmethod
    def from_json(cls, text_or_path: str, model=None) -> "Design":
        """Read :meth:`to_json` output (a string or a file path). Given ``model``, its weights are re-attached."""
        text = text_or_path
        if not text_or_path.lstrip().startswith("{"):
            with open(text_or_path) as f:
                text = f.read()
        try:
            d = json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(f"not a design JSON: {e}") from None
        if d.get("hlsnb_design") != _JSON_VERSION:
            raise ValueError(f"not an hlsnb design JSON (expected key hlsnb_design={_JSON_VERSION})")
        layers = [LayerSpec.from_dict(x) for x in d["layers"]]
        board = d.get("board")
        design = cls(
            layers,
            board=board,
            part=None if board else d["part_number"],
            io_type=d["io_type"],
            clock_ns=d["clock_ns"],
            backend=d["backend"],
            model_name=d.get("model_name", "model"),
            default_precision=d.get("default_precision", DEFAULT_PRECISION),
        )
        design.part_number = d["part_number"]
        # validate what the file says the way set() would
        for l in design.layers:
            if l.is_mult_layer:
                design.set(l.name, strategy=l.strategy, reuse_factor=l.reuse_factor, notify=False)
        if model is not None:
            design.attach_weights(model)
        return design

    def attach_weights(self, model) -> None:
        """Take kernel arrays and zero counts from ``model`` (after pruning, say); geometry must match."""
        by_name = {kl.name: kl for kl in model.layers}
        for i, l in enumerate(self._layers):
            if l.layer_type not in _WEIGHTED:
                continue
            kl = by_name.get(l.name)
            if kl is None:
                raise ValueError(f"design layer {l.name!r} is not in the Keras model")
            w = np.asarray(kl.get_weights()[0])
            if w.size != l.n_weights:
                raise ValueError(
                    f"layer {l.name!r}: the model's kernel has {w.size} weights, the design expects {l.n_weights}"
                )
            self._layers[i] = dataclass_replace(l, weights=w, n_zeros=int(np.count_nonzero(w == 0)))
        self._notify("*")

    def copy(self) -> "Design":
        """An independent copy (no observers)."""
        new = _copy.copy(self)
        new._layers = [_copy.copy(l) for l in self._layers]
        new._index = dict(self._index)
        new._observers = []
        return new

    def __eq__(self, other) -> bool:
        return isinstance(other, Design) and self.to_dict() == other.to_dict()

    def summary(self) -> list[dict]:
        """One row per layer: name, type, shape, weights, zeros, strategy, RF, precisions."""
        rows = []
        for l in self._layers:
            rows.append(
                {
                    "layer": l.name,
                    "type": l.layer_type if l.activation is None else f"{l.layer_type}({l.activation})",
                    "output": "x".join(map(str, l.output_shape)),
                    "weights": l.n_weights,
                    "zeros": l.n_zeros,
                    "strategy": l.strategy if l.is_mult_layer else "",
                    "reuse_factor": l.reuse_factor if l.is_mult_layer else "",
                    "weight": l.weight_precision or "",
                    "result": l.result_precision,
                    "accum": l.accum_precision or "",
                }
            )
        return rows

    def __repr__(self) -> str:
        target = self.board or self.part_number
        return f"<Design {self.model_name!r}: {len(self._layers)} layers, {target}, {self.io_type}, {self.clock_ns} ns>"

    def _repr_html_(self) -> str:
        rows = self.summary()
        head = "".join(f"<th>{k}</th>" for k in rows[0]) if rows else ""
        body = "".join("<tr>" + "".join(f"<td>{v}</td>" for v in r.values()) + "</tr>" for r in rows)
        target = self.board or self.part_number
        return (
            f"<p><b>Design</b> {self.model_name}: {target} ({self.part_number}), {self.io_type}, "
            f"clock {self.clock_ns} ns, backend {self.backend}</p><table>{head}{body}</table>"
        )


def dataclass_replace(obj, **changes):
    new = _copy.copy(obj)
    for k, v in changes.items():
        setattr(new, k, v)
    return new


def _closest(valid, rf: int) -> int:
    return min(valid, key=lambda v: (abs(v - rf), v))


def _bad_rf_message(l: LayerSpec, valid) -> str:
    near = rules.closest_reuse_factors(valid, l.reuse_factor)
    listing = ", ".join(map(str, valid)) if len(valid) <= 24 else ", ".join(map(str, valid[:12])) + ", ..."
    extra = ""
    if l.strategy == "Resource_Unrolled" and l.reuse_factor == 1:
        extra = " (hls4ml would build Resource instead)"
    elif l.strategy == "distributed_arithmetic":
        extra = " (distributed_arithmetic needs ReuseFactor 1)"
    else:
        extra = f" (hls4ml would silently use {_closest(valid, l.reuse_factor)})" if valid else ""
    return (
        f"layer {l.name!r} ({l.layer_type} {l.n_in}x{l.n_out}, {l.strategy}): ReuseFactor {l.reuse_factor} is not "
        f"valid{extra}; closest valid: {', '.join(map(str, near))}; all valid: {listing}"
    )


def _normalise_precision(value, layer: str, allow_auto: bool = False) -> str:
    if allow_auto and isinstance(value, str) and value.strip().lower() == "auto":
        return "auto"
    try:
        return str(parse_precision(value))
    except ValueError as e:
        raise ValueError(f"layer {layer!r}: {e}") from None


def _layers_from_keras(model, precision: str) -> list[LayerSpec]:
    """hls4ml's view of a Keras 3 model (its parser), plus shapes and weight statistics."""
    import io
    import contextlib

    import hls4ml  # the parser decides names and order exactly as the converter will

    try:
        with contextlib.redirect_stdout(io.StringIO()):
            layer_list, *_ = hls4ml.converters.parse_keras_v3_model(model)
    except Exception as e:  # hls4ml raises plain Exceptions for unsupported layers
        raise ValueError(f"hls4ml cannot parse this model: {e}") from e
    prec = str(parse_precision(precision))
    for d in layer_list:
        if d["name"] == "input":
            raise ValueError(
                "layer name 'input' is reserved by hls4ml (its converter raises on it); rename that layer in the "
                "Keras model, e.g. keras.Input(shape, name='inputs')"
            )
    shapes: dict[str, tuple] = {}
    by_keras = {kl.name: kl for kl in model.layers}
    specs = []
    for d in layer_list:
        name = d["name"]
        cls_name = d["class_name"]
        lt = _TYPE_MAP.get(cls_name, cls_name)
        inputs = tuple(d.get("inputs", []) or [])
        kl = by_keras.get(name)
        if lt == "Input":
            out_shape = _as_tuple(d.get("input_shape") or model.input_shape[1:])
            in_shape = out_shape
        else:
            in_shape = shapes.get(inputs[0], ()) if inputs else ()
            if kl is not None and getattr(kl, "output", None) is not None:
                try:
                    out_shape = _as_tuple(kl.output.shape[1:])
                except Exception:
                    out_shape = in_shape
            else:  # an activation hls4ml split off its Dense/Conv: same shape as its input
                out_shape = in_shape
        shapes[name] = out_shape
        spec = LayerSpec(
            name=name,
            layer_type=lt,
            keras_class=cls_name if kl is None else type(kl).__name__,
            input_shape=in_shape,
            output_shape=out_shape,
            result_precision=prec,
            inputs=inputs,
        )
        size_in = int(np.prod(in_shape)) if in_shape else 0
        if lt == "Dense":
            w = np.asarray(d["weight_data"])
            spec.n_in, spec.n_out = int(d["n_in"]), int(d["n_out"])
            _set_weights(spec, w, d, prec)
        elif lt in ("Conv1D", "Conv2D"):
            w = np.asarray(d["weight_data"])
            spec.filters = int(d["n_filt"])
            if lt == "Conv1D":
                spec.kernel_size = (int(d["filt_width"]),)
                spec.strides = (int(d["stride_width"]),)
                spec.n_in = int(d["n_chan"]) * int(d["filt_width"])
            else:
                spec.kernel_size = (int(d["filt_height"]), int(d["filt_width"]))
                spec.strides = (int(d["stride_height"]), int(d["stride_width"]))
                spec.n_in = int(d["n_chan"]) * int(d["filt_height"]) * int(d["filt_width"])
            spec.n_out = spec.filters
            spec.padding = getattr(kl, "padding", None) if kl is not None else None
            _set_weights(spec, w, d, prec)
        else:
            spec.n_in = size_in or None
            spec.n_out = int(np.prod(out_shape)) if out_shape else None
            if lt in ("Activation", "Softmax", "LeakyReLU"):
                spec.activation = d.get("activation") or cls_name.lower()
            if lt in ("Pooling1D", "Pooling2D", "GlobalPooling1D", "GlobalPooling2D"):
                spec.pool_op = "max" if "Max" in cls_name else "average"
                if "pool_width" in d:
                    spec.kernel_size = (
                        (int(d["pool_height"]), int(d["pool_width"])) if "pool_height" in d else (int(d["pool_width"]),)
                    )
                if "stride_width" in d:
                    spec.strides = (
                        (int(d["stride_height"]), int(d["stride_width"]))
                        if "stride_height" in d else (int(d["stride_width"]),)
                    )
            if lt == "BatchNormalization":
                spec.weight_precision = spec.bias_precision = prec
                spec.n_weights = spec.n_bias = int(d.get("n_in") or size_in)
        specs.append(spec)
    return specs


def _set_weights(spec: LayerSpec, w: np.ndarray, d: dict, prec: str) -> None:
    spec.weights = w
    spec.n_weights = int(w.size)
    spec.n_zeros = int(np.count_nonzero(w == 0))
    b = d.get("bias_data")
    spec.n_bias = int(np.asarray(b).size) if b is not None else 0
    spec.weight_precision = spec.bias_precision = spec.accum_precision = prec
