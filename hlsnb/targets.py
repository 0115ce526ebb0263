"""Catalogue of FPGA parts and boards: capacities, DSP family and default clock.

Not to be confused with :mod:`hlsnb.board`, the driver that runs a built design on a PYNQ board: this module only
says what a device offers, so the estimator can turn counts into a share of the part.

Capacities are the device totals of AMD/Xilinx's product tables (DS190 Zynq-7000, DS180 7 series, DS891 Zynq
UltraScale+ MPSoC, DS889 RFSoC, DS890/DS922/DS923 UltraScale(+), the Alveo and Kria data sheets): LUT = CLB LUTs,
FF = CLB flip-flops, DSP = DSP slices, BRAM18K = 18 Kb block RAM halves (twice the 36 Kb blocks), URAM = 288 Kb
UltraRAM blocks. Every part in the calibration reports was checked against the "Available" row its own report
states. A device missing here can be added with :func:`register_part`.
"""

from __future__ import annotations

import numbers
import re
from dataclasses import asdict, dataclass

from .errors import InvalidSetting

__all__ = ["Part", "Board", "PARTS", "BOARDS", "FAMILIES", "get_part", "get_board", "resolve_target", "normalise_part",
           "register_part"]

#: DSP slice of each family: it decides how wide a product one slice takes.
FAMILIES = {
    "7series": "DSP48E1",  # Zynq-7000, Artix-7, Kintex-7, Virtex-7
    "ultrascale": "DSP48E2",  # Kintex / Virtex UltraScale
    "ultrascale+": "DSP48E2",  # Zynq UltraScale+ MPSoC / RFSoC, Kria, Kintex / Virtex UltraScale+, Alveo
}


@dataclass(frozen=True)
class Part:
    """An FPGA device and what it offers."""

    device: str  # family-level device name, e.g. "xc7z020"
    default_part: str  # a full part number hls4ml accepts, e.g. "xc7z020clg400-1"
    family: str  # a key of FAMILIES (decides the DSP slice)
    lut: int
    ff: int
    dsp: int
    bram18k: int
    uram: int

    @property
    def dsp_type(self) -> str:
        """``DSP48E1`` (7-series, 25x18 multiplier) or ``DSP48E2`` (UltraScale/UltraScale+, 27x18)."""
        return FAMILIES[self.family]

    @property
    def dsp_mult_width(self) -> tuple[int, int]:
        """Signed operand widths of one DSP slice's multiplier (A x B)."""
        return (25, 18) if self.dsp_type == "DSP48E1" else (27, 18)

    def capacity(self) -> dict[str, int]:
        """Resources keyed as the estimator reports them."""
        return {"lut": self.lut, "ff": self.ff, "dsp": self.dsp, "bram18k": self.bram18k, "uram": self.uram}

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Board:
    """A development board: its part, the IP clock of the standard hls4ml design, and hls4ml's board name."""

    name: str
    part: Part
    part_number: str
    clock_ns: float
    description: str
    accelerator_board: str | None  # name hls4ml's VivadoAccelerator/VitisAccelerator backend knows, if any


