import pandas as pd
import pytest

from longtail.language.caches import CachedGenerator
from longtail.language.descriptions import (
    CANDIDATE_COLUMNS,
    DESCRIPTION_COLUMNS,
    describe_items,
    description_candidates,
    generate_descriptions,
    guard_outputs,
    guarded_descriptions,
    review_highlights,
)
from longtail.language.facts import ItemFacts
from resources.models import FakeGeneratorResource
from tests.longtail.language.conftest import items_frame
from tests.longtail.language.test_caches import warehouse  # noqa: F401 (a fixture)


def test_review_highlights_are_the_titles_of_the_best_scored_reviews():
    reviews = pd.DataFrame(
        {
            "dataset": ["s"] * 5 + ["t"],
            "review_id": ["r1", "r2", "r3", "r4", "r5", "r1"],
            "item_id": ["a", "a", "a", "a", "b", "a"],
            "title": ["Fine", "Superb", "  ", "Great", "Nice", "Other shop"],
            "ts": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04", "2024-01-01", "2024-01-01"]),
        }
    )
    scores = pd.DataFrame(
        {"dataset": ["s"] * 4 + ["t"], "review_id": ["r1", "r2", "r3", "r4", "r1"], "score": [0.1, 0.9, 1.0, 0.9, 0.5]}
    )
    # r3 has no title, r5 no score; r2 and r4 tie on score and the newer one comes first.
    highlights = review_highlights(reviews, scores, per_item=2)
    assert highlights == {"s": {"a": ["Great", "Superb"]}, "t": {"a": ["Other shop"]}}
    assert review_highlights(reviews, pd.DataFrame()) == {}


def key(prompt) -> str:
    return prompt[-2]["content"].splitlines()[-1]


def test_description_candidates_keep_the_describable_items_that_need_text():
    items = items_frame().assign(dataset="shop")
    candidates = description_candidates(items, {"shop": {"b": ["Lovely read"]}}, key)
    frame = candidates.frame
    assert list(frame.columns) == CANDIDATE_COLUMNS
    # a: markup title but a brand and a category; c and e: no title, no brand; f has a usable description.
    assert frame["item_id"].tolist() == ["a", "b", "d"]
    assert frame["need"].tolist() == ["missing", "missing", "junk"]
    assert candidates.need_counts == {"shop": {"missing": 2, "short": 1, "junk": 2, "nothing_to_describe": 2}}
    assert candidates.facts[("shop", "b")].review_highlights == ("Lovely read",)
    assert candidates.brands["shop"] == ("Acme", "Brightside", "Conde Nast Publications")
    assert frame["prompt_hash"].tolist() == [key(prompt) for prompt in frame["prompt"]]
    assert description_candidates(items.iloc[:0], {}, key).frame.empty


MUG = ItemFacts("m", title="Heart holder", category="Home")


def test_guard_outputs_parse_then_repair_or_reject():
    good = "A heart holder for the home, made for candles and quiet evenings.\nAd: Light up your home."
    results = guard_outputs([good, "Visit www.x.com now!"], [MUG, MUG], ())
    assert results[0].accepted and results[0].ad_copy == "Light up your home."
    assert not results[1].accepted and results[1].reasons == ["injected_instruction"]
    with pytest.raises(ValueError, match="outputs"):
        guard_outputs([good], [MUG, MUG], ())


def test_guarded_descriptions_cover_the_candidates_with_an_output():
    candidates = description_candidates(items_frame().assign(dataset="shop"), {}, key)
    outputs = {candidates.frame["prompt_hash"][0]: "A stylish magazine for people who love fashion and style news."}
    table = guarded_descriptions(candidates, outputs, "m")
    assert list(table.columns) == DESCRIPTION_COLUMNS
    assert table[["item_id", "accepted", "repaired", "model"]].values.tolist() == [["a", True, False, "m"]]


def test_generate_descriptions_within_a_budget_then_from_the_cache(warehouse):  # noqa: F811
    fake = FakeGeneratorResource()
    zoo = items_frame(category=["Zoo"] * 6).assign(dataset="zoo")  # other facts, so other prompts
    items = pd.concat([items_frame().assign(dataset="shop"), zoo], ignore_index=True)
    popularity = {"shop": pd.Series({"a": 5, "d": 1}), "zoo": pd.Series(dtype=float)}

    def generator():
        return CachedGenerator(warehouse, fake.generate, fake.model_name(), fake.settings())

    run = generate_descriptions(items, {}, popularity, generator(), budget=4)
    # Two a dataset: in shop the least popular item with interactions first, items without any last.
    selected = run.selected[["dataset", "item_id"]].values.tolist()
    assert selected == [["shop", "d"], ["shop", "a"], ["zoo", "a"], ["zoo", "b"]]
    assert run.generated == 4 and len(run.table) == 4 and run.table["accepted"].all()
    rejections, repairs = run.reasons()
    assert rejections == {} and repairs == {}
    again = generate_descriptions(items, {}, popularity, generator(), budget=10)
    assert again.generated == 2 and len(again.table) == 6


def test_describe_items_keeps_the_accepted_texts(warehouse):  # noqa: F811
    fake = FakeGeneratorResource()
    generate = CachedGenerator(warehouse, fake.generate, fake.model_name(), fake.settings())
    items = items_frame()
    described = describe_items(items.iloc[[1, 5]], items, {}, generate)
    assert described["item_id"].tolist() == ["b", "f"]
    assert described["text"].str.contains("chosen for everyday use").all()
