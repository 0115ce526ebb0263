"""Synthesis flow: tool detection, builds with fake vendor tools, replay, and the C-simulation check."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from hlsnb.synth import build as B
from hlsnb.synth.reports import ReportError
from hlsnb.synth.tools import check_backend, detect_mode, detect_tools

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FAKE = FIXTURES / "fake_tools"
EMPTY_PATH = "/nonexistent-hlsnb-path"


@pytest.fixture
def fake_path(monkeypatch):
    """PATH with the fake vivado_hls / vivado first; knobs cleared."""
    for k in ("FAKE_EXIT", "FAKE_NO_REPORT", "FAKE_VIVADO_EXIT", "FAKE_NO_BIT", "FAKE_HLS_VERSION"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("PATH", f"{FAKE}{os.pathsep}/usr/bin{os.pathsep}/bin")
    return FAKE


@pytest.fixture
def project(tmp_path):
    """A minimal written hls4ml project directory (what run_build needs from hls_model.write())."""
    d = tmp_path / "prj"
    d.mkdir()
    (d / "hls4ml_config.yml").write_text("Backend: VivadoAccelerator\nProjectName: myproject\nOutputDir: prj\n")
    (d / "build_prj.tcl").write_text("# written by hls4ml\n")
    return d


# ------------------------------------------------------------------------------------------- detection


def test_detect_without_tools_says_estimate_in_one_line():
    tools = detect_tools(path=EMPTY_PATH)
    assert not any(t.found for t in tools.values())
    mode = detect_mode("VivadoAccelerator", tools=tools)
    assert mode.mode == "estimate"
    assert "\n" not in mode.message and "vivado_hls not found on PATH" in mode.message


def test_detect_fake_tools_versions_and_support_matrix(fake_path, monkeypatch):
    tools = detect_tools()
    assert tools["vivado_hls"].version == "2020.1" and tools["vivado"].version == "2020.1"
    assert tools["vitis-run"].found is False
    assert check_backend("VivadoAccelerator", tools)[0]
    assert detect_mode("VivadoAccelerator", tools=tools).mode == "synth"
    ok, why = check_backend("Vitis", tools)
    assert not ok and "vitis-run not found" in why

    monkeypatch.setenv("FAKE_HLS_VERSION", "2020.2")
    ok, why = check_backend("VivadoAccelerator", detect_tools())
    assert not ok and "too new" in why and "need <= 2020.1" in why and "found 2020.2" in why
    with pytest.raises(ValueError, match="backend 'Quartus' is not one hlsnb builds; valid: Vivado"):
        check_backend("Quartus", tools)


def test_replay_mode_when_tools_absent(tmp_path):
    rpt = tmp_path / "stored_csynth.rpt"
    shutil.copy(FIXTURES / "reports" / "vitis2021_cardio_csynth.rpt", rpt)
    mode = detect_mode("Vivado", replay=rpt, tools=detect_tools(path=EMPTY_PATH))
    assert mode.mode == "replay" and "stored_csynth.rpt" in mode.message
    assert detect_mode("Vivado", replay=tmp_path / "gone", tools=detect_tools(path=EMPTY_PATH)).mode == "estimate"


# ------------------------------------------------------------------------------------- builds, fake tools


def test_build_streams_log_tracks_stages_and_collects_bitstream(fake_path, project):
    out = io.StringIO()

    class Out:  # stands in for ipywidgets.Output: records what was appended
        def append_stdout(self, text):
            out.write(text)

    res = B.run_build(project, csim=True, synth=True, export=True, bitfile=True, output=Out(), progress=False,
                      stem="digits")
    log = out.getvalue()
    assert "***** C/RTL SYNTHESIS *****" in log and "Bitgen Completed" in log
    assert res.stages == ["csim", "csynth", "export", "vsynth", "bitstream"]
    assert res.returncodes == {"vivado_hls": 0, "vivado": 0}
    assert Path(res.bitfile).name == "digits.bit" and Path(res.hwh).name == "digits.hwh"
    assert Path(res.bitfile).parent == project.resolve()
    rep = res.report("csynth")
    assert rep.label == "measured" and rep.model.dsp == 36 and len(rep.layers) == 4
    assert Path(res.log_path).read_text() == log


def test_build_to_stdout_with_vsynth_report(fake_path, project, capsys):
    res = B.run_build(project, synth=True, vsynth=True, progress=False)
    assert "***** VIVADO SYNTHESIS *****" in capsys.readouterr().out
    assert [r.kind for r in res.reports] == ["csynth", "vsynth"]
    assert res.report("vsynth").model.lut == 60776


def test_build_nonzero_exit_is_an_error(fake_path, project, monkeypatch):
    monkeypatch.setenv("FAKE_EXIT", "1")
    with pytest.raises(B.BuildError, match=r"'vivado_hls -f build_prj.tcl .*' exited with code 1"):
        B.run_build(project, progress=False, echo=False)


def test_build_exit_zero_without_report_is_an_error(fake_path, project, monkeypatch):
    monkeypatch.setenv("FAKE_NO_REPORT", "1")
    with pytest.raises(B.BuildError, match=r"exited 0 but left no C-synthesis report .*first error in the log: "
                                           r"ERROR: \[HLS 200-70\]"):
        B.run_build(project, progress=False, echo=False)


def test_vivado_exit_code_is_checked_unlike_hls4ml(fake_path, project, monkeypatch):
    monkeypatch.setenv("FAKE_VIVADO_EXIT", "1")
    with pytest.raises(B.BuildError, match="'vivado -mode batch -source design.tcl' exited with code 1"):
        B.run_build(project, bitfile=True, progress=False, echo=False)
    monkeypatch.delenv("FAKE_VIVADO_EXIT")
    monkeypatch.setenv("FAKE_NO_BIT", "1")
    with pytest.raises(B.BuildError, match=r"left no bitstream .*first error in the log: ERROR: \[Place 30-640\]"):
        B.run_build(project, bitfile=True, progress=False, echo=False)


def test_missing_tools_one_line(project, monkeypatch):
    monkeypatch.setenv("PATH", EMPTY_PATH)
    with pytest.raises(B.ToolNotFound, match="cannot build prj with VivadoAccelerator: vivado_hls not found on PATH"):
        B.run_build(project, progress=False, echo=False)


def test_bitfile_needs_accelerator_backend(fake_path, project):
    with pytest.raises(ValueError, match="bitfile=True needs backend VivadoAccelerator, not 'Vivado'"):
        B.run_build(project, backend="Vivado", bitfile=True, progress=False)


def test_unwritten_project(tmp_path):
    with pytest.raises(B.BuildError, match="no build_prj.tcl; write the hls4ml project first"):
        B.run_build(tmp_path, progress=False)


def test_progress_bar_counts_planned_stages(fake_path, project, monkeypatch):
    seen = []

    class Bar:
        def __init__(self, total, desc, unit):
            self.total = total

        def update(self, n):
            seen.append(n)

        def set_postfix_str(self, s):
            seen.append(s)

        def close(self):
            seen.append("closed")

    import tqdm.auto

    monkeypatch.setattr(tqdm.auto, "tqdm", Bar)
    B.run_build(project, csim=True, synth=True, echo=False)
    assert seen == ["C simulation", 1, "C synthesis", 1, "closed"]


# ------------------------------------------------------------------------------------------------ replay


def test_replay_report_and_directory(tmp_path, capsys):
    res = B.replay_build(FIXTURES / "reports" / "vitis2021_cardio_csynth.rpt")
    out = capsys.readouterr().out
    assert out.startswith("[replay] no tools run")
    assert res.label == "replay" and res.report().label == "replay" and "[replay]" in res.summary()
    res = B.replay_build(FIXTURES / "xml_build", echo=False)
    assert res.report("csynth").model.lut == 2579
    with pytest.raises(ReportError, match="no reports found"):
        B.replay_build(tmp_path, echo=False)


def test_shipped_replay_fixture_reads():
    from hlsnb.synth import REPLAY_DIR

    res = B.replay_build(REPLAY_DIR, echo=False)
    rep = res.report("csynth")
    assert res.label == "replay" and rep.model.lut > 0 and len(rep.layers) == 4 and rep.label == "replay"


# ------------------------------------------------------------------------------- real hls4ml (3 compiles)


@pytest.fixture(scope="module")
def digits():
    pytest.importorskip("hls4ml")
    from hlsnb.train import quick_model

    model, data = quick_model(epochs=15, progress=False)
    return model, data


def test_csim_matches_keras_and_project_builds_with_fake_tools(digits, tmp_path, monkeypatch):
    from hlsnb.design import Design
    from hlsnb.synth.project import check_csim, make_project

    model, data = digits
    design = Design.from_keras(model, board="pynq-z2")
    hm = make_project(design, model, tmp_path / "prj", backend="VivadoAccelerator")
    check = check_csim(hm, model, data.X_test, data.y_test)
    assert check.passed, check.summary()
    assert check.argmax_agreement >= 0.98 and abs(check.keras_accuracy - check.hls_accuracy) < 0.03
    assert check.max_abs_diff < 0.25 and check.first_divergent is None

    # the same written project goes through the build path with the fake tools
    monkeypatch.setenv("PATH", f"{FAKE}{os.pathsep}/usr/bin{os.pathsep}/bin")
    res = B.run_build(tmp_path / "prj", bitfile=True, progress=False, echo=False)
    assert res.bitfile.endswith("myproject.bit") and res.report().model.dsp == 36


def test_broken_auto_precision_is_traced_to_softmax(digits, tmp_path):
    """hls4ml's own name-granularity config leaves the last Dense at 'auto': the trace must name the softmax."""
    import hls4ml

    from hlsnb.synth.project import check_csim

    model, data = digits
    cfg = hls4ml.utils.config_from_keras_model(model, granularity="name", backend="Vivado")
    hm = hls4ml.converters.convert_from_keras_model(model, hls_config=cfg, output_dir=str(tmp_path / "bad"),
                                                    backend="Vivado", part="xc7z020clg400-1")
    check = check_csim(hm, model, data.X_test, data.y_test)
    assert not check.passed and check.argmax_agreement < 0.5
    f = check.first_divergent
    assert f is not None and "softmax" in f.name and f.precision.startswith("ap_fixed<16,6")
    assert f.input_precision.startswith("ap_fixed<3")  # the 'auto' width of the Dense before it
    assert f"first layer to diverge: {f.name}" in check.summary()
    # the layers before it agree with Keras
    before = check.trace[: check.trace.index(f)]
    assert before and all(t.rel_diff < 0.05 for t in before)
    assert np.isfinite(check.max_abs_diff)


