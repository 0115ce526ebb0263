"""The estimator beside a real report: per layer and in total, with the error of each.

Layers are matched by the kind the layer-type registry gives them (:attr:`hlsnb.layer_types.LayerType.kind`:
activations of every flavour are one kind) and by order (the k-th Dense of the report is the k-th Dense of the
design: hls4ml keeps the Keras order), or by an explicit ``{config index: layer name}`` map.
"""

from __future__ import annotations

import html
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ReportError
from ..estimate import RESOURCES
from ..layer_types import get_layer_type, layer_type_of_class
from .reports import STAGES, Report

__all__ = ["Comparison", "compare", "match_layers", "report_mismatches", "check_report", "ReportMismatch",
           "SUSPICIOUS_RATIO"]

#: A total this many times larger or smaller than the estimate (and not small) is called out in the comparison:
#: the estimator's errors on real reports stay well inside it, another network's report does not.
SUSPICIOUS_RATIO = 5.0


class ReportMismatch(ReportError):
    """The report is not of this design: its layers, sizes or part differ (the message lists each difference)."""


def _norm_part(part: str | None) -> str | None:
    """``xc7z020-clg400-1``, ``7z020clg400-1`` and ``xc7z020clg400-1`` all as ``7z020clg4001``."""
    if not part:
        return None
    p = re.sub(r"[^a-z0-9]", "", part.lower())
    return p[2:] if p.startswith("xc") else p


#: Port protocols of io_parallel tops, where one port is one value (or one packed array).
_SCALAR_PROTOCOLS = ("ap_none", "ap_vld", "ap_ovld", "ap_ack", "ap_hs")
_PORT = re.compile(r"^\|\s*(\S+)\s*\|\s*(in|out)\s*\|\s*(\d+)\s*\|\s*(\S+)\s*\|")


def _interface_ports(report: Report) -> "tuple[list, list] | None":
    """``(inputs, outputs)``: the data ports ``[(name, bits)]`` of a csynth report's Interface table (handshake and
    control ports left out), or None when the report file is not at hand or has no such table."""
    p = Path(str(report.path))
    try:
        text = p.read_text(errors="replace") if p.is_file() else ""
    except OSError:
        return None
    if "== Interface" not in text:
        return None
    ins, outs = [], []
    for line in text.split("== Interface", 1)[1].splitlines():
        m = _PORT.match(line.strip())
        if not m:
            continue
        name, direction, bits, protocol = m.group(1), m.group(2), int(m.group(3)), m.group(4)
        if protocol.startswith("ap_ctrl") or name.endswith(("_ap_vld", "_ap_ack")):
            continue
        if protocol not in _SCALAR_PROTOCOLS:
            return None  # streams, AXI, memories (an io_stream or accelerator top): ports are not values
        (ins if direction == "in" else outs).append((name, bits))
    return (ins, outs) if ins or outs else None


def report_mismatches(design_or_estimate, report: Report) -> list[str]:
    """Why ``report`` is not a report of ``design_or_estimate`` (an empty list when nothing says so).

    Checked: the number of layers of each kind the report has instances of (Dense, Conv, activations, ...) against
    the design's; with a Design, the part (any spelling) and, for an io_parallel C-synthesis report whose file is at
    hand, its interface: the number of output values and of input values (or input bits: a whole number per input).
    Each entry says what differs with both values."""
    out: list[str] = []
    design = design_or_estimate if hasattr(design_or_estimate, "part_number") else None
    layers = [l for l in design_or_estimate.layers if l.layer_type not in ("Input", "Top")]
    rows = [r for r in report.layers if r.layer_type]
    if rows:
        rep_kinds = Counter(_kind(r.layer_type) for r in rows)
        des_kinds = Counter(_kind(l.layer_type) for l in layers)
        for k in sorted(rep_kinds, key=str):
            # a design layer may be inlined by the HLS tool (no instance), so fewer report rows than design layers
            # can be the same network; more rows of a kind than the design has layers of it never is
            if rep_kinds[k] > des_kinds.get(k, 0):
                out.append(f"the report has {rep_kinds[k]} {k} layer(s), the design {des_kinds.get(k, 0)}")
        mult = [k for k in des_kinds if k in ("Dense", "Conv1D", "Conv2D")]
        for k in mult:
            if rep_kinds.get(k) and rep_kinds[k] != des_kinds[k]:
                msg = f"the report has {rep_kinds[k]} {k} layer(s), the design {des_kinds[k]}"
                if msg not in out:
                    out.append(msg)
    if design is None:
        return out
    rp, dp = _norm_part(report.part), _norm_part(design.part_number)
    if rp and dp and rp != dp:
        out.append(f"the report is for part {report.part}, the design for {design.part_number}")
    if report.kind == "csynth" and design.io_type == "io_parallel":
        ports = _interface_ports(report)
        first = design.layers[0]
        last = design.layers[-1]
        if ports is not None:
            ins, outs = ports
            n_out = last.output_size
            if outs and n_out and len(outs) > 1 and len(outs) != n_out:
                out.append(f"the report's top function has {len(outs)} output values, the design's last layer "
                           f"{last.name!r} {n_out}")
            n_in = first.output_size if first.layer_type == "Input" else 0
            in_bits = sum(b for _, b in ins)
            if ins and n_in:
                # the input's type may differ from the design's (a build at another precision): only the count
                if len(ins) > 1 and len(ins) != n_in:
                    out.append(f"the report's top function has {len(ins)} inputs, the design's input {n_in}")
                elif len(ins) == 1 and in_bits % n_in:
                    out.append(f"the report's input port is {in_bits} bits wide, not a whole number of bits for "
                               f"each of the design's {n_in} inputs")
    return out


