"""The recommendation assets end to end on a small synthetic shop, with the fake embedder: item_text ->
item_embeddings -> item_similarity, user_profiles, recommendation_evaluation -> recommendation_lists."""

import json
import re
import shutil

import duckdb
import pytest

from assets.recommendations import COLD_START_USER, EvaluationConfig, reasons_have_co_buyers
from longtail.recommend.evaluation.tuning import BASELINE_GRIDS
from resources.warehouse import WarehouseResource
from tests.assets.conftest import metadata, run, synthetic_shop
from tests.fixtures import shop_history, write_items

DERIVED = (
    "key:item_text or key:item_embeddings or key:item_similarity or key:user_profiles "
    "or key:recommendation_evaluation or key:recommendation_lists"
)


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """The synthetic shop landed, cleaned and run through every recommendation asset once."""
    with synthetic_shop(tmp_path_factory.mktemp("shop") / "home", DERIVED, with_reviews=False) as shop:
        yield shop


def test_every_item_is_embedded_once_and_a_rerun_reuses_every_vector(shop):
    home, result, _ = shop
    first = metadata(result, "item_embeddings")
    assert first["embedded"] == 60 and first["reused"] == 0
    assert home.count("select count(*) from item_embeddings") == 60
    again = metadata(run(home, "key:item_text or key:item_embeddings"), "item_embeddings")
    assert again["embedded"] == 0 and again["reused"] == 60


def test_a_changed_item_text_is_the_only_one_re_embedded(shop):
    home, _, _ = shop
    _, items = shop_history()
    write_items(home.landing / "shop" / "items.csv", items.replace("garden thing 3,", "garden spade 3,"))
    result = run(home, "key:raw_events or key:raw_items or key:raw_reviews or key:cleaned_items or key:item_text")
    assert metadata(result, "item_text")["new_or_changed_texts"] == 1
    embedded = metadata(run(home, "key:item_embeddings"), "item_embeddings")
    assert embedded["embedded"] == 1 and embedded["reused"] == 59
    with home.warehouse().connect() as connection:
        texts = connection.execute("select text from item_text where item_id = 'i3'").fetchall()
    assert "garden spade 3" in texts[0][0]


def test_similarity_has_every_source_and_content_neighbours_share_the_theme(shop):
    home, _, _ = shop
    rows = home.warehouse().read_table("item_similarity")
    assert set(rows["source"]) == {"content", "collaborative", "blended"}
    assert not (rows["item_id"] == rows["neighbour_id"]).any()
    assert rows.groupby(["source", "item_id"]).size().max() <= 50
    content = rows[(rows["source"] == "content") & (rows["rank"] == 1)]
    half = content["item_id"].str[1:].astype(int) < 30
    assert ((content["neighbour_id"].str[1:].astype(int) < 30) == half).mean() > 0.9


def test_user_profiles_cover_every_user_with_an_appetite_share(shop):
    home, _, _ = shop
    profiles = home.warehouse().read_table("user_profiles")
    assert len(profiles) == 80
    assert profiles["tail_share"].between(0, 1).all()
    assert profiles["n_items"].min() >= 1


def test_evaluation_report_compares_every_model_on_one_split(shop):
    home, result, _ = shop
    report = json.loads((home.root / "reports" / "recommendation_evaluation.json").read_text())
    assert report["dataset"] == "shop"
    assert report["system"] == "longtail_hybrid"
    assert set(report["models"]) == {
        "MostPopular", "ItemKNN", "EASE", "ALS", "RP3beta", "ContentKNN", "longtail_hybrid",
    }  # fmt: skip
    # Every baseline with settings was tuned on validation; the budgets sit beside the hybrid's.
    budgets = report["tuning"]["budgets"]
    assert set(budgets) == {"longtail_hybrid", "EASE", "ItemKNN", "ALS", "RP3beta", "ContentKNN"}
    assert report["tuning"]["baselines"]["RP3beta"]["chosen"] in BASELINE_GRIDS["RP3beta"]
    for figures in report["models"].values():
        for metric in ("ndcg@10", "recall@20", "tail_recall@20", "aplt@10", "coverage@10", "gini@10", "novelty@10"):
            assert metric in figures
    assert report["split"]["evaluated_users"] > 0
    assert report["split"]["validation_cut"] < report["split"]["cut"]
    shown = metadata(result, "recommendation_evaluation")
    assert "longtail_hybrid" in shown["shop: models"]
    assert "data:image/png;base64," in shown["shop: accuracy vs tail exposure"]
    tuning = shown["shop: tuning (budget, choice, grid edges)"]
    chosen_l2 = f"l2={report['tuning']['ease_l2']:g}"
    assert "at_grid_edge" in tuning and chosen_l2 in tuning and "longtail_hybrid" in tuning
    floor = report["tuning"]["hybrid_floor"]
    assert f"{floor['model']}'s validation NDCG@10 {floor['ndcg@10']:.4f}" in tuning
    # The shop validates on fewer users than a trade for the tail needs: its most accurate point, and the UI says so.
    assert report["split"]["validation_users"] < EvaluationConfig().min_trade_users
    assert floor["tail_trade"] is False
    best = max(report["tuning"]["hybrid_validation"], key=lambda point: point["ndcg@10"])
    assert all(best[name] == value for name, value in report["tuning"]["hybrid"].items())
    assert "too few to trade accuracy for the tail" in tuning


