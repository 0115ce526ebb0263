"""The seed reports as checks of the estimator, never fits (issue 23 item 2).

The forum's question: a 16-64-32-32-5 MLP on the PYNQ-Z2 built with Strategy Resource, ReuseFactor 64, used MORE than
with Latency. The design is the hls4ml tutorial's part-7a model (the part-4 ``model_3``: 6-bit QKeras weights and
biases, quantized 6-bit ReLUs, 75 % of the weights zero), VivadoAccelerator, Vivado HLS 2019.2, 5 ns
(:func:`hlsnb.calibration.reference.forum_mlp`; the Dense accumulators and results as hls4ml infers them for the
config's ``result auto``: 27, 19, 18 and 18 bits). Three public reports of it:

- the forum's own csynth report, Resource RF 64: 47,883 LUT, 20,367 FF, 21 DSP, 16 BRAM18K (:data:`SEED_REPORT`);
- Liu-Zhiheng's public build with Latency RF 64 (every Dense, the output layer too: hls4ml keeps a Latency RF),
  csynth of the network (instance ``myproject`` in the AXI wrapper): 34,823 LUT, 21,312 FF, 9 DSP, 4 BRAM18K, II 15
  (:data:`LATENCY_REPORT`); its placed report covers the whole block design (PS, DMA, interconnect): 20,668 LUT;
- nicologhielmetti's per-layer report of the same network through hls4ml's older Pynq backend, Resource RF 64 (32 on
  the output layer), 7-bit weights and ReLU outputs (``ap_fixed<7,1,AP_RND,AP_SAT>``), io_parallel
  (:data:`PYNQ_LAYERS`), with Vivado synthesis of the IP.

Their repositories are :data:`hlsnb.calibration.rows.CHECK_REPOS`: no fit sees their rows. :func:`seed_check` only
predicts them; the tests (``tests/test_estimate_seed.py``) hold the estimate to the targets of issue 23 (csynth LUT
and DSP within 15 %, FF and BRAM within 30 %, Resource > Latency beyond the error bars).
"""

from __future__ import annotations

from ..estimate import estimate_design
from .reference import forum_mlp

__all__ = ["SEED_REPORT", "LATENCY_REPORT", "LATENCY_TIMING", "PYNQ_LAYERS", "PYNQ_TOTAL", "PYNQ_VSYNTH", "seed_check",
           "pynq_layer_check", "TOLERANCE"]

#: The forum's csynth report of the seed design (Resource, RF 64).
SEED_REPORT = {"lut": 47883.0, "ff": 20367.0, "dsp": 21.0, "bram18k": 16.0}
#: The public Latency build of the same design (Liu-Zhiheng/hls4ml-pynqz2-vivado2019-2-results), network csynth.
LATENCY_REPORT = {"lut": 34823.0, "ff": 21312.0, "dsp": 9.0, "bram18k": 4.0}
#: Its timing (the same report, the network's instance): initiation interval and latency in clock cycles at 5 ns. The
#: forum's Resource report gives none.
LATENCY_TIMING = {"ii": 15, "latency": 55}
#: Its placed report (Vivado 2019.2): the whole block design (PS7, AXI DMA, interconnect and the NN IP).
LATENCY_PLACED_BLOCK_DESIGN = {"lut": 20668.0, "ff": 23097.0, "dsp": 9.0, "bram18k": 14.0}
#: nicologhielmetti/hls4ml-pynq cpp_nn_v1 (Pynq backend, io_parallel), per layer, csynth: DSP, LUT, FF, BRAM18K.
PYNQ_LAYERS = {"fc1": (16, 7715, 5315, 4), "fc1_relu": (0, 6155, 386, 0), "fc2": (0, 2355, 1217, 7),
               "fc2_relu": (0, 3083, 194, 0), "fc3": (0, 2341, 1004, 4), "fc3_relu": (0, 3083, 194, 0),
               "output": (0, 600, 270, 1), "output_softmax": (5, 247, 617, 4)}
