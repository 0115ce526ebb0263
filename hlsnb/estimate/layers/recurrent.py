"""SimpleRNN, LSTM, GRU and Bidirectional: one cell built once and run over the time steps
(``nnet_recurrent.h``: ``lstm_static`` / ``gru_static``): per step the kernel product (``n_in x gates*n_state``),
the recurrent product (``n_state x gates*n_state``), the gate activations from lookup tables and the element-wise
products of the cell state. Step t needs the state of step t-1, so the steps run one after another.

hls4ml's mult size gives ``n_in`` (features) and ``n_out`` (gates x state) of the layer; the state size is the
output's last axis (half of it for a Bidirectional layer with ``merge_mode='concat'``), the gates ``n_out`` over
the states.
"""

from __future__ import annotations

import math
from dataclasses import replace

from .._core import Terms, bram18k_for, dsp_per_product, latency_depth, mult_mapping, not_estimated, register
from .._kernel import matvec

#: Table lookups (activations) and element-wise products of one step, per state value, by gates.
_CELL = {4: (5, 3), 3: (3, 3), 1: (1, 0)}  # LSTM: 3 sigmoid + 2 tanh, f*c i*g o*tanh(c); GRU: 2 sigmoid + tanh


@register("recurrent")
def recurrent(inp, cal):
    if not inp.n_in or not inp.n_out:
        raise ValueError(f"layer {inp.name!r}: {inp.layer_type} needs n_in (features) and n_out (gates x state)")
    if not inp.output_shape:
        return not_estimated(inp.name, inp.layer_type, f"{inp.layer_type} needs output_shape (its state size) and "
                             "input_shape (time steps, features) to be estimated")
    directions = 2 if inp.layer_type == "Bidirectional" else 1
    state = int(inp.output_shape[-1]) // directions
    gates = inp.n_out // (state * directions) if state else 0
    if gates not in _CELL:
        raise ValueError(f"layer {inp.name!r}: {gates} gates per state value is not a SimpleRNN, GRU or LSTM cell")
    steps = int(inp.input_shape[0]) if len(inp.input_shape) >= 2 else 1
    acc = Terms()
    step_lat = 0
    ii_step = 1
    width = gates * state
    for d in range(directions):
        sfx = f"{'backward ' if d else ('forward ' if directions == 2 else '')}"
        w = inp.weights[:, d * width:(d + 1) * width] if inp.weights is not None else None
        kernel = replace(inp, n_in=inp.n_in, n_out=width, weights=w, n_zeros=0 if w is None else int((w == 0).sum()))
        lat_k, ii_k = matvec(acc, kernel, cal, inp.n_in, width, kernel.n_zeros, what=f"{sfx}kernel product")
        rec = replace(inp, n_in=state, n_out=width, weights=None, n_zeros=0)
        lat_r, ii_r = matvec(acc, rec, cal, state, width, 0, what=f"{sfx}recurrent product")
        step_lat = max(step_lat, max(lat_k, lat_r))
        ii_step = max(ii_step, ii_k, ii_r)
    lookups, products = _CELL[gates]
    n_lk = lookups * state * directions
    acc.add("bram18k", math.ceil(n_lk / 2) * bram18k_for(1024, 18),
            f"{n_lk} activation lookups per step (sigmoid/tanh, 1024-entry tables, one copy per 2 lookups)",
            "modelled")
    acc.add("lut", n_lk * inp.accum_bits * 2, "table index computation and range clipping", "modelled")
    n_p = products * state * directions
    if n_p:
        b = inp.result_bits
        on_dsp, why = mult_mapping(inp.mult_impl, b, b)
        if on_dsp:
            acc.add("dsp", n_p * dsp_per_product(b, b, inp.part), f"{n_p} element-wise cell products on DSPs ({why})",
                    "exact")
        else:
            acc.add("lut", n_p * b * b * cal["lut_gmul_per_bitprod"], f"{n_p} element-wise cell products in LUTs "
                    f"({why})", "modelled")
    acc.add("ff", (state * directions) * inp.result_bits * (2 if gates == 4 else 1),
            "state registers (h, and c for LSTM)", "exact")
    cell = 3 + latency_depth(1, True, inp.clock_ns, cal, inp.part.family)
    per_step = step_lat + cell + max(0, ii_step - 1)
    lat = steps * per_step
    acc.add("latency", lat, f"{steps} time steps one after another, each {per_step} cycles (products, table "
            "lookups, cell update)", "modelled")
    if inp.io_type == "io_stream":
        acc.add("latency", 1, "io_stream: read the sequence, write the result", "modelled")
        lat += 1
    return acc.finish(inp, lat, lat)
