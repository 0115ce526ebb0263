"""One vocabulary (issue 24.2): tools, stages, resources, io types, strategies and backends are defined once, in
hlsnb.vocab, and nobody types them again."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from hlsnb import vocab

PACKAGE = Path(vocab.__file__).parent
#: Every list the vocabulary owns, as a set of its words (order does not make a redefinition any less one).
OWNED = {name: frozenset(getattr(vocab, name)) for name in
         ("TOOLS", "BACKENDS", "IO_TYPES", "STRATEGIES", "RESOURCES", "REPORT_RESOURCES", "ESTIMATE_STAGES")}


def _literal_collections(tree):
    """(line, words) of every module-level tuple/list/set literal of two or more strings."""
    for node in tree.body:
        value = node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
        if value is None:
            continue
        if isinstance(value, (ast.Tuple, ast.List, ast.Set)):
            elts = value.elts
        else:  # a dict keyed by tools or resources holds data per word, not the list again
            continue
        words = [e.value for e in elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        if len(words) >= 2 and len(words) == len(elts):
            yield node.lineno, frozenset(words)


def test_no_module_types_a_vocabulary_list_again():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "vocab.py":
            continue
        for line, words in _literal_collections(ast.parse(path.read_text())):
            for name, owned in OWNED.items():
                if words == owned:
                    offenders.append(f"{path.relative_to(PACKAGE.parent)}:{line} retypes vocab.{name}")
    assert not offenders, "\n".join(offenders)


@pytest.mark.parametrize("wording", ["HLS estimate (C synthesis)", "HLS estimate (csynth)",
                                     "post-synthesis estimate (Vivado", "(csynth stage"])
def test_a_stage_has_one_label(wording):
    """The csynth stage was called three ways; every module now reads vocab.STAGE_LABELS."""
    hits = [str(p.relative_to(PACKAGE.parent)) for p in PACKAGE.rglob("*.py")
            if p.name != "vocab.py" and wording in p.read_text()]
    assert not hits, hits


def test_the_vocabulary_is_the_ground_floor_and_what_others_read():
    """Stdlib only, importable alone; the rules, the Design, the estimator and the reports use its lists."""
    out = subprocess.run([sys.executable, "-c", "import sys, hlsnb.vocab; "
                          "print(sorted(m for m in sys.modules if m.startswith(('hlsnb', 'numpy'))))"],
                         capture_output=True, text=True, check=True).stdout
    assert set(eval(out)) <= {"hlsnb", "hlsnb._quiet", "hlsnb.vocab"}
    from hlsnb import rules
    from hlsnb.design import core
    from hlsnb.estimate import _core, _stage
    from hlsnb.layer_types import STRATEGIES
    from hlsnb.synth import reports

    assert rules.TOOLS is vocab.TOOLS and rules.TOOL_OF_BACKEND is vocab.TOOL_OF_BACKEND
    assert core.IO_TYPES is vocab.IO_TYPES and core.BACKENDS is vocab.BACKENDS and STRATEGIES is vocab.STRATEGIES
    assert _core.RESOURCES is vocab.RESOURCES and _stage.STAGES is vocab.ESTIMATE_STAGES
    assert reports.STAGES["csynth"] == vocab.STAGE_LABELS["csynth"] == "HLS csynth estimate"


def test_error_messages_list_the_vocabulary():
    from hlsnb.errors import InvalidSetting
    from hlsnb.rules import check_backend, check_io_type, check_tool_version

    for call, words in ((lambda: check_io_type("stream"), vocab.IO_TYPES),
                        (lambda: check_backend("Quartus"), vocab.BACKENDS),
                        (lambda: check_tool_version("vivado", None), vocab.TOOLS)):
        with pytest.raises(InvalidSetting) as info:
            call()
        assert vocab.valid_list(words) in str(info.value)
