"""benchmarks/bench_pruning_vs_hls4ml.py's ``jets16_large`` (issue 28: jets16's generator with 20000 rows): the same
make_classification call as ``jets16`` but n_samples, its shape, classes, split sizes and standardisation; and
--matched-loss on a run other than the stored full run (``--stored``). No training."""

import json

import numpy as np
import pytest


@pytest.fixture(scope="module")
def bench(pruning_bench):
    return pruning_bench


def test_same_generator_call_as_jets16_but_the_rows(bench, monkeypatch):
    import sklearn.datasets

    calls = {}
    real = sklearn.datasets.make_classification

    def spy(**kw):
        calls[kw["n_samples"]] = kw
        return real(**{**kw, "n_samples": 200})

    monkeypatch.setattr(sklearn.datasets, "make_classification", spy)
    bench.load_dataset("jets16")
    bench.load_dataset("jets16_large")
    assert sorted(calls) == [3000, 20000]
    assert {k: v for k, v in calls[3000].items() if k != "n_samples"} == \
        {k: v for k, v in calls[20000].items() if k != "n_samples"}
    assert calls[3000]["random_state"] == 2019


def test_shape_classes_split_and_standardisation(bench):
    X, y, n_classes = bench.load_dataset("jets16_large")
    assert X.shape == (20000, 16) and X.dtype == np.float32 and y.shape == (20000,)
    assert n_classes == 5 and set(np.unique(y)) == set(range(5))
    assert np.bincount(y).min() > 0.19 * len(y)  # balanced classes (flip_y moves 2 % at random)

    X_fit, y_fit, X_val, y_val, X_te, y_te, n = bench.split("jets16_large", 0)
    assert n == 5 and (len(y_fit), len(y_val), len(y_te)) == (12000, 3000, 5000)
    assert X_fit.shape[1] == X_val.shape[1] == X_te.shape[1] == 16
    for part in (y_fit, y_val, y_te):  # stratified: every class's share within a row of the whole's
        assert np.allclose(np.bincount(part, minlength=5) / len(part), np.bincount(y) / len(y), atol=2 / len(part))
    # standardised on the fit rows: exactly there, the validation and test rows with the fit rows' mean and sd
    assert np.allclose(X_fit.mean(axis=0), 0, atol=1e-5) and np.allclose(X_fit.std(axis=0), 1, atol=1e-4)
    assert not np.allclose(X_te.mean(axis=0), 0, atol=1e-5)
    assert np.allclose(X_te.mean(axis=0), 0, atol=0.1) and np.allclose(X_te.std(axis=0), 1, atol=0.1)
    assert not np.allclose(X.std(axis=0), 1, atol=0.1)  # the generator's own rows are not standardised

    # the 3000-row jets16 keeps its split
    assert [len(a) for a in bench.split("jets16", 0)[1:6:2]] == [1800, 450, 750]


def test_wired_into_the_command_line_and_the_models(bench):
    assert "jets16_large" in bench.DATASETS and bench.MODELS["jets16_large"] == bench.MODELS["jets16"]
    with pytest.raises(ValueError, match="valid: digits, jets16, jets16_large"):
        bench.load_dataset("jets32")
    with pytest.raises(SystemExit):  # argparse refuses an unknown data set before running anything
        bench.main(["--datasets", "jets32", "--hlsnb-only"])


def _row(tool, seed, loss, red, tol):
    return {"dataset": "jets16_large", "seed": seed, "tool": tool, "tolerance_points": tol,
            "keras_accuracy_loss_points": loss, "val_accuracy_loss_points": tol, "hls4ml_dsp_reduction": red,
            "dsp_reduction": red, "test_rows": 5000}


def test_matched_loss_against_another_stored_run(bench, tmp_path):
    """--stored: a data set the stored full run lacks is matched against its own hls4ml run's base models."""
    base = [{"dataset": "jets16_large", "seed": s, "tool": "baseline", "keras_accuracy": 0.8 + s / 100,
             "dsp": 1000.0} for s in range(3)]
    hls = tmp_path / "hls4ml.json"
    runs = (("hls4ml l1", 1.0), ("hls4ml l1 (tol 2 pt)", 2.0))
    hls.write_text(json.dumps({"command": "h", "seconds": 60.0, "tolerance_points": [1.0, 2.0],
                               "rows": base + [_row(t, s, 0.5, 2.0, tol) for s in range(3) for t, tol in runs]}))
    mine = tmp_path / "hlsnb.json"
    mine.write_text(json.dumps({"command": "n", "seconds": 60.0, "rows": base + [
        _row("hlsnb lower best epoch", s, 0.5, 4.0, 1.0) for s in range(3)]}))
    out = tmp_path / "m.json"
    with pytest.raises(ValueError, match="has no base model"):  # the stored full run has no jets16_large base model
        bench.write_matched_loss([str(hls), str(mine)], str(out), variant="hlsnb lower best epoch")
    text = bench.write_matched_loss([str(mine)], str(out), variant="hlsnb lower best epoch", stored=str(hls))
    result = json.loads(out.read_text())
    assert result["stored"].endswith("hls4ml.json") and "--stored" in result["command"]
    m = result["matched"]["jets16_large"]
    assert [x["hls4ml_tolerance_points"] for x in m["matches"]] == [1.0, 2.0]
    assert m["matches"][0]["counters"]["hls4ml_dsp_reduction"]["stats"]["interpolate"]["median"] == pytest.approx(2.0)
    assert "the splits and base models of" in text and "5000 test rows per seed" in text
    # another base model than the stored run's: left out, and nothing is left to match
    mine.write_text(json.dumps({"command": "n", "seconds": 1.0, "rows": [dict(base[0], keras_accuracy=0.5)]}))
    with pytest.raises(ValueError, match="differs from"):
        bench.write_matched_loss([str(mine)], str(out), variant="hlsnb lower best epoch", stored=str(hls))
    # the default stored run's report keeps its wording
    assert "the stored full run's splits and base models (benchmarks/results/pruning_vs_hls4ml.json, " in \
        bench.matched_loss_report({"matched": {}, "command": "x"})
