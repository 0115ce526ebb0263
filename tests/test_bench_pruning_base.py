"""benchmarks/bench_pruning_vs_hls4ml.py: how each seed's base model is trained (``--base``) and kept between runs."""

import json

import numpy as np
import pytest


def test_converged_base_keeps_the_best_validation_strength_and_is_read_back(pruning_bench, tmp_path, monkeypatch):
    b = pruning_bench
    from hlsnb.prune import model_accuracy

    data = b.split("digits", 0)
    monkeypatch.setattr(b, "BASE_L1_CANDIDATES", (0.0, 0.3))  # 0.3: a penalty that costs validation accuracy
    said = []
    base, info = b.train_base("digits", 0, data, "converged", batch=64, epochs=3, cache=str(tmp_path),
                              log=said.append)
    assert info["recipe"] == "converged" and [t["l1"] for t in info["trials"]] == [0.0, 0.3]
    vals = {t["l1"]: t["val_accuracy"] for t in info["trials"]}
    assert vals[0.0] > vals[0.3] and info["l1"] == 0.0  # the best on the validation rows is kept
    assert model_accuracy(base, data[2], data[3]) == pytest.approx(vals[0.0])
    assert len(said) == 2 and "L1 0.3" in said[1] and "validation" in said[1]
    assert all(not getattr(layer.kernel, "regularizer", None) for layer in base.layers if hasattr(layer, "kernel"))
    path = b.base_path(str(tmp_path), "digits", 0, "converged", 64)
    stored = np.load(path)
    assert json.loads(str(stored["info"]))["l1"] == 0.0
    again, info2 = b.train_base("digits", 0, data, "converged", batch=64, epochs=3, cache=str(tmp_path))
    assert info2["read_from"] and {k: info2[k] for k in info} == info  # read, not trained again
    for w, v in zip(base.get_weights(), again.get_weights(), strict=True):
        np.testing.assert_array_equal(w, v)


def test_a_tie_keeps_the_weaker_penalty_and_an_unknown_recipe_is_refused(pruning_bench, monkeypatch):
    b = pruning_bench
    data = b.split("digits", 1)
    monkeypatch.setattr(b, "BASE_L1_CANDIDATES", (0.0, 0.0))
    _, info = b.train_base("digits", 1, data, "converged", batch=64, epochs=1)
    assert info["trials"][0]["val_accuracy"] == info["trials"][1]["val_accuracy"] and info["l1"] == 0.0
    with pytest.raises(ValueError, match=r"'fast'.*early-stopping, converged"):
        b.train_base("digits", 1, data, "fast")


def test_a_variant_with_l1_base_fine_tunes_with_the_base_models_penalty(pruning_bench, monkeypatch):
    import argparse

    import hlsnb.prune

    b = pruning_bench
    seen = {}

    class Stop(Exception):
        pass

    def fake_prune(*a, **kw):
        seen.update(kw)
        raise Stop

    monkeypatch.setattr(hlsnb.prune, "prune", fake_prune)
    args = argparse.Namespace(hlsnb_only=True, hls4ml_final=0.95, steps=5, epochs=10, batch=32, learning_rate=2e-4,
                              variants=["hlsnb lower l1 base labels rewind best epoch"])
    with pytest.raises(Stop):
        b._run_tools(args, "digits", 0, 1.0, {}, b._model(64, 10, 0), {}, "/nonexistent", print,
                     b.split("digits", 0), 1e-3)
    assert seen["l1"] == 1e-3 and seen["warmup"] == 0 and seen["distill"] == 0.0 and seen["reference"] == "lower"
    assert seen["learning_rate"] == 2e-4
    assert {n for n, v in b.VARIANTS.items() if v.get("l1") == "base"} == {
        "hlsnb lower l1 base best epoch", "hlsnb lower l1 base labels rewind best epoch",
        "hlsnb l1 base labels rewind best epoch", "hlsnb l1 base labels rewind best epoch polynomial"}


def test_the_learning_rate_reaches_hls4mls_worker_too(pruning_bench, monkeypatch, tmp_path):
    """``--learning-rate`` is every tool's: the hls4ml worker's input carries it (its Adam reads it there)."""
    import argparse
    import subprocess

    b = pruning_bench
    seen = {}

    class Stop(Exception):
        pass

    def fake_run(cmd, **kw):
        seen.update(np.load(cmd[-2]))
        raise Stop

    monkeypatch.setattr(subprocess, "run", fake_run)
    args = argparse.Namespace(hlsnb_only=False, hls4ml_final=0.95, steps=5, epochs=10, batch=32, learning_rate=2e-4,
                              hls4ml_rankings=["l1"], keras2_python="python", variants=[])
    with pytest.raises(Stop):
        b._run_tools(args, "digits", 0, 1.0, {}, b._model(64, 10, 0), {}, str(tmp_path), print,
                     b.split("digits", 0), 0.0)
    assert float(seen["learning_rate"]) == 2e-4 and float(seen["tolerance"]) == 0.01
