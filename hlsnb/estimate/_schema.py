"""The schema of the estimator's coefficients (issue 24 item 4): what each one is, not only its value.

Every coefficient a :class:`hlsnb.calibration.Calibration` can hold has one :class:`Coefficient` entry: its
``kind`` (``fitted``: least squares, a median or a grid on report rows; ``structural``: read off hls4ml's templates or
the reports' structure, a switch or a fixed count, not fitted; ``marker``: -1 means "use the shared term";
``record``: bookkeeping of the fit, such as how many rows a factor rests on), its ``unit``, ``where`` it is used
(module of :mod:`hlsnb.estimate`) and what it is ``fitted_on`` (which rows, by which fit). The ``vsynth_hls_lut_<kind>``
and ``vsynth_hls_rows_<kind>`` families are one entry each. ``tests/test_estimate_quantized.py`` checks that every
coefficient shipped or defaulted has an entry.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Coefficient", "SCHEMA", "KINDS", "coefficient_schema"]

KINDS = ("fitted", "structural", "marker", "record")


@dataclass(frozen=True)
class Coefficient:
    """One coefficient: ``kind`` (one of :data:`KINDS`), ``unit``, ``where`` used, ``fitted_on`` (rows and fit)."""

    name: str
    kind: str
    unit: str
    where: str
    fitted_on: str


_SHARED = "shared Vitis fit (calibration/fitting.py) on the ArgyKokk MLP layer rows of reports.csv"
_VIV = "Vivado HLS block (calibration/per_tool.py fit_vivado)"
_VIV_LAT = _VIV + " on the Latency Dense/Conv layer rows"
_VIV_RES = _VIV + " on the Resource RF > 1 Dense/Conv layer rows"
_VS = "vsynth fit (calibration/vsynth.py) on design pairs of Vivado synthesis and HLS csynth reports"
_E = [
    # name, kind, unit, where, fitted on
    ("share_scale", "fitted", "weight sigma x sqrt(n_in)", "_kernel.mul_op_share", _SHARED + ", DSP counts (grid)"),
    ("share_k_digits", "structural", "signed digits", "_kernel, _core.weight_classes",
     "not fitted: constants with at most this many canonical signed digits become shifts and adds"),
    ("ii_overhead", "fitted", "cycles", "_kernel._dense_latency", _SHARED + " / " + _VIV_LAT + " (median II gap)"),
    ("t_mul_ns", "fitted", "ns", "_core.latency_depth", _SHARED + " / " + _VIV_LAT + " (grid on RF 1 latency)"),
    ("t_add_ns", "fitted", "ns per adder level", "_core.latency_depth", "as t_mul_ns"),
    ("t_scale_usp", "fitted", "x (delay on UltraScale+ / on 7-series)", "_core.latency_depth",
     "per tool (per_tool.fit_time_scale): grid on the latency of Latency RF 1 io_parallel rows on UltraScale+ parts"),
    ("lut_const_per_in_bit", "fitted", "LUT per input bit per shift-add constant", "_kernel._dense_latency",
     _SHARED + " / " + _VIV_LAT + " (NNLS)"),
    ("lut_gmul_per_bitprod", "fitted", "LUT per bit x bit of a generic multiplier", "_kernel", "as above (NNLS)"),
    ("lut_add_per_bit", "fitted", "LUT per adder bit", "_kernel, layers/*", "as above (NNLS)"),
    ("lut_mux_scale", "fitted", "x LUT6 of an operand multiplexer", "_kernel, layers/conv",
     _SHARED + " (NNLS); 1.0 on Vivado HLS (per_tool.fit_vivado: fixed, the folds could not identify it)"),
    ("ff_pipe_ii1", "fitted", "FF per product bit x stage fraction at II 1", "_kernel._dense_latency",
     _SHARED + " / " + _VIV_LAT + " (NNLS)"),
    ("ff_pipe_shared", "structural", "FF per product bit at II > 1", "_kernel._dense_latency",
     "0 on Vivado HLS (the tree is chained); shared fit for Vitis (fits 0 with ff_held_all)"),
    ("ff_io_per_bit", "fitted", "FF per input/output bit", "_kernel._dense_latency", "as ff_pipe_ii1"),
    ("ff_shared_prod", "structural", "FF per product bit held at II > 1", "_kernel._dense_latency",
     "1 on both tools: dense_latency's mult[] of accum_t (pominiq, ArgyKokk)"),
    ("ff_growth", "structural", "switch", "_kernel._dense_latency",
     "1: a pipeline stage's registers as wide as its adders (operand range growth, capped by accum_t), not accum_t"),
    ("ff_held_all", "structural", "switch", "_kernel._dense_latency",
     "1 on Vitis HLS: every nonzero product held at II > 1 (ArgyKokk: RF 2 and RF 100 report the same FF); 0 on "
     "Vivado HLS: the products the shared multipliers fill before the last cycle"),
    ("add_growth", "structural", "switch", "_kernel._dense_latency",
     "1: adder trees sized by the operands' range (product bits + 1 a level, capped by accum_t), as HLS builds them"),
    ("const_width", "structural", "switch", "_kernel.product_bits",
     "1: a constant product is as wide as the input plus the bit length of its constant, not of the weight type"),
    ("act_sel_result", "structural", "switch", "layers/activation",
     "1: the select of a rounding/saturating activation is as wide as its result type, not its input"),
    ("acc_quant", "structural", "switch", "_kernel._accum_quant",
     "1: a rounding/saturating accum_t costs one act_lut_quant per product cast and per saturating add (issue 23)"),
    ("ff_const_held", "structural", "FF per shift/shift-add product bit held at II > 1", "_kernel._dense_latency",
     "1: the constant products wait in mult[] too (issue 23)"),
    ("act_lut_per_bit", "fitted", "LUT per value bit", "layers/activation", _SHARED + " / " + _VIV
     + " on io_parallel ReLU/linear rows (median)"),
    ("act_ff_per_bit", "fitted", "FF per value bit", "layers/activation", _SHARED + " (median)"),
    ("act_latency", "fitted", "cycles", "layers/activation", "as act_lut_per_bit"),
    ("act_lut_quant", "fitted", "LUT per value", "layers/activation",
     "per tool (per_tool.fit_act_quant): activations with a narrower rounding/saturating result (median excess)"),
    ("softmax_rom_dual", "structural", "switch", "layers/softmax",
     "1 on Vivado HLS: the exp ROM is copied per two parallel lookups, plus the 1/sum ROM (issue 23)"),
    ("act_lin_lut_per_bit", "fitted", "LUT per result bit (-1: priced as compare and select)", "layers/activation",
     _VIV + " on io_parallel linear activations that do not narrow (median; issue 23)"),
    ("act_lin_ff_per_bit", "fitted", "FF per result bit", "layers/activation", "as act_lin_lut_per_bit"),
    ("act_table_lut_per_bit", "fitted", "LUT per input bit", "layers/activation",
     _VIV + " on lookup-table activations (sigmoid, tanh; median); 2 elsewhere (first model)"),
    ("act_stream_lut_per_bit", "fitted", "LUT per bit read or written", "layers/activation",
     _VIV + " on io_stream ReLU/linear rows that do not narrow (NNLS with act_stream_lut)"),
    ("act_stream_lut", "fitted", "LUT per layer", "layers/activation", "as act_stream_lut_per_bit"),
    ("const_dsp_in_bits", "fitted", "input bits (0: hls4ml's >= 9-bit rule)", "_kernel._constant_mapping",
     "per tool (per_tool.fit_constant_rule): grid on Latency -impl auto DSP counts (issue 28)"),
    ("softmax_lut_per_bit", "fitted", "LUT per value bit", "layers/softmax", _SHARED + " (median)"),
    ("softmax_ff_per_bit", "fitted", "FF per value bit", "layers/softmax", _SHARED + " / " + _VIV + " (median)"),
    ("softmax_lat_a", "fitted", "cycles", "layers/softmax", _SHARED + " (line fit); Vivado HLS: per_tool."
     "fit_softmax_latency, a grid on its softmax layer rows"),
    ("softmax_lat_b", "fitted", "cycles per log2(n)", "layers/softmax", "as softmax_lat_a"),
    ("softmax_stream_lat", "fitted", "cycles (io_stream, a word at II > 1)", "layers/softmax",
     "Vivado HLS: with softmax_lat_a/b, a grid on its softmax rows"),
    ("dsp_postadd", "fitted", "share of adds in DSP post-adders", "_kernel._dense_latency", _VIV_LAT + " (grid)"),
    ("ii_share", "marker", "switch (-1: by tool)", "_kernel._dense_latency", "1 on Vivado HLS (structural)"),
    ("ii_share_pruned", "fitted", "switch", "_kernel._dense_latency", _VIV_LAT + " (grid 0/1)"),
    ("lat0_levels", "fitted", "adder levels", "_kernel._dense_latency", _VIV_LAT + " (grid on RF 1 latency)"),
    ("res_dsp_wide", "fitted", "operand bits", "_kernel.matvec, _dense_latency", _VIV_RES + " (grid)"),
    ("res_mux_scale", "fitted", "x LUT6 (-1: lut_mux_scale)", "_kernel._dense_resource", _VIV_RES + " (NNLS)"),
    ("res_ff_scale", "fitted", "FF per register bit", "_kernel._dense_resource", _VIV_RES + " (NNLS)"),
    ("res_lat_c", "fitted", "cycles (-1: from t_mul_ns)", "_kernel._dense_resource", _VIV_RES + " (median)"),
    ("res_px_c", "fitted", "cycles per pixel (-1: off)", "layers/conv", _VIV_RES + " (median, io_stream conv)"),
    ("res_stream_lut", "fitted", "LUT per layer", "_kernel.stream_wrapper", _VIV_RES + " (NNLS)"),
    ("res_stream_ff", "fitted", "FF per layer", "_kernel.stream_wrapper", _VIV_RES + " (NNLS)"),
    ("wsel_form", "structural", "switch", "_kernel._write_select", "1 on Vivado HLS: one writer per accumulator"),
    ("lut_wsel_per_bit", "fitted", "LUT per accumulator bit", "_kernel._write_select", _VIV_RES + " (NNLS)"),
    ("lut_wsel_chain_per_bit", "structural", "LUT per conditional-update bit", "_kernel._write_select",
     "0.5: a LUT6_2 holds two 2:1 muxes"),
    ("res_in_mux_rf", "structural", "switch", "_kernel._dense_resource", "1: RF-to-1 input multiplexers"),
    ("res_inmux_lut", "fitted", "LUT per LUT6 of a multiplexer", "_kernel._dense_resource", _VIV_RES + " (NNLS)"),
    ("res_layer_lut", "fitted", "LUT per layer", "_kernel._dense_resource", _VIV_RES + " (NNLS)"),
    ("res_wsel_ff", "fitted", "FF per accumulator bit (RF > n_in)", "_kernel._dense_resource", _VIV_RES + " (NNLS)"),
    ("res_leq_ff", "fitted", "FF per operand bit (-1: res_ff_scale)", "_kernel._dense_resource",
     _VIV_RES + " (NNLS)"),
    ("res_e1_ff", "fitted", "FF per product bit on DSP48E1", "_kernel._dense_resource", _VIV_RES + " (NNLS)"),
    ("stream_dense_lat", "fitted", "cycles", "layers/dense", _VIV + " on io_stream Dense rows (median)"),
    ("stream_conv_all", "structural", "switch", "_kernel.stream_wrapper", "1 on Vivado HLS"),
    ("act_dataflow_regs", "structural", "switch", "layers/activation._simple",
     "1 on Vivado HLS: values x (result bits - a ReLU's sign bit) + 2 FF, read off the '_U0' activation rows"),
    ("act_stream_ctrl_ff", "structural", "switch", "layers/activation._simple",
     "1 on Vivado HLS: 8 + ceil(log2(words + 1)) FF (3 for one word), read off the io_stream ReLU/linear rows"),
    ("stream_dense_all", "structural", "switch", "_kernel.stream_wrapper",
     "1 on Vivado HLS: hls4ml's io_stream Dense wrapper is the same code for every strategy"),
    ("stream_overlap", "structural", "switch", "_design.estimate_design", "1: io_stream layers overlap"),
    ("stream_pool_pad", "structural", "switch", "layers/pooling, layers/padding", "1 when pool/pad rows fit"),
    ("pool_lut_cmp", "fitted", "LUT per comparator", "layers/pooling",
     _VIV + " on io_stream max-pooling rows (calibration/pool_pad.py, NNLS)"),
    ("pool_lut_ctrl", "fitted", "LUT per layer", "layers/pooling", "as pool_lut_cmp"),
    ("pool_lb_ff", "structural", "switch", "layers/pooling", "1: the line buffer in registers"),
    ("pad_lut_chan", "fitted", "LUT per channel", "layers/padding", _VIV + " on io_stream padding rows (NNLS)"),
    ("pad_lut_loop", "fitted", "LUT per iterating loop", "layers/padding", "as pad_lut_chan"),
    ("pad_ff_state", "fitted", "x counter/state FF", "layers/padding", "as pad_lut_chan"),
    ("da_lut_per_digit_bit", "fitted", "LUT per signed digit x (input bits + 2)", "_da",
     "Yosys on 18 da4ml Dense layers (benchmarks/bench_opensynth_da.py)"),
    ("vsynth_lut", "fitted", "post-synthesis / csynth LUT", "_stage", _VS + " (median)"),
    ("vsynth_ff", "fitted", "post-synthesis / csynth FF", "_stage", _VS + " (median)"),
    ("vsynth_dsp", "fitted", "post-synthesis / csynth DSP", "_stage", _VS + " (median)"),
    ("vsynth_bram18k", "fitted", "post-synthesis / csynth BRAM18K", "_stage", _VS + " (median)"),
    ("vsynth_lut_resource", "marker", "ratio (-1: vsynth_lut)", "_stage", _VS),
    ("vsynth_ff_resource", "fitted", "post-synthesis / csynth FF of Resource designs", "_stage", _VS + " (median)"),
    ("vsynth_dsp_cap", "structural", "switch", "_stage.dsp_cap_terms", "1: DSPs beyond the part go to LUTs"),
    ("vsynth_rom_lut_depth", "structural", "ROM words", "_stage", "weight ROMs up to this depth become LUTs"),
    ("vsynth_pairs", "record", "design pairs", "-", "how many report pairs the vsynth ratios rest on"),
    ("vsynth_hls_lut_", "fitted", "HLS / model LUT per layer kind", "_stage",
     _VS.replace("design pairs", "layer rows") + " (median per kind)"),
    ("vsynth_hls_rows_", "record", "layer rows", "-", "how many rows vsynth_hls_lut_<kind> rests on"),
]
#: name -> :class:`Coefficient` (``vsynth_hls_lut_`` and ``vsynth_hls_rows_`` stand for their families).
SCHEMA = {name: Coefficient(name, kind, unit, where, fitted) for name, kind, unit, where, fitted in _E}


def coefficient_schema(name: str) -> Coefficient:
    """The schema entry of coefficient ``name`` (a family entry for ``vsynth_hls_lut_<kind>`` and
    ``vsynth_hls_rows_<kind>``); ``KeyError`` naming the known coefficients for an unknown one."""
    if name in SCHEMA:
        return SCHEMA[name]
    for prefix in ("vsynth_hls_lut_", "vsynth_hls_rows_"):
        if name.startswith(prefix):
            return SCHEMA[prefix]
    raise KeyError(f"coefficient {name!r} has no schema entry; known: {', '.join(sorted(SCHEMA))}")
