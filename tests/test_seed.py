"""The seed answer on the forum's design (hlsnb.widgets.seed): both strategies and the 16-bit dense what-if, the
ordering told with its error bars, why item by item from the estimator's breakdown, the README block from the
same code. Nothing here types in an estimate: every expected number is read from hlsnb.estimate."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from hlsnb.estimate import estimate_design
from hlsnb.forum import PUBLIC_ZEROS, dense16_what_if, forum_design, hgq_design, zero_counts
from hlsnb.widgets.seed import (
    CASES,
    GROUPS,
    HGQ_STEP,
    PUBLIC_LATENCY_REPORT,
    REPORTS,
    STRATEGIES,
    breakdown_figure,
    items,
    readme_markdown,
    reports_table,
    rf_rule_curve,
    seed_answer,
    steps,
    term_group,
    totals_figure,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def answer():
    return seed_answer()  # the public build's design: no Keras, deterministic


def test_public_latency_report_is_the_calibration_datas(calibration_dir):
    import csv

    path = calibration_dir / "reports3.csv"
    if not path.exists():
        pytest.skip(f"{path} not found")
    with open(path, newline="") as f:
        row = next(r for r in csv.DictReader(f) if r["source"].endswith("csynth.rpt#grp_myproject_fu_234"))
    assert {k: float(row[k]) for k in PUBLIC_LATENCY_REPORT} == PUBLIC_LATENCY_REPORT
    assert row["strategy"] == "latency" and row["reuse_factor"] == "64" and row["part"].startswith("xc7z020")


def test_the_answer_is_about_the_forums_design_and_its_what_if(answer):
    for s in STRATEGIES:
        f, d = answer.designs["forum"][s], answer.designs["dense16"][s]
        assert zero_counts(f) == PUBLIC_ZEROS and all(z == 0 for z, _ in zero_counts(d).values())
        assert {l.weight_precision for l in f.layers if l.weight_precision} == {"ap_fixed<6,1>"}
        assert {l.reuse_factor for l in f.layers if l.is_mult_layer} <= {64, 32}
        assert answer.estimates["forum"][s].total == estimate_design(f).total  # computed, not stored
        assert answer.post_synthesis["forum"][s].stage == "vsynth"
    assert not answer.trained and set(answer.estimates) == set(CASES)


def test_ordering_and_verdict_follow_the_numbers_and_error_bars(answer):
    for case in CASES:
        for s in STRATEGIES:  # each estimate's own regime, measured, not typed in
            bar = answer.errors[case][s]
            e = answer.estimates[case][s].regime["design"]
            assert bar["n"] == e.n > 0 and bar["lut"] == e.lut == answer.error(s, "lut", case)
            assert s in bar["regime"]
    assert answer.error("Latency") != answer.error("Resource")  # not one global figure
    assert answer.error_text("lut") in answer.verdict and "±35" not in answer.verdict
    for case in CASES:
        who = answer.ordering("lut", case)
        (la, lb), (ra, rb) = answer.interval("Latency", "lut", case), answer.interval("Resource", "lut", case)
        assert (who is None) == (la <= rb and ra <= lb)
        for s in STRATEGIES:
            assert f"{answer.total(s, 'lut', case):,.0f}" in answer.verdict
    v = answer.verdict
    if answer.flips:
        assert "The ordering flips" in v
    else:
        assert "within the error bars" in v or "does not" in v
    rl, rr = REPORTS["Latency"][0]["lut"], REPORTS["Resource"][0]["lut"]
    assert f"{rl:,.0f}" in v and f"{rr:,.0f}" in v and answer.report_ordering == "Resource"


def test_a_difference_inside_the_error_bars_is_said_so(answer):
    import copy

    a = copy.copy(answer)
    def widen(v):
        return {c: {s: {**b, "lut": v} for s, b in bs.items()} for c, bs in answer.errors.items()}

    a.errors = widen(10.0)  # an error bar wider than any difference
    assert a.ordering("lut", "forum") is None and not a.flips
    assert "within the error bars" in a.verdict
    a.errors = widen(0.0)
    assert a.ordering("lut", "dense16") == a.larger("lut", "dense16")


def test_items_and_steps_are_the_estimators_breakdown(answer):
    t = items(answer)
    total = t.rows[-1]
    assert total[0] == "total"
    for i, (c, s) in enumerate([(c, s) for c in CASES for s in STRATEGIES], start=1):
        assert total[i] == f"{answer.total(s, 'lut', c):,.0f}"
        summed = sum(float(r[i].replace(",", "")) for r in t.rows[:-1])
        assert summed == pytest.approx(answer.total(s, "lut", c), abs=len(t.rows))
    st = steps(answer)
    assert st.rows[0][1] == f"{answer.total('Latency', 'lut', 'dense16'):,.0f}"
    assert st.rows[-1][3] == f"{answer.total('Resource', 'lut', 'forum'):,.0f}"
    assert "%" not in str(st.rows[0][2]) and "LUTs" in st.title and "HLS csynth" in st.title
    r = reports_table(answer)
    assert any("47,883" in row for row in r.rows) and "Resource: output RF 32" in r.note
    assert "Latency: none" in r.note  # hls4ml keeps Latency's 64 on the 32x5 output layer
    # the public Latency build's timing beside the estimate (the forum's Resource report has none)
    timing = {row[0]: row for row in r.rows if "cycles" in row[0]}
    assert set(timing) == {"Latency II (cycles)", "Latency latency (cycles)"}
    est = answer.estimates["forum"]["Latency"]
    assert timing["Latency II (cycles)"][1:3] == [f"{est.ii:,}", "15"]
    assert timing["Latency latency (cycles)"][1:3] == [f"{est.latency_cycles:,}", "55"]
    # printed text fits a notebook's output area (88 characters): the notebook prints this table
    assert max(len(line) for line in str(r).splitlines()) <= 88
    assert "<table>" in t._repr_html_() and "forum Resource" in str(t)


def test_what_if_of_a_trained_model(forum_model):
    a = seed_answer(forum_model, error=False)
    assert a.trained and a.errors == {} and a.error("Latency") == 0.0
    d = a.designs["forum"]["Latency"]
    assert zero_counts(d) == zero_counts(forum_design(forum_model))
    assert zero_counts(a.designs["dense16"]["Resource"]) == zero_counts(dense16_what_if(forum_design()))
    # the forum's types on the trained weights; HGQ2's narrower types are an extra step after the forum's design
    assert [l.accum_precision for l in d.layers] == [l.accum_precision for l in forum_design(forum_model).layers]
    (label_f, est_f), (label_h, est_h) = a.steps[-2:]
    assert "= the forum's design" in label_f and label_h == HGQ_STEP
    for s in STRATEGIES:
        assert est_f[s].total == a.estimates["forum"][s].total
        assert est_h[s].total == estimate_design(hgq_design(forum_model, strategy=s)).total
    assert steps(a).rows[-1][0] == HGQ_STEP


def test_seed_charts_are_what_the_estimate_says(answer):
    fig = breakdown_figure(answer)
    totals = next(t for t in fig.data if t.type == "scatter")
    stacked = [sum(t.y[i] for t in fig.data if t.type == "bar") for i in range(len(totals.y))]
    assert stacked == pytest.approx(list(totals.y))
    assert sum(stacked) == pytest.approx(sum(answer.total(s) for s in STRATEGIES), abs=len(stacked))
    assert {t.name for t in fig.data if t.type == "bar"} <= set(GROUPS)
    assert term_group("accumulator write select: each of the 64 accumulators") == "accumulator select (RF > n_in)"
    assert term_group("relu: compare and select", "Activation") == "activations"
    tot = totals_figure(answer)
    bars = {t.name.split(",")[0]: t for t in tot.data if t.type == "bar"}
    assert list(bars["Resource"].y) == pytest.approx([answer.total("Resource", "lut", c) for c in CASES])
    import re

    for f in (tot, fig):  # titles fit a notebook-wide figure: short lines, the detail in smaller ones below
        head, *subs = [re.sub("<[^>]+>", "", x) for x in f.layout.title.text.split("<br>")]
        assert len(head) <= 65 and all(len(x) <= 95 for x in subs), f.layout.title.text
    marks = [t for t in tot.data if t.type == "scatter"]
    assert sorted(m.y[0] for m in marks) == sorted(REPORTS[s][0]["lut"] for s in STRATEGIES)


def test_the_rf_rule_is_visible_in_the_curve(answer):
    curve = dict(rf_rule_curve(answer, "fc1")["Resource"])
    n_in = 16
    assert curve[n_in] < curve[2 * n_in]  # past RF = n_in Resource pays the accumulator select


def test_readme_seed_block_is_generated_from_the_same_code(answer):
    text = (ROOT / "README.md").read_text()
    block = text.split("<!-- seed:begin -->\n")[1].split("\n<!-- seed:end -->")[0]
    assert block == readme_markdown(answer), "README is out of date: run python tools/readme_numbers.py"
    # the tool itself, in this process (the estimator's error bar is cached: no second 20 s leave-one-out)
    spec = importlib.util.spec_from_file_location("readme_numbers", ROOT / "tools" / "readme_numbers.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    assert tool.main(["--check"]) == 0


def test_the_ordering_is_said_with_its_own_measured_error(answer):
    """The seed answer says the error bar of the ordering itself (the Resource/Latency ratio on held-out layers built
    both ways), computed from the shipped measurement, and whether the estimated ratio is beyond it."""
    import copy

    from hlsnb.estimate import regime_errors

    shipped = regime_errors()["paired"]
    assert answer.paired["n"] == shipped["n"] and answer.paired["lut"] == shipped["lut"]
    r = answer.ratio("lut")
    assert r == pytest.approx(answer.total("Resource") / answer.total("Latency"))
    assert answer.ratio_beyond_paired("lut") == (r > 1 + shipped["lut"] or r < 1 / (1 + shipped["lut"]))
    assert f"±{100 * shipped['lut']:.0f} %" in answer.verdict and f"{r:.2f}" in answer.verdict
    a = copy.copy(answer)
    a.paired = dict(answer.paired, lut=0.05)  # a narrow ordering error: the ratio is beyond it
    assert a.ratio_beyond_paired("lut") is (r > 1.05) and ("is beyond it" in a.verdict) == (r > 1.05)
    a.paired = {}
    assert a.ratio_beyond_paired("lut") is None and "ordering itself" not in a.verdict
