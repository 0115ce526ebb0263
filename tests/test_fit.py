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
    for name, pf in result.parallelization.items():
        # only factors hls4ml builds as given (it would silently replace any other)
        assert pf in result.design.valid_parallelization_factors(name)
        assert result.design.layer(name).parallelization_factor == pf
        assert result.design.to_hls4ml_config()["LayerName"][name].get("ParallelizationFactor", 1) == pf
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
        for n, (s, rf, _) in zip(mult, combo):  # an MLP: no ParallelizationFactor (None)
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
    assert "io_stream" not in result.summary()  # an MLP: no convolution to stream


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


# ---------------------------------------------------------------- ParallelizationFactor (io_parallel convolutions)
# zoo_models.rf_image: Conv2D c2 (4x4 output: 16 pixels, factors 1 2 4 8 16), DepthwiseConv2D dw2 (2x2: 1 2 4) and
# Dense fc, untrained (geometry is what the estimator reads), io_parallel on the PYNQ-Z2.

@pytest.fixture(scope="module")
def conv_model():
    import zoo_models  # tests/zoo_models.py

    return zoo_models.rf_image()


@pytest.fixture()
def conv_design(conv_model):
    return Design.from_keras(conv_model, board="pynq-z2")  # a fresh one per test (milliseconds)


@pytest.mark.parametrize(("stage", "target"), [("csynth", 0.8), ("csynth", 0.1), ("vsynth", 0.1), ("vsynth", 0.05)])
def test_the_factor_is_searched_with_strategy_and_reuse(conv_design, stage, target):
    d = conv_design
    before = d.to_hls4ml_config()
    fixed = fit_to_board(d, target, stage=stage, parallelization=False)
    result = fit_to_board(d, target, stage=stage)
    assert d.to_hls4ml_config() == before  # pure
    assert result.fits and fixed.fits
    est = estimate_design(result.design, stage=stage)  # verified independently of what the result says
    assert all(est.utilisation[r] <= 100 * target + 1e-9 for r in RES), est.utilisation
    _check_fits(result, 1.0)
    # every io_parallel convolution (the depthwise one too) searched, Dense never
    assert set(result.parallelization) == {"c2", "dw2"}
    assert "fc" not in result.parallelization and fixed.parallelization == {}
    # never slower than the search with every factor kept
    assert result.estimate.latency_cycles <= fixed.estimate.latency_cycles
    assert result.seconds < 5


def test_more_pixels_at_once_is_faster_and_said(conv_design):
    d = conv_design
    fixed = fit_to_board(d, 0.8, parallelization=False)
    result = fit_to_board(d, 0.8)
    # under 80 % of the PYNQ-Z2 this small model has room for more pixels at once: strictly faster
    assert result.estimate.latency_cycles < fixed.estimate.latency_cycles
    changed = {n: pf for n, pf in result.parallelization.items() if pf != 1}
    assert changed
    text = result.summary()
    for n, pf in changed.items():  # the change is said per layer, old -> new, like a strategy or RF change
        line = next(x for x in result.reasons if x.startswith(f"{n} "))
        assert f"ParallelizationFactor 1 -> {pf}" in line and line in text
        assert "latency" in line
    assert f"latency {result.start.latency_cycles:,} -> {result.estimate.latency_cycles:,} cycles" in text


def test_apply_sets_the_factors_in_one_step_and_round_trips(conv_design):
    d = conv_design
    result = fit_to_board(d, 0.8)
    heard = []
    d.observe(heard.append)
    changes = result.apply(d)
    assert heard == ["*"]  # one change for the observers
    for n, pf in result.parallelization.items():
        assert d.layer(n).parallelization_factor == pf
        if pf != 1:
            assert changes[n]["parallelization_factor"] == pf
    assert d.to_hls4ml_config() == result.design.to_hls4ml_config()
    assert estimate_design(d).latency_cycles == result.estimate.latency_cycles
    again = Design.from_json(d.to_json())  # the factors survive the design file
    assert {n: again.layer(n).parallelization_factor for n in result.parallelization} == result.parallelization
    assert result.apply(d) == {}  # nothing left to change