# ------------------------------------------------------------------------------- compare and recalibrate


@pytest.fixture
def cardio_design(cardio):
    return cardio[0]  # tests/conftest.py


def test_compare_estimate_with_replayed_report(cardio_design):
    from hlsnb.estimate import estimate_design
    from hlsnb.synth import REPLAY_DIR, compare

    rep = B.replay_build(REPLAY_DIR, echo=False).report()
    c = compare(cardio_design, rep)
    est = estimate_design(cardio_design)
    assert {r["layer"] for r in c.rows} == {"fc1", "fc1_relu", "output", "output_softmax", "total"}
    assert c.unmatched == [] and c.label == "replay" and "[replay]" in c.title
    t = c.total("lut")
    assert t["estimated"] == est.total["lut"] and t["reported"] == rep.model.lut
    assert t["error"] == pytest.approx(est.total["lut"] - rep.model.lut)
    assert t["error_pct"] == pytest.approx(100 * (est.total["lut"] - rep.model.lut) / rep.model.lut)
    fc1 = next(r for r in c.rows if r["layer"] == "fc1" and r["resource"] == "ff")
    assert fc1["reported"] == next(r.ff for r in rep.layers if r.config_index == 2)
    assert c.total("dsp")["error_pct"] is None  # reported 0: no percentage, never a division by zero
    fig = c.figure()
    assert len(fig.data) == 8 and "replay" in fig.data[1].name and "csynth" in fig.layout.title.text
    assert "<table>" in c._repr_html_()


