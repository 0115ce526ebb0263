"""One design carried through the notebooks: the project state (hlsnb.project), the board check 04 uses before it
prepares a PYNQ-Z2 project, and the non-saturated default data set."""

from __future__ import annotations

import numpy as np
import pytest

from hlsnb.data import DEFAULT_DATASET, load_dataset
from hlsnb.design import Design
from hlsnb.estimate import estimate_design
from hlsnb.fit import BOARD_STRATEGIES, UNBUILDABLE, check_board, fit_to_board
from hlsnb.project import Project, file_link


def test_default_data_set_has_the_forum_designs_shape():
    d = load_dataset()
    assert d.name == DEFAULT_DATASET == "digits16"  # the forum design's shape: 16 in, 5 classes
    assert d.n_features == 16 and d.n_classes == 5 and set(np.unique(d.y_test)) == set(range(5))
    assert abs(float(d.X_train.mean())) < 1e-5
    np.testing.assert_array_equal(load_dataset("digits16").X_test, d.X_test)  # fixed split
    assert load_dataset("digits10").n_classes == 10  # kept: harder, but not the forum's 5 outputs


def test_nothing_saved_means_defaults_made_here_and_said(tmp_path, fresh_mlp):
    p = Project(tmp_path / "prj", notebook="04_synthesise")
    design = p.design(fresh_mlp)
    assert [l.strategy for l in design.layers if l.is_mult_layer] == ["Latency"] * 4
    (what, picked, text), = p.lines()
    assert what == "design" and not picked and "no design handed over" in text
    banner = p.banner()
    assert "made here" in str(banner) and "04_synthesise" in str(banner)
    assert "made here" in banner._repr_html_()


def test_the_design_of_one_notebook_is_the_design_of_the_next(tmp_path, fresh_mlp, digits16):
    first = Project(tmp_path, notebook="02_strategy_and_reuse")
    first.save_model(fresh_mlp, digits16, 0.5)
    design = Design.from_keras(fresh_mlp, board="pynq-z2")
    design.set_all(strategy="Resource", reuse_factor=32, closest=True)
    first.save_design(design, note="fitted")
    nxt = Project(tmp_path, notebook="04_synthesise")
    model, got, data = nxt.current()
    assert got.to_hls4ml_config() == design.to_hls4ml_config()
    assert data.name == "digits16"  # the data set the model was trained on, not the default
    assert np.array_equal(got.layer("fc1").weights, design.layer("fc1").weights)  # with the model's weights
    lines = {w: (picked, text) for w, picked, text in nxt.lines()}
    assert lines["model"][0] and lines["design"][0]
    assert "02_strategy_and_reuse" in lines["design"][1] and "fitted" in lines["design"][1]


def test_a_pruned_design_brings_its_pruned_model(tmp_path, fresh_mlp, digits16):
    import keras

    p = Project(tmp_path, notebook="03_dsp_aware_pruning")
    p.save_model(fresh_mlp, digits16)
    pruned = keras.models.clone_model(fresh_mlp)
    w = [np.where(np.abs(x) < 0.05, 0.0, x) if x.ndim == 2 else x for x in fresh_mlp.get_weights()]
    pruned.set_weights(w)
    design = Design.from_keras(pruned, board="pynq-z2")
    p.save_pruned(pruned, design, note="pruned")
    model, got, _ = Project(tmp_path, notebook="04_synthesise").current()
    assert got.layer("fc1").n_zeros == design.layer("fc1").n_zeros > 0
    assert np.array_equal(model.get_layer("fc1").get_weights()[0], w[0])
    # a new trained model makes the saved design and pruned model stale: kept, no longer handed over
    Project(tmp_path, notebook="01_train").save_model(fresh_mlp, digits16)
    model, got, _ = Project(tmp_path, notebook="04_synthesise").current()
    assert p.has("design") and p.has("pruned") and got.layer("fc1").n_zeros == 0


def test_a_design_of_another_model_is_not_picked_up(tmp_path, fresh_mlp, digits16):
    from hlsnb.train import build_mlp

    p = Project(tmp_path, notebook="02")
    other = build_mlp(n_in=16, hidden=(8,), n_out=5)
    p.save_design(Design.from_keras(other, board="pynq-z2"), note="of another model")
    nxt = Project(tmp_path, notebook="04")
    got = nxt.design(fresh_mlp)
    assert [l.name for l in got.layers] == [l.name for l in Design.from_keras(fresh_mlp).layers]
    (_, picked, text), = nxt.lines()
    assert not picked and "does not match" in text
    with pytest.raises(ValueError, match="model"):
        p.save_design(got, note="x", model="other")


