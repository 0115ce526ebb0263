"""Property tests over the boundaries outside the Design and the estimator: any input gives either a clear error of
the documented type naming the parameter, or a valid result; nothing changes on an error (docs/errors.md)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hlsnb.board import StreamInterface
from hlsnb.board.manifest import check_member_path
from hlsnb.errors import BundleError, InvalidSetting, ReportError
from hlsnb.prune._validate import check_prune_inputs
from hlsnb.synth.reports import read_report
from hlsnb.tcl import PART_PATTERN, TCL_SPECIAL, check_part_number, tcl_word

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
anything = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(), st.binary(),
                     st.lists(st.integers(), max_size=3))


@FAST
@given(st.one_of(st.text(max_size=80), anything))
def test_part_numbers_are_accepted_only_when_safe_for_tcl(part):
    try:
        got = check_part_number(part, "part")
    except InvalidSetting as e:
        assert "part" in str(e)
        return
    assert got == part and PART_PATTERN.fullmatch(part) and not (set(part) & TCL_SPECIAL) and len(part) <= 64


@FAST
@given(st.text(max_size=60))
def test_tcl_word_is_one_brace_quoted_word_or_refused(text):
    try:
        w = tcl_word(text)
    except InvalidSetting:
        assert set(text) & set("{}\\\n\r")
        return
    assert w == "{" + text + "}" and w.count("{") == 1 and w.count("}") == 1


@FAST
@given(st.one_of(st.text(max_size=40), anything))
def test_bundle_member_paths_stay_inside(rel):
    try:
        out = check_member_path(rel, "file")
    except BundleError as e:
        assert "the manifest's file" in str(e)
        return
    parts = out.split("/")
    assert not out.startswith("/") and ".." not in parts and "" not in parts and "\\" not in out


@FAST
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64), min_size=1, max_size=8),
       st.sampled_from(["float", "double", "ap_fixed<16,6>", "ap_fixed<16,6,AP_RND,AP_SAT>"]))
def test_stream_encoding_refuses_nan_or_gives_finite_words_and_a_count(values, text):
    iface = StreamInterface(input_shape=(len(values),), output_shape=(1,), input_type=text)
    x = np.array([values])
    before = x.copy()
    try:
        words, n_over = iface.input_word.encode(x, "input")
    except ValueError as e:
        assert "input" in str(e) and ("NaN" in str(e) or "infinit" in str(e))
        assert any(math.isnan(v) or (math.isinf(v) and (text in ("float", "double") or "SAT" not in text))
                   for v in values)
    else:
        assert n_over >= 0 and words.shape == x.shape
        if iface.input_word.fixed is not None:
            assert np.isfinite(iface.input_word.decode(words)).all()
    np.testing.assert_array_equal(x, before)  # the caller's array is never changed


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=2000))
def test_any_bytes_as_a_report_give_a_report_or_a_report_error(tmp_path_factory, data):
    p = tmp_path_factory.mktemp("r") / "x_csynth.rpt"
    p.write_bytes(data)
    try:
        rep = read_report(p)
    except ReportError as e:
        assert str(p) in str(e)
    else:
        assert rep.rows


@FAST
@given(epochs=anything, batch_size=anything, learning_rate=anything, validation_split=anything, seed=anything,
       metric=anything)
def test_prune_arguments_either_pass_or_name_themselves(epochs, batch_size, learning_rate, validation_split, seed,
                                                         metric):
    kw = dict(epochs=epochs, batch_size=batch_size, learning_rate=learning_rate, validation_split=validation_split,
              seed=seed, metric=metric)
    try:
        check_prune_inputs(None, None, validation=None, cutoff_bad_trials=1, min_keep=1, **kw)
    except InvalidSetting as e:
        assert any(f"prune: {k} " in str(e) for k in kw)
        return
    assert isinstance(epochs, int) and epochs >= 1 and isinstance(batch_size, int) and batch_size >= 1
    assert metric in ("l1", "l2", "taylor") and 0 < learning_rate <= 10


@FAST
@given(st.lists(st.integers(-3, 8), min_size=1, max_size=20), st.integers(1, 6))
def test_prune_labels_in_range_pass_others_are_named(labels, n_classes):
    class Model:
        output_shape = (None, n_classes)

    y = np.array(labels)
    X = np.zeros((len(y), 3), dtype=np.float32)
    try:
        check_prune_inputs(Model(), (X, y), validation=None, epochs=1, batch_size=1, learning_rate=1e-3,
                           validation_split=0.2, cutoff_bad_trials=1, min_keep=1, metric="l1", seed=0)
    except InvalidSetting as e:
        assert "data[1] (y_train)" in str(e) and (y.min() < 0 or y.max() >= n_classes)
    else:
        assert y.min() >= 0 and y.max() < n_classes
