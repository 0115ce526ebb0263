"""Fit the tool-aware coefficients (the ``per_tool`` block of coefficients.json) on the calibration records.

``vivado_hls``: refitted on the Vivado HLS 2019.1-2020.1 layer rows of the training repositories (reports2.csv):
pipeline timing, the II of shared multipliers, the LUT/FF terms of the Latency kernel with the DSP post-adder
share, and the Resource terms (DSP mapping of run-time products, multiplexer and write-select LUTs, register scale,
loop latency, io_stream wrapper), activations. ``vitis_hls``: the shared coefficients (fitted on the ArgyKokk Vitis
HLS 2021.1 MLPs by :mod:`hlsnb.calibration.fitting`) stay; there is no Vitis HLS Resource report, so Vitis takes
the Resource terms of the Vivado HLS fit. ``vsynth_*``: medians of Vivado-synthesis / HLS-csynth of the same design
(pooled over the tools when a tool has no pair of its own).

Every feature is computed by running the estimator with one coefficient at 1 and the others at 0, so the fit and
the package cannot disagree about what a coefficient multiplies. Rows with REPORT_FLAG are left out of every fit.
"""

from __future__ import annotations

import math
import statistics

import numpy as np

from ..estimate import layer_input
from ..estimate.model import TABLE_ACTIVATIONS, TOOL_DEFAULTS, Calibration, activation_narrows, adder_levels
from .fitting import _run, feature_values, nnls_relative
from .pool_pad import fit_pool_pad
from .rows import CHECK_REPOS
from .vsynth import fit_vsynth

__all__ = ["fit_vivado", "fit_vitis", "fit_vsynth", "fit_per_tool", "fit_constant_rule", "constant_rule_loro",
           "fit_activations",
           "RESOURCE_KEYS", "STRUCTURAL", "SHARED_STRUCTURAL"]

LUT_KEYS = ("lut_const_per_in_bit", "lut_gmul_per_bitprod", "lut_add_per_bit")
FF_KEYS = ("ff_pipe_ii1", "ff_pipe_shared", "ff_io_per_bit")
#: The Resource-strategy LUT coefficients fitted together by NNLS.
RES_LUT_KEYS = ("res_mux_scale", "lut_wsel_per_bit", "res_stream_lut", "res_inmux_lut", "res_layer_lut")
#: The Resource-strategy FF coefficients fitted together by NNLS: register scale, io_stream wrapper, write-select
#: chain (RF > n_in), operand/product registers of RF <= n_in (inside the DSPs), DSP48E1 product registers.
RES_FF_KEYS = ("res_ff_scale", "res_stream_ff", "res_wsel_ff", "res_leq_ff", "res_e1_ff")
#: Resource terms the Vitis HLS block borrows from the Vivado HLS fit (no Vitis HLS Resource report exists).
RESOURCE_KEYS = ("wsel_form", "lut_wsel_chain_per_bit", "res_in_mux_rf", *RES_LUT_KEYS, *RES_FF_KEYS, "res_dsp_wide")
#: Structural switches of the Vivado HLS model (read off the reports' structure, not fitted by least squares):
#: the write-select form of the template's index range, one register bit per product bit of a Latency layer at
#: II > 1 (dense_latency's mult[] of accum_t, filled over II cycles) and so no further adder-tree stage registers
#: at II > 1 (``ff_pipe_shared`` 0: Vivado HLS chains the tree, ``t_add_ns`` fits to 0.1), the RF-to-1 input
#: multiplexer of Resource at RF < n_in (the range of ``ir + RF*k``), 0.5 LUT per chained conditional-update bit (a
#: LUT6_2 holds two 2:1 muxes), the io_stream pooling line buffer in registers, the io_stream wrapper of Latency
#: convolutions, and (both tools) the DSP cap of Vivado synthesis and the overlap of io_stream DATAFLOW layers.
STRUCTURAL = {"wsel_form": 1.0, "ff_shared_prod": 1.0, "ff_held_all": 0.0, "ff_growth": 1.0, "ff_pipe_shared": 0.0,
              "res_in_mux_rf": 1.0,
              "lut_wsel_chain_per_bit": 0.5, "pool_lb_ff": 1.0, "stream_conv_all": 1.0, "stream_dense_all": 1.0,
              "vsynth_dsp_cap": 1.0,
              "stream_overlap": 1.0, "ff_const_held": 1.0, "add_growth": 1.0, "const_width": 1.0,
              "act_sel_result": 1.0, "acc_quant": 1.0, "softmax_rom_dual": 1.0, "act_dataflow_regs": 1.0,
              "act_stream_ctrl_ff": 1.0, "lut_mux_scale": 1.0}
