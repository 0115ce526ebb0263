"""The precision advisor: will the chosen fixed-point types hold the values this model computes on your data?

hls4ml's fixed-point types wrap around on overflow (``AP_WRAP``) and truncate (``AP_TRN``): a layer whose values
leave its type's range gives wrong outputs without a word, and one whose values sit a few LSBs above zero loses
most of its information. Both are visible *before* any C simulation: run the Keras model on a few batches of the
user's data, take every hls4ml node's value range (and the range of the accumulators of Dense/convolution,
average-pooling and recurrent layers), and compare with the node's types.

:func:`advise` does it for a :class:`hlsnb.design.Design`; :func:`advise_hls_model` for a converted hls4ml model
(what :func:`hlsnb.synth.check_csim` uses to say why a C simulation diverges). Both return an :class:`Advice`:
findings per layer, a suggested type for each, ``Advice.apply(design)`` to take them. It also flags layer/backend
combinations known to be wrong in hls4ml 1.3 (SimpleRNN on the Vivado backends).

Keras and hls4ml are imported only inside the functions that need them (the tracing).
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field

import numpy as np

from .errors import InvalidSetting
from .precision import FixedType, parse_precision

__all__ = ["Advice", "Finding", "ValueRange", "advise", "advise_hls_model", "known_problems", "suggest_type",
           "LOSS_THRESHOLD"]

#: A layer "loses too much precision" when half an LSB is more than this fraction of its values' RMS.
LOSS_THRESHOLD = 0.05
#: Fractional bits the suggestion gives beyond what the RMS needs: LSB <= RMS / 2**_SPARE_BITS.
_SPARE_BITS = 6
#: Layer types whose hls4ml accumulator (``accum_t``) holds the full sum before the result is cast.
_ACCUM_SUM = ("Dense", "Conv1D", "Conv2D", "DepthwiseConv1D", "DepthwiseConv2D", "EinsumDense", "Dot")
_RECURRENT = ("SimpleRNN", "LSTM", "GRU", "Bidirectional")
#: hls4ml 1.3 backends that build with Vivado HLS templates (where SimpleRNN is wrong).
_VIVADO_BACKENDS = ("Vivado", "VivadoAccelerator")


@dataclass
class ValueRange:
    """What one tensor took on the data: min, max, RMS and count of values (``kind``: "result" or "accum")."""

    layer: str
    kind: str
    min: float
    max: float
    rms: float
    n: int

    @property
    def absmax(self) -> float:
        return max(abs(self.min), abs(self.max))


@dataclass
class Finding:
    """One problem of one layer: ``kind`` is "overflow", "precision_loss" or "backend"; ``setting`` the
    ``Design.set`` keyword it concerns (``result_precision``, ``accum_precision``; ``None`` for a backend
    problem); ``current`` / ``suggested`` the types; ``message`` says what happens and why."""

    layer: str
    kind: str
    severity: str
    message: str
    setting: str | None = None
    current: str | None = None
    suggested: str | None = None


@dataclass
class Advice:
    """The advisor's result: ``ranges`` (every traced tensor), ``findings`` (problems, errors first),
    ``n_samples`` (rows traced) and ``backend``."""

    ranges: list
    findings: list
    n_samples: int
    backend: str = "Vivado"
    checked: dict = field(default_factory=dict)  # (layer, setting) -> the type that was checked
    traced: dict = field(default_factory=dict, repr=False)  # (layer, kind) -> ValueRange: every traced tensor

    def recheck(self, design) -> "Advice":
        """The advice for ``design``'s current types from the same traced ranges (no Keras run: types changed,
        values did not)."""
        return _advice(self.traced, _design_types(design), [(l.name, l.layer_type) for l in design.layers],
                       design.backend, self.n_samples)

    @property
    def ok(self) -> bool:
        """True when nothing overflows and no known-wrong combination is used (precision loss is a warning)."""
        return not any(f.severity == "error" for f in self.findings)

    @property
    def n_errors(self) -> int:
        return sum(f.severity == "error" for f in self.findings)

    @property
    def n_warnings(self) -> int:
        return sum(f.severity == "warning" for f in self.findings)

    def for_layer(self, name: str) -> list[Finding]:
        return [f for f in self.findings if f.layer == name]

    def suggestions(self) -> dict:
        """``{layer: {setting: type}}``: the suggested types, as ``Design.set`` keywords."""
        out: dict = {}
        for f in self.findings:
            if f.setting and f.suggested:
                out.setdefault(f.layer, {})[f.setting] = f.suggested
        return out

    def apply(self, design) -> dict:
        """Set every suggested type on ``design`` (one validated ``Design.set`` per layer); returns what changed."""
        sugg = self.suggestions()
        for layer, kw in sugg.items():
            design.set(layer, **kw)
        return sugg

    def badge(self) -> str:
        """A few words: "precision OK", "2 overflow(s), 1 warning"."""
        if not self.findings:
            return f"precision OK on {self.n_samples} samples"
        parts = []
        if self.n_errors:
            parts.append(f"{self.n_errors} error(s)")
        if self.n_warnings:
            parts.append(f"{self.n_warnings} warning(s)")
        return "precision: " + ", ".join(parts)

    def rows(self) -> list[dict]:
        """One dict per traced tensor with its type, range and the finding on it (for tables)."""
        by = {(f.layer, f.setting): f for f in self.findings}
        out = []
        for r in self.ranges:
            setting = "accum_precision" if r.kind == "accum" else "result_precision"
            f = by.get((r.layer, setting))
            out.append({"layer": r.layer, "tensor": r.kind, "type": self.checked.get((r.layer, setting)),
                        "min": r.min, "max": r.max, "rms": r.rms, "problem": f.kind if f else "",
                        "suggested": f.suggested if f else ""})
        return out

    def summary(self) -> str:
        head = f"Precision advisor ({self.n_samples} samples traced in Keras, backend {self.backend}): {self.badge()}"
        lines = [head] + [f"  [{f.severity}] {f.layer}: {f.message}" for f in self.findings]
        if self.suggestions():
            lines.append("  apply the suggested types with advice.apply(design)")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return html_table(self)


def html_table(advice: Advice) -> str:
    """The advice as an HTML badge and table (the Explorer shows it)."""
    color = "#1a7f37" if advice.ok and not advice.findings else ("#b42318" if not advice.ok else "#9a6700")
    head = "".join(f"<th>{h}</th>" for h in ("layer", "tensor", "type", "min", "max", "rms", "problem", "suggested"))
    body = []
    for r in advice.rows():
        style = " style='color:#b42318'" if r["problem"] == "overflow" else ""
        body.append(f"<tr{style}>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in (
            r["layer"], r["tensor"], r["type"] or "", f"{r['min']:.4g}", f"{r['max']:.4g}", f"{r['rms']:.3g}",
            r["problem"], r["suggested"] or "")) + "</tr>")
    msgs = "".join(f"<li>{html.escape(f.layer)}: {html.escape(f.message)}</li>" for f in advice.findings)
    return (f"<div><b style='color:{color}'>{html.escape(advice.badge())}</b>"
            + (f"<ul>{msgs}</ul>" if msgs else "")
            + f"<table><tr>{head}</tr>{''.join(body)}</table></div>")


# ---------------------------------------------------------------------------------------------------- types
def suggest_type(rng: ValueRange, current: FixedType) -> FixedType:
    """The narrowest change of ``current`` that holds ``rng``: enough integer bits for its largest magnitude (one
    spare), and enough fractional bits that the LSB is at most RMS / 64 (never fewer than ``current`` has)."""
    top = rng.absmax
    need_int = (math.floor(math.log2(top)) + 2 if top > 0 else 1) + (1 if current.signed else 0)
    integer = max(current.integer, need_int)
    frac = current.fractional
    if rng.rms > 0:
        frac = max(frac, _SPARE_BITS - math.floor(math.log2(rng.rms)))
    return FixedType(integer + frac, integer, signed=current.signed or rng.min < 0, rounding=current.rounding,
                     saturation=current.saturation)


def _check(rng: ValueRange, prec: str | None, setting: str) -> Finding | None:
    if not prec or prec == "auto":
        return None
    try:
        t = parse_precision(prec)
    except ValueError:
        return None
    what = "accumulator" if setting == "accum_precision" else "result"
    if rng.max > t.max_value or rng.min < t.min_value:
        s = suggest_type(rng, t)
        wrap = "saturates" if t.saturation != "AP_WRAP" else "wraps around (wrong values, no error)"
        return Finding(rng.layer, "overflow", "error",
                       f"{what} values span [{rng.min:.4g}, {rng.max:.4g}] but {t} holds [{t.min_value:.4g}, "
                       f"{t.max_value:.4g}]: it {wrap}; use {s} ({setting})", setting, str(t), str(s))
    if rng.rms > 0 and t.lsb / 2 > LOSS_THRESHOLD * rng.rms:
        s = suggest_type(rng, t)
        return Finding(rng.layer, "precision_loss", "warning",
                       f"{what} values have RMS {rng.rms:.3g}, but {t} has an LSB of {t.lsb:.3g}: truncation costs "
                       f"up to {t.lsb / rng.rms:.0%} of a typical value; use {s} ({setting})",
                       setting, str(t), str(s))
    return None


def known_problems(layers, backend: str) -> list[Finding]:
    """Layer/backend combinations known to give wrong outputs in hls4ml 1.3, whatever the precision (errors), and
    layers known to be off at the default precision (warnings).

    ``layers``: ``(name, layer_type)`` pairs.
    """
    out = []
    for name, lt in layers:
        if lt == "SimpleRNN" and backend in _VIVADO_BACKENDS:
            out.append(Finding(name, "backend", "error",
                               f"SimpleRNN on the {backend} backend returns wrong outputs at any precision in "
                               "hls4ml 1.3 (its Vivado template is not the Keras cell); use an LSTM or GRU layer, "
                               "or check the Vitis backend's C simulation against Keras"))
        elif lt in ("LSTM", "GRU", "Bidirectional"):
            out.append(Finding(name, "backend", "warning",
                               f"hls4ml's {lt} computes its sigmoid/tanh from 1024-entry lookup tables and keeps "
                               "its state in fixed point: its outputs were measured 12-18 % off Keras at the "
                               "default precision (issue 14); compare with check_csim before relying on it"))
    return out


# ---------------------------------------------------------------------------------------------------- tracing
def _batches(X, max_rows: int, n_inputs: int):
    """``X`` as a list of batches of at most ``max_rows`` rows in all: one array, a list of ``n_inputs`` arrays
    (a multi-input model), or an iterable of batches of either."""
    if isinstance(X, np.ndarray) or (n_inputs > 1 and isinstance(X, (list, tuple)) and len(X) == n_inputs
                                     and all(isinstance(a, np.ndarray) for a in X)):
        return [_head(X, max_rows)]
    out, rows = [], 0
    for b in X:
        b = _head(b, max_rows - rows)
        n = len(b[0]) if isinstance(b, list) else len(b)
        if n == 0:
            break
        out.append(b)
        rows += n
    return out


def _head(x, n: int):
    if isinstance(x, (list, tuple)):
        return [_numbers(a)[:n] for a in x]
    return _numbers(x)[:n]


def _numbers(a) -> np.ndarray:
    try:
        arr = np.asarray(a)
        if arr.dtype == bool or arr.dtype.kind not in "fiu":
            raise TypeError(f"dtype {arr.dtype}")
        return arr.astype(np.float32)
    except (TypeError, ValueError) as e:
        raise InvalidSetting(f"advise: the data X cannot be read as real numbers ({e}); give an array of the model's "
                             "inputs") from None


def _check_batch(b, shapes: list, where: str) -> None:
    """Refuse an empty batch, one of the wrong shape, or one holding NaN or infinity (named, with the first place)."""
    arrays = b if isinstance(b, list) else [b]
    for i, (a, shape) in enumerate(zip(arrays, shapes)):
        what = f"X{f'[{i}]' if len(arrays) > 1 else ''}{where}"
        if a.ndim == 0 or len(a) == 0:
            raise InvalidSetting(f"advise: {what} is empty (shape {a.shape}); the advisor needs at least one row of "
                                 f"the model's inputs, shape (n, {', '.join(str(d) for d in shape[1:])})")
        want = tuple(shape[1:])
        if tuple(a.shape[1:]) != want and None not in want:
            raise InvalidSetting(f"advise: {what} has shape {a.shape}; the model takes (n, "
                                 f"{', '.join(str(d) for d in want)})")
        bad = ~np.isfinite(a)
        if bad.any():
            first = tuple(int(j) for j in np.unravel_index(int(np.argmax(bad)), a.shape))
            n_nan, n_inf = int(np.isnan(a).sum()), int(np.isinf(a).sum())
            raise InvalidSetting(f"advise: {what} holds {n_nan:,} NaN and {n_inf:,} infinite value(s) of {a.size:,} "
                                 f"(first at index {first}); value ranges of such data say nothing: drop or impute "
                                 "those rows first")


def _nodes(model) -> list[dict]:
    """hls4ml's nodes of ``model`` (its parser: names, classes, tensor names, weights)."""
    import contextlib
    import io

    import hls4ml

    with contextlib.redirect_stdout(io.StringIO()):
        layer_list, *_ = hls4ml.converters.parse_keras_v3_model(model)
    return layer_list


