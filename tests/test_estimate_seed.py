"""The seed reports reproduced as checks, never fitted (issue 23 item 2).

The forum's design (16-64-32-32-5, ap_fixed<6,1> weights with the public build's zero counts, quantized ReLUs
ap_ufixed<6,0,AP_RND_CONV,AP_SAT>, RF 64 on every Dense, pynq-z2, 5 ns, Vivado HLS 2019.2) against the forum's
Resource report and the public Latency build; the per-layer Pynq-backend report of the same network held out too.
Targets: csynth LUT and DSP within 15 %, FF and BRAM within 30 %, Resource > Latency beyond the error bars. Targets
the estimator misses are strict xfails with the measured numbers: they fail the day the estimate meets them.
"""

from pathlib import Path

import pytest

from hlsnb.calibration.reference import FORUM_ACCUM, FORUM_ZEROS, forum_mlp
from hlsnb.calibration.seed import LATENCY_REPORT, PYNQ_LAYERS, SEED_REPORT, TOLERANCE, pynq_layer_check, seed_check
from hlsnb.estimate import estimate_design

CAL = Path(__file__).resolve().parents[1].parent / "shared" / "calibration"
CSVS = [CAL / "reports.csv", CAL / "reports2.csv", CAL / "reports3.csv"]
needs_data = pytest.mark.skipif(not all(p.exists() for p in CSVS), reason=f"calibration data not found at {CAL}")


@pytest.fixture(scope="module")
def seed():
    return seed_check()


def test_the_forum_design_is_the_quantized_pruned_one():
    d = forum_mlp("Resource", 64)
    dense = [l for l in d.layers if l.layer_type == "Dense"]
    assert [l.n_zeros for l in dense] == list(FORUM_ZEROS)
    assert sum(FORUM_ZEROS) / sum(l.n_in * l.n_out for l in dense) == pytest.approx(0.758, abs=0.002)
    assert {l.weight_precision for l in dense} == {"ap_fixed<6,1>"}
    # the config says "result auto": hls4ml infers the accumulators (27, 19, 18, 18 bits, as enlupi's reports show)
    assert [l.accum_precision for l in dense] == [l.result_precision for l in dense] == list(FORUM_ACCUM)
    relus = [l for l in d.layers if l.layer_type == "Activation"]
    assert {l.result_precision for l in relus} == {"ap_ufixed<6,0,AP_RND_CONV,AP_SAT>"}
    # hls4ml substitutes RF 32 on the 32x5 layer for Resource; Latency keeps the forum's 64 (the estimator accepts it)
    assert dense[-1].reuse_factor == 32 and forum_mlp("Latency", 64).layers[-2].reuse_factor == 64
    e = estimate_design(forum_mlp("Latency", 64))
    assert e.layer("output").reuse_factor == 64


@pytest.mark.parametrize("key,resources", [("resource", ("lut", "ff", "dsp", "bram18k")),
                                           ("latency", ("dsp", "ff", "bram18k"))])
def test_seed_targets_met(seed, key, resources):
    x = seed[key]
    for r in resources:
        assert abs(x["error"][r]) <= TOLERANCE[r], (key, r, x["csynth"][r], x["report"][r])


def test_seed_latency_lut_within_tolerance(seed):
    """The public Latency build's LUTs within 15 %: measured 38,027 vs 34,823 (+9.2 %). It was +15.4 % (a strict
    xfail) until each constant product was sized by its constant's magnitude (``const_width``: a 6-bit ReLU output
    times a weight of magnitude 5/32 is a 9-bit product, not 12; no Vivado HLS training row has products narrower
    than its accum_t, so this check is the rule's only Vivado HLS test, and on Vitis HLS FF it is neutral); +21 %
    until the io_stream activations' stream read/write was priced on its own, +48 % before the adder trees were sized
    by operand range and quantizing ReLUs' selects by their result; the seed reports are never fitted
    (docs/estimator.md, 'The seed reports')."""
    x = seed["latency"]
    assert abs(x["error"]["lut"]) <= TOLERANCE["lut"]


def test_resource_costs_more_dsp_and_bram_than_latency_beyond_the_error_bars(seed):
    res, lat = seed["resource"], seed["latency"]
    bars = res["csynth"]["estimate"].regime["design"], lat["csynth"]["estimate"].regime["design"]
    for r in ("dsp",):
        hi = lat["csynth"][r] * (1 + (getattr(bars[1], r) or 0))
        lo = res["csynth"][r] * (1 - (getattr(bars[0], r) or 0))
        assert lo > hi, (r, res["csynth"][r], lat["csynth"][r])
    assert res["csynth"]["bram18k"] > 2 * lat["csynth"]["bram18k"]  # weight ROMs: BRAM only under Resource
    # the reports agree: 21 vs 9 DSP, 16 vs 4 BRAM18K
    assert SEED_REPORT["dsp"] > LATENCY_REPORT["dsp"] and SEED_REPORT["bram18k"] > LATENCY_REPORT["bram18k"]


