"""HTML the views show, as pure functions of data: no widgets, no Design methods, nothing but strings out.

Keeping the markup here lets the widget modules hold only widget logic, and lets a test check a panel's text
without building a widget. Every number a function writes says what it is (an HLS csynth estimate by hlsnb,
a measured value, ...): the caller passes the label.
"""

from __future__ import annotations

import html

__all__ = ["ERROR", "WARN", "OK", "message", "status", "bold", "no_multipliers", "badges", "target_info",
           "heading", "stage_line", "over_board_badge", "warnings_panel", "explanation", "pruning_estimate",
           "pruning_result", "current_status", "stale", "compare_table", "history_table",
           "pruning_over_board"]

ERROR = "color:#b42318"
WARN = "color:#9a6700"
OK = "color:#1a7f37"
_RES_WORDS = {"dsp": "DSP", "lut": "LUT", "ff": "FF", "bram18k": "BRAM18K", "latency": "latency (cycles)",
              "ii": "II (cycles)"}
#: Order of the resources in the explanation panel (csynth report order, then timing).
EXPLAINED = ("dsp", "lut", "ff", "bram18k", "latency", "ii")


def message(text: str, style: str = ERROR) -> str:
    """A small coloured line under a control (empty text: no line)."""
    return f"<span style='{style};font-size:12px'>{html.escape(text)}</span>" if text else ""


def status(text: str, style: str | None = OK) -> str:
    """The outcome of a button (save, load, fit, prune) in normal size; ``style=None``: plain text."""
    return f"<span style='{style}'>{html.escape(text)}</span>" if style else html.escape(text)


def bold(text: str) -> str:
    """A column header or a layer name."""
    return f"<b>{html.escape(text)}</b>"


def no_multipliers() -> str:
    """What a layer without multipliers shows in place of the Strategy menu."""
    return "<i style='color:#666'>no multipliers</i>"


def badges(warnings: list[tuple[str, str]]) -> str:
    """Red badges, one per ``(short label, full text)``; hovering shows every full text."""
    if not warnings:
        return ""
    tips = html.escape(" | ".join(t for _, t in warnings), quote=True)
    return "".join(
        f"<span title='{tips}' style='background:#b42318;color:white;border-radius:8px;padding:1px 7px;"
        f"margin-right:3px;font-size:11px'>&#9888; {html.escape(short)}</span>" for short, _ in warnings
    )


def target_info(part_number: str, part) -> str:
    """The part's capacity beside the target controls (``part`` is an :class:`hlsnb.boards.Part`)."""
    return (f"<span style='font-size:12px'>{html.escape(part_number)}: {part.lut:,} LUT, {part.ff:,} FF, "
            f"{part.dsp:,} {part.dsp_type}, {part.bram18k:,} BRAM18K</span>")


def heading(model_name: str, label: str) -> str:
    """The Explorer's title line; ``label`` says what every number below is."""
    return (f"<h3 style='margin:4px 0'>{html.escape(model_name)}: per-layer Strategy and ReuseFactor</h3>"
            f"<span style='font-size:12px'>All numbers: {label}.</span>")


def stage_line(label: str) -> str:
    """The line beside the Explorer's stage toggle: what its badges, warnings, breakdown and fit are judged on."""
    return f"<span style='font-size:12px'>Badges, warnings, breakdown and Fit to board: {html.escape(label)}.</span>"


def over_board_badge(layer: str, over: list[tuple[str, float]], device: str, label: str,
                     stage: str = "") -> tuple[str, str]:
    """The ``(short, full)`` badge of a layer that alone needs more than the part; ``over`` is (resource, %).

    ``stage`` (e.g. "HLS csynth") goes into the short text, so the badge itself says which numbers it judges.
    """
    return ("over board" + (f" ({stage})" if stage else ""),
            f"{layer} alone needs " + ", ".join(f"{p:.0f}% of the {lab}s" for lab, p in over)
            + f" of {device} ({label})")


def warnings_panel(over: list[tuple[str, float]], design_warnings: list[str], notes: list[str], device: str,
                   label: str) -> str:
    """The warnings box: the design over the board (``over`` is (resource, %) above 100), the design's warnings,
    and the estimator's notes folded away (useful, not alarming)."""
    items = []
    if over:
        items.append("<b>Over the board</b>: the design needs " + ", ".join(
            f"{p:.0f}% of the {lab}s" for lab, p in over) + f" of {device} ({label}). "
            "Raise ReuseFactors, use Resource, or press Fit to board.")
    items += [html.escape(w) for w in design_warnings]
    out = ""
    if items:
        out = ("<div style='border-left:4px solid #b42318;padding:2px 8px;margin:4px 0'>"
               + "<br>".join(f"&#9888; {x}" for x in items) + "</div>")
    if notes:
        out += (f"<details style='font-size:12px;color:#555'><summary>estimator notes ({len(notes)})"
                "</summary>" + "<br>".join(html.escape(w) for w in notes) + "</details>")
    return out


