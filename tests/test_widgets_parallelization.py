"""The ParallelizationFactor menu of io_parallel convolutions in the configurator / Explorer, without a browser:
set the Dropdown's value as the browser would, assert on the Design, its hls4ml config, the estimate and the figure.
The design: tests/zoo_models.rf_image (Conv2D 4x4x3 output = 16 pixels, DepthwiseConv2D 2x2x3 = 4 pixels, Dense),
untrained (geometry is what matters)."""

from __future__ import annotations

import json

import pytest
import traitlets
import zoo_models  # tests/zoo_models.py

from hlsnb.design import Design
from hlsnb.estimate import estimate_design
from hlsnb.widgets import Explorer, LayerConfigurator


@pytest.fixture(scope="module")
def model():
    return zoo_models.rf_image()


@pytest.fixture()
def design(model):
    return Design.from_keras(model, board="pynq-z2")  # a fresh one per test (milliseconds: no weights are trained)


def _trace_pct(fig, layer):
    return next(list(t.y) for t in fig.data if (t.meta or {}).get("hlsnb") == "estimate" and t.meta["layer"] == layer)


def _layer_pct(design, layer):
    est = estimate_design(design)
    cap, le = est.part.capacity(), est.layer(layer)
    return [100.0 * float(getattr(le, k) or 0) / cap[k] for k in ("dsp", "lut", "ff", "bram18k")]


def test_the_menu_offers_the_factors_hls4ml_builds(design):
    cfg = LayerConfigurator(design)
    c2, dw2 = cfg.rows["c2"].parallelization_factor, cfg.rows["dw2"].parallelization_factor
    # hls4ml 1.3: the divisors of the output pixels up to half of them, and all of them
    assert tuple(c2.options) == design.valid_parallelization_factors("c2") == (1, 2, 4, 8, 16)
    assert tuple(dw2.options) == design.valid_parallelization_factors("dw2") == (1, 2, 4)
    # unset: the Design carries no key (hls4ml's default, 1, is what it builds) and the menu shows 1
    assert "ParallelizationFactor" not in design.layer("c2").extra
    assert c2.value == 1 and dw2.value == 1 and not c2.disabled
    before = design.to_hls4ml_config()
    with pytest.raises(traitlets.TraitError):
        c2.value = 3  # hls4ml would build 2: not offered
    assert design.to_hls4ml_config() == before
    # the column sits right after ReuseFactor, under hls4ml's name
    titles = [w.value for w in cfg.children[2].children]
    assert titles[5] == "<b>ReuseFactor</b>" and "Parallelization<wbr>Factor" in titles[6]
    cfg.close()


def test_a_choice_changes_the_design_the_estimate_and_the_plot(design):
    ex = Explorer(design)
    one = estimate_design(design).layer("c2")
    ex.pin("A")
    ex.configurator.rows["c2"].parallelization_factor.value = 4
    assert design.layer("c2").extra["ParallelizationFactor"] == 4
    assert design.to_hls4ml_config()["LayerName"]["c2"]["ParallelizationFactor"] == 4
    four = estimate_design(design).layer("c2")
    # the estimator's model: 4 copies of the kernel; 16 pixels in 4 partitions instead of 16, one cycle each
    assert four.dsp == 4 * one.dsp
    assert one.latency_cycles - four.latency_cycles == 16 - 4
    assert ex.estimate.layer("c2").dsp == four.dsp
    assert _trace_pct(ex.plot.figure, "c2") == pytest.approx(_layer_pct(design, "c2"))
    # a new run in the history, and a difference against the pinned design
    assert ex.history[-1]["what"] == "c2: ParallelizationFactor 1 -> 4"
    assert "c2: ParallelizationFactor 1 &rarr; 4" in ex.compare.value
    ex.explain_layer.value = "c2"
    assert "ParallelizationFactor 4" in ex.explanation.value
    ex.close()


def test_the_menu_follows_changes_made_elsewhere(design, model):
    ex = Explorer(design, live=False)
    pf = ex.configurator.rows["dw2"].parallelization_factor
    design.set_parallelization("dw2", 2)  # from code
    assert pf.value == 2
    other = design.copy()
    other.set_parallelization("dw2", 4)
    design.update_from(other)  # a whole design taken over (what a project load does)
    assert pf.value == 4
    config = json.loads(json.dumps(design.to_hls4ml_config()))
    config["LayerName"]["c2"]["ParallelizationFactor"] = 8
    config["LayerName"]["dw2"]["ParallelizationFactor"] = 1
    ex.load(config, model=model)  # an hls4ml config loaded in the Explorer
    assert ex.configurator.rows["c2"].parallelization_factor.value == 8 and pf.value == 1
    assert design.layer("c2").extra["ParallelizationFactor"] == 8
    ex.close()


