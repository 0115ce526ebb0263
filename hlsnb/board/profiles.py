"""What each board (its PYNQ image and hls4ml's block design for it) allows a driver to do: data, not code.

The overlays size their DMA chunks from a profile: the AXI DMA's largest simple-mode transfer, the contiguous (CMA)
memory the image reserves for all ``pynq.allocate`` buffers together, and how much of that hlsnb's two buffers take by
default. The numbers come from hls4ml's VivadoAccelerator block designs (``templates/vivado_accelerator/<board>/
tcl_scripts/axi_stream_design.tcl``) and the PYNQ images; a value nobody has measured is ``None``, not a guess.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace

from ..errors import InvalidSetting

__all__ = ["BoardProfile", "PROFILES", "DEFAULT_BOARD", "get_profile", "profile_or_default"]

DEFAULT_BOARD = "pynq-z2"

# hls4ml's tcl sets c_sg_length_width 26 on both boards it has a design for: 2**26 - 1 bytes per transfer.
_HLS4ML_DMA_MAX_BYTES = (1 << 26) - 1


@dataclass(frozen=True)
class BoardProfile:
    """The limits of one board as the driver sees them.

    Parameters
    ----------
    name : board name as in ``hlsnb.boards.BOARDS`` and the bundle manifest (``"pynq-z2"``).
    part : the FPGA part number the bitstream is built for.
    dma_max_bytes : bytes one simple-mode AXI DMA transfer moves at most (``2**c_sg_length_width - 1``). On the
        board pynq's DMA driver reports the real value (``buffer_max_size``), which then wins.
    cma_bytes : bytes of contiguous memory the PYNQ image reserves for all live ``pynq.allocate`` buffers together;
        ``None`` where not known.
    cma_budget : bytes hlsnb's two DMA buffers take at most by default, leaving the rest to other users of CMA.
    pl_clock_mhz : the fabric clock (FCLK0 / pl_clk0) hls4ml's design runs the network IP and DMA from, in MHz.
    note : where the numbers come from, and what is assumed.
    """

    name: str
    part: str
    dma_max_bytes: int
    cma_bytes: "int | None"
    cma_budget: int
    pl_clock_mhz: float
    note: str = ""

    def __post_init__(self):
        if self.dma_max_bytes < 1 or self.cma_budget < 1:
            raise InvalidSetting(f"board profile {self.name!r}: dma_max_bytes and cma_budget must be >= 1 byte")
        if self.cma_bytes is not None and self.cma_budget > self.cma_bytes:
            raise InvalidSetting(
                f"board profile {self.name!r}: cma_budget {self.cma_budget} bytes exceeds the board's CMA "
                f"({self.cma_bytes} bytes)"
            )


PROFILES: dict[str, BoardProfile] = {
    p.name: p
    for p in [
        BoardProfile("pynq-z2", "xc7z020clg400-1", _HLS4ML_DMA_MAX_BYTES, 128 << 20, 32 << 20, 100.0,
                     "hls4ml's pynq-z2 design (DMA length 26 bits, FCLK_CLK0 100 MHz); PYNQ image v3.x: 128 MiB CMA"),
        BoardProfile("pynq-z1", "xc7z020clg400-1", _HLS4ML_DMA_MAX_BYTES, 128 << 20, 32 << 20, 100.0,
                     "same Zynq-7020 and PYNQ image as the PYNQ-Z2; hls4ml's pynq-z2 design builds for it"),
        BoardProfile("zcu102", "xczu9eg-ffvb1156-2-e", _HLS4ML_DMA_MAX_BYTES, None, 32 << 20, 100.0,
                     "hls4ml's zcu102 design (DMA length 26 bits, pl_clk0 100 MHz); CMA size of the image not "
                     "recorded, so the default budget stays at the PYNQ-Z2's 32 MiB"),
    ]
}


def _key(name: str) -> str:
    return str(name).strip().lower().replace("_", "-")


def get_profile(board: "str | BoardProfile | None" = None) -> BoardProfile:
    """The profile of ``board`` (a name such as ``"pynq-z2"`` / ``"PYNQ_Z2"``, a profile, or ``None`` for the
    default, the PYNQ-Z2). Raises :class:`~hlsnb.errors.InvalidSetting` naming the known boards."""
    if board is None:
        return PROFILES[DEFAULT_BOARD]
    if isinstance(board, BoardProfile):
        return board
    prof = PROFILES.get(_key(board))
    if prof is None:
        raise InvalidSetting(f"no board profile for {board!r}; known boards: {', '.join(sorted(PROFILES))} "
                             "(or pass a BoardProfile)")
    return prof


def profile_or_default(board: "str | BoardProfile | None") -> BoardProfile:
    """Like :func:`get_profile`, but a board without a profile gets the default board's limits (with a warning),
    named after it: a bundle built for another board still runs, sized as on the PYNQ-Z2."""
    try:
        return get_profile(board)
    except InvalidSetting:
        warnings.warn(f"no board profile for {board!r}: sizing DMA buffers with the {DEFAULT_BOARD} limits",
                      stacklevel=2)
        return replace(PROFILES[DEFAULT_BOARD], name=str(board), part="", note=f"{DEFAULT_BOARD} limits assumed")
