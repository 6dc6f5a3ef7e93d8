"""Slot F1 of the shop assistant's query parser on each hand-labelled parsing set (``docs/labels/parsing_rubric.md``),
with the vocabularies a finished demo's current snapshot gives: the same figures the ``interactive_evaluation``
asset reports, without its session simulation. ``--mistakes SET`` also prints that set's wrong queries (up to 20);
it refuses the held-out sets, whose records are not to be read while the parser is being improved.

    LONGTAIL_HOME=~/.longtail .venv/bin/python bench/parsing_f1.py [--mistakes development]

2026-12-05 evening, one demo home (docs/serving.md has the table): development 1.000, 130 of 130 exact; second
development 0.996 (0.987-1.000), 119 of 120; third development 0.994 (0.986-1.000), 118 of 121; fourth development
0.984 (0.967-0.996), 116 of 121 (0.919 when first measured, blind); fifth development 0.978 (0.960-0.992), 109 of 117
(0.897 when first measured); sixth development 0.981 (0.960-0.995), 116 of 123 (0.893 when first measured); seventh
development 0.970 (0.950-0.986), 111 of 122 (0.934 when first measured); eighth development 0.974 (0.958-0.988), 111 of
121 (0.931 when first measured); held-out 0.941 (0.911-0.969), 102 of 119; second held-out 0.977 (0.961-0.991), 108 of
118; third held-out 0.970 (0.951-0.985), 110 of 123; fourth held-out, never read, 0.955 (0.932-0.975), 105 of 121;
fifth held-out, never read, 0.921 (0.888-0.950), 99 of 122; sixth held-out, never read, 0.916 (0.884-0.944), 92 of
123; seventh held-out, never read, 0.925 (0.896-0.951), 94 of 124 (0.910 as it came); eighth held-out, never read,
0.918 (0.884-0.946), 93 of 121 (the same as it came, before the eighth development set's round).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from longtail.recommend.embedding import encode_texts, load_encoder  # noqa: E402
from longtail.serving.catalogue import load_snapshot  # noqa: E402
from longtail.serving.parsing_evaluation import PARSING_SETS, evaluate_parsing_sets  # noqa: E402
from longtail.serving.snapshot import current_version  # noqa: E402
from resources import home  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mistakes", choices=[name for name in PARSING_SETS if not name.startswith("held_out")])
    args = parser.parse_args()
    serving = home.serving_dir()
    version = current_version(serving)
    if version is None:
        print(f"no published snapshot under {serving}: run `make demo` (or set LONGTAIL_HOME) first", file=sys.stderr)
        return 1
    model = load_encoder()
    results = evaluate_parsing_sets(load_snapshot(serving, version).shops, lambda texts: encode_texts(model, texts))
    for name, result in results.items():
        if result is None:
            print(f"{name}: no record for the snapshot's shops")
            continue
        low, high = result["overall"]["f1_ci95"]
        print(f"{name}: slot F1 {result['overall']['f1']:.3f} ({low:.3f}-{high:.3f}), "
              f"{result['exact']} of {result['queries']} queries exact")  # fmt: skip
        for slot, scores in result["slots"].items():
            print(f"    {slot:<10} F1 {scores['f1'] if scores['f1'] is None else round(scores['f1'], 3)}"
                  f"  (tp {scores['tp']}, fp {scores['fp']}, fn {scores['fn']})")  # fmt: skip
    if args.mistakes:
        for mistake in results[args.mistakes]["mistakes"]:
            print(json.dumps(mistake))
    return 0


if __name__ == "__main__":
    sys.exit(main())
