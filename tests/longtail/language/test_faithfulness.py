import json

import pandas as pd
import pytest

from longtail.language.descriptions import grounded_result
from longtail.language.facts import ItemFacts, facts_to_dict
from longtail.language.faithfulness import (
    LABELLED_SET,
    SECOND_READER,
    faithfulness_figures,
    load_labels,
    reader_agreement,
    split_of,
)

MUG = ItemFacts("m", title="Heart mug", category="Home > Mugs")
CARD = ItemFacts("c", title="Garden gift card", category="Gift Cards")


def record(item: ItemFacts, source: str, field: str, text: str, label: str = "faithful", offending=()) -> dict:
    return {
        "dataset": "shop",
        "item_id": item.item_id,
        "split": "report",
        "source": source,
        "field": field,
        "facts": facts_to_dict(item),
        "text": text,
        "label": label,
        "offending": list(offending),
    }


def grounded_records(item: ItemFacts) -> list[dict]:
    result = grounded_result(item, ())
    return [
        record(item, "facts", "description", result.description),
        record(item, "facts", "ad_copy", result.ad_copy),
    ]


def write(path, records) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


def test_figures_count_the_guard_against_the_labels_and_what_each_source_publishes(tmp_path):
    records = [
        *grounded_records(MUG),
        *grounded_records(CARD),
        # The guard catches the invented material; it misses the invented bakery (a false negative) ...
        record(MUG, "model", "description", "A heart mug made of oak for the home.", "invented", ["made of oak"]),
        record(CARD, "model", "description", "A gift card from a renowned bakery for the home.", "invented",
               ["renowned bakery"]),
        # ... and flags a faithful ad line for its "Ikea" (a false positive).
        record(MUG, "model", "ad_copy", "Heart mug, as at Ikea.", "faithful"),
        record(CARD, "model", "ad_copy", "A garden gift card.", "faithful"),
    ]  # fmt: skip
    write(tmp_path / "labels.jsonl", records)
    figures = faithfulness_figures(load_labels(tmp_path / "labels.jsonl"), {"shop": ("Ikea",)})
    description, ad = figures["description"], figures["ad_copy"]
    assert description["guard_confusion"] == {"tp": 1, "fp": 0, "fn": 1, "tn": 0}
    assert description["guard_precision"] == 1.0 and description["guard_recall"] == 0.5
    assert ad["guard_confusion"] == {"tp": 0, "fp": 1, "fn": 0, "tn": 1}
    # Grounded texts: all labelled faithful, none stale.
    assert description["published"]["facts"] == {"n": 2, "unsupported": 0, "unsupported_rate": 0.0,
                                                 "ci95": [0.0, pytest.approx(0.6576, abs=1e-4)]}  # fmt: skip
    # The model path publishes the bakery text (the guard accepts it) and the grounded text for the mug, whose
    # output the guard rejects: one unsupported description of two.
    assert description["published"]["model"]["n"] == 2 and description["published"]["model"]["unsupported"] == 1
    assert description["stale"] == 0 and description["labelled_n"] == 4
    assert faithfulness_figures(load_labels(tmp_path / "labels.jsonl"), {}, "tune")["description"]["labelled_n"] == 0


def test_a_changed_grounded_text_is_stale_until_labelled_again(tmp_path):
    records = grounded_records(MUG)
    records[0]["text"] = "Heart mug, in Home > Mugs. Something the generator used to say."
    write(tmp_path / "labels.jsonl", records)
    figures = faithfulness_figures(load_labels(tmp_path / "labels.jsonl"), {})
    assert figures["description"]["stale"] == 1 and figures["description"]["published"]["facts"]["n"] == 0
    assert figures["ad_copy"]["stale"] == 0 and figures["ad_copy"]["published"]["facts"]["n"] == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"label": "maybe"}, "label must be one of"),
        ({"label": "invented"}, "offending phrases are required"),
        ({"label": "invented", "offending": ["not there"]}, "do not occur in the text"),
        ({"split": "train"}, "split must be one of"),
    ],
)
def test_load_labels_names_the_line_and_the_problem(tmp_path, change, message):
    records = grounded_records(MUG)
    records[1].update(change)
    write(tmp_path / "labels.jsonl", records)
    with pytest.raises(ValueError, match=rf"labels.jsonl, line 2: .*{message}"):
        load_labels(tmp_path / "labels.jsonl")
    (tmp_path / "broken.jsonl").write_text("{not json\n")
    with pytest.raises(ValueError, match="line 1: not JSON"):
        load_labels(tmp_path / "broken.jsonl")


def test_split_of_is_fixed_and_about_a_third_tune():
    splits = pd.Series([split_of("shop", str(i)) for i in range(3000)])
    assert split_of("shop", "7") == split_of("shop", "7")
    assert 0.28 < (splits == "tune").mean() < 0.39


def test_the_labelled_set_in_the_repository_is_valid_and_large_enough():
    labels = load_labels(LABELLED_SET)
    assert len(labels) >= 200 and labels["dataset"].nunique() >= 3
    assert set(labels["field"]) == {"description", "ad_copy"} and set(labels["source"]) == {"facts", "model"}


def test_reader_agreement_counts_faithful_against_not(tmp_path):
    records = [*grounded_records(MUG), record(CARD, "model", "description", "A card from a bakery.", "invented",
                                              ["bakery"])]  # fmt: skip
    write(tmp_path / "labels.jsonl", records)
    labels = load_labels(tmp_path / "labels.jsonl")
    second = [{**{k: r[k] for k in ("dataset", "item_id", "source", "field", "text")}, "faithful": f}
              for r, f in zip(records, [True, False, False])]  # fmt: skip
    write(tmp_path / "second.jsonl", second)
    # Agree on 2 of 3: observed 2/3, chance (2/3 * 1/3 + 1/3 * 2/3) = 4/9, kappa (2/3 - 4/9) / (5/9) = 0.4.
    assert reader_agreement(labels, tmp_path / "second.jsonl") == {
        "n": 3, "agree": 2, "agreement": pytest.approx(2 / 3), "cohen_kappa": pytest.approx(0.4),
    }  # fmt: skip
    second[0]["text"] = "Something else."
    write(tmp_path / "second.jsonl", second)
    with pytest.raises(ValueError, match="line 1: no labelled text"):
        reader_agreement(labels, tmp_path / "second.jsonl")
    assert reader_agreement(load_labels(LABELLED_SET), SECOND_READER)["n"] >= 40