# One row per device. Devices of one die (ZU4CG/EG/EV, or an Alveo card and its Virtex UltraScale+ twin) repeat
# the numbers on purpose: a row is what a user looks up.
_S7, _US, _USP = "7series", "ultrascale", "ultrascale+"
_PART_TABLE = (
    # (device, default part number, family, CLB LUTs, CLB FFs, DSP slices, BRAM18K, URAM)
    # Zynq-7000 SoC (DS190)
    ("xc7z007s", "xc7z007s-clg225-2", _S7, 14_400, 28_800, 66, 100, 0),
    ("xc7z012s", "xc7z012sclg485-1", _S7, 34_400, 68_800, 120, 144, 0),
    ("xc7z014s", "xc7z014sclg400-1", _S7, 40_600, 81_200, 170, 214, 0),
    ("xc7z010", "xc7z010clg400-1", _S7, 17_600, 35_200, 80, 120, 0),
    ("xc7z015", "xc7z015clg485-1", _S7, 46_200, 92_400, 160, 190, 0),
    ("xc7z020", "xc7z020clg400-1", _S7, 53_200, 106_400, 220, 280, 0),
    ("xc7z030", "xc7z030sbg485-1", _S7, 78_600, 157_200, 400, 530, 0),
    ("xc7z035", "xc7z035ffg676-2", _S7, 171_900, 343_800, 900, 1_000, 0),
    ("xc7z045", "xc7z045ffg900-2", _S7, 218_600, 437_200, 900, 1_090, 0),
    ("xc7z100", "xc7z100ffg900-2", _S7, 277_400, 554_800, 2_020, 1_510, 0),
    # Artix-7 (DS180); the low-voltage "...tl" parts (xc7a200tl) resolve to the same device
    ("xc7a12t", "xc7a12tcsg325-1", _S7, 8_000, 16_000, 40, 40, 0),
    ("xc7a15t", "xc7a15tcsg324-1", _S7, 10_400, 20_800, 45, 50, 0),
    ("xc7a25t", "xc7a25tcsg325-1", _S7, 14_600, 29_200, 80, 90, 0),
    ("xc7a35t", "xc7a35tcsg324-1", _S7, 20_800, 41_600, 90, 100, 0),
    ("xc7a50t", "xc7a50tcsg324-1", _S7, 32_600, 65_200, 120, 150, 0),
    ("xc7a75t", "xc7a75tcsg324-1", _S7, 47_200, 94_400, 180, 210, 0),
    ("xc7a100t", "xc7a100tcsg324-1", _S7, 63_400, 126_800, 240, 270, 0),
    ("xc7a200t", "xc7a200tsbg484-1", _S7, 134_600, 269_200, 740, 730, 0),
    # Kintex-7 (DS180)
    ("xc7k70t", "xc7k70tfbg676-1", _S7, 41_000, 82_000, 240, 270, 0),
    ("xc7k160t", "xc7k160tffg676-1", _S7, 101_400, 202_800, 600, 650, 0),
    ("xc7k325t", "xc7k325tffg900-2", _S7, 203_800, 407_600, 840, 890, 0),
    ("xc7k410t", "xc7k410tffg900-2", _S7, 254_200, 508_400, 1_540, 1_590, 0),
    # Virtex-7 (DS180)
    ("xc7vx330t", "xc7vx330tffg1157-2", _S7, 204_000, 408_000, 1_120, 1_500, 0),
    ("xc7vx485t", "xc7vx485tffg1761-2", _S7, 303_600, 607_200, 2_800, 2_060, 0),
    ("xc7vx690t", "xc7vx690tffg1761-2", _S7, 433_200, 866_400, 3_600, 2_940, 0),
    # Kintex UltraScale (DS890)
    ("xcku040", "xcku040-ffva1156-2-e", _US, 242_400, 484_800, 1_920, 1_200, 0),
    ("xcku060", "xcku060-ffva1156-2-e", _US, 331_680, 663_360, 2_760, 2_160, 0),
    ("xcku115", "xcku115-flvb2104-2-e", _US, 663_360, 1_326_720, 5_520, 4_320, 0),
    # Zynq UltraScale+ MPSoC (DS891): CG, EG and EV devices of one size share the fabric
    ("xczu1cg", "xczu1cg-sbva484-1-e", _USP, 37_440, 74_880, 216, 216, 0),
    ("xczu1eg", "xczu1eg-sbva484-1-e", _USP, 37_440, 74_880, 216, 216, 0),
    ("xczu2cg", "xczu2cg-sbva484-1-e", _USP, 47_232, 94_464, 240, 300, 0),
    ("xczu2eg", "xczu2eg-sbva484-1-e", _USP, 47_232, 94_464, 240, 300, 0),
    ("xczu3cg", "xczu3cg-sbva484-1-e", _USP, 70_560, 141_120, 360, 432, 0),
    ("xczu3eg", "xczu3eg-sbva484-1-i", _USP, 70_560, 141_120, 360, 432, 0),
    ("xczu4cg", "xczu4cg-sfvc784-1-e", _USP, 87_840, 175_680, 728, 256, 48),
    ("xczu4eg", "xczu4eg-sfvc784-1-e", _USP, 87_840, 175_680, 728, 256, 48),
    ("xczu4ev", "xczu4ev-sfvc784-1-e", _USP, 87_840, 175_680, 728, 256, 48),
    ("xczu5cg", "xczu5cg-sfvc784-1-e", _USP, 117_120, 234_240, 1_248, 288, 64),
    ("xczu5eg", "xczu5eg-sfvc784-1-e", _USP, 117_120, 234_240, 1_248, 288, 64),
    ("xczu5ev", "xczu5ev-sfvc784-1-e", _USP, 117_120, 234_240, 1_248, 288, 64),
    ("xczu6cg", "xczu6cg-ffvc900-1-e", _USP, 214_604, 429_208, 1_973, 1_428, 0),
    ("xczu6eg", "xczu6eg-ffvc900-1-e", _USP, 214_604, 429_208, 1_973, 1_428, 0),
    ("xczu7cg", "xczu7cg-ffvc1156-1-e", _USP, 230_400, 460_800, 1_728, 624, 96),
    ("xczu7eg", "xczu7eg-ffvc1156-1-e", _USP, 230_400, 460_800, 1_728, 624, 96),
    ("xczu7ev", "xczu7ev-ffvc1156-2-e", _USP, 230_400, 460_800, 1_728, 624, 96),
    ("xczu9cg", "xczu9cg-ffvb1156-1-e", _USP, 274_080, 548_160, 2_520, 1_824, 0),
    ("xczu9eg", "xczu9eg-ffvb1156-2-e", _USP, 274_080, 548_160, 2_520, 1_824, 0),
    ("xczu11eg", "xczu11eg-ffvc1156-1-e", _USP, 298_560, 597_120, 2_928, 1_200, 80),
    ("xczu15eg", "xczu15eg-ffvb1156-1-e", _USP, 341_280, 682_560, 3_528, 1_488, 112),
    ("xczu17eg", "xczu17eg-ffvc1760-1-e", _USP, 423_403, 846_806, 1_590, 1_592, 102),
    ("xczu19eg", "xczu19eg-ffvc1760-1-e", _USP, 522_720, 1_045_440, 1_968, 1_968, 128),
    # Zynq UltraScale+ RFSoC (DS889): the full-size devices of Gen 1 and Gen 3
    ("xczu27dr", "xczu27dr-ffve1156-2-e", _USP, 425_280, 850_560, 4_272, 2_160, 80),
    ("xczu28dr", "xczu28dr-ffvg1517-2-e", _USP, 425_280, 850_560, 4_272, 2_160, 80),
    ("xczu29dr", "xczu29dr-ffvf1760-2-e", _USP, 425_280, 850_560, 4_272, 2_160, 80),
    ("xczu47dr", "xczu47dr-ffve1156-2-e", _USP, 425_280, 850_560, 4_272, 2_160, 80),
    ("xczu48dr", "xczu48dr-ffvg1517-2-e", _USP, 425_280, 850_560, 4_272, 2_160, 80),
    ("xczu49dr", "xczu49dr-ffvf1760-2-e", _USP, 425_280, 850_560, 4_272, 2_160, 80),
    # Kria K26 SOM (a ZU5EV-class device; KV260 and KR260 carry it)
    ("xck26", "xck26-sfvc784-2LV-c", _USP, 117_120, 234_240, 1_248, 288, 64),
    # Kintex UltraScale+ (DS922)
    ("xcku3p", "xcku3p-ffva676-1-e", _USP, 162_720, 325_440, 1_368, 720, 48),
    ("xcku5p", "xcku5p-ffvb676-2-e", _USP, 216_960, 433_920, 1_824, 960, 64),
    ("xcku9p", "xcku9p-ffve900-2-e", _USP, 274_080, 548_160, 2_520, 1_824, 0),
    ("xcku11p", "xcku11p-ffva1156-2-e", _USP, 298_560, 597_120, 2_928, 1_200, 80),
    ("xcku15p", "xcku15p-ffve1517-1-i", _USP, 522_720, 1_045_440, 1_968, 1_968, 128),
    # Virtex UltraScale+ (DS923), including the HBM devices
    ("xcvu3p", "xcvu3p-ffvc1517-2-e", _USP, 394_080, 788_160, 2_280, 1_440, 320),
    ("xcvu5p", "xcvu5p-flva2104-2-e", _USP, 600_577, 1_201_154, 3_474, 2_048, 470),
    ("xcvu7p", "xcvu7p-flva2104-2-e", _USP, 788_160, 1_576_320, 4_560, 2_880, 640),
    ("xcvu9p", "xcvu9p-flgb2104-2-i", _USP, 1_182_240, 2_364_480, 6_840, 4_320, 960),
    ("xcvu11p", "xcvu11p-flga2577-2-e", _USP, 1_296_000, 2_592_000, 9_216, 4_032, 960),
    ("xcvu13p", "xcvu13p-flga2577-2-e", _USP, 1_728_000, 3_456_000, 12_288, 5_376, 1_280),
    ("xcvu35p", "xcvu35p-fsvh2104-2-e", _USP, 871_680, 1_743_360, 5_952, 2_688, 640),
    ("xcvu37p", "xcvu37p-fsvh2892-2-e", _USP, 1_303_680, 2_607_360, 9_024, 4_032, 960),
    ("xcvu47p", "xcvu47p-fsvh2892-2-e", _USP, 1_303_680, 2_607_360, 9_024, 4_032, 960),
    # Alveo accelerator cards (the card's device as Vivado names it)
    ("xcu50", "xcu50-fsvh2104-2-e", _USP, 871_680, 1_743_360, 5_952, 2_688, 640),
    ("xcu55c", "xcu55c-fsvh2892-2L-e", _USP, 1_303_680, 2_607_360, 9_024, 4_032, 960),
    ("xcu200", "xcu200-fsgd2104-2-e", _USP, 1_182_240, 2_364_480, 6_840, 4_320, 960),
    ("xcu250", "xcu250-figd2104-2L-e", _USP, 1_728_000, 3_456_000, 12_288, 5_376, 1_280),
    ("xcu280", "xcu280-fsvh2892-2L-e", _USP, 1_303_680, 2_607_360, 9_024, 4_032, 960),
)

