"""The project state the notebooks hand on to each other: one design carried from training to the board.

Each notebook saves what it made as a new *version* (nothing is overwritten) and the next one picks up what the
notebooks before it handed over, so 04 builds the design the user chose in 02 (or pruned in 03), not a default, and a
rerun of 02 compares against what 01 handed over, never against its own earlier save. Every notebook still runs
alone: what is missing is made here with a sensible default (the forum's model, trained in a few seconds; the design
at hls4ml's defaults), and :meth:`Project.banner` says what was picked up, from which notebook and when.

On disk (default ``hlsnb_work/project/`` beside the notebooks; plain files a user can open or copy)::

    project.json           the index: schema version and one entry per saved version (which notebook, when, a note,
                           the file, its SHA-256, and what it was made from)
    model-v1.keras         a trained Keras model (01, or the default trained where 01 had not run)
    pruned-v2.keras        a pruned model (03), made from a model entry
    design-v3.json         a chosen Design (02, 03), carrying the weights of a model or pruned entry
    builds                 paths of build artifacts (04), recorded in the index

Reliability: every read-modify-write of the index holds an inter-process lock (:func:`hlsnb.fileio.locked`), every
file is written atomically (a kill -9 during a save leaves the previous state whole, and the index lists a file only
once it is complete), an entry whose file is missing or changed since it was saved is refused with the reason (and
so is every entry made from it: a pruned design never travels with the unpruned model), and a damaged index is
named, kept aside as ``project.json.damaged-<time>`` and replaced by an empty one, so the project still opens.

Floor 6 of docs/ARCHITECTURE.md (a workflow: it uses the design, the estimator, data and training, never widgets).
"""

from __future__ import annotations

import html
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from .board.manifest import sha256
from .data import DEFAULT_DATASET, Dataset, load_dataset
from .errors import HlsnbError
from .fileio import atomic_path, atomic_write, locked

__all__ = ["Project", "Banner", "Entry", "ProjectStateError", "DEFAULT_ROOT", "SCHEMA", "file_link", "show"]

#: Where the notebooks keep the project, relative to the notebook folder (the Jupyter kernel's working folder).
DEFAULT_ROOT = "hlsnb_work/project"
#: Version of project.json's layout. 1: one flat entry per key (hlsnb <= 0.4), read and upgraded; 2: versioned entries.
SCHEMA = 2
KEYS = ("model", "pruned", "design", "build")
_ORDER = ("data", "model", "pruned", "design", "build")  # the banner lists what a notebook uses in this order


class ProjectStateError(HlsnbError, ValueError):
    """The project folder's index cannot be used as it is (a newer schema, an entry that names no file)."""


def show(obj, width: int = 88) -> None:
    """Print ``obj``'s text with its long lines wrapped at word boundaries, ``width`` characters (a notebook's output
    area breaks longer lines anywhere, mid-word)."""
    import textwrap

    lines = []
    for line in str(obj).splitlines() or [""]:
        lines.extend(textwrap.wrap(line, width, subsequent_indent="    ", break_long_words=False,
                                   break_on_hyphens=False) or [""])
    print("\n".join(lines))


def file_link(path: str | Path, text: str | None = None) -> str:
    """HTML naming where a file is and linking to it (JupyterLab opens or downloads a link relative to the
    notebook; the full path is in the tooltip, the text shows the path relative to the working folder)."""
    p = Path(path)
    full = html.escape(str(p.resolve()))
    rel = html.escape(p.as_posix())
    return (f"<a href='{rel}' download title='{full}' target='_blank'>{html.escape(text or p.name)}</a> "
            f"<span style='color:#555'>({rel})</span>")


def _rank(notebook: str | None) -> int | None:
    """A notebook's place on the path: the number it starts with ("03_dsp_aware_pruning" -> 3), else None."""
    m = re.match(r"\s*(\d+)", notebook or "")
    return int(m.group(1)) if m else None


