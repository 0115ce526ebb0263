"""Widgets without a browser: set control values from Python, assert on the Design, the hls4ml config and the
figure data. (The real browser test is tests/test_browser.py.)"""

from __future__ import annotations

import json

import plotly.graph_objects as go
import pytest
import traitlets

from hlsnb.design import Design
from hlsnb.estimate import estimate_design
from hlsnb.widgets import EstimatePlot, Explorer, LayerConfigurator, estimate_figure
from hlsnb.widgets.plots import ESTIMATE_LABEL

MULT = ("fc1", "fc2", "fc3", "output")
RES = ("dsp", "lut", "ff", "bram18k")


@pytest.fixture(scope="module")
def model():
    from hlsnb.train import build_mlp

    return build_mlp(seed=1)  # geometry is what matters here; weights random


@pytest.fixture(scope="module")
def base_design(model):
    return Design.from_keras(model, board="pynq-z2")


@pytest.fixture()
def design(base_design):
    return base_design.copy()


def _estimate_traces(fig):
    return {t.meta["layer"]: t for t in fig.data if (t.meta or {}).get("hlsnb") == "estimate"}


def _layer_pct(design, layer):
    est = estimate_design(design)
    cap = est.part.capacity()
    le = est.layer(layer)
    return [100.0 * float(getattr(le, k) or 0) / cap[k] for k in RES]


# ---------------------------------------------------------------- configurator: only valid choices
def test_controls_offer_only_valid_choices(design):
    cfg = LayerConfigurator(design)
    for name in MULT:
        row = cfg.rows[name]
        assert tuple(row.strategy.options) == design.strategies(name)
        for s in design.strategies(name):
            row.strategy.value = s
            rf_options = tuple(row.reuse_factor.options)
            assert rf_options == design.valid_reuse_factors(name, s), (name, s)
        row.strategy.value = "Latency"
        row.reuse_factor.value = 1
    # the 32x5 output layer under Resource: 64 is not offered (hls4ml would silently use 32)
    cfg.rows["output"].strategy.value = "Resource"
    assert 64 not in cfg.rows["output"].reuse_factor.options
    assert tuple(cfg.rows["output"].reuse_factor.options) == (1, 2, 4, 8, 16, 32, 160)
    with pytest.raises(traitlets.TraitError):
        cfg.rows["output"].reuse_factor.value = 64
    with pytest.raises(traitlets.TraitError):
        cfg.rows["fc1"].strategy.value = "Fastest"
    # layers without multipliers have no choice
    assert cfg.rows["fc1_relu"].strategy.disabled and cfg.rows["fc1_relu"].reuse_factor.disabled
    assert design.layer("output").reuse_factor == 1


def test_rf_change_updates_design_config_and_figure(design):
    ex = Explorer(design)
    traces = _estimate_traces(ex.plot.figure)
    before = list(traces["fc2"].y)
    assert before == pytest.approx(_layer_pct(design, "fc2"))
    ex.configurator.rows["fc2"].reuse_factor.value = 64
    assert design.layer("fc2").reuse_factor == 64
    assert design.to_hls4ml_config()["LayerName"]["fc2"]["ReuseFactor"] == 64
    after = list(_estimate_traces(ex.plot.figure)["fc2"].y)
    assert after == pytest.approx(_layer_pct(design, "fc2"))
    assert after[0] < before[0]  # 32x64 multipliers shared 64 times: far fewer DSPs
    # the explanation follows too
    ex.explain_layer.value = "fc2"
    assert "RF 64" in ex.explanation.value


def test_strategy_switch_with_invalid_rf_waits_for_a_choice(design):
    cfg = LayerConfigurator(design)
    row = cfg.rows["fc1"]
    row.reuse_factor.value = 64
    before = design.to_hls4ml_config()
    row.strategy.value = "distributed_arithmetic"  # needs RF 1: never substituted silently
    assert design.to_hls4ml_config() == before
    assert row.reuse_factor.value is None
    assert tuple(row.reuse_factor.options) == (1,)
    assert "fc1" in row.message.value and "ReuseFactor 64 is not valid" in row.message.value
    row.reuse_factor.value = 1
    assert (design.layer("fc1").strategy, design.layer("fc1").reuse_factor) == ("distributed_arithmetic", 1)
    assert row.message.value == ""
    # a strategy under which the current RF stays valid switches at once
    row.strategy.value = "Resource"
    assert design.layer("fc1").strategy == "Resource" and design.layer("fc1").reuse_factor == 1


