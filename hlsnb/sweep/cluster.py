"""Send evaluations to Dask: a LocalCluster on this machine by default, any scheduler or cluster object otherwise.

``cluster`` may be ``None`` (the notebook's current ``Client`` if it has one, else a ``LocalCluster`` of
``n_workers`` single-threaded worker processes, with its dashboard, started and closed again), a scheduler address
(``"tcp://head:8786"``), a ``dask.distributed.Client``, or a cluster object: a ``LocalCluster``, or a
``dask_jobqueue`` ``SLURMCluster`` / ``PBSCluster`` / ``HTCondorCluster`` (scale it first,
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

from ..fileio import atomic_path
from .space import config_id, design_id
from .store import ResultsStore
from .task import run_task, write_task

__all__ = ["connect", "evaluate", "save_inputs", "Connection", "dashboard_link", "TOOL_KINDS"]

#: Evaluation kinds that run a vendor or open synthesis tool: the ones ``resources=`` applies to (a C simulation is
#: only g++).
TOOL_KINDS = ("csynth", "vsynth", "yosys")


class Connection:
    """A Dask client for a sweep and how to release it; unpacks as ``(client, close)``.

    ``started``: True when this connection started its own ``LocalCluster`` (closed again by :meth:`close`);
    False when it reuses the caller's client or cluster (left running). :attr:`dashboard_link`: the Dask
    dashboard's URL (task stream, worker memory, progress), or None when the scheduler serves none (the
    dashboard needs ``bokeh``, which the ``sweep`` extra installs).
    """

    def __init__(self, client, close, started: bool):
        self.client, self._close, self.started = client, close, started

    @property
    def dashboard_link(self) -> str | None:
        return dashboard_link(self.client)

    def close(self) -> None:
        self._close()

    def __iter__(self):
        return iter((self.client, self.close))

    def __repr__(self) -> str:
        how = "started here" if self.started else "reused"
        return f"<Connection {how}: {self.client.scheduler.address}, dashboard {self.dashboard_link}>"


def dashboard_link(client=None) -> str | None:
    """The dashboard URL of ``client`` (default: the current client, see :func:`connect`), or None without one."""
    if client is None:
        client = _current_client()
        if client is None:
            return None
    try:
        info = client.scheduler_info()
    except Exception:  # noqa: BLE001  (a closed client: no dashboard to show)
        return None
    if "dashboard" not in info.get("services", {}):
        return None
    return client.dashboard_link


def _current_client():
    """The notebook's Dask client (``distributed.default_client()``), or None when there is none."""
    from distributed import default_client

    try:
        return default_client()
    except ValueError:
        return None


def connect(cluster=None, n_workers: int = 2, resources: dict | None = None, dashboard: bool = True) -> Connection:
    """A :class:`Connection` (unpacks as ``(client, close)``) to the Dask cluster that runs a sweep.

    ``cluster``: ``None`` reuses the client the notebook already has (``distributed.default_client()``, e.g. from
    ``Client()`` or the JupyterLab Dask extension) and otherwise starts a ``LocalCluster`` of ``n_workers``
    single-threaded worker processes, closed again by ``close``; a ``Client`` is used as it is; an address or a
    cluster object (``LocalCluster``, ``dask_jobqueue``'s) gets a client of its own, closed by ``close`` (the
    cluster itself is the caller's). ``resources``: what each worker of a ``LocalCluster`` started here offers
    (``{"vivado": 1}`` for one licence per worker, ``{"MEM": 8e9}``); tasks that ask for them (``evaluate(...,
    resources=)``) run only where they are free. ``dashboard``: serve the Dask dashboard of a cluster started here
    on a free port (:attr:`Connection.dashboard_link`).
    """
    from dask.distributed import Client, LocalCluster

    if isinstance(cluster, Client):
        return Connection(cluster, lambda: None, started=False)
    if cluster is None:
        current = _current_client()
        if current is not None and current.status == "running":
            return Connection(current, lambda: None, started=False)
        # one thread per worker: each task is a process of its own (a g++ compile or an HLS tool)
        local = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                             dashboard_address=":0" if dashboard else None, resources=resources)
        client = Client(local, set_as_default=False)

        def close():
            client.close()
            local.close()

        return Connection(client, close, started=True)
    client = Client(cluster, set_as_default=False)  # a scheduler address or a cluster object
    return Connection(client, client.close, started=False)


