"""Whole-design estimate: per-layer table, top-level PIPELINE vs DATAFLOW, totals and utilisation."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field

from ..boards import Part
from ..precision import parse_precision
from ._core import RESOURCES, LayerEstimate, Term, bram18k_for, estimate_layer, SRL_BITS_PER_LUT

__all__ = ["DesignEstimate", "estimate_design", "top_style"]


@dataclass
class DesignEstimate:
    """Estimate of a whole design (HLS csynth numbers).

    ``layers``: one :class:`LayerEstimate` per design layer, plus a last row ``(top level)`` for what the top
    function adds (dataflow ping-pong buffers, stream FIFOs). ``total``: resource -> sum over rows (DSPs, LUTs,
    FFs, BRAM18Ks). ``latency_cycles`` / ``ii`` in clock cycles, ``latency_ns`` in ns. ``utilisation``: resource ->
    % of ``part``. ``top``: "pipeline" or "dataflow". ``not_estimated``: names of layers without an estimate (their
    cost is missing from the totals: a lower bound then).
    """

    layers: list
    total: dict
    latency_cycles: int
    ii: int
    latency_ns: float
    utilisation: dict
    part: Part
    clock_ns: float
    top: str
    stage: str = "csynth"
    calibration: str = "shipped"  # what the modelled terms were fitted on: "shipped" or "your builds (path)"
    not_estimated: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    def layer(self, name: str) -> LayerEstimate:
        for l in self.layers:
            if l.name == name:
                return l
        raise KeyError(f"no layer {name!r} in the estimate; layers: {', '.join(l.name for l in self.layers)}")

    def terms(self, resource: str | None = None) -> list[tuple[str, Term]]:
        """(layer name, term) for every breakdown item, optionally of one resource."""
        return [(l.name, t) for l in self.layers for t in l.breakdown if resource is None or t.resource == resource]

    def rows(self) -> list[dict]:
        """One dict per row (layers, then the top level), for tables and DataFrames."""
        out = []
        for l in self.layers:
            out.append({
                "name": l.name, "layer_type": l.layer_type, "strategy": l.strategy, "reuse_factor": l.reuse_factor,
                "dsp": l.dsp, "lut": l.lut, "ff": l.ff, "bram18k": l.bram18k, "latency_cycles": l.latency_cycles,
                "ii": l.ii, "estimated": l.estimated, "reason": l.reason, "stage": l.stage,
            })
        return out

    def _repr_html_(self) -> str:
        cap = self.part.capacity()
        head = ("<tr><th>layer</th><th>type</th><th>strategy</th><th>RF</th><th>DSP</th><th>LUT</th><th>FF</th>"
                "<th>BRAM18K</th><th>latency</th><th>II</th></tr>")
        body = []
        for r in self.rows():
            if not r["estimated"]:
                body.append(f"<tr><td>{html.escape(r['name'])}</td><td>{html.escape(r['layer_type'])}</td>"
                            f"<td colspan=8><i>not estimated: {html.escape(str(r['reason']))}</i></td></tr>")
                continue
            body.append("<tr>" + "".join(f"<td>{html.escape(str(v if v is not None else ''))}</td>" for v in (
                r["name"], r["layer_type"], r["strategy"] or "", r["reuse_factor"] or "", r["dsp"], r["lut"], r["ff"],
                r["bram18k"], r["latency_cycles"], r["ii"])) + "</tr>")
        tot = self.total
        body.append("<tr style='font-weight:bold'><td>total</td><td></td><td></td><td></td>" + "".join(
            f"<td>{tot[k]:.0f} ({self.utilisation[k]:.1f}%)</td>" for k in ("dsp", "lut", "ff", "bram18k"))
            + f"<td>{self.latency_cycles}</td><td>{self.ii}</td></tr>")
        title = (f"<p>Estimated (HLS csynth, not post-synthesis) for {self.part.device} at {self.clock_ns:g} ns, top "
                 f"{self.top.upper()}: latency {self.latency_cycles} cycles = {self.latency_ns:g} ns, II {self.ii}. "
                 f"Capacity: {cap['dsp']} DSP, {cap['lut']} LUT, {cap['ff']} FF, {cap['bram18k']} BRAM18K. "
                 f"Modelled terms fitted on: {html.escape(self.calibration)}.</p>")
        return title + "<table>" + head + "".join(body) + "</table>"


def top_style(design) -> tuple[str, str]:
    """hls4ml's choice of top-level pipeline style (``VivadoPipelineStyle`` pass) and the reason."""
    if design.io_type == "io_stream":
        return "dataflow", "io_stream designs are DATAFLOW"
    for l in design.layers:
        if l.layer_type in ("Conv1D", "Conv2D") and l.output_shape and math.prod(l.output_shape[:-1]) > 1:
            return "dataflow", f"io_parallel convolution {l.name!r} is computed in partitions: DATAFLOW"
    for l in design.layers:
        if l.is_mult_layer and l.strategy == "Resource":
            return "dataflow", f"layer {l.name!r} uses the Resource strategy, which switches the top to DATAFLOW"
    return "pipeline", "io_parallel without Resource layers: the top function is PIPELINEd"


