"""The forum's design in the project (hlsnb.forum): trained quantization-aware and pruned, its hls4ml settings,
the public build's design from the calibration data, the 16-bit what-if, and hls4ml's C simulation against Keras."""

from __future__ import annotations

import csv
import re

import numpy as np
import pytest

from hlsnb.errors import InvalidSetting
from hlsnb.forum import (
    DENSE_LAYERS,
    PUBLIC_ZEROS,
    csim_check,
    dense16_what_if,
    forum_design,
    hgq_design,
    reuse_factor_substitutions,
    train_forum_mlp,
    zero_counts,
)
from hlsnb.precision import parse_precision


def test_public_zero_counts_are_the_calibration_datas(calibration_dir):
    """PUBLIC_ZEROS is a transcription of reports3.csv's weight-file statistics: checked against the file."""
    path = calibration_dir / "reports3.csv"
    if not path.exists():
        pytest.skip(f"{path} not found")
    seen = {}
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            if r["source"].startswith("nicologhielmetti/hls4ml-pynq") and r["scope"] == "layer" \
                    and r["layer_type"] == "Dense":
                m = re.search(r"weights file \w+\.txt: (\d+) values, (\d+) zeros", r["notes"])
                seen.setdefault(r["layer_name"], set()).add((int(m.group(2)), int(m.group(1))))
    assert {k: v.pop() for k, v in seen.items() if len(v) == 1} == PUBLIC_ZEROS


def test_public_build_design_needs_no_keras():
    d = forum_design()
    dense = [l for l in d.layers if l.layer_type == "Dense"]
    assert [l.name for l in dense] == list(DENSE_LAYERS)
    assert [(l.n_in, l.n_out) for l in dense] == [(16, 64), (64, 32), (32, 32), (32, 5)]
    assert zero_counts(d) == PUBLIC_ZEROS
    assert {l.weight_precision for l in dense} == {l.bias_precision for l in dense} == {"ap_fixed<6,1>"}
    relus = [l for l in d.layers if l.layer_type == "Activation"]
    assert len(relus) == 3 and {l.result_precision for l in relus} == {"ap_ufixed<6,0,AP_RND_CONV,AP_SAT>"}
    # hls4ml's 'auto' accumulator: 16-bit input x 6-bit weight over 16 products plus the bias
    assert d.layer("fc1").accum_precision == "ap_fixed<27,12>"
    assert (d.backend, d.tool_version, d.board, d.clock_ns) == ("VivadoAccelerator", "2019.2", "pynq-z2", 5.0)
    assert {l.strategy for l in dense} == {"Latency"}


@pytest.mark.parametrize("strategy", ["Latency", "Resource"])
def test_reuse_factor_64_everywhere_as_hls4ml_builds_it(strategy):
    d = forum_design(strategy=strategy)
    rfs = {l.name: l.reuse_factor for l in d.layers if l.is_mult_layer}
    assert rfs["fc1"] == rfs["fc2"] == rfs["fc3"] == 64
    # the 32x5 output layer (160 products): hls4ml 1.3 keeps 64 for Latency (the forum's Latency build has it) and
    # substitutes the closest valid value below for Resource
    if strategy == "Latency":
        assert rfs["output"] == 64 and reuse_factor_substitutions(d) == {}
    else:
        assert 64 not in d.valid_reuse_factors("output", strategy)
        assert rfs["output"] == 32 and reuse_factor_substitutions(d) == {"output": 32}


def test_bad_inputs_are_named():
    with pytest.raises(InvalidSetting, match="tool 'quartus 2019.2'"):
        forum_design(tool="quartus 2019.2")
    with pytest.raises(InvalidSetting, match="2021.1"):
        forum_design(tool="vivado_hls 2021.1")  # Vivado HLS ended with 2020.1
    with pytest.raises(InvalidSetting, match="reuse_factor"):
        forum_design(reuse_factor=0)
    with pytest.raises(ValueError, match="sparsity"):
        train_forum_mlp(sparsity=1.0)
    with pytest.raises(ValueError, match="epochs"):
        train_forum_mlp(epochs=1)


