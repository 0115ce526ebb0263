"""hlsnb.sweep.cluster by Dask's conventions (issue 26.7): the notebook's client is reused, the dashboard is on and
its link available, tool-bound tasks hold worker resources (a Vivado licence)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest.importorskip("dask.distributed")

from hlsnb.sweep import ResultsStore, Space
from hlsnb.sweep.cluster import connect, dashboard_link, evaluate

FAKE = Path(__file__).resolve().parent / "fixtures" / "fake_tools"


def test_a_cluster_started_here_has_a_dashboard_and_is_closed():
    """Without a client in the notebook, a LocalCluster is started with its dashboard on a free port, and closed.
    (~10 s on 2 busy cores: starting two worker processes is what is tested.)"""
    from distributed import default_client

    conn = connect(None) if _no_default_client() else pytest.skip("a default client exists in this session")
    try:
        assert conn.started and conn.dashboard_link.startswith("http")
        with pytest.raises(ValueError):
            default_client()  # the sweep's private client does not become the notebook's default
    finally:
        conn.close()
    assert conn.client.status == "closed"


@pytest.fixture(scope="module")
def licensed():
    """One worker that holds one 'vivado' licence, and the notebook's client on it (set as the default)."""
    from dask.distributed import Client, LocalCluster

    # in-process worker: quick to start; each evaluation is a subprocess of its own anyway
    lc = LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0",
                      resources={"vivado": 1})
    client = Client(lc)  # what a notebook does: it becomes distributed's default client
    yield lc, client
    client.close()
    lc.close()


@pytest.fixture
def tiny():
    import keras

    from hlsnb.design import Design

    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((21,)), keras.layers.Dense(3, activation="relu", name="fc1"),
                          keras.layers.Dense(3, activation="softmax", name="output")])
    return m, Design.from_keras(m, board=None, part="xc7z007s-clg225-2", clock_ns=3.33, precision="ap_fixed<16,4>")


def test_cluster_none_reuses_the_notebooks_client_and_shows_its_dashboard(licensed, tiny, tmp_path):
    _, client = licensed
    conn = connect(None)
    assert conn.client is client and not conn.started
    link = conn.dashboard_link
    assert link and link.startswith("http") and link == dashboard_link() == client.dashboard_link
    conn.close()
    assert client.status == "running"  # the caller's client is not closed
    model, design = tiny
    seen = []
    with ResultsStore(tmp_path / "r.sqlite") as st:
        rows = evaluate(design, list(Space(design, reuse_factor=[1]))[:1], store=st, model=model, kind="csynth",
                        accuracy=False, work_dir=tmp_path / "w", resources={"vivado": 1}, on_connect=seen.append,
                        env={"PATH": f"{FAKE}{os.pathsep}{os.environ['PATH']}"})
    assert [c.client for c in seen] == [client]  # no second LocalCluster
    assert rows[0]["status"] == "ok", rows[0]["error"]


def test_resources_no_worker_offers_are_refused_at_once(licensed, tiny, tmp_path):
    model, design = tiny
    with ResultsStore(tmp_path / "r.sqlite") as st:
        with pytest.raises(ValueError, match=r"no worker offers \{'licence': 1\}.*vivado=1"):
            evaluate(design, list(Space(design, reuse_factor=[1]))[:1], store=st, model=model, kind="csynth",
                     accuracy=False, work_dir=tmp_path / "w", resources={"licence": 1})


def _no_default_client() -> bool:
    from distributed import default_client

    try:
        default_client()
    except ValueError:
        return True
    return False


def test_inputs_for_the_workers_are_written_whole_or_not_at_all(tmp_path):
    """A model whose save fails half way leaves the previous model.keras and data.npz as they were, and no partial
    file a worker could load."""
    import numpy as np

    from hlsnb.sweep.cluster import save_inputs

    class Model:
        def __init__(self, fail):
            self.fail = fail

        def save(self, path):
            Path(path).write_bytes(b"half a model")
            if self.fail:
                raise OSError("disk full")

    X, y = np.ones((3, 4)), np.arange(3)
    model_path, data_path = save_inputs(tmp_path, Model(fail=False), (X, y))
    assert model_path.read_bytes() == b"half a model" and np.load(data_path)["X"].shape == (3, 4)
    model_path.write_bytes(b"the good model")
    with pytest.raises(OSError, match="disk full"):
        save_inputs(tmp_path, Model(fail=True), (X, y))
    assert model_path.read_bytes() == b"the good model"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.npz", "model.keras"]
