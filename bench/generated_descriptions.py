"""Generated descriptions on real Amazon Magazine items: batched vs one-at-a-time throughput, and the evaluation.

    LONGTAIL_DATA_DIR=../shared/data .venv/bin/python bench/generated_descriptions.py --out build/generation.json

Reads the cleaned items and reviews of ``$LONGTAIL_DATA_DIR`` (``bench/cleaned_tables.py``) and keeps dataset
``amazon2018_magazine``. Review highlights are the review titles ("summary"), newest
first, without Amazon's content-free "Five Stars"-style titles.

1. Throughput: the same ``--throughput-items`` prompts (items that need a description), generated one at a time
   (batch size 1) and in batches of ``--batch-size``; items/s of each and their ratio.
2. Evaluation (``longtail.language.description_evaluation.evaluate_generation``): ``--sample-size`` items that
   have a description, hidden and regenerated, compared with all-MiniLM-L6-v2 embeddings; the dict and a few
   examples (raw and guarded).

``--threads`` sets torch's CPU threads: on a CPU shared with other busy processes, one thread per process can be
several times faster than torch's default (one per core), whose threads then wait for each other.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import pandas as pd
from cleaned_tables import cleaned

from longtail.language import generation
from longtail.language.description_evaluation import evaluate_generation
from longtail.language.facts import item_facts, needs_description
from longtail.language.prompts import build_prompt
from longtail.recommend import embedding

DATASET = "amazon2018_magazine"
STAR_TITLE = r"(?i)^\s*(?:one|two|three|four|five|\d)\s+stars?\s*[.!]*\s*$"


def review_highlights(reviews: pd.DataFrame) -> dict[str, list[str]]:
    """``item_id -> review titles``, newest first, blank and "Five Stars"-style titles left out."""
    titles = reviews.dropna(subset=["title"]).sort_values("ts", ascending=False)
    titles = titles[~titles["title"].str.match(STAR_TITLE)]
    return titles.groupby("item_id")["title"].apply(list).to_dict()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="default")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--batch-size", type=int, default=generation.DEFAULT_BATCH_SIZE)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--throughput-items", type=int, default=8)
    parser.add_argument("--sample-size", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's own)")
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON here")
    args = parser.parse_args()

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    items = cleaned("items")
    items = items[items["dataset"] == DATASET].reset_index(drop=True)
    reviews = cleaned("reviews")
    highlights = review_highlights(reviews[reviews["dataset"] == DATASET])
    needs = needs_description(items)
    print(f"{len(items)} items; need a description: {needs['reason'].value_counts().to_dict()}")

    generator = generation.TextGenerator(
        args.model, args.device, max_new_tokens=args.max_new_tokens, batch_size=args.batch_size
    )
    started = time.perf_counter()
    generator.load()
    load_s = time.perf_counter() - started
    print(f"model loaded in {load_s:.1f} s on {torch.get_num_threads()} CPU thread(s)")

    targets = items[needs["needs_description"].to_numpy()].head(args.throughput_items)
    prompts = [build_prompt(facts) for facts in item_facts(targets, highlights)]
    throughput = {}
    for label, batch_size in (("one_at_a_time", 1), ("batched", args.batch_size)):
        generator.batch_size = batch_size
        started = time.perf_counter()
        generator.generate(prompts)
        seconds = time.perf_counter() - started
        throughput[label] = {"batch_size": batch_size, "seconds": seconds, "items_per_s": len(prompts) / seconds}
        print(f"{label} (batch size {batch_size}): {len(prompts)} items in {seconds:.1f} s")
    ratio = throughput["batched"]["items_per_s"] / throughput["one_at_a_time"]["items_per_s"]
    print(f"batched / one-at-a-time throughput: {ratio:.2f}x")

    encoder = embedding.load_encoder("default", args.device)
    started = time.perf_counter()
    result = evaluate_generation(
        items,
        generator.generate,
        lambda texts: embedding.encode_texts(encoder, texts),
        sample_size=args.sample_size,
        seed=args.seed,
        highlights_by_item=highlights,
        n_examples=args.sample_size,
    )
    evaluation_s = time.perf_counter() - started
    examples = result.pop("examples")
    print(f"evaluation on {result['sample_size']} items in {evaluation_s:.1f} s:")
    print(json.dumps(result, indent=2))
    for example in examples[:8]:
        print("-" * 100)
        print(f"[{example['item_id']}] facts: {example['facts']!r}")
        print(f"  hidden:   {example['hidden'][:200]!r}")
        print(f"  raw:      {example['raw']!r}")
        print(f"  guarded:  accepted={example['accepted']} reasons={example['reasons']}")
        print(f"            description={example['description']!r}")
        print(f"            ad={example['ad_copy']!r}")
    if args.out:
        report = {
            "settings": {**generator.settings, "model": generator.model_name, "threads": torch.get_num_threads()},
            "load_s": load_s,
            "throughput": throughput,
            "batched_over_one_at_a_time": ratio,
            "evaluation_s": evaluation_s,
            "evaluation": result,
            "examples": examples,
        }
        args.out.write_text(json.dumps(report, indent=2, default=str))


if __name__ == "__main__":
    main()
