"""From a Design and its Keras model to an hls4ml project, and the bit-accurate check of its C simulation.

``make_project`` converts with exactly the Design's settings (every precision explicit, so no ``auto`` result
before a softmax); ``check_csim`` compiles the C simulation (5-15 s for a small MLP; a library compiled before from the
same C++ is reused, :func:`hlsnb.csim.compile_csim`) and compares it with Keras.
When they disagree it converts a traced copy and names the first layer whose output departs from Keras, with
that layer's precision and the value range it can hold.
"""

from __future__ import annotations

import copy
import html
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..csim import compile_csim, trace_csim
from ..errors import InvalidSetting
from ..precision import parse_precision
from ..tcl import TCL_SPECIAL, check_part_number, tcl_word
from ..vocab import PLAIN_BACKEND

__all__ = ["make_project", "check_csim", "CsimCheck", "LayerTrace", "check_project_tcl"]


def make_project(design, model, output_dir="hlsnb_prj", project_name: str = "myproject", backend: str | None = None,
                 write: bool = True):
    """Convert ``model`` with ``design``'s settings into an hls4ml project and write it to ``output_dir``.

    Parameters
    ----------
    backend : {"Vivado", "Vitis", "VivadoAccelerator"}, optional
        Overrides ``design.backend`` (``Vivado``/``Vitis`` for an IP, ``VivadoAccelerator`` for a PYNQ bitstream).

    Returns the hls4ml ``ModelGraph`` (not compiled: call :func:`hlsnb.synth.compile_csim`, ``hls_model.compile()`` or
    :func:`check_csim`).

    Raises
    ------
    InvalidSetting
        Before conversion: a part number that is not one (it is written into Tcl), a ``project_name`` that is not a
        C identifier, an ``output_dir`` that is an existing file. After writing: a ``project.tcl`` that
        :func:`check_project_tcl` refuses.
    """
    check_part_number(design.part_number, "Design.part_number")
    if not isinstance(project_name, str) or not _C_IDENTIFIER.fullmatch(project_name):
        raise InvalidSetting(f"make_project: project_name must be a C identifier (letters, digits, _; not starting "
                             f"with a digit), as hls4ml names C functions after it; got {project_name!r}")
    if not isinstance(output_dir, (str, os.PathLike)) or Path(output_dir).is_file():
        raise InvalidSetting(f"make_project: output_dir must be a folder path (it may not exist yet); got "
                             f"{output_dir!r}")
    if backend is not None and backend != design.backend:
        design = design.copy()
        design.set_target(backend=backend)
    hls_model = design.convert(model, output_dir=str(output_dir), project_name=project_name)
    if write:
        hls_model.write()
        if design.backend == "VivadoAccelerator":
            fix_stream_widths(output_dir)
        check_project_tcl(output_dir)
    return hls_model


_C_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
# the forms of line hls4ml writes into project.tcl (and hlsnb's own comment)
_TCL_SET = re.compile(r"set\s+(\w+)\s+(.*)")
_TCL_BARE = re.compile(r"[A-Za-z0-9_.%+-]+")


