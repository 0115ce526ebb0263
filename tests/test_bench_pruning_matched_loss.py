"""benchmarks/bench_pruning_vs_hls4ml.py --matched-loss: hlsnb's reduction at the test loss hls4ml reached, per seed
(interpolation, the step rule, unmatched seeds, the goal verdict), on small made-up rows and on the stored run (no
training)."""

import json
import math
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_pruning_vs_hls4ml.py"
STORED = BENCH.parent / "results" / "pruning_vs_hls4ml.json"


@pytest.fixture(scope="module")
def bench(pruning_bench):
    return pruning_bench


def test_frontier_drops_points_beaten_at_no_more_loss(bench):
    pts = [(0.0, 1.0), (0.5, 2.0), (0.4, 3.0), (1.0, 2.5), (1.2, 6.0), (0.4, 1.5)]
    assert bench.frontier(pts) == [(0.0, 1.0), (0.4, 3.0), (1.2, 6.0)]


def test_reduction_at_interpolates_log_reduction_and_never_extrapolates(bench):
    pts = [(0.0, 1.0), (1.0, 4.0), (2.0, 3.0)]  # (2.0, 3.0) is beaten by (1.0, 4.0)
    assert bench.reduction_at(pts, 0.5) == pytest.approx(2.0)  # halfway in log: sqrt(1 * 4), not 2.5
    assert bench.reduction_at(pts, 0.5, "step") == 1.0  # the best model that exists at no more loss
    assert bench.reduction_at(pts, 1.0) == pytest.approx(4.0) == bench.reduction_at(pts, 1.0, "step")
    assert bench.reduction_at(pts, 3.0) == 4.0  # beyond the largest loss: flat, not extended
    assert bench.reduction_at(pts, -0.1) is None and bench.reduction_at(pts, -0.1, "step") is None
    with pytest.raises(ValueError, match="valid: 'interpolate', 'step'"):
        bench.reduction_at(pts, 0.5, "nearest")


def test_median_counts_unmatched_below_every_ratio(bench):
    assert bench.median_or_none([2.0, None, 1.0]) == 1.0
    assert bench.median_or_none([None, None, 3.0]) is None
    assert bench.median_or_none([4.0, 2.0, None, 3.0]) == pytest.approx(2.5)
    assert bench.median_or_none([4.0, None, None, 3.0]) is None
    assert bench.median_or_none([]) is None


def _row(tool, seed, loss, red, tol=1.0, ds="digits"):
    return {"dataset": ds, "seed": seed, "tool": tool, "tolerance_points": tol, "keras_accuracy_loss_points": loss,
            "val_accuracy_loss_points": tol, "hls4ml_dsp_reduction": red, "dsp_reduction": red * 0.9}