_BOTH_TOOLS = ("vsynth_dsp_cap", "stream_overlap")
#: Structural terms of the shared (Vitis HLS) fit, set before it. A Latency layer at II > 1 holds its products of
#: dense_latency's mult[] in registers (``ff_shared_prod``), the shift/shift-add constant products too
#: (``ff_const_held``, which the Vitis block always applied at prediction: the shared fit was made without it, so the
#: fit and the estimate disagreed), and Vitis HLS holds every nonzero product (``ff_held_all``: ArgyKokk's Vitis HLS
#: 2021.1 layers at RF 2 and RF 100 report the same FF, 0.8-1.3 register bits per product bit, whatever their
#: multipliers; Vivado HLS holds only what the shared multipliers fill before the last cycle, 0 in STRUCTURAL). With
#: them ``ff_pipe_shared`` fits to 0 (it was 1.19, standing in for the held products) and the held-out Vitis HLS Dense
#: Latency FF error goes 0.33 -> 0.19 (0.21 without ``ff_held_all``). ``const_width`` (a constant product as wide as
#: the input plus its constant's bit length, not the weight type's) sizes those stage registers: neutral on Vitis HLS
#: FF held out (pruned 20 % -> 19 %, RF 1 25 % -> 24 %, whole designs 18 % -> 19 %).
SHARED_STRUCTURAL = {"ff_shared_prod": 1.0, "ff_held_all": 1.0, "ff_const_held": 1.0, "ff_growth": 1.0,
                     "const_width": 1.0}
#: Structural terms of quantized models that hold for Vitis HLS too (its block sets them apart from the Vivado fit).
#: Not ``add_growth``: with it the Vitis HLS held-out LUT errors grow (weights <= 8 bits 18 % -> 20 %, RF 1 23 % ->
#: 25 %): the shared Vitis fit (ArgyKokk, 8-bit weights) prices its adders at accum_t width. Nor ``act_sel_result``:
#: with it the Vitis HLS activation rows get worse (LUT 0.57 -> 0.87 held out; Vivado HLS 0.46 -> 0.45).
_QUANT_STRUCTURAL = ("ff_const_held", "acc_quant")
#: Input widths tried for the constant-weight rule (0: hls4ml's "both operands >= 9 bits", the rule before issue 28).
CONST_DSP_GRID = (0.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 16.0)


def _features(kw: dict, coef: dict, keys, resource: str) -> tuple[float, list[float]]:
    return feature_values(kw, coef, keys, resource)


def _nnls_relative(data: list[tuple]) -> list[float]:
    """NNLS on relative errors; the worst 10 % (saturating casts and the like) dropped once and the fit repeated."""
    return nnls_relative(data, drop_worst=0.1)


def _median(xs, default=None):
    xs = list(xs)
    return float(statistics.median(xs)) if xs else default


def _rel(est, real) -> float:
    return abs(est - real) / max(abs(real), 1.0)


def _log_err(p, m) -> float:
    return abs(math.log((max(p, 0.0) + 1.0) / (max(m, 0.0) + 1.0)))


