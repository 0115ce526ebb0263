"""Pruning keeps its promise (issue 16 item 4): overflow of a layer's fixed-point type is found by the range
tracer, named with the layer and a fix, and turns prune's status from "done" into "overflow"."""

import warnings

import numpy as np
import pytest


@pytest.fixture(scope="module")
def small():
    import keras

    from hlsnb import Design

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,), name="inputs"), keras.layers.Dense(8, activation="relu", name="fc1"),
                              keras.layers.Dense(3, activation="softmax", name="output")])
    design = Design.from_keras(model, board="pynq-z2", strategy="Latency", reuse_factor=1,
                               precision="ap_fixed<16,6>")
    return model, design


def test_find_overflows_names_layer_and_fix(small):
    from hlsnb.prune import find_overflows

    model, design = small
    X = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    assert find_overflows(model, design, X) == []
    k = model.get_layer("output").kernel
    old = k.numpy()
    try:
        k.assign(old * 0 + 50.0)  # logits far beyond ap_fixed<16,6>'s +-32
        found = find_overflows(model, design, np.abs(X))
    finally:
        k.assign(old)
    assert [o.layer for o in found] == ["output"]
    o = found[0]
    assert o.max_abs > 32 and set(o.fields) == {"accum_precision", "result_precision"}
    assert o.fix().startswith('design.set("output", ') and o.suggested.startswith("ap_fixed<")
    from hlsnb.precision import parse_precision

    t = parse_precision(o.suggested)
    assert t.max_value > o.max_abs and t.fractional == 10  # keeps the fractional bits
    design.set("output", accum_precision=o.suggested, result_precision=o.suggested)  # the fix is a valid setting


def test_prune_flags_overflow_instead_of_done(small, monkeypatch):
    from hlsnb.prune import _core
    from hlsnb.prune.ranges import Overflow

    model, design = small
    rng = np.random.default_rng(1)
    X = rng.normal(size=(120, 4)).astype("float32")
    y = (X[:, 0] > 0).astype("int64")
    fake = Overflow("output", ("result_precision",), "ap_fixed<16,6>", 64.0, 0.3, "ap_fixed<18,8>")
    monkeypatch.setattr(_core, "find_overflows", lambda *a: [fake])
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        _, rep = _core.prune(model, design, "dsp", (X, y, X, y), target=0.3, scheduler="constant", epochs=1,
                             csim=False, progress=False)
    assert rep.status == "overflow" and rep.overflows == [fake]
    assert any("output" in n and "design.set" in n for n in rep.notes)
    assert any("overflows its fixed-point types" in str(x.message) for x in w)


def test_saturated_validation_from_training_rows_is_flagged(small):
    from hlsnb.prune import prune

    model, design = small
    X = np.tile(np.eye(4, dtype="float32"), (30, 1))
    y = np.argmax(model.predict(X, verbose=0), axis=1)  # the model is "perfect" on these rows
    with pytest.warns(UserWarning, match="rows the model never saw"):
        _, rep = prune(model, design, "dsp", (X, y), target=0.2, scheduler="constant", epochs=1, tolerance=0.01,
                       csim=False, progress=False)
    assert any("validation=(X_val, y_val)" in n for n in rep.notes)