def _what(spec, top: str) -> str:
    if spec is not None and spec.is_mult_layer:
        return (f"{spec.layer_type} {spec.n_in}x{spec.n_out}, {spec.strategy} RF {spec.reuse_factor}, "
                f"weights {spec.weight_precision}")
    if spec is not None:
        return spec.layer_type + (f"({spec.activation})" if spec.activation else "")
    return f"top level: {top.upper()}"


def explanation(est, le, spec, label: str, resource: str | None = None) -> str:
    """The itemized breakdown of one layer's estimate ("why this many LUTs").

    Parameters
    ----------
    est : the DesignEstimate (for the part and the top-level function).
    le : the layer's estimate in ``est``.
    spec : the design's LayerSpec of that layer, or None for the top level.
    label : what the numbers are (e.g. ``hlsnb.vocab.stage_label("csynth", estimated=True)``).
    resource : one of :data:`EXPLAINED`, or None for all.
    """
    head = f"<b>{html.escape(le.name)}</b> ({html.escape(_what(spec, est.top))}): {label}"
    if not le.estimated:
        return f"<div>{head}<br><i>not estimated: {html.escape(str(le.reason))}</i></div>"
    cap = est.part.capacity()
    blocks = []
    for r in EXPLAINED:
        if resource is not None and r != resource:
            continue
        terms = sorted(le.terms(r), key=lambda t: -abs(t.value))
        total = getattr(le, "latency_cycles" if r == "latency" else r)
        pct = f" = {100.0 * float(total or 0) / cap[r]:.1f}% of {est.part.device}" if cap.get(r) else ""
        rows = "".join(
            f"<tr><td style='text-align:right;padding-right:8px'>{t.value:,.0f}</td>"
            f"<td style='color:{'#1a7f37' if t.kind == 'exact' else '#9a6700'};padding-right:8px'>{t.kind}</td>"
            f"<td>{html.escape(t.what)}</td></tr>" for t in terms
        ) or "<tr><td></td><td></td><td><i>none</i></td></tr>"
        blocks.append(f"<tr><th colspan=3 style='text-align:left;padding-top:6px'>{_RES_WORDS[r]}: "
                      f"{float(total or 0):,.0f}{pct}</th></tr>{rows}")
    return (f"<div style='font-size:12px'>{head}<table>{''.join(blocks)}</table>"
            "<span style='color:#666'>exact: follows from hls4ml's templates and the design rules; modelled: "
            "uses a coefficient fitted on real reports</span></div>")


def pruning_estimate(target_text: str, estimate: dict, capacity: dict, unit: str) -> str:
    """The pruning slider's line: resources of the one-shot masked design at the target, as % of the part."""
    return (
        f"<b>{html.escape(target_text)}</b>: estimated (HLS csynth, one-shot mask before fine-tuning) "
        + ", ".join(f"{k.upper()} {estimate[k]:.0f} ({100 * estimate[k] / capacity[k]:.0f} %)"
                    for k in ("dsp", "lut", "ff", "bram18k") if capacity.get(k))
        + f"; objective {estimate['objective']:.0f} {html.escape(unit)}; weights zero "
        f"{100 * estimate['sparsity']:.1f} %")


def pruning_result(target_text: str, status_word: str, dsp_before: float, dsp_after: float, accuracy_kind: str,
                   accuracy: float) -> str:
    """The pruning slider's line after a fine-tuned run: status, estimated DSPs before and after, accuracy."""
    return (f"{html.escape(target_text)}: {html.escape(status_word)}; estimated DSPs {dsp_before:.0f} &rarr; "
            f"{dsp_after:.0f}; {html.escape(accuracy_kind)} test accuracy {100 * accuracy:.1f} %")


def current_status(util: dict, target: float, device: str, label: str, latency: int, ii: int) -> str:
    """The one status line of the design as it is now: fits under the target, over the target, or over the board,
    from the latest estimate (``util``: resource -> % of the part). Every other status is about a past action."""
    names = {"dsp": "DSP", "lut": "LUT", "ff": "FF", "bram18k": "BRAM18K"}
    over_board = [(names[k], v) for k, v in util.items() if k in names and v > 100.0]
    over_target = [(names[k], v) for k, v in util.items() if k in names and 100.0 * target < v <= 100.0]
    timing = f"latency {latency:,} cycles, II {ii:,}"
    if over_board:
        text, style = ("Now: over the board: " + ", ".join(f"{n} {v:.0f}%" for n, v in over_board)
                       + f" of {device}", ERROR)
    elif over_target:
        text, style = ("Now: fits the board but over the target of " + f"{100 * target:.0f}%: "
                       + ", ".join(f"{n} {v:.0f}%" for n, v in over_target), WARN)
    else:
        text, style = f"Now: fits under the target of {100 * target:.0f}% of {device}", OK
    return (f"<div class='hlsnb-current-status'><b style='{style}'>{html.escape(text)}</b> "
            f"<span style='font-size:12px'>({html.escape(timing)}; {html.escape(label)})</span></div>")


