"""Former name of :mod:`hlsnb.targets`, the catalogue of FPGA parts and boards; kept so existing imports work."""

from .targets import (
    BOARDS,
    FAMILIES,
    PARTS,
    Board,
    Part,
    get_board,
    get_part,
    register_part,
    resolve_target,
)

__all__ = ["Part", "Board", "PARTS", "BOARDS", "FAMILIES", "get_part", "get_board", "resolve_target",
           "register_part"]
