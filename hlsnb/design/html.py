"""A Design as a table: one row per layer (``Design.summary``) and the notebook's HTML view (``_repr_html_``)."""

from __future__ import annotations

from html import escape

from .spec import SETTINGS

__all__ = ["summary_rows", "design_html"]


def summary_rows(design) -> list[dict]:
    """One row per layer: name, type, output shape, weights, zeros, then one column per setting of the schema.

    A setting the layer does not have (a ReuseFactor on an activation, say) shows as an empty cell. A design with a
    convolution has a ``ParallelizationFactor`` column too (an hls4ml key, not a schema setting: 1 when unset,
    ignored by io_stream).
    """
    rows = []
    with_pf = any(l.parallelization_factor is not None for l in design.layers)
    for l in design.layers:
        row = {
            "layer": l.name,
            "type": l.layer_type if l.activation is None else f"{l.layer_type}({l.activation})",
            "output": "x".join(map(str, l.output_shape)),
            "weights": l.n_weights,
            "zeros": l.n_zeros,
        }
        for s in SETTINGS:
            row[s.label] = getattr(l, s.name) if s.applies(l, design.io_type) else ""
        if with_pf:
            row["ParallelizationFactor"] = "" if l.parallelization_factor is None else l.parallelization_factor
        rows.append(row)
    return rows


def design_html(design) -> str:
    """The target line and the :func:`summary_rows` table, as HTML for a notebook."""
    rows = summary_rows(design)
    head = "".join(f"<th>{escape(str(k))}</th>" for k in rows[0]) if rows else ""
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in r.values()) + "</tr>" for r in rows
    )
    target = design.board or design.part_number
    return (
        f"<p><b>Design</b> {escape(design.model_name)}: {target} ({design.part_number}), {design.io_type}, "
        f"clock {design.clock_ns} ns, backend {design.backend}</p><table>{head}{body}</table>"
    )