def test_dense16_what_if_is_the_same_network_at_16_bits_unpruned():
    d = forum_design(strategy="Resource")
    w = dense16_what_if(d)
    assert [l.name for l in w.layers] == [l.name for l in d.layers]
    assert [(l.strategy, l.reuse_factor) for l in w.layers] == [(l.strategy, l.reuse_factor) for l in d.layers]
    assert all(n == 0 for n, _ in zero_counts(w).values())
    precs = {getattr(l, f"{k}_precision") for l in w.layers for k in ("weight", "bias", "accum", "result")}
    assert precs - {None} == {"ap_fixed<16,6>"}
    assert (w.backend, w.tool_version, w.clock_ns) == (d.backend, d.tool_version, d.clock_ns)
    assert zero_counts(d) == PUBLIC_ZEROS  # the input design is not changed


def test_trained_design_is_quantized_and_pruned_like_the_public_build(forum_model):
    info = forum_model.forum_info
    assert info["keras_test_accuracy"] > 0.9
    d = forum_design(forum_model)
    # HGQ2's input quantizers are fused by hls4ml: the design has the layers hls4ml builds, nothing else
    assert [l.layer_type for l in d.layers] == ["Input"] + ["Dense", "Activation"] * 3 + ["Dense", "Softmax"]
    zeros = zero_counts(d)
    for name, (z, n) in PUBLIC_ZEROS.items():
        mine, total = zeros[name]
        assert total == n and abs(mine / n - z / n) < 0.03, (name, mine, z)
    dense = [l for l in d.layers if l.layer_type == "Dense"]
    assert {l.weight_precision for l in dense} == {l.bias_precision for l in dense} == {"ap_fixed<6,1>"}
    assert {l.result_precision for l in d.layers if l.layer_type == "Activation"} == {"ap_ufixed<6,0,AP_RND,AP_SAT>"}
    # the forum's types, not HGQ2's: the accumulators and results hls4ml infers for the QKeras config's 'auto' (the
    # public build's 27/19/18/18 bits), the input at the forum's 16 bits (with the model's own quantizer modes)
    public = forum_design()
    assert [(l.accum_precision, l.result_precision) for l in dense] == \
        [(public.layer(l.name).accum_precision,) * 2 for l in dense]
    assert [l.accum_precision for l in dense] == ["ap_fixed<27,12>", "ap_fixed<19,8>", "ap_fixed<18,7>",
                                                  "ap_fixed<18,7>"]
    assert d.layers[0].result_precision == "ap_fixed<16,6,AP_RND,AP_SAT>"
    # the HGQ2-typed design: the same weights and settings, HGQ2's narrower accumulators and results
    h = hgq_design(forum_model)
    assert zero_counts(h) == zeros and [(l.strategy, l.reuse_factor) for l in h.layers] == \
        [(l.strategy, l.reuse_factor) for l in d.layers]
    for l in dense:
        mine, theirs = (parse_precision(x.layer(l.name).result_precision) for x in (h, d))
        assert mine.width < theirs.width, (l.name, mine, theirs)
    # the model's own zeros are hls4ml's zeros (float weights snapped to their 6-bit values)
    for name in DENSE_LAYERS:
        k = forum_model.get_layer(name).kernel.numpy()
        assert np.array_equal(k, np.round(k * 32) / 32) and np.abs(k).max() <= 1