def fit_constant_rule(train: list[dict], coef: dict, tool: str) -> float | None:
    """``const_dsp_in_bits`` for ``tool``: the input width from which a constant product that stays a multiplication
    (more than ``share_k_digits`` signed digits) goes to a DSP, chosen on a grid by the mean |log((DSP estimate + 1)
    / (DSP report + 1))| over the Latency Dense/Conv rows of ``train`` built with ``config_op mul -impl`` auto
    (rows forced onto DSPs or LUTs say nothing about the tool's own choice); ``None`` without such rows. 0 (hls4ml's
    "both operands >= 9 bits", the rule before issue 28) whenever it scores as well as any width; else the middle of
    the widths that tie."""
    rows = [r for r in train if r["tool"] == tool and r["scope"] == "layer" and r["kw"] and not r["flag"]
            and r["type"] in ("Dense", "Conv") and r["strategy"] == "Latency"
            and r["kw"].get("mult_impl", "auto") == "auto" and r["meas"]["dsp"] is not None]
    if not rows:
        return None
    scores = []
    for t in CONST_DSP_GRID:
        c = dict(coef, const_dsp_in_bits=t)
        errs = []
        for r in rows:
            try:
                errs.append(_log_err(_run(r["kw"], c).dsp, r["meas"]["dsp"]))
            except ValueError:
                continue
        if errs:
            scores.append((round(statistics.fmean(errs), 6), t))
    if not scores:
        return None
    best = min(sc for sc, _ in scores)
    tied = [t for sc, t in scores if sc <= best + 1e-9]
    # hls4ml's rule (0) whenever it explains the rows as well as any width (the rule changes only where the reports
    # demand it); else the middle of the widths that tie (rows with only 16-bit and 6-bit inputs say "7 to 16")
    return 0.0 if 0.0 in tied else float(tied[(len(tied) - 1) // 2])


#: The softmax latency line's grid (cycles, and cycles per adder level of the sum over the values).
SOFTMAX_LAT_A = tuple(float(a) for a in range(0, 13))
SOFTMAX_LAT_B = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0)
SOFTMAX_STREAM_LAT = tuple(float(c) for c in range(0, 21))


def fit_softmax_latency(train: list[dict], coef: dict, tool: str) -> dict:
    """``softmax_lat_a``, ``softmax_lat_b`` and ``softmax_stream_lat`` of ``tool`` (latency = a + b log2(values); an
    io_stream softmax adds its stream words, and c cycles where a word shares its multipliers): the grid point with
    the least median relative error over the tool's softmax layer rows of ``train``; the shared line (fitted on
    ArgyKokk's Vitis HLS softmaxes) when there are fewer than 5 rows."""
    rows = [r for r in train if r["tool"] == tool and r["scope"] == "layer" and r["type"] == "Softmax" and r["kw"]
            and not r["flag"] and r["meas"]["latency"] is not None]
    if len(rows) < 5:
        return {}
    # each row's latency without the line, and its log2(values) as the estimator reads it (b = 1000 scales it past
    # the rounding), and whether the shared-multiplier term applies: the grid is then arithmetic, three runs per row
    zero = [_run(r["kw"], dict(coef, softmax_lat_a=0.0, softmax_lat_b=0.0, softmax_stream_lat=0.0)).latency_cycles
            for r in rows]
    logs = [(_run(r["kw"], dict(coef, softmax_lat_a=0.0, softmax_lat_b=1000.0, softmax_stream_lat=0.0))
             .latency_cycles - z) / 1000.0 for r, z in zip(rows, zero)]
    # the shared-multiplier term applies where the estimate has it (an io_stream softmax at II > 1 per word)
    stream = [_run(r["kw"], dict(coef, softmax_lat_a=0.0, softmax_lat_b=0.0, softmax_stream_lat=1000.0))
              .latency_cycles > z for r, z in zip(rows, zero)]
    best = min((statistics.median(_rel(z + int(round(a + b * lg)) + (c if s else 0), r["meas"]["latency"])
                                  for r, z, lg, s in zip(rows, zero, logs, stream)), a, b, c)
               for a in SOFTMAX_LAT_A for b in SOFTMAX_LAT_B for c in SOFTMAX_STREAM_LAT)
    return {"softmax_lat_a": best[1], "softmax_lat_b": best[2], "softmax_stream_lat": best[3]}


def _narrows(kw: dict) -> bool:
    """The activation row's result type is narrower than its input and rounds or saturates (the estimator's own
    rule, :func:`hlsnb.estimate.model.activation_narrows`)."""
    return activation_narrows(layer_input(**kw))


def _unit_median(rows: list[dict], coef: dict, key: str, resource: str) -> float | None:
    """The median of (report - estimate with ``key`` at 0) / (what ``key`` at 1 adds) over ``rows``."""
    xs = []
    for r in rows:
        base, (f,) = _features(r["kw"], coef, (key,), resource)
        if f > 0 and r["meas"][resource] is not None:
            xs.append((r["meas"][resource] - base) / f)
    return round(max(0.0, _median(xs)), 4) if xs else None


def fit_activations(train: list[dict], coef: dict, tool: str) -> dict:
    """The activation coefficients of ``tool`` on ``train``'s activation rows (issue 23), each on its own rows, in
    order: compare and select (io_parallel ReLUs that do not narrow: ``act_lut_per_bit``, ``act_latency``), the
    copy of a linear activation (io_parallel linear rows that do not narrow: ``act_lin_lut_per_bit``,
    ``act_lin_ff_per_bit``), a lookup table's index (sigmoid/tanh rows: ``act_table_lut_per_bit``), and the stream
    read/write and loop control of io_stream ReLU/linear rows that do not narrow (``act_stream_lut_per_bit``,
    ``act_stream_lut``, NNLS). A coefficient without rows keeps its value."""
    acts = [r for r in train if r["tool"] == tool and r["type"] == "Act" and r["kw"] and not r["flag"]
            and r["scope"] == "layer"]
    out = {}
    relu = [r for r in acts if r["kw"].get("activation") == "relu" and r["kw"]["io_type"] == "io_parallel"
            and not _narrows(r["kw"])]
    if relu:
        out["act_lut_per_bit"] = _median(r["meas"]["lut"] / (r["kw"]["n_in"] * r["kw"]["input_bits"]) for r in relu)
        out["act_latency"] = _median(r["meas"]["latency"] for r in relu)
    c = dict(coef, **out)
    lin = [r for r in acts if r["kw"].get("activation") == "linear" and r["kw"]["io_type"] == "io_parallel"
           and not _narrows(r["kw"])]
    for key, res in (("act_lin_lut_per_bit", "lut"), ("act_lin_ff_per_bit", "ff")):
        v = _unit_median(lin, c, key, res)
        if v is not None:
            out[key] = c[key] = v
    v = _unit_median([r for r in acts if r["kw"].get("activation") in TABLE_ACTIVATIONS], c, "act_table_lut_per_bit",
                     "lut")
    if v is not None:
        out["act_table_lut_per_bit"] = c["act_table_lut_per_bit"] = v
    stream = [r for r in acts if r["kw"].get("activation") in ("relu", "linear") and r["kw"]["io_type"] == "io_stream"
              and not _narrows(r["kw"])]
    if stream:
        keys = ("act_stream_lut_per_bit", "act_stream_lut")
        data = [(r["meas"]["lut"], *_features(r["kw"], c, keys, "lut")) for r in stream]
        out.update(zip(keys, (round(x, 4) for x in _nnls_relative(data))))
    return out


def fit_act_quant(train: list[dict], coef: dict, tool: str) -> float | None:
    """``act_lut_quant`` for ``tool``: the median LUTs per value the reports spend beyond the compare-and-select
    model on activations whose result type is narrower than their input and rounds or saturates; ``None`` without
    such rows."""
    xs = []
    for r in train:
        kw = r["kw"]
        if (r["tool"] != tool or r["scope"] != "layer" or not kw or r["flag"] or r["type"] != "Act"
                or kw.get("activation") not in ("relu", "linear") or not r["meas"]["lut"] or not _narrows(kw)):
            continue
        e = _run(kw, dict(coef, act_lut_quant=0.0))
        n = kw["input_shape"][-1] if kw["io_type"] == "io_stream" and len(kw.get("input_shape") or ()) > 1 \
            else kw["n_in"]
        xs.append((r["meas"]["lut"] - e.lut) / n)
    return round(max(0.0, _median(xs)), 4) if xs else None


#: Timing scales tried for UltraScale+ (delay there / delay on the 7-series parts the operation delays were fitted on).
TIME_SCALE_GRID = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.25, 0.2, 0.15, 0.1)


