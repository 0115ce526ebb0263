"""From a Design (or an HGQ2 model) to distributed-arithmetic Verilog with da4ml.

da4ml traces the network on fixed-point variables: every Dense layer becomes a constant-matrix-vector product
solved as a shift-add adder graph (no multipliers), every result is cast to the Design's result precision the way
``ap_fixed`` casts (truncate, wrap), ReLU is a comparison. ``da4ml.codegen.RTLModel.write`` then writes the
Verilog, a Verilator binder and da4ml's own bit-exact model of the same logic.

Supported here: Dense, ReLU / linear activations, and a final softmax (left out of the RTL: it is monotonic, so
the class decided by the logits is the same; the check compares the softmax of the RTL's logits with Keras).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InvalidSetting, ToolNotFound
from ..precision import parse_precision

__all__ = ["DATrace", "RTLProject", "da_version", "trace_design", "trace_hgq", "write_rtl", "DA4ML_RANGE"]

#: da4ml versions hls4ml 1.3's ``[da]`` extra accepts (and the ones measured here)
DA4ML_RANGE = ((0, 5, 2), (0, 6))
#: da4ml's CMVM solver options, as hls4ml's distributed_arithmetic pass sets them
SOLVER_OPTIONS = {"hard_dc": 2}
_ACTIVATIONS = ("relu", "linear", None)


@dataclass
class DATrace:
    """The traced fixed-point logic of a network.

    ``comb`` is da4ml's ``CombLogic`` of the whole network; ``layers`` the names of the Design layers it holds;
    ``omitted`` the trailing layers left out (a softmax); ``per_layer`` one ``CombLogic`` per Dense layer (with its
    activation) when traced with ``per_layer=True``. ``seconds`` is the trace time.
    """

    comb: object
    layers: list[str]
    omitted: list[str] = field(default_factory=list)
    per_layer: dict[str, object] = field(default_factory=dict)
    input_precision: str | None = None
    seconds: float = 0.0

    @property
    def da4ml_lut(self) -> float:
        """da4ml's own LUT estimate of the logic (its adder-graph cost model)."""
        return float(self.comb.cost)

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.comb.shape)


@dataclass
class RTLProject:
    """A written da4ml RTL project: ``path/src/<name>.v`` (+ wrapper, static cells, lookup tables)."""

    path: Path
    name: str
    trace: DATrace
    model: object  # da4ml RTLModel (holds the Verilator emulator once compiled)

    @property
    def sources(self) -> list[Path]:
        """Verilog files Yosys must read: the design, its I/O wrapper is left out (it only re-packs the ports)."""
        src = self.path / "src"
        return sorted(p for p in src.glob("*.v") if not p.name.endswith("_wrapper.v")) + sorted(
            (src / "static").glob("*.v"))

    @property
    def memfiles(self) -> list[Path]:
        """Lookup-table contents; only present (and only to be read) when the logic uses tables."""
        return sorted((self.path / "src" / "memfiles").glob("*"))


def _kif(precision: str, what: str) -> tuple[int, int, int]:
    try:
        t = parse_precision(precision)
    except ValueError as e:
        raise InvalidSetting(f"{what}: cannot read precision {precision!r}: {e}") from None
    k = int(t.signed)
    return k, t.integer - k, t.fractional


def _quantise_const(values, precision: str, what: str) -> np.ndarray:
    """Weights as ``ap_fixed`` holds them (C-simulation semantics: truncate towards -inf, wrap)."""
    k, i, f = _kif(precision, what)
    q = np.floor(np.asarray(values, dtype=np.float64) * 2.0**f)
    span = 2.0 ** (k + i + f)
    q = np.mod(q + k * span / 2, span) - k * span / 2
    return q * 2.0**-f


def da_version(design):
    """A copy of ``design`` with every Dense/Conv layer on ``distributed_arithmetic`` at ReuseFactor 1."""
    da = design.copy()
    da.set_all(strategy="distributed_arithmetic", reuse_factor=1)
    return da


