"""The views' architecture (issue 11, item 5): one base for subscribing, closing and the update guard; state in
validated traits; HTML apart from widget logic; the configurator's columns from the settings schema."""

from __future__ import annotations

import numpy as np
import pytest
import traitlets

from hlsnb.design import SETTINGS, Design
from hlsnb.widgets import EstimatePlot, Explorer, LayerConfigurator, _html
from hlsnb.widgets._base import DesignView, Subscribers, user_action
from hlsnb.widgets._traits import Precision
from hlsnb.widgets.configurator import LayerRow
from hlsnb.widgets.pruning import PruningSlider


@pytest.fixture(scope="module")
def base_design():
    from hlsnb.train import build_mlp

    return Design.from_keras(build_mlp(seed=1), board="pynq-z2")


@pytest.fixture()
def design(base_design):
    return base_design.copy()


def _tiny():
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((16,), name="inputs"),
                              keras.layers.Dense(32, activation="relu", name="fc1"),
                              keras.layers.Dense(4, activation="softmax", name="out")], name="tiny")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 16)).astype(np.float32)
    y = X[:, :4].argmax(axis=1)
    return model, (X[:48], y[:48], X[48:], y[48:])


# ---------------------------------------------------------------- one base
def test_every_view_derives_from_design_view(design):
    for cls in (LayerConfigurator, LayerRow, EstimatePlot, Explorer, PruningSlider):
        assert issubclass(cls, DesignView), cls
    ex = Explorer(design, live=False)
    assert all(isinstance(v, DesignView) for v in (ex, ex.plot, ex.configurator, *ex.configurator.rows.values()))
    ex.close()


def test_close_unsubscribes_and_is_idempotent(design):
    ex = Explorer(design, live=False)
    row = ex.configurator.rows["fc2"]
    shown_rf, shown_estimate = row.reuse_factor.value, ex.plot.estimate
    seen = []
    ex.plot.on_update(seen.append)
    ex.close()
    assert ex.closed and ex.plot.closed and ex.configurator.closed and row.closed
    assert len(design._observers) == 0
    design.set("fc2", reuse_factor=8)  # a closed view is not touched
    assert row.reuse_factor.value == shown_rf and ex.plot.estimate is shown_estimate and seen == []
    ex.close()  # a second close does nothing
    cfg = LayerConfigurator(design)
    assert len(design._observers) == 1
    cfg.close()
    cfg.close()
    assert len(design._observers) == 0


def test_on_update_returns_a_working_unsubscribe(design):
    plot = EstimatePlot(design, live=False)
    seen = []
    stop = plot.on_update(seen.append)
    design.set("fc1", reuse_factor=2)
    assert len(seen) == 1 and seen[0] is plot.estimate and seen[0].layer("fc1").reuse_factor == 2
    stop()
    design.set("fc1", reuse_factor=4)
    assert len(seen) == 1
    stop()  # idempotent
    plot.close()


def test_subscribers_share_the_designs_contract():
    subs, got = Subscribers(), []
    remove = subs.add(got.append)
    subs.notify(1)
    remove()
    remove()
    subs.notify(2)
    assert got == [1] and len(subs) == 0


def test_update_guard_no_feedback_loop(design):
    cfg = LayerConfigurator(design)
    changes = []
    design.observe(changes.append)
    cfg.rows["fc2"].reuse_factor.value = 8  # the row changes the design, then shows the design's state
    assert changes == ["fc2"] and design.layer("fc2").reuse_factor == 8
    cfg.rows["fc2"].strategy.value = "Resource"
    assert changes == ["fc2", "fc2"]
    bare, bare_changes = design.copy(), []  # the same change on a design no view follows
    bare.observe(bare_changes.append)
    bare.set_all(strategy="Latency", reuse_factor=16)
    design.set_all(strategy="Latency", reuse_factor=16)  # shown in every row, written back by none
    assert changes[2:] == bare_changes
    assert all(r.reuse_factor.value == 16 for r in cfg.rows.values() if r.is_mult)


def test_user_action_is_ignored_while_syncing():
    class View(DesignView):
        def __init__(self):
            super().__init__()
            self.calls = 0

        @user_action
        def handler(self):
            self.calls += 1

    v = View()
    with v.syncing():
        v.handler()
        with v.syncing():
            v.handler()
        v.handler()  # the inner context restores the outer state
    v.handler()
    assert v.calls == 1 and not v._syncing