def test_precision_fields_validate(design):
    cfg = LayerConfigurator(design)
    before = design.to_hls4ml_config()
    field, err = cfg.rows["fc3"].precision["weight"], cfg.rows["fc3"].precision_error["weight"]
    field.value = "ap_fixed<8"
    assert design.to_hls4ml_config() == before
    assert "fc3" in err.value and "ap_fixed&lt;16,6&gt;" in err.value  # names the layer and valid examples
    field.value = "fixed<8,3>"
    assert design.layer("fc3").weight_precision == "ap_fixed<8,3>"
    assert field.value == "ap_fixed<8,3>" and err.value == ""
    assert design.to_hls4ml_config()["LayerName"]["fc3"]["Precision"]["weight"] == "ap_fixed<8,3>"
    cfg.rows["output"].precision["result"].value = "ap_fixed<18,8,AP_RND,AP_SAT>"
    assert design.layer("output").result_precision == "ap_fixed<18,8,AP_RND,AP_SAT>"
    # activation layers only have a result precision
    assert set(cfg.rows["fc1_relu"].precision) == {"result"}


def test_controls_follow_changes_made_from_code(design):
    cfg = LayerConfigurator(design)
    design.set("fc3", strategy="Resource", reuse_factor=32)
    assert (cfg.rows["fc3"].strategy.value, cfg.rows["fc3"].reuse_factor.value) == ("Resource", 32)
    design.set_all(strategy="Latency", reuse_factor=16)
    assert all(cfg.rows[n].reuse_factor.value == 16 and cfg.rows[n].strategy.value == "Latency" for n in MULT)
    design.set_target(clock_ns=5.0)
    assert cfg.clock_ns.value == 5.0


def test_apply_to_all_reports_substitutions(design):
    cfg = LayerConfigurator(design)
    before = design.to_hls4ml_config()
    cfg.all_strategy.value = "Resource"
    cfg.all_reuse_factor.value = 64
    assert cfg.apply_to_all() == {}
    assert design.to_hls4ml_config() == before  # all or nothing
    assert "output" in cfg.status.value and "160" in cfg.status.value
    cfg.all_closest.value = True
    assert cfg.apply_to_all() == {"output": 32}
    assert "output -&gt; RF 32" in cfg.status.value
    assert [design.layer(n).reuse_factor for n in MULT] == [64, 64, 64, 32]
    assert all(cfg.rows[n].strategy.value == "Resource" for n in MULT)


def test_target_controls(design):
    ex = Explorer(design)
    dsp_before = list(_estimate_traces(ex.plot.figure)["fc1"].y)[0]
    ex.configurator.board.value = "zcu102"
    assert design.board == "zcu102" and design.part.device == "xczu9eg" and design.clock_ns == 5.0
    assert ex.configurator.clock_ns.value == 5.0
    dsp_after = list(_estimate_traces(ex.plot.figure)["fc1"].y)[0]
    assert dsp_after < dsp_before  # same DSPs, a bigger part
    ex.configurator.clock_ns.value = -3.0
    assert design.clock_ns == 5.0 and ex.configurator.clock_ns.value == 5.0
    assert "clock_ns" in ex.configurator.status.value
    ex.configurator.io_type.value = "io_stream"
    assert design.io_type == "io_stream"