def _pre_activation(kl, x: np.ndarray) -> np.ndarray:
    """Keras layer ``kl`` on ``x`` without its activation (hls4ml splits the activation off: the node before it
    outputs this), from a linear copy with ``kl``'s weights."""
    cfg = kl.get_config()
    cfg["activation"] = "linear"
    lin = type(kl).from_config(cfg)
    lin.build(x.shape)
    lin.set_weights(kl.get_weights())
    return np.asarray(lin(x), dtype=np.float64)


def _checked_batches(model, X, max_rows) -> list:
    """``X`` as batches (see :func:`_batches`), each checked by :func:`_check_batch`."""
    if isinstance(max_rows, bool) or not isinstance(max_rows, (int, np.integer)) or max_rows < 1:
        raise InvalidSetting(f"advise: max_rows {max_rows!r} is not valid; give a number of rows >= 1")
    if X is None:
        raise InvalidSetting("advise: X is None; give an array of the model's inputs (a few hundred rows)")
    batches = _batches(X, max_rows, len(model.inputs))
    if not batches:
        raise InvalidSetting("advise: X is empty; the precision advisor needs at least one row of the model's inputs")
    shapes = [tuple(t.shape) for t in model.inputs]
    for k, b in enumerate(batches):
        _check_batch(b, shapes, f" (batch {k})" if len(batches) > 1 else "")
    return batches


