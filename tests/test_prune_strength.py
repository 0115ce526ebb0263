"""hlsnb's DSP-aware pruning prices weights by the DSPs they really use, can hold pruned weights at shift-and-add
constants (``shift_add``), and plans a Keras layer called twice once (issue 16). Fast: small models, 1-2 epochs."""

import numpy as np
import pytest

from hlsnb import Design
from hlsnb.errors import InvalidSetting
from hlsnb.estimate import estimate_design
from hlsnb.estimate._core import csd_digits
from hlsnb.prune import LayerMask, apply_masks, enforce_masks, mask_violations, plan_pruning, prune

PREC = "ap_fixed<16,6>"
LSB = 2.0 ** -10


def _design(model, **kw):
    kw.setdefault("precision", PREC)
    return Design.from_keras(model, board="pynq-z2", strategy="Latency", reuse_factor=1, **kw)


@pytest.fixture
def shared_model():
    import keras

    keras.utils.set_random_seed(0)
    inp = keras.Input((16,), name="x")
    shared = keras.layers.Dense(16, activation="relu", name="shared")
    h = shared(shared(inp))  # the same layer (one kernel) called twice: two hls4ml nodes
    out = keras.layers.Dense(5, activation="softmax", name="out")(h)
    return keras.Model(inp, out)


def test_a_layer_called_twice_is_planned_once_under_its_keras_name(shared_model):
    design = _design(shared_model)
    assert [l.name for l in design.layers if l.keras_name == "shared"] == ["shared", "shared_0"]
    plan = plan_pruning(shared_model, design, "dsp", price="weights")  # was: KeyError 'shared_0'
    assert list(plan.layers) == ["shared", "out"]
    assert plan.layers["shared"].nodes == ("shared", "shared_0")
    design.attach_weights(shared_model)
    est = estimate_design(design)
    # both nodes are hardware of their own: the layer costs what the two cost
    assert plan.layers["shared"].resources[0] == est.layer("shared").dsp + est.layer("shared_0").dsp
    masks = plan.masks(shared_model, 0.5)
    assert set(masks) == {"shared", "out"}
    plan2 = plan_pruning(shared_model, design, "dsp", layers=["shared_0"])  # a node name means its Keras layer
    assert plan2.prunable_layers == ["shared"]
    assert plan_pruning(shared_model, design, "dsp").layers["shared"].resources[0] > 0  # average prices too
    with pytest.raises(InvalidSetting, match="price must be one of"):
        plan_pruning(shared_model, design, "dsp", price="exact")


def test_only_dense_and_conv_families_are_planned():
    import keras

    m = keras.Sequential([keras.Input((6, 4)), keras.layers.LSTM(8, name="lstm"),
                          keras.layers.Dense(3, name="head")])
    plan = plan_pruning(m, _design(m), "parameters")
    assert list(plan.layers) == ["head"]


def test_weights_are_priced_by_the_dsps_they_use(fresh_mlp):
    design = _design(fresh_mlp)
    layer = fresh_mlp.get_layer("fc2")
    k = layer.kernel.numpy()
    # quantized (floor) to 10 fractional bits: a few weights become powers of two (shifts, no DSP)
    k[:4, :] = 0.25
    k[4:8, :] = 0.3330078125  # 341 LSBs: four signed digits, a multiplier
    layer.kernel.assign(k)
    plan = plan_pruning(fresh_mlp, design, "dsp", price="weights")
    p = plan.layers["fc2"]
    cost = p.cost[0].reshape(k.shape)
    assert np.all(cost[:4] == 0) and np.all(cost[4:8] > 0)
    design.attach_weights(fresh_mlp)
    est = estimate_design(design)
    for name, lp in plan.layers.items():  # the prices sum to the estimator's count for the layer's weights
        assert lp.cost.sum() == pytest.approx(est.layer(name).dsp)
    assert plan.usage({})[0] == pytest.approx(sum(est.layer(n).dsp for n in plan.layers))


def test_shift_add_masks_hold_few_digit_constants(fresh_mlp):
    design = _design(fresh_mlp)
    with pytest.raises(InvalidSetting, match="shift_add needs"):
        plan_pruning(fresh_mlp, design, "dsp").masks(fresh_mlp, 0.9, shift_add=True)  # average prices
    plan = plan_pruning(fresh_mlp, design, "dsp", price="weights")
    masks = plan.masks(fresh_mlp, 0.9, shift_add=True)
    apply_masks(fresh_mlp, masks)
    assert mask_violations(fresh_mlp, masks) == {}
    for name, m in masks.items():
        k = fresh_mlp.get_layer(name).kernel.numpy()
        held = k[m.kernel == 0]
        assert held.size and np.any(held != 0)  # rounded, not zeroed
        q = np.floor(held.astype(np.float64) / LSB)
        assert np.all(q * LSB == held) and np.all(csd_digits(q) <= 2)
    design.attach_weights(fresh_mlp)
    assert estimate_design(design).total["dsp"] <= 0.11 * plan.total[0] + plan.fixed[0] + 4


def test_enforced_masks_keep_held_values_while_training(fresh_mlp):
    import keras

    name = "fc1"
    k = fresh_mlp.get_layer(name).kernel.numpy()
    keep = np.ones_like(k)
    keep[:, :8] = 0
    values = np.full_like(k, 0.125)
    masks = {name: LayerMask(keep, None, values)}
    X = np.random.default_rng(0).normal(size=(64, 16)).astype(np.float32)
    y = np.arange(64) % 5
    with enforce_masks(fresh_mlp, masks):
        fresh_mlp.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy")
        fresh_mlp.fit(X, y, epochs=2, batch_size=16, verbose=0)
    k2 = fresh_mlp.get_layer(name).kernel.numpy()
    assert np.all(k2[:, :8] == np.float32(0.125)) and mask_violations(fresh_mlp, masks) == {}
    both = masks[name] & LayerMask(np.ones_like(k))
    assert np.all(both.held()[:, :8] == np.float32(0.125))


def test_prune_with_shift_add_cuts_dsps_and_refuses_where_it_means_nothing(fresh_mlp, digits16):
    design = _design(fresh_mlp)
    pruned, rep = prune(fresh_mlp, design, "dsp", digits16, target=0.9, scheduler="constant", epochs=1,
                        shift_add=True, csim=False, progress=False)
    assert rep.target_reached and rep.dsp_after < 0.25 * rep.dsp_before
    assert all(np.any(pruned.get_layer(n).kernel.numpy() != 0) for n in rep.masks)
    for layer_mask in rep.masks.values():
        assert layer_mask.values is not None
    with pytest.raises(InvalidSetting, match="shift_add needs"):
        prune(fresh_mlp, Design.from_keras(fresh_mlp, board="pynq-z2", strategy="Resource", reuse_factor=4,
                                           precision=PREC),
              "dsp", digits16, target=0.5, epochs=1, shift_add=True, csim=False, progress=False)
