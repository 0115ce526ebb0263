"""The calibration reports (``reports.csv`` and ``reports2.csv``) as estimator inputs and measured numbers.

Every CSV row becomes one record (a dict): ``repo`` (the repository it came from: the unit held out by the
leave-one-repository-out evaluation), ``tool`` (``vivado_hls``, ``vitis_hls``; ``vivado`` for Vivado synthesis
rows), ``stage`` (``csynth`` or a Vivado stage), ``scope`` (``layer`` or ``model``), ``type`` (``Dense``, ``Conv``,
``Act``, ``Softmax``, ``Pool``, ``Pad``, ``BN``), ``strategy``, ``rf``, ``kw`` (the keyword arguments of
:func:`hlsnb.estimate.estimate_layer`, or ``None`` with ``skip`` saying why), ``meas`` (dsp, lut, ff, bram18k,
latency, ii) and ``flag`` (the README's REPORT_FLAG: the report disagrees with the committed configuration; kept in
tables, left out of fits).

How configurations are read: the first batch's ArgyKokk MLPs as :func:`hlsnb.calibration.fitting.load_rows` reads
them; reports2 rows from their notes (``result_t``, ``accum_t``, ``weight_t``, ``conv geometry``, ``configN``), the
input width of a layer being the result width of the previous layer row of the same report (file order is report
order). Skipped: Keb-L layer rows (ReuseFactor, precision and geometry not recorded), co-simulation lines
(``module=NA``/``Pass``), ArgyKokk batch-normalisation rows (no size), SeparableConv2D and UpSampling (no model).
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace

from .fitting import load_rows

__all__ = ["TYPES", "load_records", "group_models", "design_of", "tool_family"]

#: The layer groups of the error tables.
TYPES = ("Dense", "Conv", "Act", "Softmax", "Pool", "Pad", "BN")
_CONV = {"Dense": "Dense", "Conv1D": "Conv1D", "PointwiseConv1D": "Conv1D", "Conv2D": "Conv2D"}


def tool_family(tool: str) -> str:
    """``vitis_hls``, ``vivado_hls`` or ``vivado`` (synthesis / implementation rows) from the ``tool`` column."""
    t = tool.lower()
    if "vitis" in t:
        return "vitis_hls"
    return "vivado_hls" if "hls" in t else "vivado"


def _fixed(s: str | None):
    """(width, integer bits) of the first ``ap_fixed<W,I>`` / ``ap_int<W>`` in ``s``, else None."""
    if not s:
        return None
    m = re.search(r"ap_u?fixed<(\d+),\s*(-?\d+)", s)
    if m:
        return int(m.group(1)), int(m.group(2))
    m = re.search(r"ap_u?int<(\d+)>", s)
    return (int(m.group(1)), int(m.group(1))) if m else None


def _note_type(notes: str, key: str):
    m = re.search(key + r"=([^;]*)", notes)
    return _fixed(m.group(1)) if m else None


def _numbers(notes: str, section: str) -> dict:
    """``name=int`` pairs of one section of the notes (``conv geometry ...`` or ``configN (...): ...``)."""
    if section == "config":
        m = re.search(r"config\d+ \(\w+\):([^;]*)", notes)
        seg = m.group(1) if m else ""
    else:
        i = notes.find(section)
        seg = notes[i:].split(";")[0] if i >= 0 else ""
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)\b", seg)}


def _int(s, default=None):
    try:
        return int(float(s))
    except (TypeError, ValueError):
        return default


def _measured(r: dict) -> dict:
    def num(k):
        try:
            return float(r.get(k, ""))
        except ValueError:
            return None

    ii = r.get("ii", "")
    try:
        ii = float(ii)
    except ValueError:  # "II 4-5" and the like: the largest
        found = re.findall(r"\d+", ii)
        ii = float(found[-1]) if found else None
    return {"dsp": num("dsp"), "lut": num("lut"), "ff": num("ff"), "bram18k": num("bram18k"),
            "latency": num("latency_max_cycles"), "ii": ii}


def _repo(source: str) -> str:
    return "forum" if source.startswith("forum") else source.split(":")[0]


def _strategy(s: str) -> str | None:
    s = (s or "").lower()
    return "Latency" if s.startswith("latency") else "Resource" if s.startswith("resource") else None


def load_records(paths) -> list[dict]:
    """Every row of the CSV files ``paths`` as a record (see the module docstring); file order is kept."""
    recs = []
    argy = None
    for path in paths:
        path = Path(path)
        prev_bits: dict = {}  # source -> result bits of the previous layer row
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
        for i, r in enumerate(rows):
            rec = dict(file=path.name, idx=i, row=r, repo=_repo(r["source"]), tool=tool_family(r["tool"]),
                       stage=r["stage"], scope=r["scope"], source=r["source"], meas=_measured(r), kw=None,
                       skip=None, type=None, strategy=None, rf=None, flag="REPORT_FLAG" in r["notes"])
            recs.append(rec)
            notes = r["notes"]
            if "module=NA" in notes or "module=Pass" in notes:
                rec["skip"] = "co-simulation line, not a resource report"
            elif r["scope"] != "layer":
                continue
            elif r["source"].startswith("Keb-L"):
                rec["skip"] = "ReuseFactor, precision and geometry not recorded"
            elif r["source"].startswith("ArgyKokk"):
                if argy is None:
                    argy = {(g["source"], g["layer"]): g for g in load_rows(path)}
                _argy(rec, r, argy)
            else:
                _layer(rec, r, prev_bits)
    return recs


def _argy(rec: dict, r: dict, parsed: dict) -> None:
    g = parsed.get((r["source"], r["layer_name"]))
    if g is None:
        rec["skip"] = "batch normalisation without a size" if r["layer_type"] == "batchnorm" else "not parsed"
        return
    rec.update(kw=dict(g["kw"]), type={"dense": "Dense", "relu": "Act", "softmax": "Softmax"}[g["type"]],
               strategy="Latency", rf=g["rf"])


def _layer(rec: dict, r: dict, prev_bits: dict) -> None:
    lt, notes, src = r["layer_type"], r["notes"], r["source"]
    res = _note_type(notes, "result_t")
    res_bits = res[0] if res else (_int(r["result_bits"]) or 16)
    acc = _note_type(notes, "accum_t")
    wt = _note_type(notes, "weight_t") or ((_int(r["weight_bits"]), _int(r["weight_int_bits"], 0))
                                          if r["weight_bits"] else None)
    in_bits = prev_bits.get(src, res_bits)
    prev_bits[src] = res_bits
    base = dict(part=r["part"].split(" ")[0], clock_ns=float(r["clock_ns"] or 5.0),
                io_type=r["io_type"] or "io_parallel", tool=rec["tool"], result_bits=res_bits, input_bits=in_bits,
                name=r["layer_name"] or lt)
    n_in, n_out = _int(r["n_in"]), _int(r["n_out"])
    if lt in _CONV:
        if wt is None:
            rec["skip"] = "weight precision unknown"
            return
        rf, st = _int(r["reuse_factor"], 1), _strategy(r["strategy"]) or "Latency"
        z = re.search(r"n_zeros=(\d+)", r["sparsity_or_pruning"] or "")
        kw = dict(base, layer_type=_CONV[lt], n_in=n_in, n_out=n_out, strategy=st, reuse_factor=rf,
                  weight_bits=wt[0], weight_int_bits=wt[1], accum_bits=acc[0] if acc else res_bits,
                  n_zeros=int(z.group(1)) if z else 0)
        if lt != "Dense":
            g = _numbers(notes, "conv geometry")
            if not g:
                rec["skip"] = "convolution geometry missing"
                return
            ch = g.get("n_chan", 1)
            if lt == "Conv2D":
                kw.update(input_shape=(g["in_height"], g["in_width"], ch),
                          output_shape=(g["out_height"], g["out_width"], g["n_filt"]),
                          kernel_size=(g["filt_height"], g["filt_width"]))
            else:
                kw.update(input_shape=(g["in_width"], ch), output_shape=(g["out_width"], g["n_filt"]),
                          kernel_size=(g["filt_width"],))
        elif kw["io_type"] == "io_stream":
            kw["input_shape"] = (n_in,)
        rec.update(kw=kw, type="Dense" if lt == "Dense" else "Conv", strategy=st, rf=rf)
        return
    n = n_in or n_out
    m = re.search(r"nnet::array<[^,]*<[^>]*>,\s*(\d+)\*1>", notes)
    chans = int(m.group(1)) if m else None  # channels per stream word (io_stream)
    pixel_shape = (n // chans, chans) if base["io_type"] == "io_stream" and chans and n and n != chans else None
    if lt in ("ReLU", "Sigmoid", "TanH") or lt.startswith("Linear"):
        act = {"ReLU": "relu", "Sigmoid": "sigmoid", "TanH": "tanh"}.get(lt, "linear")
        kw = dict(base, layer_type="Activation", activation=act, n_in=n, n_out=n)
        if pixel_shape:
            kw.update(input_shape=pixel_shape, output_shape=pixel_shape)
        rec.update(kw=kw, type="Act")
    elif lt == "Softmax":
        kw = dict(base, layer_type="Softmax", n_in=n, n_out=n)
        if pixel_shape:
            kw["output_shape"] = pixel_shape
        rec.update(kw=kw, type="Softmax")
    elif lt == "Pooling2D":
        g = _numbers(notes, "config")
        ch = g.get("n_filt", g.get("n_chan", 1))
        rec.update(type="Pool", kw=dict(
            base, layer_type="Pooling2D", input_shape=(g["in_height"], g["in_width"], ch),
            output_shape=(g["out_height"], g["out_width"], ch), kernel_size=(g["pool_height"], g["pool_width"]),
            n_out=g["out_height"] * g["out_width"] * ch))
    elif lt == "GlobalPooling1D":
        g = _numbers(notes, "config")
        ch = g.get("n_filt", 1)
        rec.update(type="Pool", kw=dict(base, layer_type="GlobalPooling1D", input_shape=(g["n_in"], ch),
                                        output_shape=(ch,), n_out=ch, pool_op="average"))
    elif lt in ("ZeroPadding1D", "ZeroPadding2D"):
        g = _numbers(notes, "config")
        ch = g.get("n_chan", 1)
        if lt == "ZeroPadding2D":
            shapes = dict(input_shape=(g["in_height"], g["in_width"], ch),
                          output_shape=(g["out_height"], g["out_width"], ch))
        else:
            shapes = dict(input_shape=(g["in_width"], ch), output_shape=(g["out_width"], ch))
        rec.update(kw=dict(base, layer_type=lt, **shapes), type="Pad")
    elif lt == "BatchNormalization":
        g = _numbers(notes, "config")
        rec.update(type="BN", kw=dict(base, layer_type="BatchNormalization", n_in=g.get("n_filt", n),
                                      n_out=g.get("n_filt", n), weight_bits=16, weight_int_bits=6))
    else:
        rec["skip"] = f"layer type {lt} has no model"


def _commit(rec: dict) -> str:
    m = re.search(r"commit=(\w+)", rec["row"]["notes"])
    return m.group(1) if m else ""


def group_models(recs: list[dict]) -> list[tuple]:
    """``(model row, its csynth model row, that report's layer records)`` per whole-design row.

    A csynth model row is its own csynth row; a Vivado synthesis row is paired with the csynth model row its notes
    name, matched on path and commit (the same path occurs at several commits in one repository)."""
    by_src = defaultdict(list)  # layer rows per report AND commit: one path can hold several designs over time
    for r in recs:
        if r["scope"] == "layer":
            by_src[r["source"], _commit(r)].append(r)
    csynth = {(r["source"].split(":", 1)[-1], _commit(r)): r for r in recs
              if r["scope"] == "model" and r["stage"] == "csynth"}
    out = []
    for r in recs:
        if r["scope"] != "model" or r["skip"]:
            continue
        if r["stage"] == "csynth":
            out.append((r, r, by_src.get((r["source"], _commit(r)), [])))
        else:
            m = re.search(r"csynth model row of same project dir/commit \(([^)]*)\)", r["row"]["notes"])
            c = csynth.get((m.group(1), _commit(r))) if m else None
            out.append((r, c, by_src.get((c["source"], _commit(c)), []) if c else []))
    return out


def _prec(width: int, integer: int | None = None) -> str:
    return f"ap_fixed<{width},{integer if integer is not None else min(width, 6)}>"


def design_of(layers: list[dict]):
    """A Design-like object (what :func:`hlsnb.estimate.estimate_design` reads) from the layer records of one
    report, in report order; ``None`` when a layer has no estimator input."""
    if not layers or any(r["kw"] is None for r in layers):
        return None
    from ..targets import get_part

    specs = []
    first = layers[0]["kw"]
    for i, r in enumerate(layers):
        kw = r["kw"]
        mult = kw["layer_type"] in ("Dense", "Conv1D", "Conv2D")
        n_out = kw.get("n_out")
        specs.append(SimpleNamespace(
            name=f"{kw.get('name')}_{i}", layer_type=kw["layer_type"], n_in=kw.get("n_in"), n_out=n_out,
            input_shape=kw.get("input_shape"), output_shape=kw.get("output_shape") or ((n_out,) if n_out else ()),
            filters=None, kernel_size=kw.get("kernel_size"), strides=None, padding=None, pool_op=kw.get("pool_op"),
            activation=kw.get("activation"), strategy=kw.get("strategy", "Latency"),
            reuse_factor=kw.get("reuse_factor", 1),
            weight_precision=_prec(kw["weight_bits"], kw["weight_int_bits"]) if mult else None,
            result_precision=_prec(kw["result_bits"]), accum_precision=_prec(kw.get("accum_bits") or kw["result_bits"]),
            n_zeros=kw.get("n_zeros"), weights=None, is_mult_layer=mult, inputs=None, mult_impl=kw.get("mult_impl")))
    return SimpleNamespace(part=get_part(first["part"]), clock_ns=first["clock_ns"], io_type=first["io_type"],
                           tool=first["tool"], tool_version=None, layers=specs,
                           input_precision=_prec(first.get("input_bits") or 16))
