import hashlib

import numpy as np
import pandas as pd
import pytest

from longtail.data.schema import CLEANED_ITEM_COLUMNS
from longtail.recommend.text import (
    ITEM_TEXT_COLUMNS,
    MAX_TEXT_CHARS,
    REVIEWS_SOURCE,
    TEXT_HASH_CHARS,
    build_catalogue_texts,
    build_item_text,
    changed_texts,
)


def items(*rows: dict) -> pd.DataFrame:
    """Cleaned item rows (``CLEANED_ITEM_COLUMNS``, string dtypes as ``clean_items`` gives them); unset fields
    are null."""
    frame = pd.DataFrame([{"dataset": "shop", "file_id": "f", "source_file": "items.csv", **row} for row in rows])
    frame = frame.reindex(columns=CLEANED_ITEM_COLUMNS)
    frame["source_row"] = np.arange(1, len(frame) + 1)
    text_columns = ["item_id", "title", "description", "category", "brand"]
    return frame.astype({column: "string" for column in text_columns} | {"price": float})


def one(frame: pd.DataFrame) -> pd.Series:
    assert len(frame) == 1
    return frame.iloc[0]


def test_full_item_reads_as_sentences_in_a_fixed_order():
    row = one(
        build_item_text(
            items(
                {
                    "item_id": "A1",
                    "title": "Red Wine Glass",
                    "description": "Set of  four\n hand-blown glasses & a cloth!",
                    "category": "Home > Kitchen > Glassware",
                    "brand": "Riedel",
                    "price": 12.5,
                }
            )
        )
    )
    assert list(row.index) == ITEM_TEXT_COLUMNS
    assert row["text"] == (
        "Red Wine Glass. Brand: Riedel. Category: Home > Kitchen > Glassware. Set of four hand-blown glasses & a cloth!"
    )
    assert row["text_hash"] == hashlib.sha256(row["text"].encode()).hexdigest()[:TEXT_HASH_CHARS]
    assert row["has_text"] and row["has_description"]
    assert row["text_source"] == "catalogue"


def test_missing_parts_are_skipped_and_nulls_and_blanks_treated_alike():
    out = build_item_text(
        items(
            {"item_id": "1", "title": "Chocolate Sandwich Cookies", "category": "snacks > cookies cakes"},
            {"item_id": "2", "title": "  ", "description": "Monthly news.", "brand": "Reason"},
            {"item_id": "3", "category": "beverages > tea", "brand": ""},
        )
    ).set_index("item_id")
    assert out.loc["1", "text"] == "Chocolate Sandwich Cookies. Category: snacks > cookies cakes."
    assert out.loc["2", "text"] == "Brand: Reason. Monthly news."
    assert out.loc["3", "text"] == "Category: beverages > tea."
    assert out["has_text"].tolist() == [True, True, False]
    assert out["has_description"].tolist() == [False, True, False]
    assert (out["text_source"] == "catalogue").all()


def test_item_with_nothing_falls_back_to_its_id():
    row = one(build_item_text(items({"item_id": "B000X", "title": None, "description": " "})))
    assert row["text"] == "B000X"
    assert not row["has_text"] and not row["has_description"]
    assert row["text_source"] == "item_id"


def test_text_is_cut_at_a_space_within_the_limit():
    description = " ".join(["word"] * 1000)
    row = one(build_item_text(items({"item_id": "1", "title": "Long", "description": description})))
    assert len(row["text"]) <= MAX_TEXT_CHARS
    assert row["text"].startswith("Long. word word")
    assert row["text"].endswith(" word")


def test_output_keeps_input_order_and_ignores_other_columns():
    frame = items({"item_id": "b", "title": "B"}, {"item_id": "a", "title": "A"}).assign(extra_column=1)
    out = build_item_text(frame)
    assert out["item_id"].tolist() == ["b", "a"]
    assert list(out.columns) == ITEM_TEXT_COLUMNS


def test_empty_input_gives_empty_frame_with_the_columns():
    out = build_item_text(items({"item_id": "x"}).iloc[:0])
    assert out.empty and list(out.columns) == ITEM_TEXT_COLUMNS
    assert out["has_text"].dtype == bool


def test_duplicate_ids_raise_naming_them():
    frame = items({"item_id": "a"}, {"item_id": "b"}, {"item_id": "a"}, {"item_id": "c"}, {"item_id": "c"})
    with pytest.raises(ValueError, match=r"2 ids repeat: a, c"):
        build_item_text(frame)


