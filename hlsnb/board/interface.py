"""What the bitstream's AXI stream expects: shapes and the word type on each side."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field

import numpy as np

from ..precision import parse_precision
from .fixed import decode_fixed, encode_fixed, raw_dtype

__all__ = ["StreamInterface", "WordType", "DEFAULT_DMA"]

# hls4ml's VivadoAccelerator pynq-z2 design groups the DMA and the IP into hier_0 (axi_stream_design.tcl).
DEFAULT_DMA = "hier_0/axi_dma_0"


class WordType:
    """One stream word: ``float`` (32 bit), ``double`` (64 bit) or an HLS fixed-point type."""

    def __init__(self, text: str):
        self.text = str(text).strip()
        if self.text in ("float", "double"):
            self.fixed = None
            self.dtype = np.dtype(np.float32 if self.text == "float" else np.float64)
        else:
            self.fixed = parse_precision(self.text)
            self.dtype = raw_dtype(self.fixed)
            self.text = str(self.fixed)

    @property
    def bits(self) -> int:
        """Width of one stream word in bits (what the DMA's AXIS tdata width must be)."""
        return self.dtype.itemsize * 8

    def encode(self, values: np.ndarray, what: str) -> tuple[np.ndarray, int]:
        """Words for ``values`` and how many values overflowed the type (saturated/wrapped/inf).

        Policy for values a type cannot hold: NaN always raises ``ValueError``. On a ``float``/``double`` stream
        an infinity also raises (the network would compute inf/NaN from it), while a finite value beyond float32's
        range is counted as an overflow (it becomes inf; ``predict`` warns). On an ``ap_fixed`` stream an infinity
        saturates like any out-of-range value with AP_SAT (counted, warned) and raises with AP_WRAP.
        """
        if self.fixed is not None:
            return encode_fixed(values, self.fixed, what=what)
        x = np.asarray(values, dtype=np.float64)
        nan = np.isnan(x)
        if nan.any():
            first = np.unravel_index(int(np.argmax(nan)), x.shape)
            raise ValueError(
                f"{int(nan.sum())} {what} value(s) are NaN (first at index {tuple(int(i) for i in first)}); "
                "the network would propagate garbage: clean the data first"
            )
        inf = np.isinf(x)
        if inf.any():
            first = np.unravel_index(int(np.argmax(inf)), x.shape)
            raise ValueError(
                f"{int(inf.sum())} {what} value(s) are infinite (first at index {tuple(int(i) for i in first)}); "
                f"a {self.text} stream would carry them into the network as inf: clean the data first"
            )
        finite = np.isfinite(x)
        n_over = int((finite & (np.abs(x) > np.finfo(self.dtype).max)).sum())
        with np.errstate(over="ignore"):  # counted above, and predict warns once with the count
            return x.astype(self.dtype), n_over

    def decode(self, words: np.ndarray) -> np.ndarray:
        """Real values of ``words`` as a new array (float32 for a float stream, else float64)."""
        if self.fixed is not None:
            return decode_fixed(words, self.fixed)
        return np.array(words, dtype=self.dtype, copy=True)

    def __repr__(self) -> str:
        return f"WordType({self.text!r})"


@dataclass
class StreamInterface:
    """The accelerator's stream interface, as hls4ml's VivadoAccelerator backend builds it.

    Parameters
    ----------
    input_shape, output_shape : one sample, without the batch dimension (e.g. ``(16,)`` and ``(5,)``).
    input_type, output_type : ``"float"``, ``"double"`` or the stream's ``ap_fixed<W,I,...>`` (hls4ml's
        ``AcceleratorConfig.Precision``, with W already rounded up to a multiple of 8).
    project_name : hls4ml ``ProjectName``; names the C simulation entry points (``<name>_double``).
    model_input_precision, model_output_precision : the network's own first/last types (information only).
    dma : the DMA's path in the block design.
    """

    input_shape: tuple
    output_shape: tuple
    input_type: str = "float"
    output_type: str = "float"
    project_name: str = "myproject"
    model_input_precision: "str | None" = None
    model_output_precision: "str | None" = None
    dma: str = DEFAULT_DMA
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        self.input_shape = _shape(self.input_shape, "input_shape")
        self.output_shape = _shape(self.output_shape, "output_shape")
        self.input_word = WordType(self.input_type)
        self.output_word = WordType(self.output_type)
        self.input_type = self.input_word.text
        self.output_type = self.output_word.text

    @property
    def n_in(self) -> int:
        """Stream words per sample going in."""
        return math.prod(self.input_shape)

    @property
    def n_out(self) -> int:
        """Stream words per sample coming out."""
        return math.prod(self.output_shape)

    @property
    def input_bytes_per_sample(self) -> int:
        return self.n_in * self.input_word.dtype.itemsize

    @property
    def output_bytes_per_sample(self) -> int:
        return self.n_out * self.output_word.dtype.itemsize

    def to_dict(self) -> dict:
        d = asdict(self)
        d["input_shape"] = list(self.input_shape)
        d["output_shape"] = list(self.output_shape)
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1)

    @classmethod
    def from_dict(cls, d: dict) -> "StreamInterface":
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    @classmethod
    def from_hls4ml(cls, hls_model) -> "StreamInterface":
        """Read the interface off a converted hls4ml model (duck-typed: hls4ml is not imported here).

        Uses ``AcceleratorConfig.Precision`` when the model was converted for VivadoAccelerator, else a
        float interface (what the C simulation's ``_float`` entry point takes).
        """
        inp = hls_model.get_input_variables()[0]
        out = hls_model.get_output_variables()[0]
        cfg = hls_model.config.config
        prec = (cfg.get("AcceleratorConfig") or {}).get("Precision") or {}

        def stream_type(text):
            if text is None or str(text) in ("float", "double"):
                return str(text or "float")
            t = parse_precision(str(text).replace(" ", ""))
            w = -(-t.width // 8) * 8  # hls4ml's _next_factor8_type
            return str(type(t)(w, t.integer, t.signed, t.rounding, t.saturation, t.is_int))

        return cls(
            input_shape=tuple(int(s) for s in inp.shape),
            output_shape=tuple(int(s) for s in out.shape),
            input_type=stream_type(prec.get("Input")),
            output_type=stream_type(prec.get("Output")),
            project_name=hls_model.config.get_project_name(),
            model_input_precision=_precision_text(inp),
            model_output_precision=_precision_text(out),
        )


def _precision_text(var) -> "str | None":
    try:
        return str(var.type.precision.definition_cpp())
    except (AttributeError, TypeError):  # information only; the variable API differs between hls4ml versions
        return None


def _shape(s, what: str) -> tuple:
    if isinstance(s, (int, np.integer)):
        s = (int(s),)
    try:
        t = tuple(int(v) for v in s)
    except TypeError:
        raise ValueError(f"{what} must be a tuple of positive ints; got {s!r}") from None
    if not t or any(v < 1 for v in t):
        raise ValueError(f"{what} must be a non-empty tuple of positive ints; got {s!r}")
    return t