#: ... and its whole design, csynth.
PYNQ_TOTAL = {"dsp": 21.0, "lut": 35327.0, "ff": 10771.0, "bram18k": 20.0}
#: ... and its Vivado out-of-context synthesis of the IP (dma_test_pynq): DSP, LUT, FF, BRAM18K.
PYNQ_VSYNTH = {"dsp": 21.0, "lut": 14902.0, "ff": 14300.0, "bram18k": 4.0}
#: The targets of issue 23 item 2 (relative error allowed per resource).
TOLERANCE = {"lut": 0.15, "dsp": 0.15, "ff": 0.30, "bram18k": 0.30}


def _totals(design, calibration, stage="csynth") -> dict:
    e = estimate_design(design, stage=stage, calibration=calibration)
    return {**{k: e.total[k] for k in ("lut", "ff", "dsp", "bram18k")}, "ii": e.ii, "latency": e.latency_cycles,
            "estimate": e}


def _errors(est: dict, rep: dict) -> dict:
    return {k: (est[k] - rep[k]) / rep[k] for k in rep}


def seed_check(calibration=None) -> dict:
    """The forum's design estimated with ``calibration`` (``None``: the default) beside the reports.

    ``{"resource": {...}, "latency": {...}}``, each with ``csynth`` (estimated totals, ``ii``, ``latency``, the
    ``estimate``), ``report``, ``error`` (relative, per resource) and ``within`` (per resource: inside
    :data:`TOLERANCE`); ``"resource"`` also ``vsynth`` (estimated post-synthesis totals); ``"latency"`` also
    ``vsynth`` beside ``placed_block_design`` (Liu's placed numbers cover the whole block design, so only an upper
    reference). Backward-compatible keys: ``csynth`` and ``report`` (Resource), ``latency_strategy`` (Latency)."""
    res_d = forum_mlp("Resource", 64)
    lat_d = forum_mlp("Latency", 64)
    out = {}
    for key, d, rep in (("resource", res_d, SEED_REPORT), ("latency", lat_d, LATENCY_REPORT)):
        cs = _totals(d, calibration)
        err = _errors(cs, rep)
        out[key] = {"csynth": cs, "report": dict(rep), "error": err,
                    "within": {k: abs(v) <= TOLERANCE[k] for k, v in err.items()},
                    "vsynth": _totals(d, calibration, "vsynth"), "design": d}
    out["latency"]["placed_block_design"] = dict(LATENCY_PLACED_BLOCK_DESIGN)
    out["csynth"] = {k: out["resource"]["csynth"][k] for k in ("lut", "ff", "dsp", "bram18k")}
    out["vsynth"] = {k: out["resource"]["vsynth"][k] for k in ("lut", "ff", "dsp", "bram18k")}
    out["latency_strategy"] = {k: out["latency"]["csynth"][k] for k in ("lut", "ff", "dsp", "bram18k")}
    out["report"] = dict(SEED_REPORT)
    return out


def pynq_layer_check(calibration=None) -> dict:
    """The Pynq-backend build of the same network (nicologhielmetti, held out) estimated per layer:
    ``{layer: {"estimate": (dsp, lut, ff, bram18k), "report": (...)}}`` plus ``"total"`` (csynth) and ``"vsynth"``
    (Vivado synthesis of the IP)."""
    d = forum_mlp("Resource", 64, weight="ap_fixed<7,1>", relu="ap_fixed<7,1,AP_RND,AP_SAT>", output_rf=32,
                  accum="ap_fixed<16,6>")  # its parameters.h: accum_t and result_t ap_fixed<16,6>
    e = estimate_design(d, calibration=calibration)
    out = {n: {"estimate": tuple(getattr(e.layer(n), k) for k in ("dsp", "lut", "ff", "bram18k")), "report": rep}
           for n, rep in PYNQ_LAYERS.items()}
    out["total"] = {"estimate": {k: e.total[k] for k in ("dsp", "lut", "ff", "bram18k")}, "report": dict(PYNQ_TOTAL)}
    v = estimate_design(d, stage="vsynth", calibration=calibration)
    out["vsynth"] = {"estimate": {k: v.total[k] for k in ("dsp", "lut", "ff", "bram18k")},
                     "report": dict(PYNQ_VSYNTH)}
    return out
