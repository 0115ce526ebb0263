"""The estimator's coefficients as one immutable value, and which one estimates use when given none.

A :class:`Calibration` is passed to the estimator (``estimate_layer(..., calibration=c)``,
``estimate_design(d, calibration=c)``); caches of estimates are keyed on it, so two calibrations can be used side by
side and nothing is swapped in and out of a module. Files are read only when asked to (:meth:`Calibration.shipped`,
:meth:`Calibration.load`) or when an estimate needs the default (:func:`default_calibration`): the user's saved
refit if there is one, else the shipped coefficients. Where the refit lives is a documented setting:
``$HLSNB_COEFFICIENTS`` if set, else ``coefficients.json`` in the platform's config folder (platformdirs:
``~/.config/hlsnb`` on Linux); it is looked up at every estimate (a
``stat``), so saving or deleting it takes effect at once, and the file is read again only when its modification time
or size changes.

The value lives here, beside the estimator that takes it; :mod:`hlsnb.calibration` (fitting, evaluation, saving the
refit) builds on it and exports it as ``hlsnb.calibration.Calibration``.
"""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from .. import vocab

__all__ = ["Calibration", "SHIPPED_PATH", "USER_SOURCE", "TOOLS", "TOOL_DEFAULTS", "overlay", "user_calibration_path",
           "saved_calibration", "default_calibration"]

#: The coefficients shipped with hlsnb (written by ``python -m hlsnb.calibration``).
SHIPPED_PATH = Path(__file__).with_name("coefficients.json")
#: The ``source`` of a refit on the user's own builds.
USER_SOURCE = "your builds"
#: The HLS tools a calibration can hold a block of coefficients for (``coefficients["per_tool"][tool]``).
TOOLS = vocab.TOOLS
#: Values of the tool-aware coefficients (issue 12) when neither the shared coefficients nor the tool's block
#: give one. They switch every tool-aware term off, so a calibration without a ``per_tool`` block estimates as
#: the Vitis-only fit did. What each one means is in docs/estimator.md ("Tool-aware coefficients"); -1 means
#: "use the shared term instead".
TOOL_DEFAULTS = MappingProxyType({
    "dsp_postadd": 1.0, "ii_share": -1.0, "ii_share_pruned": 0.0, "lat0_levels": 0.0,
    "res_dsp_wide": 99.0, "res_mux_scale": -1.0, "res_ff_scale": 1.0, "res_lat_c": -1.0, "res_px_c": -1.0,
    "res_stream_lut": 0.0, "wsel_form": 0.0, "lut_wsel_per_bit": 0.0, "lut_wsel_chain_per_bit": 0.0,
    "stream_dense_lat": 0.0, "res_in_mux_rf": 0.0, "res_inmux_lut": 0.0, "res_layer_lut": 0.0,
    "res_wsel_ff": 0.0, "res_leq_ff": -1.0, "res_e1_ff": 0.0,
    "res_stream_ff": 0.0, "ff_shared_prod": 0.0, "ff_held_all": 0.0, "ff_growth": 0.0, "stream_conv_all": 0.0,
    "stream_dense_all": 0.0, "stream_overlap": 0.0, "pool_lb_ff": 0.0,
    "vsynth_lut": 1.0, "vsynth_ff": 1.0, "vsynth_dsp": 1.0, "vsynth_bram18k": 1.0,
    "vsynth_lut_resource": -1.0, "vsynth_ff_resource": -1.0, "vsynth_dsp_cap": 0.0,
    "vsynth_rom_lut_depth": 0.0, "vsynth_pairs": 0.0,
    # io_stream pooling and zero padding as Vivado HLS prices them (estimate/layers/pooling.py, padding.py); the
    # switch 0 keeps the per-bit model
    "stream_pool_pad": 0.0, "pool_lut_cmp": 0.0, "pool_lut_ctrl": 0.0, "pad_lut_chan": 0.0, "pad_lut_loop": 0.0,
    "pad_ff_state": 0.0,
    # quantized and pruned models (issue 23, 28): LUTs per value of an activation whose result type rounds or
    # saturates; the input width from which a constant product that stays a multiplication goes to a DSP (0: hls4ml's
    # "both >= 9 bits"); register bits per bit of a shift/shift-add constant product held at II > 1 (Latency);
    "act_lut_quant": 0.0, "const_dsp_in_bits": 0.0, "ff_const_held": 0.0,
    # Latency adder trees sized by operand range growth (product bits + 1 a level, capped by accum_t) (issue 23)
    "add_growth": 0.0,
    # ... with each constant product as wide as the input plus its constant's magnitude (0: plus the weight type)
    "const_width": 0.0,
    # the compare-and-select of an activation with a rounding/saturating narrower result is as wide as the result
    "act_sel_result": 0.0,
    # a rounding/saturating accum_t: one quantized cast per product, one more per saturating add (issue 23)
    "acc_quant": 0.0,
    # activations as Vivado HLS builds them (issue 23): a linear activation is a copy (no compare and select), priced
    # per result bit in LUT and FF (-1: priced as a ReLU); a lookup-table activation's index computation per input
    # bit (2: the first model); an io_stream activation's stream read/write per bit read or written and its loop
    # control per layer (0: the io_parallel model)
    "act_lin_lut_per_bit": -1.0, "act_lin_ff_per_bit": 0.0, "act_table_lut_per_bit": 2.0,
    "act_stream_lut_per_bit": 0.0, "act_stream_lut": 0.0,
    # the softmax exp ROM copied per two parallel lookups (dual-port BRAM) plus the 1/sum ROM (Vivado HLS), not one
    # copy per lookup (Vitis HLS 2021.1, ArgyKokk)
    "softmax_rom_dual": 0.0,
    # registers of activations (Vivado HLS): an io_parallel one inside a DATAFLOW top registers its outputs; an
    # io_stream one its word counter and pipeline state (0: neither)
    "act_dataflow_regs": 0.0, "act_stream_ctrl_ff": 0.0,
    # the cycles an io_stream softmax adds to the latency line where a word shares its multipliers (0: none)
    "softmax_stream_lat": 0.0,
    # operation delays on UltraScale+ relative to the 7-series parts they were fitted on (1: no difference)
    "t_scale_usp": 1.0,
    # distributed_arithmetic, fitted on Yosys (hlsnb/estimate/_da.py; benchmarks/results/opensynth_da.json)
    "da_lut_per_digit_bit": 0.5867,
})


