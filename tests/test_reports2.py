"""Report reader on the second calibration batch: every raw report in reports2/ against reports2.csv, plus the
reader's robustness (binary and oversized files, Vivado design states) and compare()'s matching on the registry."""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace

import pytest

from hlsnb.errors import HlsnbError
from hlsnb.layer_types import LAYER_TYPES
from hlsnb.synth import reports as reports_mod
from hlsnb.synth.compare import match_layers
from hlsnb.synth.reports import ReportError, layer_type_from_module, read_report

CALIB = Path(__file__).resolve().parents[1].parent / "shared" / "calibration"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

needs_calibration = pytest.mark.skipif(
    not (CALIB / "reports2.csv").is_file(),
    reason=f"calibration data not found at {CALIB} (the shared folder beside the repo); report tests need it",
)

NUMBERS = ("dsp", "lut", "ff", "bram18k", "uram", "latency_min_cycles", "latency_max_cycles")

# Instances the CSV leaves out on purpose: dataflow glue that holds no layer (Vivado HLS's Block_proc and
# <top>_entryN processes, Loop_N_proc) and, in the AXI wrapper's report, the wrapped top itself.
GLUE_MODULE = r"^(Block_|Loop_\d+_proc|myproject(_entry\d*)?$)"

# No row of reports2.csv is a co-simulation line (unlike 50 rows of the first batch, see calibration/README.md), and
# every row matches its raw report: this list of rows that cannot match is empty and must stay so.
CANNOT_MATCH: dict[tuple[str, str], str] = {}


def raw_path(row: dict) -> Path:
    """reports2/<owner+repo>/<commit>/<path> of a reports2.csv row (source "owner/repo:path", commit in notes)."""
    repo, path = row["source"].split(":", 1)
    commit = re.search(r"commit=([0-9a-f]+)", row["notes"]).group(1)
    return CALIB / "reports2" / repo.replace("/", "+") / commit / path


def _rows_by_file() -> dict[str, list[dict]]:
    if not (CALIB / "reports2.csv").is_file():
        return {}
    out: dict[str, list[dict]] = defaultdict(list)
    with open(CALIB / "reports2.csv", newline="") as f:
        for row in csv.DictReader(f):
            out[str(raw_path(row).relative_to(CALIB / "reports2"))].append(row)
    return dict(out)


BY_FILE = _rows_by_file()


def _note(row: dict, key: str) -> str | None:
    m = re.search(rf"(?:^|; ){key}=([^;]+)", row["notes"])
    return m.group(1).strip() if m else None


def _tool(csv_tool: str) -> str:
    """The reader's spelling of a CSV tool: "Vivado HLS 2020.1" -> "vivado_hls 2020.1", "Vivado v.2020.1" ->
    "vivado 2020.1"."""
    t = csv_tool.lower().replace("vivado hls", "vivado_hls").replace("vitis hls", "vitis_hls")
    return t.replace(" v.", " ")


@needs_calibration
def test_every_raw_report_is_referenced_and_back():
    on_disk = sorted(str(p.relative_to(CALIB / "reports2")) for p in (CALIB / "reports2").rglob("*.rpt"))
    assert on_disk and sorted(BY_FILE) == on_disk
    assert sum(len(v) for v in BY_FILE.values()) == 377


@needs_calibration
@pytest.mark.parametrize("fname", sorted(BY_FILE))
def test_report_matches_reports2_csv(fname):
    rep = read_report(CALIB / "reports2" / fname)
    expected = BY_FILE[fname]
    csv_instances = {_note(r, "instance") for r in expected if r["scope"] == "layer"}
    left_out = [r for r in rep.layers if r.name not in csv_instances]
    assert all(re.match(GLUE_MODULE, r.module or "") for r in left_out), [r.module for r in left_out]
    for exp in expected:
        if (fname, _note(exp, "instance") or "model") in CANNOT_MATCH:
            continue
        if exp["scope"] == "model":
            got = rep.model
        else:
            matches = [r for r in rep.layers if r.name == _note(exp, "instance")]
            assert len(matches) == 1, f"{fname}: instance {_note(exp, 'instance')} found {len(matches)} times"
            got = matches[0]
            assert got.module == _note(exp, "module")
            if exp["layer_type"] in LAYER_TYPES:  # the CSV names types as the registry does for these
                assert got.layer_type == exp["layer_type"], f"{fname} {got.name}"
        for key in NUMBERS:
            want, have = exp[key], getattr(got, key)
            if want == "":
                # blank where the report has no URAM column; a model-level 0 is allowed
                assert have is None or (key == "uram" and have == 0), f"{fname} {got.name} {key}: {have} not blank"
            else:
                assert have is not None and float(have) == float(want), f"{fname} {got.name} {key}: {have} != {want}"
        if exp["ii"]:
            lo, _, hi = exp["ii"].partition("-")
            assert (got.ii_min, got.ii_max) == (int(lo), int(hi or lo)), f"{fname} {got.name} ii"
        assert got.stage == exp["stage"]
        assert got.tool == _tool(exp["tool"])
        assert got.part == exp["part"]
        if exp["stage"] == "csynth":
            assert got.clock_ns == float(exp["clock_ns"])
        else:
            # a Vivado utilisation report states no clock: the CSV copied it from the csynth row of the same project
            assert got.clock_ns is None


