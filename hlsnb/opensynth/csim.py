"""The RTL against hls4ml's C simulation of the same distributed-arithmetic design, bit for bit.

hls4ml (>= 1.2) builds a ``distributed_arithmetic`` Dense layer with da4ml too: it traces ``input @ kernel + bias``
and writes the adder graph as HLS C++, which its C simulation runs. Converting the model the RTL computes
(:func:`~hlsnb.opensynth.rtl.quantised_model`: weights at the Design's weight precision, cut before a softmax the
RTL leaves out) with the Design's settings therefore gives the C simulation of the same logic, and every output
must agree exactly.

What is compared: the raw outputs of the last layer the RTL holds (values of its result precision, so a difference
is a whole number of LSBs), on the check data cast to the input precision first (an ``ap_fixed`` cast: the same
bits reach both). hls4ml's own pass quantises nothing but the results: converting the user's float model directly
would give an adder graph of the exact float32 weights (larger, and not the Design's weight precision).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import numpy as np

from ..csim import compile_csim
from ..errors import InvalidSetting
from ..precision import parse_precision
from .rtl import quantise, quantised_model

__all__ = ["BitExactCheck", "csim_model", "compare_bits", "cast_inputs"]


def csim_model(trace, model, output_dir, *, project_name: str = "da_csim", compile: bool = True):
    """hls4ml's C simulation of the logic in ``trace`` (a :class:`~hlsnb.opensynth.rtl.DATrace` of a Design).

    Converts :func:`~hlsnb.opensynth.rtl.quantised_model` with the Design's settings (every Dense on
    ``distributed_arithmetic``, RF 1) into ``output_dir`` and compiles it (10-30 s for a small MLP).
    """
    design = trace.design
    if design is None:
        raise InvalidSetting("the C-simulation check needs the Design the RTL was traced from (an HGQ2 trace has "
                             "none: compare it with hls4ml's conversion of the HGQ2 model)")
    import hls4ml

    sub = quantised_model(trace, model)
    # Design.convert insists on the Design's own model; this one is cut before the softmax the RTL leaves out, so
    # the Design's settings go in directly, without the left-out layers
    kwargs = design.hls4ml_kwargs(str(output_dir), project_name)
    names = kwargs["hls_config"].get("LayerName", {})
    for name in trace.omitted:
        names.pop(name, None)
    hls_model = hls4ml.converters.convert_from_keras_model(sub, **kwargs)
    strategies = {ly.name: ly.get_attr("strategy") for ly in hls_model.get_layers() if ly.class_name == "Dense"}
    not_da = sorted(n for n, s in strategies.items() if str(s).lower() != "distributed_arithmetic")
    if not_da:
        raise InvalidSetting(f"hls4ml converted {not_da} with another strategy than distributed_arithmetic "
                             f"({strategies}); the C simulation would not be the RTL's logic")
    if compile:
        compile_csim(hls_model)  # hls_model.compile(), the library reused when the generated C++ is unchanged
    return hls_model


@dataclass
class BitExactCheck:
    """Two fixed-point implementations of the same logic on the same input bits: must be identical."""

    what: str  # "Verilator RTL vs hls4ml C simulation"
    compared: str  # which values, of which type
    n_samples: int
    n_outputs: int
    mismatches: int
    max_lsb: float  # max |a - b| in LSBs of the output type
    first: list = field(default_factory=list)  # up to 5 (row, output, a, b)

    @property
    def passed(self) -> bool:
        return self.mismatches == 0

    def summary(self) -> str:
        s = (f"{self.what}: {self.compared} on {self.n_samples} samples: {self.mismatches} mismatches in "
             f"{self.n_outputs} outputs, max |diff| {self.max_lsb:g} LSB"
             f"{' (bit-exact)' if self.passed else ''}")
        for r, c, a, b in self.first:
            s += f"\n  sample {r}, output {c}: {a!r} vs {b!r}"
        return s

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(self.summary()) + "</pre>"


def compare_bits(a, b, precision: str, what: str, compared: str) -> BitExactCheck:
    """Compare two output arrays of ``precision`` values exactly; report mismatches in LSBs of that type."""
    a, b = (np.asarray(v, dtype=np.float64).reshape(len(v), -1) for v in (a, b))
    if a.shape != b.shape:
        raise ValueError(f"{what}: outputs of shape {a.shape} and {b.shape} cannot be compared")
    diff = np.abs(a - b) / parse_precision(precision).lsb
    bad = np.argwhere(diff > 0)
    return BitExactCheck(what=what, compared=compared, n_samples=len(a), n_outputs=int(a.size),
                         mismatches=int(len(bad)), max_lsb=float(diff.max()) if diff.size else 0.0,
                         first=[(int(r), int(c), float(a[r, c]), float(b[r, c])) for r, c in bad[:5]])


def cast_inputs(X, precision: str) -> np.ndarray:
    """``X`` cast to the input precision as float32 (exact: the C simulation's own cast then changes nothing)."""
    return np.ascontiguousarray(quantise(X, precision, "input").astype(np.float32))