def check_project_tcl(project_dir) -> str | None:
    """Check the ``project.tcl`` hls4ml wrote before any tool sources it; brace-quote its part; return the part.

    Vivado HLS and Vivado ``source`` this file: a value with ``[...]``, ``$`` or a backslash inside hls4ml's double
    quotes would be substituted, i.e. run. Every line must be one hls4ml writes (``variable X``, ``set X "text"``,
    ``set X {text}``, ``set X number``, a comment); the part must be a part number. The part line is rewritten as
    ``set part {<part>}`` (Tcl substitutes nothing in braces). Returns ``None`` when there is no ``project.tcl``.

    Raises :class:`InvalidSetting` naming the file, the line and what is wrong; the file is then left unchanged.
    """
    tcl = Path(project_dir) / "project.tcl"
    if not tcl.is_file():
        return None
    lines = tcl.read_text(errors="replace").splitlines()
    part = None
    for i, raw in enumerate(lines):
        line = raw.strip()
        if not line or line.startswith("#") or re.fullmatch(r"variable\s+\w+", line):
            continue
        m = _TCL_SET.fullmatch(line)
        if m is None:
            raise InvalidSetting(f"{tcl}:{i + 1}: {raw!r} is not a line hls4ml writes (variable/set/comment); "
                                 "refusing to let Vivado source it")
        name, value = m.groups()
        if len(value) >= 2 and value[0] + value[-1] in ('""', "{}"):
            text = value[1:-1]
            if any(c in TCL_SPECIAL for c in text):
                raise InvalidSetting(f"{tcl}:{i + 1}: the value of {name} ({text!r}) holds Tcl special characters "
                                     "([ ] $ \\ \" { } ;), which Vivado would substitute or run")
        elif _TCL_BARE.fullmatch(value):
            text = value
        else:
            raise InvalidSetting(f"{tcl}:{i + 1}: the value of {name} ({value!r}) is neither quoted text nor a number")
        if name == "part":
            part = check_part_number(text, f"{tcl}:{i + 1}: part")
            lines[i] = f"set part {tcl_word(part)}"
    new = "\n".join(lines) + "\n"
    if new != tcl.read_text(errors="replace"):
        tcl.write_text(new)
    return part


def fix_stream_widths(output_dir) -> tuple[int, int] | None:
    """Undo hls4ml 1.3's swapped AXI-stream widths in a VivadoAccelerator ``project.tcl``.

    hls4ml writes ``bit_width_hls_output`` = the input width and ``bit_width_hls_input`` = the output width; the
    board design then sizes the DMA's MM2S side for the output and S2MM for the input, which only works when both
    are equal (for the digits MLP they are 16x32 and 5x32 bits). Returns (input_bits, output_bits) after the fix,
    or None when there is nothing to fix. Says what it changed.
    """
    tcl = Path(output_dir) / "project.tcl"
    if not tcl.exists():
        return None
    text = tcl.read_text()
    m_out = re.search(r"^set bit_width_hls_output (\d+)$", text, re.M)
    m_in = re.search(r"^set bit_width_hls_input (\d+)$", text, re.M)
    if not (m_out and m_in) or "# hlsnb: stream widths fixed" in text:
        return None
    written_out, written_in = int(m_out.group(1)), int(m_in.group(1))
    # hls4ml wrote the input width under the output name and vice versa
    real_in, real_out = written_out, written_in
    text = text.replace(m_out.group(0), f"set bit_width_hls_output {real_out}")
    text = text.replace(m_in.group(0), f"set bit_width_hls_input {real_in}")
    text += "# hlsnb: stream widths fixed (hls4ml 1.3 swaps bit_width_hls_input and bit_width_hls_output)\n"
    tcl.write_text(text)
    if real_in != real_out:
        print(f"hlsnb: fixed hls4ml's swapped AXI-stream widths in {tcl}: input {real_in} bits, output {real_out} bits")
    return real_in, real_out


@dataclass
class LayerTrace:
    """How one layer's C-simulation output compares with Keras on the check data."""

    name: str
    keras_name: str | None
    precision: str | None  # the layer's result precision in the hls4ml model
    max_abs_diff: float
    rel_diff: float  # max |diff| / max |keras|
    keras_min: float
    keras_max: float
    range_min: float | None  # what the result precision can hold
    range_max: float | None
    input_precision: str | None = None  # result precision of the layer feeding this one

    @property
    def saturates(self) -> bool:
        return self.range_max is not None and (self.keras_max > self.range_max or self.keras_min < self.range_min)


