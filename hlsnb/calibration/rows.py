"""The calibration reports (``reports.csv``, ``reports2.csv``, ``reports3.csv``) as estimator inputs and measured
numbers: the one reader of the calibration CSV files (the shared Vitis fit's :func:`hlsnb.calibration.fitting.load_rows`
is a view of it).

Every CSV row becomes one record (a dict): ``repo`` (the repository it came from: the unit held out by the
leave-one-repository-out evaluation), ``tool`` (``vivado_hls``, ``vitis_hls``; ``vivado`` for Vivado synthesis
rows), ``stage`` (``csynth`` or a Vivado stage), ``scope`` (``layer`` or ``model``), ``type`` (``Dense``, ``Conv``,
``Act``, ``Softmax``, ``Pool``, ``Pad``, ``BN``), ``strategy``, ``rf``, ``kw`` (the keyword arguments of
:func:`hlsnb.estimate.estimate_layer`, checked against the estimator's one field list, or ``None`` with ``skip``
saying why), ``meas`` (dsp, lut, ff, bram18k, latency, ii), ``flag`` (the README's REPORT_FLAG: the report
disagrees with the committed configuration; or an io_parallel convolution of an hls4ml older than its
ParallelizationFactor, whose template computes every output pixel at once without 1.3's multiplier limit: kept in
tables, left out of fits) and ``check`` (a seed report, see
:data:`CHECK_REPOS`: predicted, never fitted).

How configurations are read: the first batch's ArgyKokk MLPs from their folder names and module names; reports2
and reports3 rows from their notes (``result_t`` with its rounding and saturation modes, ``accum_t``,
``weight_t``, ``input_t``, ``conv geometry``, ``configN``). A layer's input type is its ``input_t`` where the notes
give it (reports3), else the result type of the previous layer row of the same report (file order is report
order); an activation without a result type (enlupi) takes the ``input_t`` of the layer after it. Where the weight
file of a layer is committed beside the report (``reports3/<owner+repo>/<commit>/.../firmware/weights``), its
weights are read (``kw["weights"]``): zeros and signed digits are then counted, not modelled. Types are parsed by
:mod:`hlsnb.precision`. Skipped: Keb-L layer rows (ReuseFactor, precision and geometry not recorded),
co-simulation lines (``module=NA``/``Pass``), ArgyKokk batch-normalisation rows (no size), layers without sizes
(the hls4ml-tutorial reference reports), SeparableConv2D and UpSampling (no model).
"""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from ..errors import InvalidSetting
from ..estimate.inputs import check_fields
from ..precision import FixedType, parse_precision
from ..rules import conv_pixels

__all__ = ["TYPES", "CHECK_REPOS", "read_csv", "parse_type", "load_records", "group_models", "design_of",
           "tool_family"]

#: The layer groups of the error tables.
TYPES = ("Dense", "Conv", "Act", "Softmax", "Pool", "Pad", "BN")
_CONV = {"Dense": "Dense", "Conv1D": "Conv1D", "PointwiseConv1D": "Conv1D", "Conv2D": "Conv2D"}
#: The seed reports, checks never fitted (issue 23): the forum's Resource report, the public Latency build of the
#: same design (Liu-Zhiheng) and the per-layer Pynq-backend Resource report of the same network (nicologhielmetti).
#: Every fit leaves their rows out (:func:`hlsnb.calibration.per_tool.fit_per_tool`); the tables show them apart.
CHECK_REPOS = frozenset({"forum", "Liu-Zhiheng/hls4ml-pynqz2-vivado2019-2-results", "nicologhielmetti/hls4ml-pynq"})


def read_csv(path) -> list[dict]:
    """The rows of one calibration CSV as dicts (the one place the files are opened)."""
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


_TYPE = re.compile(r"ap_u?(?:fixed|int)<[^<>]*>")


