"""Report reader: every raw calibration report against reports.csv, the XML and hierarchical forms, and errors."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pytest

from hlsnb.synth.reports import ReportError, find_reports, layer_type_from_module, read_report

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CALIB = SHARED / "calibration"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

needs_calibration = pytest.mark.skipif(
    not (CALIB / "reports.csv").is_file(),
    reason=f"calibration data not found at {CALIB} (the shared folder beside the repo); report tests need it",
)

NUMBERS = ("dsp", "lut", "ff", "bram18k", "uram", "latency_min_cycles", "latency_max_cycles")


def flat_name(source: str) -> str | None:
    """File name in calibration/reports/ of a reports.csv `source` (None for sources without a file)."""
    if ":" not in source:
        return None
    repo, path = source.split(":", 1)
    if repo.startswith("ArgyKokk/"):
        # HLS_MLPs/<dataset>/hls4ml_prj/<variant>/myproject_prj/.../myproject_csynth.rpt
        parts = path.split("/")
        return f"ArgyKokk-{parts[1]}-{parts[3]}-{parts[-1]}"
    return "KebL-" + path.replace("/", "-")


def _csv_rows():
    if not (CALIB / "reports.csv").is_file():
        return {}
    by_file: dict[str, list[dict]] = {}
    with open(CALIB / "reports.csv", newline="") as f:
        for row in csv.DictReader(f):
            name = flat_name(row["source"])
            if name:
                by_file.setdefault(name, []).append(row)
    return by_file


CSV_BY_FILE = _csv_rows()
RAW_FILES = sorted(p.name for p in (CALIB / "reports").iterdir()) if (CALIB / "reports").is_dir() else []


def _module(row):
    m = re.match(r"module=([^;]+)", row["notes"])
    return m.group(1) if m else None


# reports.csv has two rows per co-simulated report that were read from the CO-SIMULATION table, not from a
# synthesis table: "module=NA" (the VHDL line, all blank) and "module=Pass" (the Verilog line, its latency numbers
# put into resource columns). They are checked separately below against the co-simulation the reader returns.
COSIM_MODULES = ("NA", "Pass")


@needs_calibration
def test_every_raw_report_has_csv_rows_and_back():
    assert RAW_FILES, "calibration/reports/ is empty"
    assert sorted(CSV_BY_FILE) == RAW_FILES


@needs_calibration
@pytest.mark.parametrize("fname", RAW_FILES)
def test_report_matches_reports_csv(fname):
    rep = read_report(CALIB / "reports" / fname)
    expected = CSV_BY_FILE[fname]
    layer_rows = [r for r in expected if r["scope"] == "layer" and _module(r) not in COSIM_MODULES]
    assert len(rep.layers) == len(layer_rows), f"{fname}: {len(rep.layers)} instances read, CSV has {len(layer_rows)}"
    checked = 0
    for exp in expected:
        if exp["scope"] == "model":
            got = rep.model
        elif _module(exp) in COSIM_MODULES:
            continue
        else:
            matches = [r for r in rep.layers if r.module == _module(exp)]
            assert len(matches) == 1, f"{fname}: module {_module(exp)} found {len(matches)} times"
            got = matches[0]
        for key in NUMBERS:
            want, have = exp[key], getattr(got, key)
            if want == "":
                # the CSV leaves URAM blank where the report has no URAM column; a model-level 0 is allowed
                assert have is None or (key == "uram" and have == 0), f"{fname} {got.name} {key}: {have} not blank"
            else:
                assert have is not None and float(have) == float(want), f"{fname} {got.name} {key}: {have} != {want}"
                checked += 1
        if exp["ii"]:
            lo, _, hi = exp["ii"].partition("-")
            assert (got.ii_min, got.ii_max) == (int(lo), int(hi or lo)), f"{fname} {got.name} ii"
        assert got.stage == exp["stage"]
        assert got.tool == exp["tool"]
        assert got.part == exp["part"]
        if exp["clock_ns"]:
            assert got.clock_ns == float(exp["clock_ns"])
    assert checked > 0


@needs_calibration
def test_cosim_rows_in_csv_are_the_cosim_table():
    """The CSV's module=Pass rows hold the co-simulation line; the reader returns it as `cosim`, not as resources."""
    n = 0
    for fname, rows in CSV_BY_FILE.items():
        for exp in rows:
            if _module(exp) != "Pass":
                continue
            cos = read_report(CALIB / "reports" / fname).cosim
            assert cos is not None and cos["status"] == "Pass"
            # the CSV's column mapping of that line differs between tool versions: check membership only
            values = {v for v in cos.values() if isinstance(v, (int, float))}
            put = [float(exp[k]) for k in ("dsp", "lut", "ff", "bram18k", "uram") if exp[k] != ""]
            assert put and all(v in values for v in put), f"{fname}: {put} not in co-simulation {cos}"
            n += 1
    assert n > 0


# ------------------------------------------------------------------------- shipped fixtures, no shared folder


def test_vitis_csynth_fixture_layers_and_totals():
    rep = read_report(FIXTURES / "reports" / "vitis2021_cardio_csynth.rpt")
    assert rep.kind == "csynth" and rep.tool == "vitis_hls 2021.1" and rep.part == "xc7z007s-clg225-2"
    m = rep.model
    assert (m.dsp, m.lut, m.ff, m.bram18k, m.uram) == (36, 2579, 3684, 3, 0)
    assert (m.latency_min_cycles, m.ii_min, m.est_clock_ns) == (29, 1, 3.236)
    types = [(r.config_index, r.layer_type) for r in rep.layers]
    assert types == [(2, "Dense"), (4, "Activation"), (5, "Dense"), (7, "Softmax")]
    # the instance table sums to the 'Instance' line of the summary, not to the total (registers come on top)
    assert sum(r.lut for r in rep.layers) == 2577
    assert all(r["what"] == "HLS csynth estimate" for r in rep.to_rows())
    assert "HLS csynth estimate" in rep.describe() and "replay" not in rep.describe()
    assert "<table>" in rep._repr_html_()