def test_resource_costs_more_luts_than_latency(seed):
    """The estimate orders the strategies as the reports do (47,883 > 34,823 LUT)."""
    assert seed["resource"]["csynth"]["lut"] > seed["latency"]["csynth"]["lut"]


@pytest.mark.xfail(strict=True, reason="measured: Resource 45,486 LUT (regime error bar ±45 %) vs Latency 38,027 "
                   "(±30 %): the right order, inside the error bars (even the reports, 47,883 vs 34,823, would be "
                   "inside bars this wide); the ordering's own error bar, measured on the 6 held-out layers built "
                   "both ways (±30 % on the Resource/Latency LUT ratio), holds the estimated ratio 1.20 inside it "
                   "(the reports' 1.38 is beyond it)")
def test_resource_costs_more_luts_than_latency_beyond_the_error_bars(seed):
    res, lat = seed["resource"]["csynth"], seed["latency"]["csynth"]
    lo = res["lut"] * (1 - res["estimate"].regime["design"].lut)
    hi = lat["lut"] * (1 + lat["estimate"].regime["design"].lut)
    assert lo > hi


def test_pynq_backend_per_layer_report_held_out():
    """nicologhielmetti's Pynq-backend build (7-bit weights and ReLU outputs, Resource): DSPs and BRAMs per layer,
    the quantized ReLUs' LUTs within 30 % (~96 LUT per value, not ~28)."""
    p = pynq_layer_check()
    for name, (dsp, lut, ff, bram) in PYNQ_LAYERS.items():
        est = p[name]["estimate"]
        if name != "output_softmax":
            assert est[0] == dsp and est[3] == bram, (name, est, (dsp, lut, ff, bram))
        if name.endswith("_relu"):
            assert est[1] == pytest.approx(lut, rel=0.30), name
    assert p["total"]["estimate"]["dsp"] == 21
    # the RF > n_in write-select registers (fc1, fc3: blocks of 16) per accumulator: within 2x of the report (they
    # were 2.7x and 7.1x over when priced per chained update)
    for name in ("fc1", "fc3"):
        assert p[name]["report"][2] / 2 <= p[name]["estimate"][2] <= 2 * p[name]["report"][2], name
    # Vivado synthesis of the IP: DSP and BRAM as reported (21, 4); LUT and FF measured 14.9k / 14.3k
    assert p["vsynth"]["estimate"]["dsp"] == 21 and p["vsynth"]["estimate"]["bram18k"] == 4


@needs_data
def test_seed_rows_feed_no_fit():
    """Leaving the seed repositories' rows out changes no coefficient: they are checks, never fitted."""
    from hlsnb.calibration.per_tool import fit_per_tool
    from hlsnb.calibration.rows import CHECK_REPOS, load_records
    from hlsnb.estimate._calibration import Calibration

    recs = load_records(CSVS)
    checks = {r["repo"] for r in recs if r["check"]}
    assert checks <= CHECK_REPOS and len(checks) >= 3  # the forum's row, Liu-Zhiheng's build, nicologhielmetti's
    shared = {k: v for k, v in Calibration.shipped().coefficients.items() if k != "per_tool" and not k.startswith("_")}
    repos = {r["repo"] for r in recs}
    without = [r for r in recs if not r["check"]]
    assert fit_per_tool(recs, repos, shared) == fit_per_tool(without, repos - CHECK_REPOS, shared)


def test_the_ordering_has_its_own_error_bar():
    """The error of the estimated Resource / Latency ratio on held-out layers built both ways (shipped by make
    calibrate): as computed from its pairs, flagged rows left out (as of every fit), and the seed's estimated ratio
    (1.20) inside it, which is why the seed answer does not claim the ordering; the reports' ratio (1.38) is beyond
    it: an estimate that close to the reports would claim it."""
    import math
    import statistics

    from hlsnb.estimate import regime_errors

    paired = regime_errors()["paired"]
    assert paired["n"] == len(paired["pairs"]) >= 5
    errs = []
    for x in paired["pairs"]:
        assert x["tool"] in ("vivado_hls", "vitis_hls") and len(x["rf"]) == 2
        if "lut" in x:
            e = math.exp(abs(math.log(x["estimate_ratio_lut"]) - math.log(x["report_ratio_lut"]))) - 1
            assert x["lut"] == pytest.approx(e, abs=2e-3)
            errs.append(x["lut"])
    assert paired["lut"] == pytest.approx(statistics.median(errs))
    assert not any(x["repo"] == "Duchstf/L1BTag" and x["what"].startswith("Conv") for x in paired["pairs"])  # flagged
    seed = seed_check()
    estimated = seed["resource"]["csynth"]["lut"] / seed["latency"]["csynth"]["lut"]
    assert estimated < 1 + paired["lut"] < 47_883 / 34_823


