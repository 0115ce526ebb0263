"""Data sets for the notebooks and tests: ``digits16`` and ``digits10`` (offline, ship with scikit-learn) and the
hls4ml jets.

``digits16`` (digits 0-4, PCA to 16 features) is the notebooks' default: it has the hls4ml tutorial's shape (16 inputs,
5 classes), so the network the notebooks carry is the forum's 16-64-32-32-5 design (:mod:`hlsnb.forum`). Trained
quantization-aware at 6 bits and pruned to 75 % zeros, that network scores about 99 % on its test split: pruning and
precision beyond the forum's point show their accuracy cost. ``digits10`` (all 10 classes) is harder (about 96 % for
the float MLP) but gives a 10-output network, not the forum's.
"""

from __future__ import annotations

import os
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["Dataset", "load_dataset", "DATASETS", "DEFAULT_DATASET"]

DATASETS = ("digits10", "digits16", "jets")
#: The data set the notebooks train on unless told otherwise: offline, the tutorial's shape (16 in, 5 classes), so
#: the carried network is the forum's design.
DEFAULT_DATASET = "digits16"


@dataclass
class Dataset:
    """A classification data set, split and standardised: float32 features, integer labels."""

    name: str
    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    classes: list[str]
    description: str = ""
    feature_names: list[str] = field(default_factory=list)

    @property
    def n_features(self) -> int:
        return int(self.X_train.shape[1])

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    def one_hot(self, y: np.ndarray) -> np.ndarray:
        return np.eye(self.n_classes, dtype=np.float32)[y]

    def __repr__(self) -> str:
        return (
            f"<Dataset {self.name}: {len(self.X_train)} train / {len(self.X_test)} test rows, "
            f"{self.n_features} features, {self.n_classes} classes>"
        )


def load_dataset(name: str = DEFAULT_DATASET, *, seed: int = 0, test_size: float = 0.25, data_home: str | None = None,
                 timeout_s: float = 5.0) -> Dataset:
    """Load a data set by name.

    - ``digits10``: scikit-learn's 8x8 digits, all 10 classes (1797 images), PCA to 16 features, standardised
      (both fitted on the training split only), a fixed stratified split. Offline; 16 inputs like the hls4ml
      tutorial, 10 classes, hard enough that the tutorial MLP stays below 100 % (about 96 % on the test split).
    - ``digits16``: scikit-learn's 8x8 digits, classes 0-4, PCA to 16 features, standardised (both fitted on the
      training split only), a fixed stratified split. Offline; the shape of the hls4ml tutorial (16 in, 5 classes).
    - ``jets``: the hls4ml LHC jet data set (16 high-level features, 5 classes) from OpenML, cached under
      ``data_home`` (default ``~/scikit_learn_data``). Without a network and without a cache it fails within
      ``timeout_s`` seconds and says so.
    """
    key = str(name).strip().lower()
    if key in ("digits10", "digits16"):
        return _digits(key, seed=seed, test_size=test_size)
    if key in ("jets", "hls4ml_lhc_jets_hlf"):
        return _jets(seed=seed, test_size=test_size, data_home=data_home, timeout_s=timeout_s)
    raise ValueError(f"unknown data set {name!r}; known: {', '.join(DATASETS)}")


def _digits(name: str, seed: int, test_size: float) -> Dataset:
    """``digits10`` (all classes) or ``digits16`` (classes 0-4): PCA(16) + standardisation fitted on training rows."""
    from sklearn.datasets import load_digits
    from sklearn.decomposition import PCA
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    n_classes = 10 if name == "digits10" else 5
    X, y = load_digits(return_X_y=True)
    keep = y < n_classes
    X, y = X[keep].astype(np.float64), y[keep].astype(np.int64)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=test_size, random_state=seed, stratify=y)
    pca = PCA(n_components=16, random_state=seed).fit(X_tr)
    scaler = StandardScaler().fit(pca.transform(X_tr))
    f = lambda a: scaler.transform(pca.transform(a)).astype(np.float32)  # noqa: E731
    which = "all 10 classes" if n_classes == 10 else "digits 0-4"
    return Dataset(
        name, f(X_tr), f(X_te), y_tr, y_te, classes=[str(i) for i in range(n_classes)],
        description=f"scikit-learn digits, {which}, PCA(16) + standardisation fitted on the training split",
        feature_names=[f"pc{i}" for i in range(16)],
    )


def _reachable(host: str, port: int, timeout_s: float) -> bool:
    """True if a TCP connection to host:port opens within timeout_s (DNS included, which sockets do not time)."""
    result = []

    def probe():
        try:
            with socket.create_connection((host, port), timeout=timeout_s):
                result.append(True)
        except OSError:
            result.append(False)

    t = threading.Thread(target=probe, daemon=True)
    t.start()
    t.join(timeout_s)
    return bool(result and result[0])


def _jets(seed: int, test_size: float, data_home: str | None, timeout_s: float) -> Dataset:
    from sklearn.datasets import fetch_openml
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    home = Path(data_home or os.environ.get("SCIKIT_LEARN_DATA", Path.home() / "scikit_learn_data"))
    cached = any((home / "openml").rglob("*")) if (home / "openml").exists() else False
    if not cached and not _reachable("api.openml.org", 443, timeout_s):
        raise RuntimeError(
            "the jets data set (OpenML 'hls4ml_lhc_jets_hlf') needs a network connection the first time, and "
            f"none answered within {timeout_s:g} s and nothing is cached under {home}; "
            "use load_dataset('digits16'), which works offline"
        )
    data = fetch_openml("hls4ml_lhc_jets_hlf", data_home=str(home), as_frame=False, parser="liac-arff")
    X, labels = data["data"].astype(np.float32), data["target"]
    classes = sorted(set(labels))
    y = np.searchsorted(classes, labels).astype(np.int64)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=test_size, random_state=seed, stratify=y)
    scaler = StandardScaler().fit(X_tr)
    return Dataset(
        "jets", scaler.transform(X_tr).astype(np.float32), scaler.transform(X_te).astype(np.float32), y_tr, y_te,
        classes=[str(c) for c in classes], description="hls4ml LHC jet tagging, 16 high-level features",
        feature_names=list(data.get("feature_names", [])),
    )
