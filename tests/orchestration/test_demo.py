"""What `longtail demo` tells a newcomer at the end, and the data folders it ingests."""

import json
from pathlib import Path

import pandas as pd

from longtail.data.warehouse import connect, replace_rows
from orchestration.demo import DemoSummary, dataset_files, example_user_of, format_demo_summary, read_demo_summary

EVALUATION = {
    "dataset": "shop",
    "split": {"evaluated_users": 1234, "cut": "2024-03-01 00:00:00"},
    "system": "longtail_hybrid",
    "models": {
        "MostPopular": {"ndcg@10": 0.05, "recall@20": 0.1, "tail_recall@20": 0.0, "aplt@10": 0.0, "coverage@10": 0.01},
        "longtail_hybrid": {
            "ndcg@10": 0.0812,
            "recall@20": 0.15,
            "tail_recall@20": 0.061,
            "aplt@10": 0.42,
            "coverage@10": 0.33,
        },
        "ContentKNN": {"ndcg@10": 0.02, "recall@20": None},
    },
    "other_datasets": {"books": "recommendation_evaluation/books.json"},
}


def example_list() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rank": [1, 2],
            "item_id": ["i7", "i9"],
            "title": ["Copper watering can with a very long name that goes on and on", None],
            "score": [0.9, 0.5],
            "is_tail": [True, False],
            "reason": ["tail pick: bought Garden gloves", "popular now"],
        }
    )


def summary(**changes) -> DemoSummary:
    fields = {
        "built": [("raw_events", 1234567), ("sentiment_model", None)],
        "not_built": [],
        "evaluation": EVALUATION,
        "example_dataset": "shop",
        "example_user": "u42",
        "example_list": example_list(),
        "reports_dir": Path("/home/me/.longtail/reports"),
        "reports": ["data_layer.json", "recommendation_evaluation.json"],
        "plots": 5,
    }
    return DemoSummary(**{**fields, **changes})


def lines_after(text: str, heading: str) -> list[str]:
    block = text.split(heading, 1)[1].split("\n\n", 1)[0]
    return block.splitlines()[1:]


def test_the_summary_lists_each_asset_with_its_rows():
    text = format_demo_summary(summary())
    built = lines_after(text, "What was built")
    assert built[0].split() == ["raw_events", "1,234,567"]
    assert built[1].split()[:2] == ["sentiment_model", "-"] and "no table of its own" in built[1]
    assert len(built) == 2


def test_the_summary_names_the_assets_a_failed_demo_did_not_build():
    text = format_demo_summary(summary(built=[], not_built=["item_text", "recommendation_lists"]))
    assert lines_after(text, "What was built") == ["  nothing", "Not built: item_text, recommendation_lists"]


def test_the_summary_shows_the_headline_metrics_of_the_system_first_then_each_baseline():
    text = format_demo_summary(summary())
    assert "on shop (1,234 users, test after 2024-03-01 00:00:00)" in text
    header, *rows = lines_after(text, "How longtail's recommender compares")
    assert "NDCG@10" in header and "Recall@20" in header and "tail recall@20" in header
    assert "APLT@10" in header and "coverage@10" in header
    assert rows[0].split() == ["longtail_hybrid*", "0.0812", "0.1500", "0.0610", "0.4200", "0.3300"]
    assert rows[1].split() == ["MostPopular", "0.0500", "0.1000", "0.0000", "0.0000", "0.0100"]
    assert rows[2].split() == ["ContentKNN", "0.0200", "-", "-", "-", "-"]
    assert "* longtail's system" in rows[3]
    assert "longtail / best baseline (paired 95% CI): ndcg@10 1.62x vs MostPopular" in text
    assert "books (reports/recommendation_evaluation/books.json)" in rows[-1]


def test_the_summary_shows_one_users_list_with_titles_and_reasons():
    text = format_demo_summary(summary())
    first, second = lines_after(text, "The list of one user (shop, user u42), top 2:")
    assert first.split()[0] == "1." and "Copper watering can" in first and first.count("…") == 1
    assert first.endswith("tail pick: bought Garden gloves")
    assert second.split() == ["2.", "i9", "popular", "now"]


def test_the_summary_says_where_the_reports_are_and_how_to_open_the_ui():
    text = format_demo_summary(summary())
    assert "/home/me/.longtail/reports (data_layer.json, recommendation_evaluation.json; 5 plots" in text
    assert "`make ui` or `longtail ui`" in text and "http://127.0.0.1:3000" in text
    assert "{" not in text  # no JSON dump


