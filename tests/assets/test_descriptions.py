import json

from longtail.recommend.embedding import EXTRA_TEXT_WEIGHT
from longtail.recommend.evaluation.description_effect import WEIGHTS
from resources import home as longtail_home
from resources.models import FakeGeneratorResource
from tests.assets.conftest import metadata, run
from tests.fixtures import INJECTED_REVIEW_TITLE


def published(home) -> list[str]:
    with home.warehouse().connect() as connection:
        rows = connection.execute("select description || ' ' || ad_copy from generated_descriptions").fetchall()
    return [text for (text,) in rows]


def test_items_lacking_descriptions_get_grounded_text_that_feeds_item_text(reviewed_shop):
    home, result, _ = reviewed_shop
    figures = metadata(result, "generated_descriptions")
    # All but every tenth item ("A useful garden product" is too short), and no model is loaded.
    assert figures["published"] == 54 and figures["coverage"] == 1.0 and figures["source"] == "facts"
    assert figures["model_outputs_this_run"] == 0 and figures["model"] == "none (grounded text)"
    accepted = home.count("select count(*) from generated_descriptions where accepted")
    assert home.count("select count(*) from item_text where text_source like '%generated%'") == accepted == 54
    with home.warehouse().connect() as connection:
        [(text, extra)] = connection.execute("select text, extra_text from item_text where item_id = 'i7'").fetchall()
        [(model,)] = connection.execute("select model from item_embeddings where item_id = 'i7'").fetchall()
        [(description,)] = connection.execute(
            "select description from generated_descriptions where item_id = 'i7'"
        ).fetchall()
    # The item's facts restated, its reviews counted, and kept apart from the catalogue text.
    assert description.startswith("garden thing 7, from Acme, in Home > Garden. Price: 1.50. 4 reviews, rated")
    assert "4 reviews" in extra and "4 reviews" not in text
    assert model.endswith(f"+ extra text x{EXTRA_TEXT_WEIGHT:g}")


def test_the_model_source_generates_within_a_budget_and_caches(reviewed_shop):
    home, _, _ = reviewed_shop

    def generate(budget: int) -> dict:
        resources = {**home.resources(), "generator": FakeGeneratorResource(source="model", items_per_run=budget)}
        return metadata(run(home, "key:generated_descriptions", resources=resources), "generated_descriptions")

    assert generate(5)["model_outputs_this_run"] == 5
    rest = generate(1000)
    assert rest["model_outputs_this_run"] == 49 and rest["published"] == 54
    assert generate(1000)["model_outputs_this_run"] == 0
    assert home.count("select count(*) from generated_descriptions where source = 'model'") == 54
    # The evaluation keeps to the budget too: 3 of the 6 items with a real description.
    budgeted = {**home.resources(), "generator": FakeGeneratorResource(source="model", items_per_run=3)}
    run(home, "key:generated_descriptions_evaluation", resources=budgeted)
    report = json.loads((longtail_home.reports_dir() / "generated_descriptions.json").read_text())
    assert report["sample_size"] == 3 and report["source"] == "model"
    run(home, "key:generated_descriptions or key:generated_descriptions_evaluation")  # back to grounded text


def test_injected_reviews_never_reach_published_text(reviewed_shop):
    home, _, _ = reviewed_shop
    echoing = {**home.resources(), "generator": FakeGeneratorResource(source="model", echo_reviews=True)}
    # Grounded text last: the session's shop is left as the other tests expect it.
    for resources in (echoing, home.resources()):
        run(home, "key:generated_descriptions", resources=resources)
        texts = published(home)
        assert len(texts) == 54
        assert not any("cheap-deals" in text or INJECTED_REVIEW_TITLE[:20] in text for text in texts)


def test_the_evaluation_report_has_the_issues_fields(reviewed_shop):
    _, result, _ = reviewed_shop
    report = json.loads((longtail_home.reports_dir() / "generated_descriptions.json").read_text())
    assert {
        "sample_size",
        "similarity_to_hidden",
        "similarity_facts_only",
        "invented_fact_rate_raw",
        "guard_self_check_rate",
        "rejections_by_reason",
        "tail_recall_without_generated",
        "tail_recall_with_generated",
        "faithfulness",
        "coverage",
        "tail_recall_gain",
    } <= set(report)
    assert report["sample_size"] == 6 and report["guard_self_check_rate"] == 0.0  # every tenth item
    # Faithfulness comes from the labelled set in the repository, per field, for the published source.
    faithfulness = report["faithfulness"]
    assert faithfulness["source"] == "facts"
    for field in ("description", "ad_copy"):
        assert {"labelled_n", "unsupported_rate", "ci95", "guard_precision", "guard_recall"} <= set(faithfulness[field])
        assert faithfulness[field]["labelled_n"] > 0 and faithfulness[field]["stale"] == 0
    assert report["faithfulness_by_source"]["model"]["description"]["unsupported_rate"] is not None
    assert report["coverage"]["share"] == 1.0
    comparison = report["tail_recall"]["datasets"]["shop"]
    assert comparison["described_items"] > 0 and comparison["weight"] in WEIGHTS
    assert set(comparison["test"]["hits_by_weight"]) == {str(weight) for weight in WEIGHTS}
    assert 0 <= report["tail_recall_without_generated"] <= 1 and 0 <= report["tail_recall_with_generated"] <= 1
    figures = metadata(result, "generated_descriptions_evaluation")
    assert figures["report"] and figures["faithfulness and tail recall (plot)"].startswith("![faithfulness")
    assert (longtail_home.reports_dir() / "generated_descriptions.png").stat().st_size > 0