def _bits(prec: str | None, default: int) -> tuple[int, int]:
    if prec is None or prec == "auto":
        return default, default
    t = parse_precision(prec)
    return t.width, t.integer


def layer_kwargs(design) -> list[tuple]:
    """``(layer, kwargs)`` per layer: the keyword arguments :func:`estimate_layer` gets for it in this design.

    The one place that turns a Design's layers (precisions, the input each layer reads, target) into estimator
    inputs; :func:`estimate_design` and ``hlsnb.synth.recalibrate`` both use it.
    """
    part: Part = design.part
    clock = float(design.clock_ns)
    io = design.io_type
    tool = getattr(design, "tool", "vivado_hls")
    layers = design.layers
    by_name = {l.name: l for l in layers}
    in_prec = getattr(design, "input_precision", None)
    out = []
    for i, l in enumerate(layers):
        src = by_name.get(l.inputs[0]) if getattr(l, "inputs", None) else (layers[i - 1] if i else None)
        src_prec = src.result_precision if src is not None else in_prec
        res_bits, _ = _bits(l.result_precision, 16)
        in_bits, _ = _bits(src_prec, res_bits)
        w_bits, w_int = _bits(l.weight_precision, 16) if l.weight_precision else (16, 6)
        if l.weight_precision and l.weight_precision != "auto":
            w_int = parse_precision(l.weight_precision).integer
        acc_bits, _ = _bits(l.accum_precision, res_bits)
        kw = dict(
            layer_type=l.layer_type, n_in=l.n_in, n_out=l.n_out, name=l.name,
            input_shape=tuple(l.input_shape or ()), output_shape=tuple(l.output_shape or ()), filters=l.filters,
            kernel_size=tuple(l.kernel_size) if l.kernel_size else None,
            strides=tuple(l.strides) if l.strides else None, padding=l.padding, pool_op=l.pool_op,
            activation=l.activation, strategy=l.strategy if l.is_mult_layer else "Latency",
            reuse_factor=l.reuse_factor if l.is_mult_layer else 1, weight_bits=w_bits, weight_int_bits=w_int,
            result_bits=res_bits, accum_bits=acc_bits, input_bits=in_bits, io_type=io, part=part,
            clock_ns=clock, n_zeros=l.n_zeros if l.is_mult_layer else None,
            weights=l.weights if l.is_mult_layer else None, tool=tool,
        )
        out.append((l, kw))
    return out


