"""Fit the io_stream pooling and zero-padding terms of Vivado HLS 2019-2020 (``stream_pool_pad`` and the
coefficients it switches on; the model is in :mod:`hlsnb.estimate.layers.pooling` and ``padding``).

Rows: the Vivado HLS io_stream ``Pool`` (max) and ``Pad`` layer rows of the training repositories. As in
:mod:`hlsnb.calibration.per_tool`, every feature is the estimator run with one coefficient at 1 and the others at
0, so fit and package cannot disagree; the coefficients are non-negative least squares on the relative error, the
worst 10 % of rows dropped once (the 13x13x64 pooling layer that HLS reports at 97k LUT and 263k FF is one).
A training set without rows of both kinds leaves the switch off: the per-bit model stays.
"""

from __future__ import annotations

from .fitting import feature_values, nnls_relative

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


def fit_pool_pad(train: list[dict], coef: dict) -> dict:
    """The pooling / padding coefficients fitted on the Vivado HLS records of ``train`` (``coef``: the coefficients
    fitted so far, which the estimator runs with), or ``{}`` when the rows of one kind are missing."""
    groups = [(_rows(train, g, res), res, keys) for g, res, keys in _GROUPS]
    if any(len(rows) < len(keys) for rows, _, keys in groups):
        return {}
    out = {"stream_pool_pad": 1.0}
    for rows, res, keys in groups:
        zero = dict(coef, **out, **{k: 0.0 for k in keys})
        data = [(r["meas"][res], *feature_values(r["kw"], zero, keys, res)) for r in rows]
        out.update((k, round(v, 4)) for k, v in zip(keys, nnls_relative(data, drop_worst=0.1)))
    return out