def parse_type(text: str | None) -> FixedType | None:
    """The first ``ap_[u]fixed<...>`` / ``ap_[u]int<...>`` in ``text`` (a note such as
    ``result_t=layer8_t=nnet::array<ap_fixed<16,6>, 32*1>``, or a module name's ``ap_fixed_16_6``) as a
    :class:`hlsnb.precision.FixedType`, else ``None``."""
    if not text:
        return None
    m = _TYPE.search(text)
    if m is None:
        m = re.search(r"ap_(u?)fixed_(\d+)_(-?\d+)", text)
        return parse_precision(f"ap_{m.group(1)}fixed<{m.group(2)},{m.group(3)}>") if m else None
    try:
        return parse_precision(m.group(0))
    except InvalidSetting:
        return None


def tool_version(tool: str) -> str | None:
    """``YEAR.N`` of the ``tool`` column (``Vivado HLS 2020.1.1`` -> ``2020.1``), or None when it names none."""
    m = re.search(r"(20\d\d)\.(\d+)", tool)
    return f"{m.group(1)}.{m.group(2)}" if m else None


def tool_family(tool: str) -> str:
    """``vitis_hls``, ``vivado_hls`` or ``vivado`` (synthesis / implementation rows) from the ``tool`` column."""
    t = tool.lower()
    if "vitis" in t:
        return "vitis_hls"
    return "vivado_hls" if "hls" in t else "vivado"


def _note_type(notes: str, key: str) -> FixedType | None:
    m = re.search(r"\b" + key + r"=([^;]*)", notes)
    return parse_type(m.group(1)) if m else None


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
    for path in paths:
        path = Path(path)
        prev_bits: dict = {}  # source -> result bits of the previous layer row
        start = len(recs)
        for i, r in enumerate(read_csv(path)):
            repo = _repo(r["source"])
            rec = dict(file=path.name, idx=i, row=r, repo=repo, tool=tool_family(r["tool"]),
                       stage=r["stage"], scope=r["scope"], source=r["source"], meas=_measured(r), kw=None,
                       skip=None, type=None, strategy=None, rf=None, flag="REPORT_FLAG" in r["notes"],
                       check=repo in CHECK_REPOS)
            recs.append(rec)
            notes = r["notes"]
            if "module=NA" in notes or "module=Pass" in notes:
                rec["skip"] = "co-simulation line, not a resource report"
            elif r["scope"] != "layer":
                continue
            elif r["source"].startswith("Keb-L"):
                rec["skip"] = "ReuseFactor, precision and geometry not recorded"
            elif r["source"].startswith("ArgyKokk"):
                _argy(rec, r)
            else:
                _layer(rec, r, prev_bits, path)
        _activation_types(recs[start:])
        for rec in recs[start:]:
            if rec["kw"] is not None:
                check_fields(rec["kw"], f"{path.name} row {rec['idx'] + 2}")
    return recs


def _layer_number(rec: dict) -> float | None:
    """N of the result type ``layerN_t`` in the notes (the last layer's ``result_t``: infinity), else None."""
    m = re.search(r"\bresult_t=(\w+?)_t=", rec["row"]["notes"])
    if not m:
        return None
    if m.group(1) == "result":
        return float("inf")
    d = re.fullmatch(r"layer(\d+)", m.group(1))
    return float(d.group(1)) if d else None


def _activation_types(recs: list[dict]) -> None:
    """Activation inputs and outputs a report's notes give only indirectly: an activation or softmax reads the result
    type of the layer numbered just below its own (``layerN_t``: report rows are not in layer order); an activation
    without a result type takes the ``input_t`` of the next layer row of its report."""
    by_src = defaultdict(list)
    for rec in recs:
        n = _layer_number(rec) if rec["kw"] is not None else None
        if n is not None:
            by_src[rec["source"]].append((n, rec))
    for rows in by_src.values():
        for n, rec in rows:
            if rec["type"] in ("Act", "Softmax"):
                below = [(m, x) for m, x in rows if m < n]
                if below:
                    rec["kw"]["input_bits"] = max(below, key=lambda t: t[0])[1]["kw"]["result_bits"]
    for i, rec in enumerate(recs):
        if rec["type"] != "Act" or rec["kw"] is None or rec.get("res_known"):
            continue
        nxt = next((x for x in recs[i + 1:] if x["source"] == rec["source"] and x["scope"] == "layer"), None)
        t = _note_type(nxt["row"]["notes"], "input_t") if nxt is not None else None
        if t is not None:
            rec["kw"].update(result_bits=t.width, result_rounding=t.rounding, result_saturation=t.saturation)