def test_matched_loss_pairs_seeds_and_gives_the_verdict(bench):
    rows = []
    for s in range(3):  # hlsnb: 2x at 0.5 points, 8x at 1.5 points on every seed; hls4ml: 2x at 1 point
        rows += [_row("hlsnb (tol 0.5 pt)", s, 0.5, 2.0, 0.5), _row("hlsnb", s, 1.5, 8.0),
                 _row("hls4ml l1", s, 1.0, 2.0)]
    rows.append(_row("hlsnb", 7, 0.0, 100.0))  # a seed hls4ml did not run: not paired
    rows.append(_row("hlsnb other", 0, 0.0, 100.0))  # another variant: not hlsnb's curve
    m = bench.matched_loss(rows)["digits"]
    assert m["seeds"] == [0, 1, 2]
    (match,) = m["matches"]
    c = match["counters"]["hls4ml_dsp_reduction"]
    assert c["seeds"][0]["hlsnb_reduction_interpolate"] == pytest.approx(4.0)  # sqrt(2 * 8) at 1 point
    assert c["stats"]["interpolate"]["median"] == pytest.approx(2.0) and c["stats"]["interpolate"]["seeds_at_goal"] == 3
    assert c["stats"]["step"]["median"] == pytest.approx(1.0)  # the 0.5-point run: hlsnb at less loss
    assert c["mean_curve"]["ratio"] == pytest.approx(2.0)
    assert match["counters"]["dsp_reduction"]["stats"]["interpolate"]["median"] == pytest.approx(2.0)
    assert match["goal_met"]
    # at equal tolerance (hlsnb's 1-point run against hls4ml's): 4x reduction, 0.5 points more loss on every seed
    eq = match["equal_tolerance"]
    assert eq["counters"]["hls4ml_dsp_reduction"]["ratios"] == [4.0, 4.0, 4.0]
    assert eq["counters"]["dsp_reduction"]["median"] == pytest.approx(4.0)
    assert eq["loss_difference"]["per_seed"] == [0.5, 0.5, 0.5]
    assert eq["loss_difference"]["low"] == eq["loss_difference"]["high"] == pytest.approx(0.5)  # no spread
    text = bench.matched_loss_report({"matched": {"digits": m}, "command": "x"})
    assert "| 1 pt | 4.00x, 4.00x, 4.00x | **4.00x** |" in text and "| +0.50 [+0.50, +0.50] |" in text

    # hls4ml's model better than the unpruned one on a seed where every hlsnb run lost accuracy: unmatched there
    rows[2] = _row("hls4ml l1", 0, -0.5, 2.0)
    rows[5] = _row("hls4ml l1", 1, -0.5, 2.0)
    (match,) = bench.matched_loss(rows)["digits"]["matches"]
    st = match["counters"]["hls4ml_dsp_reduction"]["stats"]["interpolate"]
    assert st["unmatched"] == 2 and st["median"] is None and st["min"] is None and st["max"] == pytest.approx(2.0)
    assert not match["goal_met"]

    # a run made twice: the later row is used, and whether it reproduced is said
    twice = bench.matched_loss([*rows, _row("hlsnb", 0, 1.5, 8.0), _row("hlsnb", 1, 1.5, 4.0)])["digits"]
    assert [(x["seed"], x["identical"]) for x in twice["reruns"]] == [(0, True), (1, False)]
    assert twice["runs"]["hlsnb 1"]["seeds"][1]["hls4ml_dsp_reduction"] == 4.0
    assert "1 of 2 identical" in bench.matched_loss_report({"matched": {"digits": twice}, "command": "x"})

    # the interval over seeds: mean 0.5, t(0.975, 2) * sd / sqrt(3) either side
    spread = bench.equal_tolerance({s: _row("hlsnb", s, x, 4.0) for s, x in enumerate([0.0, 0.5, 1.0])},
                                   {s: _row("hls4ml l1", s, 0.0, 2.0) for s in range(3)}, [0, 1, 2])
    half = 4.302652729911275 * 0.5 / math.sqrt(3)
    assert spread["loss_difference"]["mean"] == pytest.approx(0.5)
    assert (spread["loss_difference"]["low"], spread["loss_difference"]["high"]) == pytest.approx((0.5 - half,
                                                                                                  0.5 + half))

    # the paired per-row test: rows without per-row results have none, and the report says so
    assert spread["paired"] is None
    assert "not kept (runs made before per-row results were)" in text

    # a tolerance run missing a seed: that seed is left out, not matched on fewer runs
    rows = [r for r in rows if not (r["seed"] == 2 and r["tool"] == "hlsnb (tol 0.5 pt)")]
    assert bench.matched_loss(rows)["digits"]["seeds"] == [0, 1]


def test_goal_needs_both_counters(bench):
    rows = []
    for s in range(3):
        rows += [_row("hlsnb", s, 1.0, 3.2), _row("hls4ml l1", s, 1.0, 2.0)]  # 1.6x on hls4ml's, 1.44x on est.
    rows = [dict(r, dsp_reduction=r["hls4ml_dsp_reduction"] * (0.9 if r["tool"] == "hlsnb" else 1.0)) for r in rows]
    (match,) = bench.matched_loss(rows)["digits"]["matches"]
    assert match["counters"]["hls4ml_dsp_reduction"]["stats"]["interpolate"]["median"] == pytest.approx(1.6)
    assert match["counters"]["dsp_reduction"]["stats"]["interpolate"]["median"] == pytest.approx(1.44)
    assert not match["goal_met"]