PARTS: dict[str, Part] = {row[0]: Part(*row) for row in _PART_TABLE}

_BOARD_TABLE = (
    # name, device, part number, IP clock (ns), description, hls4ml accelerator board name
    ("pynq-z2", "xc7z020", "xc7z020clg400-1", 10.0,
     "TUL PYNQ-Z2 (Zynq-7020); the NN IP and DMA run from FCLK0 at 100 MHz", "pynq-z2"),
    ("pynq-z1", "xc7z020", "xc7z020clg400-1", 10.0, "Digilent PYNQ-Z1 (Zynq-7020); FCLK0 at 100 MHz", "pynq-z1"),
    ("cora-z7-07s", "xc7z007s", "xc7z007s-clg225-1", 10.0, "Digilent Cora Z7-07S (Zynq-7007S)", None),
    ("arty-a7-100", "xc7a100t", "xc7a100tcsg324-1", 10.0, "Digilent Arty A7-100T (Artix-7)", "arty-a7-100t"),
    ("ultra96v2", "xczu3eg", "xczu3eg-sbva484-1-i", 5.0, "Avnet Ultra96-V2 (Zynq UltraScale+ ZU3EG)", None),
    ("zcu102", "xczu9eg", "xczu9eg-ffvb1156-2-e", 5.0, "AMD ZCU102 (Zynq UltraScale+ ZU9EG)", "zcu102"),
    ("zcu104", "xczu7ev", "xczu7ev-ffvc1156-2-e", 5.0, "AMD ZCU104 (Zynq UltraScale+ ZU7EV)", None),
    ("kv260", "xck26", "xck26-sfvc784-2LV-c", 5.0, "AMD Kria KV260 (K26 SOM)", None),
    ("kr260", "xck26", "xck26-sfvc784-2LV-c", 5.0, "AMD Kria KR260 robotics kit (K26 SOM)", None),
    ("alveo-u50", "xcu50", "xcu50-fsvh2104-2-e", 3.33, "AMD Alveo U50", "alveo-u50"),
    ("alveo-u55c", "xcu55c", "xcu55c-fsvh2892-2L-e", 3.33, "AMD Alveo U55C", None),
    ("alveo-u200", "xcu200", "xcu200-fsgd2104-2-e", 3.33, "AMD Alveo U200", "alveo-u200"),
    ("alveo-u250", "xcu250", "xcu250-figd2104-2L-e", 3.33, "AMD Alveo U250", "alveo-u250"),
    ("alveo-u280", "xcu280", "xcu280-fsvh2892-2L-e", 3.33, "AMD Alveo U280", "alveo-u280"),
    ("vcu118", "xcvu9p", "xcvu9p-flga2104-2L-e", 5.0, "AMD VCU118 (Virtex UltraScale+ VU9P)", None),
)