# ---------------------------------------------------------------- plot
def test_figure_stacks_to_the_design_total_with_labels(design):
    design.set_all(strategy="Resource", reuse_factor=32)
    plot = EstimatePlot(design)
    est = estimate_design(design)
    traces = _estimate_traces(plot.figure)
    assert set(traces) == {le.name for le in est.layers}
    for i, k in enumerate(RES):
        assert sum(t.y[i] for t in traces.values()) == pytest.approx(est.utilisation[k])
        top = max(traces.values(), key=lambda t: t.base[i] + t.y[i])
        assert top.base[i] + top.y[i] == pytest.approx(est.utilisation[k])
    assert any(s.y0 == 100 and s.y1 == 100 for s in plot.figure.layout.shapes)
    assert ESTIMATE_LABEL in plot.figure.layout.title.text
    assert all(ESTIMATE_LABEL in h for t in traces.values() if t.meta["layer"] != "(top level)" for h in t.hovertext
               if "not estimated" not in h)
    lat = next(t for t in plot.figure.data if (t.meta or {}).get("hlsnb") == "latency")
    ii = next(t for t in plot.figure.data if (t.meta or {}).get("hlsnb") == "ii")
    assert lat.y[-1] == est.latency_cycles and ii.y[-1] == est.ii
    assert list(lat.x[:-1]) == [le.name for le in est.layers]
    assert list(lat.y[:-1]) == [le.latency_cycles for le in est.layers]
    static = plot.static()
    assert isinstance(static, go.Figure) and not isinstance(static, go.FigureWidget)
    assert [t.y for t in static.data] == [t.y for t in plot.figure.data]
    assert "plotly" in static.to_html(include_plotlyjs=False, full_html=False)


def test_static_plot_mode_and_over_board_ticks(design):
    plot = EstimatePlot(design, live=False)
    assert isinstance(plot.figure, go.Figure) and not isinstance(plot.figure, go.FigureWidget)
    est = estimate_design(design)
    assert est.utilisation["dsp"] > 100  # Latency RF 1 everywhere: thousands of multipliers
    assert "#b42318" in plot.figure.layout.xaxis.ticktext[0]
    design.set_all(strategy="Resource", reuse_factor=32)
    assert plot.figure.data[1].y[0] == pytest.approx(_layer_pct(design, plot.figure.data[1].meta["layer"])[0])


def test_report_is_drawn_beside_the_estimate(design):
    plot = EstimatePlot(design)
    n_before = len(plot.figure.data)
    rows = [
        {"scope": "model", "layer": "myproject", "dsp": 21, "lut": 47883, "ff": 20367, "bram18k": 16,
         "stage": "csynth", "latency_cycles": 300},
        {"layer": "fc1", "dsp": 5, "lut": 10000, "ff": 5000, "bram18k": 4, "stage": "csynth"},
        {"layer": "fc2", "dsp": 16, "lut": 37883, "ff": 15367, "bram18k": 12, "stage": "csynth"},
    ]
    plot.set_report(rows)
    measured = [t for t in plot.figure.data if (t.meta or {}).get("hlsnb") == "measured"]
    assert [t.meta["layer"] for t in measured] == ["fc1", "fc2"]
    assert all(t.offsetgroup == "measured" and "measured" in t.name for t in measured)
    assert measured[1].base[1] + measured[1].y[1] == pytest.approx(100 * 47883 / 53200)
    assert "measured" in plot.figure.layout.title.text
    assert any("measured" in t.name for t in plot.figure.data if (t.meta or {}).get("hlsnb") == "measured-latency")
    # the estimate still follows the design
    design.set("fc1", reuse_factor=8)
    assert _estimate_traces(plot.figure)["fc1"].y == pytest.approx(_layer_pct(design, "fc1"))
    with pytest.raises(ValueError, match="layer"):
        plot.set_report([{"dsp": 3}])
    plot.set_report(None)
    assert len(plot.figure.data) == n_before


# ---------------------------------------------------------------- explorer
def test_explanation_itemizes_the_estimate(design):
    design.set("fc2", strategy="Resource", reuse_factor=64)
    ex = Explorer(design)
    ex.explain_layer.value = "fc2"
    le = estimate_design(design).layer("fc2")
    text = ex.explanation.value
    assert le.breakdown
    for t in le.breakdown:
        assert t.what.replace("'", "&#x27;").split("<")[0][:40] in text or t.what[:40] in text
    assert f"LUT: {le.lut:,.0f}" in text
    assert sum(t.value for t in le.terms("lut")) == pytest.approx(le.lut, abs=1)
    ex.explain_resource.value = "dsp"
    assert "LUT:" not in ex.explanation.value and "DSP:" in ex.explanation.value
    assert "(top level)" in ex.explain_layer.options
    ex.configurator.rows["fc2"].reuse_factor.value = 8
    assert "RF 8" in ex.explanation.value


