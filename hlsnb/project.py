"""The project state the notebooks hand on to each other: one design carried from training to the board.

Each notebook saves what it made and the next one picks it up, so 04 builds the design the user chose in 02 (or
pruned in 03), not a default. Every notebook still runs alone: what is missing is made here with a sensible default
(the model trained in a few seconds, the design at hls4ml's defaults), and :meth:`Project.banner` says which is which.

On disk (default ``hlsnb_work/project/`` beside the notebooks; plain files a user can open or copy)::

    project.json   what was saved, by which notebook, when, with a one-line note per item
    model.keras    the trained Keras model (01)
    pruned.keras   the pruned model (03), when there is one
    design.json    the chosen Design (02's fitted one, or 03's for the pruned model); ``design_model`` in
                   project.json says which model its weights are
    builds         paths of build artifacts (04), recorded in project.json

Floor 6 of docs/ARCHITECTURE.md (a workflow: it uses the design, the estimator, data and training, never widgets).
"""

from __future__ import annotations

import html
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from .data import DEFAULT_DATASET, Dataset, load_dataset

__all__ = ["Project", "DEFAULT_ROOT", "file_link"]

#: Where the notebooks keep the project, relative to the notebook folder (the Jupyter kernel's working folder).
DEFAULT_ROOT = "hlsnb_work/project"
_ORDER = ("model", "design", "pruned", "build")  # the banner lists what a notebook uses in this order


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
    notebook; the full path is in the tooltip and the text)."""
    p = Path(path)
    full = html.escape(str(p.resolve()))
    rel = html.escape(p.as_posix())
    return (f"<a href='{rel}' download title='{full}' target='_blank'>{html.escape(text or p.name)}</a> "
            f"<span style='color:#555'>({full})</span>")


@dataclass
class _Line:
    """One line of the banner: what a notebook uses, and whether it was picked up or made here."""

    what: str
    picked: bool
    text: str


@dataclass
class Project:
    """The notebooks' shared state under ``root`` (see the module docstring).

    Parameters
    ----------
    root : str or Path
        The project folder (default :data:`DEFAULT_ROOT`, relative to the working folder).
    notebook : str
        The notebook using it (recorded as ``saved by`` and named in the banner).
    """

    root: Path = Path(DEFAULT_ROOT)
    notebook: str = ""
    _lines: list = field(default_factory=list, repr=False)
    _model_kind: str = field(default="model", repr=False)  # whose weights the design of current() carries

    def __post_init__(self):
        self.root = Path(self.root)

    # ------------------------------------------------------------------ the index
    @property
    def state(self) -> dict:
        """project.json as a dict (empty when nothing was saved yet)."""
        p = self.root / "project.json"
        return json.loads(p.read_text()) if p.exists() else {}

    def _record(self, key: str, note: str, **extra) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        state = self.state
        state[key] = {"saved_by": self.notebook, "saved_at": time.strftime("%Y-%m-%d %H:%M"), "note": note, **extra}
        tmp = self.root / "project.json.tmp"
        tmp.write_text(json.dumps(state, indent=1))
        os.replace(tmp, self.root / "project.json")  # never a half-written index

    def has(self, key: str) -> bool:
        """True when ``key`` ("model", "design", "pruned", "build") was saved by a notebook."""
        return key in self.state

    def _said(self, what: str, picked: bool, text: str) -> None:
        self._lines = [x for x in self._lines if x.what != what] + [_Line(what, picked, text)]

    def _from(self, key: str) -> str:
        e = self.state[key]
        return f"saved by {e.get('saved_by') or 'a notebook'} at {e.get('saved_at')}: {e.get('note')}"

    # ------------------------------------------------------------------ picking up
    def data(self) -> Dataset:
        """The data set the saved model was trained on (default :data:`hlsnb.data.DEFAULT_DATASET`)."""
        name = self.state.get("model", {}).get("dataset", os.environ.get("HLSNB_DATASET", DEFAULT_DATASET))
        try:
            return load_dataset(name)
        except RuntimeError:  # the jets need a network the first time: the offline default instead, said so
            self._said("data", False, f"{name} is not reachable here: using {DEFAULT_DATASET}")
            return load_dataset(DEFAULT_DATASET)

    def trained_model(self, data: Dataset | None = None, *, epochs: int = 30):
        """The trained model saved by 01; when there is none, the default MLP trained here (seeded, a few seconds)
        and saved, so the next notebook picks it up."""
        import keras

        path = self.root / "model.keras"
        if path.exists() and self.has("model"):
            self._said("model", True, f"model {self._from('model')}")
            return keras.models.load_model(path)
        from .train import accuracy, build_mlp, train_model

        data = data or self.data()
        model = build_mlp(n_in=data.n_features, n_out=data.n_classes, seed=0)
        t0 = time.perf_counter()
        train_model(model, data, epochs=epochs, seed=0, progress=False)
        acc = accuracy(model, data.X_test, data.y_test)
        self.save_model(model, data, acc, note=f"the default MLP trained by {self.notebook or 'a notebook'} "
                                               f"because 01 had not run")
        self._said("model", False, f"no saved model: trained the default {model.name} on {data.name} here "
                                   f"({time.perf_counter() - t0:.0f} s, Keras test accuracy {acc:.1%})")
        return model

    def pruned_model(self):
        """The pruned model saved by 03, or None."""
        import keras

        path = self.root / "pruned.keras"
        if not (path.exists() and self.has("pruned")):  # a file the index dropped belongs to an older model
            return None
        self._said("pruned", True, f"pruned model {self._from('pruned')}")
        return keras.models.load_model(path)

    def design(self, model, *, board: str = "pynq-z2", **defaults):
        """The saved design with ``model``'s weights, or a new one (``Design.from_keras(model, board=board,
        **defaults)``) when there is none or it describes other layers."""
        from .design import Design

        path = self.root / "design.json"
        if path.exists() and self.has("design"):  # a file the index dropped belongs to an older model
            try:
                design = Design.from_json(path, model=model)
                self._said("design", True, f"design {self._from('design')}")
                return design
            except ValueError as err:  # the saved design is of another model (01 re-ran with other sizes)
                why = f"the saved design does not match this model ({err})"
        else:
            why = "no saved design"
        design = Design.from_keras(model, board=board, **defaults)
        settings = ", ".join(f"{k}={v}" for k, v in defaults.items()) or "hls4ml's defaults (Latency, RF 1)"
        self._said("design", False, f"{why}: a new design for {board} with {settings}")
        return design

    def current(self, *, board: str = "pynq-z2"):
        """``(model, design, data)`` to carry on with: the latest saved design with the model its weights are
        (the pruned one when 03 saved it last), else the trained model with a new design."""
        data = self.data()
        model = self.trained_model(data)
        self._model_kind = "model"
        if self.state.get("design", {}).get("model") == "pruned":
            pruned = self.pruned_model()
            if pruned is not None:
                model, self._model_kind = pruned, "pruned"
        return model, self.design(model, board=board), data

    # ------------------------------------------------------------------ saving
    def save_model(self, model, data: Dataset, accuracy: float | None = None, note: str = "") -> Path:
        """Save the trained model (and which data set it was trained on). A new model makes the saved design and
        pruned model stale: they are dropped from the index (their files stay until overwritten)."""
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / "model.keras"
        model.save(path)
        state = self.state
        for stale in ("design", "pruned", "build"):
            state.pop(stale, None)
        (self.root / "project.json").write_text(json.dumps(state, indent=1))
        acc = f", Keras test accuracy {accuracy:.1%}" if accuracy is not None else ""
        self._record("model", note or f"{model.name} on {data.name}{acc}", dataset=data.name, file=path.name,
                     accuracy=accuracy)
        return path

    def save_design(self, design, note: str, *, model: str | None = None) -> Path:
        """Save the chosen design; ``model`` says whose weights it carries: "model" (trained) or "pruned" (default:
        the model :meth:`current` returned, so a design changed after 03 stays with the pruned model)."""
        model = model or self._model_kind
        if model not in ("model", "pruned"):
            raise ValueError(f"model {model!r} is not valid; valid: 'model', 'pruned'")
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / "design.json"
        design.to_json(path)
        self._record("design", note, file=path.name, model=model)
        return path

    def save_pruned(self, pruned_model, design, note: str) -> Path:
        """Save the pruned model and its design (the design then belongs to the pruned model)."""
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / "pruned.keras"
        pruned_model.save(path)
        self._record("pruned", note, file=path.name)
        self.save_design(design, note, model="pruned")
        return path

    def save_build(self, note: str, **paths) -> None:
        """Record a build or project (``paths``: name -> file or folder, e.g. ``project="hlsnb_work/pynq_prj"``)."""
        self._record("build", note, paths={k: str(v) for k, v in paths.items()})

    # ------------------------------------------------------------------ the banner
    def lines(self) -> list[tuple[str, bool, str]]:
        """(what, picked up?, text) of everything this notebook used so far, in the project's order."""
        rank = {k: i for i, k in enumerate(("data", *_ORDER))}
        return [(x.what, x.picked, x.text) for x in sorted(self._lines, key=lambda x: rank.get(x.what, 99))]

    def banner(self) -> "Banner":
        """What this notebook picked up from the earlier ones and what it made itself (HTML in Jupyter, text
        elsewhere)."""
        return Banner(self.notebook, str(self.root), self.lines())


@dataclass
class Banner:
    """What a notebook picked up: shown at its top so the user knows which design the numbers below are about."""

    notebook: str
    root: str
    lines: list

    def __str__(self) -> str:
        head = f"{self.notebook or 'this notebook'} uses (project state in {self.root}):"
        return "\n".join([head] + [f"  {'picked up' if p else 'made here'}: {t}" for _, p, t in self.lines])

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<li><b style='color:{'#1a7f37' if p else '#9a6700'}'>{'picked up' if p else 'made here'}</b> "
            f"{html.escape(t)}</li>" for _, p, t in self.lines)
        return (f"<div class='hlsnb-banner' style='border-left:4px solid #4c78a8;padding:4px 10px;"
                f"background:#f6f8fa'><b>This notebook works on</b> (project state in <code>"
                f"{html.escape(self.root)}</code>)<ul style='margin:4px 0'>{rows}</ul></div>")
