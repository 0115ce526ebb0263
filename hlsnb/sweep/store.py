"""The results store: one SQLite file holding every configuration, estimate and evaluation of every sweep.

Why SQLite: one file next to the notebooks, no server, safe for several processes at once (two kernels, a kernel and
a script) in WAL mode, readable from any language. Every evaluation is written the moment it finishes, in its own
transaction, so a crash or a kernel restart loses at most the builds that were running; :meth:`finished` is what a
resumed sweep skips. The measured reports are kept as text in the store (not only as paths into project folders
that may be cleaned up), so :meth:`builds` can feed :func:`hlsnb.synth.recalibrate` from every build ever run.

Schema (version 1; docs/sweep.md has the column meanings and units):

- ``meta(key, value)``: ``schema_version``.
- ``designs(design_id, model_name, design_json, created)``: base designs (Design JSON, weights excluded).
- ``configs(config_id, design_id, config_json, created)``: one row per configuration of a base design.
- ``estimates(config_id, stage, dsp, lut, ff, bram18k, dsp_pct, lut_pct, ff_pct, bram18k_pct, latency_cycles,
  latency_ns, ii, fits, created)``: the estimator's numbers, one row per configuration and stage.
- ``evaluations(config_id, kind, status, accuracy, keras_accuracy, argmax_agreement, dsp, lut, ff, bram18k,
  latency_cycles, ii, design_json, tool_versions, timings, seconds, started, finished, project_dir, log_path,
  worker, error)``: one row per configuration and kind of evaluation (``csim``, ``csynth``, ``vsynth``);
  ``status`` is ``ok``, ``failed``, ``timeout`` or ``skipped`` (tool not found).
- ``reports(config_id, kind, report_kind, filename, text)``: the report files of an evaluation.
- view ``results``: configs joined with their csynth-stage estimate and evaluations, for export.

Times are Unix seconds (``created``, ``started``, ``finished``) and durations seconds.
"""

from __future__ import annotations

import csv
import json
import sqlite3
import tempfile
import threading
import time
from pathlib import Path

from ..design import Design
from .score import COLUMNS
from .space import Config

__all__ = ["ResultsStore", "SCHEMA_VERSION", "EVALUATION_COLUMNS"]

SCHEMA_VERSION = 1

#: Columns of the ``evaluations`` table, in order.
EVALUATION_COLUMNS = (
    "config_id", "kind", "status", "accuracy", "keras_accuracy", "argmax_agreement", "dsp", "lut", "ff", "bram18k",
    "latency_cycles", "ii", "design_json", "tool_versions", "timings", "seconds", "started", "finished",
    "project_dir", "log_path", "worker", "error",
)