@dataclass
class CsimCheck:
    """C simulation (hls4ml ``predict``) against Keras on the same rows. Accuracies are fractions 0..1."""

    n_samples: int
    keras_accuracy: float | None
    hls_accuracy: float | None
    argmax_agreement: float
    max_abs_diff: float
    passed: bool
    tolerance: dict
    trace: list[LayerTrace] = field(default_factory=list)
    first_divergent: LayerTrace | None = None
    advice: object = None  # hlsnb.advisor.Advice on a fail: the Keras value ranges against the model's types

    def summary(self) -> str:
        acc = ""
        if self.keras_accuracy is not None:
            acc = f"accuracy Keras {self.keras_accuracy:.3f}, C simulation {self.hls_accuracy:.3f}; "
        s = (f"C simulation vs Keras on {self.n_samples} samples: {acc}argmax agreement {self.argmax_agreement:.1%}, "
             f"max |diff| {self.max_abs_diff:.4g} -> {'PASS' if self.passed else 'FAIL'}")
        f = self.first_divergent
        if f is not None:
            s += (f"\nfirst layer to diverge: {f.name} (result precision {f.precision}): "
                  f"max |diff| {f.max_abs_diff:.4g}"
                  f" ({f.rel_diff:.1%} of its Keras range)")
            if f.saturates:
                s += (f"; Keras values span [{f.keras_min:.3g}, {f.keras_max:.3g}] but {f.precision} holds only "
                      f"[{f.range_min:.3g}, {f.range_max:.3g}]: add integer bits")
            elif "softmax" in f.name.lower():
                s += (f"; its input precision {f.input_precision} is too wide for hls4ml's softmax lookup tables: "
                      "give the layer before it an explicit result precision such as ap_fixed<16,6>")
            else:
                s += "; values fit its range: add fractional bits (or check its accumulator precision)"
        elif not self.passed and not self.trace:
            s += "\n(no per-layer trace: pass trace=True)"
        if self.advice is not None and self.advice.findings:
            s += "\nwhy (precision advisor, Keras value ranges against the C types):" + "".join(
                f"\n  [{f.severity}] {f.layer}: {f.message}" for f in self.advice.findings)
        return s

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(self.summary()) + "</pre>"


def _labels(y):
    if y is None:
        return None
    y = np.asarray(y)
    return y.argmax(axis=1) if y.ndim == 2 else y.astype(int)


def check_csim(hls_model, model, X, y=None, *, min_agreement: float = 0.98, atol: float | None = None,
               rtol: float = 0.05, trace: bool = True, compile: bool = True, trace_dir=None) -> CsimCheck:
    """Compile the C simulation and compare it with Keras on ``X``.

    Parameters
    ----------
    hls_model : hls4ml ModelGraph (from :func:`make_project`)
    model : the Keras model
    X, y : check data; ``y`` (labels or one-hot) adds the accuracy of both
    min_agreement : fraction of rows whose argmax must agree for a pass
    atol : optional max |C-sim - Keras| on the outputs for a pass (default: not checked)
    rtol : a layer diverges when max |diff| exceeds this fraction of its Keras output range
    trace : on a fail, convert and compile a traced copy (another 5-7 s) and name the first diverging layer
    """
    X = np.ascontiguousarray(np.asarray(X, dtype=np.float32))
    if compile:
        compile_csim(hls_model)  # hls_model.compile(), the library reused when the generated C++ is unchanged
    k_out = np.asarray(model.predict(X, verbose=0), dtype=np.float64)
    h_out = np.asarray(hls_model.predict(X), dtype=np.float64).reshape(k_out.shape)
    labels = _labels(y)
    agree = float(np.mean(k_out.argmax(1) == h_out.argmax(1)))
    diff = float(np.max(np.abs(k_out - h_out)))
    passed = agree >= min_agreement and (atol is None or diff <= atol)
    check = CsimCheck(
        n_samples=len(X),
        keras_accuracy=None if labels is None else float(np.mean(k_out.argmax(1) == labels)),
        hls_accuracy=None if labels is None else float(np.mean(h_out.argmax(1) == labels)),
        argmax_agreement=agree,
        max_abs_diff=diff,
        passed=passed,
        tolerance=dict(min_agreement=min_agreement, atol=atol, rtol=rtol),
    )
    if not passed and trace:
        check.trace = trace_layers(hls_model, model, X[: min(len(X), 200)], output_dir=trace_dir)
        check.first_divergent = next((t for t in check.trace if t.rel_diff > rtol), None)
    if not passed:
        from ..advisor import advise_hls_model  # traces Keras only; no compile

        check.advice = advise_hls_model(hls_model, model, X)
    return check