@dataclass(frozen=True)
class Entry:
    """One saved version: ``key`` ("model", "pruned", "design", "build") number ``version``, saved by ``saved_by``
    at ``saved_at``; ``parent`` is ``(key, version)`` of what it was made from (a pruned model's model, a design's
    weights, a build's design)."""

    key: str
    version: int
    seq: int
    saved_by: str
    saved_at: str
    note: str
    file: str | None = None
    sha256: str | None = None
    parent: tuple | None = None
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def label(self) -> str:
        return f"{self.key} v{self.version}"

    def origin(self) -> str:
        return f"saved by {self.saved_by or 'a notebook'} at {self.saved_at}: {self.note}"

    @classmethod
    def from_dict(cls, d: dict) -> Entry:
        known = {"key", "version", "seq", "saved_by", "saved_at", "note", "file", "sha256", "parent"}
        parent = d.get("parent")
        return cls(key=str(d["key"]), version=int(d["version"]), seq=int(d["seq"]), saved_by=str(d.get("saved_by", "")),
                   saved_at=str(d.get("saved_at", "")), note=str(d.get("note", "")), file=d.get("file"),
                   sha256=d.get("sha256"), parent=tuple(parent) if parent else None,
                   extra={k: v for k, v in d.items() if k not in known})

    def to_dict(self) -> dict:
        d = {"key": self.key, "version": self.version, "seq": self.seq, "saved_by": self.saved_by,
             "saved_at": self.saved_at, "note": self.note, "file": self.file, "sha256": self.sha256,
             "parent": list(self.parent) if self.parent else None}
        return {**d, **self.extra}


@dataclass
class _Line:
    """One line of the banner: what a notebook uses, and whether it was picked up, made here or refused."""

    what: str
    picked: bool | None  # True picked up, False made here, None a refusal or a note
    text: str


