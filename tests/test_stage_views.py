"""The views show both estimator stages: HLS csynth (the report's numbers) and Vivado post-synthesis (what is
placed). The plot draws both, the Explorer judges by the one chosen, fit_to_board fits against either, and the CLI
says which it printed. Every expected number is computed here with ``estimate_design(design, stage=...)``."""

from __future__ import annotations

import pytest

from hlsnb.design import Design
from hlsnb.estimate import estimate_design
from hlsnb.estimate._reference import tutorial_mlp
from hlsnb.fit import fit_to_board
from hlsnb.widgets import EstimatePlot, Explorer, estimate_figure
from hlsnb.widgets.plots import ESTIMATE_LABEL, STAGE_NAMES, VSYNTH_LABEL

RES = ("dsp", "lut", "ff", "bram18k")


@pytest.fixture()
def seed():
    return tutorial_mlp("Resource", 64)  # the forum's design: 16-64-32-32-5, Resource RF 64, on the PYNQ-Z2


@pytest.fixture()
def latency_rf1():
    from hlsnb.train import build_mlp

    return Design.from_keras(build_mlp(seed=0), board="pynq-z2")  # Latency RF 1: fc1 alone is over the DSPs


def _marker(fig):
    return next(t for t in fig.data if (t.meta or {}).get("hlsnb") == "vsynth")


def _over_layers(design, stage):
    est = estimate_design(design, stage=stage)
    cap = est.part.capacity()
    return {le.name for le in est.layers if le.estimated
            and any(cap[k] and 100.0 * float(getattr(le, k) or 0) / cap[k] > 100.0 for k in RES)}


# ---------------------------------------------------------------- plot
def test_plot_marks_the_post_synthesis_totals(seed):
    plot = EstimatePlot(seed)
    v = estimate_design(seed, stage="vsynth")
    assert v.stage == "vsynth" and plot.estimates["vsynth"].stage == "vsynth" and plot.estimate.stage == "csynth"
    m = _marker(plot.figure)
    assert m.type == "scatter" and m.marker.symbol == "diamond"
    assert list(m.customdata) == pytest.approx([v.total[k] for k in RES])
    assert list(m.y) == pytest.approx([v.utilisation[k] for k in RES])
    assert all(VSYNTH_LABEL in h and v.tool in h for h in m.hovertext)
    c = estimate_design(seed)
    bars = [t for t in plot.figure.data if (t.meta or {}).get("hlsnb") == "estimate"]
    assert all(ESTIMATE_LABEL in h and c.tool in h for t in bars if t.meta["layer"] != "(top level)"
               for h in t.hovertext)
    title = plot.figure.layout.title.text
    assert ESTIMATE_LABEL in title and VSYNTH_LABEL in title
    assert all("Vivado" in t for t in plot.figure.layout.xaxis.ticktext)
    # recomputed on every design change, with the bars
    seed.set("fc2", reuse_factor=32)
    v2 = estimate_design(seed, stage="vsynth")
    assert list(_marker(plot.figure).y) == pytest.approx([v2.utilisation[k] for k in RES])
    assert list(_marker(plot.static()).customdata) == pytest.approx([v2.total[k] for k in RES])
    assert not [t for t in estimate_figure(estimate_design(seed)).data if (t.meta or {}).get("hlsnb") == "vsynth"]
    plot.close()


# ---------------------------------------------------------------- explorer
def test_explorer_stage_switches_badges_warnings_and_fit(latency_rf1):
    d = latency_rf1
    ex = Explorer(d, live=False)
    assert ex.stage == "csynth" and ex.stage_choice.value == "csynth"
    over = {s: _over_layers(d, s) for s in ("csynth", "vsynth")}
    assert "fc1" in over["csynth"]  # 1024 products unrolled, > 220 DSPs
    badge = {}
    for s in ("csynth", "vsynth"):
        ex.stage_choice.value = s  # the toggle drives the trait
        assert ex.stage == s and ex.estimate.stage == s
        label = STAGE_NAMES[s]
        other = STAGE_NAMES["vsynth" if s == "csynth" else "csynth"]
        badge[s] = ex.configurator.rows["fc1"].badge.value
        for name in ("fc1", "fc2", "fc3", "output"):
            b = ex.configurator.rows[name].badge.value
            assert (f"over board ({label})" in b) == (name in over[s]), (s, name, b)
            assert f"over board ({other})" not in b
        est = estimate_design(d, stage=s)
        assert est.tool in ex.stage_info.value and label.split()[-1] in ex.stage_info.value
        is_over = any(est.utilisation[k] > 100 for k in RES)
        assert ("Over the board" in ex.warnings.value) == is_over
        if is_over:
            assert ("post-synthesis" if s == "vsynth" else "csynth") in ex.warnings.value
        assert ex.explain("fc1", "lut").count(f"LUT: {est.layer('fc1').lut:,.0f}") == 1
        ex.fit_button.click()  # the button fits at the Explorer's stage
        assert ex.last_fit.stage == s and STAGE_NAMES[s].split()[-1] in ex.fit_report.value
        d.set_all(strategy="Latency", reuse_factor=1)  # back to the over-board start for the next stage
    assert badge["csynth"] != badge["vsynth"]
    assert ex.fit_to_board(0.8, apply=False, stage="csynth").stage == "csynth"  # an explicit stage wins
    ex.stage = "vsynth"
    assert ex.stage_choice.value == "vsynth"
    ex.close()


