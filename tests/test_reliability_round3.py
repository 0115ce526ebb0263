"""Reliability, round 3 (issue 25): one test class per promise, on real processes and real file systems.

- every file hlsnb writes survives a kill -9 mid-write and a full disk (the previous version is intact);
- the results store and the Yosys cache fail clearly (corrupt, truncated, foreign, read-only, locked, newer);
- work is bounded (a space too large to enumerate is refused with its size; bad spaces are refused by name);
- recalibration is trusted only after its checks (duplicates, outliers, effect, unreadable refit, undo);
- reports and data belong to their design (compare, check_report, advise).

The Dask faults (a failing, crashing, hanging task and a killed worker in one sweep) are in test_sweep_dask.py, which
has the LocalCluster. Full and read-only file systems are real tmpfs mounts: they need root and are skipped
otherwise.
"""

from __future__ import annotations

import copy
import dataclasses
import errno
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hlsnb.calibration.reference import tutorial_mlp
from hlsnb.errors import InvalidSetting
from hlsnb.sweep import ResultsStore, Space, StoreError, StoreVersionError, Sweep
from hlsnb.sweep.store import _report_name

ROOT = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------------------------------------------- helpers
@pytest.fixture
def tmpfs(tmp_path):
    """A real 256 KiB tmpfs mounted for the test (root only), unmounted after it."""
    if os.geteuid() != 0:
        pytest.skip("a real full / read-only file system needs a tmpfs mount, which needs root")
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mnt)], capture_output=True,
                       text=True, check=False)
    if r.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def _fill(folder: Path) -> None:
    """Use up every free byte of the file system of ``folder``."""
    for name, chunk in (("filler", 4096), ("filler2", 1)):  # whole pages, then the last bytes
        with open(folder / name, "wb", buffering=0) as f:
            try:
                while True:
                    f.write(b"\0" * chunk)
            except OSError as e:
                assert e.errno == errno.ENOSPC


def _leftovers(folder: Path) -> list:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


# Each writer: (what it writes, version 1 and 2 of it as a function of the path). Run in the test or in a child.
WRITERS = {
    "design": "from hlsnb.calibration.reference import tutorial_mlp\n"
              "def write(path, v):\n"
              "    tutorial_mlp(reuse_factor=1 if v == 1 else 4, strategy='Resource' if v == 2 else 'Latency')"
              ".to_json(path)\n",
    "calibration": "from hlsnb.calibration import save_calibration\n"
                   "def write(path, v):\n"
                   "    save_calibration({'act_lut_per_bit': float(v), 'pad': 'x' * 20000 * v}, path)\n",
    "csv export": "import tempfile\n"
                  "from pathlib import Path\n"
                  "from hlsnb.sweep import ResultsStore\n"
                  "def write(path, v):\n"
                  "    with ResultsStore(Path(tempfile.mkdtemp()) / 's.sqlite') as s:  # the store on a real disk\n"
                  "        for i in range(40 * v):\n"
                  "            s.record(dict(config_id=f'c{i}', kind='csim', status='ok', accuracy=i / 100,"
                  " error='e' * 200, finished=float(i)))\n"
                  "        s.to_csv(path, table='evaluations')\n",
    "yosys cache": "from hlsnb.opensynth import cache\n"
                   "def write(path, v):\n"
                   "    cache.store('k', {'stat': 'cells ' * 5000 * v, 'seconds': v, 'tool': 'yosys'}, path.parents[2])\n",
}


def _target(kind: str, folder: Path) -> Path:
    return folder / "opensynth" / "k" / "run.json" if kind == "yosys cache" else folder / f"{kind.split()[0]}.out"


def _write(kind: str, path: Path, v: int) -> None:
    ns: dict = {}
    exec(WRITERS[kind], ns)  # the writers above, shared with the child process
    ns["write"](path, v)