def check_report(design_or_estimate, report: Report) -> None:
    """Raise :class:`ReportMismatch` listing every difference :func:`report_mismatches` finds (what
    ``compare`` and the Explorer's ``set_report`` call before they put a report beside an estimate)."""
    bad = report_mismatches(design_or_estimate, report)
    if bad:
        name = getattr(design_or_estimate, "model_name", None) or "the design"
        raise ReportMismatch(f"{report.path}: this {report.kind} report is not of {name}: " + "; ".join(bad)
                             + ". Give the report of this design's build (or compare(..., check=False) to put "
                               "them side by side anyway)")


def _kind(t: str | None) -> str | None:
    """The registry kind of a layer type (or of a Keras class name such as ``ReLU``); unknown types match as named."""
    if not t:
        return t
    lt = get_layer_type(t) or get_layer_type(layer_type_of_class(t))
    return lt.kind if lt else t


def match_layers(estimate, report: Report, index_map: dict[int, str] | None = None) -> dict[str, object]:
    """``{estimate layer name: report row}`` for the layers both have."""
    rows = [r for r in report.layers if r.layer_type]
    if index_map:
        by_name = {index_map[r.config_index]: r for r in rows if r.config_index in index_map}
        return {l.name: by_name[l.name] for l in estimate.layers if l.name in by_name}
    queues: dict[str, list] = defaultdict(list)
    for r in sorted(rows, key=lambda r: (r.config_index is None, r.config_index or 0)):
        queues[_kind(r.layer_type)].append(r)
    out = {}
    for l in estimate.layers:
        q = queues.get(_kind(l.layer_type))
        if q:
            out[l.name] = q.pop(0)
    return out


