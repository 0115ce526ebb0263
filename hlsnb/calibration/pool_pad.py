"""Fit the io_stream pooling and zero-padding terms of Vivado HLS 2019-2020 (``stream_pool_pad`` and the
coefficients it switches on; the model is in :mod:`hlsnb.estimate.layers.pooling` and ``padding``).

Rows: the Vivado HLS io_stream ``Pool`` (max) and ``Pad`` layer rows of the training repositories. As in
:mod:`hlsnb.calibration.per_tool`, every feature is the estimator run with one coefficient at 1 and the others at
0, so fit and package cannot disagree; the coefficients are non-negative least squares on the relative error, the
worst 10 % of rows dropped once (the 13x13x64 pooling layer that HLS reports at 97k LUT and 263k FF is one).
A training set without rows of both kinds leaves the switch off: the per-bit model stays.
"""

from __future__ import annotations

import numpy as np

from ..estimate import estimate_layer
from ..estimate._calibration import Calibration

__all__ = ["fit_pool_pad", "POOL_PAD_KEYS"]

#: Fitted groups: (layer group of the rows, resource, coefficients fitted together).
_GROUPS = (("Pool", "lut", ("pool_lut_cmp", "pool_lut_ctrl")),
           ("Pad", "lut", ("pad_lut_chan", "pad_lut_loop")),
           ("Pad", "ff", ("pad_ff_state",)))
#: Every coefficient :func:`fit_pool_pad` sets.
POOL_PAD_KEYS = ("stream_pool_pad",) + tuple(k for _, _, keys in _GROUPS for k in keys)


def _rows(train: list[dict], group: str, resource: str) -> list[dict]:
    return [r for r in train if r["tool"] == "vivado_hls" and r["scope"] == "layer" and r["kw"] and not r["flag"]
            and r["type"] == group and r["kw"].get("io_type") == "io_stream"
            and (r["kw"].get("pool_op") or "max") == "max" and r["meas"][resource] is not None]


def _value(kw: dict, coef: dict, resource: str) -> float:
    return getattr(estimate_layer(**kw, calibration=Calibration(coef, source="fit")), resource)


def _nnls(data: list[tuple]) -> list[float]:
    """NNLS on relative errors of ``data`` = (measured, base, features), refitted once without the worst 10 %."""
    from scipy.optimize import nnls

    A = np.array([[f / max(y, 1.0) for f in fs] for y, _, fs in data])
    t = np.array([(y - b) / max(y, 1.0) for y, b, _ in data])
    c, _ = nnls(A, t)
    res = np.abs(A @ c - t)
    keep = res <= np.quantile(res, 0.9)
    if keep.sum() >= A.shape[1]:
        c, _ = nnls(A[keep], t[keep])
    return [float(x) for x in c]


def fit_pool_pad(train: list[dict], coef: dict) -> dict:
    """The pooling / padding coefficients fitted on the Vivado HLS records of ``train`` (``coef``: the coefficients
    fitted so far, which the estimator runs with), or ``{}`` when the rows of one kind are missing."""
    groups = [(_rows(train, g, res), res, keys) for g, res, keys in _GROUPS]
    if any(len(rows) < len(keys) for rows, _, keys in groups):
        return {}
    out = {"stream_pool_pad": 1.0}
    for rows, res, keys in groups:
        zero = dict(coef, **out, **{k: 0.0 for k in keys})
        data = []
        for r in rows:
            base = _value(r["kw"], zero, res)
            data.append((r["meas"][res], base, [_value(r["kw"], dict(zero, **{k: 1.0}), res) - base for k in keys]))
        out.update((k, round(v, 4)) for k, v in zip(keys, _nnls(data)))
    return out
