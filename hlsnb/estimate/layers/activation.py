"""Activations: ReLU-like (compare and select, fitted LUTs per bit) and lookup-table ones (sigmoid, tanh, ...);
``Activation(softmax)`` is costed by the softmax family."""

from __future__ import annotations

import math

from .._core import Terms, bram18k_for, prod, register, unknown
from .softmax import softmax

#: Activations built from comparisons and selects.
SIMPLE = frozenset({"relu", "linear", "leaky_relu", "leakyrelu", "relu6", "thresholdedrelu", "prelu", "elu", "selu",
                    "hard_sigmoid", "hard_tanh", "binary", "ternary", "softsign", "quantized_relu"})
#: Activations hls4ml computes with a lookup table.
TABLE = frozenset({"sigmoid", "tanh", "softplus", "exp", "gelu", "swish", "silu"})


def narrows(inp) -> bool:
    """The result type is narrower than the input and rounds or saturates: each value then pays a quantizing cast
    (``act_lut_quant``) and its select is as wide as the result (``act_sel_result``)."""
    return inp.result_bits < inp.input_bits and (inp.result_rounding != "AP_TRN" or inp.result_saturation != "AP_WRAP")


@register("activation")
def activation(inp, cal):
    act, lt = inp.activation, inp.layer_type
    # the parametrised types (LeakyReLU, ELU, ...) and the ReLU class are compare-and-select whatever they are called
    if act in SIMPLE or not act or lt != "Activation":
        return _simple(inp, cal)
    if act in TABLE:
        return _table(inp, cal)
    if act == "softmax":
        return softmax(inp, cal)
    return unknown(inp)


def _size(inp) -> int:
    """Values computed in parallel: the whole tensor with io_parallel; with io_stream one pixel (``n_chan``
    values per pipelined iteration, as hls4ml's stream kernels are written)."""
    if inp.io_type == "io_stream" and len(inp.output_shape) > 1:
        return int(inp.output_shape[-1])
    return int(inp.n_out or inp.n_in or prod(inp.output_shape) or 0)