@pytest.mark.parametrize(
    "frame, match",
    [
        (pd.DataFrame({"item_id": ["1"], "title": ["x"]}), "items lacks column"),
        (items({"item_id": "1"}).assign(item_id=pd.NA), "null item_id"),
    ],
)
def test_bad_items_raise(frame, match):
    with pytest.raises(ValueError, match=match):
        build_item_text(frame)


def test_hash_changes_exactly_when_the_text_changes():
    before = build_item_text(
        items(
            {"item_id": "1", "title": "Tea", "description": "Green tea."},
            {"item_id": "2", "title": "Coffee", "description": "Dark roast."},
            {"item_id": "3", "title": "Milk", "description": "Whole milk."},
        )
    )
    after = build_item_text(
        items(
            {"item_id": "1", "title": "Tea", "description": "Green  tea.", "price": 3.0},  # spacing and price only
            {"item_id": "2", "title": "Coffee", "description": "Light roast."},
            {"item_id": "3", "title": "Milk", "description": "Whole milk.", "brand": "Arla"},
        )
    )
    text_changed = before["text"] != after["text"]
    assert text_changed.tolist() == [False, True, True]
    assert ((before["text_hash"] != after["text_hash"]) == text_changed).all()
    assert after["text_hash"].str.fullmatch(r"[0-9a-f]{16}").all()


def test_extra_text_is_kept_apart_sorted_by_source_and_marks_the_source():
    frame = items(
        {"item_id": "1", "title": "Tea", "description": "Green tea"},
        {"item_id": "2", "title": None},
        {"item_id": "3", "title": "Milk"},
    )
    extra = pd.DataFrame(
        {
            "item_id": ["2", "1", "1", "1", "9", "3"],
            "text": ["A quiet mystery novel", "Readers love the aroma", "Loose-leaf green tea", "x", "?", "  "],
            "source": ["generated", "reviews", "generated", "reviews", "generated", "generated"],
        }
    )
    out = build_item_text(frame, extra).set_index("item_id")
    assert out.loc["1", "text"] == "Tea. Green tea."
    assert out.loc["1", "extra_text"] == "Loose-leaf green tea. Readers love the aroma. x."
    assert out.loc["1", "text_source"] == "catalogue+generated+reviews"
    # No catalogue text at all: the generated description alone is the text, and counts as real text.
    assert (out.loc["2", "text"], out.loc["2", "extra_text"]) == ("A quiet mystery novel.", "")
    assert out.loc["2", "text_source"] == "generated" and out.loc["2", "has_text"]
    # A blank extra text contributes nothing; extra rows of unknown items ("9") are ignored.
    assert out.loc["3", "text_source"] == "catalogue" and out.loc["3", "extra_text"] == ""
    # The hash follows the extra text too, and is the plain text's hash without one.
    assert out.loc["1", "text_hash"] != build_item_text(frame)["text_hash"].iloc[0]
    assert out.loc["3", "text_hash"] == build_item_text(frame)["text_hash"].iloc[2]
    assert list(out.index) == ["1", "2", "3"]
    # Row order of extra does not matter.
    assert build_item_text(frame, extra.iloc[::-1])["text_hash"].tolist() == out["text_hash"].tolist()


def test_an_extra_text_that_only_restates_the_catalogue_text_is_left_out():
    frame = items(
        {"item_id": "1", "title": "Organic Banana", "category": "produce > fresh fruits"},
        {"item_id": "2", "title": "PINK CHERRY LIGHTS"},
    )
    extra = pd.DataFrame(
        {
            "item_id": ["1", "2"],
            "text": ["Organic Banana, in produce > fresh fruits.", "Pink Cherry Lights. Price: 6.75."],
            "source": ["generated", "generated"],
        }
    )
    out = build_item_text(frame, extra).set_index("item_id")
    # Only stop words ("in") and punctuation are new: the vector would not move, so nothing is blended in.
    assert (out.loc["1", "extra_text"], out.loc["1", "text_source"]) == ("", "catalogue")
    assert out.loc["1", "text_hash"] == build_item_text(frame)["text_hash"].iloc[0]
    # A price is a fact the title lacks, whatever the case of the title.
    assert out.loc["2", "extra_text"] == "Pink Cherry Lights. Price: 6.75."
    assert out.loc["2", "text_source"] == "catalogue+generated"