# ---------------------------------------------------------------- traits
def test_precision_trait_validates_once():
    class Holder(traitlets.HasTraits):
        p = Precision("ap_fixed<16,6>")
        q = Precision(None, allow_auto=True, allow_none=True)
        r = Precision("", allow_empty=True)

    h = Holder()
    h.p = "fixed<8,3>"
    assert h.p == "ap_fixed<8,3>"  # normalised as the Design stores it
    h.p = "ap_fixed<18,8,AP_RND,AP_SAT>"
    assert h.p == "ap_fixed<18,8,AP_RND,AP_SAT>"
    with pytest.raises(traitlets.TraitError, match="ap_fixed<16,6>"):
        h.p = "ap_fixed<8"
    with pytest.raises(traitlets.TraitError):
        h.p = "auto"  # only where the design allows it
    with pytest.raises(traitlets.TraitError):
        h.p = 16
    assert h.p == "ap_fixed<18,8,AP_RND,AP_SAT>"  # a refused value leaves the trait as it was
    h.q = "AUTO"
    assert h.q == "auto"
    h.r = "  "
    assert h.r == ""
    assert "ap_fixed" in Holder.class_traits()["p"].info()


def test_explorer_state_is_validated_traits(design):
    ex = Explorer(design, live=False)
    ex.layer = "fc2"
    assert ex.explain_layer.value == "fc2" and "<b>fc2</b>" in ex.explanation.value
    ex.explain_layer.value = "fc3"  # as the browser would
    assert ex.layer == "fc3"
    with pytest.raises(traitlets.TraitError, match="not in the estimate"):
        ex.layer = "nope"
    ex.resource = "dsp"
    assert ex.explain_resource.value == "dsp" and "LUT:" not in ex.explanation.value
    with pytest.raises(traitlets.TraitError):
        ex.resource = "watts"
    ex.close()


def test_row_pending_strategy(design):
    cfg = LayerConfigurator(design)
    row = cfg.rows["fc1"]
    row.reuse_factor.value = 64
    row.strategy.value = "distributed_arithmetic"  # RF 64 invalid there: waits for a choice
    assert row.pending_strategy == "distributed_arithmetic" and design.layer("fc1").strategy == "Latency"
    row.reuse_factor.value = 1
    assert row.pending_strategy is None and design.layer("fc1").strategy == "distributed_arithmetic"
    with pytest.raises(traitlets.TraitError, match="not valid"):
        row.pending_strategy = "Fastest"
    cfg.close()


# ---------------------------------------------------------------- the schema drives the columns
def test_configurator_columns_come_from_the_settings_schema(design, monkeypatch):
    from hlsnb.widgets import configurator

    cfg = LayerConfigurator(design)
    header = cfg.children[2]
    titles = [w.value for w in header.children]
    shown = [s for s in SETTINGS if s.name != "bias_precision"]
    assert len(titles) == 4 + len(shown) + 1
    assert titles[4:6] == ["<b>Strategy</b>", "<b>ReuseFactor</b>"]
    cfg.close()
    # a setting added to the table needs no widget code: its kind's control factory builds it
    monkeypatch.setattr(configurator, "_SHOWN", SETTINGS)
    cfg = LayerConfigurator(design)
    assert set(cfg.rows["fc1"].precision) == {"weight", "bias", "accum", "result"}
    cfg.rows["fc1"].precision["bias"].value = "ap_fixed<12,4>"
    assert design.layer("fc1").bias_precision == "ap_fixed<12,4>"
    cfg.close()


# ---------------------------------------------------------------- the pruning plan follows the design
def test_pruning_plan_follows_the_design():
    from hlsnb.prune import plan_pruning

    model, data = _tiny()
    design = Design.from_keras(model, board="pynq-z2")
    w = PruningSlider(model, design, data, mode="budget", live=False)
    total0, dsp0, plan0 = float(w.plan.total[0]), w.estimate["dsp"], w.plan
    design.set("fc1", reuse_factor=4)  # a quarter of fc1's multipliers: pruning has less to gain
    assert w.plan is not plan0
    assert float(w.plan.total[0]) == pytest.approx(float(plan_pruning(model, design, "dsp").total[0]))
    assert float(w.plan.total[0]) < total0
    assert w.slider.max == int(w.plan.total[0]) and w.slider.min <= w.target <= w.slider.max
    assert w.estimate["dsp"] < dsp0
    assert w._baseline["dsp"] < total0
    w.close()
    design.set("fc1", reuse_factor=1)
    assert float(w.plan.total[0]) < total0  # closed: no longer follows


# ---------------------------------------------------------------- HTML apart from widget logic
def test_html_builders_are_pure_functions():
    assert _html.message("") == "" and "&lt;b&gt;" in _html.message("<b>")
    assert _html.badges([]) == ""
    b = _html.badges([("unroll limit", "layer 'fc1': too many"), ("over board", "x")])
    assert b.count("&#9888;") == 2 and "layer &#x27;fc1&#x27;: too many | x" in b
    assert _html.status("saved a<b", None) == "saved a&lt;b"
    panel = _html.warnings_panel([("DSP", 250.0)], ["w1"], ["note"], "xc7z020", "est")
    assert "Over the board" in panel and "250% of the DSPs" in panel and "estimator notes (1)" in panel
    assert _html.warnings_panel([], [], [], "xc7z020", "est") == ""
