"""Issue 13, a second catalogue of bad inputs: sizes too large for hls4ml (they hung the ReuseFactor check),
impossible precisions, and register_part's arguments (its default_part reaches project.tcl)."""

from __future__ import annotations

import json

import pytest

from hlsnb.calibration.reference import tutorial_mlp
from hlsnb.design import Design
from hlsnb.errors import InvalidSetting


@pytest.mark.parametrize("n_in", [10**30, 2**31])
def test_a_size_beyond_32_bits_is_refused_not_enumerated(n_in):
    d = json.loads(tutorial_mlp().to_json())
    d["layers"][1]["n_in"] = n_in
    with pytest.raises(InvalidSetting, match="n_in"):
        Design.from_json(d)


@pytest.mark.parametrize("text, what", [
    ("ap_fixed<16,2000>", "integer bits"), ("ap_fixed<16,-2000>", "integer bits"),
    ("ap_fixed<16,6,AP_RND,AP_SAT,99999>", "saturation bits"),
    ("ap_fixed<\u0661\u0666,6>", "not an HLS fixed-point type"),  # Arabic-Indic digits are not C++ digits
])
def test_impossible_precisions_are_refused(text, what):
    from hlsnb.precision import parse_precision

    with pytest.raises(InvalidSetting, match=what):
        parse_precision(text)


def test_register_part_checks_what_reaches_tcl_and_the_counts():
    import numpy as np

    from hlsnb.targets import PARTS, register_part

    base = dict(family="7series", lut=100, ff=200, dsp=10, bram18k=20)
    for bad, match in [(dict(default_part="xcq9zz4clg[exec rm]-1"), "default_part must be a part number"),
                       (dict(lut=10**30), "lut must be a positive integer up to"),
                       (dict(family=["7series"]), "family must be one of")]:
        with pytest.raises(InvalidSetting, match=match):
            register_part("xcq9zz4", **{**base, **bad})
        assert "xcq9zz4" not in PARTS
    part = register_part("xcq9zz5", **{**base, "lut": np.int64(100)})  # numpy integers are counts too
    try:
        assert part.lut == 100 and type(part.lut) is int
    finally:
        PARTS.pop("xcq9zz5", None)
