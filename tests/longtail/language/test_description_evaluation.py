import numpy as np
import pandas as pd
import pytest

from longtail.language.description_evaluation import description_report, evaluate_generation, sample_dataset
from resources.models import FakeEmbeddingModelResource
from tests.longtail.language.conftest import items_frame


def grounded_text(facts_text: str) -> str:
    """What the fake model writes: a sentence from the facts lines of its prompt."""
    values = dict(line.split(": ", 1) for line in facts_text.splitlines() if ": " in line)
    return f"A {values['Title'].lower()} from the {values['Category'].lower()} shelf, picked for everyday use."


def test_evaluate_generation_with_a_fake_model():
    titles = [f"Item {word}" for word in ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta")]
    items = pd.DataFrame(
        {
            "item_id": [f"i{n}" for n in range(8)],
            "title": [title.lower().capitalize() for title in titles],
            "category": ["Garden"] * 8,
            "brand": [None] * 4 + ["Zorbix"] * 4,
            "price": [np.nan] * 8,
        }
    )
    # The hidden descriptions are exactly what the fake model writes, so a perfect encoder scores 1.
    items["description"] = [grounded_text(f"Title: {t}\nCategory: Garden") for t in items["title"]]
    calls = []

    def generate(prompts):
        calls.append(len(prompts))
        outputs = []
        for n, prompt in enumerate(prompts):
            facts_text = prompt[-2]["content"]
            assert "everyday use" not in facts_text  # the hidden description never reaches the prompt
            invented = " It costs 99.99 and weighs 2 kg." if n % 2 else ""
            outputs.append(f"{grounded_text(facts_text)}{invented}\nAd: Grow more today.")
        return outputs

    result = evaluate_generation(
        items, generate, FakeEmbeddingModelResource(dim=64).encode, sample_size=6, seed=3, n_examples=2
    )
    assert calls == [6]
    assert result["sample_size"] == 6 and result["accepted"] == 6
    assert result["repaired"] == 3
    assert result["invented_fact_rate_raw"] == pytest.approx(3 / 6)
    assert result["invented_fact_rate_guarded"] == 0.0
    assert result["similarity_to_hidden"] == pytest.approx(1.0, abs=1e-5)
    assert result["similarity_to_hidden_raw"] < result["similarity_to_hidden"]
    assert result["similarity_facts_only"] < 1.0
    assert result["rejections_by_reason"] == {}
    assert result["repairs_by_reason"] == {"invented_number": 3, "invented_size": 3}
    assert [example["accepted"] for example in result["examples"]] == [True, True]
    assert set(result["examples"][0]) == {
        "item_id", "facts", "hidden", "raw", "description", "ad_copy", "accepted", "reasons",
    }  # fmt: skip


def test_evaluate_generation_counts_rejections_and_needs_usable_items():
    items = items_frame()
    result = evaluate_generation(
        items, lambda prompts: ["Visit www.x.com now!"] * len(prompts), FakeEmbeddingModelResource(dim=8).encode, 5
    )
    assert result["sample_size"] == 1  # only item "f" has a usable description
    assert result["accepted"] == 0 and result["similarity_to_hidden"] is None
    assert result["invented_fact_rate_raw"] == 1.0 and result["invented_fact_rate_guarded"] is None
    assert result["rejections_by_reason"] == {"injected_instruction": 1}
    with pytest.raises(ValueError, match="usable description"):
        evaluate_generation(items.head(5), lambda p: [], FakeEmbeddingModelResource().encode, 5)


def test_sample_dataset_has_the_most_usable_descriptions():
    usable = items_frame(description=["A long enough description of a garden product, with words."] * 6)
    items = pd.concat([items_frame().assign(dataset="few"), usable.assign(dataset="many")], ignore_index=True)
    assert sample_dataset(items) == "many"
    assert sample_dataset(items_frame().iloc[:5].assign(dataset="none")) is None
    assert sample_dataset(items.iloc[:0]) is None


def test_description_report_gathers_both_tests():
    quality = {"sample_size": 2, "similarity_to_hidden": 0.5, "rejections_by_reason": {}, "examples": [{"x": 1}]}
    effect = {"tail_recall_without_generated": 0.1, "tail_recall_with_generated": 0.2, "dataset": "shop"}
    report = description_report(quality, effect, "shop", "m")
    assert report["similarity_to_hidden"] == 0.5 and report["invented_fact_rate_raw"] is None
    assert (report["tail_recall_without_generated"], report["tail_recall_with_generated"]) == (0.1, 0.2)
    assert report["tail_recall"] == effect and report["sample_dataset"] == "shop" and report["generator"] == "m"
    assert list(report)[-1] == "examples" and report["examples"] == [{"x": 1}]