BOARDS: dict[str, Board] = {
    name: Board(name, PARTS[dev], pn, clock, desc, acc) for name, dev, pn, clock, desc, acc in _BOARD_TABLE
}


def normalise_part(part_number: str) -> str:
    """A part number as two tools must agree on it: lower case, no separators, with the ``xc`` prefix Vivado's
    ``report_utilization`` leaves out (``7z020...``)."""
    p = re.sub(r"[-_\s]", "", part_number.strip().lower())
    return p if p.startswith("xc") or not p[:1].isdigit() else "xc" + p


def _is_part_of(normalised: str, device: str) -> bool:
    """True if a normalised part number names ``device``: "xc7z020" must not match "xc7z0201...", so the device
    is followed by nothing or by a package code (letters)."""
    rest = normalised[len(device):]
    return normalised.startswith(device) and (rest == "" or rest[0].isalpha())


# part number as given -> device; the estimator resolves the same few names per layer, so a scan per call would show
_RESOLVED: dict[str, str] = {}


def _device_of(part_number: str) -> str | None:
    """Map a full part number (any dash style) to a catalogue device key, longest match first."""
    dev = _RESOLVED.get(part_number)
    if dev is None:
        p = normalise_part(part_number)
        dev = p if p in PARTS else next((d for d in sorted(PARTS, key=len, reverse=True) if _is_part_of(p, d)), None)
        if dev is not None:
            _RESOLVED[part_number] = dev
    return dev


