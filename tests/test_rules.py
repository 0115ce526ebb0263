"""hlsnb.rules mirrors hls4ml's own ReuseFactor rules; checked against hls4ml's backend functions."""

import itertools

import numpy as np
import pytest

from hlsnb import rules


@pytest.fixture(scope="module")
def vivado_backend():
    from hls4ml.backends import get_backend

    return get_backend("Vivado")


@pytest.mark.parametrize("n_in,n_out", list(itertools.product([1, 3, 5, 16, 27, 32, 64, 75, 100, 144], [1, 2, 5, 8, 10, 16, 32, 64])))
def test_valid_reuse_factors_match_hls4ml(vivado_backend, n_in, n_out):
    assert list(rules.valid_reuse_factors(n_in, n_out, "Resource")) == vivado_backend.get_valid_reuse_factors(n_in, n_out)


def test_facts_examples():
    assert rules.valid_reuse_factors(16, 64) == (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
    assert rules.valid_reuse_factors(32, 5) == (1, 2, 4, 8, 16, 32, 160)


def test_resource_unrolled_drops_one_and_max():
    # hls4ml: RF 1 falls back to Resource; include_max_rf=False drops n_in*n_out
    assert rules.valid_reuse_factors(32, 5, "Resource_Unrolled") == (2, 4, 8, 16, 32)


def test_distributed_arithmetic_only_rf1():
    assert rules.valid_reuse_factors(16, 64, "da") == (1,)


@pytest.mark.parametrize("bad", ["latencyy", "Resources", "", "unrolled"])
def test_unknown_strategy_raises(bad):
    with pytest.raises(ValueError, match="unknown strategy"):
        rules.canonical_strategy(bad, "fc1")


def test_strategy_aliases():
    assert rules.canonical_strategy("resource") == "Resource"
    assert rules.canonical_strategy("DA") == "distributed_arithmetic"


def test_strategies_for_conv_parallel_excludes_unrolled():
    assert "Resource_Unrolled" not in rules.strategies_for("Conv2D", "io_parallel")
    assert "Resource_Unrolled" in rules.strategies_for("Conv2D", "io_stream")
    assert rules.strategies_for("Activation") == ("Latency",)


# ---------------------------------------------------------------- one owner of setting validity (issues 24.1, 26.2)
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from hlsnb.errors import InvalidSetting  # noqa: E402


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n_in=st.integers(1, 96), n_out=st.integers(1, 96), data=st.data())
def test_check_setting_keeps_what_hls4ml_keeps_for_each_strategy(vivado_backend, n_in, n_out, data):
    """Per strategy, a Dense ReuseFactor is accepted exactly when hls4ml's backend keeps it as given
    (``init_dense``: Resource checks against ``get_valid_reuse_factors``, Resource_Unrolled the same without the
    largest and not at 1, distributed_arithmetic only 1, Latency anything)."""
    rf = data.draw(st.one_of(st.integers(1, n_in * n_out + 3), st.sampled_from([1, n_in, n_out, n_in * n_out])))
    valid = vivado_backend.get_valid_reuse_factors(n_in, n_out)
    kept = {
        "Latency": True,
        "Resource": rf in valid,
        "Resource_Unrolled": rf != 1 and rf in valid[:-1],
        "distributed_arithmetic": rf == 1,
    }
    for strategy, hls4ml_keeps in kept.items():
        try:
            got = rules.check_setting("fc", "Dense", strategy, rf, n_in, n_out)
        except InvalidSetting as e:
            assert not hls4ml_keeps, (strategy, rf, str(e))
            assert "'fc'" in str(e) and f"ReuseFactor {rf} is not valid" in str(e)
        else:
            assert hls4ml_keeps and got == (strategy, rf), (strategy, rf)
        if strategy == "Resource" and not hls4ml_keeps:  # closest=True gives what hls4ml would substitute
            assert rules.check_setting("fc", "Dense", strategy, rf, n_in, n_out, closest=True)[1] == \
                vivado_backend.get_closest_reuse_factor(valid, rf)


@settings(max_examples=150, deadline=None)
@given(chans=st.integers(1, 16), taps=st.sampled_from([1, 2, 3, 9, 25]), filters=st.integers(1, 32),
       rf=st.integers(1, 400), io_type=st.sampled_from(["io_parallel", "io_stream"]))