def _range_of(precision: str | None):
    if not precision:
        return None, None
    try:
        t = parse_precision(precision)
    except ValueError:
        return None, None
    frac = t.width - t.integer
    if t.signed:
        return -(2.0 ** (t.integer - 1)), 2.0 ** (t.integer - 1) - 2.0**-frac
    return 0.0, 2.0**t.integer - 2.0**-frac


def _keras_outputs(model, X) -> dict[str, np.ndarray]:
    """Every Keras layer's output on X, plus the pre-activation of Dense layers (hls4ml splits those in two)."""
    import keras

    layers = [l for l in model.layers if l.__class__.__name__ != "InputLayer"]
    probe = keras.Model(model.inputs, [l.output for l in layers])
    outs = probe.predict(X, verbose=0)
    outs = outs if isinstance(outs, list) else [outs]
    res = {}
    prev = X
    for l, o in zip(layers, outs):
        res[l.name] = np.asarray(o, dtype=np.float64)
        act = getattr(getattr(l, "activation", None), "__name__", "linear")
        if l.__class__.__name__ == "Dense" and act != "linear":
            w, b = (np.asarray(v) for v in l.get_weights()[:2]) if l.use_bias else (np.asarray(l.get_weights()[0]), 0)
            res[l.name + ":linear"] = np.asarray(prev, dtype=np.float64).reshape(len(X), -1) @ w + b
            res[l.name + ":act"] = res[l.name]
        prev = o
    return res


def trace_layers(hls_model, model, X, output_dir=None) -> list[LayerTrace]:
    """Per-layer C simulation vs Keras, in hls4ml's layer order, from a traced copy of ``hls_model``."""
    import hls4ml

    cfg = hls_model.config
    hls_config = copy.deepcopy(cfg.config["HLSConfig"])
    for entry in hls_config.get("LayerName", {}).values():
        entry["Trace"] = True
    out_dir = Path(output_dir or (str(cfg.get_output_dir()) + "_trace"))
    # the traced copy is for numbers only: the Vivado backend's C simulation equals VivadoAccelerator's
    traced = hls4ml.converters.convert_from_keras_model(
        model,
        hls_config=hls_config,
        output_dir=str(out_dir),
        project_name=cfg.get_project_name(),
        backend=PLAIN_BACKEND.get(cfg.get_config_value("Backend"), cfg.get_config_value("Backend")),
        part=cfg.get_config_value("Part"),
        clock_period=cfg.get_config_value("ClockPeriod"),
        io_type=cfg.get_config_value("IOType"),
    )
    _, h_trace, _ = trace_csim(traced, np.ascontiguousarray(X))  # compiled once, through the C-simulation cache
    k = _keras_outputs(model, X)
    rows = []
    for layer in traced.get_layers():
        name = layer.name
        if name not in h_trace:
            continue
        kname = None
        if name + ":linear" in k:
            kname = name + ":linear"
        elif name in k:
            kname = name
        else:
            base = next((n for n in k if ":" not in n and name.startswith(n + "_")), None)
            if base is not None:
                kname = base
        if kname is None:
            continue
        kv = k[kname].reshape(len(X), -1)
        hv = np.asarray(h_trace[name], dtype=np.float64).reshape(len(X), -1)
        if kv.shape != hv.shape:
            continue
        prec = None
        try:
            prec = str(layer.get_output_variable().type.precision)
        except Exception:  # noqa: BLE001  a layer without an output variable (hls4ml raises several kinds)
            prec = None
        d = float(np.max(np.abs(kv - hv)))
        scale = float(np.max(np.abs(kv))) or 1.0
        lo, hi = _range_of(_as_ap(prec))
        rows.append(LayerTrace(name, kname.split(":")[0], _as_ap(prec), d, d / scale, float(kv.min()), float(kv.max()),
                               lo, hi, rows[-1].precision if rows else None))
    return rows


def _as_ap(p: str | None) -> str | None:
    """hls4ml prints FixedPrecisionType as 'fixed<16,6>'; say it the way the Design does ('ap_fixed<16,6>')."""
    if p is None:
        return None
    s = str(p).replace(" ", "")
    if s.startswith(("fixed<", "ufixed<", "int<", "uint<")):
        s = "ap_" + s
    return s