def _simple(inp, C):
    n, act, in_bits = _size(inp), inp.activation, inp.input_bits
    if not n:
        raise ValueError(f"layer {inp.name!r}: activation needs n_in or output_shape")
    acc = Terms()
    kind_word = act or inp.layer_type.lower()
    quant = narrows(inp)
    stream = inp.io_type == "io_stream"
    if act == "linear" and C["act_lin_lut_per_bit"] >= 0:
        # hls4ml's linear activation is a copy into the result type: no compare and select, priced per result bit
        # (Duchstf's io_parallel linear layers: ~0.6 LUT and 1 FF per result bit where a ReLU costs 1.75 LUT per
        # input bit and 0 FF; mgrailoo's 8-bit inputs into 16-bit results ~0.6 LUT per result bit too)
        out_bits = inp.result_bits
        if not quant:
            acc.add("lut", C["act_lin_lut_per_bit"] * n * out_bits, f"linear: copy of {n} values into the "
                    f"{out_bits}-bit result type (no compare and select)", "modelled")
        if not stream and not inp.dataflow and C["act_lin_ff_per_bit"]:
            acc.add("ff", C["act_lin_ff_per_bit"] * n * out_bits, f"linear: registers of the {n} copied values x "
                    f"{out_bits} bits", "modelled")
    else:
        # the select feeds the rounding/saturating cast: Vivado/Vitis HLS build it as wide as the result type, not
        # the input (act_sel_result, structural; Berk-Bilgin's 24/28-bit inputs into 16 bits cost 40-50 LUT per
        # value less than an input-wide select)
        sel = inp.result_bits if quant and C["act_sel_result"] >= 0.5 else in_bits
        acc.add("lut", C["act_lut_per_bit"] * n * sel, f"{kind_word}: compare and select on {n} values x "
                f"{sel} bits" + (" (the select is as wide as the result type)" if sel < in_bits else ""),
                "modelled")
    if stream and (C["act_stream_lut_per_bit"] or C["act_stream_lut"]):
        # the stream kernel reads one data word of n values, computes and writes the next word: priced per bit read
        # and written, plus the loop control per layer (fitted on io_stream ReLU/linear rows that do not narrow)
        moved = n * (in_bits + inp.result_bits)
        acc.add("lut", C["act_stream_lut_per_bit"] * moved + C["act_stream_lut"],
                f"io_stream: read of a {n} x {in_bits}-bit data word, write of a {n} x {inp.result_bits}-bit one, "
                "and the loop control", "modelled")
    if C["act_lut_quant"] and quant:
        # a narrower result type that rounds or saturates (quantized_relu: AP_RND_CONV, AP_SAT): every value is
        # rounded (an adder of the result width over the dropped fraction bits) and saturated (a range compare over
        # the dropped integer bits and a select), fitted per value and tool. The reports show no such cost when the
        # result is as wide as the input (16 -> 16 bits AP_RND, AP_SAT)
        acc.add("lut", C["act_lut_quant"] * n, f"result type {inp.result_bits} bits, {inp.result_rounding}, "
                f"{inp.result_saturation}: round and saturate {n} values", "modelled")
    lat = int(round(C["act_latency"]))
    acc.add("ff", C["act_ff_per_bit"] * n * in_bits, f"output registers ({n} x {in_bits} bits)", "modelled")
    if not stream and inp.dataflow and C["act_dataflow_regs"] >= 0.5:
        # a process of a DATAFLOW top registers its outputs, less a ReLU's always-zero sign bit, plus its two
        # ap_done/ap_ready state bits: exact on 28 of the 31 io_parallel ReLU/linear rows of DATAFLOW designs
        # (mgrailoo, Duchstf, nicologhielmetti: "_U0" instances); inlined into a PIPELINE top they report 0 FF
        kept = inp.result_bits - (1 if act != "linear" and inp.result_signed else 0)
        acc.add("ff", n * kept + 2, f"DATAFLOW process: its {n} outputs registered ({kept} bits each"
                + (", the sign bit a ReLU zeroes dropped" if kept < inp.result_bits else "") + ") and 2 state bits",
                "modelled")
    if stream:
        out_shape = inp.output_shape
        px = prod(out_shape[:-1]) if len(out_shape) > 1 else 1
        if C["act_stream_ctrl_ff"] >= 0.5:
            # the word loop's counter and the pipeline's state (8 bits), 3 without a loop (one word); data words are
            # registered too at some clocks, not modelled (pominiq's same layer reports 18 or 84 FF across builds)
            ctrl = 8 + math.ceil(math.log2(px + 1)) if px > 1 else 3
            acc.add("ff", ctrl, f"io_stream: the {px}-word loop counter and pipeline state" if px > 1 else
                    "io_stream: one word, no loop: the function's state", "modelled")
        acc.add("latency", px + 1, f"io_stream: {px} pixels, one per cycle", "exact")
        return acc.finish(inp, px + 1 + lat, px + 1)
    acc.add("latency", lat, "activation pipeline stage", "modelled")
    return acc.finish(inp, lat, 1)


def _table(inp, C):
    n, act = _size(inp), inp.activation
    acc = Terms()
    brams = math.ceil(n / 2) * bram18k_for(1024, 18)
    acc.add("bram18k", brams, f"{act}: 1024-entry lookup table, one copy per 2 parallel lookups ({n} values, "
            "dual-port BRAM)", "modelled")
    # the index: the input scaled to the table (a constant product), offset, and clipped at both ends, per value
    # (fitted per tool: Vivado HLS ~150 LUT per 16-bit value, Duchstf's, thaarres' and pominiq's sigmoid and tanh)
    acc.add("lut", C["act_table_lut_per_bit"] * n * inp.input_bits,
            f"table index computation and range clipping ({n} values x {inp.input_bits} bits)", "modelled")
    acc.add("ff", n * inp.result_bits, "output registers", "modelled")
    acc.add("latency", 3, "table read (2 cycles) and clip", "modelled")
    return acc.finish(inp, 3, 1)
