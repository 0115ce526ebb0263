"""Values hlsnb lets reach a Tcl script (hls4ml's ``project.tcl``, which Vivado HLS and Vivado source): checked, quoted.

hls4ml writes ``set part "<part>"`` into ``project.tcl``; inside double quotes Tcl still substitutes ``[...]``
(command substitution), ``$var`` and backslashes, so a part number such as ``xc7z020[exec rm -rf ~]`` would run a
command when the tools read the project. A part number is therefore matched against a strict pattern before
conversion, and every value hlsnb writes into Tcl is brace-quoted (no substitution at all inside ``{...}``).
"""

from __future__ import annotations

import re

from .errors import InvalidSetting

__all__ = ["PART_PATTERN", "check_part_number", "tcl_word", "TCL_SPECIAL"]

#: An AMD/Xilinx part number: letters and digits in dash-separated groups, e.g. ``xc7z020clg400-1``,
#: ``xczu9eg-ffvb1156-2-e``, ``xcvc1902-vsva2197-2MP-e-S``; at most 64 characters.
PART_PATTERN = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*")
_PART_MAX = 64

#: Characters with a meaning to Tcl inside a double-quoted word (or that end it).
TCL_SPECIAL = frozenset('[]$\\"{};\n\r')


def check_part_number(part, where: str = "part") -> str:
    """``part`` if it is a well-formed part number, else :class:`InvalidSetting` naming ``where`` and the value."""
    if not isinstance(part, str):
        raise InvalidSetting(f"{where} must be a part number string such as 'xc7z020clg400-1'; got "
                             f"{type(part).__name__} {part!r}")
    if len(part) > _PART_MAX or not PART_PATTERN.fullmatch(part):
        raise InvalidSetting(
            f"{where} {part!r} is not a part number: expected letters and digits in dash-separated groups (at most "
            f"{_PART_MAX} characters), such as 'xc7z020clg400-1' or 'xczu9eg-ffvb1156-2-e'"
        )
    return part


def tcl_word(value: str) -> str:
    """``value`` as one brace-quoted Tcl word: Tcl substitutes nothing inside it.

    Refuses (``InvalidSetting``) a value with braces, a backslash or a line break, which could end the word early.
    """
    text = str(value)
    if any(c in "{}\\\n\r" for c in text):
        raise InvalidSetting(f"{text!r} cannot be written into Tcl safely: it holds a brace, backslash or line break")
    return "{" + text + "}"
