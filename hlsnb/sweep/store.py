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

import contextlib
import csv
import io
import json
import os
import sqlite3
import struct
import tempfile
import threading
import time
import warnings
from pathlib import Path, PurePosixPath

from ..design import Design
from ..errors import HlsnbError
from ..fileio import atomic_path, atomic_write
from .score import COLUMNS
from .space import Config

__all__ = ["ResultsStore", "SCHEMA_VERSION", "EVALUATION_COLUMNS", "StoreError", "StoreVersionError"]

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
_TABLES = ("meta", "designs", "configs", "estimates", "evaluations", "reports")
_SQLITE_MAGIC = b"SQLite format 3\x00"


class StoreError(HlsnbError, RuntimeError):
    """A results store that cannot be opened, read or written: the message names the file, says what is wrong
    (corrupt, truncated, not a results store, read-only, locked, full disk) and what to do."""


class StoreVersionError(StoreError, ValueError):
    """A results store written with another schema version than this hlsnb reads."""


def _what_to_do(path: Path, e: sqlite3.Error, timeout_s: float) -> str:
    """One sentence on what an sqlite error means for the store at ``path`` and what the user can do."""
    msg = str(e).lower()
    if "locked" in msg or "busy" in msg:
        return (f"locked: another process has held its write lock for more than {timeout_s:g} s (another notebook "
                "or script writing it?); wait for it or close it, then try again")
    if "readonly" in msg or "read-only" in msg:
        return ("read-only: the file or its folder cannot be written; open it to read only "
                "(ResultsStore(path, read_only=True)) or copy it to a writable folder")
    if "full" in msg:
        return "the disk is full: free space, then try again (what was stored before is intact)"
    if "not a database" in msg or "malformed" in msg or "corrupt" in msg:
        return ("damaged (corrupt or truncated): restore a copy, or recover what is readable with the sqlite3 "
                f"shell ('sqlite3 {path.name} .recover'), or start a new file")
    if "unable to open" in msg:
        return "cannot be opened: check that the folder exists and is readable (and writable, to add results)"
    if "disk i/o" in msg:
        return "a disk I/O error: the file system may be full, read-only or gone (a network mount?)"
    return "check the file (hlsnb's results stores are SQLite files written by hlsnb.sweep.ResultsStore)"


def _store_error(path: Path, e: sqlite3.Error, timeout_s: float, doing: str) -> StoreError:
    return StoreError(f"results store {path}: {doing} failed ({e}); {_what_to_do(path, e, timeout_s)}")


def _check_header(path: Path) -> None:
    """Refuse a file that is not an SQLite database, or one shorter than its own header says (truncated)."""
    size = path.stat().st_size
    if size == 0:
        return  # an empty file is an empty database: the schema is created in it
    with open(path, "rb") as f:
        head = f.read(100)
    if not head.startswith(_SQLITE_MAGIC):
        raise StoreError(f"results store {path}: not an SQLite file (it starts with {head[:16]!r}); give the path of "
                         "a results store, or a new file name to start one")
    if len(head) < 100:
        raise StoreError(f"results store {path}: truncated ({size:,} bytes, shorter than SQLite's 100-byte "
                         "header); restore a copy or start a new file")
    page_size = struct.unpack(">H", head[16:18])[0]
    page_size = 65536 if page_size == 1 else page_size
    change, n_pages, valid_for = (struct.unpack(">I", head[i:i + 4])[0] for i in (24, 28, 92))
    # with a live WAL journal another process may be checkpointing (page 1 is copied before the pages past the
    # end): the header's size is trusted only when no -wal file is beside the store
    in_use = path.with_name(path.name + "-wal").exists()
    if change == valid_for and n_pages and not in_use and size < n_pages * page_size:
        raise StoreError(f"results store {path}: truncated ({size:,} bytes; its header says {n_pages:,} pages of "
                         f"{page_size:,} bytes = {n_pages * page_size:,}); a copy or a download was cut short: "
                         "restore a complete copy or start a new file")


def _writable(path: Path) -> bool:
    folder = path.parent if str(path.parent) else Path(".")
    # SQLite's WAL journal needs the folder too (the -wal and -shm files beside the store)
    return os.access(folder, os.W_OK) and (not path.exists() or os.access(path, os.W_OK))