def stale(report_html: str, note: str) -> str:
    """An earlier action's report, greyed and headed by why it no longer describes the design."""
    return (f"<div class='hlsnb-stale' style='opacity:0.55'><i>{html.escape(note)}</i>"
            f"<div style='text-decoration:line-through'>{report_html}</div></div>") if report_html else ""


def compare_table(name_a: str, a, b, diffs: list[tuple[str, str, str]]) -> str:
    """Pinned design A against the current design B: totals, difference and % of the part, then the settings that
    differ. ``a``/``b`` are DesignEstimates of the same stage; ``diffs``: (layer, A's setting, B's setting)."""
    names = (("dsp", "DSP"), ("lut", "LUT"), ("ff", "FF"), ("bram18k", "BRAM18K"))
    head = (f"<tr><th></th><th style='text-align:right'>{html.escape(name_a)} (pinned)</th>"
            "<th style='text-align:right'>B (now)</th><th style='text-align:right'>B - A</th></tr>")
    rows = []
    for k, lab in names:
        va, vb = float(a.total[k]), float(b.total[k])
        d = vb - va
        color = ERROR if d > 0 else OK if d < 0 else "color:#555"
        rows.append(f"<tr><td>{lab}</td><td style='text-align:right'>{va:,.0f} ({a.utilisation[k]:.1f}%)</td>"
                    f"<td style='text-align:right'>{vb:,.0f} ({b.utilisation[k]:.1f}%)</td>"
                    f"<td style='text-align:right;{color}'>{d:+,.0f}</td></tr>")
    for lab, va, vb in (("latency (cycles)", a.latency_cycles, b.latency_cycles), ("II (cycles)", a.ii, b.ii)):
        d = vb - va
        color = ERROR if d > 0 else OK if d < 0 else "color:#555"
        rows.append(f"<tr><td>{lab}</td><td style='text-align:right'>{va:,}</td><td style='text-align:right'>"
                    f"{vb:,}</td><td style='text-align:right;{color}'>{d:+,}</td></tr>")
    changed = "".join(f"<li>{html.escape(n)}: {html.escape(x)} &rarr; {html.escape(y)}</li>" for n, x, y in diffs)
    return (f"<div class='hlsnb-compare' style='font-size:12px'><b>{html.escape(name_a)} (pinned) against B (the "
            f"design now)</b><table>{head}{''.join(rows)}</table>"
            + (f"settings that differ:<ul style='margin:2px 0'>{changed}</ul>" if diffs else "same settings")
            + "</div>")


def history_table(entries: list[dict]) -> str:
    """The run history: one row per estimate of the design (newest first): when, what changed, the totals."""
    if not entries:
        return ""
    rows = "".join(
        f"<tr><td>{e['n']}</td><td>{html.escape(e['what'])}</td><td style='text-align:right'>{e['latency']:,}</td>"
        f"<td style='text-align:right'>{e['dsp']:.0f}%</td><td style='text-align:right'>{e['lut']:.0f}%</td>"
        f"<td style='text-align:right'>{e['ff']:.0f}%</td><td style='text-align:right'>{e['bram18k']:.0f}%</td>"
        f"<td>{'yes' if e['fits'] else 'no'}</td></tr>" for e in reversed(entries))
    return ("<details class='hlsnb-history' style='font-size:12px'><summary>run history "
            f"({len(entries)} estimates)</summary><table><tr><th>#</th><th>change</th><th>latency</th><th>DSP</th>"
            f"<th>LUT</th><th>FF</th><th>BRAM18K</th><th>fits the board</th></tr>{rows}</table></details>")


def pruning_over_board(over: dict, device: str) -> str:
    """The pruning slider's flag when its target still leaves the design over the board (``over``: resource -> %),
    with what would fix it."""
    if not over:
        return ""
    names = {"dsp": "DSP", "lut": "LUT", "ff": "FF", "bram18k": "BRAM18K"}
    return ("<br><b style='color:#b42318'>&#9888; still over the board</b>: "
            + ", ".join(f"{names[k]} {v:.0f}% of {html.escape(device)}" for k, v in over.items())
            + ". Prune further, or prune and raise ReuseFactors together (Fit to board on the pruned design).")