def test_stored_run_matched_and_written(bench, tmp_path):
    """The stored full run alone (hlsnb and hls4ml at 1 point): digits seed 0's ratio from its rows, the files."""
    stored = json.loads(STORED.read_text())
    row = {(r["dataset"], r["seed"], r["tool"]): r for r in stored["rows"]}
    h, n = row[("digits", 0, "hls4ml l1")], row[("digits", 0, "hlsnb")]
    out = tmp_path / "m.json"
    text = bench.write_matched_loss([str(STORED)], str(out))
    result = json.loads(out.read_text())
    c = result["matched"]["digits"]["matches"][0]["counters"]["hls4ml_dsp_reduction"]["seeds"]["0"]
    # seed 0: hlsnb lost less than hls4ml, its one run is the frontier's end: flat there
    assert n["keras_accuracy_loss_points"] < h["keras_accuracy_loss_points"]
    assert c["ratio_interpolate"] == pytest.approx(n["hls4ml_dsp_reduction"] / h["hls4ml_dsp_reduction"])
    assert (tmp_path / "m.md").read_text() == text + "\n" and "Command: `python benchmarks/" in text
    assert (tmp_path / "m.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not math.isnan(result["matched"]["jets16"]["matches"][0]["counters"]["dsp_reduction"]["mean_curve"][
        "hls4ml_mean_loss"])


def test_other_base_model_refused(bench, tmp_path):
    stored = json.loads(STORED.read_text())
    base = next(r for r in stored["rows"] if r["tool"] == "baseline")
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"rows": [dict(base, keras_accuracy=base["keras_accuracy"] - 0.01)]}))
    with pytest.raises(ValueError, match="differs from"):
        bench.checked_rows([str(other)], str(STORED))


def test_a_later_estimate_of_the_same_base_is_paired_and_said_an_unreproduced_base_left_out_and_said(bench,
                                                                                                      tmp_path):
    stored = json.loads(STORED.read_text())
    bases = [r for r in stored["rows"] if r["tool"] == "baseline"][:2]
    same, other = dict(bases[0], dsp=bases[0]["dsp"] + 40), dict(bases[1], keras_accuracy=0.5)
    run = tmp_path / "run.json"
    run.write_text(json.dumps({"rows": [same, other, _row("hlsnb x", bases[0]["seed"], 0.0, 2.0),
                                        _row("hlsnb x", bases[1]["seed"], 0.0, 2.0)]}))
    drift: list = []
    _, rows = bench.checked_rows([str(run)], str(STORED), drift)
    mine = [r for r in rows if r["tool"] == "hlsnb x"]
    assert [(r["dataset"], r["seed"]) for r in mine] == [(bases[0]["dataset"], bases[0]["seed"])]
    assert [d.get("unpaired", False) for d in drift] == [False, True]
    assert drift[0]["stored_dsp"] == bases[0]["dsp"] and drift[0]["dsp"] == bases[0]["dsp"] + 40
    text = bench.matched_loss_report({"matched": {}, "command": "c", "estimate_drift": drift})
    assert "**Left out**" in text and "**Estimate drift**" in text and f"{bases[0]['dsp'] + 40:.0f} now" in text
    with pytest.raises(ValueError, match="differs from"):  # without a list to say it in: refused, as before
        bench.checked_rows([str(run)], str(STORED))


