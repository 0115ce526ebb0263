"""The estimator beside a real report: per layer and in total, with the error of each.

Layers are matched by the kind the layer-type registry gives them (:attr:`hlsnb.layer_types.LayerType.kind`:
activations of every flavour are one kind) and by order (the k-th Dense of the report is the k-th Dense of the
design: hls4ml keeps the Keras order), or by an explicit ``{config index: layer name}`` map.
"""

from __future__ import annotations

import html
from collections import defaultdict
from dataclasses import dataclass, field

from ..estimate import RESOURCES
from ..layer_types import get_layer_type, layer_type_of_class
from .reports import STAGES, Report

__all__ = ["Comparison", "compare", "match_layers"]


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
            parts.append(f"{res.upper()} {t['estimated']:g} vs {t['reported']:g} ({e})")
        return f"{self.title}, total: " + "; ".join(parts)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        cols = ["layer"] + [f"{r}_{k}" for r in RESOURCES for k in ("est", "rep", "err_pct")]
        head = "".join(f"<th>{c}</th>" for c in cols)

        def cell(v):
            if v is None:
                return ""
            if isinstance(v, float) and not float(v).is_integer():
                return f"{v:+.0f} %"
            return f"{v:g}" if isinstance(v, (int, float)) else html.escape(str(v))

        body = "".join("<tr>" + "".join(f"<td>{cell(w.get(c))}</td>" for c in cols) + "</tr>" for w in self.table())
        return (f"<p><b>{html.escape(self.title)}</b></p>"
                f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def _err(est, rep):
    if est is None or rep is None:
        return None, None
    e = float(est) - float(rep)
    return e, (100.0 * e / float(rep) if rep else None)


def compare(design_or_estimate, report: Report, index_map: dict[int, str] | None = None) -> Comparison:
    """Put ``hlsnb.estimate.estimate_design(design)`` beside ``report`` (from :func:`read_report`).

    ``design_or_estimate``: a Design (estimated here) or a DesignEstimate. Per-layer rows need a csynth report with
    instances; Vivado (vsynth/impl) reports compare in total only.
    """
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
    return Comparison(rows=rows, stage=report.kind, label=report.label, report_path=report.path, unmatched=unmatched)