def get_part(name: str) -> Part:
    """Look up a part by device (``xc7z020``) or full part number, with or without dashes, package and speed grade
    (``xc7z020clg400-1``, ``xc7z020-clg400-1``, ``7z020clg400-1``, ``xczu5ev-sfvc784-2LV-e``).

    Raises
    ------
    InvalidSetting
        (a ``ValueError``) for a device not in :data:`PARTS`, listing the known devices and how to register one.
    """
    dev = _device_of(name) if isinstance(name, str) else None
    if dev is None:
        raise InvalidSetting(
            f"unknown FPGA part {name!r}: its device is not in hlsnb's catalogue; add it with "
            "hlsnb.targets.register_part('<device, e.g. xczu5ev>', family='ultrascale+', lut=..., ff=..., dsp=..., "
            f"bram18k=..., uram=..., default_part='<full part number>'); known devices: {', '.join(sorted(PARTS))}"
        )
    return PARTS[dev]


#: Largest device total :func:`register_part` accepts (the largest Versal parts have ~10 million LUTs).
MAX_COUNT = 10**9


def register_part(device: str, *, family: str, lut: int, ff: int, dsp: int, bram18k: int, uram: int = 0,
                  default_part: str | None = None) -> Part:
    """Add a device to the catalogue so ``part=`` accepts it (for the session; nothing is written to disk).

    Parameters
    ----------
    device : str
        Family-level device name as part numbers start with it, e.g. ``"xczu3teg"``; full part numbers of it then
        resolve to it.
    family : {"7series", "ultrascale", "ultrascale+"}
        Decides the DSP slice (DSP48E1 or DSP48E2) and so how wide a product one slice takes.
    lut, ff, dsp, bram18k : int
        Device totals: CLB LUTs, CLB flip-flops, DSP slices, 18 Kb block RAMs (twice the 36 Kb blocks).
    uram : int
        UltraRAM blocks (0 for devices without).
    default_part : str, optional
        Full part number used when only the device is given (default: ``device`` itself).

    Returns
    -------
    Part
        The new catalogue entry (also in :data:`PARTS`).

    Raises
    ------
    InvalidSetting
        A capacity that is not a positive integer, an unknown family, a malformed device name, a device already in
        the catalogue with other numbers, or a ``default_part`` that is not a part number of ``device``.
    """
    if not isinstance(device, str) or not re.fullmatch(r"[a-z][a-z0-9]*", device.strip().lower()):
        raise InvalidSetting(f"register_part: device must be a name such as 'xczu3teg' (letters and digits), "
                             f"not {device!r}")
    device = device.strip().lower()
    if not isinstance(family, str) or family not in FAMILIES:
        raise InvalidSetting(f"register_part({device!r}): family must be one of {sorted(FAMILIES)}, not {family!r}")
    counts = {"lut": lut, "ff": ff, "dsp": dsp, "bram18k": bram18k, "uram": uram}
    for key, v in counts.items():
        ok = isinstance(v, numbers.Integral) and not isinstance(v, bool) and (v > 0 or (key == "uram" and v == 0))
        if not ok or v > MAX_COUNT:
            need = "a non-negative integer" if key == "uram" else "a positive integer"
            raise InvalidSetting(f"register_part({device!r}): {key} must be {need} up to {MAX_COUNT:,} (a device "
                                 f"total), not {v!r}")
        counts[key] = int(v)
    lut, ff, dsp, bram18k, uram = (counts[k] for k in ("lut", "ff", "dsp", "bram18k", "uram"))
    full = device if default_part is None else str(default_part).strip()
    if not re.fullmatch(r"[A-Za-z0-9]+(-[A-Za-z0-9]+)*", full, re.ASCII) or len(full) > 64:
        # the part is written into hls4ml's project.tcl: letters, digits and dashes only
        raise InvalidSetting(f"register_part({device!r}): default_part must be a part number (letters and digits in "
                             f"dash-separated groups, at most 64 characters), not {default_part!r}")
    if not _is_part_of(normalise_part(full), device):
        raise InvalidSetting(f"register_part({device!r}): default_part {default_part!r} is not a part number of "
                             f"{device!r} (it must start with the device name, then the package)")
    part = Part(device, full, family, lut, ff, dsp, bram18k, uram)
    old = PARTS.get(device)
    if old is not None and old != part:
        raise InvalidSetting(f"register_part({device!r}): the catalogue already has this device with other numbers "
                             f"({old}); choose another device name")
    PARTS[device] = part
    _RESOLVED.clear()  # a new, longer device name may now be the better match for a name resolved before
    return part