def fit_time_scale(train: list[dict], coef: dict, tool: str) -> float | None:
    """``t_scale_usp`` for ``tool``: the grid value whose pipeline depths best match the latencies of ``train``'s
    Latency RF 1 io_parallel Dense rows on UltraScale+ parts (ties: the slowest, 1 first); ``None`` without rows."""
    rows = [r for r in train if r["tool"] == tool and r["scope"] == "layer" and r["kw"] and not r["flag"]
            and r["type"] == "Dense" and r["strategy"] == "Latency" and r["rf"] == 1
            and r["kw"]["io_type"] == "io_parallel" and r["meas"]["latency"] is not None
            and layer_input(**r["kw"]).part.family == "ultrascale+"]
    if not rows:
        return None
    scores = [(sum(abs(_run(r["kw"], dict(coef, t_scale_usp=s)).latency_cycles - r["meas"]["latency"]) for r in rows),
               -s) for s in TIME_SCALE_GRID]
    return -min(scores)[1]


def fit_vitis(train: list[dict], shared: dict) -> dict:
    """The ``vitis_hls`` terms of quantized models fitted on the Vitis HLS records of ``train`` (the shared
    coefficients are the Vitis fit on the ArgyKokk MLPs): the constant-weight rule and rounding/saturating
    activations."""
    coef = {**TOOL_DEFAULTS, **shared, **{k: STRUCTURAL[k] for k in _QUANT_STRUCTURAL}}
    out = {k: coef[k] for k in _QUANT_STRUCTURAL}
    t = fit_constant_rule(train, coef, "vitis_hls")
    if t is not None:
        out["const_dsp_in_bits"] = coef["const_dsp_in_bits"] = t
    q = fit_act_quant(train, coef, "vitis_hls")
    if q is not None:
        out["act_lut_quant"] = q
    ts = fit_time_scale(train, coef, "vitis_hls")
    if ts is not None:
        out["t_scale_usp"] = ts
    return out


