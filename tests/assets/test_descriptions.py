import json

from longtail.recommend.embedding import EXTRA_TEXT_WEIGHT
from resources import home as longtail_home
from resources.models import FakeGeneratorResource
from tests.assets.conftest import metadata, run
from tests.fixtures import INJECTED_REVIEW_TITLE


def test_items_with_short_descriptions_get_guarded_generated_text_that_feeds_item_text(reviewed_shop):
    home, result, _ = reviewed_shop
    figures = metadata(result, "generated_descriptions")
    assert figures["items_needing_description"] == 54  # all but every tenth item: "A useful garden product"
    assert figures["generated_this_run"] == 54 and figures["accepted"] > 0
    accepted = home.count("select count(*) from generated_descriptions where accepted")
    assert home.count("select count(*) from item_text where text_source like '%generated%'") == accepted
    with home.warehouse().connect() as connection:
        [(text, extra)] = connection.execute("select text, extra_text from item_text where item_id = 'i7'").fetchall()
        [(model,)] = connection.execute("select model from item_embeddings where item_id = 'i7'").fetchall()
    # Kept apart from the catalogue text, and blended into the item's vector at its weight.
    assert "chosen for everyday use" in extra and "chosen for everyday use" not in text
    assert model.endswith(f"+ extra text x{EXTRA_TEXT_WEIGHT:g}")


def test_a_rerun_regenerates_nothing_and_a_budget_limits_new_work(reviewed_shop):
    home, _, _ = reviewed_shop
    again = metadata(run(home, "key:generated_descriptions"), "generated_descriptions")
    assert again["generated_this_run"] == 0 and again["still_to_generate"] == 0
    budgeted = {**home.resources(), "generator": FakeGeneratorResource(items_per_run=5, echo_reviews=True)}
    figures = metadata(run(home, "key:generated_descriptions", resources=budgeted), "generated_descriptions")
    assert figures["generated_this_run"] == 5 and figures["still_to_generate"] == 49


def test_injected_review_instructions_never_reach_a_prompt_or_a_description(reviewed_shop):
    home, _, _ = reviewed_shop
    echoing = {**home.resources(), "generator": FakeGeneratorResource(items_per_run=1000, echo_reviews=True)}
    run(home, "key:generated_descriptions", resources=echoing)
    with home.warehouse().connect() as connection:
        rows = connection.execute("select description || ' ' || ad_copy from generated_descriptions").fetchall()
    texts = [text for (text,) in rows]
    assert texts and not any("cheap-deals" in text or INJECTED_REVIEW_TITLE[:20] in text for text in texts)


def test_the_evaluation_report_has_the_issues_fields(reviewed_shop):
    _, result, _ = reviewed_shop
    report = json.loads((longtail_home.reports_dir() / "generated_descriptions.json").read_text())
    assert {
        "sample_size",
        "similarity_to_hidden",
        "invented_fact_rate_raw",
        "invented_fact_rate_guarded",
        "rejections_by_reason",
        "tail_recall_without_generated",
        "tail_recall_with_generated",
    } <= set(report)
    assert report["invented_fact_rate_guarded"] == 0.0 and report["sample_size"] == 6  # every tenth item
    comparison = report["tail_recall"]
    assert comparison["dataset"] == "shop" and comparison["described_items"] > 0 and comparison["targets"] > 0
    assert 0 <= report["tail_recall_without_generated"] <= 1 and 0 <= report["tail_recall_with_generated"] <= 1
    # "with" is the weight item_embeddings uses; the other weights are there to check that choice.
    by_weight = comparison["tail_recall_by_generated_weight"]
    assert set(by_weight) == {"0.25", "0.5", "1.0"} and comparison["generated_weight"] == EXTRA_TEXT_WEIGHT
    assert by_weight[str(EXTRA_TEXT_WEIGHT)] == report["tail_recall_with_generated"]
    figures = metadata(result, "generated_descriptions_evaluation")
    assert figures["report"] and figures["invented facts and tail recall (plot)"].startswith("![invented facts")
    assert (longtail_home.reports_dir() / "generated_descriptions.png").stat().st_size > 0