def test_recalibrate_saves_applies_and_resets(cardio_design, tmp_path, monkeypatch):
    from hlsnb.estimate import COEFFICIENTS, estimate_design
    from hlsnb.estimate._core import load_coefficients
    from hlsnb.synth import REPLAY_DIR
    from hlsnb.synth.recalibrate import load_user_calibration, recalibrate, reset_calibration

    monkeypatch.setenv("HLSNB_COEFFICIENTS", str(tmp_path / "coef.json"))
    rep = B.replay_build(REPLAY_DIR, echo=False).report()
    shipped = estimate_design(cardio_design).layer("output_softmax").lut
    try:
        r = recalibrate([(cardio_design, rep)])
        assert r.n_user_records == 4 and (tmp_path / "coef.json").is_file() and r.changed
        after = estimate_design(cardio_design).layer("output_softmax").lut
        meas = next(x.lut for x in rep.layers if x.layer_type == "Softmax")
        assert abs(after - meas) < abs(shipped - meas)  # learnt from the user's report
        reset_calibration()
        assert not (tmp_path / "coef.json").exists() and dict(COEFFICIENTS) == load_coefficients()
        assert estimate_design(cardio_design).layer("output_softmax").lut == shipped
        assert load_user_calibration() is False
    finally:
        reset_calibration()