def test_io_stream_disables_the_menu_and_keeps_the_value(design):
    cfg = LayerConfigurator(design)
    pf = cfg.rows["c2"].parallelization_factor
    pf.value = 8
    cfg.io_type.value = "io_stream"
    assert design.io_type == "io_stream"
    assert pf.disabled and "io_stream" in pf.tooltip and pf.value == 8
    assert design.layer("c2").extra["ParallelizationFactor"] == 8  # kept, not reset
    # what the estimate says about it: io_stream has no partitions, so the factor changes nothing there
    eight = estimate_design(design).layer("c2")
    design.set_parallelization("c2", 1)
    assert estimate_design(design).layer("c2").dsp == eight.dsp and pf.value == 1
    cfg.io_type.value = "io_parallel"
    assert not pf.disabled and "output pixels" in pf.tooltip
    cfg.close()


def test_layers_without_a_factor_have_no_menu(design):
    from hlsnb.train import build_mlp

    cfg = LayerConfigurator(design)
    assert cfg.rows["fc"].parallelization_factor is None  # Dense
    assert cfg.rows["fl"].parallelization_factor is None and cfg.rows["x"].parallelization_factor is None
    cfg.close()
    mlp = LayerConfigurator(Design.from_keras(build_mlp(seed=1), board="pynq-z2"))
    assert not mlp.has_parallelization
    assert all(r.parallelization_factor is None for r in mlp.rows.values())
    assert not any("Parallelization" in w.value for w in mlp.children[2].children)  # no column
    mlp.close()


def test_a_held_factor_the_menu_does_not_offer_is_shown_and_kept(design, monkeypatch):
    # The Design refuses a factor hls4ml would replace, so this arises only when the offer and the held value
    # disagree (say, a newer rule): the menu must then show nothing selected and say so, never pick another value.
    design.set_parallelization("c2", 4)
    cfg = LayerConfigurator(design)
    monkeypatch.setattr(design, "valid_parallelization_factors", lambda layer: (1, 2))
    design.set_target(clock_ns=8.0)  # any change: the rows redraw from the design
    row = cfg.rows["c2"]
    assert row.parallelization_factor.value is None and tuple(row.parallelization_factor.options) == (1, 2)
    assert "ParallelizationFactor 4" in row.message.value and "kept" in row.message.value
    assert design.layer("c2").extra["ParallelizationFactor"] == 4
    assert design.to_hls4ml_config()["LayerName"]["c2"]["ParallelizationFactor"] == 4
    row.parallelization_factor.value = 2  # a choice still goes through
    assert design.layer("c2").extra["ParallelizationFactor"] == 2 and row.message.value == ""
    cfg.close()


def test_fit_to_board_sets_the_factors_and_the_menus_follow(design):
    ex = Explorer(design)
    assert "ParallelizationFactor" in ex.fit_button.tooltip  # the button says what it chooses
    ex.pin("A")
    runs = len(ex.history)
    result = ex.fit_to_board(0.8)
    assert result.fits and ex.last_fit is result
    assert set(result.parallelization) == {"c2", "dw2"}
    changed = {n: pf for n, pf in result.parallelization.items() if pf != 1}
    assert changed  # under 80 % of the PYNQ-Z2 this model has room for more pixels at once
    for n, pf in result.parallelization.items():
        assert design.layer(n).parallelization_factor == pf
        assert ex.configurator.rows[n].parallelization_factor.value == pf  # the menu shows what the fit set
    assert design.to_hls4ml_config() == result.design.to_hls4ml_config()
    # one run in the history for the whole fit; it and the pinned design's difference name every factor changed
    assert len(ex.history) == runs + 1
    for n, pf in changed.items():
        assert f"{n}: " in ex.history[-1]["what"] and f"ParallelizationFactor 1 -> {pf}" in ex.history[-1]["what"]
        assert f"{n}: ParallelizationFactor 1 &rarr; {pf}" in ex.compare.value
        assert f"ParallelizationFactor 1 -&gt; {pf}" in ex.fit_report.value
    assert not ex.control.fit_is_stale()
    ex.configurator.rows["c2"].parallelization_factor.value = 1 if result.parallelization["c2"] != 1 else 2
    assert ex.control.fit_is_stale()  # a factor changed after the fit: the report is for another design
    ex.close()