@needs_calibration
def test_tools_and_stages_covered():
    """The batch spans Vivado HLS 2019.1 to Vitis HLS 2024.1 and Vivado synthesis, including an opt_design run."""
    tools = {_tool(r["tool"]) for rows in BY_FILE.values() for r in rows}
    assert {"vivado_hls 2019.1", "vivado_hls 2020.1", "vitis_hls 2022.2", "vitis_hls 2024.1", "vivado 2024.1"} <= tools
    optimized = [f for f in BY_FILE if "Design State : Optimized" in (CALIB / "reports2" / f).read_text()[:2000]]
    assert optimized and all(read_report(CALIB / "reports2" / f).kind == "vsynth" for f in optimized)


# ------------------------------------------------------------------------------- no shared folder needed


def test_global_pooling_rows_are_typed_as_the_design_types_them():
    assert layer_type_from_module("global_pooling1d_cl_array_array_ap_fixed_16u_config9_s") == "GlobalPooling1D"
    assert layer_type_from_module("global_pooling2d_cl_array_array_ap_fixed_8u_config4_s") == "GlobalPooling2D"


def test_design_state_decides_the_stage(tmp_path):
    text = (FIXTURES / "reports" / "vivado2018_utilization_synth.rpt").read_text()
    for state, kind in [("Synthesized", "vsynth"), ("Optimized", "vsynth"), ("Routed", "impl"),
                        ("Fully Placed", "impl")]:
        p = tmp_path / "util.rpt"
        p.write_text(text.replace("Design State : Synthesized", f"Design State : {state}"))
        assert read_report(p).kind == kind, state


def test_crlf_report_reads_like_lf(tmp_path):
    src = FIXTURES / "reports" / "vitis2021_cardio_csynth.rpt"
    p = tmp_path / "crlf_csynth.rpt"
    p.write_bytes(src.read_bytes().replace(b"\n", b"\r\n"))
    assert read_report(p).model.lut == read_report(src).model.lut


def test_binary_file_is_a_clear_error(tmp_path):
    p = tmp_path / "design.bit"
    p.write_bytes(b"\x00\x09\x0f\xf0" * 1000)
    with pytest.raises(ReportError, match=r"design\.bit: a binary file .*expected a Vivado/Vitis HLS csynth") as e:
        read_report(p)
    assert isinstance(e.value, HlsnbError) and isinstance(e.value, ValueError)


def test_oversized_file_is_refused_before_reading(tmp_path, monkeypatch):
    p = tmp_path / "huge_csynth.rpt"
    p.write_text("x" * 4096)
    monkeypatch.setattr(reports_mod, "MAX_REPORT_BYTES", 1024)
    with pytest.raises(ReportError, match=r"huge_csynth\.rpt: .* too large for a synthesis report"):
        read_report(p)


def test_compare_matches_on_the_registry_kind():
    """LeakyReLU rows match Activation layers (one kind), global pooling matches GlobalPooling2D."""
    est = SimpleNamespace(layers=[SimpleNamespace(name="act1", layer_type="Activation"),
                                  SimpleNamespace(name="gap", layer_type="GlobalPooling2D")])
    rows = [SimpleNamespace(layer_type="LeakyReLU", config_index=3),
            SimpleNamespace(layer_type="GlobalPooling2D", config_index=5)]
    rep = SimpleNamespace(layers=rows)
    assert match_layers(est, rep) == {"act1": rows[0], "gap": rows[1]}