_EST_TYPES = {"latency_cycles": "INTEGER", "ii": "INTEGER", "fits": "INTEGER"}
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS designs (
    design_id TEXT PRIMARY KEY, model_name TEXT, design_json TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS configs (
    config_id TEXT PRIMARY KEY, design_id TEXT NOT NULL REFERENCES designs(design_id),
    config_json TEXT NOT NULL, created REAL NOT NULL);
CREATE INDEX IF NOT EXISTS configs_by_design ON configs(design_id);
CREATE TABLE IF NOT EXISTS estimates (
    config_id TEXT NOT NULL REFERENCES configs(config_id), stage TEXT NOT NULL,
    {", ".join(f"{c} {_EST_TYPES.get(c, 'REAL')}" for c in COLUMNS)},
    created REAL NOT NULL, PRIMARY KEY (config_id, stage));
CREATE TABLE IF NOT EXISTS evaluations (
    config_id TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL,
    accuracy REAL, keras_accuracy REAL, argmax_agreement REAL,
    dsp REAL, lut REAL, ff REAL, bram18k REAL, latency_cycles INTEGER, ii INTEGER,
    design_json TEXT, tool_versions TEXT, timings TEXT, seconds REAL, started REAL, finished REAL,
    project_dir TEXT, log_path TEXT, worker TEXT, error TEXT,
    PRIMARY KEY (config_id, kind));
CREATE TABLE IF NOT EXISTS reports (
    config_id TEXT NOT NULL, kind TEXT NOT NULL, report_kind TEXT NOT NULL, filename TEXT NOT NULL,
    text TEXT NOT NULL, PRIMARY KEY (config_id, kind, report_kind));
CREATE VIEW IF NOT EXISTS results AS
    SELECT c.config_id, c.design_id, c.config_json,
           {", ".join(f"e.{col} AS est_{col}" for col in COLUMNS)},
           v.kind, v.status, v.accuracy, v.keras_accuracy, v.dsp AS meas_dsp, v.lut AS meas_lut, v.ff AS meas_ff,
           v.bram18k AS meas_bram18k, v.latency_cycles AS meas_latency_cycles, v.ii AS meas_ii, v.tool_versions,
           v.seconds, v.project_dir, v.error
    FROM configs c
    LEFT JOIN estimates e ON e.config_id = c.config_id AND e.stage = 'csynth'
    LEFT JOIN evaluations v ON v.config_id = c.config_id;
"""

_JSON_FIELDS = ("tool_versions", "timings")


class ResultsStore:
    """A sweep's results in one SQLite file (created with the schema above if missing).

    Safe to open from several processes and threads at once: WAL journal, a busy timeout of ``timeout_s`` seconds,
    one connection per store guarded by a lock. The file must be on a local disk (SQLite's locking does not work on
    NFS); on a cluster the workers never touch it: only the process that runs the sweep writes.
    """

    def __init__(self, path="hlsnb_sweep.sqlite", timeout_s: float = 60.0):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(self.path), timeout=timeout_s, check_same_thread=False,
                                   isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute(f"PRAGMA busy_timeout = {int(timeout_s * 1000)}")
        self._db.execute("PRAGMA journal_mode = WAL")
        with self._tx() as db:
            for stmt in filter(str.strip, _SCHEMA.split(";")):
                db.execute(stmt)
            row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            if row is None:
                db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            elif int(row[0]) != SCHEMA_VERSION:
                raise ValueError(f"{self.path}: results store schema version {row[0]}, this hlsnb reads "
                                 f"{SCHEMA_VERSION}; open it with the hlsnb that wrote it or start a new file")

    # ------------------------------------------------------------------ plumbing
    class _Tx:
        def __init__(self, store):
            self.store = store

        def __enter__(self):
            self.store._lock.acquire()
            try:
                self.store._db.execute("BEGIN IMMEDIATE")  # take the write lock now: no upgrade deadlock later
            except BaseException:  # still busy after the timeout: this store stays usable
                self.store._lock.release()
                raise
            return self.store._db

        def __exit__(self, exc_type, *_):
            try:
                self.store._db.execute("ROLLBACK" if exc_type else "COMMIT")
            finally:
                self.store._lock.release()

    def _tx(self):
        return self._Tx(self)

    def _query(self, sql: str, args=()) -> list[dict]:
        with self._lock:
            return [dict(r) for r in self._db.execute(sql, args).fetchall()]

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.close()

    def __repr__(self) -> str:
        n = self._query("SELECT (SELECT COUNT(*) FROM configs) AS c, (SELECT COUNT(*) FROM evaluations) AS e")[0]
        return f"ResultsStore({str(self.path)!r}: {n['c']:,} configurations, {n['e']:,} evaluations)"

    # ------------------------------------------------------------------ writing
    def add_design(self, design, design_id: str) -> None:
        """Keep a base design (its JSON, weights excluded) under ``design_id``; a no-op when it is there."""
        with self._tx() as db:
            db.execute("INSERT OR IGNORE INTO designs VALUES (?, ?, ?, ?)",
                       (design_id, design.model_name, design.to_json(indent=None), time.time()))

    def add_scores(self, scores, design) -> None:
        """Keep the configurations and estimates of a score table (estimates of the same stage are replaced)."""
        self.add_design(design, scores.design_id)
        now = time.time()
        stage = scores.stage or "csynth"
        cols = [scores[c].tolist() for c in COLUMNS]
        est_rows = [(cid, stage, *(col[i] for col in cols), now) for i, cid in enumerate(scores.ids)]
        with self._tx() as db:
            db.executemany("INSERT OR IGNORE INTO configs VALUES (?, ?, ?, ?)",
                           [(cid, scores.design_id, c.key, now) for cid, c in zip(scores.ids, scores.configs)])
            db.executemany(f"INSERT OR REPLACE INTO estimates VALUES ({', '.join('?' * (len(COLUMNS) + 3))})",
                           est_rows)

    def add_config(self, config_id: str, design_id: str, config: Config) -> None:
        """Keep one configuration (a no-op when it is there): evaluations of unscored configurations need it."""
        with self._tx() as db:
            db.execute("INSERT OR IGNORE INTO configs VALUES (?, ?, ?, ?)", (config_id, design_id, config.key,
                                                                             time.time()))

    def record(self, result: dict) -> None:
        """Keep one evaluation (a dict with :data:`EVALUATION_COLUMNS` keys, plus ``reports``: a list of
        ``{"report_kind", "filename", "text"}``), replacing an earlier one of the same configuration and kind."""
        row = {k: result.get(k) for k in EVALUATION_COLUMNS}
        for k in _JSON_FIELDS:
            if row[k] is not None and not isinstance(row[k], str):
                row[k] = json.dumps(row[k], sort_keys=True)
        with self._tx() as db:
            db.execute(f"INSERT OR REPLACE INTO evaluations VALUES ({', '.join('?' * len(EVALUATION_COLUMNS))})",
                       tuple(row.values()))
            db.execute("DELETE FROM reports WHERE config_id = ? AND kind = ?", (row["config_id"], row["kind"]))
            db.executemany("INSERT INTO reports VALUES (?, ?, ?, ?, ?)",
                           [(row["config_id"], row["kind"], r["report_kind"], r["filename"], r["text"])
                            for r in result.get("reports") or ()])

    # ------------------------------------------------------------------ reading
    def evaluation(self, config_id: str, kind: str) -> dict | None:
        rows = self.evaluations(kind=kind, config_id=config_id)
        return rows[0] if rows else None

    def evaluations(self, kind: str | None = None, status: str | None = None, config_id: str | None = None) -> list:
        """Evaluation rows as dicts (JSON columns decoded), oldest first."""
        where = [(c, v) for c, v in (("kind", kind), ("status", status), ("config_id", config_id)) if v is not None]
        sql = "SELECT * FROM evaluations" + (" WHERE " + " AND ".join(f"{c} = ?" for c, _ in where) if where else "")
        rows = self._query(sql + " ORDER BY finished", [v for _, v in where])
        for r in rows:
            for k in _JSON_FIELDS:
                r[k] = json.loads(r[k]) if r[k] else {}
        return rows

    def finished(self, kind: str, include_failed: bool = True) -> set:
        """Ids of the configurations whose ``kind`` evaluation is done (``ok``; also failed/timeout/skipped unless
        ``include_failed=False``): what a resumed sweep does not run again."""
        states = ("ok", "failed", "timeout", "skipped") if include_failed else ("ok",)
        rows = self._query(f"SELECT config_id FROM evaluations WHERE kind = ? AND status IN "
                           f"({', '.join('?' * len(states))})", (kind, *states))
        return {r["config_id"] for r in rows}

    def accuracy(self) -> dict:
        """``{config_id: accuracy}`` of every successful evaluation that measured one (C simulation)."""
        rows = self._query("SELECT config_id, accuracy FROM evaluations WHERE status = 'ok' AND accuracy IS NOT NULL "
                           "ORDER BY finished")
        return {r["config_id"]: r["accuracy"] for r in rows}

    def config(self, config_id: str) -> Config:
        rows = self._query("SELECT config_json FROM configs WHERE config_id = ?", (config_id,))
        if not rows:
            raise KeyError(f"{self.path}: no configuration {config_id!r}")
        return Config.from_dict(rows[0]["config_json"])

    def base_design(self, design_id: str) -> Design:
        rows = self._query("SELECT design_json FROM designs WHERE design_id = ?", (design_id,))
        if not rows:
            raise KeyError(f"{self.path}: no design {design_id!r}")
        return Design.from_json(rows[0]["design_json"])

    def design(self, config_id: str, model=None) -> Design:
        """The Design of a configuration: the one built when it was evaluated, else its base with its settings.

        ``model``: the Keras model, to attach the weights (needed to apply a sparsity above 0; without it a pruned
        configuration comes back with its settings but unpruned).
        """
        ev = self._query("SELECT design_json FROM evaluations WHERE config_id = ? AND design_json IS NOT NULL "
                         "ORDER BY finished DESC LIMIT 1", (config_id,))
        if ev and model is None:
            return Design.from_json(ev[0]["design_json"])
        row = self._query("SELECT design_id, config_json FROM configs WHERE config_id = ?", (config_id,))
        if not row:
            raise KeyError(f"{self.path}: no configuration {config_id!r}")
        base = Design.from_json(self._query("SELECT design_json FROM designs WHERE design_id = ?",
                                            (row[0]["design_id"],))[0]["design_json"], model=model)
        cfg = Config.from_dict(row[0]["config_json"])
        return cfg.apply(base) if model is not None else Config(cfg.io_type, cfg.layers, 0.0).apply(base)

    def builds(self, report_kind: str = "csynth"):
        """``(Design, Report)`` of every successful evaluation with a ``report_kind`` report, oldest first.

        The pairs :func:`hlsnb.synth.recalibrate.recalibrate` takes: ``recalibrate(list(store.builds()))`` refits
        the estimator on every build kept here. Reports are read back from the text kept in the store.
        """
        from ..synth.reports import read_report

        rows = self._query(
            "SELECT v.config_id, v.design_json, r.filename, r.text FROM evaluations v JOIN reports r "
            "ON r.config_id = v.config_id AND r.kind = v.kind WHERE v.status = 'ok' AND r.report_kind = ? "
            "AND v.design_json IS NOT NULL ORDER BY v.finished", (report_kind,))
        for r in rows:
            with tempfile.TemporaryDirectory(prefix="hlsnb_report_") as tmp:
                p = Path(tmp) / r["filename"]
                p.write_text(r["text"])
                report = read_report(p)
            report.path = f"{self.path}#{r['config_id']}/{r['filename']}"  # where it came from, not the temp file
            yield Design.from_json(r["design_json"]), report

    def table(self, name: str = "results") -> list[dict]:
        """Every row of a table or of the ``results`` view, as dicts."""
        if name not in ("results", "designs", "configs", "estimates", "evaluations", "reports", "meta"):
            raise ValueError(f"no table {name!r}; tables: results, designs, configs, estimates, evaluations, "
                             "reports, meta")
        return self._query(f"SELECT * FROM {name}")

    def to_csv(self, path, table: str = "results") -> Path:
        """Write a table (default the ``results`` view) as CSV; returns the path."""
        rows = self.table(table)
        if rows:
            cols = list(rows[0])
        else:
            with self._lock:
                cols = [d[0] for d in self._db.execute(f"SELECT * FROM {table} LIMIT 0").description]
        with open(path, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=cols)
            w.writeheader()
            w.writerows(rows)
        return Path(path)

    def to_parquet(self, path, table: str = "results") -> Path:
        """Write a table as Parquet (needs ``pyarrow``: ``pip install pyarrow``); returns the path."""
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise ImportError("to_parquet needs pyarrow, which is not installed (pip install pyarrow); "
                              "to_csv works without it") from None
        pq.write_table(pa.Table.from_pylist(self.table(table)), str(path))
        return Path(path)