def estimate_design(design) -> "DesignEstimate":
    """Estimate every layer of a :class:`hlsnb.design.Design` and the top level.

    Reads only Design / LayerSpec attributes (see docs/INTERFACES.md) and the design's part. Times in cycles of
    ``design.clock_ns``; ``latency_ns`` = cycles x clock. Numbers are what the HLS csynth report would say.
    """
    part: Part = design.part
    clock = float(design.clock_ns)
    io = design.io_type
    layers = design.layers
    ests: list[LayerEstimate] = []
    for l, kw in layer_kwargs(design):
        try:
            e = estimate_layer(**kw)
        except ValueError as err:  # a layer the model cannot take: a row that says so, never a crash
            e = LayerEstimate(name=l.name, layer_type=l.layer_type, dsp=None, lut=None, ff=None, bram18k=None,
                              uram=None, latency_cycles=None, ii=None, estimated=False, reason=str(err))
        if not l.is_mult_layer:
            e.strategy, e.reuse_factor = None, None
        ests.append(e)

    top, why = top_style(design)
    top_terms: list[Term] = [Term("latency", 0.0, f"top level is {top.upper()}: {why}", "exact")]
    if top == "dataflow":
        chans = 0
        for l in layers[:-1]:
            if l.layer_type == "Input":
                continue
            n = int(math.prod(l.output_shape)) if l.output_shape else int(l.n_out or 0)
            bits = _bits(l.result_precision, 16)[0]
            if io == "io_parallel":
                top_terms.append(Term("ff", 2.0 * n * bits, f"ping-pong buffer after {l.name}: 2 x {n} x {bits} bits "
                                      "in registers (DATAFLOW channel of a partitioned array)", "exact"))
                top_terms.append(Term("lut", float(n * bits), f"ping-pong read/write select after {l.name} "
                                      f"({n} x {bits} bits)", "modelled"))
            else:
                px = int(math.prod(l.output_shape[:-1])) if len(l.output_shape or ()) > 1 else 1
                width = (int(l.output_shape[-1]) if l.output_shape else n) * bits
                if px * width <= 1024 or px <= 32:
                    top_terms.append(Term("lut", float(math.ceil(px / SRL_BITS_PER_LUT) * width),
                                          f"stream FIFO after {l.name}: {px} deep x {width} bits in shift-register "
                                          "LUTs (hls4ml default depth = pixels)", "modelled"))
                else:
                    top_terms.append(Term("bram18k", float(bram18k_for(px, width)),
                                          f"stream FIFO after {l.name}: {px} deep x {width} bits in BRAM "
                                          "(hls4ml default depth = pixels)", "modelled"))
            chans += 1
        top_terms.append(Term("lut", 30.0 * chans, f"DATAFLOW handshakes and process control ({chans} channels)",
                              "modelled"))
        top_terms.append(Term("ff", 10.0 * chans, f"DATAFLOW channel state ({chans} channels)", "modelled"))
    top_row = LayerEstimate(name="(top level)", layer_type="Top", breakdown=top_terms)
    for r in RESOURCES:
        setattr(top_row, r, round(sum(t.value for t in top_terms if t.resource == r)))
    top_row.latency_cycles = 0 if top == "pipeline" else len(ests)
    top_row.ii = 1
    ests.append(top_row)

    ok = [e for e in ests if e.estimated]
    total = {r: float(sum(getattr(e, r) or 0 for e in ok)) for r in RESOURCES}
    total["uram"] = 0.0
    lat = int(sum(e.latency_cycles or 0 for e in ok))
    ii_layers = [int(e.ii or 1) for e in ok[:-1]]
    if top == "pipeline" and any(l.is_mult_layer and l.strategy == "Resource_Unrolled" for l in layers):
        ii = max([l.reuse_factor for l in layers if l.is_mult_layer] + ii_layers)
    else:
        ii = max(ii_layers or [1])
    if top == "dataflow":
        ii += 1  # one extra cycle for the DATAFLOW handshake
    cap = part.capacity()
    util = {r: (100.0 * total[r] / cap[r] if cap.get(r) else 0.0) for r in ("dsp", "lut", "ff", "bram18k", "uram")}
    not_est = [e.name for e in ests if not e.estimated]
    warns = [f"{e.name}: {w}" for e in ests for w in e.warnings]
    if not_est:
        warns.append(f"not estimated (missing from the totals): {', '.join(not_est)}")
    from ._core import CALIBRATION

    calibration = CALIBRATION["source"] + (f" ({CALIBRATION['path']})" if CALIBRATION["path"] else "")
    return DesignEstimate(layers=ests, total=total, latency_cycles=lat, ii=int(ii), latency_ns=lat * clock,
                          utilisation=util, part=part, clock_ns=clock, top=top, calibration=calibration,
                          not_estimated=not_est, warnings=warns)