def _argy(rec: dict, r: dict) -> None:
    """An ArgyKokk MLP layer row (Vitis HLS 2021.1, xc7z007s, Latency): the configuration from its folder and module
    names; ``rec["fit"]`` is the row as the shared Vitis fit reads it (:func:`hlsnb.calibration.fitting.load_rows`)."""
    lt, notes, src = r["layer_type"], r["notes"], r["source"]
    if lt not in ("dense", "relu", "softmax"):
        rec["skip"] = "batch normalisation without a size" if lt == "batchnorm" else "not parsed"
        return
    variant = re.search(r"/(DSP|LUT)_reuse(\d+)/", src)
    impl = "dsp" if variant and variant.group(1) == "DSP" else "fabric"
    rf = int(r["reuse_factor"] or 1)
    module = re.search(r"module=(\S+?);", notes)
    module = module.group(1) if module else ""
    meas = {"dsp": float(r["dsp"]), "lut": float(r["lut"]), "ff": float(r["ff"]),
            "bram18k": float(r["bram18k"]), "latency": float(r["latency_max_cycles"]), "ii": float(r["ii"])}
    base = dict(part="xc7z007s", clock_ns=float(r["clock_ns"] or 3.33), tool="vitis_hls", mult_impl=impl,
                io_type="io_parallel")
    if lt == "dense":
        tin = parse_type(re.search(r"dense_latency_(ap_u?fixed_\d+_-?\d+)", module) and module)
        accum = _note_type(notes, "accum_t")
        z = re.search(r"n_zeros=(\d+) of", r["sparsity_or_pruning"])
        kw = dict(base, layer_type="Dense", n_in=int(r["n_in"]), n_out=int(r["n_out"]), strategy="Latency",
                  reuse_factor=rf, weight_bits=int(r["weight_bits"]), weight_int_bits=int(r["weight_int_bits"]),
                  result_bits=int(r["result_bits"]), accum_bits=accum.width if accum else 16,
                  input_bits=tin.width if tin else 16, n_zeros=int(z.group(1)) if z else 0)
    elif lt == "relu":
        t = parse_type(re.search(r"relu_(ap_u?fixed_\d+_-?\d+)", module) and module)
        kw = dict(base, layer_type="Activation", activation="relu", n_in=int(r["n_in"]), n_out=int(r["n_out"]),
                  input_bits=t.width if t else 16, result_bits=int(r["result_bits"] or 16))
    else:
        kw = dict(base, layer_type="Softmax", n_in=int(r["n_in"]), n_out=int(r["n_out"]),
                  result_bits=int(r["result_bits"] or 16))
    rec.update(kw=kw, type={"dense": "Dense", "relu": "Act", "softmax": "Softmax"}[lt], strategy="Latency", rf=rf,
               res_known=True,
               fit={"network": r["model_arch"], "source": src, "layer": r["layer_name"], "type": lt, "meas": meas,
                    "rf": rf, "kw": kw,
                    "variant": f"{variant.group(1)}_reuse{variant.group(2)}" if variant else ""})


@lru_cache(maxsize=64)
def _weights_file(path: str) -> np.ndarray:
    text = Path(path).read_text().replace("\n", ",")
    w = np.array([float(x) for x in text.split(",") if x.strip()])
    w.flags.writeable = False
    return w


def _committed(notes: str, source: str, csv_path: Path) -> Path | None:
    """The folder of a report's committed files beside the CSV (``<csv stem>/<owner+repo>/<commit>``), or None."""
    c = re.search(r"commit=(\w+)", notes)
    if not c or ":" not in source:
        return None
    return csv_path.with_suffix("") / source.split(":", 1)[0].replace("/", "+") / c.group(1)


def _weights(notes: str, source: str, csv_path: Path, n: int | None):
    """The layer's committed weight file (``reports3/<owner+repo>/<commit>/.../firmware/weights/wN.txt``), or None."""
    m = re.search(r"weights file (w\d+\.txt)", notes)
    root = _committed(notes, source, csv_path)
    if not m or root is None:
        return None
    parts = Path(source.split(":", 1)[1]).parts
    for k in range(len(parts) - 1, -1, -1):
        f = root.joinpath(*parts[:k], "firmware", "weights", m.group(1))
        if f.is_file():
            w = _weights_file(str(f))
            return w if n is None or w.size == n else None
    return None


