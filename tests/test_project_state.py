"""Project state several notebooks share (hlsnb.project): versions, not overwrites; reruns compare against what the
previous notebook handed over; a lock and atomic writes (tested with real processes, one killed with SIGKILL mid
save); entries whose file is missing or changed refused with the reason; a damaged index named, kept aside, and the
project still opens."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from hlsnb.design import Design
from hlsnb.project import SCHEMA, Project, ProjectStateError

ROOT = Path(__file__).resolve().parents[1]


def _env():
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
            "TF_CPP_MIN_LOG_LEVEL": "3"}


def _pruned(model):
    import keras

    pruned = keras.models.clone_model(model)
    pruned.set_weights([np.where(np.abs(x) < 0.05, 0.0, x) if x.ndim == 2 else x for x in model.get_weights()])
    return pruned


@pytest.fixture()
def path_01_02(tmp_path, fresh_mlp, digits16):
    """01 saved a model, 02 a design (Resource RF 32) for it."""
    Project(tmp_path, notebook="01_train").save_model(fresh_mlp, digits16, 0.9)
    p02 = Project(tmp_path, notebook="02_strategy_and_reuse")
    _, design, _ = p02.current()
    design.set_all(strategy="Resource", reuse_factor=32, closest=True)
    p02.save_design(design, note="fitted in 02")
    return tmp_path


def test_a_rerun_compares_against_what_the_previous_notebook_handed_over(path_01_02):
    again = Project(path_01_02, notebook="02_strategy_and_reuse")  # 02 run a second time
    _, design, _ = again.current()
    assert {l.strategy for l in design.layers if l.is_mult_layer} == {"Latency"}  # not its own saved design
    lines = {w: (picked, text) for w, picked, text in again.lines()}
    assert lines["model"][0] and "01_train" in lines["model"][1]
    assert not lines["design"][0]


def test_a_later_notebook_adds_a_version_and_never_overwrites(path_01_02, fresh_mlp):
    p03 = Project(path_01_02, notebook="03_dsp_aware_pruning")
    model, design, _ = p03.current()
    assert design.layer("fc1").strategy == "Resource"  # 02's choice, picked up
    p03.save_pruned(_pruned(model), design, note="pruned in 03")
    designs = [e for e in p03.entries if e.key == "design"]
    assert [(e.version, e.saved_by) for e in designs] == [(1, "02_strategy_and_reuse"), (2, "03_dsp_aware_pruning")]
    assert (path_01_02 / "design-v1.json").exists() and (path_01_02 / "design-v2.json").exists()
    p04 = Project(path_01_02, notebook="04_synthesise")
    model4, design4, _ = p04.current()
    assert design4.layer("fc1").n_zeros > 0  # 03's, with the pruned weights
    banner = str(p04.banner())
    assert "design v2, saved by 03_dsp_aware_pruning at " in banner and "pruned v1" in banner
    # 03 run again picks up 02's design, not its own pruned one
    _, again, _ = Project(path_01_02, notebook="03_dsp_aware_pruning").current()
    assert again.layer("fc1").n_zeros == 0


def test_a_missing_pruned_model_refuses_its_design_with_the_reason(path_01_02):
    p03 = Project(path_01_02, notebook="03_dsp_aware_pruning")
    model, design, _ = p03.current()
    p03.save_pruned(_pruned(model), design, note="pruned in 03")
    (path_01_02 / "pruned-v1.keras").unlink()
    p04 = Project(path_01_02, notebook="04_synthesise")
    model4, design4, _ = p04.current()
    assert design4.layer("fc1").n_zeros == 0 and model4.get_layer("fc1").get_weights()[0].all()
    assert design4.layer("fc1").strategy == "Resource"  # 02's intact design instead, said so
    text = str(p04.banner())
    assert "refused: design v2" in text and "pruned-v1.keras is missing" in text
    assert "picked up: design v1, saved by 02_strategy_and_reuse" in text


def test_a_changed_file_is_refused(path_01_02):
    f = path_01_02 / "design-v1.json"
    f.write_text(f.read_text().replace('"Resource"', '"Latency"'))
    p04 = Project(path_01_02, notebook="04_synthesise")
    _, design, _ = p04.current()
    assert "changed after it was saved" in str(p04.banner())
    assert {l.strategy for l in design.layers if l.is_mult_layer} == {"Latency"}


@pytest.mark.parametrize("damage", [b"{not json", b"\xff\xfe\x00", b"[1, 2]", b'{"schema": 2, "entries": [{"x": 1}]}'])
def test_a_damaged_index_is_named_kept_aside_and_the_project_opens(path_01_02, damage, fresh_mlp):
    index = path_01_02 / "project.json"
    index.write_bytes(damage)
    p = Project(path_01_02, notebook="04_synthesise")
    design = p.design(fresh_mlp)  # opens: nothing handed over any more, a new design, said so
    assert design.layer("fc1").strategy == "Latency"
    text = str(p.banner())
    assert str(index) in text and "damaged" in text and "kept aside as project.json.damaged-" in text
    aside = list(path_01_02.glob("project.json.damaged-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == damage
    p.save_build("after the damage", project="prj")  # the project keeps working: a new index
    state = json.loads(index.read_text())
    assert state["schema"] == SCHEMA and [e["note"] for e in state["entries"]] == ["after the damage"]
    assert (path_01_02 / "model-v1.keras").exists()  # the saved files stay


def test_an_index_of_a_newer_hlsnb_is_refused_by_version(tmp_path):
    (tmp_path / "project.json").write_text(json.dumps({"schema": SCHEMA + 1, "entries": []}))
    with pytest.raises(ProjectStateError, match=r"project.json: written by a newer hlsnb \(project schema 3"):
        Project(tmp_path, notebook="04").entries  # noqa: B018


def test_a_schema_1_index_is_read(tmp_path, fresh_mlp):
    fresh_mlp.save(tmp_path / "model.keras")
    old = Design.from_keras(fresh_mlp, board="pynq-z2")
    old.set_all(strategy="Resource", reuse_factor=32, closest=True)
    old.to_json(tmp_path / "design.json")
    (tmp_path / "project.json").write_text(json.dumps({
        "model": {"saved_by": "01_train", "saved_at": "2026-12-01 10:00", "note": "old", "file": "model.keras",
                  "dataset": "digits16"},
        "design": {"saved_by": "02_strategy_and_reuse", "saved_at": "2026-12-01 10:05", "note": "fitted",
                   "file": "design.json", "model": "model"}}))
    _, design, data = Project(tmp_path, notebook="04").current()
    assert data.name == "digits16" and design.layer("fc1").strategy == "Resource"


_WRITER = textwrap.dedent("""
    import sys
    from hlsnb.project import Project
    p = Project(sys.argv[1], notebook=sys.argv[2])
    for i in range(int(sys.argv[3])):
        p.save_build(f"{sys.argv[2]} build {i}", project=f"prj{i}")
