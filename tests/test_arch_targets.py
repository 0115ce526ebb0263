"""The parts and boards catalogue (hlsnb.targets): any Xilinx part number resolves, every part in the calibration
data is known, custom parts can be registered, and the old module name hlsnb.boards still works."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from hlsnb import boards, targets
from hlsnb.errors import InvalidSetting
from hlsnb.targets import BOARDS, PARTS, get_board, get_part, register_part, resolve_target

CALIB = Path(__file__).resolve().parents[1].parent / "shared" / "calibration"
CSVS = [CALIB / "reports.csv", CALIB / "reports2.csv"]


def test_boards_is_the_old_name_of_targets():
    assert boards.PARTS is targets.PARTS and boards.BOARDS is targets.BOARDS
    assert boards.get_part is targets.get_part and boards.Part is targets.Part
    assert boards.register_part is targets.register_part


@pytest.mark.parametrize("name,device", [
    ("xczu5ev-sfvc784-2LV-e", "xczu5ev"),
    ("xc7vx690tffg1930-3", "xc7vx690t"),
    ("xc7z020clg400-1", "xc7z020"),
    ("xc7z020-clg400-1", "xc7z020"),
    ("7z020clg400-1", "xc7z020"),  # Vivado report_utilization drops the "xc"
    ("xc7a200tl-ffg1156-2L", "xc7a200t"),  # low-voltage Artix-7 part name
    ("XCKU15P-FFVE1517-1-I", "xcku15p"),
    ("xczu11eg-ffvc1156-1-e", "xczu11eg"),  # not ZU1EG
    ("xczu1eg-sbva484-1-e", "xczu1eg"),
    ("xcu55c", "xcu55c"),
    ("xck26-sfvc784-2LV-c", "xck26"),
])
def test_full_part_numbers_resolve(name, device):
    assert get_part(name).device == device


def _csv_parts() -> list[str]:
    parts: set[str] = set()
    for path in CSVS:
        if path.is_file():
            with open(path, newline="") as f:
                parts.update(r["part"] for r in csv.DictReader(f) if r["part"])
    return sorted(parts)


@pytest.mark.skipif(not all(p.is_file() for p in CSVS), reason=f"calibration CSVs not found under {CALIB}")
def test_every_part_in_the_calibration_data_resolves():
    parts = _csv_parts()
    assert len(parts) > 15
    for name in parts:
        p = get_part(name)
        assert p.lut > 0 and p.dsp > 0, name


# Spot checks against the vendor product tables (and, for parts in the data, the report's own "Available" row).
@pytest.mark.parametrize("device,lut,ff,dsp,bram18k,uram", [
    ("xc7z020", 53_200, 106_400, 220, 280, 0),
    ("xc7z100", 277_400, 554_800, 2_020, 1_510, 0),
    ("xc7a200t", 134_600, 269_200, 740, 730, 0),
    ("xczu9eg", 274_080, 548_160, 2_520, 1_824, 0),
    ("xczu5ev", 117_120, 234_240, 1_248, 288, 64),
    ("xcku15p", 522_720, 1_045_440, 1_968, 1_968, 128),
    ("xcu50", 871_680, 1_743_360, 5_952, 2_688, 640),
    ("xcu280", 1_303_680, 2_607_360, 9_024, 4_032, 960),
    ("xcu250", 1_728_000, 3_456_000, 12_288, 5_376, 1_280),
])
def test_capacities(device, lut, ff, dsp, bram18k, uram):
    assert PARTS[device].capacity() == {"lut": lut, "ff": ff, "dsp": dsp, "bram18k": bram18k, "uram": uram}


def test_families_covered():
    zynq7 = ["xc7z007s", "xc7z010", "xc7z012s", "xc7z014s", "xc7z015", "xc7z020", "xc7z030", "xc7z035", "xc7z045",
             "xc7z100"]
    assert all(d in PARTS for d in zynq7)
    for n in (1, 2, 3, 4, 5, 6, 7, 9, 11, 15, 17, 19):
        assert f"xczu{n}eg" in PARTS
    assert {"xczu4ev", "xczu5ev", "xczu7ev", "xczu2cg", "xczu9cg", "xczu28dr", "xck26"} <= set(PARTS)
    assert {"xcu50", "xcu55c", "xcu200", "xcu250", "xcu280"} <= set(PARTS)
    for b in ("alveo-u50", "alveo-u55c", "alveo-u200", "alveo-u250", "alveo-u280", "kv260", "kr260"):
        assert BOARDS[b].part.device == get_part(BOARDS[b].part_number).device
    # the default part number of every device resolves back to it
    assert all(get_part(p.default_part) is p for p in PARTS.values())


def test_dsp_slice_by_family():
    assert get_part("xc7k325t").dsp_type == "DSP48E1" and get_part("xc7k325t").dsp_mult_width == (25, 18)
    assert get_part("xcku040").dsp_type == "DSP48E2" and get_part("xcku040").dsp_mult_width == (27, 18)


def test_unknown_part_says_how_to_register():
    with pytest.raises(InvalidSetting, match=r"unknown FPGA part 'xc9z999-abc123-1'.*register_part\(") as e:
        get_part("xc9z999-abc123-1")
    assert isinstance(e.value, ValueError) and "known devices" in str(e.value)


def test_resolve_target_keeps_the_part_number_and_adds_xc():
    assert resolve_target(part="xczu5ev-sfvc784-2LV-e")[2] == "xczu5ev-sfvc784-2LV-e"
    assert resolve_target(part="7z020clg400-1")[2] == "xc7z020clg400-1"
    assert resolve_target(part="xczu15eg")[2] == "xczu15eg-ffvb1156-1-e"
    assert resolve_target(board="kr260")[1].device == "xck26"


@pytest.fixture
def custom_part():
    yield "xczu3teg"
    PARTS.pop("xczu3teg", None)


def test_register_part(custom_part):
    p = register_part(custom_part, family="ultrascale+", lut=71_000, ff=142_000, dsp=576, bram18k=864, uram=0,
                      default_part="xczu3teg-sfvc784-1-e")
    assert get_part("xczu3teg-sfvc784-2-i") is p and p.dsp_type == "DSP48E2"
    assert resolve_target(part="xczu3teg")[2] == "xczu3teg-sfvc784-1-e"
    # registering the same numbers again is harmless (a notebook cell run twice); other numbers are refused
    assert register_part(custom_part, family="ultrascale+", lut=71_000, ff=142_000, dsp=576, bram18k=864,
                         default_part="xczu3teg-sfvc784-1-e") == p
    with pytest.raises(InvalidSetting, match="already has this device"):
        register_part(custom_part, family="ultrascale+", lut=1, ff=1, dsp=1, bram18k=1)


@pytest.mark.parametrize("kw,msg", [
    (dict(family="virtex9"), r"family must be one of"),
    (dict(lut=0), r"lut must be a positive integer"),
    (dict(dsp=12.5), r"dsp must be a positive integer"),
    (dict(bram18k=True), r"bram18k must be a positive integer"),
    (dict(uram=-1), r"uram must be a non-negative integer"),
    (dict(default_part="xc7z020clg400-1"), r"is not a part number of 'xczu3teg'"),
])
def test_register_part_validates(custom_part, kw, msg):
    args = {**dict(family="ultrascale+", lut=71_000, ff=142_000, dsp=576, bram18k=864), **kw}
    with pytest.raises(InvalidSetting, match=msg):
        register_part(custom_part, **args)
    assert custom_part not in PARTS


def test_register_part_rejects_bad_device_name():
    with pytest.raises(InvalidSetting, match="device must be a name"):
        register_part("xc 7z!", family="7series", lut=1, ff=1, dsp=1, bram18k=1)


def test_get_board_error_is_invalid_setting():
    with pytest.raises(InvalidSetting, match="known boards"):
        get_board("pynq-z3")