def test_the_users_factor_is_the_start_and_the_switch_keeps_it(conv_design):
    d = conv_design
    d.set_parallelization("c2", 4)
    d.set("c2", strategy="Resource", reuse_factor=18)
    off = fit_to_board(d, 0.8, parallelization=False)
    assert off.parallelization == {} and off.design.layer("c2").parallelization_factor == 4
    assert "kept as the design has it: c2 4, dw2 1" in off.summary()
    assert all("ParallelizationFactor" not in c for c in off.apply(d).values())
    assert d.layer("c2").parallelization_factor == 4 and d.layer("dw2").parallelization_factor == 1
    on = fit_to_board(d, 0.8)  # searched from the user's factor: the result says what became of it
    line = next(x for x in on.reasons if x.startswith("c2 "))
    pf = on.parallelization["c2"]
    assert (f"ParallelizationFactor 4 -> {pf}" in line) if pf != 4 else line.endswith("ParallelizationFactor 4")
    assert on.estimate.latency_cycles <= off.estimate.latency_cycles
    only = fit_to_board(d, 0.8, parallelization=["dw2"])  # a list: those only
    assert set(only.parallelization) == {"dw2"} and only.design.layer("c2").parallelization_factor == 4
    assert "kept as the design has it: c2 4." in only.summary()


def test_io_stream_and_dense_layers_never_get_a_factor(conv_design):
    d = conv_design
    d.set_parallelization("c2", 8)
    d.set_target(io_type="io_stream")
    result = fit_to_board(d, 0.8)
    assert result.parallelization == {}
    assert result.design.layer("c2").parallelization_factor == 8  # kept for io_parallel, never touched
    assert not any("ParallelizationFactor" in x for x in result.reasons)
    from hlsnb.train import build_mlp

    mlp = fit_to_board(Design.from_keras(build_mlp(n_in=8, hidden=(8,), n_out=3, seed=0), board="pynq-z2"), 0.8)
    assert mlp.parallelization == {} and not any("ParallelizationFactor" in x for x in mlp.reasons)


@pytest.mark.parametrize(("bad", "says"), [
    ("yes", "'yes' is not valid"), (4, "4 is not valid"), (None, "None is not valid"),
    (["fc"], "'fc' (Dense), which takes no ParallelizationFactor"), (["nope"], "'nope', which is not a layer"),
])
def test_a_bad_parallelization_is_refused_naming_what_is_valid(conv_design, bad, says):
    from hlsnb.errors import HlsnbError, InvalidSetting

    with pytest.raises(InvalidSetting, match="parallelization") as e:
        fit_to_board(conv_design, 0.8, parallelization=bad)
    assert isinstance(e.value, HlsnbError)
    assert says in str(e.value) and "'c2', 'dw2'" in str(e.value)  # the valid ones


def test_io_stream_refuses_a_named_factor(conv_design):
    from hlsnb.errors import InvalidSetting

    conv_design.set_target(io_type="io_stream")
    with pytest.raises(InvalidSetting, match="'c2', but the design is io_stream"):
        fit_to_board(conv_design, 0.8, parallelization=["c2"])


@pytest.fixture(scope="module")
def tiny_cnn_exhaustive():
    """A Conv2D (3x3 output: factors 1 3 9) and a DepthwiseConv2D (2x2: 1 2 4), io_parallel on the PYNQ-Z2, and the
    csynth estimate of every (strategy, ReuseFactor, ParallelizationFactor) combination the search may pick."""
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((5, 5, 2)), keras.layers.Conv2D(3, 3, name="c"),
                              keras.layers.DepthwiseConv2D(2, name="dw"), keras.layers.Flatten(name="f")])
    d = Design.from_keras(model, board="pynq-z2")
    opts = [_options(d, n, DEFAULT_STRATEGIES, d.valid_parallelization_factors(n)) for n in ("c", "dw")]
    table = []
    for combo in itertools.product(*opts):
        x = d.copy()
        for n, (s, rf, pf) in zip(("c", "dw"), combo):
            x.set(n, strategy=s, reuse_factor=rf, notify=False)
            x.set_parallelization(n, pf, notify=False)
        e = estimate_design(x)
        table.append((e.latency_cycles, e.utilisation))
    return d, table