def trace(model, X, max_rows: int = 1024) -> tuple[dict, int]:
    """Run ``model`` on ``X`` and return ``({(node, kind): ValueRange}, rows)`` for every hls4ml node.

    ``kind`` "result" is the node's output; "accum" the sum its accumulator holds: the pre-activation of
    Dense/convolution/EinsumDense/Dot nodes, the window sum of an average pooling (output x pool size) and, for
    recurrent layers, a bound on the gate pre-activations (|x| . |W| + |h| . |U| + |b| with |h| <= 1).
    """
    import keras

    batches = _checked_batches(model, X, max_rows)  # the data first: refused before hls4ml or Keras runs
    nodes = _nodes(model)
    tensors = {t.name: t for t in model.inputs}
    owner = {}
    for kl in model.layers:
        for node in getattr(kl, "_inbound_nodes", []):
            for t in node.outputs:
                tensors[t.name] = t
                owner[t.name] = kl
    wanted: list[str] = []
    for d in nodes:
        for nm in list(d.get("output_keras_tensor_names") or ()) + list(d.get("input_keras_tensor_names") or ()):
            base = nm.removesuffix("_activation")
            if base in tensors and base not in wanted:
                wanted.append(base)
    probe = keras.Model(model.inputs, [tensors[n] for n in wanted])
    acc: dict = {}
    rows = 0
    for b in batches:
        outs = probe.predict(b, verbose=0)
        outs = outs if isinstance(outs, list) else [outs]
        vals = {n: np.asarray(o, dtype=np.float64) for n, o in zip(wanted, outs)}
        rows += len(next(iter(vals.values())))
        for d in nodes:
            for key, v in _node_values(d, vals, owner).items():
                _accumulate(acc, (d["name"], key), v)
    bad = {k: a[4] for k, a in acc.items() if a[4]}
    if bad:
        (node, kind), n = next(iter(bad.items()))
        raise InvalidSetting(f"advise: layer {node!r} computes {n:,} NaN or infinite value(s) ({kind}) from finite "
                             "inputs: the model's weights or its arithmetic are not finite; fix the model first "
                             f"(layers affected: {', '.join(sorted({k[0] for k in bad}))})")
    ranges = {k: ValueRange(k[0], k[1], a[0], a[1], math.sqrt(a[2] / max(a[3], 1)), int(a[3]))
              for k, a in acc.items() if a[3]}
    return ranges, rows


