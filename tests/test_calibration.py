"""The shipped coefficients are reproducible from reports.csv and beat hls4ml's formulas out of sample."""

from pathlib import Path

import pytest

CAL = Path(__file__).resolve().parents[1].parent / "shared" / "calibration"
CSV = CAL / "reports.csv"
pytestmark = pytest.mark.skipif(not CSV.exists(), reason=f"calibration data not found at {CSV}")


@pytest.fixture(scope="module")
def result():
    from hlsnb.estimate import _core, calibrate

    recs = calibrate.load_rows(CSV)
    models = calibrate.load_models(CSV)
    return calibrate.evaluate(recs, models, dict(_core.load_coefficients())), recs


def test_rows_are_read(result):
    _, recs = result
    assert sum(r["type"] == "dense" for r in recs) == 66


def test_shipped_coefficients_are_the_fit(result):
    from hlsnb.estimate import _core

    res, _ = result
    shipped = _core.load_coefficients()
    for k, v in res["coef"].items():
        if isinstance(v, float) and not k.startswith("_"):
            assert shipped[k] == pytest.approx(v, rel=1e-4, abs=1e-6), k


def test_out_of_sample_errors_are_bounded_and_beat_hls4ml(result):
    res, _ = result
    assert res["dsp_loo"]["dsp"][0] < res["dsp_hls4ml"]["dsp"][0]
    assert res["dsp_loo"]["dsp"][0] < 40
    assert res["dense_loo"]["ff"][0] < res["dense_hls4ml"]["ff"][0]
    for r in ("lut", "ff", "latency"):
        assert res["all_loo"][r][0] < 50, r
    assert res["model_loo"]["lut"][0] < 50


def test_forum_seed_row_is_in_the_data():
    import csv

    rows = [r for r in csv.DictReader(open(CSV)) if r["model_arch"].startswith("dense 16-64-32-32-5")]
    assert len(rows) == 1
    assert (rows[0]["bram18k"], rows[0]["dsp"], rows[0]["ff"], rows[0]["lut"]) == ("16", "21", "20367", "47883")


def test_the_forum_row_is_a_check_not_a_fit(tmp_path):
    """Issue 12: the forum's seed report no longer fits the accumulator write-select coefficient (it did, in-sample,
    until then). The shared fit is the same with or without that row in the data."""
    import csv

    from hlsnb.calibration.fitting import fit_coefficients, load_rows
    from hlsnb.estimate import COEFFICIENTS

    with open(CSV) as f:
        rows = list(csv.DictReader(f))
    forum = [r for r in rows if "16-64-32-32-5" in r["model_arch"] and r["strategy"] == "Resource"]
    assert len(forum) == 1
    no_forum = tmp_path / "reports.csv"
    with open(no_forum, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(r for r in rows if r is not forum[0])
    start = {k: v for k, v in COEFFICIENTS.items() if not isinstance(v, dict) and not k.startswith("_")}
    assert fit_coefficients(load_rows(CSV), start) == fit_coefficients(load_rows(no_forum), start)