def test_bad_extra_raises():
    frame = items({"item_id": "1", "title": "Tea"})
    with pytest.raises(ValueError, match="extra lacks column"):
        build_item_text(frame, pd.DataFrame({"item_id": ["1"], "text": ["x"]}))
    with pytest.raises(ValueError, match="blank source"):
        build_item_text(frame, pd.DataFrame({"item_id": ["1"], "text": ["x"], "source": [None]}))


def test_catalogue_texts_are_built_per_dataset_with_that_datasets_extra_text():
    catalogue = pd.concat(
        [items({"item_id": "1", "title": "Tea"}), items({"item_id": "1", "title": "Mug"}).assign(dataset="home")]
    )
    extra = pd.DataFrame(
        {"dataset": ["shop", "home"], "item_id": ["1", "1"], "text": ["Green", "Blue"], "source": ["generated"] * 2}
    )
    texts = build_catalogue_texts(catalogue, extra).set_index("dataset")
    assert list(texts.index) == ["home", "shop"] and set(texts.columns) == set(ITEM_TEXT_COLUMNS)
    assert texts.loc["shop", "text"] == "Tea." and texts.loc["shop", "extra_text"] == "Green."
    assert texts.loc["home", "extra_text"] == "Blue."
    assert build_catalogue_texts(catalogue.iloc[:0]).columns.tolist() == ["dataset", *ITEM_TEXT_COLUMNS]


def test_an_item_only_reviews_know_gets_what_its_reviews_say_as_its_text():
    # A review-only shop has no catalogue: its items' words are their reviews'.
    catalogue = items({"item_id": "1", "title": "Tea"})
    reviews = pd.DataFrame(
        {
            "dataset": ["shop"] + ["reviews_only"] * 5,
            "review_id": ["r0", "r1", "r2", "r3", "r4", "r5"],
            "item_id": ["1", "B00X", "B00X", "B00Y", "B00Z", "B00Z"],
            "rating": [5, 5, 4, 2, 5, 4],
            "title": ["Nice tea", "Great shampoo", "Five Stars", "Broke", "Five Stars", "Four Stars"],
            "text": [
                "Lovely.",
                "My hair is soft, the shampoo smells nice.",
                "Soft hair, good shampoo.",
                "It broke.",
                "Smells amazing, refreshes the skin.",
                "ok",
            ],
            "ts": pd.to_datetime(
                ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04", "2024-02-01", "2024-01-05"], utc=True
            ),
        }
    )
    generated = pd.DataFrame(  # a grounded description of a review-only item is not its text
        {"dataset": ["reviews_only"], "item_id": ["B00X"], "text": ["2 reviews, rated 4.5."], "source": ["generated"]}
    )
    texts = build_catalogue_texts(catalogue, generated, reviews).set_index(["dataset", "item_id"])
    assert list(texts.index) == [
        ("reviews_only", "B00X"),
        ("reviews_only", "B00Y"),
        ("reviews_only", "B00Z"),
        ("shop", "1"),
    ]
    shampoo = texts.loc[("reviews_only", "B00X")]
    # The phrases two reviews share, then the newest review titles ("Five Stars" only repeats the rating).
    assert shampoo["text"] == "hair, shampoo, soft. Great shampoo." and shampoo["extra_text"] == ""
    assert shampoo["text_source"] == REVIEWS_SOURCE and shampoo["has_text"]
    assert texts.loc[("reviews_only", "B00Y"), "text"] == "Broke."
    # No shared phrase and only titles that repeat the rating: the newest review's own words.
    assert texts.loc[("reviews_only", "B00Z"), "text"] == "Smells amazing, refreshes the skin."
    assert texts.loc[("shop", "1"), "text"] == "Tea." and texts.loc[("shop", "1"), "text_source"] == "catalogue"


def test_changed_texts_counts_new_and_rehashed_items_per_dataset():
    previous = pd.DataFrame({"dataset": ["a", "a", "b"], "item_id": ["1", "2", "1"], "text_hash": ["x", "y", "z"]})
    current = pd.DataFrame(
        {"dataset": ["a", "a", "b", "b"], "item_id": ["1", "2", "1", "2"], "text_hash": ["x", "Y", "z", "w"]}
    )
    assert changed_texts(previous, current) == 2
    assert changed_texts(previous.iloc[:0], current) == 4