def overlay(base: Mapping, given: Mapping) -> dict:
    """``base`` coefficients with ``given`` ones on top, as a plain dict.

    A shared coefficient that ``given`` changes wins for every tool: it is taken out of ``base``'s ``per_tool``
    blocks (``replace(lut_add_per_bit=3.0)``, or a refit of the shared coefficients on your builds, means that value
    whatever the tool). A ``per_tool`` entry ``given`` changes is set in that tool's block; entries equal to
    ``base``'s change nothing (a saved file repeats the shipped blocks).
    """
    base_blocks = base.get("per_tool") or {}
    changed = {k for k, v in given.items() if k != "per_tool" and base.get(k) != v}
    out = dict(base)
    out.update((k, v) for k, v in given.items() if k != "per_tool")
    blocks = {t: {k: v for k, v in b.items() if k not in changed} for t, b in base_blocks.items()}
    for t, b in (given.get("per_tool") or {}).items():
        mine = blocks.setdefault(t, {})
        mine.update((k, v) for k, v in b.items() if (base_blocks.get(t) or {}).get(k) != v)
    if blocks:
        out["per_tool"] = blocks
    return out


def _frozen(v):
    """A hashable copy of a coefficient value (the ``per_tool`` block is a mapping of mappings)."""
    if isinstance(v, Mapping):
        return tuple(sorted((k, _frozen(x)) for k, x in v.items()))
    return v


