"""Catalogue of FPGA parts and boards: capacities, DSP family and default clock.

Capacities are the device totals from the vendor product tables (LUT = CLB LUTs, FF = CLB flip-flops,
BRAM_18K = 18 Kb block RAM halves, i.e. twice the number of 36 Kb blocks).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

__all__ = ["Part", "Board", "PARTS", "BOARDS", "get_part", "get_board", "resolve_target"]


@dataclass(frozen=True)
class Part:
    """An FPGA device and what it offers."""

    device: str  # family-level device name, e.g. "xc7z020"
    default_part: str  # a full part number hls4ml accepts, e.g. "xc7z020clg400-1"
    family: str  # "7series" or "ultrascale+" (decides the DSP slice)
    lut: int
    ff: int
    dsp: int
    bram18k: int
    uram: int

    @property
    def dsp_type(self) -> str:
        """``DSP48E1`` (7-series, 25x18 multiplier) or ``DSP48E2`` (UltraScale/UltraScale+, 27x18)."""
        return "DSP48E1" if self.family == "7series" else "DSP48E2"

    @property
    def dsp_mult_width(self) -> tuple[int, int]:
        """Signed operand widths of one DSP slice's multiplier (A x B)."""
        return (25, 18) if self.family == "7series" else (27, 18)

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


_P = Part
PARTS: dict[str, Part] = {
    p.device: p
    for p in [
        _P("xc7z007s", "xc7z007s-clg225-2", "7series", 14_400, 28_800, 66, 100, 0),
        _P("xc7z010", "xc7z010clg400-1", "7series", 17_600, 35_200, 80, 120, 0),
        _P("xc7z020", "xc7z020clg400-1", "7series", 53_200, 106_400, 220, 280, 0),
        _P("xc7a100t", "xc7a100tcsg324-1", "7series", 63_400, 126_800, 240, 270, 0),
        _P("xczu3eg", "xczu3eg-sbva484-1-i", "ultrascale+", 70_560, 141_120, 360, 432, 0),
        _P("xczu7ev", "xczu7ev-ffvc1156-2-e", "ultrascale+", 230_400, 460_800, 1_728, 624, 96),
        _P("xczu9eg", "xczu9eg-ffvb1156-2-e", "ultrascale+", 274_080, 548_160, 2_520, 1_824, 0),
        _P("xck26", "xck26-sfvc784-2LV-c", "ultrascale+", 117_120, 234_240, 1_248, 288, 64),
        _P("xcvu9p", "xcvu9p-flgb2104-2-i", "ultrascale+", 1_182_240, 2_364_480, 6_840, 4_320, 960),
        _P("xcvu13p", "xcvu13p-flga2577-2-e", "ultrascale+", 1_728_000, 3_456_000, 12_288, 5_376, 1_280),
        _P("xcu200", "xcu200-fsgd2104-2-e", "ultrascale+", 1_182_240, 2_364_480, 6_840, 4_320, 960),
        _P("xcu250", "xcu250-figd2104-2L-e", "ultrascale+", 1_728_000, 3_456_000, 12_288, 5_376, 1_280),
    ]
}

_B = Board
BOARDS: dict[str, Board] = {
    b.name: b
    for b in [
        _B("pynq-z2", PARTS["xc7z020"], "xc7z020clg400-1", 10.0,
           "TUL PYNQ-Z2 (Zynq-7020); the NN IP and DMA run from FCLK0 at 100 MHz", "pynq-z2"),
        _B("pynq-z1", PARTS["xc7z020"], "xc7z020clg400-1", 10.0,
           "Digilent PYNQ-Z1 (Zynq-7020); FCLK0 at 100 MHz", "pynq-z1"),
        _B("cora-z7-07s", PARTS["xc7z007s"], "xc7z007s-clg225-1", 10.0, "Digilent Cora Z7-07S (Zynq-7007S)", None),
        _B("arty-a7-100", PARTS["xc7a100t"], "xc7a100tcsg324-1", 10.0, "Digilent Arty A7-100T (Artix-7)", "arty-a7-100t"),
        _B("ultra96v2", PARTS["xczu3eg"], "xczu3eg-sbva484-1-i", 5.0, "Avnet Ultra96-V2 (Zynq UltraScale+ ZU3EG)", None),
        _B("zcu102", PARTS["xczu9eg"], "xczu9eg-ffvb1156-2-e", 5.0, "AMD ZCU102 (Zynq UltraScale+ ZU9EG)", "zcu102"),
        _B("zcu104", PARTS["xczu7ev"], "xczu7ev-ffvc1156-2-e", 5.0, "AMD ZCU104 (Zynq UltraScale+ ZU7EV)", None),
        _B("kv260", PARTS["xck26"], "xck26-sfvc784-2LV-c", 5.0, "AMD Kria KV260 (K26 SOM)", None),
        _B("alveo-u200", PARTS["xcu200"], "xcu200-fsgd2104-2-e", 3.33, "AMD Alveo U200", "alveo-u200"),
        _B("alveo-u250", PARTS["xcu250"], "xcu250-figd2104-2L-e", 3.33, "AMD Alveo U250", "alveo-u250"),
        _B("vcu118", PARTS["xcvu9p"], "xcvu9p-flga2104-2L-e", 5.0, "AMD VCU118 (Virtex UltraScale+ VU9P)", None),
    ]
}



def _device_of(part_number: str) -> str | None:
    """Map a full part number (any dash style) to a catalogue device key, longest match first."""
    p = part_number.strip().lower().replace("-", "").replace("_", "")
    for dev in sorted(PARTS, key=len, reverse=True):
        if p.startswith(dev):
            rest = p[len(dev):]
            # "xc7z020" must not match "xc7z0201..."; a package code (letters) or nothing must follow
            if rest == "" or rest[0].isalpha():
                return dev
    return None


def get_part(name: str) -> Part:
    """Look up a part by device (``xc7z020``) or full part number (``xc7z020clg400-1``, ``xcvu9p-flgb2104-2-i``).

    Raises ``ValueError`` listing the known devices.
    """
    dev = _device_of(name) if isinstance(name, str) else None
    if dev is None:
        raise ValueError(f"unknown FPGA part {name!r}; known devices: {', '.join(sorted(PARTS))}")
    return PARTS[dev]


def get_board(name: str) -> Board:
    """Look up a board by name (case-insensitive, ``pynq-z2`` / ``pynq_z2`` / ``PYNQ-Z2``).

    Raises ``ValueError`` listing the known boards.
    """
    key = str(name).strip().lower().replace("_", "-")
    if key not in BOARDS:
        raise ValueError(f"unknown board {name!r}; known boards: {', '.join(sorted(BOARDS))}")
    return BOARDS[key]


def resolve_target(board: str | None = None, part: str | None = None) -> tuple[Board | None, Part, str]:
    """Resolve ``board=`` or ``part=`` into (board or None, Part, full part number)."""
    if board is not None and part is not None:
        b = get_board(board)
        p = get_part(part)
        if p.device != b.part.device:
            raise ValueError(f"board {b.name!r} carries {b.part_number}, not part {part!r}; give one of them")
        return b, p, part
    if board is not None:
        b = get_board(board)
        return b, b.part, b.part_number
    if part is not None:
        p = get_part(part)
        full = part if len(part.replace("-", "")) > len(p.device) else p.default_part
        return None, p, full
    raise ValueError("give a board (e.g. 'pynq-z2') or a part (e.g. 'xc7z020clg400-1')")
