"""The estimator's and fit's boundaries (issue 13, docs/errors.md "Estimator" and "Fit").

Property tests (hypothesis): any keyword arguments to ``estimate_layer`` give either an error of the documented type
naming the layer and the field, or finite, non-negative numbers that are the sums of their terms; any small design
gives totals that are the sums of its rows; an error changes nothing. Then one catalogue case per class of bad input
the issue lists, and the fit's floor when nothing fits.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from hlsnb.calibration.reference import tutorial_mlp
from hlsnb.errors import InvalidSetting
from hlsnb.estimate import RESOURCES, LayerInput, estimate, estimate_design, estimate_layer, layer_input
from hlsnb.fit import fit_to_board
from hlsnb.layer_types import LAYER_TYPES
from hlsnb.rules import STRATEGIES, valid_reuse_factors

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

junk = st.one_of(st.none(), st.booleans(), st.text(max_size=4), st.floats(allow_nan=True, allow_infinity=True))
size = st.one_of(st.integers(-3, 300), st.integers(1, 64).map(float), junk)
shape = st.one_of(st.none(), st.lists(st.integers(-1, 12), max_size=3).map(tuple),
                  st.lists(st.integers(1, 8), min_size=1, max_size=3).map(tuple), junk)
width = st.one_of(st.integers(-2, 40), st.just(5000), junk)
weights = st.one_of(st.none(), st.lists(st.floats(allow_nan=True, allow_infinity=True, width=32), min_size=1,
                                         max_size=64).map(np.array))

LAYER_KWARGS = dict(
    layer_type=st.sampled_from(sorted(LAYER_TYPES) + ["ReLU", "Bogus"]),
    n_in=size, n_out=size, input_shape=shape, output_shape=shape, kernel_size=shape, strides=shape,
    filters=size, padding=st.sampled_from(["same", "valid", None]), pool_op=st.sampled_from(["max", "average", None]),
    activation=st.sampled_from(["relu", "sigmoid", "tanh", "softmax", None, 3]),
    strategy=st.sampled_from(STRATEGIES + ("resource", "bogus", None)),
    reuse_factor=st.one_of(st.integers(-2, 600), junk),
    weight_bits=width, weight_int_bits=st.one_of(st.integers(-20, 40), junk), result_bits=width, accum_bits=width,
    input_bits=width, io_type=st.sampled_from(["io_parallel", "io_stream", "stream", None]),
    part=st.sampled_from(["pynq-z2", "xczu9eg", "zcu102", "nope", 3, None]),
    clock_ns=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-1, 2000), st.none()),
    sparsity=st.one_of(st.floats(-1, 2), junk), n_zeros=st.one_of(st.integers(-5, 100_000), junk),
    mult_impl=st.sampled_from(["auto", "dsp", "fabric", "lut"]), tool=st.sampled_from(["vivado_hls", "vitis_hls", "x"]),
    weights=weights,
)


def _layer_named(err: Exception) -> bool:
    return "'L'" in str(err)


def _check_numbers(e) -> None:
    if not e.estimated:
        assert e.reason and all(getattr(e, r) is None for r in RESOURCES)
        return
    for r in RESOURCES + ("latency_cycles", "ii"):
        v = getattr(e, r)
        assert v is not None and math.isfinite(v) and v >= 0, (r, v, e.explain())
    for r in RESOURCES:  # every number is the (rounded) sum of its terms
        assert abs(sum(t.value for t in e.terms(r)) - getattr(e, r)) <= 0.5 + 1e-9 * abs(getattr(e, r)), r


@FAST
@given(kw=st.fixed_dictionaries({}, optional=LAYER_KWARGS), stage=st.sampled_from(["csynth", "vsynth"]))
def test_any_layer_arguments_give_a_named_error_or_sane_numbers(kw, stage):
    kw.setdefault("layer_type", "Dense")
    w = kw.get("weights")
    w_before = None if w is None else w.copy()
    try:
        e = estimate_layer(name="L", stage=stage, **kw)
    except (ValueError, TypeError) as err:  # InvalidSetting is a ValueError; the families' own errors too
        assert _layer_named(err), err
        if isinstance(err, InvalidSetting) or isinstance(err, TypeError):
            msg = str(err)
            assert any(k in msg for k in kw) or "name" in msg, (kw, msg)
    else:
        _check_numbers(e)
    if w is not None:  # the caller's weights are never changed
        np.testing.assert_array_equal(w, w_before)


#: Values in range (the ReuseFactor and the sizes still may not suit each other): most of these estimate.
PLAUSIBLE = dict(
    layer_type=st.sampled_from(sorted(LAYER_TYPES) + ["ReLU"]), n_in=st.integers(1, 300), n_out=st.integers(1, 300),
    input_shape=st.lists(st.integers(1, 12), min_size=1, max_size=3).map(tuple),
    output_shape=st.lists(st.integers(1, 12), min_size=1, max_size=3).map(tuple),
    kernel_size=st.lists(st.integers(1, 5), min_size=1, max_size=2).map(tuple),
    strategy=st.sampled_from(STRATEGIES), reuse_factor=st.sampled_from([1, 1, 2, 4, 8, 16, 64, 100]),
    weight_bits=st.integers(1, 32), weight_int_bits=st.integers(-4, 20), result_bits=st.integers(1, 32),
    accum_bits=st.integers(1, 48), input_bits=st.integers(1, 32), io_type=st.sampled_from(["io_parallel", "io_stream"]),
    part=st.sampled_from(["pynq-z2", "xczu9eg", "xc7a35t"]), clock_ns=st.floats(0.5, 1000),
    sparsity=st.floats(0, 1), mult_impl=st.sampled_from(["auto", "dsp", "fabric"]),
    tool=st.sampled_from(["vivado_hls", "vitis_hls"]), activation=st.sampled_from(["relu", "sigmoid", "tanh"]),
)
_ALWAYS = ("layer_type", "n_in", "n_out", "output_shape")


@FAST
@given(kw=st.fixed_dictionaries({k: v for k, v in PLAUSIBLE.items() if k in _ALWAYS},
                                 optional={k: v for k, v in PLAUSIBLE.items() if k not in _ALWAYS}), stage=st.sampled_from(["csynth", "vsynth"]),
       with_weights=st.booleans(), seed=st.integers(0, 3))
def test_plausible_layer_arguments_give_sane_numbers_or_a_named_error(kw, stage, with_weights, seed):
    kw.setdefault("layer_type", "Dense")
    if with_weights and "n_in" in kw and "n_out" in kw and kw["n_in"] * kw["n_out"] <= 4096:
        rng = np.random.default_rng(seed)
        w = np.round(rng.normal(size=(kw["n_in"], kw["n_out"])) * 8) / 8  # some zeros and powers of two
        kw["weights"] = w
    try:
        e = estimate_layer(name="L", stage=stage, **kw)
    except (ValueError, TypeError) as err:
        event(f"error {type(err).__name__}: {str(err).split(':')[1][:40]}")
        assert _layer_named(err), err
    else:
        event("estimated" if e.estimated else "not estimated")
        _check_numbers(e)


@FAST
@given(kw=st.fixed_dictionaries({}, optional=LAYER_KWARGS))
def test_a_layer_input_built_directly_is_checked_too(kw):
    """``LayerInput(...)`` skips the keyword normalisation; ``estimate`` checks it all the same."""
    kw.pop("sparsity", None)
    for k in ("input_shape", "output_shape", "kernel_size", "strides"):
        if isinstance(kw.get(k), list):
            kw[k] = tuple(kw[k])
    try:
        inp = LayerInput(name="L", **{"layer_type": "Dense", **kw})
    except TypeError:
        return  # not even a LayerInput
    try:
        e = estimate(inp)
    except (ValueError, TypeError) as err:
        assert _layer_named(err), err
    else:
        _check_numbers(e)


def _mlp(sizes, strategy, pick):
    """A tutorial-style MLP with a valid ReuseFactor per layer picked by ``pick`` (an index into the valid ones)."""
    d = tutorial_mlp(strategy="Latency", sizes=tuple(sizes))
    for l in d.layers:
        if l.is_mult_layer:
            s = strategy if strategy in d.strategies(l.name) else "Latency"
            valid = d.valid_reuse_factors(l.name, s)
            if valid:
                d.set(l.name, strategy=s, reuse_factor=valid[pick % len(valid)])
    return d


@SLOW
@given(sizes=st.lists(st.integers(1, 80), min_size=2, max_size=4), strategy=st.sampled_from(STRATEGIES),
       pick=st.integers(0, 50), io=st.sampled_from(["io_parallel", "io_stream"]),
       stage=st.sampled_from(["csynth", "vsynth"]), board=st.sampled_from(["pynq-z2", "zcu102"]))
def test_design_totals_are_the_sum_of_the_rows(sizes, strategy, pick, io, stage, board):
    d = _mlp(sizes, strategy, pick)
    try:
        d.set_target(io_type=io, board=board)
    except InvalidSetting:
        return  # a strategy the io type does not build: the Design refuses it, nothing to estimate
    est = estimate_design(d, stage=stage)
    rows = [e for e in est.layers if e.estimated]
    cap = est.part.capacity()
    for r in RESOURCES:
        assert est.total[r] == pytest.approx(sum(float(getattr(e, r)) for e in rows))
        assert math.isfinite(est.total[r]) and est.total[r] >= 0
        assert est.utilisation[r] == pytest.approx(100.0 * est.total[r] / cap[r])
        for e in rows[:-1]:  # layer rows; the top row may carry the vsynth DSP cap (a negative DSP term)
            assert getattr(e, r) >= 0
    assert est.latency_cycles >= 0 and est.ii >= 1 and math.isfinite(est.latency_ns)


class _Proxy:
    """A design with some attributes replaced (what a hand-edited or duck-typed design could carry)."""

    def __init__(self, design, **over):
        self._design = design
        self.__dict__.update(over)

    def __getattr__(self, name):
        return getattr(self._design, name)


@SLOW
@given(clock=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-5, 5), junk))
def test_a_bad_design_clock_is_refused_and_nothing_changes(clock):
    d = tutorial_mlp()
    before = (d.to_hls4ml_config(), d.clock_ns, estimate_design(d).total)
    try:
        est = estimate_design(_Proxy(d, clock_ns=clock))
    except (InvalidSetting, TypeError) as err:
        assert "clock_ns" in str(err)
    else:
        assert 0.5 <= float(clock) <= 1000 and math.isfinite(est.latency_ns)
    assert (d.to_hls4ml_config(), d.clock_ns, estimate_design(d).total) == before


@settings(max_examples=40, deadline=None)
@given(target=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-2, 3), junk))
def test_fit_target_is_a_fraction_or_refused(target):
    d = tutorial_mlp(sizes=(8, 6, 4))
    before = d.to_hls4ml_config()
    try:
        r = fit_to_board(d, target)
    except InvalidSetting as err:
        assert "target" in str(err)
        assert isinstance(target, (str, bool, type(None))) or not 0 < target <= 1 or math.isnan(target)
    else:
        assert 0 < r.target <= 1 and set(r.floor) == set(RESOURCES)
    assert d.to_hls4ml_config() == before


# ---------------------------------------------------------------------------------------------------- catalogue
#: One case per class of bad estimator input the issue lists: (keyword arguments, error type, words the message has).
CATALOGUE = {
    "negative size": (dict(n_in=-16, n_out=8), InvalidSetting, ["n_in", "-16", "from 1"]),
    "zero size": (dict(n_in=16, n_out=0), InvalidSetting, ["n_out", "0"]),
    "fractional size": (dict(n_in=16.5, n_out=8), TypeError, ["n_in", "16.5", "integer"]),
    "text size": (dict(n_in="16", n_out=8), TypeError, ["n_in", "'16'"]),
    "huge size": (dict(n_in=10**12, n_out=8), InvalidSetting, ["n_in", "2147483647"]),
    "sparsity above 1": (dict(n_in=16, n_out=8, sparsity=1.5), InvalidSetting, ["sparsity", "1.5", "[0, 1]"]),
    "sparsity NaN": (dict(n_in=16, n_out=8, sparsity=float("nan")), InvalidSetting, ["sparsity", "nan"]),
    "n_zeros above the weights": (dict(n_in=16, n_out=8, n_zeros=200), InvalidSetting, ["n_zeros", "200", "128"]),
    "negative n_zeros": (dict(n_in=16, n_out=8, n_zeros=-1), InvalidSetting, ["n_zeros", "-1"]),
    "negative bit width": (dict(n_in=16, n_out=8, weight_bits=-3), InvalidSetting, ["weight_bits", "-3", "1024"]),
    "zero bit width": (dict(n_in=16, n_out=8, result_bits=0), InvalidSetting, ["result_bits", "0"]),
    "absurd bit width": (dict(n_in=16, n_out=8, accum_bits=100_000), InvalidSetting, ["accum_bits", "1024"]),
    "clock 0": (dict(n_in=16, n_out=8, clock_ns=0), InvalidSetting, ["clock_ns", "0", "ns"]),
    "clock 1e-9": (dict(n_in=16, n_out=8, clock_ns=1e-9), InvalidSetting, ["clock_ns", "1e-09", "0.5"]),
    "clock inf": (dict(n_in=16, n_out=8, clock_ns=float("inf")), InvalidSetting, ["clock_ns", "inf"]),
    "clock NaN": (dict(n_in=16, n_out=8, clock_ns=float("nan")), InvalidSetting, ["clock_ns", "nan"]),
    "clock as text": (dict(n_in=16, n_out=8, clock_ns="10"), TypeError, ["clock_ns", "'10'"]),
    "ReuseFactor invalid for Resource": (dict(n_in=16, n_out=8, strategy="Resource", reuse_factor=3),
                                         InvalidSetting, ["reuse_factor 3", "closest valid: 1, 2, 4, 8", "all valid"]),
    "ReuseFactor 1 for Resource_Unrolled": (dict(n_in=16, n_out=8, strategy="Resource_Unrolled", reuse_factor=1),
                                            InvalidSetting, ["reuse_factor 1", "valid"]),
    "ReuseFactor above the Conv template's": (
        dict(layer_type="Conv1D", n_in=6, n_out=4, strategy="Resource", reuse_factor=12, output_shape=(8, 4)),
        InvalidSetting, ["reuse_factor 12", "all valid: 1, 2, 3, 6"]),
    "ReuseFactor on a layer without multipliers": (dict(layer_type="Activation", n_in=8, reuse_factor=4),
                                                   InvalidSetting, ["reuse_factor 4", "valid: 1"]),
    "zero ReuseFactor": (dict(n_in=16, n_out=8, reuse_factor=0), InvalidSetting, ["reuse_factor", "0"]),
    "strategy hls4ml does not build there": (
        dict(layer_type="Conv2D", n_in=27, n_out=8, strategy="Resource_Unrolled", reuse_factor=3,
             output_shape=(4, 4, 8)), InvalidSetting, ["Resource_Unrolled", "valid: Latency, Resource"]),
    "unknown strategy": (dict(n_in=4, n_out=4, strategy="fast"), InvalidSetting, ["strategy", "'fast'", "Latency"]),
    "unknown io_type": (dict(n_in=4, n_out=4, io_type="stream"), InvalidSetting, ["io_type", "io_stream"]),
    "unknown tool": (dict(n_in=4, n_out=4, tool="quartus"), InvalidSetting, ["tool", "vitis_hls"]),
    "unknown part": (dict(n_in=4, n_out=4, part="xc9z999"), InvalidSetting, ["part", "xc9z999"]),
    "part of the wrong type": (dict(n_in=4, n_out=4, part=3), TypeError, ["part", "3"]),
    "weights of the wrong size": (dict(n_in=16, n_out=8, weights=np.ones((3, 3))), InvalidSetting,
                                  ["weights", "9 values", "128"]),
    "weights with NaN": (dict(n_in=2, n_out=2, weights=np.array([[1.0, np.nan], [0.0, 1.0]])), InvalidSetting,
                         ["weights[0, 1]", "nan", "finite"]),
    "weights with inf": (dict(n_in=2, n_out=2, weights=np.array([[1.0, 2.0], [np.inf, 1.0]])), InvalidSetting,
                         ["weights[1, 0]", "inf"]),
    "weights as text": (dict(n_in=1, n_out=2, weights=np.array(["a", "b"])), TypeError, ["weights", "dtype"]),
    "recurrent weights flattened": (
        dict(layer_type="LSTM", n_in=3, n_out=16, output_shape=(4,), input_shape=(5, 3), weights=np.ones(48)),
        InvalidSetting, ["weights", "(3, 16)"]),
    "bad stage": (dict(n_in=4, n_out=4, stage="place"), InvalidSetting, ["stage", "'place'", "vsynth"]),
}


@pytest.mark.parametrize("case", sorted(CATALOGUE))
def test_catalogue_of_bad_estimator_inputs(case):
    kw, kind, words = CATALOGUE[case]
    kw = {"layer_type": "Dense", **kw}
    with pytest.raises(kind) as info:
        estimate_layer(name="fc1", **kw)
    msg = str(info.value)
    assert "'fc1'" in msg, msg
    for w in words:
        assert w in msg, (w, msg)


def test_what_was_refused_is_still_accepted_when_valid():
    """The boundary refuses nothing hls4ml builds: Latency keeps any ReuseFactor (real builds use RF 100 on 3x2
    layers), integral floats from CSV files are sizes, a sparsity gives n_zeros, the kernel may have any shape of
    the right size, and the default clock is still 10 ns."""
    e = estimate_layer("Dense", 3, 2, strategy="Latency", reuse_factor=100)
    assert e.estimated and e.reuse_factor == 100
    assert estimate_layer("Dense", 16.0, 8.0).dsp == estimate_layer("Dense", 16, 8).dsp
    assert layer_input("Dense", 16, 8, sparsity=0.5).n_zeros == 64
    assert layer_input("Dense", 16, 8).clock_ns == 10.0
    w = np.random.default_rng(0).normal(size=(16, 8)).astype(np.float32)
    assert estimate_layer("Dense", 16, 8, weights=w.ravel()).dsp == estimate_layer("Dense", 16, 8, weights=w).dsp
    assert layer_input("DepthwiseConv2D", 27, 3, kernel_size=(3, 3), input_shape=(8, 8, 3), output_shape=(6, 6, 3),
                       sparsity=1.0).n_zeros == 27  # a depthwise kernel has taps x channels weights


def test_an_invalid_layer_in_a_design_raises_naming_it():
    """A design whose layer carries a bad value (a duck-typed design, or a file edited by hand) is refused, not
    estimated as a lower bound."""
    d = tutorial_mlp()
    bad = _Proxy(d, layers=[_Proxy(l, n_zeros=10**6) if l.name == "fc1" else l for l in d.layers])
    with pytest.raises(InvalidSetting, match="layer 'fc1': n_zeros 1000000"):
        estimate_design(bad)
    with pytest.raises(InvalidSetting, match="layer 'fc2': a precision"):
        estimate_design(_Proxy(d, layers=[_Proxy(l, result_precision="ap_fixed<x>") if l.name == "fc2" else l
                                           for l in d.layers]))
    with pytest.raises(TypeError, match="calibration"):
        estimate_design(d, calibration={"t_add_ns": 1.0})


# ---------------------------------------------------------------------------------------------------- fit
@pytest.mark.parametrize("kw, kind, words", [
    (dict(target=0), InvalidSetting, ["target", "(0, 1]"]),
    (dict(target=float("nan")), InvalidSetting, ["target"]),
    (dict(target=True), InvalidSetting, ["target"]),
    (dict(stage="place"), InvalidSetting, ["stage", "'place'"]),
    (dict(strategies="Latency"), TypeError, ["strategies", "list"]),
    (dict(strategies=()), InvalidSetting, ["strategies", "empty"]),
    (dict(strategies=("fast",)), InvalidSetting, ["strategy", "'fast'"]),
    (dict(estimator="estimate_design"), TypeError, ["estimator"]),
])
def test_catalogue_of_bad_fit_arguments(kw, kind, words):
    d = tutorial_mlp()
    before = d.to_hls4ml_config()
    with pytest.raises(kind) as info:
        fit_to_board(d, **kw)
    for w in words:
        assert w in str(info.value)
    assert d.to_hls4ml_config() == before
    with pytest.raises(TypeError, match="design"):
        fit_to_board({"layers": []})


@pytest.mark.parametrize("stage", ["csynth", "vsynth"])
def test_when_nothing_fits_the_floor_agrees_with_the_attempt_and_has_every_resource(stage):
    """A 784-512-512-256-10 MLP on a PYNQ-Z2 under 50 %: the floor is the lowest each resource reached in a design
    the search estimated, so no value is above what the returned attempt shows, and BRAM is in it and in the
    summary."""
    d = tutorial_mlp(sizes=(784, 512, 512, 256, 10))
    r = fit_to_board(d, 0.5, stage=stage)
    assert not r.fits and r.over()
    assert set(r.floor) == set(RESOURCES)
    for res in RESOURCES:
        assert 0 <= r.floor[res] <= r.utilisation[res] + 1e-9, (res, r.floor, r.utilisation)
    text = r.summary()
    assert "BRAM18K" in text.split("\n")[2] and "lowest reached per resource" in text


def test_vsynth_fit_gets_past_the_capped_dsps():
    """At the vsynth stage the part caps the DSPs at 100 %, so halving a layer's DSPs shows no change; the search
    follows the DSPs the design asks for and finds the design that fits (it stopped at 100 % DSP before)."""
    d = tutorial_mlp(sizes=(256, 256, 256, 10))
    assert estimate_design(d, stage="vsynth").utilisation["dsp"] == pytest.approx(100.0)
    r = fit_to_board(d, 0.8, stage="vsynth")
    assert r.fits, r.summary()
    again = estimate_design(r.design, stage="vsynth")
    assert all(again.utilisation[res] <= 80.0 + 1e-9 for res in RESOURCES)
    assert set(r.floor) == set(RESOURCES) and all(r.floor[res] <= r.utilisation[res] + 1e-9 for res in RESOURCES)


def test_valid_reuse_factors_of_the_catalogue_are_what_rules_say():
    """The estimator's ReuseFactor rule is hlsnb.rules' (what the Design offers): every Resource value it lists
    estimates."""
    for rf in valid_reuse_factors(16, 8, "Resource"):
        assert estimate_layer("Dense", 16, 8, strategy="Resource", reuse_factor=rf).estimated
