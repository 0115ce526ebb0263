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


def test_resource_write_select_is_fitted_on_the_forum_row():
    from hlsnb.estimate import _core, calibrate

    designs = calibrate.load_resource_designs(CSV)
    assert len(designs) == 1 and designs[0]["rf"] == 64
    coef = calibrate.fit_resource_write_select(designs, _core.load_coefficients())
    assert _core.load_coefficients()["lut_wsel_per_bit"] == pytest.approx(coef["lut_wsel_per_bit"], rel=1e-4)
    # a physical value: about one LUT per conditional-update bit (a 2:1 mux in front of each accumulator bit)
    assert 0.3 < coef["lut_wsel_per_bit"] < 3