class ResultsStore:
    """A sweep's results in one SQLite file (created with the schema above if missing).

    Safe to open from several processes and threads at once: WAL journal, a busy timeout of ``timeout_s`` seconds,
    one connection per store guarded by a lock. The file must be on a local disk (SQLite's locking does not work on
    NFS); on a cluster the workers never touch it: only the process that runs the sweep writes.

    ``read_only``: open without writing (default: when the file or its folder cannot be written, e.g. a store on a
    read-only mount or someone else's file; it can be read, exported and fed to ``recalibrate``, and every write
    raises :class:`StoreError`). Every failure of the file (not an SQLite file, an SQLite file of another program,
    truncated, corrupt, locked past ``timeout_s``, a full disk, another schema version) is a :class:`StoreError`
    naming the file and saying what to do; nothing is ever written into a file that is not a results store.
    """

    def __init__(self, path="hlsnb_sweep.sqlite", timeout_s: float = 60.0, read_only: bool | None = None):
        self.path = Path(path)
        self.timeout_s = float(timeout_s)
        if self.path.is_dir():
            raise StoreError(f"results store {self.path}: is a folder; give the path of a store file "
                             "(e.g. hlsnb_sweep.sqlite)")
        if self.path.exists() and not self.path.is_file():
            raise StoreError(f"results store {self.path}: not a regular file")
        if read_only is None:  # a store on a read-only file system (or without write access) can still be read
            read_only = self.path.exists() and not _writable(self.path)
        self.read_only = bool(read_only)
        if self.read_only and not self.path.exists():
            raise StoreError(f"results store {self.path}: does not exist, so it cannot be opened read-only")
        if not self.read_only:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise StoreError(f"results store {self.path}: cannot create its folder ({e.strerror or e}); give "
                                 "a path in a writable folder") from None
            if not self.path.exists() and not _writable(self.path):
                raise StoreError(f"results store {self.path}: cannot be created: the folder {self.path.parent} "
                                 "is not writable (a read-only file system?); give a path in a writable folder")
        if self.path.exists():
            _check_header(self.path)
        self._lock = threading.Lock()
        self._db = self._connect()
        try:
            self._init_schema()
        except BaseException:
            self._db.close()
            raise

    def _connect(self) -> sqlite3.Connection:
        uri = self.path.resolve().as_uri()
        attempts = [f"{uri}?mode=ro", f"{uri}?mode=ro&immutable=1"] if self.read_only else [uri]
        err: sqlite3.Error | None = None
        for target in attempts:
            try:
                db = sqlite3.connect(target, uri=True, timeout=self.timeout_s, check_same_thread=False,
                                     isolation_level=None)
                db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # reads the header: fails on junk
            except sqlite3.Error as e:  # a WAL store on a read-only mount has no -shm: read it as immutable
                err = e
                continue
            db.row_factory = sqlite3.Row
            db.execute(f"PRAGMA busy_timeout = {int(self.timeout_s * 1000)}")
            if not self.read_only:
                try:
                    db.execute("PRAGMA journal_mode = WAL")
                except sqlite3.Error as e:
                    db.close()
                    raise _store_error(self.path, e, self.timeout_s, "opening") from None
            return db
        raise _store_error(self.path, err, self.timeout_s, "opening") from None

    def _init_schema(self) -> None:
        try:
            tables = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            version = None
            if "meta" in tables:
                row = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
                version = row[0] if row else None
        except sqlite3.Error as e:
            raise _store_error(self.path, e, self.timeout_s, "reading its schema") from None
        if tables and version is None:
            raise StoreError(f"results store {self.path}: an SQLite file of something else (tables: "
                             f"{', '.join(sorted(tables))}; no hlsnb schema_version); hlsnb does not write into "
                             "it: give a new file name for the results store")
        if version is not None:
            try:
                v = int(version)
            except (TypeError, ValueError):
                raise StoreError(f"results store {self.path}: schema_version {version!r} is not a number; the file "
                                 "is damaged or not a results store: start a new file") from None
            if v != SCHEMA_VERSION:
                newer = ("written by a newer hlsnb: upgrade hlsnb (pip install -U hlsnb) to read it"
                         if v > SCHEMA_VERSION else "written by an older hlsnb: open it with that version")
                raise StoreVersionError(f"results store {self.path}: schema version {v}, this hlsnb reads "
                                        f"{SCHEMA_VERSION}; {newer}, or start a new file")
            missing = [t for t in _TABLES if t not in tables]
            if missing:
                raise StoreError(f"results store {self.path}: damaged: table(s) {', '.join(missing)} missing; "
                                 "restore a copy or start a new file")
        if self.read_only:
            if not tables:
                raise StoreError(f"results store {self.path}: an empty file opened read-only; nothing to read")
            return
        if version is not None:
            return  # a store of this version with all its tables: opening it writes nothing (and takes no lock)
        with self._tx() as db:
            for stmt in filter(str.strip, _SCHEMA.split(";")):
                db.execute(stmt)
            if version is None:
                db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))

    # ------------------------------------------------------------------ plumbing
    class _Tx:
        def __init__(self, store):
            self.store = store

        def __enter__(self):
            store = self.store
            if store.read_only:
                raise StoreError(f"results store {store.path}: opened read-only (the file or its folder cannot be "
                                 "written), so nothing can be added; copy it to a writable folder to add results")
            store._lock.acquire()
            try:
                store._db.execute("BEGIN IMMEDIATE")  # take the write lock now: no upgrade deadlock later
            except sqlite3.Error as e:  # still busy after the timeout: this store stays usable
                store._lock.release()
                raise _store_error(store.path, e, store.timeout_s, "starting a write") from None
            except BaseException:
                store._lock.release()
                raise
            return store._db

        def __exit__(self, exc_type, exc, tb):
            store = self.store
            try:
                store._db.execute("ROLLBACK" if exc_type else "COMMIT")
            except sqlite3.Error as e:
                if exc_type is None:
                    raise _store_error(store.path, e, store.timeout_s, "writing") from None
            finally:
                store._lock.release()
            if isinstance(exc, sqlite3.Error):
                raise _store_error(store.path, exc, store.timeout_s, "writing") from None
            return False

    def _tx(self):
        return self._Tx(self)

    @contextlib.contextmanager
    def _decoding(self, what: str):
        """Turn a row that cannot be decoded (damaged JSON, a design that no longer validates) into a
        :class:`StoreError` naming the file and the row."""
        try:
            yield
        except (ValueError, KeyError, TypeError) as e:
            raise StoreError(f"results store {self.path}: {what} cannot be read ({type(e).__name__}: "
                             f"{str(e)[:300]}); the row is damaged or was written by another program") from None

    def _query(self, sql: str, args=()) -> list[dict]:
        with self._lock:
            try:
                return [dict(r) for r in self._db.execute(sql, args).fetchall()]
            except sqlite3.Error as e:
                raise _store_error(self.path, e, self.timeout_s, "reading") from None

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
        for r in result.get("reports") or ():
            if _report_name(r.get("filename")) is None:
                raise StoreError(f"results store {self.path}: report file name {r.get('filename')!r} of "
                                 f"{row['config_id']} is not a plain file name (no folder, '..' or absolute path)")
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
                with self._decoding(f"the {k} of evaluation {r['config_id']}/{r['kind']}"):
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
        with self._decoding(f"configuration {config_id}"):
            return Config.from_dict(rows[0]["config_json"])

    def base_design(self, design_id: str) -> Design:
        rows = self._query("SELECT design_json FROM designs WHERE design_id = ?", (design_id,))
        if not rows:
            raise KeyError(f"{self.path}: no design {design_id!r}")
        with self._decoding(f"design {design_id}"):
            return _design_of(rows[0]["design_json"])

    def design(self, config_id: str, model=None) -> Design:
        """The Design of a configuration: the one built when it was evaluated, else its base with its settings.

        ``model``: the Keras model, to attach the weights (needed to apply a sparsity above 0; without it a pruned
        configuration comes back with its settings but unpruned).
        """
        ev = self._query("SELECT design_json FROM evaluations WHERE config_id = ? AND design_json IS NOT NULL "
                         "ORDER BY finished DESC LIMIT 1", (config_id,))
        if ev and model is None:
            with self._decoding(f"the design evaluated for {config_id}"):
                return _design_of(ev[0]["design_json"])
        row = self._query("SELECT design_id, config_json FROM configs WHERE config_id = ?", (config_id,))
        if not row:
            raise KeyError(f"{self.path}: no configuration {config_id!r}")
        base_rows = self._query("SELECT design_json FROM designs WHERE design_id = ?", (row[0]["design_id"],))
        if not base_rows:
            raise StoreError(f"results store {self.path}: configuration {config_id} refers to design "
                             f"{row[0]['design_id']}, which is not in the store (damaged?)")
        with self._decoding(f"configuration {config_id} or its design {row[0]['design_id']}"):
            base = _design_of(base_rows[0]["design_json"], model=model)
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
            name = _report_name(r["filename"])
            if name is None:  # a store written by something else: never write outside the temporary folder
                warnings.warn(f"results store {self.path}: skipped the report of {r['config_id']}: its file name "
                              f"{r['filename']!r} is not a plain file name", stacklevel=2)
                continue
            try:  # one damaged row costs its pair, not every other build's
                with tempfile.TemporaryDirectory(prefix="hlsnb_report_") as tmp:
                    p = Path(tmp) / name
                    p.write_text(r["text"])
                    report = read_report(p)
                design = _design_of(r["design_json"])
            except (ValueError, KeyError, TypeError) as e:
                warnings.warn(f"results store {self.path}: skipped the build of {r['config_id']}: its stored "
                              f"{name} or design cannot be read ({type(e).__name__}: {str(e)[:200]})", stacklevel=2)
                continue
            report.path = f"{self.path}#{r['config_id']}/{name}"  # where it came from, not the temp file
            yield design, report

    def table(self, name: str = "results") -> list[dict]:
        """Every row of a table or of the ``results`` view, as dicts."""
        if name not in ("results", "designs", "configs", "estimates", "evaluations", "reports", "meta"):
            raise ValueError(f"no table {name!r}; tables: results, designs, configs, estimates, evaluations, "
                             "reports, meta")
        return self._query(f"SELECT * FROM {name}")

    def to_csv(self, path, table: str = "results") -> Path:
        """Write a table (default the ``results`` view) as CSV, atomically (a full disk or a kill leaves the
        previous file whole); returns the path."""
        rows = self.table(table)
        if rows:
            cols = list(rows[0])
        else:
            with self._lock:
                cols = [d[0] for d in self._db.execute(f"SELECT * FROM {table} LIMIT 0").description]
        buf = io.StringIO(newline="")
        w = csv.DictWriter(buf, fieldnames=cols)
        w.writeheader()
        w.writerows(rows)
        return atomic_write(path, buf.getvalue())

    def to_parquet(self, path, table: str = "results") -> Path:
        """Write a table as Parquet (needs ``pyarrow``: ``pip install pyarrow``), atomically; returns the path."""
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise ImportError("to_parquet needs pyarrow, which is not installed (pip install pyarrow); "
                              "to_csv works without it") from None
        with atomic_path(path) as tmp:
            pq.write_table(pa.Table.from_pylist(self.table(table)), str(tmp))
        return Path(path)


def _design_of(text, model=None) -> Design:
    """The Design stored as JSON ``text`` (never read as a path: a damaged row must not name a file)."""
    data = json.loads(text) if isinstance(text, str) else text
    if not isinstance(data, dict):
        raise ValueError(f"a design is a JSON object, this is a {type(data).__name__}")
    return Design.from_json(data, model=model)


def _report_name(filename) -> str | None:
    """``filename`` if it is a plain file name (what :meth:`ResultsStore.builds` may create in its temporary
    folder), else None: no folder part, no ``..``, not absolute, no NUL."""
    if not isinstance(filename, str) or not filename or "\0" in filename:
        return None
    p = PurePosixPath(filename)
    if p.name != filename or p.name in (".", "..") or any(c in filename for c in "\\:"):
        return None
    return p.name
