"""Sweeps on a Dask LocalCluster: real C simulations, builds with the fake vivado_hls, a sweep interrupted and
resumed, and one sweep with four faults at once (a failing build, a crashed evaluation process, a hung build timed
out, a worker killed mid-build). Clusters have 2 workers x 1 thread and are closed; no
evaluation process may outlive a test."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import psutil
import pytest

pytest.importorskip("dask.distributed")
pytest.importorskip("hls4ml")

from hlsnb.sweep import ResultsStore, Space, Sweep, evaluate
from hlsnb.sweep.space import config_id, design_id

FAKE = Path(__file__).resolve().parent / "fixtures" / "fake_tools"


def _task_processes(work_dir: Path) -> list:
    out = []
    for p in psutil.process_iter(["cmdline"]):
        cmd = " ".join(p.info["cmdline"] or [])
        if "hlsnb.sweep.task" in cmd and str(work_dir) in cmd:
            out.append(p)
    return out


def _no_task_left(work_dir: Path, wait_s: float = 20.0) -> bool:
    deadline = time.time() + wait_s
    while _task_processes(work_dir) and time.time() < deadline:
        time.sleep(0.2)
    return not _task_processes(work_dir)


@pytest.fixture(scope="module")
def cluster():
    from dask.distributed import LocalCluster

    lc = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    yield lc
    lc.close()


@pytest.fixture
def tiny(tmp_path):
    """The 21-3-3 network whose csynth report the fake vivado_hls writes (quick to convert)."""
    import keras

    from hlsnb.design import Design

    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((21,)), keras.layers.Dense(3, activation="relu", name="fc1"),
                          keras.layers.Dense(3, activation="softmax", name="output")])
    d = Design.from_keras(m, board=None, part="xc7z007s-clg225-2", clock_ns=3.33, precision="ap_fixed<16,4>")
    return m, d


def _fake_env(tmp_path, sleep_s: float = 0.0) -> dict:
    """PATH with the fake vivado_hls first; with ``sleep_s`` a wrapper makes every build take that long."""
    if not sleep_s:
        return {"PATH": f"{FAKE}{os.pathsep}{os.environ['PATH']}"}
    slow = tmp_path / "slow_tools"
    slow.mkdir(exist_ok=True)
    (slow / "vivado_hls").write_text(f'#!/usr/bin/env bash\n[ "$1" = "-version" ] || sleep {sleep_s}\n'
                                     f'exec "{FAKE}/vivado_hls" "$@"\n')
    (slow / "vivado_hls").chmod(0o755)
    return {"PATH": f"{slow}{os.pathsep}{os.environ['PATH']}"}


def test_local_cluster_runs_real_c_simulations_and_a_rerun_resumes(mlp, digits16, tmp_path):
    from hlsnb.design import Design

    design = Design.from_keras(mlp)
    sw = Sweep(Space(design, reuse_factor=[1, 4], precision=["ap_fixed<16,6>"], layers={"output": None,
                                                                                          "fc3": None}),
               store=tmp_path / "r.sqlite", model=mlp, data=digits16, work_dir=tmp_path / "w")
    s = sw.score()
    assert len(s) == 4
    seen = []
    rows = sw.evaluate(s.subset([0, 3]), kind="csim", on_progress=lambda d, n, r: seen.append((d, n)))  # LocalCluster
    assert seen[0] == (0, 2) and seen[-1] == (2, 2)
    assert [r["status"] for r in rows] == ["ok", "ok"], [r["error"] for r in rows]
    for r in rows:
        assert r["accuracy"] > 0.9 and r["argmax_agreement"] > 0.95 and r["timings"]["csim"] > 0
        assert r["tool_versions"]["hls4ml"] and Path(r["log_path"]).is_file() and Path(r["project_dir"]).is_dir()
    assert sw.scores_with_accuracy()["accuracy"][[0, 3]].tolist() == [rows[0]["accuracy"], rows[1]["accuracy"]]
    # a kernel restart: a new Sweep on the same store finds the work done and runs nothing
    again = Sweep(sw.space, store=tmp_path / "r.sqlite", model=mlp, data=digits16, work_dir=tmp_path / "w")
    seen.clear()
    rows2 = again.evaluate(s.subset([0, 3]), kind="csim", on_progress=lambda d, n, r: seen.append((d, n)))
    assert seen == [(2, 2)] and [r["finished"] for r in rows2] == [r["finished"] for r in rows]
    assert _no_task_left(tmp_path / "w")


def test_fake_vivado_hls_builds_on_a_cluster_object_feed_recalibrate(cluster, tiny, tmp_path):
    from hlsnb.synth.recalibrate import recalibrate

    model, design = tiny
    configs = list(Space(design, reuse_factor=[1, 3]))[:2]
    with ResultsStore(tmp_path / "r.sqlite") as st:
        rows = evaluate(design, configs, store=st, model=model, kind="csynth", accuracy=False, cluster=cluster,
                        work_dir=tmp_path / "w", env=_fake_env(tmp_path))
        assert len(rows) == len(configs) == 2
        assert {r["status"] for r in rows} == {"ok"}, [r["error"] for r in rows]
        assert all(r["dsp"] == 36 and r["tool_versions"]["vivado_hls"] == "2020.1" for r in rows)
        pairs = list(st.builds())
        assert len(pairs) == 2 and pairs[0][0].layer("fc1").reuse_factor in (1, 3)
        # one fixed fake report whatever the configuration: kept although it is an outlier for this design
        r = recalibrate(pairs[:1], path=tmp_path / "coef.json", apply=False, outliers="keep")
        assert r.n_user_records == 4
        # without the tools the same build is recorded as skipped, not raised
        other = list(Space(design, reuse_factor=[1], precision=["ap_fixed<8,3>"]))
        skipped = evaluate(design, other, store=st, model=model, kind="csynth", accuracy=False, cluster=cluster,
                           work_dir=tmp_path / "w", env={"PATH": "/usr/bin:/bin"})
        assert skipped[0]["status"] == "skipped" and "vivado_hls" in skipped[0]["error"]
    assert cluster.status.name == "running"  # a cluster object given is the caller's: not closed


def test_an_interrupted_sweep_resumes_without_redoing_finished_work(cluster, tiny, tmp_path):
    model, design = tiny
    configs = list(Space(design, reuse_factor=[1, 3], precision=["ap_fixed<16,4>", "ap_fixed<8,3>"],
                         layers={"output": None}))
    assert len(configs) == 4
    work = tmp_path / "w"
    kw = dict(model=model, kind="csynth", accuracy=False, cluster=cluster, work_dir=work, env=_fake_env(tmp_path))

    def interrupt(done, total, row):
        if row is not None:
            raise KeyboardInterrupt  # the user stops the cell after the first result

    with ResultsStore(tmp_path / "r.sqlite") as st:
        with pytest.raises(KeyboardInterrupt):
            evaluate(design, configs, store=st, on_progress=interrupt, **kw)
        first = st.evaluations(kind="csynth")
        assert len(first) == 1 and first[0]["status"] == "ok"
    seen = []
    with ResultsStore(tmp_path / "r.sqlite") as st:  # a new session on the same store
        rows = evaluate(design, configs, store=st, on_progress=lambda d, n, r: seen.append(d), **kw)
    assert seen[0] == 1 and seen[-1] == 4
    assert len(rows) == 4 and {r["status"] for r in rows} == {"ok"}
    same = next(r for r in rows if r["config_id"] == first[0]["config_id"])
    assert same["finished"] == first[0]["finished"]  # not redone
    base = design_id(design)
    assert {r["config_id"] for r in rows} == {config_id(base, c) for c in configs}
    assert _no_task_left(work)


def test_the_open_yosys_path_is_a_kind_of_evaluation(cluster, tiny, tmp_path):
    from hlsnb.synth.tools import detect_open_synth

    model, design = tiny
    space = Space(design, strategy=["distributed_arithmetic"], reuse_factor=[1])
    with ResultsStore(tmp_path / "r.sqlite") as st:
        if detect_open_synth().mode != "open synth":
            rows = evaluate(design, list(space), store=st, model=model, kind="yosys", accuracy=False,
                            cluster=cluster, work_dir=tmp_path / "w")
            assert rows[0]["status"] == "skipped" and "open synth unavailable" in rows[0]["error"]
            return
        rows = evaluate(design, list(space), store=st, model=model, kind="yosys", accuracy=False, cluster=cluster,
                        work_dir=tmp_path / "w", timeout_s=600)
    r = rows[0]
    assert r["status"] == "ok", r["error"]
    assert r["lut"] > 0 and r["dsp"] == 0 and r["timings"]["yosys"] > 0 and Path(r["project_dir"]).is_dir()
    assert _no_task_left(tmp_path / "w")


def test_faults_are_recorded_with_their_reason_and_the_sweep_goes_on(cluster, tiny, tmp_path):
    """One sweep, four faults at once (issue 25): a build that fails (BuildError raised in the task), an evaluation
    process that crashes (SIGKILL, as a segfaulting C simulation would), a build that hangs past the timeout, and
    a worker killed mid-build; every configuration gets a row with its reason, the others finish ok."""
    from dask.distributed import Client

    model, design = tiny
    configs = list(Space(design, reuse_factor=[1, 3], precision=["ap_fixed<16,4>", "ap_fixed<8,3>"]))[:5]
    assert len(configs) == 5
    base = design_id(design)
    ids = [config_id(base, c) for c in configs]
    work = tmp_path / "w"
    faults = {ids[0]: "fail", ids[1]: "crash", ids[2]: "hang", ids[3]: "slow"}
    for cid, what in faults.items():
        (work / cid).mkdir(parents=True)
        (work / cid / what).touch()
    tools = tmp_path / "fault_tools"
    tools.mkdir()
    (tools / "vivado_hls").write_text(
        '#!/usr/bin/env bash\n'
        '[ "$1" = "-version" ] && exec "' + str(FAKE) + '/vivado_hls" "$@"\n'
        'cfg="$PWD/../.."\n'  # <work>/<config_id>/csynth/prj
        '[ -e "$cfg/fail" ] && { echo "ERROR: [HLS 200-70] injected failure"; exit 3; }\n'
        '[ -e "$cfg/crash" ] && kill -9 $PPID\n'
        '[ -e "$cfg/hang" ] && sleep 600\n'
        '[ -e "$cfg/slow" ] && sleep 6\n'
        'exec "' + str(FAKE) + '/vivado_hls" "$@"\n')
    (tools / "vivado_hls").chmod(0o755)
    killed, done = [], threading.Event()

    def kill_the_slow_builds_worker():
        with Client(cluster) as client:
            while not done.is_set() and not killed:
                if (work / ids[3] / "csynth" / "prj" / "hlsnb_build.log").exists():
                    busy = [w for w, keys in client.processing().items() if any(ids[3] in str(k) for k in keys)]
                    if busy:
                        pid = client.run(os.getpid, workers=[busy[0]])[busy[0]]
                        os.kill(pid, signal.SIGKILL)
                        killed.append(pid)
                time.sleep(0.2)

    killer = threading.Thread(target=kill_the_slow_builds_worker)
    killer.start()
    env = {"PATH": f"{tools}{os.pathsep}{os.environ['PATH']}"}
    kw = dict(model=model, kind="csynth", accuracy=False, cluster=cluster, work_dir=work, env=env)
    try:
        with ResultsStore(tmp_path / "r.sqlite") as st:
            # a generous timeout for the sweep (a task imports Keras and hls4ml: slow on a busy machine), then the
            # hung build in a second call with a short one (it times out whether or not it reached its sleep)
            rows = evaluate(design, [c for i, c in zip(ids, configs) if i != ids[2]], store=st, timeout_s=600,
                            **kw)
            rows += evaluate(design, [configs[2]], store=st, timeout_s=15, **kw)
            stored = {r["config_id"]: r for r in st.evaluations(kind="csynth")}
    finally:
        done.set()
        killer.join()
    by = {r["config_id"]: r for r in rows}
    assert set(by) == set(ids) == set(stored)  # every configuration has its row, in the store too
    fail, crash, hang, slow = (by[i] for i in ids[:4])
    assert fail["status"] == "failed" and "BuildError" in fail["error"] and "exited with code 3" in fail["error"]
    assert crash["status"] == "failed" and "killed by SIGKILL" in crash["error"], crash["error"]
    assert hang["status"] == "timeout" and "killed after 15 s" in hang["error"]
    assert killed, "the slow build's worker was never seen busy"
    # rescheduled on the other worker (ok), or recorded with Dask's reason
    assert slow["status"] == "ok" or (slow["status"] == "failed" and "KilledWorker" in slow["error"]), slow
    assert all(by[i]["status"] == "ok" for i in ids[4:]), [(by[i]["status"], by[i]["seconds"]) for i in ids]
    assert _no_task_left(work)
    assert not [p for p in psutil.process_iter(["cmdline"]) if "sleep 600" in " ".join(p.info["cmdline"] or [])]
    client = Client(cluster)
    try:
        client.wait_for_workers(2, timeout=60)
    finally:
        client.close()
