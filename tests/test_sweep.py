"""Design-space sweeps without a cluster: the space, scoring, the Pareto front, the results store, the widget."""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from hlsnb.errors import InvalidSetting
from hlsnb.estimate import estimate_design
from hlsnb.sweep import Config, LayerChoice, ResultsStore, Scorer, Space, Sweep, pareto_front, pareto_mask, score
from hlsnb.sweep.space import config_id, design_id

FIXTURES = Path(__file__).resolve().parent / "fixtures"
P8, P16 = "ap_fixed<8,3>", "ap_fixed<16,6>"


@pytest.fixture
def design(fresh_mlp):
    from hlsnb.design import Design

    return Design.from_keras(fresh_mlp)


# ------------------------------------------------------------------------------------------------ space


def test_space_counts_only_valid_choices_and_indexes_like_it_iterates(design):
    sp = Space(design, strategy=["Latency", "Resource"], reuse_factor=[1, 3, 4, 64], precision=[P16, P8])
    for l in design.layers:
        if l.is_mult_layer:
            for c in sp.choices(l.name):
                assert c.reuse_factor in design.valid_reuse_factors(l.name, c.strategy)  # never rounded by hls4ml
    assert 3 not in {c.reuse_factor for c in sp.choices("fc1")}  # 3 divides neither 16 x 64 nor is valid
    assert len(sp) == math.prod(len(sp.choices(n)) for n in ("fc1", "fc2", "fc3", "output"))
    every = list(sp)
    assert len(every) == len(sp) == len(set(every))
    assert [sp[i] for i in (0, 1, len(sp) // 2, len(sp) - 1)] == [every[i] for i in (0, 1, len(sp) // 2, -1)]
    a, b = sp.sample(50, seed=3), sp.sample(50, seed=3)
    assert a == b and len(set(a)) == 50 and set(a) <= set(every)
    assert sp.sample(10 ** 6) == every


def test_space_layer_overrides_io_types_and_sparsity(design):
    sp = Space(design, reuse_factor=[1, 2], layers={"output": None, "fc1": dict(reuse_factor=[4, 8], precision=[P8])},
               io_type=["io_parallel", "io_stream"], sparsity=[0.0, 0.5])
    assert {c.reuse_factor for c in sp.choices("fc1")} == {4, 8} and {c.precision for c in sp.choices("fc1")} == {P8}
    assert sp.choices("output") == [LayerChoice("output", "Latency", 1, None)]
    assert len(sp) == 2 * (2 * 2 * 2 * 1 * 2)
    assert {c.io_type for c in sp} == {"io_parallel", "io_stream"}
    capped = Space(design, strategy=["Latency", "Resource"], max_reuse_factor=4)
    assert {c.reuse_factor for c in capped.choices("fc2")} == {1, 2, 4}
    with pytest.raises(KeyError, match="no layer"):
        Space(design, layers={"nope": None})
    with pytest.raises(InvalidSetting, match="no choice left"):
        Space(design, reuse_factor=[3])
    with pytest.raises(InvalidSetting, match="sparsity"):
        Space(design, sparsity=[1.0])


def test_config_apply_round_trip_and_ids(design):
    sp = Space(design, reuse_factor=[1, 2], precision=[P8], sparsity=[0.5])
    cfg = sp[1]
    d = cfg.apply(design)
    assert d.layer("fc1").result_precision == P8 and d.layer("fc3").reuse_factor in (1, 2)
    assert design.layer("fc1").result_precision == P16 and design.layer("fc1").n_zeros == 0  # base untouched
    assert d.layer("fc1").n_zeros == round(0.5 * d.layer("fc1").n_weights)
    assert Config.from_dict(cfg.to_dict()) == cfg == Config.from_dict(cfg.key)
    assert config_id(design_id(design), cfg) == config_id(design_id(design.copy()), cfg)
    assert config_id(design_id(design), cfg) != config_id(design_id(design), sp[0])
    bare = __import__("hlsnb.design", fromlist=["Design"]).Design.from_json(design.to_json())  # no weights
    with pytest.raises(InvalidSetting, match="needs the kernels"):
        cfg.apply(bare)
    stream = Config("io_stream", cfg.layers, 0.0).apply(design)
    assert stream.io_type == "io_stream" and design.io_type == "io_parallel"


# ------------------------------------------------------------------------------------------------ scoring


def test_scores_are_the_estimators_numbers_and_stage_is_passed_through(design):
    sp = Space(design, strategy=["Latency", "Resource"], reuse_factor=[1, 2, 4], precision=[P16, P8],
               sparsity=[0.0, 0.25])
    configs = sp.sample(40, seed=1)
    s = score(configs, design)
    assert len(s) == 40 and s.ids == [config_id(s.design_id, c) for c in configs]
    for i in (0, 17, 39):
        e = estimate_design(Scorer(design).design_of(configs[i]))
        assert s["lut"][i] == e.total["lut"] and s["dsp"][i] == e.total["dsp"]
        assert s["latency_ns"][i] == e.latency_ns and s["lut_pct"][i] == pytest.approx(e.utilisation["lut"])
        assert s["fits"][i] == all(e.utilisation[r] <= 100 for r in ("dsp", "lut", "ff", "bram18k"))
    v = score(configs[:3], design, stage="vsynth")
    assert v.stage == "vsynth"
    assert v["lut"][0] == estimate_design(configs[0].apply(design), stage="vsynth").total["lut"]
    assert np.isnan(s["accuracy"]).all()
    acc = s.with_accuracy({s.ids[2]: 0.9})["accuracy"]
    assert acc[2] == 0.9 and np.isnan(acc[0])


def test_scorer_caches_rows_and_reports_progress(design):
    sc = Scorer(design)
    cfgs = Space(design, reuse_factor=[1, 2, 4]).sample(30)
    seen = []
    a = sc(cfgs, progress=lambda d, n: seen.append((d, n)))
    assert seen[-1] == (30, 30)
    b = sc(list(reversed(cfgs)))
    assert (b["lut"][::-1] == a["lut"]).all() and len(sc._rows) == 30


# ------------------------------------------------------------------------------------------------ Pareto


def _brute_front(pts):
    n = len(pts)
    return np.array([not any(np.all(pts[j] <= pts[i]) and np.any(pts[j] < pts[i]) for j in range(n) if j != i)
                     for i in range(n)])


def test_pareto_mask_equals_brute_force():
    rng = np.random.default_rng(0)
    for k in (2, 3):
        pts = rng.integers(0, 12, size=(300, k)).astype(float)  # many ties and duplicates
        assert (pareto_mask(pts) == _brute_front(pts)).all()
    pts = np.array([[1.0, 2.0], [np.nan, 0.0], [2.0, 1.0]])
    assert pareto_mask(pts).tolist() == [True, False, True]


def test_pareto_front_of_scores_maximises_accuracy_and_keeps_fitting_points(design):
    s = score(Space(design, strategy=["Latency", "Resource"], reuse_factor=[1, 4, 16, 32, 64],
                    precision=[P16, P8]).sample(200), design)
    assert 0 < s["fits"].sum() < len(s)
    front = pareto_front(s, ("lut_pct", "latency_ns"))
    assert len(front) >= 1 and front["fits"].all() and (np.diff(front["lut_pct"]) >= 0).all()
    everything = pareto_front(s, ("lut_pct", "latency_ns"), fits_only=False)
    assert len(everything) >= 1
    acc = {cid: 0.5 + 0.001 * i for i, cid in enumerate(s.ids)}
    fa = pareto_front(s.with_accuracy(acc), ("lut_pct", "accuracy"), fits_only=False)
    best = max(acc.values())
    assert fa["accuracy"].max() == best  # the most accurate point is never dominated
    with pytest.raises(KeyError, match="no column"):
        pareto_front(s, ("nope",))


# ------------------------------------------------------------------------------------------------ store


def _row(cid, kind="csim", status="ok", acc=0.9, **kw):
    return dict(config_id=cid, kind=kind, status=status, accuracy=acc, started=1.0, finished=2.0, seconds=1.0,
                tool_versions={"hls4ml": "1.3.0"}, timings={"csim": 1.0}, **kw)


def test_store_keeps_scores_evaluations_and_exports(design, tmp_path):
    s = score(Space(design, reuse_factor=[1, 2]).sample(8), design)
    with ResultsStore(tmp_path / "r.sqlite") as st:
        st.add_scores(s, design)
        st.add_scores(s, design)  # idempotent
        st.record(_row(s.ids[0]))
        st.record(_row(s.ids[1], status="failed", acc=None, error="boom"))
        st.record(_row(s.ids[0], acc=0.95))  # replaces
        assert st.finished("csim") == {s.ids[0], s.ids[1]}
        assert st.finished("csim", include_failed=False) == {s.ids[0]}
        assert st.accuracy() == {s.ids[0]: 0.95}
        assert st.evaluation(s.ids[0], "csim")["tool_versions"] == {"hls4ml": "1.3.0"}
        assert st.config(s.ids[3]) == s.configs[3]
        d = st.design(s.ids[3])
        assert [l.reuse_factor for l in d.layers] == [l.reuse_factor for l in s.configs[3].apply(design).layers]
        assert len(st.table("configs")) == 8 and len(st.table("estimates")) == 8
        out = st.to_csv(tmp_path / "results.csv")
        text = out.read_text().splitlines()
        assert text[0].startswith("config_id,design_id,config_json,est_dsp") and len(text) == 9
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            with pytest.raises(ImportError, match="needs pyarrow"):
                st.to_parquet(tmp_path / "r.parquet")
        with pytest.raises(ValueError, match="no table"):
            st.table("sqlite_master")
        assert "8 configurations, 2 evaluations" in repr(st)


def test_store_refuses_another_schema_version(tmp_path):
    import sqlite3

    ResultsStore(tmp_path / "r.sqlite").close()
    with sqlite3.connect(tmp_path / "r.sqlite") as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(ValueError, match="schema version 99"):
        ResultsStore(tmp_path / "r.sqlite")


def test_store_opened_by_two_processes_at_once(tmp_path):
    path = tmp_path / "shared.sqlite"
    ResultsStore(path).close()
    script = textwrap.dedent(f"""
        import sys
        from hlsnb.sweep import ResultsStore
        st = ResultsStore({str(path)!r})
        for i in range(150):
            st.record(dict(config_id=f"{{sys.argv[1]}}{{i:03d}}", kind="csim", status="ok", accuracy=i / 150,
                           finished=float(i)))
            st.accuracy()  # readers and writers interleave
        st.close()
    """)
    procs = [subprocess.Popen([sys.executable, "-c", script, tag]) for tag in ("a", "b")]
    try:
        assert [p.wait(timeout=120) for p in procs] == [0, 0]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    with ResultsStore(path) as st:
        ids = st.finished("csim")
    assert len(ids) == 300 and {i[0] for i in ids} == {"a", "b"}


def test_store_builds_feed_recalibrate(cardio, tmp_path, monkeypatch):
    """A stored (fake-tool) csynth build comes back as a (Design, Report) pair recalibrate() learns from."""
    from hlsnb.synth.recalibrate import recalibrate

    d = cardio[0]  # the design the fake tool's report belongs to (tests/conftest.py)
    rpt = FIXTURES / "reports" / "vitis2021_cardio_csynth.rpt"  # what the fake vivado_hls writes
    with ResultsStore(tmp_path / "r.sqlite") as st:
        st.record(_row("c1", kind="csynth", design_json=d.to_json(),
                       reports=[dict(report_kind="csynth", filename="myproject_csynth.rpt", text=rpt.read_text())]))
        st.record(_row("c2", kind="csynth", status="failed", design_json=d.to_json()))  # no report: not a pair
        pairs = list(st.builds())
    assert len(pairs) == 1
    design, report = pairs[0]
    assert design == d and report.kind == "csynth" and report.model.dsp is not None
    assert "r.sqlite#c1/myproject_csynth.rpt" in report.path
    monkeypatch.setenv("HLSNB_COEFFICIENTS", str(tmp_path / "coef.json"))
    r = recalibrate(pairs, path=tmp_path / "coef.json", apply=False)
    assert r.n_user_records == 4 and not r.outliers and (tmp_path / "coef.json").is_file()


# ------------------------------------------------------------------------------------------------ widget


def test_sweep_widget_draws_the_front_and_a_click_loads_the_explorer(design, tmp_path):
    from hlsnb.sweep.widget import SweepWidget

    sw = Sweep(Space(design, strategy=["Latency", "Resource"], reuse_factor=[1, 4, 16, 32, 64], precision=[P16, P8]),
               store=tmp_path / "r.sqlite",
               work_dir=tmp_path / "w")
    s = sw.score(n=300)
    w = sw.widget()
    assert isinstance(w, SweepWidget) and w.explorer.design is not design
    bg, front, measured = w.figure.data
    assert len(bg.x) == 300 and len(front.x) == len(sw.pareto()) and len(measured.x) == 0
    pick = front.customdata[-1]
    cfg = s.configs[s.ids.index(pick)]
    w._on_click(front, SimpleNamespace(point_inds=[len(front.x) - 1]))
    assert w.selected == pick and "loaded" in w.status.value
    want = cfg.apply(design)
    assert [(l.strategy, l.reuse_factor, l.result_precision) for l in w.explorer.design.layers] == \
        [(l.strategy, l.reuse_factor, l.result_precision) for l in want.layers]
    assert design.layer("fc1").reuse_factor == 1  # the base design is not touched
    sw.store.record(_row(pick, acc=0.9))
    w.y_choice.value = "accuracy"
    assert list(w.figure.data[2].customdata) == [pick] and w.figure.layout.yaxis.title.text.startswith("accuracy")
    w.on_progress(1, 2, dict(config_id=pick, status="ok", accuracy=0.9))
    assert w.progress.value == 1 and w.progress.max == 2 and "accuracy 0.900" in w.status.value
    assert SweepWidget(sw, explorer=False).explorer is None
    sw.store.close()


def test_space_offers_only_reuse_factors_the_templates_build():
    """io_parallel Conv2D with Resource: the validator keeps RF > n_in, conv_2d_resource_cl asserts against it."""
    import keras

    from hlsnb import rules
    from hlsnb.design import Design

    inp = keras.Input((6, 6, 2))
    out = keras.layers.Conv2D(4, 3, name="conv")(inp)
    d = Design.from_keras(keras.Model(inp, keras.layers.Flatten()(out)))
    conv = d.layer("conv")
    validator = rules.valid_reuse_factors(conv.n_in, conv.n_out, "Resource")
    assert any(rf > conv.n_in for rf in validator)  # the case exists
    offered = {c.reuse_factor for c in Space(d, strategy=["Resource"]).choices("conv")}
    assert offered == {rf for rf in validator if rf <= conv.n_in}