@dataclass(frozen=True, eq=False)
class Calibration:
    """Fitted coefficients of the estimator's ``modelled`` terms, read-only.

    ``coefficients``: name -> value (a read-only mapping; ``_comment`` says what they were fitted on).
    ``source``: ``"shipped"`` (fitted on the calibration reports shipped with hlsnb) or ``"your builds"`` (a refit
    on the user's reports, :func:`hlsnb.synth.recalibrate`); any other word for a fit made in code.
    ``path``: the file they were read from (``None`` for the shipped file and for values built in code).
    ``coefficients["per_tool"]`` (optional): ``{tool: {name: value}}``, coefficients that differ between Vivado HLS
    and Vitis HLS; :meth:`for_tool` merges them over the shared ones, and the estimator reads that merged value.
    Equal calibrations (same coefficients, source and path) hash alike, so caches keyed on them are shared.
    """

    coefficients: Mapping = field(default_factory=dict)
    source: str = "shipped"
    path: str | None = None
    _key: tuple = field(init=False, repr=False)

    def __post_init__(self):
        raw = dict(self.coefficients)
        if "per_tool" in raw:
            raw["per_tool"] = MappingProxyType({t: MappingProxyType(dict(b)) for t, b in raw["per_tool"].items()})
        coef = MappingProxyType(raw)
        object.__setattr__(self, "coefficients", coef)
        object.__setattr__(self, "path", str(self.path) if self.path is not None else None)
        # the hash is computed once: every cached estimate looks it up
        object.__setattr__(self, "_key", (_frozen(coef), self.source, self.path))
        object.__setattr__(self, "_hash", hash(self._key))
        object.__setattr__(self, "_per_tool", {})

    def __eq__(self, other) -> bool:
        return self is other or (isinstance(other, Calibration) and self._key == other._key)

    def __hash__(self) -> int:
        return self._hash

    def __getitem__(self, name: str):
        return self.coefficients[name]

    def get(self, name: str, default=None):
        return self.coefficients.get(name, default)

    @property
    def label(self) -> str:
        """What the modelled terms were fitted on, as estimates show it: ``shipped`` or ``your builds (path)``."""
        return self.source + (f" ({self.path})" if self.path else "")

    def for_tool(self, tool: str) -> "Calibration":
        """The coefficients in force for ``tool``: :data:`TOOL_DEFAULTS`, then the shared ones, then the tool's
        ``per_tool`` block; a flat calibration (no ``per_tool`` key) with the same source and path. Built once per
        tool and kept, so estimates pay a dictionary lookup."""
        got = self._per_tool.get(tool)
        if got is None:
            flat = dict(TOOL_DEFAULTS)
            flat.update((k, v) for k, v in self.coefficients.items() if k != "per_tool")
            flat.update((self.coefficients.get("per_tool") or {}).get(tool, {}))
            got = self._per_tool[tool] = Calibration(flat, self.source, self.path)
            got._per_tool[tool] = got
        return got

    def replace(self, **coefficients) -> "Calibration":
        """A copy with some coefficients changed (same source and path)."""
        return Calibration(overlay(self.coefficients, coefficients), self.source, self.path)

    def to_dict(self) -> dict:
        """The coefficients as a plain (mutable) dict (the ``per_tool`` block as plain dicts too)."""
        d = dict(self.coefficients)
        if "per_tool" in d:
            d["per_tool"] = {t: dict(b) for t, b in d["per_tool"].items()}
        return d

    @classmethod
    def shipped(cls) -> "Calibration":
        """The coefficients shipped with hlsnb (``hlsnb/estimate/coefficients.json``), read once."""
        return _shipped()

    @classmethod
    def load(cls, path, source: str = USER_SOURCE) -> "Calibration":
        """Read a calibration file: a saved refit (``{"coefficients": {...}, ...}``, as
        :func:`hlsnb.synth.recalibrate` writes it) or a plain coefficient file like the shipped one.

        Coefficients the file lacks keep their shipped values; a shared coefficient the file changes holds for every
        tool (:func:`overlay`). Raises ``OSError`` for a file that cannot be read and ``ValueError``
        (``json.JSONDecodeError``) or ``KeyError`` for one that is not a calibration.
        """
        p = Path(path)
        data = json.loads(p.read_text())
        if not isinstance(data, dict):
            raise ValueError(f"{p} holds a {type(data).__name__}, not a calibration")
        coef = data["coefficients"] if "hlsnb_calibration" in data or "coefficients" in data else data
        if not isinstance(coef, dict):
            raise ValueError(f"{p}: 'coefficients' is a {type(coef).__name__}, not a mapping")
        return cls(overlay(_shipped().coefficients, coef), source, str(p))


@lru_cache(maxsize=1)
def _shipped() -> Calibration:
    return Calibration(json.loads(SHIPPED_PATH.read_text()), "shipped", None)


def user_calibration_path() -> Path:
    """Where the user's refit is saved: ``$HLSNB_COEFFICIENTS`` or ``~/.config/hlsnb/coefficients.json``."""
    return Path(_user_path())


def _user_path() -> str:
    # looked up at every estimate, so plain strings (a Path costs more than the stat)
    return os.environ.get("HLSNB_COEFFICIENTS") or _config_file(os.environ.get("HOME"))


@lru_cache(maxsize=4)
def _config_file(home: str | None) -> str:
    """The platform's config folder's ``hlsnb/coefficients.json`` (``~/.config/hlsnb`` on Linux, with
    ``$XDG_CONFIG_HOME``; platformdirs elsewhere) for this home directory (``home`` is only the cache key)."""
    import platformdirs

    return str(Path(platformdirs.user_config_dir("hlsnb", appauthor=False)) / "coefficients.json")


def saved_calibration(path=None) -> Calibration | None:
    """The refit saved at ``path`` (default :func:`user_calibration_path`), or ``None`` when there is none.

    A file that is there but cannot be read as a calibration is ignored with a warning (the estimate then uses the
    shipped coefficients) rather than breaking every estimate.
    """
    p = str(path) if path is not None else _user_path()
    try:
        st = os.stat(p)
    except OSError:  # no file (or no access to it): no refit
        return None
    return _read(p, st.st_mtime_ns, st.st_size)


@lru_cache(maxsize=8)
def _read(path: str, mtime_ns: int, size: int) -> Calibration | None:
    """One read per version of the file (``mtime_ns`` and ``size`` are only the cache key)."""
    try:
        return Calibration.load(path, source=USER_SOURCE)
    except (ValueError, KeyError, OSError) as e:
        warnings.warn(f"ignoring the saved calibration {path}: {e}; reset it with hlsnb.synth.reset_calibration()",
                      stacklevel=4)
        return None


def default_calibration() -> Calibration:
    """The calibration estimates use when none is given: the user's saved refit if there is one, else shipped."""
    saved = saved_calibration()
    return saved if saved is not None else Calibration.shipped()