def _conv_partitions(notes: str, source: str, csv_path: Path) -> int | None:
    """``n_partitions`` of an io_parallel convolution's committed config struct (``config source: <path> struct
    configN`` in the notes, the file beside the report), 0 for a struct without one (hls4ml before the
    ParallelizationFactor: its io_parallel template computes every output pixel at once), None when unknown."""
    m = re.search(r"config source: (\S+parameters\.h) struct (config\d+)\b", notes)
    root = _committed(notes, source, csv_path)
    if not m or root is None:
        return None
    f = root / m.group(1)
    if not f.is_file():
        return None
    body = re.search(r"struct " + m.group(2) + r" : nnet::conv[12]d_config \{(.*?)\n\};", f.read_text(), re.S)
    if not body:
        return None
    n = re.search(r"n_partitions = (\d+);", body.group(1))
    return int(n.group(1)) if n else 0


def _layer(rec: dict, r: dict, prev_bits: dict, csv_path: Path) -> None:
    lt, notes, src = r["layer_type"], r["notes"], r["source"]
    res = _note_type(notes, "result_t")
    res_bits = res.width if res else (_int(r["result_bits"]) or 16)
    acc = _note_type(notes, "accum_t")
    wt = _note_type(notes, "weight_t")
    wt = (wt.width, wt.integer) if wt else ((_int(r["weight_bits"]), _int(r["weight_int_bits"], 0))
                                           if r["weight_bits"] else None)
    given_in = _note_type(notes, "input_t")
    in_bits = given_in.width if given_in else prev_bits.get(src, res_bits)
    prev_bits[src] = res_bits
    base = dict(part=r["part"].split(" ")[0], clock_ns=float(r["clock_ns"] or 5.0),
                io_type=r["io_type"] or "io_parallel", tool=rec["tool"], result_bits=res_bits, input_bits=in_bits,
                name=r["layer_name"] or lt, tool_version=tool_version(r["tool"]),
                # a "_U0" instance is a process of a DATAFLOW top function (a PIPELINE top inlines its calls)
                dataflow=bool(re.search(r"instance=\S*_U0\b", notes)))
    if res is not None:
        base.update(result_rounding=res.rounding, result_saturation=res.saturation, result_signed=res.signed)
        rec["res_known"] = True
    if acc is not None:
        base.update(accum_rounding=acc.rounding, accum_saturation=acc.saturation)
    n_in, n_out = _int(r["n_in"]), _int(r["n_out"])
    if lt in _CONV:
        if wt is None:
            rec["skip"] = "weight precision unknown"
            return
        if not n_in or not n_out:
            rec["skip"] = "layer size not recorded"
            return
        rf, st = _int(r["reuse_factor"], 1), _strategy(r["strategy"]) or "Latency"
        z = re.search(r"n_zeros=(\d+)", r["sparsity_or_pruning"] or "")
        kw = dict(base, layer_type=_CONV[lt], n_in=n_in, n_out=n_out, strategy=st, reuse_factor=rf,
                  weight_bits=wt[0], weight_int_bits=wt[1], accum_bits=acc.width if acc else res_bits,
                  n_zeros=int(z.group(1)) if z else 0)
        w = _weights(notes, src, csv_path, n_in * n_out)
        if w is not None:
            kw["weights"] = w
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
            parts = _conv_partitions(notes, src, csv_path) if kw["io_type"] == "io_parallel" else None
            px = conv_pixels(kw["output_shape"])
            if parts and px % parts == 0:  # the pixels computed at once (ParallelizationFactor)
                kw["parallelization_factor"] = px // parts
            elif parts == 0:  # an hls4ml before partitions: its template computes every pixel at once, which is
                # 1.3's ParallelizationFactor = all pixels, without 1.3's ALLOCATION limit on the multipliers; such
                # rows are estimated as that and shown, but left out of the fits like a flagged report
                kw["parallelization_factor"] = px
                rec["flag"] = True
        elif kw["io_type"] == "io_stream":
            # the words the layer reads: its module name says their size (dense_array_ap_fixed_4u_...: 4 values a
            # word, the channels of the layer before a Flatten), else one word of all its inputs
            m = re.search(r"module=dense\w*?_array_ap_u?fixed_(\d+)u_", notes)
            word = int(m.group(1)) if m else n_in
            kw["input_shape"] = (n_in // word, word) if 0 < word < n_in and n_in % word == 0 else (n_in,)
        rec.update(kw=kw, type="Dense" if lt == "Dense" else "Conv", strategy=st, rf=rf)
        return
    n = n_in or n_out
    m = re.search(r"nnet::array<[^,]*<[^>]*>,\s*(\d+)\*1>", notes)
    chans = int(m.group(1)) if m else None  # channels per stream word (io_stream)
    pixel_shape = (n // chans, chans) if base["io_type"] == "io_stream" and chans and n and n != chans else None
    try:
        _other(rec, lt, notes, base, n, pixel_shape)
    except KeyError as e:
        rec["kw"] = None
        rec["skip"] = f"layer geometry not recorded ({e.args[0]})"


def _other(rec, lt, notes, base, n, pixel_shape) -> None:
    if lt in ("ReLU", "Sigmoid", "TanH", "Softmax") and not n:
        raise KeyError("n_in")
    if lt in ("ReLU", "Sigmoid", "TanH") or lt.startswith("Linear"):
        act = {"ReLU": "relu", "Sigmoid": "sigmoid", "TanH": "tanh"}.get(lt, "linear")
        kw = dict(base, layer_type="Activation", activation=act, n_in=n, n_out=n)
        if pixel_shape:
            kw.update(input_shape=pixel_shape, output_shape=pixel_shape)
        rec.update(kw=kw, type="Act")
    elif lt == "Softmax":
        kw = dict(base, layer_type="Softmax", n_in=n, n_out=n)
        if base["io_type"] == "io_stream":  # hls4ml's stream softmax reads the ReuseFactor (ceil(n_chan/RF) mults)
            kw["reuse_factor"] = _int(rec["row"]["reuse_factor"], 1)
            rec["rf"] = kw["reuse_factor"]
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
        if not g.get("n_filt", n):
            rec["skip"] = "layer size not recorded"
            return
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


def _prec(width: int, integer: int | None = None, rounding: str | None = None, saturation: str | None = None,
          signed: bool = True) -> str:
    modes = f",{rounding or 'AP_TRN'},{saturation or 'AP_WRAP'}" if (rounding, saturation) != (None, None) else ""
    return f"ap_{'' if signed else 'u'}fixed<{width},{integer if integer is not None else min(width, 6)}{modes}>"


def design_of(layers: list[dict]):
    """A Design-like object (what :func:`hlsnb.estimate.estimate_design` reads) from the layer records of one
    report, in report order; ``None`` when a layer has no estimator input."""
    if not layers or any(r["kw"] is None for r in layers):
        return None
    from ..targets import get_part

    numbers = [_layer_number(r) for r in layers]
    if all(n is not None for n in numbers):  # reports3 rows are not in layer order: their layerN_t types give it
        layers = [r for _, r in sorted(zip(numbers, layers), key=lambda t: t[0])]

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
            result_precision=_prec(kw["result_bits"], None, kw.get("result_rounding"), kw.get("result_saturation"),
                                   kw.get("result_signed", True)),
            accum_precision=_prec(kw.get("accum_bits") or kw["result_bits"], None, kw.get("accum_rounding"),
                                  kw.get("accum_saturation")),
            n_zeros=kw.get("n_zeros"), weights=kw.get("weights"), is_mult_layer=mult, inputs=None,
            mult_impl=kw.get("mult_impl"), hls4ml_extra=json.dumps({"ParallelizationFactor": pf})
            if (pf := kw.get("parallelization_factor")) else None))
    return SimpleNamespace(part=get_part(first["part"]), clock_ns=first["clock_ns"], io_type=first["io_type"],
                           tool=first["tool"], tool_version=first.get("tool_version"), layers=specs,
                           input_precision=_prec(first.get("input_bits") or 16))