def fit_vivado(train: list[dict], shared: dict) -> dict:
    """The ``vivado_hls`` block fitted on the Vivado HLS records of ``train`` (``shared``: the shared coefficients
    the fit starts from)."""
    coef = {**TOOL_DEFAULTS, **shared, **STRUCTURAL}
    layers = [r for r in train if r["tool"] == "vivado_hls" and r["scope"] == "layer" and r["kw"]
              and r["type"] in ("Dense", "Conv") and not r["flag"]]
    lat = [r for r in layers if r["strategy"] == "Latency"]
    res = [r for r in layers if r["strategy"] == "Resource" and r["rf"] > 1]
    # 1. pipeline timing (grid) on Latency RF 1 io_parallel Dense rows, then the 0-cycle rule (lat0_levels)
    t_rows = [r for r in lat if r["type"] == "Dense" and r["rf"] == 1 and r["kw"]["io_type"] == "io_parallel"]
    if t_rows:
        best = None
        for t_mul in np.arange(0.0, 6.01, 0.5):
            for t_add in np.arange(0.1, 4.01, 0.1):
                s = 0
                for r in t_rows:
                    kw = r["kw"]
                    lv = adder_levels(kw["n_in"] * kw["n_out"] - kw["n_zeros"], kw["n_out"])
                    s += abs(max(0, math.ceil((t_mul + lv * t_add) / kw["clock_ns"] - 1e-9)) - r["meas"]["latency"])
                if best is None or s < best[0] - 1e-9:
                    best = (s, float(t_mul), float(t_add))
        coef["t_mul_ns"], coef["t_add_ns"] = best[1], best[2]
        scores = [(sum(abs(_run(r["kw"], dict(coef, lat0_levels=float(l0))).latency_cycles - r["meas"]["latency"])
                       for r in t_rows), float(l0)) for l0 in range(9)]
        coef["lat0_levels"] = min(scores)[1]
        ts = fit_time_scale(train, coef, "vivado_hls")
        if ts is not None:
            coef["t_scale_usp"] = ts
    # 2. II of shared multipliers: II = min(RF, ceil(products / multipliers) + ii_overhead)
    coef["ii_share"] = 1.0
    gaps = [r["meas"]["ii"] - _run(r["kw"], dict(coef, ii_overhead=0.0)).ii for r in lat
            if r["rf"] > 1 and r["type"] == "Dense" and r["kw"]["io_type"] == "io_parallel"]
    coef["ii_overhead"] = _median(gaps, coef["ii_overhead"])
    # ... and whether layers without zero weights share at all (grid on every Latency RF > 1 Dense row)
    ii_rows = [r for r in lat if r["rf"] > 1 and r["type"] == "Dense"]
    if ii_rows:
        coef["ii_share_pruned"] = min((_median(_rel(_run(r["kw"], dict(coef, ii_share_pruned=v)).ii, r["meas"]["ii"])
                                               for r in ii_rows), v) for v in (1.0, 0.0))[1]
    # 2b. compare-and-select activations with io_parallel, and the price of a rounding/saturating value (before the
    # kernel fits: a rounding/saturating accum_t is priced with it, _kernel._accum_quant)
    coef.update(fit_activations(train, coef, "vivado_hls"))
    coef.update(fit_softmax_latency(train, coef, "vivado_hls"))
    q = fit_act_quant(train, coef, "vivado_hls")
    if q is not None:
        coef["act_lut_quant"] = q
    # 3. LUT (with the DSP post-adder share on a grid) and FF of the Latency kernel. The operand-multiplexer scale is
    # STRUCTURAL: 1 LUT6 per multiplexer bit (mux_luts counts them); fitted, it swung from 0 to 3 across the
    # leave-one-repository-out folds (only pominiq has enough shared-multiplier Latency rows to inform it)
    best = None
    for share in (0.0, 0.5, 1.0):
        c = dict(coef, dsp_postadd=share)
        data = [(r["meas"]["lut"], *_features(r["kw"], c, LUT_KEYS, "lut")) for r in lat]
        fitted = _nnls_relative(data)
        err = _median(_rel(b + sum(x * f for x, f in zip(fitted, fs)), y) for y, b, fs in data)
        if best is None or err < best[0] - 1e-9:
            best = (err, dict(c, **dict(zip(LUT_KEYS, fitted))))
    coef = best[1]
    ff_keys = tuple(k for k in FF_KEYS if k not in STRUCTURAL)
    data = [(r["meas"]["ff"], *_features(r["kw"], coef, ff_keys, "ff")) for r in lat]
    coef.update(zip(ff_keys, _nnls_relative(data)))
    # 4. Resource: DSP mapping of run-time products (grid), LUT keys, register scale, loop and pixel latency
    if res:
        scores = [(statistics.fmean(_log_err(_run(r["kw"], dict(coef, res_dsp_wide=w)).dsp, r["meas"]["dsp"])
                                    for r in res), w) for w in (99.0, 18.0, 16.0, 14.0, 12.0, 10.0)]
        coef["res_dsp_wide"] = min(scores)[1]
        data = [(r["meas"]["lut"], *_features(r["kw"], coef, RES_LUT_KEYS, "lut")) for r in res]
        coef.update(zip(RES_LUT_KEYS, _nnls_relative(data)))
        data = [(r["meas"]["ff"], *_features(r["kw"], coef, RES_FF_KEYS, "ff")) for r in res]
        coef.update(zip(RES_FF_KEYS, _nnls_relative(data)))
        # loop latency: RF + c on io_parallel Dense (rows at > 3 RF are an old hls4ml's inner loop: left out)
        coef["res_lat_c"] = _median((r["meas"]["latency"] - r["rf"] for r in res
                                     if r["type"] == "Dense" and r["kw"]["io_type"] == "io_parallel"
                                     and r["meas"]["latency"] < 3 * r["rf"]), 2.0)
        coef["res_px_c"] = _median((r["meas"]["latency"] / math.prod(r["kw"]["input_shape"][:-1]) - r["rf"]
                                    for r in res if r["type"] == "Conv" and r["kw"]["io_type"] == "io_stream"), -1.0)
    # 5. io_stream Dense: cycles beyond read + kernel
    extra = [r["meas"]["latency"] - _run(r["kw"], dict(coef, stream_dense_lat=0.0)).latency_cycles
             for r in layers if r["type"] == "Dense" and r["kw"]["io_type"] == "io_stream"]
    coef["stream_dense_lat"] = max(0.0, _median(extra, 0.0))
    # 5b. the constant-weight rule (issue 28): after the Latency LUT/FF fit, on the DSP counts
    t = fit_constant_rule(train, coef, "vivado_hls")
    if t is not None:
        coef["const_dsp_in_bits"] = t
    # 7. softmax registers: median of FF / (the estimate's FF at softmax_ff_per_bit = 1)
    ratios = []
    for r in train:
        if r["tool"] == "vivado_hls" and r["type"] == "Softmax" and r["kw"] and r["meas"]["ff"] is not None:
            unit = _run(r["kw"], dict(coef, softmax_ff_per_bit=1.0)).ff
            if unit:
                ratios.append(r["meas"]["ff"] / unit)
    coef["softmax_ff_per_bit"] = _median(ratios, coef["softmax_ff_per_bit"])
    # 8. io_stream pooling and zero padding (hlsnb.calibration.pool_pad, fitted through the estimator)
    coef.update(fit_pool_pad(train, coef))
    return {k: round(v, 4) for k, v in coef.items()
            if isinstance(v, float) and (k in TOOL_DEFAULTS or v != shared.get(k))}


