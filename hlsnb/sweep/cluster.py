"""Send evaluations to Dask: a LocalCluster on this machine by default, any scheduler or cluster object otherwise.

``cluster`` may be ``None`` (a ``LocalCluster`` of ``n_workers`` single-threaded worker processes is started and
closed again), a scheduler address (``"tcp://head:8786"``), a ``dask.distributed.Client``, or a cluster object: a
``LocalCluster``, or a ``dask_jobqueue`` ``SLURMCluster`` / ``PBSCluster`` / ``HTCondorCluster`` (scale it first,
``cluster.scale(jobs=4)``, or let it adapt). The code is the same; only where the workers run changes.

Fault tolerance is Dask's plus ours: a worker that dies mid-task has its task rescheduled on another worker by the
scheduler (up to ``distributed.scheduler.allowed-failures`` times, default 3; after that the task is recorded as
``failed`` with the ``KilledWorker`` reason); a build that fails or hangs is a result (``failed`` / ``timeout``),
never an exception that stops the sweep.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from pathlib import Path

import numpy as np

from .space import config_id, design_id
from .store import ResultsStore
from .task import run_task, write_task

__all__ = ["connect", "evaluate", "save_inputs"]


def connect(cluster=None, n_workers: int = 2):
    """``(client, close)``: a Dask client for ``cluster`` and the function that releases what was started here."""
    from dask.distributed import Client, LocalCluster

    if isinstance(cluster, Client):
        return cluster, lambda: None
    if cluster is None:
        # one thread per worker: each task is a process of its own (a g++ compile or an HLS tool)
        local = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(local)

        def close():
            client.close()
            local.close()

        return client, close
    client = Client(cluster)  # a scheduler address or any cluster object (LocalCluster, dask_jobqueue, ...)
    return client, client.close


def save_inputs(work_dir, model, data) -> tuple[Path, Path | None]:
    """Write the Keras model and the check data where the workers read them (``model.keras``, ``data.npz``).

    ``data``: an :class:`hlsnb.data.Dataset` (its test split is used), a tuple ``(X, y)``, or None (no accuracy).
    A model given as a path is used as it is.
    """
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    if isinstance(model, (str, Path)):
        model_path = Path(model)
    else:
        model_path = work_dir / "model.keras"
        model.save(model_path)
    data_path = None
    if data is not None:
        X, y = (data.X_test, data.y_test) if hasattr(data, "X_test") else data
        data_path = work_dir / "data.npz"
        np.savez(data_path, X=np.asarray(X, dtype=np.float32), y=np.asarray(y))
    return model_path, data_path


def _failure(cid: str, kind: str, err: BaseException, started: float, spec_path: Path) -> dict:
    return dict(config_id=cid, kind=kind, status="failed", error=f"{type(err).__name__}: {err}", started=started,
                finished=time.time(), seconds=time.time() - started, project_dir=str(spec_path.parent / "prj"),
                log_path=str(spec_path.parent / "task.log"), reports=[])


def evaluate(design, configs, *, store: ResultsStore, model, data=None, kind: str = "csim", cluster=None,
             work_dir="hlsnb_sweep", timeout_s: float = 3600.0, retry_failed: bool = False, accuracy: bool = True,
             backend: str | None = None, env: dict | None = None, n_workers: int = 2, on_progress=None,
             designs=None) -> list[dict]:
    """Evaluate ``configs`` of ``design`` on a Dask cluster, one task per configuration; returns their store rows.

    Configurations already finished in ``store`` (``ok``; also ``failed``/``timeout``/``skipped`` unless
    ``retry_failed``) are not run again: calling this again after a crash or a kernel restart resumes the sweep.
    Each result is written to the store as soon as it arrives.

    Parameters
    ----------
    model : Keras model or path of a saved one; data : Dataset or (X, y) for the accuracy (None: no accuracy)
    kind : "csim", "csynth" or "vsynth" (see :data:`hlsnb.sweep.task.KINDS`)
    cluster : None, address, Client or cluster object (see :func:`connect`)
    timeout_s : a task running longer is killed and recorded as ``timeout``
    accuracy : builds also run the C simulation for the accuracy (``csim`` always does)
    env : environment variables of each evaluation process (e.g. ``{"PATH": ...}`` with the vendor tools)
    on_progress : ``callback(done, total, row)`` after each result (``row`` None for the initial call)
    designs : optional ``callable(config) -> Design`` (default ``config.apply(design)``), e.g. a Scorer's cached one
    """
    base = design_id(design)
    store.add_design(design, base)
    ids = [config_id(base, c) for c in configs]
    done = store.finished(kind, include_failed=not retry_failed)
    todo = [(cid, c) for cid, c in zip(ids, configs) if cid not in done]
    total = len(ids)
    n_done = total - len(todo)
    if on_progress is not None:
        on_progress(n_done, total, None)
    if todo:
        model_path, data_path = save_inputs(work_dir, model, data if (accuracy or kind == "csim") else None)
        make = designs or (lambda c: c.apply(design))
        specs = {}
        for cid, c in todo:
            store.add_config(cid, base, c)
            specs[cid] = write_task(work_dir, cid, kind, make(c), model_path=model_path, data_path=data_path,
                                    backend=backend, accuracy=accuracy, env=env)
        client, close = connect(cluster, n_workers)
        try:
            with contextlib.closing(_results(client, specs, kind, timeout_s)) as results:
                for n, row in enumerate(results, start=1):
                    store.record(row)
                    if on_progress is not None:
                        on_progress(n_done + n, total, row)
        finally:
            close()
    rows = {r["config_id"]: r for r in store.evaluations(kind=kind)}
    return [rows[cid] for cid in ids if cid in rows]


def _results(client, specs: dict, kind: str, timeout_s: float):
    """Submit one task per spec; yield each result (or the recorded failure) as it arrives."""
    from dask.distributed import as_completed

    started = time.time()
    # a fresh key per submission: a task of a closed earlier session must not be mistaken for this one
    futures = {client.submit(run_task, str(p), timeout_s, key=f"hlsnb-{kind}-{cid}-{uuid.uuid4().hex[:8]}",
                             pure=False): cid for cid, p in specs.items()}
    try:
        for fut in as_completed(futures):
            cid = futures[fut]
            try:
                row = fut.result()
            except Exception as e:  # noqa: BLE001  (KilledWorker, a lost connection: recorded, the sweep goes on)
                row = _failure(cid, kind, e, started, specs[cid])
            yield row
    finally:
        client.cancel(list(futures))

