import numpy as np
import pandas as pd
import pytest

from longtail.language.description_evaluation import description_report, evaluate_generation, sample_dataset
from resources.models import FakeEmbeddingModelResource
from tests.longtail.language.conftest import items_frame

ENCODE = FakeEmbeddingModelResource(dim=64).encode


def garden_items() -> pd.DataFrame:
    titles = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]
    items = pd.DataFrame(
        {
            "item_id": [f"i{n}" for n in range(8)],
            "title": [f"Item {word}" for word in titles],
            "category": ["Garden"] * 8,
            "brand": [None] * 4 + ["Zorbix"] * 4,
            "price": [np.nan] * 8,
        }
    )
    # Each hidden description is the grounded text itself, so a perfect encoder scores 1 on it.
    items["description"] = [f"{title}, in Garden. A long enough hidden description." for title in items["title"]]
    return items


def test_evaluate_generation_compares_grounded_text_and_bare_facts_with_the_hidden_text():
    result = evaluate_generation(garden_items(), ENCODE, sample_size=6, seed=3, n_examples=2)
    assert result["sample_size"] == 6 and result["accepted"] == 6 and result["from_model"] == 0
    assert 0 < result["similarity_facts_only"] < 1 and 0 < result["similarity_to_hidden"] < 1
    assert result["similarity_gain"] == pytest.approx(result["similarity_to_hidden"] - result["similarity_facts_only"])
    low, high = result["similarity_gain_ci95"]
    assert low <= result["similarity_gain"] <= high
    assert result["guard_self_check_rate"] == 0.0 and result["rejections_by_reason"] == {}
    assert [example["source"] for example in result["examples"]] == ["facts", "facts"]
    assert set(result["examples"][0]) == {"item_id", "facts", "hidden", "description", "ad_copy", "source"}
    assert "hidden description" not in result["examples"][0]["facts"]  # the hidden text never reaches the facts


def test_evaluate_generation_with_a_model_publishes_only_what_the_guard_accepts():
    calls = []

    def generate(prompts):
        calls.append(len(prompts))
        # Every other output invents a price and a weight; the guard repairs those by dropping the sentence.
        invented = " It costs 99.99 and weighs 2 kg."
        base = "A garden item picked for everyday use in any garden."
        return [base + (invented if n % 2 else "") + "\nAd: Grow more today." for n in range(len(prompts))]

    result = evaluate_generation(garden_items(), ENCODE, sample_size=6, seed=3, generate=generate)
    assert calls == [6] and result["accepted"] == 6 and result["from_model"] == 6
    assert result["guard_self_check_rate"] == 0.0
    assert result["rejections_by_reason"] == {"invented_number": 3, "invented_size": 3}
    hijacked = evaluate_generation(items_frame(), ENCODE, 5, generate=lambda p: ["Visit www.x.com now!"] * len(p))
    # Only item "f" has a usable description; its hijacked output is replaced by its grounded text.
    assert hijacked["sample_size"] == 1 and hijacked["from_model"] == 0 and hijacked["accepted"] == 1
    assert hijacked["rejections_by_reason"] == {"injected_instruction": 1}
    with pytest.raises(ValueError, match="usable description"):
        evaluate_generation(items_frame().head(5), ENCODE, 5)


def test_sample_dataset_has_the_most_usable_descriptions():
    usable = items_frame(description=["A long enough description of a garden product, with words."] * 6)
    items = pd.concat([items_frame().assign(dataset="few"), usable.assign(dataset="many")], ignore_index=True)
    assert sample_dataset(items) == "many"
    assert sample_dataset(items_frame().iloc[:5].assign(dataset="none")) is None
    assert sample_dataset(items.iloc[:0]) is None


def test_description_report_gathers_every_figure():
    quality = {"sample_size": 2, "similarity_to_hidden": 0.5, "rejections_by_reason": {}, "examples": [{"x": 1}]}
    effect = {"tail_recall_without_generated": 0.1, "tail_recall_with_generated": 0.2, "tail_recall_gain": 2.0}
    published = {"n": 10, "unsupported": 1, "unsupported_rate": 0.1, "ci95": [0.02, 0.4]}
    figures = {
        "labelled_n": 20, "stale": 0, "guard_precision": 0.9, "guard_recall": 0.5,
        "published": {"facts": published, "model": {**published, "unsupported_rate": 0.5}},
    }  # fmt: skip
    faithfulness = {"report": {"description": figures, "ad_copy": figures}, "tune": {"description": figures}}
    labels = pd.DataFrame(
        {"split": ["report", "report", "tune"], "source": ["model"] * 3, "label": ["faithful", "invented", "wrong"]}
    )
    report = description_report(quality, effect, faithfulness, {"share": 0.9}, labels, "shop", "facts", "m")
    assert report["similarity_to_hidden"] == 0.5 and report["invented_fact_rate_raw"] == 0.5
    assert report["faithfulness"]["source"] == "facts"
    assert report["faithfulness"]["description"] == {
        "labelled_n": 20, "published_n": 10, "unsupported_rate": 0.1, "ci95": [0.02, 0.4], "guard_precision": 0.9,
        "guard_recall": 0.5, "stale": 0,
    }  # fmt: skip
    assert report["faithfulness_by_source"]["model"]["ad_copy"]["unsupported_rate"] == 0.5
    assert report["coverage"] == {"share": 0.9} and report["tail_recall_gain"] == 2.0
    assert (report["tail_recall_without_generated"], report["tail_recall_with_generated"]) == (0.1, 0.2)
    assert report["tail_recall"] == effect and report["sample_dataset"] == "shop" and report["generator"] == "m"
    assert list(report)[-1] == "examples" and report["examples"] == [{"x": 1}]