def get_board(name: str) -> Board:
    """Look up a board by name (case-insensitive, ``pynq-z2`` / ``pynq_z2`` / ``PYNQ-Z2``).

    Raises :class:`~hlsnb.errors.InvalidSetting` (a ``ValueError``) listing the known boards.
    """
    key = str(name).strip().lower().replace("_", "-")
    if key not in BOARDS:
        raise InvalidSetting(f"unknown board {name!r}; known boards: {', '.join(sorted(BOARDS))}")
    return BOARDS[key]


def resolve_target(board: str | None = None, part: str | None = None) -> tuple[Board | None, Part, str]:
    """Resolve ``board=`` or ``part=`` into (board or None, Part, full part number).

    A full part number is kept as given (with the ``xc`` prefix added when it was left out, as Vivado's
    utilisation report prints it); a bare device name becomes the device's ``default_part``.
    """
    if board is not None and part is not None:
        b = get_board(board)
        p = get_part(part)
        if p.device != b.part.device:
            raise InvalidSetting(f"board {b.name!r} carries {b.part_number}, not part {part!r}; give one of them")
        return b, p, part
    if board is not None:
        b = get_board(board)
        return b, b.part, b.part_number
    if part is not None:
        p = get_part(part)
        full = part.strip()
        if full[:1].isdigit():
            full = "xc" + full
        if len(normalise_part(full)) <= len(p.device):
            full = p.default_part
        return None, p, full
    raise InvalidSetting("give a board (e.g. 'pynq-z2') or a part (e.g. 'xc7z020clg400-1')")