def test_over_board_and_unroll_badges():
    from hlsnb.design import UnrollLimitWarning
    from hlsnb.train import build_mlp

    with pytest.warns(UnrollLimitWarning):
        wide = Design.from_keras(build_mlp(n_in=128, hidden=(64,), n_out=5, seed=0), board="pynq-z2")
    ex = Explorer(wide)
    badge = ex.configurator.rows["fc1"].badge.value
    assert "unroll limit" in badge and "over board" in badge  # 128x64 = 8192 products unrolled, > 220 DSPs
    assert "Over the board" in ex.warnings.value
    ex.configurator.rows["fc1"].strategy.value = "Resource"
    ex.configurator.rows["fc1"].reuse_factor.value = 128
    assert "unroll limit" not in ex.configurator.rows["fc1"].badge.value
    assert ex.configurator.rows["fc1"].badge.value == ""


def test_save_and_load_json_and_hls4ml_config(design, model, tmp_path):
    ex = Explorer(design, live=False)
    ex.configurator.rows["fc2"].strategy.value = "Resource"
    ex.configurator.rows["fc2"].reuse_factor.value = 64
    ex.configurator.rows["fc3"].precision["weight"].value = "ap_fixed<10,4>"
    path = tmp_path / "d.json"
    ex.save(str(path))
    saved = design.to_hls4ml_config()
    ex.save(str(tmp_path / "c.json"), kind="hls4ml")
    assert json.loads((tmp_path / "c.json").read_text()) == saved
    design.set_all(strategy="Latency", reuse_factor=2, precision="ap_fixed<12,5>")
    ex.load(str(path))
    assert design.to_hls4ml_config() == saved
    assert ex.configurator.rows["fc2"].reuse_factor.value == 64
    # hls4ml config dict (needs the model)
    design.set_all(strategy="Latency", reuse_factor=4)
    with pytest.raises(ValueError, match="model"):
        ex.load(saved)
    ex.load(saved, model=model)
    assert design.to_hls4ml_config() == saved
    # all or nothing: an invalid ReuseFactor in the file changes nothing
    bad = json.loads(json.dumps(saved))
    bad["LayerName"]["output"]["Strategy"] = "Resource"
    bad["LayerName"]["output"]["ReuseFactor"] = 64
    bad["LayerName"]["fc1"]["ReuseFactor"] = 8
    with pytest.raises(ValueError, match="output"):
        ex.load(bad, model=model)
    assert design.to_hls4ml_config() == saved
    with pytest.raises(ValueError, match="neither"):
        ex.load({"foo": 1})


def test_load_refuses_other_layers(design):
    from hlsnb.train import build_mlp

    other = Design.from_keras(build_mlp(n_in=16, hidden=(8,), n_out=5), board="pynq-z2")
    ex = Explorer(design, live=False)
    before = design.to_hls4ml_config()
    with pytest.raises(ValueError, match="other layers"):
        ex.load(other.to_json())
    assert design.to_hls4ml_config() == before


def test_close_unsubscribes(design):
    ex = Explorer(design)
    n = len(design._observers)
    assert n >= 2
    ex.close()
    assert len(design._observers) == 0
    design.set("fc1", reuse_factor=2)  # no closed widget is touched


def test_explorer_from_model(model):
    ex = Explorer(model, board="pynq-z1", live=False)
    assert ex.design.board == "pynq-z1" and ex.model is model
    with pytest.raises(ValueError, match="Keras model or an hlsnb Design"):
        Explorer("model.keras")


def test_lazy_exports():
    import hlsnb.widgets as w

    assert {"LayerConfigurator", "EstimatePlot", "Explorer", "PruningSlider"} <= set(w.__all__)
    with pytest.raises(AttributeError):
        w.NoSuchWidget  # noqa: B018
    assert estimate_figure is w.estimate_figure


def test_clicking_a_bar_explains_that_layer(design):
    from plotly.callbacks import Points

    ex = Explorer(design)
    trace = next(t for t in ex.plot.figure.data if (t.meta or {}).get("layer") == "fc3")
    assert ex.explain_layer.value != "fc3"
    trace._dispatch_on_click(Points([0], [0], [0], trace_name="fc3", trace_index=0), None)
    assert ex.explain_layer.value == "fc3" and "<b>fc3</b>" in ex.explanation.value