def test_a_later_stored_run_replaces_the_seeds_it_re_made(bench, tmp_path):
    """--stored A B: B's seeds (base model and rows) replace A's; A's rows of those seeds are gone, its other seeds
    stay, and a run made on B's base model of such a seed is paired (on A's alone it would be left out)."""
    stored = json.loads(STORED.read_text())
    old = next(r for r in stored["rows"] if r["tool"] == "baseline" and r["dataset"] == "digits" and r["seed"] == 4)
    new_base = dict(old, keras_accuracy=old["keras_accuracy"] + 0.002)
    remade = tmp_path / "remade.json"
    remade.write_text(json.dumps({"command": "c1", "seconds": 1, "rows": [new_base, _row("hls4ml l1", 4, 0.3, 3.0)]}))
    run = tmp_path / "run.json"
    run.write_text(json.dumps({"command": "c2", "seconds": 1, "rows": [new_base, _row("hlsnb x", 4, 0.0, 5.0)]}))
    drift: list = []
    base, rows = bench.checked_rows([str(run)], [str(STORED), str(remade)], drift)
    assert base[("digits", 4)] == new_base and base[("digits", 0)]["tool"] == "baseline" and not drift
    four = [(r["tool"], r["hls4ml_dsp_reduction"]) for r in rows if (r["dataset"], r["seed"]) == ("digits", 4)]
    assert four == [("hls4ml l1", 3.0), ("hlsnb x", 5.0)]  # the stored run's seed-4 rows replaced
    assert any(r["seed"] == 0 and r["tool"] == "hls4ml l1" for r in rows)  # its other seeds kept
    _, alone = bench.checked_rows([str(run)], str(STORED), drift)
    assert not any(r["tool"] == "hlsnb x" for r in alone) and drift[0]["unpaired"]
    out = tmp_path / "m.json"
    text = bench.write_matched_loss([str(run)], str(out), variant="hlsnb x", stored=[str(STORED), str(remade)])
    assert "a later file's seeds replace an earlier one's" in text
    assert json.loads(out.read_text())["command"].endswith(f"--stored {bench.os.path.relpath(STORED, bench.ROOT)} "
                                                          f"{bench.os.path.relpath(remade, bench.ROOT)}")


def test_runs_fine_tuned_at_another_learning_rate_are_refused_and_the_rate_is_said(bench, tmp_path):
    """A run made with --learning-rate 1e-4 is not paired with the stored runs (1e-3, made before the option) nor
    merged with them; runs at one rate are, and the report names it."""
    stored = json.loads(STORED.read_text())
    base = next(r for r in stored["rows"] if r["tool"] == "baseline" and r["dataset"] == "digits")
    run = tmp_path / "run.json"
    run.write_text(json.dumps({"command": "c", "seconds": 1, "budget": {"learning_rate": 1e-4},
                               "rows": [base, _row("hlsnb x", base["seed"], 0.0, 2.0)]}))
    with pytest.raises(ValueError, match=r"different learning rates.*run\.json 0\.0001"):
        bench.checked_rows([str(run)], str(STORED))
    with pytest.raises(ValueError, match="different learning rates"):
        bench.merge([str(STORED), str(run)], str(tmp_path / "merged.json"))
    same = tmp_path / "same.json"  # the stored run's rows at the run's rate: paired, the rate said
    same.write_text(json.dumps(dict(stored, budget=dict(stored.get("budget", {}), learning_rate=1e-4))))
    _, rows = bench.checked_rows([str(run)], str(same))
    assert {r["learning_rate"] for r in rows} == {1e-4}
    text = bench.write_matched_loss([str(run)], str(tmp_path / "m.json"), variant="hlsnb x", stored=str(same))
    assert "Adam's learning rate 0.0001" in text
    assert "Adam's learning rate 0.001," in bench.write_matched_loss([str(STORED)], str(tmp_path / "m2.json"))


def test_the_paired_per_row_test_counts_the_discordant_rows_of_every_seed(bench):
    """McNemar on the rows: seed 0 hlsnb right where hls4ml is wrong on 1 row, the reverse on 1; seed 1 the reverse
    on 5 more. Pooled: 1 against 6 of 11 rows in 2 seeds, two-sided exact p = 2 * P(X <= 1), X ~ Bin(7, 1/2)."""
    mine = {0: {"test_correct": "1100"}, 1: {"test_correct": "0000000"}}
    theirs = {0: {"test_correct": "1010"}, 1: {"test_correct": "1111100"}}
    p = bench.paired_test(mine, theirs, [0, 1])
    assert p["per_seed"] == {0: {"hlsnb_only": 1, "hls4ml_only": 1, "rows": 4},
                             1: {"hlsnb_only": 0, "hls4ml_only": 5, "rows": 7}}
    assert (p["hlsnb_only"], p["hls4ml_only"], p["rows"]) == (1, 6, 11)
    assert p["p_value"] == pytest.approx(2 * (1 + 7) / 2 ** 7)
    assert p["loss_difference_points"] == pytest.approx(100 * 5 / 11)
    assert bench.paired_test({0: {"test_correct": "11"}}, {0: {"test_correct": "11"}}, [0])["p_value"] == 1.0
    assert bench.paired_test(mine, {0: theirs[0], 1: {}}, [0, 1]) is None  # one run kept none
    with pytest.raises(ValueError, match="seed 0: the two runs kept 4 and 3 test rows"):
        bench.paired_test(mine, {0: {"test_correct": "101"}, 1: theirs[1]}, [0, 1])
    assert "1 / 6 of 11 (+45.45 pt), p = 0.12" in bench._paired_cell(p)