@dataclass
class Project:
    """The notebooks' shared state under ``root`` (see the module docstring).

    Parameters
    ----------
    root : str or Path
        The project folder (default :data:`DEFAULT_ROOT`, relative to the working folder).
    notebook : str
        The notebook using it (recorded as ``saved by`` and named in the banner). Its leading number places it on
        the path: it picks up only what notebooks with a lower number saved (an unnumbered one: everything but its
        own saves), so a rerun never picks up its own earlier result.
    """

    root: Path = Path(DEFAULT_ROOT)
    notebook: str = ""
    _lines: list = field(default_factory=list, repr=False)
    _weights: Entry | None = field(default=None, repr=False)  # whose weights the design of current() carries
    _design_entry: Entry | None = field(default=None, repr=False)

    def __post_init__(self):
        self.root = Path(self.root)
        self._rank = _rank(self.notebook)

    # ------------------------------------------------------------------ the index
    @property
    def index_path(self) -> Path:
        return self.root / "project.json"

    def _read(self) -> dict:
        """The index as ``{"schema": 2, "entries": [...]}``; a damaged one is kept aside and said (hold the lock when
        the result will be written back)."""
        p = self.index_path
        if not p.exists():
            return {"schema": SCHEMA, "entries": []}
        try:
            state = json.loads(p.read_text(encoding="utf-8"))
            if not isinstance(state, dict):
                raise ValueError(f"the top level is a {type(state).__name__}, not an object")
            state = self._upgrade(state)
            for e in state["entries"]:
                Entry.from_dict(e)  # every entry readable, or the file is damaged
            return state
        except ProjectStateError:
            raise
        except (ValueError, TypeError, KeyError, UnicodeDecodeError) as err:
            aside = p.with_name(f"project.json.damaged-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}")
            try:
                os.replace(p, aside)
                kept = f"kept aside as {aside.name}"
            except OSError as move_err:
                kept = f"could not be moved aside ({move_err})"
            self._said("state", None, f"the project index {p} was damaged ({type(err).__name__}: {err}); it was "
                                      f"{kept} and the project starts a new index (saved files stay in {self.root})")
            return {"schema": SCHEMA, "entries": []}

    def _upgrade(self, state: dict) -> dict:
        schema = state.get("schema", 1)
        if not isinstance(schema, int):
            raise ValueError(f"schema {schema!r} is not a version number")
        if schema > SCHEMA:
            raise ProjectStateError(f"{self.index_path}: written by a newer hlsnb (project schema {schema}; this one "
                                    f"reads up to {SCHEMA}); upgrade hlsnb, or point Project(root=...) elsewhere")
        if schema == SCHEMA:
            if not isinstance(state.get("entries"), list):
                raise ValueError("'entries' is not a list")
            return state
        entries, seq = [], 0  # schema 1: {"model": {...}, "design": {...}, ...}, one unversioned entry per key
        for key in ("model", "pruned", "design", "build"):
            old = state.get(key)
            if not isinstance(old, dict):
                continue
            seq += 1
            parent = None
            if key == "design":
                parent = [old.get("model", "model"), 1]
            elif key == "pruned":
                parent = ["model", 1]
            extra = {k: v for k, v in old.items() if k not in ("saved_by", "saved_at", "note", "file", "model")}
            entries.append({"key": key, "version": 1, "seq": seq, "saved_by": old.get("saved_by", ""),
                            "saved_at": old.get("saved_at", ""), "note": old.get("note", ""),
                            "file": old.get("file"), "sha256": None, "parent": parent, **extra})
        return {"schema": SCHEMA, "entries": entries}

    @property
    def entries(self) -> list[Entry]:
        """Every saved version, oldest first."""
        return sorted((Entry.from_dict(e) for e in self._read()["entries"]), key=lambda e: e.seq)

    @property
    def state(self) -> dict:
        """The latest entry of each key as a dict (what was saved last, by any notebook)."""
        out = {}
        for e in self.entries:
            out[e.key] = e.to_dict()
        return out

    def has(self, key: str) -> bool:
        """True when ``key`` ("model", "design", "pruned", "build") was saved by any notebook."""
        return any(e.key == key for e in self.entries)

    def _visible(self, e: Entry) -> bool:
        """Handed over to this notebook: saved by another notebook before it on the path."""
        if e.saved_by == self.notebook:
            return False
        r = _rank(e.saved_by)
        return self._rank is None or r is None or r < self._rank

    def _problem(self, e: Entry, by_label: dict) -> str | None:
        """Why ``e`` cannot be used (its file missing or changed, or what it was made from refused), else None."""
        if e.file is not None:
            p = self.root / e.file
            if Path(e.file).is_absolute() or ".." in Path(e.file).parts:
                return f"its file name {e.file!r} points outside {self.root}"
            if not p.exists():
                return f"its file {p} is missing"
            if e.sha256 and sha256(p) != e.sha256:
                return f"its file {p} changed after it was saved (SHA-256 differs)"
        if e.parent:
            parent = by_label.get(tuple(e.parent))
            if parent is None:
                return f"what it was made from ({e.parent[0]} v{e.parent[1]}) is not in the index"
            why = self._problem(parent, by_label)
            if why:
                return f"what it was made from ({parent.label}) is refused: {why}"
        return None

    def _handed_over(self, key: str, accept=lambda e: True) -> Entry | None:
        """The latest usable ``key`` entry the earlier notebooks handed over; each newer one refused is said."""
        entries = self.entries
        by_label = {(e.key, e.version): e for e in entries}
        for e in reversed(entries):
            if e.key != key or not self._visible(e) or not accept(e):
                continue
            why = self._problem(e, by_label)
            if why is None:
                return e
            self._said(f"refused {e.label}", None, f"{e.label} ({e.origin()}) refused: {why}")
        return None

    def _add(self, key: str, note: str, *, file: str | None = None, parent: Entry | None = None,
             **extra) -> Entry:
        """Append a new version of ``key`` to the index (locked read-modify-write, atomic replace)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with locked(self.index_path):
            state = self._read()
            entries = state["entries"]
            e = Entry(key=key, version=1 + max((x["version"] for x in entries if x["key"] == key), default=0),
                      seq=1 + max((x["seq"] for x in entries), default=0), saved_by=self.notebook,
                      saved_at=time.strftime("%Y-%m-%d %H:%M:%S"), note=note, file=file,
                      sha256=sha256(self.root / file) if file else None,
                      parent=(parent.key, parent.version) if parent else None, extra=extra)
            entries.append(e.to_dict())
            atomic_write(self.index_path, json.dumps(state, indent=1))
        return e

    def _new_file(self, key: str, suffix: str) -> str:
        """A file name no entry uses yet (``<key>-v<n><suffix>``): saves never overwrite a saved version."""
        n = 1 + max((e.version for e in self.entries if e.key == key), default=0)
        while (self.root / f"{key}-v{n}{suffix}").exists():
            n += 1
        return f"{key}-v{n}{suffix}"

    def _said(self, what: str, picked: bool | None, text: str) -> None:
        self._lines = [x for x in self._lines if x.what != what] + [_Line(what, picked, text)]

    # ------------------------------------------------------------------ picking up
    def data(self) -> Dataset:
        """The data set the handed-over model was trained on (default: the forum's, :data:`hlsnb.forum.FORUM_DATASET`,
        or ``HLSNB_DATASET``)."""
        e = self._handed_over("model")
        name = (e.extra.get("dataset") if e else None) or os.environ.get("HLSNB_DATASET", _default_dataset())
        try:
            return load_dataset(name)
        except RuntimeError:  # the jets need a network the first time: the offline default instead, said so
            self._said("data", False, f"{name} is not reachable here: using {DEFAULT_DATASET}")
            return load_dataset(DEFAULT_DATASET)

    def _load(self, e: Entry):
        import keras

        try:
            return keras.models.load_model(self.root / e.file)
        except (TypeError, ValueError):  # a quantization-aware model: its layer classes register on import
            import hgq  # noqa: F401

            return keras.models.load_model(self.root / e.file)

    def trained_model(self, data: Dataset | None = None, *, epochs: int | None = None):
        """The trained model an earlier notebook (01) handed over; when there is none, the forum's model (the hls4ml
        tutorial's 16-64-32-32-5 MLP, quantization-aware) trained here, seeded, and saved as this notebook's step."""
        e = self._handed_over("model")
        if e is None:  # a default this notebook trained before (not a result of its own: a stand-in for 01's)
            e = next((x for x in reversed(self.entries) if x.key == "model" and x.saved_by == self.notebook
                      and x.extra.get("default") and self._problem(x, {}) is None), None)
        if e is not None:
            self._weights = e
            self._said("model", True, f"{e.label}, {e.origin()}")
            return self._load(e)
        data = data or self.data()
        t0 = time.perf_counter()
        model = _default_model(data, epochs)
        from .train import accuracy

        acc = accuracy(model, data.X_test, data.y_test)
        self.save_model(model, data, acc, note=f"the default model ({model.name}) trained by "
                                               f"{self.notebook or 'a notebook'} because 01 had not run",
                        default=True)
        self._said("model", False, f"no model handed over: trained the default {model.name} on {data.name} here "
                                   f"({time.perf_counter() - t0:.0f} s, Keras test accuracy {acc:.1%})")
        return model

    def pruned_model(self):
        """The pruned model an earlier notebook (03) made from the current model, or None."""
        base = self._weights if self._weights is not None and self._weights.key == "model" else None
        e = self._handed_over("pruned", lambda x: base is None or x.parent == (base.key, base.version))
        if e is None:
            return None
        self._said("pruned", True, f"{e.label}, {e.origin()}")
        self._weights = e
        return self._load(e)

    def design(self, model, *, board: str = "pynq-z2", **defaults):
        """The handed-over design for ``model``'s weights, or a new one (``Design.from_keras(model, board=board,
        **defaults)``) when there is none or it describes other layers."""
        from .design import Design

        weights = self._weights
        accept = (lambda x: x.parent == (weights.key, weights.version)) if weights is not None else (lambda x: True)
        e = self._handed_over("design", accept)
        if e is not None:
            try:
                design = Design.from_json(self.root / e.file, model=model)
                self._design_entry = e
                self._said("design", True, f"{e.label}, {e.origin()}")
                return design
            except ValueError as err:  # the saved design is of another model (01 re-ran with other sizes)
                why = f"the handed-over {e.label} does not match this model ({err})"
        else:
            why = "no design handed over" + (f" for {weights.label}" if weights is not None else "")
        design, settings = _default_design(model, board, defaults)
        self._said("design", False, f"{why}: a new design for {board} with {settings}")
        return design

    def current(self, *, board: str = "pynq-z2"):
        """``(model, design, data)`` to carry on with: the latest design the earlier notebooks handed over for the
        current model, with the weights it was saved with (the pruned model when 03 handed it over last), else the
        trained model with a new design."""
        data = self.data()
        model = self.trained_model(data)
        base = self._weights
        family = {(base.key, base.version)} if base is not None else set()
        pruned = {(e.key, e.version): e for e in self.entries if e.key == "pruned" and e.parent in family}
        latest = self._handed_over("design", lambda x: x.parent in family or x.parent in pruned)
        if latest is not None and latest.parent in pruned:
            e = pruned[latest.parent]  # usable: _handed_over checked the design's parents
            self._said("pruned", True, f"{e.label}, {e.origin()}")
            self._weights, model = e, self._load(e)
        return model, self.design(model, board=board), data

    # ------------------------------------------------------------------ saving
    def save_model(self, model, data: Dataset, accuracy: float | None = None, note: str = "", *,
                   default: bool = False) -> Path:
        """Save a trained model as a new version (which data set it was trained on is recorded). Designs and pruned
        models made from older versions stay in the index but are no longer handed over with this one."""
        name = self._new_file("model", ".keras")
        path = self.root / name
        with atomic_path(path) as tmp:  # a kill -9 mid-save leaves no half-written model and no index entry
            model.save(tmp)
        acc = f", Keras test accuracy {accuracy:.1%}" if accuracy is not None else ""
        self._weights = self._add("model", note or f"{model.name} on {data.name}{acc}", file=name,
                                  dataset=data.name, accuracy=accuracy, **({"default": True} if default else {}))
        return path

    def save_design(self, design, note: str, *, model: str | None = None) -> Path:
        """Save the chosen design as a new version; ``model`` says whose weights it carries: "model" (trained) or
        "pruned" (default: the model :meth:`current` returned, so a design changed after 03 stays with the pruned
        model)."""
        if model is not None and model not in ("model", "pruned"):
            raise ValueError(f"model {model!r} is not valid; valid: 'model', 'pruned'")
        weights = self._weights
        if model is not None and (weights is None or weights.key != model):
            weights = next((e for e in reversed(self.entries) if e.key == model), None)
            if weights is None:
                raise ProjectStateError(f"no {model} entry in {self.index_path} for the design to belong to")
        name = self._new_file("design", ".json")
        path = atomic_write(self.root / name, design.to_json())
        self._design_entry = self._add("design", note, file=name, parent=weights,
                                       model=weights.key if weights else None)
        return path

    def save_pruned(self, pruned_model, design, note: str) -> Path:
        """Save the pruned model and its design (the design then belongs to the pruned model)."""
        base = self._weights if self._weights is not None and self._weights.key == "model" else None
        name = self._new_file("pruned", ".keras")
        path = self.root / name
        with atomic_path(path) as tmp:
            pruned_model.save(tmp)
        self._weights = self._add("pruned", note, file=name, parent=base)
        self.save_design(design, note)
        return path

    def save_build(self, note: str, **paths) -> Entry:
        """Record a build or project (``paths``: name -> file or folder, e.g. ``project="hlsnb_work/pynq_prj"``)."""
        return self._add("build", note, parent=self._design_entry, paths={k: str(v) for k, v in paths.items()})

    # ------------------------------------------------------------------ the banner
    def lines(self) -> list[tuple[str, bool | None, str]]:
        """(what, picked up? (None: refused or a note), text) of everything this notebook used, in the project's
        order."""
        def rank(x):
            base = x.what.split(" ")[-1] if x.what.startswith("refused") else x.what
            return _ORDER.index(base) if base in _ORDER else -1

        return [(x.what, x.picked, x.text) for x in sorted(self._lines, key=rank)]

    def banner(self) -> Banner:
        """What this notebook picked up from the earlier ones, what it made itself and what it refused (HTML in
        Jupyter, text elsewhere)."""
        return Banner(self.notebook, str(self.root), self.lines())


def _default_dataset() -> str:
    try:
        from .forum import FORUM_DATASET
    except ImportError:
        return DEFAULT_DATASET
    return FORUM_DATASET


def _default_design(model, board: str, defaults: dict):
    """(design, what its settings are): the forum's settings for the forum's network (hlsnb.forum.forum_design: the
    types hls4ml builds, Latency at ReuseFactor 64), else ``Design.from_keras`` with ``defaults`` (hls4ml's)."""
    from .design import Design

    if not defaults and board == "pynq-z2" and _is_forum_network(model):
        from .forum import forum_design

        return forum_design(model, board=board), "the forum's settings (Latency, ReuseFactor 64, its types)"
    settings = ", ".join(f"{k}={v}" for k, v in defaults.items()) or "hls4ml's defaults (Latency, RF 1)"
    return Design.from_keras(model, board=board, **defaults), settings


def _is_forum_network(model) -> bool:
    """True for the hls4ml tutorial's network as :func:`hlsnb.forum.train_forum_mlp` builds it (HGQ2 layers, the
    tutorial's names and sizes)."""
    try:
        from .forum import DENSE_LAYERS, FORUM_SIZES
    except ImportError:
        return False
    try:
        kernels = [model.get_layer(n).kernel.shape for n in DENSE_LAYERS]
    except (ValueError, AttributeError):
        return False
    sizes = [int(kernels[0][0])] + [int(k[1]) for k in kernels]
    return tuple(sizes[:-1]) == FORUM_SIZES[:-1] and type(model.get_layer("fc1")).__module__.startswith("hgq")


def _default_model(data: Dataset, epochs: int | None):
    """The forum's model (hlsnb.forum) where it exists, else hlsnb's default MLP; trained, seeded."""
    try:
        from .forum import train_forum_mlp
    except ImportError:
        from .train import build_mlp, train_model

        model = build_mlp(n_in=data.n_features, n_out=data.n_classes, seed=0)
        train_model(model, data, epochs=epochs or 30, seed=0, progress=False)
        return model
    kwargs = {"epochs": epochs} if epochs else {}
    return train_forum_mlp(data, seed=0, progress=False, **kwargs)


_MARK = {True: ("picked up", "#1a7f37"), False: ("made here", "#9a6700"), None: ("refused", "#cf222e")}


@dataclass
class Banner:
    """What a notebook picked up: shown at its top so the user knows which design the numbers below are about."""

    notebook: str
    root: str
    lines: list

    def __str__(self) -> str:
        head = f"{self.notebook or 'this notebook'} uses (project state in {self.root}):"
        return "\n".join([head] + [f"  {_MARK[p][0]}: {t}" for _, p, t in self.lines])

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        rows = "".join(f"<li><b style='color:{_MARK[p][1]}'>{_MARK[p][0]}</b> {html.escape(t)}</li>"
                       for _, p, t in self.lines)
        return (f"<div class='hlsnb-banner' style='border-left:4px solid #4c78a8;padding:4px 10px;"
                f"background:#f6f8fa'><b>This notebook works on</b> (project state in <code>"
                f"{html.escape(self.root)}</code>)<ul style='margin:4px 0'>{rows}</ul></div>")
