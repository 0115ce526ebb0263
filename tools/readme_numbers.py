"""Write README.md's seed-answer paragraph from the estimator (run from the repo root after a recalibration).

    python tools/readme_numbers.py          # rewrite the block between the markers
    python tools/readme_numbers.py --check  # exit 1 when the README's block differs from what the code computes

The paragraph comes from :func:`hlsnb.widgets.seed.readme_markdown`, the same code notebook 02 draws its charts
with, so the README and the notebook cannot disagree. Only the text between ``<!-- seed:begin -->`` and
``<!-- seed:end -->`` is touched.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

BEGIN, END = "<!-- seed:begin -->", "<!-- seed:end -->"
README = Path(__file__).resolve().parents[1] / "README.md"


def render(text: str, block: str) -> str:
    """``text`` with the marked block replaced by ``block``; a ValueError when the markers are missing."""
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise ValueError(f"README has no {BEGIN} ... {END} block")
    return pattern.sub(lambda _m: f"{BEGIN}\n{block}\n{END}", text, count=1)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="only compare; exit 1 when the README is out of date")
    ap.add_argument("--readme", default=str(README))
    a = ap.parse_args(argv)
    from hlsnb.widgets.seed import readme_markdown

    path = Path(a.readme)
    old = path.read_text()
    new = render(old, readme_markdown())
    if a.check:
        if new != old:
            print(f"{path}: the seed block is out of date; run python tools/readme_numbers.py")
            return 1
        return 0
    path.write_text(new)
    print(f"wrote the seed block of {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