""")


def test_two_processes_saving_into_one_project_lose_nothing(tmp_path):
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, str(tmp_path), name, "150"], env=_env())
             for name in ("04_a", "04_b")]
    for p in procs:
        assert p.wait(timeout=120) == 0
    entries = Project(tmp_path).entries
    assert len(entries) == 300
    assert sorted(e.seq for e in entries) == list(range(1, 301))
    assert {e.note for e in entries} == {f"04_{w} build {i}" for w in "ab" for i in range(150)}
    assert not list(tmp_path.glob(".*.part.*"))


_KILLED = textwrap.dedent("""
    import sys, time
    import keras
    from hlsnb.data import load_dataset
    from hlsnb.project import Project
    from hlsnb.train import build_mlp
    p = Project(sys.argv[1], notebook="01_train")
    model = build_mlp(seed=2)
    real_save = keras.Model.save
    def slow_save(self, path, *a, **k):  # writes part of the file, then hangs: the test kills it here
        with open(path, "wb") as f:
            f.write(b"PK half a zip")
            f.flush()
        print("writing", flush=True)
        time.sleep(60)
    keras.Model.save = slow_save
    p.save_model(model, load_dataset("digits16"), note="never finished")
""")


def test_a_kill_during_save_model_leaves_the_previous_model_loadable(tmp_path, fresh_mlp, digits16):
    Project(tmp_path, notebook="01_train").save_model(fresh_mlp, digits16, 0.5, note="the good one")
    proc = subprocess.Popen([sys.executable, "-c", _KILLED, str(tmp_path)], env=_env(), stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout.readline().strip() == "writing"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    time.sleep(0.1)
    p = Project(tmp_path, notebook="02_strategy_and_reuse")
    assert [e.note for e in p.entries] == ["the good one"]
    assert not (tmp_path / "model-v2.keras").exists()
    model = p.trained_model()
    np.testing.assert_array_equal(model.get_weights()[0], fresh_mlp.get_weights()[0])
    assert "picked up" in str(p.banner()) and "the good one" in str(p.banner())