def test_training_shows_progress_and_is_seeded(digits16, tmp_path):
    seen = []
    a = train_forum_mlp(digits16, epochs=4, prune_steps=2, progress=lambda done, total, text: seen.append(
        (done, total, text)))
    assert [s[0] for s in seen] == [1, 2, 3, 4] and seen[-1][1] == 4
    assert any("pruning to 75 % zeros" in s[2] for s in seen)
    assert {n: z for n, (z, _) in a.forum_info["zeros"].items()} == {"fc1": 768, "fc2": 1536, "fc3": 768,
                                                                     "output": 120}
    # a training this short leaves fc2's input quantizer apart from fc1's ReLU: hls4ml keeps it as a layer of its
    # own and refuses VivadoAccelerator for it ("Backend VivadoAccelerator not tested"). The design still reads the
    # types hls4ml builds (through its plain Vivado backend); converting for the board says why it cannot, and how
    d = forum_design(a)
    assert d.backend == "VivadoAccelerator" and d.layer("fc1_relu").result_precision == "ap_ufixed<13,6>"
    with pytest.raises(InvalidSetting, match=r"VivadoAccelerator.*\(fc2_iq\).*backend='Vivado'"):
        d.convert(a, output_dir=str(tmp_path / "accel"))


def test_csim_is_bit_exact_with_keras_and_builds_the_forums_types(forum_model, digits16, tmp_path, monkeypatch):
    """One real hls4ml conversion and g++ compile (about 40 s): the reason this test is slow.

    hls4ml's conversion of the HGQ2 model picks HGQ2's narrow types; csim_check puts the forum's wider accumulators
    and results on it (and says so in ``retyped``), and the C++ it compiles has them: exact sums, so the values
    before the softmax are still bit-exact with Keras."""
    monkeypatch.setenv("HLSNB_CACHE", str(tmp_path / "cache"))  # a cache of its own: the first check compiles
    design = forum_design(forum_model)
    c = csim_check(forum_model, digits16, design, output_dir=str(tmp_path / "prj"))
    assert c.logits_bit_exact, c.max_logit_diff
    assert c.agree > 0.98 and abs(c.csim_accuracy - c.keras_accuracy) <= 0.02
    for name in DENSE_LAYERS:
        spec = design.layer(name)
        assert c.types[name] == {"weight": "ap_fixed<6,1>", "bias": "ap_fixed<6,1>", "accum": spec.accum_precision,
                                 "result": spec.result_precision}
        assert c.retyped[name]["accum"][1] == spec.accum_precision  # hls4ml's conversion had another type
    defines = (tmp_path / "prj" / "firmware" / "defines.h").read_text()
    assert "typedef ap_fixed<27,12> fc1_accum_t;" in defines and "typedef ap_fixed<27,12> fc1_t;" in defines
    assert {c.types[n]["result"] for n in c.types if n.endswith("_relu")} == {"ap_ufixed<6,0,AP_RND,AP_SAT>"}
    assert c.zeros == {n: z for n, (z, _) in zero_counts(forum_design(forum_model)).items()}
    assert "C simulation" in str(c) and "%" in str(c)
    # the same project again (notebook 01 rerun): the traced library comes from the C-simulation cache
    assert c.compile_seconds > 0 and "compiled in" in str(c)
    again = csim_check(forum_model, digits16, design, output_dir=str(tmp_path / "prj"))
    assert again.compile_seconds == 0.0 and "came from the cache" in str(again)
    assert again.logits_bit_exact and again.csim_accuracy == c.csim_accuracy and again.agree == c.agree


def test_a_project_of_an_hgq2_model_holds_the_designs_types(forum_model, tmp_path):
    """Design.convert (and so make_project, the sweeps and notebook 04) writes the design's accumulators and results,
    not the narrower ones hls4ml's bit-exact HGQ2 flow picks from the quantizers; the change is said, not silent."""
    design = forum_design(forum_model)
    with pytest.warns(UserWarning, match="the design's are kept: fc1 accum"):
        hm = design.convert(forum_model, output_dir=str(tmp_path / "prj"))
    assert set(hm.hlsnb_retyped) >= set(DENSE_LAYERS)
    hm.write()
    defines = (tmp_path / "prj" / "firmware" / "defines.h").read_text()
    assert "typedef ap_fixed<27,12> fc1_accum_t;" in defines and "typedef ap_fixed<27,12> fc1_t;" in defines
    for name in DENSE_LAYERS:
        assert str(hm.graph[name].get_attr("accum_t").precision).startswith("fixed<")
        assert hm.hlsnb_retyped[name]["accum"][1] == design.layer(name).accum_precision
