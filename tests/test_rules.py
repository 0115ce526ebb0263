"""hlsnb.rules mirrors hls4ml's own ReuseFactor rules; checked against hls4ml's backend functions."""

import itertools

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
