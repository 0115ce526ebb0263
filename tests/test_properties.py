"""Property tests (hypothesis) of the pure design rules: ReuseFactors, precisions, JSON of a Design."""

from hypothesis import given, settings
from hypothesis import strategies as st

from hlsnb import rules
from hlsnb.precision import FixedType, parse_precision


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 300), st.integers(1, 300))
def test_every_valid_rf_satisfies_hls4ml_rule(n_in, n_out):
    valid = rules.valid_reuse_factors(n_in, n_out)
    assert valid[0] == 1 and valid[-1] == n_in * n_out
    for rf in valid:
        assert (n_in * n_out) % rf == 0
        if rf < n_in:
            assert ((n_in * n_out) // rf) % n_out == 0
        else:
            assert rf % n_in == 0
    unrolled = rules.valid_reuse_factors(n_in, n_out, "Resource_Unrolled")
    assert 1 not in unrolled and n_in * n_out not in unrolled and set(unrolled) <= set(valid)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 64), st.integers(-8, 72), st.booleans(),
       st.sampled_from(["AP_TRN", "AP_RND", "AP_RND_CONV"]), st.sampled_from(["AP_WRAP", "AP_SAT"]))
def test_precision_round_trips(width, integer, signed, rounding, saturation):
    t = FixedType(width, integer, signed, rounding, saturation)
    back = parse_precision(str(t))
    assert back == t
    assert back.max_value > back.min_value


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(["fc1", "fc2", "fc3", "output"]), st.sampled_from(rules.STRATEGIES[:3]), st.integers(1, 4096))
def test_design_set_is_all_or_nothing(layer, strategy, rf):
    from hlsnb.estimate._reference import tutorial_mlp

    d = tutorial_mlp()
    before = d.to_json()
    l = d.layer(layer)
    # hls4ml keeps any Latency ReuseFactor; Resource-type strategies only the valid ones
    ok = strategy == "Latency" or rf in rules.valid_reuse_factors(l.n_in, l.n_out, strategy)
    try:
        d.set(layer, strategy=strategy, reuse_factor=rf)
    except ValueError as e:
        assert not ok and repr(layer) in str(e) and str(rf) in str(e)
        assert d.to_json() == before
    else:
        assert ok and d.layer(layer).reuse_factor == rf