def _accumulate(acc: dict, key, v: np.ndarray) -> None:
    finite = np.isfinite(v)
    n_bad = int(v.size - np.count_nonzero(finite))
    v = v[finite]
    lo, hi, sq, n, nb = acc.get(key, (math.inf, -math.inf, 0.0, 0, 0))
    if v.size == 0:
        acc[key] = (lo, hi, sq, n, nb + n_bad)
        return
    acc[key] = (min(lo, float(v.min())), max(hi, float(v.max())), sq + float(np.sum(v * v)), n + v.size,
                nb + n_bad)


def _node_values(d: dict, vals: dict, owner: dict) -> dict:
    """The tensors of one hls4ml node on one batch: {"result": ..., "accum": ...} (what exists)."""
    outs = d.get("output_keras_tensor_names") or ()
    ins = [vals.get(n) for n in (d.get("input_keras_tensor_names") or ())]
    out: dict = {}
    if not outs:
        return out
    name = outs[0]
    cls = d.get("class_name", "")
    if name.endswith("_activation"):
        # the Dense/Conv half of a layer hls4ml split: its output is the pre-activation
        kl = owner.get(name.removesuffix("_activation"))
        if kl is not None and ins and ins[0] is not None:
            pre = _pre_activation(kl, ins[0])
            out["result"] = pre
            out["accum"] = pre
        return out
    if name in vals:
        out["result"] = vals[name]
    if cls in _ACCUM_SUM or cls == "Merge" and d.get("op") == "dot1d":
        if "result" in out:
            out["accum"] = out["result"]
    elif "Average" in cls and "Pooling" in cls and "result" in out and ins and ins[0] is not None:
        pool = _pool_size(d, ins[0])
        out["accum"] = out["result"] * pool
    elif cls in _RECURRENT and ins and ins[0] is not None:
        out["accum"] = _gate_bound(d, ins[0])
    return out