# ------------------------------------------------------------------------------------------ 1. atomic writes
class TestNothingSavedIsLost:
    @pytest.mark.parametrize("kind", list(WRITERS))
    def test_kill_9_mid_write_leaves_the_previous_version(self, kind, tmp_path):
        """A real process writing version 2 is killed (SIGKILL) after its data is written and before it is in
        place: the file still holds version 1, byte for byte, and reads back."""
        path = _target(kind, tmp_path)
        _write(kind, path, 1)
        before = path.read_bytes()
        marker = tmp_path / "in_write"
        child = textwrap.dedent(f"""
            import os, sys, time
            from pathlib import Path
            real = os.fsync
            def slow_fsync(fd):  # the data is in the temporary file; hold here until killed
                Path({str(marker)!r}).touch()
                time.sleep(60)
                real(fd)
            os.fsync = slow_fsync
        """) + WRITERS[kind] + f"write(Path({str(path)!r}), 2)\n"
        proc = subprocess.Popen([sys.executable, "-c", child], env={**os.environ, "PYTHONPATH": str(ROOT)})
        try:
            deadline = time.time() + 60
            while not marker.exists() and proc.poll() is None and time.time() < deadline:
                time.sleep(0.05)
            assert marker.exists(), f"the writer never reached its fsync (exit {proc.poll()})"
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        assert proc.returncode == -signal.SIGKILL
        assert path.read_bytes() == before  # version 1, whole
        if kind == "design":
            from hlsnb.design import Design

            assert Design.from_json(path) == tutorial_mlp(reuse_factor=1)

    @pytest.mark.parametrize("kind", list(WRITERS))
    def test_a_full_disk_leaves_the_previous_version_and_no_temporary_file(self, kind, tmpfs):
        path = _target(kind, tmpfs)
        _write(kind, path, 1)
        before = path.read_bytes()
        _fill(tmpfs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the cache warns instead of raising: checked below
            try:
                _write(kind, path, 2)
                raised = None
            except (OSError, StoreError) as e:
                raised = e
        if kind == "yosys cache":
            assert raised is None  # a cache that cannot be written never fails the run...
        else:
            assert raised is not None and ("space" in str(raised) or "full" in str(raised)), raised
        assert path.read_bytes() == before  # ...and never tears its entry
        assert _leftovers(path.parent) == []

    def test_design_to_json_on_a_full_disk_says_the_previous_version_is_intact(self, tmpfs):
        d = tutorial_mlp()
        d.to_json(tmpfs / "design.json")
        _fill(tmpfs)
        d.set("fc1", reuse_factor=4, strategy="Resource")
        with pytest.raises(OSError, match=r"no space left .*design\.json; its previous version is intact"):
            d.to_json(tmpfs / "design.json", indent=4)


# -------------------------------------------------------------------------------- 2. stores fail clearly
def _store(path: Path, n: int = 30) -> Path:
    with ResultsStore(path) as s:
        for i in range(n):
            s.record(dict(config_id=f"c{i}", kind="csim", status="ok", accuracy=i / n, error="x" * 500,
                          finished=float(i)))
    return path


class TestStoresFailClearly:
    def test_not_sqlite_foreign_sqlite_truncated_corrupt_newer(self, tmp_path):
        good = _store(tmp_path / "good.sqlite").read_bytes()
        cases = {
            "text.sqlite": (b"config_id,accuracy\nc1,0.5\n" * 10, "not an SQLite file"),
            "trunc.sqlite": (good[: len(good) // 2], "truncated"),
            "short.sqlite": (good[:60], "truncated"),
            "corrupt.sqlite": (good[:4096] + b"\xff" * 4096 + good[8192:], "damaged"),
        }
        for name, (data, what) in cases.items():
            (tmp_path / name).write_bytes(data)
            with pytest.raises(StoreError, match=what) as e:
                s = ResultsStore(tmp_path / name)
                s.evaluations()  # corruption past the schema pages shows on the first read
            assert name in str(e.value)
            assert (tmp_path / name).read_bytes() == data  # never written into
        db = sqlite3.connect(tmp_path / "other.sqlite")
        db.execute("CREATE TABLE people (name TEXT)")
        db.commit()
        db.close()
        with pytest.raises(StoreError, match=r"other\.sqlite: an SQLite file of something else \(tables: people"):
            ResultsStore(tmp_path / "other.sqlite")
        db = sqlite3.connect(tmp_path / "other.sqlite")
        assert [r[0] for r in db.execute("SELECT name FROM sqlite_master")] == ["people"]  # nothing added
        db.close()
        newer = tmp_path / "newer.sqlite"
        newer.write_bytes(good)
        with sqlite3.connect(newer) as db:
            db.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
        with pytest.raises(StoreVersionError, match=r"schema version 3, this hlsnb reads 1; written by a newer "
                                                    r"hlsnb: upgrade hlsnb"):
            ResultsStore(newer)
        with pytest.raises(StoreError, match="is a folder"):
            ResultsStore(tmp_path)

    def test_a_locked_store_names_the_lock_and_stays_usable(self, tmp_path):
        path = _store(tmp_path / "r.sqlite")
        holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
            import sqlite3, sys, time
            db = sqlite3.connect({str(path)!r}, isolation_level=None)
            db.execute("BEGIN EXCLUSIVE")
            print("locked", flush=True)
            time.sleep(30)
        """)], stdout=subprocess.PIPE, text=True)
        try:
            assert holder.stdout.readline().strip() == "locked"
            s = ResultsStore(path, timeout_s=0.5)
            with pytest.raises(StoreError, match=r"r\.sqlite: starting a write failed .*locked: another process "
                                                 r"has held its write lock for more than 0\.5 s"):
                s.record(dict(config_id="new", kind="csim", status="ok"))
        finally:
            holder.kill()
            holder.wait()
        s.record(dict(config_id="new", kind="csim", status="ok", finished=99.0))  # the same object works again
        assert "new" in s.finished("csim")
        s.close()

    def test_a_store_on_a_read_only_file_system_opens_read_only_and_reads(self, tmpfs):
        _store(tmpfs / "r.sqlite", n=5)
        subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)], check=True)
        s = ResultsStore(tmpfs / "r.sqlite")
        assert s.read_only and len(s.accuracy()) == 5 and "5 evaluations" in repr(s)
        with pytest.raises(StoreError, match=r"r\.sqlite: opened read-only .* copy it to a writable folder"):
            s.record(dict(config_id="x", kind="csim", status="ok"))
        s.close()
        with pytest.raises(StoreError, match=r"new\.sqlite: cannot be created: the folder .* is not writable"):
            ResultsStore(tmpfs / "new.sqlite")

    def test_a_full_disk_during_a_store_write_is_named_and_keeps_what_was_stored(self, tmpfs):
        s = ResultsStore(tmpfs / "r.sqlite")
        s.record(dict(config_id="kept", kind="csim", status="ok", accuracy=0.5, finished=1.0))
        _fill(tmpfs)
        with pytest.raises(StoreError, match=r"r\.sqlite: .*(full|disk I/O)"):
            for i in range(200):
                s.record(dict(config_id=f"c{i}", kind="csim", status="ok", error="x" * 4000, finished=2.0 + i))
        assert s.accuracy()["kept"] == 0.5
        s.close()

    def test_stored_report_names_stay_in_their_folder(self, tmp_path):
        text = (ROOT / "tests" / "fixtures" / "reports" / "vitis2021_cardio_csynth.rpt").read_text()
        d = tutorial_mlp()
        with ResultsStore(tmp_path / "r.sqlite") as s:
            for bad in ("../escape_csynth.rpt", "/tmp/abs_csynth.rpt", "..", "a/b_csynth.rpt", ""):
                with pytest.raises(StoreError, match="not a plain file name"):
                    s.record(dict(config_id="c", kind="csynth", status="ok", design_json=d.to_json(),
                                  reports=[dict(report_kind="csynth", filename=bad, text=text)]))
            s.record(dict(config_id="c", kind="csynth", status="ok", design_json=d.to_json(), finished=1.0,
                          reports=[dict(report_kind="csynth", filename="myproject_csynth.rpt", text=text)]))
        # a store written by something else holds a hostile name: builds() skips it and writes nothing outside
        escape = tmp_path / "escape_csynth.rpt"
        with sqlite3.connect(tmp_path / "r.sqlite") as db:
            db.execute("UPDATE reports SET filename = ?", (f"../../../../{escape}",))
        with ResultsStore(tmp_path / "r.sqlite") as s, pytest.warns(UserWarning, match="not a plain file name"):
            assert list(s.builds()) == []
        assert not escape.exists()

    def test_a_damaged_row_is_named_and_costs_only_itself(self, tmp_path):
        from hlsnb.sweep.space import design_id

        d = tutorial_mlp()
        text = (ROOT / "tests" / "fixtures" / "reports" / "vitis2021_cardio_csynth.rpt").read_text()
        space = Space(d, reuse_factor=[1, 2])
        with ResultsStore(tmp_path / "r.sqlite") as s:
            s.add_scores(__import__("hlsnb.sweep", fromlist=["score"]).score(space.sample(2), d, progress=False), d)
            for i, cid in enumerate(("a", "b")):
                s.record(dict(config_id=cid, kind="csynth", status="ok", design_json=d.to_json(), finished=float(i),
                              timings={"build": 1.0},
                              reports=[dict(report_kind="csynth", filename="x_csynth.rpt", text=text)]))
            cid = next(iter(r["config_id"] for r in s.table("configs")))
        with sqlite3.connect(tmp_path / "r.sqlite") as db:
            db.execute("UPDATE configs SET config_json = '{\"io_type\": ' WHERE config_id = ?", (cid,))
            db.execute("UPDATE designs SET design_json = '[]' WHERE design_id = ?", (design_id(d),))
            db.execute("UPDATE evaluations SET timings = '{bad' , design_json = 'nope' WHERE config_id = 'a'")
        with ResultsStore(tmp_path / "r.sqlite") as s:
            with pytest.raises(StoreError, match=rf"r\.sqlite: configuration {cid} cannot be read .*damaged"):
                s.config(cid)
            with pytest.raises(StoreError, match=rf"design {design_id(d)} cannot be read"):
                s.base_design(design_id(d))
            with pytest.raises(StoreError, match=r"the timings of evaluation a/csynth cannot be read"):
                s.evaluations()
            with pytest.warns(UserWarning, match="skipped the build of a"):
                pairs = list(s.builds())
            assert [p[0] for p in pairs] == [d]  # b's build is still there

    @settings(max_examples=300, deadline=None)
    @given(st.text(min_size=0, max_size=40))
    def test_report_names_are_plain_names_or_refused(self, name):
        got = _report_name(name)
        if got is not None:
            assert got == name and "/" not in got and "\\" not in got and got not in (".", "..")
            base = Path("/tmp/hlsnb_confined")
            assert (base / got).parent == base

    def test_the_yosys_cache_warns_naming_a_damaged_entry_and_reruns(self, tmp_path):
        from hlsnb.opensynth import cache

        entry = cache.store("k", {"stat": "cells 3", "seconds": 1.0, "tool": "yosys"}, tmp_path)
        entry.write_text('{"stat": "cel')  # torn by something other than hlsnb
        with pytest.warns(cache.CacheWarning, match=r"opensynth/k/run\.json cannot be read .* running Yosys again"):
            assert cache.load("k", tmp_path) is None


# ------------------------------------------------------------------------------------------ 3. bounded work
class TestBoundedWork:
    def test_score_without_n_refuses_a_large_space_with_its_size_at_once(self, fresh_mlp, tmp_path):
        from hlsnb.design import Design

        design = Design.from_keras(fresh_mlp)
        space = Space(design, strategy=["Latency", "Resource"], precision=["ap_fixed<16,6>", "ap_fixed<8,3>"],
                      sparsity=[0.0, 0.25, 0.5, 0.75])
        n = len(space)
        assert n > 1_000_000
        sw = Sweep(space, store=tmp_path / "r.sqlite")
        t = time.perf_counter()
        with pytest.raises(InvalidSetting, match=rf"the space has {n:,} configurations .* would take about .* "
                                                 r"Sample it \(score\(n=10_000\)\)"):
            sw.score()
        assert time.perf_counter() - t < 1.0  # refused before anything is enumerated
        small = sw.score(n=50, progress=False)
        assert len(small) == 50

    @pytest.mark.parametrize("kwargs, match", [
        (dict(strategy=[]), "strategy is an empty list"),
        (dict(reuse_factor=[]), "reuse_factor is an empty list"),
        (dict(precision=[]), "precision is an empty list"),
        (dict(sparsity=[]), "sparsity is an empty list"),
        (dict(io_type=[]), "io_type is an empty list"),
        (dict(io_type="io_serial"), r"io_type 'io_serial' is not one hls4ml has; valid: io_parallel, io_stream"),
        (dict(reuse_factor=[0, 2]), "reuse_factor 0 is not valid"),
        (dict(reuse_factor="all"), "reuse_factor 'all' is not valid"),
        (dict(layers={"fc1": {"reuse_factr": [1, 2]}}),
         r"layers\['fc1'\] has unknown key\(s\) 'reuse_factr'; valid keys: strategy, reuse_factor, precision"),
        (dict(layers={"fc1_relu": {"reuse_factor": [1]}}), "'fc1_relu' has no multipliers, so it is not swept"),
        (dict(layers={"fc1": {"strategy": []}}), r"Space \(layers\['fc1'\]\): strategy is an empty list"),
    ])
    def test_a_space_refuses_what_would_sweep_something_else(self, kwargs, match):
        with pytest.raises(InvalidSetting, match=match):
            Space(tutorial_mlp(), **kwargs)

    def test_space_sample_refuses_a_bad_count(self):
        with pytest.raises(InvalidSetting, match="n 0 is not valid"):
            Space(tutorial_mlp()).sample(0)


# ------------------------------------------------------------------------------------ 4. recalibration
# ``cardio`` (tests/conftest.py): a small design and the real report of its build
def _times_1000(report):
    bad = copy.copy(report)
    bad.rows = [dataclasses.replace(r, lut=None if r.lut is None else r.lut * 1000) for r in report.rows]
    return bad


class TestRecalibrationYouCanTrust:
    def test_twenty_copies_of_a_lut_x1000_report_never_become_the_default(self, cardio, tmp_path, monkeypatch):
        from hlsnb.synth.recalibrate import recalibrate

        coef = tmp_path / "coef.json"
        monkeypatch.setenv("HLSNB_COEFFICIENTS", str(coef))
        d, rep = cardio
        bad = _times_1000(rep)
        with pytest.raises(ValueError, match=r"no usable layer .* outliers left out: .*LUT measured 3,228,000 vs "
                                             r"estimated"):
            recalibrate([(d, bad)] * 20)
        assert not coef.exists()
        with pytest.warns(UserWarning, match="left out"):
            r = recalibrate([(d, rep)] + [(d, bad)] * 20)
        assert r.saved and coef.is_file()
        assert r.n_user_records == 4 and r.duplicates == 19 * 4  # the 20 copies count once, then drop as outliers
        assert len(r.outliers) == 4 and all("x" in o and "LUT measured" in o for o in r.outliers)
        before, after = r.effect["shipped"]["lut"]
        assert 0 < before < 100 and 0 < after < 100
        text = r.summary()
        assert "median |error| on the shipped calibration rows" in text and "left out (outlier)" in text
        saved = json.loads(coef.read_text())
        assert saved["duplicates"] == 76 and len(saved["outliers"]) == 4 and "shipped" in saved["effect"]

    def test_a_refit_that_worsens_the_shipped_data_is_refused_before_it_is_saved(self, cardio, tmp_path):
        from hlsnb.synth.recalibrate import RecalibrationRejected, recalibrate

        d, rep = cardio
        coef = tmp_path / "coef.json"
        with pytest.raises(RecalibrationRejected, match=r"LUT median \|error\| .* nothing was saved") as e:
            recalibrate([(d, rep)], path=coef, apply=False, max_worsening=-50.0)  # demand 50 points better
        assert not coef.exists() and not e.value.recalibration.saved and e.value.recalibration.effect["shipped"]

    def test_an_unreadable_refit_is_an_error_never_replaced_in_silence(self, cardio, tmp_path, monkeypatch):
        from hlsnb.estimate import estimate_design
        from hlsnb.synth.recalibrate import CalibrationFileError, load_user_calibration, recalibrate

        d, rep = cardio
        coef = tmp_path / "coef.json"
        monkeypatch.setenv("HLSNB_COEFFICIENTS", str(coef))
        half = '{"hlsnb_calibration": 1, "coefficients": {"act_lut_per_bit": 1.'
        coef.write_text(half)
        with pytest.raises(CalibrationFileError, match=r"coef\.json cannot be read .* half-written"):
            recalibrate([(d, rep)])
        assert coef.read_text() == half
        with pytest.raises(CalibrationFileError, match=r"coef\.json"):
            load_user_calibration()
        with pytest.warns(UserWarning, match=r"ignoring the saved calibration .*coef\.json"):
            estimate_design(d)  # estimates say so too (once per version of the file)
        with pytest.warns(UserWarning, match="kept as"):
            r = recalibrate([(d, rep)], force=True)
        assert Path(r.kept_aside).read_text() == half and json.loads(coef.read_text())["hlsnb_calibration"] == 1

    def test_undo_is_one_call(self, cardio, tmp_path, monkeypatch):
        from hlsnb.synth import undo_recalibration
        from hlsnb.synth.recalibrate import recalibrate, reset_calibration

        d, rep = cardio
        coef = tmp_path / "coef.json"
        monkeypatch.setenv("HLSNB_COEFFICIENTS", str(coef))
        first = recalibrate([(d, rep)])
        first.undo()
        assert not coef.exists()  # there was no refit before the first: undo goes back to the shipped ones
        with pytest.raises(FileNotFoundError, match="nothing to undo"):
            undo_recalibration()
        recalibrate([(d, rep)])
        first_text = coef.read_text()
        second = recalibrate([(d, rep), (d, _times_1000(rep))], outliers="keep")  # other coefficients
        assert second.saved and coef.read_text() != first_text
        undo_recalibration()
        assert coef.read_text() == first_text  # the refit the second one replaced
        reset_calibration()
        assert not coef.exists()
        undo_recalibration()  # a reset is undone the same way
        assert coef.read_text() == first_text


# ----------------------------------------------------------------------- 5. reports and data belong to their design
class TestReportsAndDataBelongToTheirDesign:
    def test_another_networks_report_is_refused_by_compare_and_check_report(self, cardio):
        from hlsnb.synth import ReportMismatch, check_report, compare

        d, rep = cardio
        assert compare(d, rep).mismatches == []
        other = tutorial_mlp()
        with pytest.raises(ReportMismatch, match=r"not of .*the report has 2 Dense layer\(s\), the design 4; .*part "
                                                 r"xc7z007s-clg225-2.*3 output values.*'output_softmax' 5"):
            compare(other, rep)
        with pytest.raises(ReportMismatch):
            check_report(other, rep)
        c = compare(other, rep, check=False)
        assert c.mismatches and "WARNING: the report may not be of this design" in c.summary()
        assert any("LUT reported" in n for n in c.notes)  # the totals are called out too
        assert "Warning:" in c._repr_html_()

    @pytest.fixture
    def mlp_design(self, fresh_mlp):
        from hlsnb.design import Design

        return fresh_mlp, Design.from_keras(fresh_mlp)

    @pytest.mark.parametrize("X, match", [
        (np.zeros((0, 16), np.float32), r"X is empty \(shape \(0, 16\)\)"),
        ([], "X is empty"),
        (np.full((8, 16), np.nan, np.float32), r"X holds 128 NaN and 0 infinite"),
        (np.zeros((8, 5), np.float32), r"X has shape \(8, 5\); the model takes \(n, 16\)"),
        (np.array([["a"] * 16]), "cannot be read as real numbers"),
        (None, "X is None"),
    ])
    def test_advise_refuses_empty_nan_and_misshapen_data_by_name(self, mlp_design, X, match):
        from hlsnb.advisor import advise

        model, design = mlp_design
        with pytest.raises(InvalidSetting, match=match):
            advise(design, model, X)

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(row=st.integers(0, 19), col=st.integers(0, 15), bad=st.sampled_from([np.nan, np.inf, -np.inf]))
    def test_advise_names_the_first_non_finite_value(self, mlp_design, row, col, bad):
        from hlsnb.advisor import advise

        model, design = mlp_design
        X = np.random.default_rng(0).normal(size=(20, 16)).astype(np.float32)
        X[row, col] = bad
        with pytest.raises(InvalidSetting, match=rf"first at index \({row}, {col}\)"):
            advise(design, model, X)

    def test_advise_refuses_a_model_that_is_not_the_designs(self, mlp_design):
        import keras

        from hlsnb.advisor import advise

        _, design = mlp_design
        other = keras.Sequential([keras.Input((16,)), keras.layers.Dense(4, name="a"),
                                  keras.layers.Dense(2, name="b")])
        with pytest.raises(InvalidSetting, match=r"the model's layers .* are not the design's: fc1"):
            advise(design, other, np.ones((4, 16), np.float32))