def test_pairs_are_the_same_layer_built_both_ways():
    from hlsnb.calibration.loro import paired_strategy_errors

    def row(strategy, meas, pred, repo="r", name="fc1", check=False, clock="5", flag=False):
        rec = {"repo": repo, "check": check, "flag": flag, "rf": 1 if strategy == "Latency" else 8,
               "row": {"layer_name": name, "clock_ns": clock, "io_type": "io_parallel", "part": "p"},
               "kw": {"n_in": 16, "n_out": 8, "weight_bits": 6, "n_zeros": 0}}
        return {"key": ("vivado_hls", "Dense", strategy, "csynth"), "rec": rec,
                "meas": {"lut": meas, "ff": meas}, "pred": {"lut": pred, "ff": pred}}

    rows = [row("Latency", 1000, 1000), row("Resource", 2000, 1000),  # reported 2x, estimated 1x: 100 % off
            row("Latency", 500, 500, name="fc2"), row("Resource", 500, 550, name="fc2"),  # 10 % off
            row("Latency", 500, 500, name="fc3"),  # no Resource build: no pair
            row("Latency", 500, 500, name="fc4", clock="10"), row("Resource", 500, 500, name="fc4", clock="5"),
            row("Latency", 1, 1, name="seed", check=True), row("Resource", 9, 1, name="seed", check=True),
            # a flagged row (its report disagrees with its configuration) pairs with nothing
            row("Latency", 100, 100, name="old", flag=True), row("Resource", 900, 100, name="old")]
    p = paired_strategy_errors(rows)
    assert p["n"] == 2 and [x["what"] for x in p["pairs"]] == ["Dense fc1", "Dense fc2"]
    assert p["pairs"][0]["lut"] == pytest.approx(1.0) and p["pairs"][1]["lut"] == pytest.approx(0.1)
    assert p["lut"] == pytest.approx(0.55) and p["pairs"][0]["rf"] == [1, 8]


def test_the_regime_table_judges_the_rows_the_estimator_models():
    """Flagged rows (a report that disagrees with its configuration, an hls4ml template older than the one modelled)
    are left out of the regime medians and the target's verdict, as of every fit, and shown beside: a regime whose
    modelled rows meet the target is met whatever its flagged rows say, and the table says what they would make it."""
    from hlsnb.calibration.loro import format_marginal_table, marginal_table, regime_errors_of

    def row(err, flag=False):
        regime = {"tool": "vivado_hls", "group": "Dense", "stage": "csynth", "strategy": "Latency", "rf": "RF 1",
                  "weights": "> 8 bits", "pruned": "dense"}
        meas = {"lut": 100.0, "ff": 100.0, "dsp": 10.0, "latency": 1.0}
        pred = {"lut": 100.0 * (1 + err), "ff": 100.0 * (1 + err), "dsp": 10.0, "latency": 1.0}
        return {"key": ("vivado_hls", "Dense", "Latency", "csynth"), "regime": regime, "meas": meas, "pred": pred,
                "rec": {"check": False, "flag": flag}}

    rows = [row(0.1) for _ in range(10)] + [row(-0.9, flag=True) for _ in range(12)]
    t = {(m["tool"], m["regime"]): m for m in marginal_table(rows)}[("vivado_hls", "RF 1")]
    assert t["n"] == 10 and t["lut"] == pytest.approx(0.1) and t["meets"] is True
    assert t["flagged"]["n"] == 22 and t["flagged"]["n_flagged"] == 12 and t["flagged"]["lut"] == pytest.approx(0.9)
    assert "| RF 1 | 10 | 10 % | 10 % | 0 % | met | 22 (+12): 90 % / 90 % / 0 % |" in format_marginal_table(
        marginal_table(rows))
    # ... and the error bars shown beside estimates are of the same rows
    assert regime_errors_of(rows)["layer"]["vivado_hls | Dense"]["n"] == 10
    # without flagged rows nothing is shown beside
    assert marginal_table(rows[:10])[6]["flagged"] is None


def test_every_calibrated_per_layer_regime_meets_the_target():
    """The shipped regime table (make calibrate, leave-one-repository-out): every per-layer regime with n >= 10 at
    <= 30 % median error on LUT, FF and DSP (issue 23 item 4); whole designs and thin regimes are said, not held."""
    from hlsnb.estimate import regime_errors

    margins = regime_errors()["margins"]
    layer = [m for m in margins if not m["regime"].startswith("whole designs")]
    assert len(layer) >= 18 and sum(m["n"] >= 10 for m in layer) >= 16  # Vitis HLS: no Resource rows, thin > 8 bits
    for m in layer:
        if m["n"] >= 10:
            assert m["meets"] and max(m[k] for k in ("lut", "ff", "dsp")) <= 0.30, m