def _pool_size(d: dict, x: np.ndarray) -> int:
    if "pool_width" in d:
        return int(d.get("pool_height", 1)) * int(d["pool_width"])
    return int(np.prod(x.shape[1:-1])) if x.ndim > 2 else 1  # global pooling: every pixel


def _gate_bound(d: dict, x: np.ndarray) -> np.ndarray:
    """Per row and gate, |x_t| . |W| + sum |U| + |b| maximised over t: what the gate accumulators can reach."""
    prefix = "forward_" if d.get("class_name") == "Bidirectional" else ""
    w = np.abs(np.asarray(d[f"{prefix}weight_data"], dtype=np.float64))
    u = np.abs(np.asarray(d[f"{prefix}recurrent_weight_data"], dtype=np.float64))
    b = d.get(f"{prefix}bias_data")
    bias = np.abs(np.asarray(b, dtype=np.float64)) if b is not None else 0.0
    seq = np.abs(x.reshape(len(x), -1, w.shape[0]))
    return (seq @ w).max(axis=1) + u.sum(axis=0) + bias


# ---------------------------------------------------------------------------------------------------- advice
def _findings(ranges: dict, types: dict) -> tuple[list, dict]:
    findings, checked = [], {}
    for (layer, kind), rng in ranges.items():
        setting = "accum_precision" if kind == "accum" else "result_precision"
        prec = types.get((layer, setting))
        if prec is None:
            continue
        checked[(layer, setting)] = prec
        f = _check(rng, prec, setting)
        if f is not None:
            findings.append(f)
    return findings, checked