def test_lists_hold_new_items_with_reasons_and_a_list_for_a_new_user(shop):
    home, _, _ = shop
    lists = home.warehouse().read_table("recommendation_lists")
    events = home.warehouse().read_table("cleaned_events")[["user_id", "item_id"]]
    known = lists[lists["user_id"] != COLD_START_USER]
    assert known["user_id"].nunique() == 80
    assert known.groupby("user_id").size().min() == 20
    seen = known.merge(events.drop_duplicates(), on=["user_id", "item_id"])
    assert seen.empty
    assert set(known["reason_kind"]) <= {"bought", "similar", "popular"}
    assert known["reason"].str.len().min() > 0
    assert (
        known.loc[known["reason_kind"] == "bought", "reason"]
        .str.contains("customers who bought .+ also bought this")
        .all()
    )
    assert len(lists[lists["user_id"] == COLD_START_USER]) == 20


def test_every_bought_reason_has_enough_co_buyers_and_the_check_catches_one_that_has_not(shop, tmp_path):
    home, result, _ = shop
    [evaluation] = [e for e in result.get_asset_check_evaluations() if e.check_name == "reasons_have_co_buyers"]
    assert evaluation.passed and evaluation.metadata["bought_reasons_below_minimum"].value == 0
    assert "| shop " in evaluation.metadata["per_dataset"].value
    reasons = metadata(result, "recommendation_lists")["reasons"]
    assert re.search(r"\| shop\s+\| bought\s+\|", reasons) and "is_tail" in reasons

    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(home.warehouse_path, copy)
    with duckdb.connect(str(copy)) as connection:
        connection.execute(
            """insert into recommendation_lists by name
               (select * replace ('never_sold' as item_id) from recommendation_lists where reason_kind = 'bought'
                limit 1)"""
        )
    caught = reasons_have_co_buyers(warehouse=WarehouseResource(path=str(copy)))
    assert not caught.passed and caught.metadata["bought_reasons_below_minimum"].value == 1
    assert "never_sold" in caught.metadata["weakest"].value


def test_the_lists_of_two_shops_side_by_side_are_those_of_one_shop_at_a_time(tmp_path):
    """recommendation_lists computes datasets in threads (``workers``); each dataset's rows must be its own."""
    import dagster as dg

    from orchestration.definitions import ASSETS, CHECKS
    from orchestration.sensors import RANGE_END_TAG, RANGE_START_TAG
    from tests.assets.conftest import DATA_LAYER
    from tests.fixtures import Home, write_events, write_items

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LONGTAIL_HOME", str(tmp_path / "home"))
        home = Home(tmp_path / "home")
        for dataset, (users, seed) in {"big_shop": (80, 0), "small_shop": (40, 1)}.items():
            events, items = shop_history(n_users=users, seed=seed)
            write_events(home.landing / dataset / "events.csv", events)
            write_items(home.landing / dataset / "items.csv", items)
        with dg.DagsterInstance.ephemeral() as instance:
            run(home, DATA_LAYER, instance=instance)
            run(home, "key:cleaned_events", {RANGE_START_TAG: "2024-01-01", RANGE_END_TAG: "2024-05-01"}, instance)
            run(home, DERIVED, instance=instance)
            side_by_side = home.warehouse().read_table("recommendation_lists")
            one_at_a_time = dg.materialize(
                [*ASSETS, *CHECKS],
                selection="key:recommendation_lists",
                resources=home.resources(),
                instance=instance,
                run_config={"ops": {"recommendation_lists": {"config": {"workers": 1}}}},
            )
            assert one_at_a_time.success
            again = home.warehouse().read_table("recommendation_lists")

    order = ["dataset", "user_id", "rank"]
    assert side_by_side.groupby("dataset")["user_id"].nunique().to_dict() == {"big_shop": 81, "small_shop": 41}
    assert (
        side_by_side.sort_values(order).reset_index(drop=True).equals(again.sort_values(order).reset_index(drop=True))
    )


def test_the_lists_and_the_snapshot_read_each_items_product_from_its_shops_reviews(tmp_path):
    import pandas as pd

    from assets.recommendations import item_products

    reviews = pd.DataFrame(
        {
            "dataset": ["shop"] * 4 + ["other"] * 2,
            "item_id": ["S1", "S1", "S2", "S2", "S3", "S3"],
            "user_id": ["a", "b", "a", "b", "a", "b"],
            "ts": pd.to_datetime(["2018-01-01", "2018-01-02"] * 3, utc=True),
            "text": ["fits well", "too small", "Fits well", "too  small", "fits well", "too small"],
        }
    )
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as connection:
        assert item_products(connection, "shop") is None  # no reviews cleaned yet
        connection.register("reviews_frame", reviews)
        connection.execute("create table cleaned_reviews as select * from reviews_frame")
        assert item_products(connection, "shop").to_dict() == {"S1": "S1", "S2": "S1"}