def test_vivado_utilisation_fixture_counts_ramb36_twice():
    rep = read_report(FIXTURES / "reports" / "vivado2018_utilization_synth.rpt")
    assert rep.kind == "vsynth" and rep.tool == "vivado 2018.2" and rep.layers == []
    m = rep.model
    assert (m.lut, m.ff, m.dsp, m.bram18k, m.uram) == (60776, 49540, 2996, 121, 0)
    assert "post-synthesis" in rep.describe()


def test_hierarchical_impl_report():
    rep = read_report(FIXTURES / "reports" / "util_hierarchical_impl.rpt")
    assert rep.kind == "impl" and rep.tool == "vivado 2020.1"
    m = rep.model
    assert (m.lut, m.ff, m.dsp, m.bram18k) == (9830, 12405, 21, 2 * 3 + 2)
    assert [r.name for r in rep.layers] == ["design_1_i"]  # direct children only: no double counting


def test_xml_reader_agrees_with_rpt_and_reads_instances():
    xml = read_report(FIXTURES / "xml_build/myproject_prj/solution1/syn/report/myproject_csynth.xml")
    rpt = read_report(FIXTURES / "reports" / "vitis2021_cardio_csynth.rpt")
    assert xml.tool == "vivado_hls 2019.2" and xml.part == "xc7z020-clg400-1" and xml.clock_ns == 10.0
    for a, b in zip([xml.model, *xml.layers], [rpt.model, *rpt.layers], strict=True):
        assert (a.module, a.dsp, a.lut, a.ff, a.bram18k, a.latency_max_cycles) == (
            b.module, b.dsp, b.lut, b.ff, b.bram18k, b.latency_max_cycles)
    assert xml.available["dsp"] == 220


def test_find_reports_in_build_dir_and_directory_read():
    reps = find_reports(FIXTURES / "xml_build")
    assert [r.kind for r in reps] == ["csynth"] and len(reps[0].layers) == 4
    assert read_report(FIXTURES / "xml_build", label="replay").label == "replay"


def test_layer_type_from_module():
    assert layer_type_from_module("conv_2d_cl_array_array_ap_fixed_8u_config2_s") == "Conv2D"
    assert layer_type_from_module("leaky_relu_array_array_LeakyReLU_config10_246") == "LeakyReLU"
    assert layer_type_from_module("Block_proc") is None


# ------------------------------------------------------------------------------------------------ errors


def test_missing_file_error_names_file(tmp_path):
    with pytest.raises(ReportError, match=r"nope\.rpt: no such file; expected a Vivado/Vitis HLS csynth"):
        read_report(tmp_path / "nope.rpt")


def test_empty_and_unknown_files(tmp_path):
    (tmp_path / "empty.rpt").write_text("")
    with pytest.raises(ReportError, match="empty.rpt: the file is empty"):
        read_report(tmp_path / "empty.rpt")
    (tmp_path / "other.rpt").write_text("hello\n")
    with pytest.raises(ReportError, match=r"other.rpt: not a report this reader knows; expected .*HLS Report for"):
        read_report(tmp_path / "other.rpt")


def test_truncated_csynth_report(tmp_path):
    text = (FIXTURES / "reports" / "vitis2021_cardio_csynth.rpt").read_text()
    cut = tmp_path / "cut_csynth.rpt"
    cut.write_text(text[: text.index("== Utilization Estimates")])
    with pytest.raises(ReportError, match=r"cut_csynth.rpt: .*'== Utilization Estimates'.*truncated"):
        read_report(cut)


def test_corrupt_number_names_cell(tmp_path):
    text = (FIXTURES / "reports" / "vitis2021_cardio_csynth.rpt").read_text()
    bad = tmp_path / "bad_csynth.rpt"
    bad.write_text(text.replace("|Total            |        3|  36|   3684|", "|Total            |        3|  3x|   3684|"))
    with pytest.raises(ReportError, match=r"bad_csynth.rpt: expected a number for utilisation Total dsp, found '3x'"):
        read_report(bad)


def test_corrupt_xml(tmp_path):
    p = tmp_path / "myproject_csynth.xml"
    p.write_text("<profile><UserAssignments>")
    with pytest.raises(ReportError, match="myproject_csynth.xml: not well-formed XML"):
        read_report(p)


def test_utilisation_without_luts(tmp_path):
    text = (FIXTURES / "reports" / "vivado2018_utilization_synth.rpt").read_text()
    p = tmp_path / "u.rpt"
    p.write_text(text.replace("CLB LUTs", "CLB Thingies"))
    with pytest.raises(ReportError, match=r"u.rpt: a Vivado report_utilization file needs .*missing: \['lut'\]"):
        read_report(p)


def test_directory_without_report(tmp_path):
    with pytest.raises(ReportError, match="expected exactly one C-synthesis report"):
        read_report(tmp_path)
    shutil.copytree(FIXTURES / "xml_build", tmp_path / "b")
    assert read_report(tmp_path / "b").model.dsp == 36
