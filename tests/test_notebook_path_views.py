"""What the notebooks show: a status that is always the latest estimate's, designs compared (pin A, change B),
plots readable at notebook width, the pruning slider's preview (the seed answer: tests/test_seed.py)."""

from __future__ import annotations

import pytest

from hlsnb.calibration.reference import tutorial_mlp
from hlsnb.design import Design
from hlsnb.estimate import estimate_design
from hlsnb.widgets import EstimatePlot, Explorer
from hlsnb.widgets.plots import figure_dict

RES = ("dsp", "lut", "ff", "bram18k")


# ---------------------------------------------------------------- status
def test_status_always_follows_the_latest_estimate():
    design = tutorial_mlp("Resource", 64)
    ex = Explorer(design)
    result = ex.fit_to_board(0.8)
    assert result.fits and "Fits under 80%" in ex.fit_report.value and "Now: fits" in ex.current.value
    design.set_all(strategy="Latency", reuse_factor=1)  # far over the board
    est = estimate_design(design)
    assert est.utilisation["dsp"] > 100
    assert "over the board" in ex.current.value and f"{est.utilisation['dsp']:.0f}%" in ex.current.value
    assert "Now: fits" not in ex.current.value
    assert "hlsnb-stale" in ex.fit_report.value and "changed since" in ex.fit_report.value  # not a current claim
    ex.fit_to_board(0.8)
    assert "hlsnb-stale" not in ex.fit_report.value and "Now: fits" in ex.current.value
    ex.fit_target.value = 0.05  # the target moves: the status is judged again at once
    assert "over the target" in ex.current.value or "over the board" in ex.current.value


def test_pin_a_and_compare_b_with_a_history():
    design = tutorial_mlp("Resource", 64)
    ex = Explorer(design)
    ex.pin("A")
    assert any((t.meta or {}).get("hlsnb") == "pinned" for t in ex.plot.figure.data)
    a = estimate_design(design)
    design.set("fc1", reuse_factor=16)
    b = estimate_design(design)
    ghost = next(t for t in ex.plot.figure.data if (t.meta or {}).get("hlsnb") == "pinned")
    assert list(ghost.y) == pytest.approx([a.utilisation[k] for k in RES])  # A stays as it was
    assert "fc1: Resource RF 64 &rarr; Resource RF 16" in ex.compare.value
    assert f"{b.total['lut'] - a.total['lut']:+,.0f}" in ex.compare.value
    assert [h["what"] for h in ex.history][-1] == "fc1: reuse_factor 64 -> 16"
    assert ex.history[-1]["latency"] == b.latency_cycles and "run history" in ex.history_html.value
    ex.unpin()
    assert ex.compare.value == "" and not any((t.meta or {}).get("hlsnb") == "pinned" for t in ex.plot.figure.data)


# ---------------------------------------------------------------- plots
def test_plot_has_a_target_line_a_capped_axis_and_absolute_counts():
    design = tutorial_mlp("Latency", 1)  # DSPs at well over 1000 % of the part
    est = estimate_design(design)
    spec = figure_dict(est, design, target=0.8)
    lay = spec["layout"]
    assert any(s["y0"] == 80 for s in lay["shapes"]) and any("target 80 %" in a["text"] for a in lay["annotations"])
    assert lay["yaxis"]["range"][1] <= 250  # capped: the other resources stay readable
    counts = next(t for t in spec["data"] if t["meta"]["hlsnb"] == "counts")
    dsp_text = counts["text"][0]
    assert f"{est.total['dsp']:,.0f} DSP" in dsp_text and f"{est.utilisation['dsp']:,.0f}%" in dsp_text
    assert max(counts["y"]) <= lay["yaxis"]["range"][1]
    timing = [t for t in spec["data"] if t.get("yaxis") == "y2"]
    assert timing and all(t.get("legend") == "legend2" for t in timing)  # its own legend, apart from the layers
    assert all(t.get("legend", "legend") == "legend" for t in spec["data"] if t.get("yaxis") == "y")
    assert lay["xaxis"]["tickangle"] == 0 and all("|" not in t for t in lay["xaxis"]["ticktext"])


def test_live_plot_updates_counts_with_the_design():
    design = tutorial_mlp("Resource", 64)
    plot = EstimatePlot(design)
    design.set("fc1", reuse_factor=16)
    counts = next(t for t in plot.figure.data if (t.meta or {}).get("hlsnb") == "counts")
    assert f"{estimate_design(design).total['lut']:,.0f} LUT" in counts.text[1]


def test_pruning_slider_previews_its_point_and_flags_over_board(mlp, digits16):
    from hlsnb.widgets import PruningSlider

    design = Design.from_keras(mlp, board="pynq-z2")
    s = PruningSlider(mlp, design, digits16, prune_kwargs=dict(epochs=1, csim=False))
    s.slider.value = 0.1
    preview = next(t for t in s.figure.data if (t.meta or {}).get("hlsnb") == "preview")
    assert list(preview.x) == [pytest.approx(s.estimate["dsp"])] and 0 < preview.y[0] <= 1
    assert "over the board" in preview.text[0] and "still over the board" in s.estimate_html.value
    s.slider.value = 0.99
    preview = next(t for t in s.figure.data if (t.meta or {}).get("hlsnb") == "preview")
    over = any(u > 100 for u in s.estimate["utilisation"].values())
    assert ("over the board" in preview.text[0]) == over == ("still over the board" in s.estimate_html.value)


def test_save_says_where_the_file_went_with_a_link(tmp_path):
    ex = Explorer(tutorial_mlp("Resource", 64))
    ex.path.value = str(tmp_path / "mine.json")
    ex.save_button.click()
    assert (tmp_path / "mine.json").exists()
    assert "download" in ex.status.value and str((tmp_path / "mine.json").resolve()) in ex.status.value
    ex.path.value = str(tmp_path / "no_such_dir" / "x.json")
    ex.save_button.click()
    assert "#b42318" in ex.status.value and "<a " not in ex.status.value  # an error, said as one