def test_score_keeps_which_test_rows_the_model_gets_right(bench):
    data = bench.split("digits", 0)
    model = bench._model(data[0].shape[1], data[6], 0)
    row = bench.score(model, data[4], data[5], False, "/nonexistent", {})
    assert len(row["test_correct"]) == len(data[5]) and set(row["test_correct"]) <= {"0", "1"}
    assert row["test_correct"].count("1") / len(data[5]) == row["keras_accuracy"]
    from hlsnb.prune import model_accuracy

    assert row["keras_accuracy"] == model_accuracy(model, data[4], data[5])


def test_tolerance_names_and_the_rows_tolerance(bench, tmp_path):
    assert bench.tool_name("hlsnb", 1.0) == "hlsnb"  # the stored runs' tolerance keeps the stored names
    assert bench.tool_name("hls4ml l1", 0.5) == "hls4ml l1 (tol 0.5 pt)"
    assert bench._tol_key("hls4ml l1 (tol 0.5 pt)", "hls4ml l1") and not bench._tol_key("hls4ml l2", "hls4ml l1")
    assert not bench._tol_key("hlsnb best epoch", "hlsnb")
    stored = json.loads(STORED.read_text())
    base = next(r for r in stored["rows"] if r["tool"] == "baseline")
    without = {k: v for k, v in _row("hlsnb x", 0, 0.0, 2.0).items() if k != "tolerance_points"}
    run = tmp_path / "run.json"  # a row without its own tolerance has its run's
    run.write_text(json.dumps({"tolerance_points": 0.5, "rows": [base, without]}))
    _, rows = bench.checked_rows([str(run)], str(STORED))
    assert rows[-1]["tool"] == "hlsnb x" and rows[-1]["tolerance_points"] == 0.5
    assert {r["tolerance_points"] for r in rows[:-1]} == {1.0}  # the stored run's rows: 1 point


def test_another_variant_is_matched_on_its_own_runs(bench, tmp_path):
    """--variant: the matched-loss comparison of another hlsnb variant (e.g. ``hlsnb control``) uses that
    variant's runs at every tolerance only, and the command written says which."""
    rows = []
    for s in range(3):  # hlsnb control: 4x at 1 point; the default hlsnb: 1x (nothing pruned); hls4ml 2x at 1 point
        rows += [_row("hlsnb control", s, 1.0, 4.0), _row("hlsnb control (tol 0.5 pt)", s, 0.5, 2.0, 0.5),
                 _row("hlsnb", s, 0.0, 1.0), _row("hls4ml l1", s, 1.0, 2.0)]
    (match,) = bench.matched_loss(rows, variant="hlsnb control")["digits"]["matches"]
    assert match["counters"]["hls4ml_dsp_reduction"]["stats"]["interpolate"]["median"] == pytest.approx(2.0)
    (match,) = bench.matched_loss(rows)["digits"]["matches"]
    assert match["counters"]["hls4ml_dsp_reduction"]["stats"]["interpolate"]["median"] == pytest.approx(0.5)
    out = tmp_path / "m.json"
    bench.main(["--matched-loss", str(STORED), "--variant", "hlsnb", "--out", str(out)])
    assert "--variant" not in json.loads(out.read_text())["command"]  # the default is not spelled out
    with pytest.raises(ValueError, match="'hlsnb control'"):  # the stored run has no such rows
        bench.write_matched_loss([str(STORED)], str(out), variant="hlsnb control")