@pytest.mark.parametrize("target", [1.0, 0.5, 0.2, 0.1, 0.05])
def test_the_factor_search_is_near_the_exhaustive_optimum(tiny_cnn_exhaustive, target):
    d, table = tiny_cnn_exhaustive
    fitting = [lat for lat, util in table if all(util[r] <= 100 * target for r in RES)]
    result = fit_to_board(d, target)
    assert result.fits == bool(fitting)
    if fitting:
        _check_fits(result, target)
        assert result.estimate.latency_cycles <= 1.15 * min(fitting) + 2
        assert result.estimate.latency_cycles <= fit_to_board(d, target, parallelization=False).estimate.latency_cycles


def test_latency_copies_count_against_the_unroll_limit():
    import keras

    keras.utils.set_random_seed(0)
    # 3x3x8 -> 16 filters: 1,152 products per pixel; 8x8 = 64 pixels: 4 at once is over Vivado HLS's ~4,096
    model = keras.Sequential([keras.Input((10, 10, 8)), keras.layers.Conv2D(16, 3, name="c"),
                              keras.layers.Flatten(name="f"), keras.layers.Dense(4, name="o")])
    d = Design.from_keras(model, board="zcu102")
    opts = _options(d, "c", DEFAULT_STRATEGIES, d.valid_parallelization_factors("c"))
    assert ("Latency", 1, 2) in opts and ("Latency", 2, 4) in opts and ("Latency", 1, 4) not in opts
    held = d.copy()
    held.set_parallelization("c", 4)  # not searched: the factor the design holds counts the same way
    kept = _options(held, "c", DEFAULT_STRATEGIES)
    assert ("Latency", 1, None) not in kept and ("Latency", 2, None) in kept
    result = fit_to_board(d, 1.0)
    s, rf = result.choices["c"]
    pf = result.parallelization["c"]
    assert s != "Latency" or pf * 1152 // rf <= rules.UNROLL_LIMIT
    _check_fits(result, 1.0)  # and the design says nothing is over the limit


def test_the_board_check_fix_names_the_factors(conv_design):
    from hlsnb.fit import check_board

    d = conv_design
    d.set_parallelization("c2", 16)  # every pixel at once: over the PYNQ-Z2's LUTs after synthesis (estimated)
    d.set_parallelization("dw2", 4)
    check = check_board(d)
    assert not check.fits and check.suggestion is not None and check.suggestion.parallelization
    for n, pf in check.suggestion.parallelization.items():
        assert f"{n} {' RF '.join(map(str, check.suggestion.choices[n]))} ParallelizationFactor {pf}" in check.fix
    fixed = d.copy()
    check.suggestion.apply(fixed)
    assert check_board(fixed).fits  # the fix it names does fit, by the same check


def test_an_io_parallel_cnn_that_cannot_fit_is_pointed_at_io_stream(conv_design):
    result = fit_to_board(conv_design, 0.02)
    assert not result.fits and any(v > 2 for v in result.floor.values())
    assert "io_stream, whose convolutions hold a few image rows in line buffers" in result.summary()
    conv_design.set_target(io_type="io_stream")
    assert "set_target(io_type='io_stream')" not in fit_to_board(conv_design, 0.02).summary()  # already streams


def test_the_board_check_searches_at_its_own_stage_before_saying_nothing_fits(conv_design):
    """A csynth target no choice meets (2 %) must not make check_board say "no choice fits" when a choice fits the
    part by the stage it judges (Vivado post-synthesis under 100 %): it searches at that stage too."""
    from hlsnb.fit import check_board

    d = conv_design
    d.set_parallelization("c2", 16)  # over the PYNQ-Z2 after synthesis (estimated), as above
    d.set_parallelization("dw2", 4)
    assert not fit_to_board(d, 0.02).fits  # the csynth search alone finds nothing
    check = check_board(d, target=0.02)
    assert not check.fits and check.suggestion is not None, check.fix
    assert "stage='vsynth'" in check.fix and "No Strategy" not in check.fix
    fixed = d.copy()
    check.suggestion.apply(fixed)
    assert check_board(fixed).fits