def test_recalibrate_rejects_reports_without_usable_layers(cardio_design):
    from hlsnb.synth.recalibrate import recalibrate

    vs = __import__("hlsnb.synth.reports", fromlist=["read_report"]).read_report(
        FIXTURES / "reports" / "vivado2018_utilization_synth.rpt")
    with pytest.raises(ValueError, match="no usable layer .*vsynth report; the estimator models C-synthesis"):
        recalibrate([(cardio_design, vs)])


def test_vivado_accelerator_project_has_unswapped_stream_widths(fresh_mlp, tmp_path):
    """hls4ml 1.3 writes the input width as bit_width_hls_output and vice versa; make_project undoes it."""
    import re

    from hlsnb.design import Design
    from hlsnb.synth.project import fix_stream_widths, make_project

    design = Design.from_keras(fresh_mlp, board="pynq-z2", backend="VivadoAccelerator")
    make_project(design, fresh_mlp, tmp_path / "prj")
    tcl_path = tmp_path / "prj" / "project.tcl"
    tcl = tcl_path.read_text()
    widths = lambda t: (int(re.search(r"^set bit_width_hls_input (\d+)$", t, re.M).group(1)),  # noqa: E731
                        int(re.search(r"^set bit_width_hls_output (\d+)$", t, re.M).group(1)))
    assert widths(tcl) == (32, 32)  # float words on both streams
    assert "set clock_period 10" in tcl  # the PYNQ-Z2 runs the IP at 100 MHz, not hls4ml's default 5 ns
    # what hls4ml writes for a 16-bit input and 32-bit output interface: the two swapped
    swapped = re.sub(r"# hlsnb: stream widths fixed.*\n", "", tcl)
    swapped = re.sub(r"^set bit_width_hls_output \d+$", "set bit_width_hls_output 16", swapped, flags=re.M)
    swapped = re.sub(r"^set bit_width_hls_input \d+$", "set bit_width_hls_input 32", swapped, flags=re.M)
    tcl_path.write_text(swapped)
    assert fix_stream_widths(tmp_path / "prj") == (16, 32)
    assert widths(tcl_path.read_text()) == (16, 32)
    assert fix_stream_widths(tmp_path / "prj") is None  # idempotent


def test_saved_refit_is_used_in_a_new_session_and_labelled(tmp_path):
    """A refit saved by recalibrate applies when hlsnb is next imported, and estimates say what they were fitted on."""
    import json
    import os
    import subprocess
    import sys

    from hlsnb.estimate import _core

    coef = dict(_core.load_coefficients(), lut_add_per_bit=3.0)
    path = tmp_path / "coef.json"
    path.write_text(json.dumps({"hlsnb_calibration": 1, "coefficients": coef}))
    code = ("from hlsnb.estimate import estimate_design, estimate_layer\n"
            "from hlsnb.estimate._reference import tutorial_mlp\n"
            "e = estimate_design(tutorial_mlp())\n"
            "print(e.calibration); print(estimate_layer('Dense', 16, 64).lut)")
    env = dict(os.environ, HLSNB_COEFFICIENTS=str(path))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    label, lut_user = out.stdout.split("\n")[:2]
    assert label.startswith("your builds") and str(path) in label, out.stderr
    env["HLSNB_COEFFICIENTS"] = str(tmp_path / "none.json")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    label2, lut_shipped = out.stdout.split("\n")[:2]
    assert label2 == "shipped" and float(lut_user) > float(lut_shipped)
