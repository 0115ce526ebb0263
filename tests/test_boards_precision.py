import pytest

from hlsnb import boards
from hlsnb.precision import FixedType, parse_precision


def test_pynq_z2_capacity():
    b = boards.get_board("PYNQ_Z2")
    assert b.part.device == "xc7z020"
    assert (b.part.lut, b.part.ff, b.part.dsp, b.part.bram18k) == (53_200, 106_400, 220, 280)
    assert b.part.dsp_type == "DSP48E1" and b.clock_ns == 10.0


@pytest.mark.parametrize("name", ["pynq-z2", "pynq-z1", "zcu102", "kv260", "alveo-u250"])
def test_required_boards(name):
    assert boards.get_board(name).part.lut > 0


@pytest.mark.parametrize("part,dev", [("xc7z007s-clg225-2", "xc7z007s"), ("xcvu9p-flgb2104-2-i", "xcvu9p"),
                                      ("xcvu9pflgb2104-2", "xcvu9p"), ("xcu250-figd2104-2L-e", "xcu250"),
                                      ("xcvu13p-flga2577-2-e", "xcvu13p"), ("xc7z020-clg400-1", "xc7z020")])
def test_calibration_parts_resolve(part, dev):
    assert boards.get_part(part).device == dev


def test_ultrascale_dsp_family():
    assert boards.get_part("xcu250").dsp_type == "DSP48E2"
    assert boards.get_part("xcu250").dsp_mult_width == (27, 18)


def test_unknown_board_lists_known():
    with pytest.raises(ValueError) as e:
        boards.get_board("pynq-z3")
    assert "pynq-z2" in str(e.value) and "zcu102" in str(e.value)


def test_unknown_part():
    with pytest.raises(ValueError, match="known devices"):
        boards.get_part("xc9z999")


def test_board_part_mismatch():
    with pytest.raises(ValueError, match="carries"):
        boards.resolve_target("pynq-z2", "xcvu9p-flgb2104-2-i")


@pytest.mark.parametrize("text,expected", [
    ("ap_fixed<16,6>", FixedType(16, 6)),
    ("fixed<16,6,TRN,WRAP,0>", FixedType(16, 6)),
    ("ap_ufixed<8,0>", FixedType(8, 0, signed=False)),
    ("ap_fixed<18,8,AP_RND,AP_SAT>", FixedType(18, 8, rounding="AP_RND", saturation="AP_SAT")),
    ("ap_int<8>", FixedType(8, 8, is_int=True)),
    ("uint<4>", FixedType(4, 4, signed=False, is_int=True)),
])
def test_parse_precision(text, expected):
    assert parse_precision(text) == expected


def test_precision_round_trip():
    for s in ["ap_fixed<16,6>", "ap_ufixed<8,1>", "ap_fixed<18,8,AP_RND,AP_SAT>", "ap_int<4>"]:
        assert str(parse_precision(s)) == s


@pytest.mark.parametrize("bad", ["float", "ap_fixed<16>", "ap_fixed<0,0>", "ap_fixed<16,6,FOO>", "16,6", 16])
def test_bad_precision(bad):
    with pytest.raises(ValueError) as e:
        parse_precision(bad)
    assert "precision" in str(e.value) and ("valid" in str(e.value) or "width" in str(e.value))


def test_fixed_range():
    t = parse_precision("ap_fixed<16,6>")
    assert t.max_value == 32 - 2**-10 and t.min_value == -32 and t.fractional == 10


# ---------------------------------------------------------------- every field kept, one conversion with hls4ml (26.3)
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from hlsnb.design import from_hls4ml_precision, to_hls4ml_precision  # noqa: E402
from hlsnb.errors import InvalidSetting  # noqa: E402
from hlsnb.precision import ROUNDING_MODES, SATURATION_MODES  # noqa: E402

_fixed = st.builds(
    lambda w, i, u, q, o, n: FixedType(w, i, signed=not u, rounding=q, saturation=o,
                                       saturation_bits=n if o == "AP_WRAP" else 0),
    st.integers(1, 64), st.integers(-8, 70), st.booleans(), st.sampled_from(ROUNDING_MODES),
    st.sampled_from(SATURATION_MODES), st.integers(0, 3)).filter(lambda t: t.saturation_bits <= t.width)
_int = st.builds(lambda w, u: FixedType(w, w, signed=not u, is_int=True), st.integers(1, 64), st.booleans())


def test_the_saturation_bits_are_kept():
    """The issue's case: ap_fixed<8,3,AP_RND,AP_WRAP,2> came back without its fifth field."""
    t = parse_precision("ap_fixed<8,3,AP_RND,AP_WRAP,2>")
    assert t.saturation_bits == 2 and str(t) == "ap_fixed<8,3,AP_RND,AP_WRAP,2>"
    assert str(parse_precision("fixed<8,3,RND,WRAP,0>")) == "ap_fixed<8,3,AP_RND,AP_WRAP>"  # N=0 is the default


@pytest.mark.parametrize("text,words", [
    ("ap_fixed<8,3,AP_RND,AP_SAT,2>", ("saturation bits", "AP_WRAP")),
    ("ap_int<8,3>", ("one field",)),
    ("ap_fixed<8,3,AP_RND,AP_WRAP,9>", ("saturation bits", "0..8")),
    ("ap_float<8,23>", ("hlsnb models ap_fixed",)),
    ("ac_fixed<8,3,true>", ("hlsnb models ap_fixed",)),
    ("exponent<4>", ("hlsnb models ap_fixed",)),
])
def test_a_field_hlsnb_cannot_keep_is_refused_with_a_reason(text, words):
    with pytest.raises(InvalidSetting) as info:
        parse_precision(text)
    for w in words:
        assert w in str(info.value)


@settings(max_examples=300, deadline=None)
@given(t=st.one_of(_fixed, _int))
def test_every_field_survives_hls4ml_both_ways(t):
    """Text -> hlsnb -> text, and hlsnb -> hls4ml's FixedPrecisionType/IntegerPrecisionType -> hlsnb, are the
    identity; hls4ml's own string parser (FPGABackend.convert_precision_string) reads hlsnb's text as the same type."""
    from hls4ml.backends.fpga.fpga_backend import FPGABackend

    assert parse_precision(str(t)) == t
    h = to_hls4ml_precision(t)
    assert from_hls4ml_precision(h) == t
    theirs = FPGABackend.convert_precision_string(str(t))
    assert from_hls4ml_precision(theirs) == t
    assert type(theirs).__name__ == type(h).__name__
    assert (theirs.width, theirs.signed) == (h.width, h.signed)


def test_other_hls4ml_types_are_refused_naming_them():
    from hls4ml.model.types import ExponentPrecisionType, UnspecifiedPrecisionType

    for other in (ExponentPrecisionType(4, True), UnspecifiedPrecisionType()):
        with pytest.raises(InvalidSetting, match=type(other).__name__):
            from_hls4ml_precision(other)