def _sorted(findings: list) -> list:
    return sorted(findings, key=lambda f: (f.severity != "error", f.kind != "backend"))


def _design_types(design) -> dict:
    types = {}
    for l in design.layers:
        types[(l.name, "result_precision")] = l.result_precision
        if l.accum_precision is not None:
            types[(l.name, "accum_precision")] = l.accum_precision
    return types


def _advice(ranges: dict, types: dict, layers: list, backend: str, rows: int) -> Advice:
    findings, checked = _findings(ranges, types)
    findings += known_problems(layers, backend)
    kept = {(a, "accum" if s == "accum_precision" else "result") for a, s in checked}
    return Advice(ranges=[r for k, r in ranges.items() if k in kept], findings=_sorted(findings), n_samples=rows,
                  backend=backend, checked=checked, traced=ranges)


def advise(design, model, X, *, max_rows: int = 1024) -> Advice:
    """Check ``design``'s result and accumulator types against the values ``model`` computes on ``X``.

    ``X``: an array of inputs, a list of arrays (a multi-input model) or an iterable of batches; at most
    ``max_rows`` rows are traced (a few batches are enough: ranges, not statistics). Nothing is compiled; after
    changing types, ``advice.recheck(design)`` re-judges without running Keras again.

    Raises ``InvalidSetting`` (before Keras runs) for data that is empty, not numbers, of another shape than the
    model's input, or holds NaN or infinity (the first place named); after the run, for a model that computes NaN
    or infinity from finite data (the layer named), or a model that is not the design's (its layers named).
    """
    ranges, rows = trace(model, X, max_rows)
    traced = {k[0] for k in ranges}
    missing = [l.name for l in design.layers if l.layer_type != "Input" and l.name not in traced]
    if missing and len(missing) * 2 >= len(design.layers) - 1:
        # most of the design's layers are not in the model: a judgement of nothing must not read "precision OK"
        raise InvalidSetting(f"advise: the model's layers ({', '.join(sorted(traced)) or 'none'}) are not the "
                             f"design's: {', '.join(missing)} not found; give the model the design was made from")
    return _advice(ranges, _design_types(design), [(l.name, l.layer_type) for l in design.layers], design.backend,
                   rows)


def advise_hls_model(hls_model, model, X, *, max_rows: int = 1024) -> Advice:
    """:func:`advise` for a converted hls4ml ``ModelGraph`` (its own result and accumulator types)."""
    from .layer_types import layer_type_of_class

    ranges, rows = trace(model, X, max_rows)
    types, layers = {}, []
    for layer in hls_model.get_layers():
        layers.append((layer.name, layer_type_of_class(layer.class_name)))
        try:
            types[(layer.name, "result_precision")] = _hls_type(layer.get_output_variable().type.precision)
        except (AttributeError, KeyError, IndexError):
            pass
        acc = layer.get_attr("accum_t")
        if acc is not None and hasattr(acc, "precision"):
            types[(layer.name, "accum_precision")] = _hls_type(acc.precision)
    return _advice(ranges, types, layers, str(hls_model.config.get_config_value("Backend")), rows)


def _hls_type(p) -> str | None:
    """hls4ml's precision object as an ``ap_`` type string (``fixed<16,6>`` -> ``ap_fixed<16,6>``)."""
    text = str(p)
    try:
        return str(parse_precision(text))
    except ValueError:
        return None