def test_a_refused_target_line_leaves_the_plot_as_it_was_and_working(model):
    from hlsnb.widgets import EstimatePlot

    design = Design.from_keras(model, board="pynq-z2")
    plot = EstimatePlot(design, live=False)
    plot.set_target_line(0.8)
    before = plot._spec()
    for bad in ("80%", 80, 0, -0.1, float("nan"), True):
        with pytest.raises((TypeError, ValueError), match="target"):
            plot.set_target_line(bad)
        assert plot.target == 0.8 and plot._spec() == before
    design.set("fc1", strategy="Resource", reuse_factor=2)  # later updates still work
    assert plot._spec() != before
    plot.set_target_line(None)
    assert plot.target is None


def test_pins_and_saves_validate_names_and_change_nothing_when_refused(model, tmp_path):
    from hlsnb.widgets import Explorer

    ex = Explorer(model, board="pynq-z2", live=False)
    for bad in ("", "   ", "x" * 41, "a\nb"):
        with pytest.raises(ValueError, match="pin name"):
            ex.pin(bad)
        assert ex._pinned is None and ex.plot.pinned is None and ex.unpin_button.disabled
    with pytest.raises(TypeError, match="pin name"):
        ex.pin(None)
    ex.pin("before pruning")
    assert ex.plot.pinned[0] == "before pruning" and "before pruning" in ex.compare.value
    for bad in ("", tmp_path / "design.txt", tmp_path / "missing" / "d.json", 3):
        with pytest.raises(ValueError, match="save"):
            ex.save(bad)
    saved = ex.save(tmp_path / "d.json")
    assert Design.from_json(saved, model=model) == ex.design
    assert [p.name for p in tmp_path.iterdir()] == ["d.json"]  # no temporary file left beside it


def test_a_failing_redraw_restores_the_pin(model, monkeypatch):
    from hlsnb.widgets import EstimatePlot

    plot = EstimatePlot(Design.from_keras(model, board="pynq-z2"), live=False)
    real = plot.update
    calls = {"n": 0}

    def failing():
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("renderer gone")
        real()

    monkeypatch.setattr(plot, "update", failing)
    with pytest.raises(RuntimeError):
        plot.pin("A")
    assert plot.pinned is None and calls["n"] == 2  # restored, then redrawn


def test_the_pruning_slider_plots_the_resource_that_binds(model, digits16):
    """A 6-bit design uses no DSP: its slider plots LUTs (the binding resource), so the preview point moves."""
    from hlsnb.widgets import PruningSlider

    narrow = Design.from_keras(model, board="pynq-z2")
    for l in narrow.layers:
        if l.is_mult_layer:
            narrow.set(l.name, weight_precision="ap_fixed<6,1>")
    w = PruningSlider(model, narrow, digits16, "parameters", live=False)
    assert w.resource == "lut" and "LUTs" in w.figure.layout.xaxis.title.text
    xs = []
    for target in (0.2, 0.6):
        w.target = target
        xs.append(w.figure.data[2].x[0])
    assert xs[1] < xs[0]
    wide = Design.from_keras(model, board="pynq-z2")  # 16-bit weights, Latency RF 1: DSPs bind
    assert PruningSlider(model, wide, digits16, live=False).resource == "dsp"
    with pytest.raises(ValueError, match="resource"):
        PruningSlider(model, wide, digits16, live=False, resource="DSP")


def test_set_report_refuses_the_report_of_another_network(model):
    """The Explorer draws a build's report only when it is of its design (layers, sizes, part): the replayed
    report of a dense 21-3-3 MLP on an xc7z007s is refused, with every difference named, and nothing changes."""
    from hlsnb.synth import REPLAY_DIR, replay_build
    from hlsnb.synth.compare import ReportMismatch

    ex = Explorer(model, board="pynq-z2", live=False)
    other = replay_build(REPLAY_DIR, echo=False).report("csynth")
    before = ex.plot._spec()
    with pytest.raises(ReportMismatch, match="not of"):
        ex.set_report(other)
    assert ex.plot._report is None and ex.plot._spec() == before
    ex.set_report(other, check=False)  # asked for: drawn side by side anyway
    assert ex.plot._report is other
