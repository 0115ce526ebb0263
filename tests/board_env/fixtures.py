"""Design files for the emulated PYNQ-Z2: a .hwh from pynqmetadata's own PYNQ-Z2 test design, a synthetic .bit.

The .hwh is ``pynqmetadata/tests/hwhs/resizer.hwh`` (a PYNQ-Z2 design with a simple-mode AXI DMA), generated
at test time from the installed package with the DMA moved to hls4ml's ``hier_0/axi_dma_0`` and its stream
widths set to the interface's word widths, as hls4ml's ``axi_stream_design.tcl`` would.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path


def resizer_hwh() -> Path:
    import pynqmetadata

    p = Path(pynqmetadata.__file__).parent / "tests" / "hwhs" / "resizer.hwh"
    if not p.is_file():
        raise FileNotFoundError(f"{p} is not shipped with this pynqmetadata")
    return p


def make_hwh(dest: Path, in_bits: int = 32, out_bits: int = 32, dma_path: str = "hier_0/axi_dma_0") -> Path:
    text = resizer_hwh().read_text()
    hier, _, leaf = dma_path.rpartition("/")
    instance = dma_path.replace("/", "_")
    assert leaf == "axi_dma_0"
    text = text.replace('FULLNAME="/axi_dma_0"', f'FULLNAME="/{dma_path}"')
    text = text.replace('INSTANCE="axi_dma_0"', f'INSTANCE="{instance}"')
    for name, bits in (("c_m_axi_mm2s_data_width", in_bits), ("c_m_axis_mm2s_tdata_width", in_bits),
                       ("c_m_axi_s2mm_data_width", out_bits), ("c_s_axis_s2mm_tdata_width", out_bits)):
        text, n = re.subn(f'(<PARAMETER NAME="{name}" VALUE=")\\d+(")', f"\\g<1>{bits}\\g<2>", text, count=1)
        assert n == 1, name
    dest.write_text(text)
    return dest


def make_bit(dest: Path, payload: bytes = b"\xaa\x99\x55\x66" * 64) -> Path:
    """A file with a valid Xilinx .bit header (design, part xc7z020clg400, date, time) and a dummy body."""

    def field(key: bytes, text: str) -> bytes:
        b = text.encode("ascii") + b"\0"
        return key + struct.pack(">h", len(b)) + b

    head = struct.pack(">h", 9) + bytes.fromhex("0ff00ff00ff00ff000") + struct.pack(">h", 1)
    head += field(b"a", "design_1_wrapper;UserID=0XFFFFFFFF;Version=2020.1")
    head += field(b"b", "7z020clg400")
    head += field(b"c", "2024/01/01")
    head += field(b"d", "12:00:00")
    head += b"e" + struct.pack(">i", len(payload)) + payload
    dest.write_bytes(head)
    return dest


def make_design(folder: Path, stem: str, in_bits: int, out_bits: int) -> tuple:
    folder.mkdir(parents=True, exist_ok=True)
    bit = make_bit(folder / f"{stem}.bit")
    hwh = make_hwh(folder / f"{stem}.hwh", in_bits, out_bits)
    return bit, hwh