def _check_da4ml() -> str:
    """da4ml's version, or ``ToolNotFound`` saying what to install."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        v = version("da4ml")
    except PackageNotFoundError:
        raise ToolNotFound("da4ml is not installed; install it with: pip install 'da4ml>=0.5.2,<0.6'") from None
    parts = tuple(int(x) for x in re.findall(r"\d+", v)[:3])
    if not (DA4ML_RANGE[0] <= parts < DA4ML_RANGE[1]):
        raise ToolNotFound(f"da4ml {v} found; hlsnb (and hls4ml 1.3's [da] extra) need da4ml>=0.5.2,<0.6")
    return v


def trace_design(design, model, *, per_layer: bool = False) -> DATrace:
    """Trace the distributed-arithmetic logic of ``design`` (precisions) with ``model``'s weights.

    Parameters
    ----------
    design : hlsnb.design.Design
        Its Dense layers must use ``distributed_arithmetic`` (see :func:`da_version`).
    model : keras.Model
        The model the Design was made from (weights and biases are read by layer name).
    per_layer : bool
        Also trace each Dense layer (with its activation) on its own, for per-layer synthesis.

    Raises
    ------
    InvalidSetting
        A layer is not distributed_arithmetic, or of a type / activation the open path does not build (named).
    """
    _check_da4ml()
    from da4ml.trace import FixedVariableArray, HWConfig, comb_trace

    t0 = time.monotonic()
    layers = [l for l in design.layers if l.layer_type != "Input"]
    not_da = [l.name for l in layers if l.is_mult_layer and l.strategy != "distributed_arithmetic"]
    if not_da:
        raise InvalidSetting(f"layers {not_da} are not distributed_arithmetic; open synthesis builds the DA version: "
                             "use hlsnb.opensynth.da_version(design)")
    n_in = int(np.prod(design.layers[0].output_shape or (layers[0].n_in,)))
    k, i, f = _kif(design.input_precision, "input")

    def fresh(kif):
        return FixedVariableArray.from_kif(*kif, HWConfig(1, -1, -1), solver_options=SOLVER_OPTIONS)

    inp = fresh((np.full(n_in, k), np.full(n_in, i), np.full(n_in, f)))
    out, traced, omitted, _ = _trace_layers(layers, model, inp, None)
    comb = comb_trace(inp, out)
    per = {}
    if per_layer:  # a second pass, each Dense group from fresh inputs of the precision it receives
        per = _trace_layers(layers, model, fresh((np.full(n_in, k), np.full(n_in, i), np.full(n_in, f))), fresh)[3]
    return DATrace(comb=comb, layers=traced, omitted=omitted, per_layer=per,
                   input_precision=design.input_precision, seconds=time.monotonic() - t0)


def _trace_layers(layers, model, x, fresh):
    """Apply ``layers`` to the fixed-point array ``x``. With ``fresh`` (a kif -> new input array), also cut the
    network into one ``CombLogic`` per Dense layer and the activations after it (returned as a dict)."""
    from da4ml.trace import comb_trace

    traced, omitted, per = [], [], {}
    group_in = group_name = None
    for idx, l in enumerate(layers):
        last = idx == len(layers) - 1
        act = (l.activation or "linear").lower() if l.layer_type in ("Activation", "Softmax") else None
        if l.layer_type == "Dense":
            if fresh is not None:
                if group_name is not None:
                    per[group_name] = comb_trace(group_in, x)
                group_in, group_name = fresh(x.kif), l.name
                x = group_in
            kl = model.get_layer(l.name)
            w, b = kl.get_weights()[0], (kl.get_weights()[1] if kl.use_bias else None)
            wq = _quantise_const(w, l.weight_precision or l.result_precision, f"{l.name} weights")
            x = x @ wq
            if b is not None:
                x = x + _quantise_const(b, l.bias_precision or l.result_precision, f"{l.name} bias")
        elif act == "softmax" and last:
            omitted.append(l.name)
            continue
        elif l.layer_type == "Activation" and act in _ACTIVATIONS:
            if act == "relu":
                x = x.relu()
        else:
            raise InvalidSetting(
                f"layer {l.name!r} ({l.layer_type}{', ' + act if act else ''}): the open-synthesis path builds Dense "
                "layers with ReLU/linear activations and a final softmax only")
        x = x.quantize(*_kif(l.result_precision, f"{l.name} result"), overflow_mode="WRAP", round_mode="TRN")
        traced.append(l.name)
    if fresh is not None and group_name is not None:
        per[group_name] = comb_trace(group_in, x)
    return x, traced, omitted, per


def trace_hgq(model, *, inputs_kif: tuple[int, int, int] | None = None) -> DATrace:
    """Trace an HGQ2 model (its quantisers decide every precision) with da4ml's own converter."""
    _check_da4ml()
    from da4ml.converter import trace_model
    from da4ml.trace import HWConfig, comb_trace

    t0 = time.monotonic()
    inp, out = trace_model(model, HWConfig(1, -1, -1), SOLVER_OPTIONS, inputs_kif=inputs_kif)
    return DATrace(comb=comb_trace(inp, out), layers=[ly.name for ly in model.layers],
                   seconds=time.monotonic() - t0)


def write_rtl(trace: DATrace, path, name: str = "model", *, latency_cutoff: float = -1,
              part: str = "xc7z020clg400-1", clock_ns: float = 10.0) -> RTLProject:
    """Write the Verilog project of ``trace`` to ``path`` (``src/``, ``sim/``, ``model/``, ``metadata.json``).

    ``latency_cutoff`` < 0 writes purely combinational logic (no registers: FF counts are then 0); a positive value
    pipelines it with that many adder delays per stage (da4ml's units), adding registers.
    """
    _check_da4ml()
    from da4ml.codegen import RTLModel

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    rtl = RTLModel(trace.comb, name, path, flavor="verilog", latency_cutoff=latency_cutoff, print_latency=False,
                   part_name=part, clock_period=clock_ns)
    rtl.write({"hlsnb_layers": trace.layers, "hlsnb_omitted": trace.omitted})
    (path / "hlsnb_trace.json").write_text(json.dumps({"layers": trace.layers, "omitted": trace.omitted,
                                                        "da4ml_lut": trace.da4ml_lut}))
    return RTLProject(path=path, name=name, trace=trace, model=rtl)
