"""Write README.md's seed-answer paragraph from the estimator (run from the repo root after a recalibration).

    python tools/readme_numbers.py          # rewrite the block between the markers
    python tools/readme_numbers.py --check  # exit 1 when the README's block differs from what the code computes

The paragraph comes from :func:`hlsnb.widgets.seed.readme_markdown`, the same code notebook 02 draws its charts
with, so the README and the notebook cannot disagree. Only the text between ``<!-- seed:begin -->`` and
``<!-- seed:end -->`` is touched, and the estimator table between ``<!-- estimator:begin -->`` and
``<!-- estimator:end -->`` (:func:`estimator_markdown`: the errors by regime ``make calibrate`` shipped).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

BEGIN, END = "<!-- seed:begin -->", "<!-- seed:end -->"
README = Path(__file__).resolve().parents[1] / "README.md"


def render(text: str, block: str, begin: str = BEGIN, end: str = END) -> str:
    """``text`` with the marked block replaced by ``block``; a ValueError when the markers are missing."""
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
    if not pattern.search(text):
        raise ValueError(f"README has no {begin} ... {end} block")
    return pattern.sub(lambda _m: f"{begin}\n{block}\n{end}", text, count=1)


# ---------------------------------------------------------------------------------------- the estimator table
EST_BEGIN, EST_END = "<!-- estimator:begin -->", "<!-- estimator:end -->"


def estimator_markdown() -> str:
    """README's estimator table: the leave-one-repository-out errors by regime that ``make calibrate`` measured and
    shipped (``hlsnb/estimate/errors_by_regime.json``), and the seed reports predicted by the shipped fit."""
    from hlsnb.calibration.loro import format_marginal_table
    from hlsnb.calibration.seed import seed_check
    from hlsnb.estimate._regime import regime_errors

    errors = regime_errors()
    margins = errors.get("margins") or []
    missed = [f"{m['regime']} ({'Vivado' if m['tool'] == 'vivado_hls' else 'Vitis'} HLS)" for m in margins
              if m["meets"] is False]
    thin = [f"{m['regime']} ({'Vivado' if m['tool'] == 'vivado_hls' else 'Vitis'} HLS)" for m in margins
            if m["meets"] is None and m["n"]]
    s = seed_check()
    rows = []
    for key, label in (("resource", "Resource RF 64: the forum's report"),
                       ("latency", "Latency RF 64: public build (Liu-Zhiheng)")):
        x = s[key]
        rows.append(f"| {label} | " + " | ".join(
            f"{x['csynth'][k]:,.0f} vs {x['report'][k]:,.0f} ({100 * x['error'][k]:+.0f} %)"
            for k in ("lut", "ff", "dsp", "bram18k")) + " |")
    return "\n".join([
        "Leave-one-repository-out (`make calibrate`, reports.csv + reports2.csv + reports3.csv: each repository held "
        "out of the fit in turn), median |estimate - report| / report of the held-out rows, per layer (Dense and "
        "Conv for the weight, pruning, strategy and RF splits) and per whole design; HLS csynth unless marked. "
        "Target: <= 30 % on LUT, FF and DSP wherever n >= 10. The medians are of the rows the estimator models: "
        "flagged rows (a report that disagrees with its committed configuration, or a convolution of an hls4ml "
        "older than its ParallelizationFactor) are left out, as of every fit, and the last column says what each "
        "regime would be with them.",
        "",
        format_marginal_table(margins),
        "",
        f"Missed: {', '.join(missed) or 'none'}. Thin data (n < 10): {', '.join(thin) or 'none'}. The error bar "
        "beside an estimate is its regime's measured error (`DesignEstimate.regime`), not one global figure; a "
        "design outside the calibrated regimes says so.",
        "",
        "The forum's design (6-bit weights, 75 % zeros, quantized ReLUs, pynq-z2, 5 ns, Vivado HLS 2019.2), "
        "estimated csynth vs report; both reports are checks, never fitted:",
        "",
        "| build | LUT | FF | DSP | BRAM18K |",
        "|---|---|---|---|---|",
        *rows,
    ])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="only compare; exit 1 when the README is out of date")
    ap.add_argument("--readme", default=str(README))
    a = ap.parse_args(argv)
    from hlsnb.widgets.seed import readme_markdown

    path = Path(a.readme)
    old = path.read_text()
    new = render(old, readme_markdown())
    if EST_BEGIN in new:
        new = render(new, estimator_markdown(), EST_BEGIN, EST_END)
    if a.check:
        if new != old:
            print(f"{path}: the seed or estimator block is out of date; run python tools/readme_numbers.py")
            return 1
        return 0
    path.write_text(new)
    print(f"wrote the seed block of {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
