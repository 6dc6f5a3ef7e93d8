"""Published descriptions on the shared data: items per second of each source, in the same run, and their ratio.

    LONGTAIL_DATA_DIR=../shared/data .venv/bin/python bench/generated_descriptions.py --out build/generation.json

Reads the cleaned items and reviews of ``$LONGTAIL_DATA_DIR`` (``bench/cleaned_tables.py``; delete
``build/cleaned_tables/`` after the cleaning rules change), gathers review facts without sentiment scores (newest
titles first), and takes the candidates of ``longtail.language.descriptions.description_candidates``.

1. "model" (the baseline: what was published before grounded text): ``--items`` candidates of every dataset, the
   packaged language model generating in one batch (``TextGenerator``'s default batch size), then the guard, with
   the grounded text where the guard rejects (``publish``); the model's loading is timed apart.
2. "facts": the grounded texts of the same items, then of every candidate (``publish`` without model outputs).

Prints items/s of each and the ratio facts / model. ``--threads`` sets torch's CPU threads.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

from cleaned_tables import cleaned

from longtail.language.descriptions import description_candidates, publish
from longtail.language.generation import TextGenerator
from longtail.language.prompts import build_prompt
from longtail.language.review_facts import review_facts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=32, help="items of the model comparison")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's own)")
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON here")
    args = parser.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)

    candidates = description_candidates(cleaned("items"), review_facts(cleaned("reviews")))
    sample = random.Random(args.seed).sample(list(candidates.facts), min(args.items, len(candidates.facts)))

    def publish_items(keys: list, raw: list | None = None) -> list:
        """``publish`` per dataset, each with its catalogue's brands, in the order of ``keys``."""
        outputs = dict(zip(keys, raw)) if raw is not None else {}
        published = {}
        for dataset in sorted({dataset for dataset, _ in keys}):
            mine = [key for key in keys if key[0] == dataset]
            facts = [candidates.facts[key] for key in mine]
            results = publish(facts, candidates.brands[dataset], [outputs.get(key) for key in mine])
            published.update(zip(mine, results))
        return [published[key] for key in keys]

    generator = TextGenerator()
    started = time.perf_counter()
    generator.load()
    load_seconds = time.perf_counter() - started
    started = time.perf_counter()
    raw = generator.generate([build_prompt(candidates.facts[key]) for key in sample])
    model_published = publish_items(sample, raw)
    model_seconds = time.perf_counter() - started
    started = time.perf_counter()
    publish_items(sample)
    facts_seconds = time.perf_counter() - started
    started = time.perf_counter()
    everything = publish_items(list(candidates.facts))
    all_seconds = time.perf_counter() - started

    results = {
        "items": len(sample),
        "model_load_seconds": round(load_seconds, 2),
        "model_items_per_second": round(len(sample) / model_seconds, 3),
        "model_outputs_published": sum(source == "model" for source, _, _ in model_published),
        "facts_items_per_second": round(len(sample) / facts_seconds, 1),
        "facts_items_per_second_all_candidates": round(len(everything) / all_seconds, 1),
        "all_candidates": len(everything),
        "ratio_facts_to_model": round(model_seconds / facts_seconds, 1),
    }
    print(json.dumps(results, indent=2))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