def test_the_summary_says_what_is_missing_before_the_recommendations_are_built():
    text = format_demo_summary(summary(evaluation=None, example_user=None, example_list=pd.DataFrame()))
    assert "No recommendation evaluation: reports/recommendation_evaluation.json is written when" in text
    assert "No recommendation lists yet" in text


def test_the_summary_is_read_from_the_warehouse_and_the_reports(tmp_path):
    warehouse, reports = tmp_path / "warehouse.duckdb", tmp_path / "reports"
    lists = pd.DataFrame(
        {
            "dataset": "shop",
            "user_id": ["u1", "u1", "u2", "u2", "<new user>", "<new user>"],
            "rank": [2, 1, 1, 2, 1, 2],
            "item_id": ["i2", "i1", "i3", "i1", "i4", "i5"],
            "score": [0.2, 0.3, 0.9, 0.1, None, None],
            "is_tail": [False, False, True, False, True, True],
            "reason_kind": ["popular", "popular", "bought", "similar", "popular", "popular"],
            "reason": ["popular now", "popular now", "tail pick: bought Tea mug", "similar to Kettle", "a", "b"],
        }
    )
    items = pd.DataFrame({"dataset": "shop", "item_id": ["i1", "i3"], "title": ["Tea mug", "Slow cooker"]})
    with connect(warehouse) as connection:
        replace_rows(connection, "recommendation_lists", lists)
        replace_rows(connection, "cleaned_items", items)
    (reports / "recommendation_evaluation").mkdir(parents=True)
    (reports / "recommendation_evaluation.json").write_text(json.dumps(EVALUATION))
    (reports / "recommendation_evaluation" / "shop_tradeoff.png").write_bytes(b"png")

    assets = ["raw_events", "cleaned_items", "recommendation_lists", "sentiment_model"]
    found = read_demo_summary(assets, set(assets[1:]), warehouse, reports)

    assert found.built == [("cleaned_items", 2), ("recommendation_lists", 6), ("sentiment_model", None)]
    assert found.not_built == ["raw_events"]
    assert found.evaluation == EVALUATION
    # u2's list holds a tail item; the new-user list is no person's.
    assert (found.example_dataset, found.example_user) == ("shop", "u2")
    assert found.example_list[["rank", "item_id", "title"]].values.tolist() == [
        [1, "i3", "Slow cooker"],
        [2, "i1", "Tea mug"],
    ]
    assert found.reports == ["recommendation_evaluation.json"] and found.plots == 1


def test_the_summary_of_an_empty_home_says_nothing_was_built(tmp_path):
    found = read_demo_summary(["raw_events"], set(), tmp_path / "warehouse.duckdb", tmp_path / "reports")
    assert found.built == [] and found.not_built == ["raw_events"]
    assert found.evaluation is None and found.example_user is None


def test_each_folder_with_data_files_is_a_dataset(tmp_path):
    for path in ("shop/events.csv", "shop/README.md", "shop/.events.csv.partial", "books/items.parquet", "top.csv"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("x")
    (tmp_path / "empty").mkdir()
    assert dataset_files(tmp_path) == {
        "books": [tmp_path / "books" / "items.parquet"],
        "shop": [tmp_path / "shop" / "events.csv"],
        tmp_path.name: [tmp_path / "top.csv"],
    }


def test_the_example_user_bought_a_few_items_where_any_did(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    # u1 bought one item and got two tail picks; u2 bought three and got one.
    lists = pd.DataFrame(
        {
            "dataset": "shop",
            "user_id": ["u1", "u1", "u2", "u2"],
            "rank": [1, 2, 1, 2],
            "item_id": ["i1", "i2", "i3", "i4"],
            "score": [0.9, 0.8, 0.7, 0.6],
            "is_tail": [True, True, True, False],
            "reason_kind": ["bought", "bought", "bought", "popular"],
            "reason": ["tail pick: bought Kettle", "tail pick: bought Kettle", "tail pick: bought Mug", "popular now"],
        }
    )
    with connect(warehouse) as connection:
        replace_rows(connection, "recommendation_lists", lists)
        assert example_user_of(connection, "shop") == ("shop", "u1")  # no profiles: the most tail picks
        replace_rows(
            connection, "user_profiles", pd.DataFrame({"dataset": "shop", "user_id": ["u1", "u2"], "n_items": [1, 3]})
        )
        assert example_user_of(connection, "shop") == ("shop", "u2")
        replace_rows(
            connection, "user_profiles", pd.DataFrame({"dataset": "shop", "user_id": ["u1", "u2"], "n_items": [1, 2]})
        )
        assert example_user_of(connection, "shop") == ("shop", "u1")  # nobody bought three: the most tail picks again