def test_conv_resource_follows_the_validator_and_the_template_assert(chans, taps, filters, rf, io_type):
    """io_parallel Conv Resource: hls4ml's validator on (taps x chans) x filters AND the template's
    ``reuse_factor <= filt_height*filt_width*n_chan`` assert (nnet_conv2d_resource.h:23); io_stream: the validator."""
    from hls4ml.backends import get_backend

    n_in = chans * taps
    ok = rf in get_backend("Vivado").get_valid_reuse_factors(n_in, filters) and (io_type == "io_stream" or rf <= n_in)
    try:
        rules.check_setting("c", "Conv2D", "Resource", rf, n_in, filters, io_type)
        assert ok
    except InvalidSetting as e:
        assert not ok, str(e)
        if rf > n_in and io_type == "io_parallel" and rf in rules.valid_reuse_factors(n_in, filters):
            assert "template asserts" in str(e)
    # Latency keeps any ReuseFactor, convolutions too
    assert rules.check_setting("c", "Conv2D", "Latency", rf, n_in, filters, io_type) == ("Latency", rf)


def test_latency_accepts_any_reuse_factor_with_a_note_the_resource_set_does_not():
    """The case the two owners disagreed on: a 3x2 Dense at Latency RF 100. hls4ml builds it (no check for
    Latency); the Design and the estimator both accept it now, and Design.warnings() says what it costs."""
    assert rules.check_setting("fc", "Dense", "Latency", 100, 3, 2) == ("Latency", 100)
    note = rules.latency_note("fc", 3, 2, 100)
    assert "above its 6 products" in note and "ReuseFactor 6" in note
    assert "does not divide" in rules.latency_note("fc", 16, 64, 3)
    assert rules.latency_note("fc", 16, 64, 4) is None
    with pytest.raises(InvalidSetting, match="silently use 6"):
        rules.check_setting("fc", "Dense", "Resource", 100, 3, 2)


@pytest.mark.parametrize("value,kind", [(True, TypeError), ("4", TypeError), (4.5, TypeError), (None, TypeError),
                                        (0, ValueError), (-3, ValueError), (2**40, ValueError)])
def test_a_reuse_factor_that_is_no_positive_integer_is_refused_naming_the_field(value, kind):
    with pytest.raises(kind) as info:
        rules.check_setting("fc", "Dense", "Latency", value, 4, 4, field="reuse_factor")
    assert isinstance(info.value, InvalidSetting) and "'fc'" in str(info.value) and "reuse_factor" in str(info.value)
    assert rules.as_reuse_factor(4.0) == 4 and rules.as_reuse_factor(np.int64(8)) == 8


def test_layers_without_multipliers_and_unknown_values():
    with pytest.raises(InvalidSetting, match="fixed at 1"):
        rules.check_setting("relu", "Activation", "Latency", 4)
    with pytest.raises(InvalidSetting, match="valid: Latency"):
        rules.check_setting("relu", "Activation", "Resource", 1)
    with pytest.raises(InvalidSetting, match="valid: Latency, Resource, distributed_arithmetic"):
        rules.check_setting("c", "Conv2D", "Resource_Unrolled", 3, 27, 8)
    with pytest.raises(InvalidSetting, match="io_type 'stream'.*io_parallel, io_stream"):
        rules.check_setting("fc", "Dense", "Latency", 1, 4, 4, io_type="stream")
    with pytest.raises(InvalidSetting, match="backend 'Quartus'.*Vivado, Vitis, VivadoAccelerator"):
        rules.check_setting("fc", "Dense", "Latency", 1, 4, 4, backend="Quartus")


def _dense_model(n_in, n_out):
    import keras

    return keras.Sequential([keras.Input((n_in,)), keras.layers.Dense(n_out, name="fc")], name="tiny")


@pytest.mark.parametrize("backend", ["Vivado", "Vitis"])
@pytest.mark.parametrize("strategy,rf", [("Latency", 100), ("Latency", 5), ("Resource", 3), ("Resource", 4),
                                         ("Resource", 100), ("Resource_Unrolled", 6), ("Resource_Unrolled", 2)])
def test_what_rules_accept_is_what_hls4ml_builds_as_given(backend, strategy, rf, tmp_path, capsys):
    """Convert a 3x2 Dense through hls4ml's real backends: the layer's reuse_factor after conversion equals the one
    asked for exactly when rules.check_setting accepts it (else hls4ml substituted and printed a warning)."""
    import hls4ml

    cfg = {"Model": {"Precision": "ap_fixed<16,6>", "ReuseFactor": 1, "Strategy": "Latency"},
           "LayerName": {"fc": {"Strategy": strategy, "ReuseFactor": rf}}}
    m = hls4ml.converters.convert_from_keras_model(_dense_model(3, 2), hls_config=cfg, backend=backend,
                                                   output_dir=str(tmp_path / "prj"))
    built = m.graph["fc"].get_attr("reuse_factor")
    try:
        rules.check_setting("fc", "Dense", strategy, rf, 3, 2, backend=backend)
        accepted = True
    except InvalidSetting:
        accepted = False
    assert accepted == (built == rf), (strategy, rf, built, capsys.readouterr().out[-300:])