def test_file_link_says_where_the_file_is(tmp_path):
    f = tmp_path / "design.json"
    f.write_text("{}")
    html = file_link(f)
    assert "download" in html and str(f.resolve()) in html and "design.json" in html


def test_board_check_refuses_what_will_not_fit_with_a_fix(mlp):
    design = Design.from_keras(mlp, board="pynq-z2")  # Latency RF 1: far over the PYNQ-Z2
    check = check_board(design)
    assert not check.fits and check.stage == "vsynth"
    est = estimate_design(design, stage="vsynth")
    assert check.over and all(est.utilisation[r] > 100 for r in check.over)
    text = check.summary()
    assert "Will not fit" in text and "Fix:" in text
    fixed = check.suggestion.design
    assert check_board(fixed).fits  # the fix it names does fit, by the same check
    assert all(fixed.layer(n).strategy in BOARD_STRATEGIES for n in check.suggestion.choices)


def test_board_check_refuses_a_strategy_the_board_flow_cannot_build(mlp):
    design = Design.from_keras(mlp, board="pynq-z2")
    fitted = fit_to_board(design, 0.8)
    design.update_from(fitted.design)
    design.set("fc2", strategy="Resource_Unrolled", reuse_factor=32)
    check = check_board(design)
    assert not check.fits and "Resource_Unrolled" in check.summary() and "fc2" in check.summary()
    assert "Resource_Unrolled" in UNBUILDABLE["VivadoAccelerator"]


def test_fit_reports_each_change_against_the_design_as_given(mlp):
    design = Design.from_keras(mlp, board="pynq-z2")
    result = fit_to_board(design, 0.8)
    start = estimate_design(design)
    text = result.summary()
    assert (f"latency {start.latency_cycles:,} -> {result.estimate.latency_cycles:,} cycles" in text)
    for line in result.reasons:  # a change that says it cuts a resource really lowers it against the start
        if "cuts " not in line:
            continue
        name = line.split(" ")[0]
        cut = line.split("(cuts ")[1].split(", over")[0].split(", ")
        key = {"DSP": "dsp", "LUT": "lut", "FF": "ff", "BRAM18K": "bram18k"}
        for lab in cut:
            assert getattr(result.estimate.layer(name), key[lab]) < getattr(start.layer(name), key[lab]), line


def test_a_design_changed_after_pruning_stays_with_the_pruned_model(tmp_path, fresh_mlp, digits16):
    import keras

    Project(tmp_path, notebook="01").save_model(fresh_mlp, digits16)
    p = Project(tmp_path, notebook="03")
    p.current()
    pruned = keras.models.clone_model(fresh_mlp)
    pruned.set_weights([np.zeros_like(x) if x.ndim == 2 else x for x in fresh_mlp.get_weights()])
    p.save_pruned(pruned, Design.from_keras(pruned, board="pynq-z2"), note="pruned")
    later = Project(tmp_path, notebook="04")  # 04 after 03: it works on the pruned design, and changes it
    _, design, _ = later.current()
    later.save_design(design, note="changed in 04")
    assert later.state["design"]["model"] == "pruned"
    _, got, _ = Project(tmp_path, notebook="05").current()
    assert got.layer("fc1").n_zeros == got.layer("fc1").n_weights


def test_a_new_model_is_not_paired_with_the_old_design(tmp_path, fresh_mlp, digits16):
    p = Project(tmp_path, notebook="01")
    p.save_model(fresh_mlp, digits16)
    Project(tmp_path, notebook="02").save_design(Design.from_keras(fresh_mlp, board="pynq-z2"), note="old",
                                                 model="model")
    p.save_model(fresh_mlp, digits16)  # 01 ran again: the old design is of the old model version
    nxt = Project(tmp_path, notebook="04")
    nxt.current()
    assert (tmp_path / "design-v1.json").exists() and nxt.has("design")  # kept, versioned, not handed over
    lines = {w: (picked, text) for w, picked, text in nxt.lines()}
    assert lines["model"][0] and "model v2" in lines["model"][1]
    assert not lines["design"][0] and "no design handed over for model v2" in lines["design"][1]
