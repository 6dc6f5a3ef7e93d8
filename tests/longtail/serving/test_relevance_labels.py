"""The judged relevance set (``docs/labels/relevance_rubric.md``) that ``bench/judged_relevance.py`` scores: its
queries and grades are well formed and cover each other."""

import json
from collections import Counter
from pathlib import Path

LABELS = Path(__file__).parents[3] / "docs" / "labels"
SHOPS = {"uci_online_retail_ii": "r-retail-", "instacart_sample": "r-grocery-"}


def records(name: str) -> list[dict]:
    return [json.loads(line) for line in (LABELS / name).read_text().splitlines()]


def test_queries_are_unique_per_shop_and_split_into_dev_and_test():
    queries = records("relevance_queries.jsonl")
    assert len({query["id"] for query in queries}) == len(queries) == 80
    assert Counter(query["dataset"] for query in queries) == {shop: 40 for shop in SHOPS}
    assert all(query["id"].startswith(SHOPS[query["dataset"]]) and query["query"].strip() for query in queries)
    assert Counter(query["split"] for query in queries) == {"dev": 34, "test": 46}


def test_every_query_has_judged_items_and_every_grade_is_on_the_scale():
    queries = {query["id"]: query for query in records("relevance_queries.jsonl")}
    judged = records("relevance_judgements.jsonl")
    assert len({(record["query_id"], record["item_id"]) for record in judged}) == len(judged) == 869
    assert all(record["dataset"] == queries[record["query_id"]]["dataset"] for record in judged)
    assert all(record["relevance"] in (0, 1, 2) and record["first_reader"] in (None, 0, 1, 2) for record in judged)
    per_query = Counter(record["query_id"] for record in judged)
    assert set(per_query) == set(queries) and min(per_query.values()) >= 5
    assert sum(record["first_reader"] is not None for record in judged) == 440
