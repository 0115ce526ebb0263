"""Fit to board: the result fits by the estimator, is near the exhaustive optimum, and says so when nothing fits."""

from __future__ import annotations

import itertools

import pytest

from hlsnb import rules
from hlsnb.design import Design
from hlsnb.estimate import estimate_design
from hlsnb.fit import DEFAULT_STRATEGIES, _options, fit_to_board
from hlsnb.widgets import Explorer

RES = ("dsp", "lut", "ff", "bram18k")


@pytest.fixture(scope="module")
def tutorial_design():
    from hlsnb.train import build_mlp

    return Design.from_keras(build_mlp(seed=0), board="pynq-z2")  # 16-64-32-32-5


@pytest.fixture(scope="module")
def small_design():
    from hlsnb.train import build_mlp

    return Design.from_keras(build_mlp(n_in=16, hidden=(32,), n_out=5, seed=0), board="pynq-z2")


def _check_fits(result, target):
    est = estimate_design(result.design)  # verify independently of what the result says
    assert all(est.utilisation[r] <= 100 * target + 1e-9 for r in RES), est.utilisation
    assert est.latency_cycles == result.estimate.latency_cycles
    for name, (s, rf) in result.choices.items():
        assert rf in result.design.valid_reuse_factors(name, s)
        l = result.design.layer(name)
        assert (l.strategy, l.reuse_factor) == (s, rf)
    assert not [w for w in result.design.warnings() if "unroll limit" in w]


@pytest.mark.parametrize("target", [0.8, 0.5, 0.25])
def test_result_fits_by_the_estimator(tutorial_design, target):
    before = tutorial_design.to_hls4ml_config()
    result = fit_to_board(tutorial_design, target)
    assert tutorial_design.to_hls4ml_config() == before  # pure: the input is not changed
    assert result.fits
    _check_fits(result, target)
    assert result.seconds < 5
    start = estimate_design(tutorial_design)
    assert start.utilisation["dsp"] > 100  # Latency RF 1 does not fit: the search had work to do
    text = result.summary()
    assert f"Fits under {100 * target:.0f}%" in text and "estimated by hlsnb" in text
    assert all(n in text for n in ("fc1", "fc2", "fc3", "output"))


@pytest.mark.parametrize("target", [0.8, 0.3, 0.15, 0.08])
def test_near_the_exhaustive_optimum(small_design, target):
    d = small_design
    mult = [l.name for l in d.layers if l.is_mult_layer]
    opts = [_options(d, n, DEFAULT_STRATEGIES) for n in mult]
    best = None
    for combo in itertools.product(*opts):
        x = d.copy()
        for n, (s, rf) in zip(mult, combo):
            x.set(n, strategy=s, reuse_factor=rf, notify=False)
        e = estimate_design(x)
        if all(e.utilisation[r] <= 100 * target for r in RES):
            best = e.latency_cycles if best is None else min(best, e.latency_cycles)
    result = fit_to_board(d, target)
    if best is None:
        assert not result.fits
    else:
        assert result.fits
        _check_fits(result, target)
        assert result.estimate.latency_cycles <= 1.15 * best + 2


def test_nothing_fits_is_said_and_changes_nothing(tutorial_design):
    d = tutorial_design.copy()
    ex = Explorer(d, live=False)
    before = d.to_hls4ml_config()
    result = ex.fit_to_board(0.02)
    assert not result.fits
    assert result.over()
    assert d.to_hls4ml_config() == before
    assert "Nothing found that fits under 2%" in result.summary()
    assert "not changed" in result.summary()
    assert "Nothing found" in ex.fit_report.value
    # the floor explains why: even each layer's smallest option leaves the design over the target
    assert any(v > 2 for v in result.floor.values())


def test_explorer_applies_the_fit(tutorial_design):
    d = tutorial_design.copy()
    ex = Explorer(d)
    result = ex.fit_to_board(0.8)
    assert result.fits and ex.last_fit is result
    for name, (s, rf) in result.choices.items():
        assert (d.layer(name).strategy, d.layer(name).reuse_factor) == (s, rf)
        assert ex.configurator.rows[name].reuse_factor.value == rf
    assert d.to_hls4ml_config() == result.design.to_hls4ml_config()
    assert all(ex.estimate.utilisation[r] <= 80 + 1e-9 for r in RES)
    assert "Fits under 80%" in ex.fit_report.value


def test_strategies_restrict_the_search(tutorial_design):
    result = fit_to_board(tutorial_design, 0.8, strategies=("Resource",))
    assert {s for s, _ in result.choices.values()} == {"Resource"}
    assert result.fits
    _check_fits(result, 0.8)


def test_never_latency_over_the_unroll_limit():
    from hlsnb.design import UnrollLimitWarning
    from hlsnb.train import build_mlp

    with pytest.warns(UnrollLimitWarning):
        d = Design.from_keras(build_mlp(n_in=128, hidden=(64,), n_out=5, seed=0), board="zcu102")
    result = fit_to_board(d, 1.0)
    s, rf = result.choices["fc1"]
    assert not (s == "Latency" and 128 * 64 // rf > rules.UNROLL_LIMIT)
    assert result.fits
    _check_fits(result, 1.0)


@pytest.mark.parametrize("bad", [0, -0.5, 1.5, "80%"])
def test_invalid_target(tutorial_design, bad):
    with pytest.raises(ValueError, match="target"):
        fit_to_board(tutorial_design, bad)


def test_fit_table_one_column_per_stage_and_a_verdict_in_every_mode():
    """"Does it fit?" has one answer per stage, with the binding resource named; a measured report over the part
    (Yosys's 67,980 LUTs on the xc7z020: 128 %) says "does not fit" like an estimate does."""
    from hlsnb.design import Design
    from hlsnb.estimate import estimate_design
    from hlsnb.fit import fit_table
    from hlsnb.synth.reports import Report, ReportRow
    from hlsnb.train import build_mlp

    design = Design.from_keras(build_mlp(seed=0), board="pynq-z2")  # Latency RF 1: DSPs far over the part
    yosys = Report(path="open_synth/model", kind="yosys", tool="Yosys 0.23", part="xc7z020", clock_ns=10.0,
                   rows=[ReportRow(scope="model", name="model", stage="yosys", lut=67_980, ff=0, dsp=0, bram18k=0)])
    table = fit_table(design, reports=[yosys])
    from hlsnb import vocab

    assert [c.label for c in table.columns] == [vocab.STAGE_LABELS[s] for s in ("csynth", "vsynth", "yosys")]
    assert [c.source for c in table.columns] == ["estimated by hlsnb"] * 2 + ["measured (Yosys 0.23)"]
    for c, stage in zip(table.columns, ("csynth", "vsynth")):
        est = estimate_design(design, stage=stage)
        assert c.counts["dsp"] == est.total["dsp"] and c.pct["dsp"] == pytest.approx(est.utilisation["dsp"])
        assert not c.fits and c.binding == max(est.utilisation, key=est.utilisation.get)
    ys = table.columns[-1]
    assert not ys.fits and not table.fits and ys.binding == "lut"
    assert ys.pct["lut"] == pytest.approx(100 * 67_980 / 53_200)
    text = table.summary().splitlines()[-1]
    assert text.startswith(f"{vocab.STAGE_LABELS['yosys']} (measured (Yosys 0.23)): does not fit the xc7z020; "
                           "binding resource LUT 127.8% (67,980 of 53,200)")
    html = table._repr_html_()
    assert html.count("does not fit") == 3 and "67,980 (127.8%)" in html
