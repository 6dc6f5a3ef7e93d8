"""Draw the texts to label for the faithfulness evaluation (``longtail.language.faithfulness``).

From a warehouse built by ``longtail demo``, draw ``--per-dataset`` items per dataset among those that get a
published text, and write, per item and field, the raw output of the language model (source "model", the prompt
of ``longtail.language.prompts.build_prompt``) and the grounded text (source "facts"), with the facts, the split
and empty labels, as JSON lines. A reader then fills in ``label`` and ``offending`` under ``docs/faithfulness.md``.

    .venv/bin/python bench/faithfulness_sample.py --warehouse $LONGTAIL_HOME/warehouse.duckdb --out texts.jsonl
"""

import argparse
import json
import random
import time

import duckdb

from longtail.language.descriptions import description_candidates, grounded_result
from longtail.language.facts import facts_to_dict
from longtail.language.faithfulness import FIELDS, split_of
from longtail.language.generation import TextGenerator
from longtail.language.prompts import build_prompt, parse_generation
from longtail.language.review_facts import review_facts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--per-dataset", type=int, default=30)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    with duckdb.connect(args.warehouse, read_only=True) as connection:
        items = connection.sql("select * from cleaned_items").df()
        reviews = review_facts(
            connection.sql("select * from cleaned_reviews").df(), connection.sql("select * from review_sentiment").df()
        )
    candidates = description_candidates(items, reviews)
    rng = random.Random(args.seed)
    chosen = []
    for dataset, group in candidates.frame.groupby("dataset"):
        keys = [(dataset, item_id) for item_id in group["item_id"]]
        keys = [key for key in keys if grounded_result(candidates.facts[key], candidates.brands[dataset]).accepted]
        chosen += rng.sample(keys, min(args.per_dataset, len(keys)))
    facts = [candidates.facts[key] for key in chosen]
    started = time.perf_counter()
    raw = TextGenerator().generate([build_prompt(item) for item in facts])
    print(f"generated {len(raw)} outputs in {time.perf_counter() - started:.0f} s")
    with open(args.out, "w") as out:
        for (dataset, item_id), item, output in zip(chosen, facts, raw):
            grounded = grounded_result(item, candidates.brands[dataset])
            texts = {"model": parse_generation(output), "facts": (grounded.description, grounded.ad_copy)}
            for source, pair in texts.items():
                for field, text in zip(FIELDS, pair):
                    if text:
                        record = {
                            "dataset": dataset,
                            "item_id": item_id,
                            "split": split_of(dataset, item_id),
                            "source": source,
                            "field": field,
                            "facts": facts_to_dict(item),
                            "text": text,
                            "label": None,
                            "offending": [],
                        }
                        out.write(json.dumps(record, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
