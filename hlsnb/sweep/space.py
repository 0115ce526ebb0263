"""A design space: per-layer strategy, ReuseFactor and precision, pruning level and io type, as plain choices.

A :class:`Space` never holds a list of designs: it holds, per io type, the valid choices of every Dense/Conv layer
and the pruning levels, and maps an integer index (mixed radix over those lists) to a :class:`Config`. That is what
lets a space of millions of points be counted, iterated lazily or sampled without being built. Only choices hls4ml
builds as given are generated: strategies from :func:`hlsnb.rules.strategies_for` for the io type, ReuseFactors from
:func:`hlsnb.rules.template_reuse_factors` (hls4ml would silently replace any other by the closest valid one, and two
points of the sweep would be the same build; some templates, e.g. io_parallel Conv with Resource, abort on values
the validator keeps).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import random
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .. import rules
from ..design import IO_TYPES
from ..errors import InvalidSetting

__all__ = ["Space", "Config", "LayerChoice", "design_id", "config_id", "prune_design"]


class LayerChoice(NamedTuple):
    """The settings of one Dense/Conv layer in a configuration (``precision`` None: the base design's)."""

    name: str
    strategy: str
    reuse_factor: int
    precision: str | None = None


@dataclass(frozen=True)
class Config:
    """One point of a space: the io type, one :class:`LayerChoice` per multiplying layer, the pruned fraction.

    ``sparsity`` is the fraction of every Dense/Conv kernel set to zero by magnitude (smallest ``|w|`` first, no
    retraining; for trained pruning run :func:`hlsnb.prune.prune` first and sweep the pruned model). Hashable and
    JSON round-trippable (:meth:`to_dict` / :meth:`from_dict`); :attr:`key` is its canonical JSON text.
    """

    io_type: str
    layers: tuple
    sparsity: float = 0.0

    @property
    def key(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    def to_dict(self) -> dict:
        return {"io_type": self.io_type, "sparsity": float(self.sparsity),
                "layers": [list(c) for c in self.layers]}

    @classmethod
    def from_dict(cls, d) -> Config:
        d = json.loads(d) if isinstance(d, str) else d
        return cls(d["io_type"], tuple(LayerChoice(*c) for c in d["layers"]), float(d.get("sparsity", 0.0)))

    def apply(self, design):
        """A copy of ``design`` with this configuration's settings (the design itself is not changed).

        Pruning needs the design's kernels (``Design.from_keras`` attaches them): a ``sparsity`` above 0 on a
        design without weights raises ``InvalidSetting``.
        """
        d = design.copy()
        if d.io_type != self.io_type:
            # strategies first: set_target refuses an io type the current strategies are not built for
            for c in self.layers:
                if c.strategy not in rules.strategies_for(d.layer(c.name).layer_type, self.io_type):
                    d.set(c.name, strategy="Latency", reuse_factor=1, notify=False)
            d.set_target(io_type=self.io_type)
        for c in self.layers:
            d.set(c.name, strategy=c.strategy, reuse_factor=c.reuse_factor, precision=c.precision, notify=False)
        if self.sparsity:
            prune_design(d, self.sparsity)
        return d


class _Kernels:
    """What :meth:`Design.attach_weights` reads of a Keras model (``layers``, each with ``name`` and
    ``get_weights()``), for kernels that exist only as arrays."""

    class _Layer:
        def __init__(self, name, kernel):
            self.name, self._w = name, kernel

        def get_weights(self):
            return [self._w]

    def __init__(self, kernels: dict):
        self.layers = [self._Layer(n, w) for n, w in kernels.items()]


def magnitude_prune(kernel: np.ndarray, sparsity: float) -> np.ndarray:
    """``kernel`` with its ``round(sparsity x size)`` smallest-magnitude weights set to zero."""
    w = np.array(kernel, copy=True)
    k = int(round(float(sparsity) * w.size))
    if k > 0:
        flat = w.reshape(-1)
        flat[np.argsort(np.abs(flat), kind="stable")[:k]] = 0
    return w


def prune_design(design, sparsity: float) -> None:
    """Magnitude-prune every weighted layer's kernel of ``design`` to ``sparsity`` (in place, via attach_weights)."""
    kernels = {l.name: magnitude_prune(l.weights, sparsity) for l in design.layers if l.weights is not None}
    missing = [l.name for l in design.layers if l.is_mult_layer and l.weights is None]
    if missing:
        raise InvalidSetting(f"sparsity {sparsity:g} needs the kernels of {', '.join(missing)}; build the design "
                             "with Design.from_keras(model) (or load(json, model=...)) so the weights are attached")
    design.attach_weights(_Kernels(kernels))


def design_id(design) -> str:
    """A short stable id of a base design (its JSON without weights): what a store groups configurations under."""
    return hashlib.sha1(design.to_json(indent=None).encode()).hexdigest()[:12]


def config_id(base_id: str, config: Config) -> str:
    """The id of ``config`` on the base design ``base_id``: same settings on the same design, same id."""
    return hashlib.sha1(f"{base_id}|{config.key}".encode()).hexdigest()[:16]


def _as_tuple(x) -> tuple:
    if x is None:
        return (None,)
    return tuple(x) if isinstance(x, (list, tuple, set, frozenset, range, np.ndarray)) else (x,)


#: The keys a per-layer override (``Space(layers={"fc1": {...}})``) may have.
OVERRIDE_KEYS = ("strategy", "reuse_factor", "precision")


def _axis(value, name: str, where: str = "") -> tuple:
    """``value`` as a tuple of choices; an empty list is refused (a space with an empty axis has no point)."""
    out = _as_tuple(value)
    if not out:
        raise InvalidSetting(f"Space{where}: {name} is an empty list; give at least one value (a space with an "
                             "empty axis has no configuration)")
    return out


def _check_reuse_axis(value, where: str = "") -> None:
    if isinstance(value, str):
        if value != "valid":
            raise InvalidSetting(f"Space{where}: reuse_factor {value!r} is not valid; give 'valid' (every valid "
                                 "ReuseFactor), an integer or a list of integers >= 1")
        return
    for r in _axis(value, "reuse_factor", where):
        if isinstance(r, bool) or not isinstance(r, (int, np.integer)) or r < 1:
            raise InvalidSetting(f"Space{where}: reuse_factor {r!r} is not valid; ReuseFactors are integers >= 1")


def _check_overrides(design, overrides: dict) -> None:
    """Per-layer overrides name swept layers and only the keys of :data:`OVERRIDE_KEYS` (a misspelt key would
    silently sweep the default instead)."""
    names = [l.name for l in design.layers]
    unknown = sorted(set(overrides) - set(names))
    if unknown:
        raise KeyError(f"no layer {unknown} in the design; layers: {', '.join(names)}")
    swept = {l.name for l in design.layers if l.is_mult_layer}
    for name, opts in overrides.items():
        if name not in swept:
            raise InvalidSetting(f"Space: layers={{{name!r}: ...}}: {name!r} has no multipliers, so it is not swept "
                                 f"(nothing to choose); swept layers: {', '.join(n for n in names if n in swept)}")
        if opts is None:
            continue
        if not isinstance(opts, dict):
            raise InvalidSetting(f"Space: layers[{name!r}] must be a dict of {', '.join(OVERRIDE_KEYS)} (or None: "
                                 f"keep the layer's settings); got {type(opts).__name__} {opts!r}")
        bad = sorted(set(opts) - set(OVERRIDE_KEYS))
        if bad:
            raise InvalidSetting(f"Space: layers[{name!r}] has unknown key(s) {', '.join(map(repr, bad))}; valid "
                                 f"keys: {', '.join(OVERRIDE_KEYS)}")
        where = f" (layers[{name!r}])"
        for k in ("strategy", "precision"):
            if k in opts and opts[k] is not None:
                _axis(opts[k], k, where)
        if "reuse_factor" in opts:
            _check_reuse_axis(opts["reuse_factor"], where)


class Space:
    """The configurations of ``design`` to sweep.

    Parameters
    ----------
    design : Design
        The base design (not changed). Its Dense/Conv layers are swept; other layers keep their settings.
    strategy : str or list of str
        Strategies to try per layer (only those hls4ml builds for the layer and io type are kept).
    reuse_factor : "valid", int or list of int
        ReuseFactors to try; ``"valid"``: every valid one. Values not valid for a layer and strategy are dropped
        for that layer (never rounded: hls4ml would round and two points would be the same build).
    max_reuse_factor : int, optional
        Upper bound on the ReuseFactors kept (with ``"valid"`` the list can be long: 1024 inputs x 64 outputs).
    precision : str or list of str, optional
        ``ap_fixed`` types for all of a layer's precisions; None keeps the base design's.
    sparsity : float or list of float
        Fractions of every kernel pruned by magnitude (0 = unpruned). Needs the design's weights.
    io_type : str or list of str, optional
        ``io_parallel`` and/or ``io_stream``; default the design's.
    layers : dict, optional
        Per-layer overrides: ``{"fc1": dict(reuse_factor=[1, 2], precision=[...])}``; a layer given ``None``
        (``{"output": None}``) keeps its base settings.
    """

    def __init__(self, design, *, strategy=("Latency",), reuse_factor="valid", max_reuse_factor: int | None = None,
                 precision=None, sparsity=(0.0,), io_type=None, layers: dict | None = None):
        self.design = design
        self.design_id = design_id(design)
        if layers is not None and not isinstance(layers, dict):
            raise InvalidSetting(f"Space: layers must be a dict {{layer name: overrides}}; got {type(layers).__name__}")
        overrides = dict(layers or {})
        _check_overrides(design, overrides)
        _axis(strategy, "strategy")
        _check_reuse_axis(reuse_factor)
        if precision is not None:
            _axis(precision, "precision")
        if max_reuse_factor is not None and (isinstance(max_reuse_factor, bool)
                                             or not isinstance(max_reuse_factor, (int, np.integer))
                                             or max_reuse_factor < 1):
            raise InvalidSetting(f"Space: max_reuse_factor {max_reuse_factor!r} is not valid; give an integer >= 1 "
                                 "or None")
        sparsity = _axis(sparsity, "sparsity")
        try:
            self.sparsity = tuple(float(s) for s in sparsity)
        except (TypeError, ValueError):
            raise InvalidSetting(f"Space: sparsity {sparsity!r} is not valid: fractions in [0, 1)") from None
        if any(not 0.0 <= s < 1.0 for s in self.sparsity):
            raise InvalidSetting(f"sparsity {self.sparsity} is not valid: fractions in [0, 1)")
        self.io_types = _axis(io_type if io_type is not None else design.io_type, "io_type")
        bad_io = [io for io in self.io_types if io not in IO_TYPES]
        if bad_io:
            raise InvalidSetting(f"Space: io_type {', '.join(map(repr, bad_io))} is not one hls4ml has; valid: "
                                 f"{', '.join(IO_TYPES)}")
        default = dict(strategy=strategy, reuse_factor=reuse_factor, precision=precision)
        self._choices: dict[str, list[list[LayerChoice]]] = {}
        for io in self.io_types:
            per_layer = []
            for l in design.layers:
                if not l.is_mult_layer:
                    continue
                if l.name in overrides and overrides[l.name] is None:
                    opts = dict(strategy=l.strategy, reuse_factor=l.reuse_factor, precision=None)
                else:
                    opts = {**default, **(overrides.get(l.name) or {})}
                per_layer.append(self._layer_choices(l, io, opts, max_reuse_factor))
            self._choices[io] = per_layer
        self._sizes = {io: math.prod(len(c) for c in ch) * len(self.sparsity) for io, ch in self._choices.items()}

    @staticmethod
    def _layer_choices(l, io, opts, max_rf) -> list[LayerChoice]:
        built = rules.strategies_for(l.layer_type, io)
        out = []
        for s in _as_tuple(opts["strategy"]):
            s = rules.canonical_strategy(s, l.name)
            if s not in built:
                continue
            valid = rules.template_reuse_factors(l.layer_type, l.n_in, l.n_out, s, io)
            rfs = valid if opts["reuse_factor"] == "valid" else [r for r in _as_tuple(opts["reuse_factor"])
                                                                 if r in valid]
            rfs = [r for r in rfs if max_rf is None or r <= max_rf]
            out += [LayerChoice(l.name, s, int(r), p) for r in rfs for p in _as_tuple(opts["precision"])]
        if not out:
            raise InvalidSetting(f"layer {l.name!r} ({l.layer_type}, {io}): no choice left of strategy "
                                 f"{opts['strategy']!r} x reuse_factor {opts['reuse_factor']!r}"
                                 f"{f' <= {max_rf}' if max_rf else ''}; built strategies: {', '.join(built)}")
        return out

    def choices(self, layer: str, io_type: str | None = None) -> list[LayerChoice]:
        """The choices of one layer (for ``io_type``, default the first of the space)."""
        for ch in self._choices[io_type or self.io_types[0]]:
            if ch[0].name == layer:
                return list(ch)
        swept = ", ".join(c[0].name for c in self._choices[self.io_types[0]])
        raise KeyError(f"layer {layer!r} is not swept; swept: {swept}")

    def __len__(self) -> int:
        return sum(self._sizes.values())

    def __getitem__(self, index: int) -> Config:
        """The configuration number ``index`` (0 <= index < len(space)), in :meth:`__iter__` order."""
        if not 0 <= index < len(self):
            raise IndexError(f"configuration {index} out of range: the space has {len(self)}")
        for io in self.io_types:
            if index < self._sizes[io]:
                break
            index -= self._sizes[io]
        index, s = divmod(index, len(self.sparsity))
        picks = []
        for ch in reversed(self._choices[io]):
            index, i = divmod(index, len(ch))
            picks.append(ch[i])
        return Config(io, tuple(reversed(picks)), self.sparsity[s])

    def __iter__(self):
        for io in self.io_types:
            for picks in itertools.product(*self._choices[io]):
                for s in self.sparsity:
                    yield Config(io, tuple(picks), s)

    def sample(self, n: int, seed: int = 0) -> list[Config]:
        """``n`` distinct configurations drawn uniformly (all of them, in order, when the space has at most ``n``)."""
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise InvalidSetting(f"Space.sample: n {n!r} is not valid; give a number of configurations >= 1")
        if n >= len(self):
            return list(self)
        return [self[i] for i in sorted(random.Random(seed).sample(range(len(self)), n))]

    def __repr__(self) -> str:
        per = ", ".join(f"{ch[0].name}: {len(ch)}" for ch in self._choices[self.io_types[0]])
        return (f"Space({len(self):,} configurations of {self.design.model_name}: io {list(self.io_types)}, "
                f"sparsity {list(self.sparsity)}, choices per layer {per})")