def fit_per_tool(recs: list[dict], train_repos: set, shared: dict) -> dict:
    """The ``per_tool`` block fitted on the records of ``train_repos`` (the seed reports, ``check`` records, never:
    :data:`hlsnb.calibration.rows.CHECK_REPOS`)."""
    train_repos = set(train_repos) - CHECK_REPOS
    train = [r for r in recs if r["repo"] in train_repos]
    vivado = fit_vivado(train, shared)
    vitis = {k: vivado[k] for k in RESOURCE_KEYS if k in vivado}
    vitis.update(fit_vitis(train, shared))
    vs = fit_vsynth(recs, train_repos, Calibration(dict(shared, per_tool={"vivado_hls": vivado, "vitis_hls": vitis}),
                                                   source="fit"))
    for block in vs.values():
        block.update({k: STRUCTURAL[k] for k in _BOTH_TOOLS})
    vivado.update(vs["vivado_hls"])
    vitis = dict(vs["vitis_hls"], **vitis)
    return {"vivado_hls": vivado, "vitis_hls": vitis}


def constant_rule_loro(recs: list[dict], cal) -> list[dict]:
    """The constant-weight rule's error on repositories left out (issue 28 item 1): for every repository with
    Latency Dense/Conv rows built with ``-impl auto``, ``const_dsp_in_bits`` is refitted on the other repositories of
    the same tool and the held-out rows' DSPs predicted. ``cal``: the calibration of the other coefficients. One dict
    per held-out row: ``repo``, ``tool``, ``layer``, ``input_bits``, ``weight_bits``, ``weights_known``, ``t`` (the
    fold's rule), ``dsp`` (estimate), ``report``."""
    out = []
    for tool in ("vivado_hls", "vitis_hls"):
        base = cal.for_tool(tool).to_dict()
        rows = [r for r in recs if r["tool"] == tool and r["scope"] == "layer" and r["kw"] and not r["flag"]
                and r["type"] in ("Dense", "Conv") and r["strategy"] == "Latency" and not r["check"]
                and r["kw"].get("mult_impl", "auto") == "auto" and r["meas"]["dsp"] is not None]
        for repo in sorted({r["repo"] for r in rows}):
            t = fit_constant_rule([r for r in rows if r["repo"] != repo], base, tool)
            c = dict(base, const_dsp_in_bits=t if t is not None else base["const_dsp_in_bits"])
            for r in rows:
                if r["repo"] == repo:
                    kw = r["kw"]
                    out.append({"repo": repo, "tool": tool, "layer": kw.get("name"), "input_bits": kw["input_bits"],
                                "weight_bits": kw["weight_bits"], "weights_known": kw.get("weights") is not None,
                                "t": c["const_dsp_in_bits"], "dsp": _run(kw, c).dsp, "report": r["meas"]["dsp"]})
    return out