@dataclass
class Comparison:
    """Estimated (HLS csynth model) against reported numbers. ``rows``: one dict per layer and resource, plus the
    total; ``error`` = estimated - reported, ``error_pct`` = error / reported x 100 (None when reported is 0)."""

    rows: list[dict]
    stage: str  # stage of the report (what the estimate is compared with)
    label: str  # "measured" or "replay"
    report_path: str
    unmatched: list[str] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)  # why the report may not be of this design (see notes)

    @property
    def notes(self) -> list[str]:
        """What the reader must know before trusting the numbers: the report's differences from the design
        (``compare(..., check=False)``) and totals :data:`SUSPICIOUS_RATIO` times off the estimate."""
        notes = [f"the report may not be of this design: {m}" for m in self.mismatches]
        for r in self.rows:
            if r["layer"] != "total" or r["estimated"] is None or r["reported"] is None:
                continue
            est, rep = float(r["estimated"]), float(r["reported"])
            big, small = max(est, rep), min(est, rep)
            if big >= 50 and (small == 0 or big / small >= SUSPICIOUS_RATIO):
                notes.append(f"{r['resource'].upper()} reported {rep:,.0f} vs estimated {est:,.0f} "
                             f"({'x' + format(big / small, '.1f') if small else 'one is 0'}): check that the "
                             "report is of this design and this configuration")
        return notes

    @property
    def title(self) -> str:
        tag = " [replay]" if self.label == "replay" else ""
        return f"estimated (hlsnb, csynth model) vs reported ({STAGES[self.stage]}){tag}"

    def total(self, resource: str) -> dict:
        return next(r for r in self.rows if r["layer"] == "total" and r["resource"] == resource)

    def table(self) -> list[dict]:
        """The rows as a wide table: one dict per layer, with ``<resource>_est``, ``<resource>_rep`` and
        ``<resource>_err_pct``."""
        wide: dict[str, dict] = {}
        for r in self.rows:
            w = wide.setdefault(r["layer"], {"layer": r["layer"], "layer_type": r["layer_type"]})
            w[f"{r['resource']}_est"] = r["estimated"]
            w[f"{r['resource']}_rep"] = r["reported"]
            w[f"{r['resource']}_err_pct"] = r["error_pct"]
        return list(wide.values())

    def figure(self):
        """A plotly Figure: estimated and reported bars per layer and total, one panel per resource, errors on hover."""
        import plotly.graph_objects as go
        from plotly.subplots import make_subplots

        fig = make_subplots(rows=1, cols=len(RESOURCES), subplot_titles=[r.upper() for r in RESOURCES])
        rep_name = f"reported ({self.stage}{', replay' if self.label == 'replay' else ''})"
        for i, res in enumerate(RESOURCES, start=1):
            rs = [r for r in self.rows if r["resource"] == res]
            x = [r["layer"] for r in rs]
            err = [("n/a" if r["error_pct"] is None else f"{r['error_pct']:+.0f} %") for r in rs]
            fig.add_trace(go.Bar(name="estimated (csynth model)", x=x, y=[r["estimated"] for r in rs],
                                 marker_color="#4c78a8", showlegend=i == 1, legendgroup="est",
                                 customdata=err,
                                 hovertemplate="%{x}: %{y} estimated, error %{customdata}<extra></extra>"),
                          row=1, col=i)
            fig.add_trace(go.Bar(name=rep_name, x=x, y=[r["reported"] for r in rs], marker_color="#f58518",
                                 showlegend=i == 1, legendgroup="rep",
                                 hovertemplate="%{x}: %{y} reported<extra></extra>"), row=1, col=i)
        fig.update_layout(barmode="group", title=self.title, height=380, margin=dict(t=70, b=40, l=40, r=10),
                          legend=dict(orientation="h", y=-0.2))
        return fig

    def summary(self) -> str:
        parts = []
        for res in RESOURCES:
            t = self.total(res)
            e = "n/a" if t["error_pct"] is None else f"{t['error_pct']:+.0f} %"
            est = "n/a" if t["estimated"] is None else f"{t['estimated']:,.0f}"
            rep = "n/a" if t["reported"] is None else f"{t['reported']:,.0f}"
            parts.append(f"{res.upper()} {est} estimated vs {rep} reported ({e})")
        text = f"{self.title}, total: " + "; ".join(parts)
        return text + "".join(f"\nWARNING: {n}" for n in self.notes)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        cols = ["layer"] + [f"{r}_{k}" for r in RESOURCES for k in ("est", "rep", "err_pct")]
        words = {"est": "estimated", "rep": "reported", "err_pct": "error"}  # column names in words, not keys
        head = "<th>layer</th>" + "".join(f"<th style='text-align:right'>{r.upper()} {words[k]}</th>"
                                          for r in RESOURCES for k in ("est", "rep", "err_pct"))

        def cell(c, v):
            if v is None:
                return "<td></td>" if c == "layer" else "<td style='text-align:right'>n/a</td>"
            if c.endswith("_err_pct"):
                return f"<td style='text-align:right'>{v:+,.0f}%</td>"
            if isinstance(v, (int, float)):
                return f"<td style='text-align:right'>{v:,.0f}</td>"
            return f"<td>{html.escape(str(v))}</td>"

        body = "".join("<tr>" + "".join(cell(c, w.get(c)) for c in cols) + "</tr>" for w in self.table())
        warn = "".join(f"<p style='color:#b00'><b>Warning:</b> {html.escape(n)}</p>" for n in self.notes)
        return (f"<p><b>{html.escape(self.title)}</b></p>{warn}"
                f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def _err(est, rep):
    if est is None or rep is None:
        return None, None
    e = float(est) - float(rep)
    return e, (100.0 * e / float(rep) if rep else None)


def compare(design_or_estimate, report: Report, index_map: dict[int, str] | None = None, *,
            check: bool = True) -> Comparison:
    """Put ``hlsnb.estimate.estimate_design(design)`` beside ``report`` (from :func:`read_report`).

    ``design_or_estimate``: a Design (estimated here) or a DesignEstimate. Per-layer rows need a csynth report with
    instances; Vivado (vsynth/impl) reports compare in total only.

    The report must be of this design (:func:`report_mismatches`: its layers of each kind, part and interface
    sizes): otherwise :class:`ReportMismatch` lists the differences. ``check=False`` compares anyway and the
    Comparison carries them (``mismatches``, ``notes``, and a WARNING line in its summary). Totals far off the
    estimate are called out in ``notes`` either way.
    """
    mismatches = report_mismatches(design_or_estimate, report)
    if check and mismatches:
        check_report(design_or_estimate, report)
    est = design_or_estimate
    if not hasattr(est, "total"):
        from ..estimate import estimate_design

        est = estimate_design(design_or_estimate)
    matched = match_layers(est, report, index_map)
    rows = []
    for l in est.layers:
        r = matched.get(l.name)
        if r is None:
            continue
        for res in RESOURCES:
            e, ep = _err(getattr(l, res), getattr(r, res))
            rows.append(dict(layer=l.name, layer_type=l.layer_type, resource=res, estimated=getattr(l, res),
                             reported=getattr(r, res), error=e, error_pct=ep, stage=report.kind, label=report.label))
    m = report.model
    for res in RESOURCES:
        e, ep = _err(est.total.get(res), getattr(m, res))
        rows.append(dict(layer="total", layer_type="Model", resource=res, estimated=est.total.get(res),
                         reported=getattr(m, res), error=e, error_pct=ep, stage=report.kind, label=report.label))
    unmatched = [l.name for l in est.layers if l.name not in matched and l.layer_type not in ("Input", "Top")]
    return Comparison(rows=rows, stage=report.kind, label=report.label, report_path=report.path, unmatched=unmatched,
                      mismatches=mismatches)
