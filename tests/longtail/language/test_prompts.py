import pytest

from longtail.language.facts import ItemFacts
from longtail.language.prompts import ANSWER_PREFIX, answer_complete, build_prompt, parse_generation, prompt_hash


def test_prompt_holds_the_facts_and_asks_for_both_lines():
    facts = ItemFacts(item_id="x", title="Garden pad", category="Garden", price=4.0, review_highlights=("Soft",))
    messages = build_prompt(facts)
    assert messages[-1] == {"role": "assistant", "content": ANSWER_PREFIX}
    assert "Title: Garden pad\nCategory: Garden\nPrice: 4.00\nReviews say: Soft" in messages[-2]["content"]
    assert all(set(message) == {"role", "content"} for message in messages)


def test_prompt_hash_is_stable_and_changes_with_any_input():
    facts = ItemFacts(item_id="x", title="Garden pad", category="Garden")
    settings = {"max_new_tokens": 64, "repetition_penalty": 1.2}
    key = prompt_hash(build_prompt(facts), "model-a", settings)
    assert key == prompt_hash(build_prompt(facts), "model-a", dict(reversed(settings.items())))
    assert len(key) == 64
    changed = [
        prompt_hash(build_prompt(ItemFacts("x", title="Garden pads")), "model-a", settings),
        prompt_hash(build_prompt(facts), "model-b", settings),
        prompt_hash(build_prompt(facts), "model-a", {**settings, "max_new_tokens": 65}),
    ]
    assert len({key, *changed}) == 4


def test_prompt_hash_ignores_the_item_id():
    # Two items with the same facts share one cached output.
    first = build_prompt(ItemFacts("x", title="Garden pad"))
    second = build_prompt(ItemFacts("y", title="Garden pad"))
    assert prompt_hash(first, "m", {}) == prompt_hash(second, "m", {})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (" A soft pad. Great for knees.\nAd: Kneel in comfort.", ("A soft pad. Great for knees.", "Kneel in comfort.")),
        ('Description: A soft pad.\n**Ad:** "Kneel now!"\nMore text', ("A soft pad.", "Kneel now!")),
        ("A soft pad. It is cut off mid", ("A soft pad.", "")),
        ("A soft pad.\nAd: Kneel in comf", ("A soft pad.", "")),
        ("A soft pad.\nTagline: Kneel\nNext", ("A soft pad.", "Kneel")),
        ("A soft pad.\nAd: Kneel in comfort\n", ("A soft pad.", "Kneel in comfort")),  # stopped at the line end
        ("", ("", "")),
    ],
)
def test_parse_generation(text, expected):
    assert parse_generation(text) == expected


@pytest.mark.parametrize(
    ("text", "complete"),
    [
        ("A soft pad. Great for knees.", False),
        ("A soft pad.\nAd: Kneel in comf", False),
        ("A soft pad.\nAd:\n", False),  # the ad line has not started yet
        ("A soft pad.\nAd: Kneel in comfort.\n", True),
        ("A soft pad. Ad: Kneel.\nReviewer says: more", True),
    ],
)
def test_answer_complete_once_the_ad_line_has_ended(text, complete):
    assert answer_complete(text) is complete