def _check_resources(client, resources: dict) -> None:
    """Refuse task ``resources`` no worker offers (the tasks would wait forever), naming what the workers have."""
    workers = client.scheduler_info().get("workers", {})
    offered: dict = {}
    for w in workers.values():
        for k, v in (w.get("resources") or {}).items():
            offered[k] = max(offered.get(k, 0), v)
    short = {k: v for k, v in resources.items() if offered.get(k, 0) < v}
    if short:
        have = ", ".join(f"{k}={v:g}" for k, v in sorted(offered.items())) or "none"
        raise ValueError(f"evaluate(resources={resources!r}): no worker offers {short!r}, so these tasks would wait "
                         f"forever; the workers offer: {have} (start workers with e.g. "
                         f"`dask worker --resources \"{' '.join(f'{k}={v:g}' for k, v in resources.items())}\"`, or "
                         "LocalCluster(resources=...); connect(resources=...) does it for the cluster it starts)")


def save_inputs(work_dir, model, data) -> tuple[Path, Path | None]:
    """Write the Keras model and the check data where the workers read them (``model.keras``, ``data.npz``).

    ``data``: an :class:`hlsnb.data.Dataset` (its test split is used), a tuple ``(X, y)``, or None (no accuracy).
    A model given as a path is used as it is. Both files are written atomically (:func:`hlsnb.fileio.atomic_path`):
    a worker that starts while they are written, or a write killed half way, never sees half a file.
    """
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    if isinstance(model, (str, Path)):
        model_path = Path(model)
    else:
        model_path = work_dir / "model.keras"
        with atomic_path(model_path) as tmp:
            model.save(tmp)
    data_path = None
    if data is not None:
        X, y = (data.X_test, data.y_test) if hasattr(data, "X_test") else data
        data_path = work_dir / "data.npz"
        with atomic_path(data_path) as tmp:
            np.savez(tmp, X=np.asarray(X, dtype=np.float32), y=np.asarray(y))
    return model_path, data_path


def _failure(cid: str, kind: str, err: BaseException, started: float, spec_path: Path) -> dict:
    return dict(config_id=cid, kind=kind, status="failed", error=f"{type(err).__name__}: {err}", started=started,
                finished=time.time(), seconds=time.time() - started, project_dir=str(spec_path.parent / "prj"),
                log_path=str(spec_path.parent / "task.log"), reports=[])


def evaluate(design, configs, *, store: ResultsStore, model, data=None, kind: str = "csim", cluster=None,
             work_dir="hlsnb_sweep", timeout_s: float = 3600.0, retry_failed: bool = False, accuracy: bool = True,
             backend: str | None = None, env: dict | None = None, n_workers: int = 2, on_progress=None,
             designs=None, resources: dict | None = None, on_connect=None) -> list[dict]:
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
    resources : Dask worker resources each tool-bound task (:data:`TOOL_KINDS`) holds while it runs, e.g.
        ``{"vivado": 1}`` with workers started with ``--resources vivado=2`` (two licences); a cluster started here
        offers them on each worker. Refused at once when no worker offers them.
    on_connect : ``callback(connection)`` once the cluster is reached (its :attr:`Connection.dashboard_link` for a
        progress view)
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
        task_resources = resources if kind in TOOL_KINDS and resources else None
        conn = connect(cluster, n_workers, resources=task_resources)
        client, close = conn
        try:
            if task_resources:
                _check_resources(client, task_resources)
            if on_connect is not None:
                on_connect(conn)
            with contextlib.closing(_results(client, specs, kind, timeout_s, task_resources)) as results:
                for n, row in enumerate(results, start=1):
                    store.record(row)
                    if on_progress is not None:
                        on_progress(n_done + n, total, row)
        finally:
            close()
    rows = {r["config_id"]: r for r in store.evaluations(kind=kind)}
    return [rows[cid] for cid in ids if cid in rows]


def _results(client, specs: dict, kind: str, timeout_s: float, resources: dict | None = None):
    """Submit one task per spec; yield each result (or the recorded failure) as it arrives."""
    from dask.distributed import as_completed

    started = time.time()
    # a fresh key per submission: a task of a closed earlier session must not be mistaken for this one
    futures = {client.submit(run_task, str(p), timeout_s, key=f"hlsnb-{kind}-{cid}-{uuid.uuid4().hex[:8]}",
                             pure=False, resources=resources): cid for cid, p in specs.items()}
    try:
        for fut in as_completed(futures, loop=client.loop):  # the sweep's client need not be the default
            cid = futures[fut]
            try:
                row = fut.result()
            except Exception as e:  # noqa: BLE001  (KilledWorker, a lost connection: recorded, the sweep goes on)
                row = _failure(cid, kind, e, started, specs[cid])
            yield row
    finally:
        client.cancel(list(futures))