# ---------------------------------------------------------------- fit
@pytest.mark.parametrize("target", [0.8, 0.3])
def test_fit_against_post_synthesis(latency_rf1, target):
    r = fit_to_board(latency_rf1, target, stage="vsynth")
    assert r.stage == "vsynth" and r.estimate.stage == "vsynth"
    assert "Vivado post-synthesis, estimated by hlsnb" in r.summary()
    v = estimate_design(r.design, stage="vsynth")  # verified independently of what the result says
    assert v.latency_cycles == r.estimate.latency_cycles
    assert r.fits == all(v.utilisation[k] <= 100 * target + 1e-9 for k in RES)
    if r.fits:
        assert all(r.utilisation[k] <= 100 * target + 1e-9 for k in RES)


def test_seed_design_verdicts_per_stage(seed):
    """The forum user's 90 % was an HLS csynth number: judged by what Vivado places, the verdict may change."""
    as_is = {s: estimate_design(seed, stage=s) for s in ("csynth", "vsynth")}
    for target in (0.9, 0.8, 0.5):
        fits = {s: all(as_is[s].utilisation[k] <= 100 * target + 1e-9 for k in RES) for s in as_is}
        results = {s: fit_to_board(seed, target, stage=s) for s in as_is}
        for s, r in results.items():
            assert r.stage == s
            assert r.start.utilisation == pytest.approx(as_is[s].utilisation)  # the start, judged at its stage
            own = estimate_design(r.design, stage=s)
            assert r.fits == all(own.utilisation[k] <= 100 * target + 1e-9 for k in RES), (s, target)
        # what the numbers say about the design as the user had it: differing verdicts come from differing numbers
        worst = {s: max(as_is[s].utilisation[k] for k in RES) for s in as_is}
        assert fits["csynth"] == (worst["csynth"] <= 100 * target + 1e-9)
        assert fits["vsynth"] == (worst["vsynth"] <= 100 * target + 1e-9)
        if fits["csynth"] != fits["vsynth"]:
            assert (worst["csynth"] - 100 * target) * (worst["vsynth"] - 100 * target) < 0


def test_fit_refuses_an_unknown_stage(seed):
    with pytest.raises(ValueError, match="stage 'impl'.*'csynth', 'vsynth'"):
        fit_to_board(seed, 0.8, stage="impl")


# ---------------------------------------------------------------- CLI
def test_cli_estimate_stage(seed, tmp_path, capsys):
    from hlsnb.cli import main

    path = tmp_path / "d.json"
    seed.to_json(str(path))
    for stage, words in (("vsynth", "Vivado post-synthesis, estimated by hlsnb"),
                         ("csynth", "HLS csynth estimate, estimated by hlsnb")):
        args = ["estimate", str(path)] + (["--stage", stage] if stage == "vsynth" else [])
        assert main(args) == 0
        out = capsys.readouterr().out
        est = estimate_design(seed, stage=stage)
        head = out.splitlines()[0]
        assert words in head and "estimated by hlsnb" in head and est.tool in head
        assert f"lut {est.total['lut']:.0f} ({est.utilisation['lut']:.1f} %)" in out


def test_a_report_shows_what_it_is_without_the_machine_path(monkeypatch, tmp_path):
    """A replayed build's report, shown in a notebook: its stage and tool, the design, the whole design and each
    layer with thousands separators, and a short relative file name, never the absolute path of the clone (whose
    length decided whether notebook 04's output line wrapped mid-word)."""
    from pathlib import Path

    from hlsnb.synth import REPLAY_DIR, replay_build
    from hlsnb.synth.reports import short_name

    monkeypatch.chdir(tmp_path)  # a notebook's working folder, outside the clone
    report = replay_build(REPLAY_DIR, echo=False).report("csynth")
    root = str(Path(__file__).resolve().parents[1])
    for shown in (str(report), repr(report)):
        assert root not in shown and report.path not in shown
        assert "hlsnb/synth/replay/cardio_mlp/" in shown
    text = str(report)
    from hlsnb import vocab

    assert text.startswith(f"{vocab.STAGE_LABELS['csynth']} report (replay")
    assert "design 'myproject' on xc7z007s-clg225-2, vitis_hls 2021.1" in text
    assert "whole design: DSP 0, LUT 5,243, FF 2,585" in text and "latency 22 cycles" in text
    assert len(text.splitlines()) == 3 + len(report.layers) + 1
    html = report._repr_html_()
    assert "replay" in html and "5,243" in html and f"title='{report.path}'" in html  # full path on hover only
    assert html.count(root) == 1
    assert short_name(tmp_path / "a" / "b.rpt") == "a/b.rpt"
    assert short_name("/elsewhere/deep/x/y/z.rpt") == ".../x/y/z.rpt"
