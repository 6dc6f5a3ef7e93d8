"""How relevant are the shop assistant's top 5, as a careful reader judges them? The assistant as served against BM25
and embedding search on the same queries, same run, with paired bootstrap intervals.

    LONGTAIL_HOME=~/.longtail .venv/bin/python bench/judged_relevance.py [--split test|dev|all]

Queries: ``docs/labels/relevance_queries.jsonl``, 80 first-turn messages (40 Online Retail II, 40 Instacart: gifts with
the product named, an occasion or person only, plain products) written blind to the system; ``split`` is ``dev``
(34, whose results were read while changing the assistant) or ``test`` (46, scored, never read). Judgements:
``docs/labels/relevance_judgements.jsonl``, grades 0 / 1 / 2 under ``docs/labels/relevance_rubric.md`` for every
item that any of the systems measured on 2026-12-04 put in a query's top 5 (869 pairs), by a judge who saw the pairs
pooled and shuffled, not which system returned them (39 of them by later judges, see the rubric); ``first_reader``
holds a first judge's grades of the 440 pairs of the assistant and a variant of it, for agreement. Every system
shows no two cards that read the same (``ShopIndex.card_keys``), as the served assistant does.

Per system: P@5 (share of the top 5 graded at least 1, and graded 2), nDCG@5 (gains 2^grade - 1, the ideal from the
query's judged pool) and how many returned items were never judged (counted as 0: a change to the assistant that
returns new items needs them judged before its figures mean anything).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from longtail.recommend.embedding import encode_texts, load_encoder  # noqa: E402
from longtail.serving.assistant import served_assistant  # noqa: E402
from longtail.serving.catalogue import load_snapshot  # noqa: E402
from longtail.serving.lexical import lexical_index, lexical_scores  # noqa: E402
from longtail.serving.lists import top_rows  # noqa: E402
from longtail.serving.snapshot import current_version  # noqa: E402
from resources import home  # noqa: E402

LABELS = ROOT / "docs" / "labels"
K = 5
RESAMPLES = 2000


def load_labels() -> tuple[list[dict], dict[tuple[str, str], dict]]:
    queries = [json.loads(line) for line in (LABELS / "relevance_queries.jsonl").read_text().splitlines()]
    judged = {}
    for line in (LABELS / "relevance_judgements.jsonl").read_text().splitlines():
        record = json.loads(line)
        judged[(record["query_id"], record["item_id"])] = record
    return queries, judged


def top_items(queries: list[dict]) -> dict[str, dict[str, list[str]]]:
    """System -> query id -> the item ids of its top ``K``, on the current snapshot of ``$LONGTAIL_HOME``."""
    serving = home.serving_dir()
    shops = load_snapshot(serving, current_version(serving)).shops
    model = load_encoder()

    def encode(texts):
        return encode_texts(model, texts)

    assistants, indexes = {}, {}
    found: dict[str, dict[str, list[str]]] = {"assistant": {}, "bm25": {}, "embedding": {}}
    for query in queries:
        shop = shops[query["dataset"]]
        if query["dataset"] not in assistants:
            assistants[query["dataset"]] = served_assistant(shop, encode, shop.settings.get("assistant"))
            indexes[query["dataset"]] = lexical_index(shop.search_texts())
        answer = assistants[query["dataset"]].answer(query["query"], k=K)
        found["assistant"][query["id"]] = [item["item_id"] for item in answer.items]
        lexical = lexical_scores(indexes[query["dataset"]], query["query"], len(shop))
        semantic = shop.vectors @ encode([query["query"]])[0]
        for name, scores in (("bm25", lexical), ("embedding", semantic)):
            found[name][query["id"]] = [shop.item_ids[row] for row in top_rows(scores, K, shop.card_keys)]
    return found


def query_figures(items: list[str], query_id: str, judged: dict, field: str) -> tuple[np.ndarray, int]:
    """(P@5 at grade >= 1, P@5 at grade 2, nDCG@5) of one query's ``items``, and how many were never judged."""
    grades = [judged[(query_id, item)][field] if (query_id, item) in judged else 0 for item in items[:K]]
    grades += [0] * (K - len(grades))
    unjudged = sum((query_id, item) not in judged for item in items[:K])
    pool = sorted((record[field] for key, record in judged.items() if key[0] == query_id), reverse=True)[:K]
    discounts = 1 / np.log2(np.arange(K) + 2)
    ideal = float(np.sum((2.0 ** np.array(pool + [0] * (K - len(pool))) - 1) * discounts))
    gain = float(np.sum((2.0 ** np.array(grades) - 1) * discounts))
    figures = np.array(
        [np.mean([g >= 1 for g in grades]), np.mean([g == 2 for g in grades]), gain / ideal if ideal else 0]
    )
    return figures, unjudged


def report(queries: list[dict], judged: dict, found: dict, field: str) -> None:
    ids = [query["id"] for query in queries]
    table, unjudged = {}, {}
    for system, by_query in found.items():
        rows = [query_figures(by_query[query_id], query_id, judged, field) for query_id in ids]
        table[system] = np.array([figures for figures, _ in rows])
        unjudged[system] = sum(count for _, count in rows)
    resamples = np.random.default_rng(0).integers(0, len(ids), (RESAMPLES, len(ids)))
    names = ("P@5 (grade >= 1)", "P@5 (grade 2)", "nDCG@5")
    for system, figures in table.items():
        low, high = np.percentile(figures[resamples].mean(axis=1), [2.5, 97.5], axis=0)
        cells = ", ".join(
            f"{name} {m:.3f} ({lo:.3f}-{hi:.3f})" for name, m, lo, hi in zip(names, figures.mean(0), low, high)
        )
        print(f"  {system:10} {cells}; {unjudged[system]} of {K * len(ids)} items unjudged")
    for baseline in ("bm25", "embedding"):
        ratios = table["assistant"][resamples].mean(axis=1) / np.maximum(table[baseline][resamples].mean(axis=1), 1e-9)
        low, high = np.percentile(ratios, [2.5, 97.5], axis=0)
        point = table["assistant"].mean(0) / np.maximum(table[baseline].mean(0), 1e-9)
        cells = ", ".join(f"{name} {p:.2f}x ({lo:.2f}-{hi:.2f})" for name, p, lo, hi in zip(names, point, low, high))
        print(f"  assistant / {baseline}: {cells}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("test", "dev", "all"), default="test")
    args = parser.parse_args()
    queries, judged = load_labels()
    chosen = [query for query in queries if args.split in ("all", query["split"])]
    found = top_items(chosen)
    print(f"{len(chosen)} queries ({args.split}); grades of the pooled judge")
    report(chosen, judged, found, "relevance")
    both = [record for record in judged.values() if record.get("first_reader") is not None]
    agree = np.mean([record["relevance"] == record["first_reader"] for record in both])
    within_one = np.mean([abs(record["relevance"] - record["first_reader"]) <= 1 for record in both])
    print(f"readers agree on {agree:.1%} of the {len(both)} pairs both graded ({within_one:.1%} within one grade)")


if __name__ == "__main__":
    main()
