"""``name_from_description`` on invented descriptions, and scored against the hand-labelled held-out magazine names
(``docs/labels/magazine_names_rubric.md``) on the real metadata when ``LONGTAIL_DATA_DIR`` is set."""

import json
import os
import re
from pathlib import Path

import pandas as pd
import pytest

from longtail.recommend.text import display_titles, name_from_description

LABELS = Path(__file__).parents[3] / "docs" / "labels" / "magazine_names.jsonl"
DATA_DIR = os.environ.get("LONGTAIL_DATA_DIR")


@pytest.mark.parametrize(
    ("description", "name"),
    [
        ("Garden Weekly is the guide to every bed in your garden.", "Garden Weekly"),
        ("Bird Watcher magazine gives you the birds of every season.", "Bird Watcher"),
        ("Harbour Life, the coastal quarterly, brings you the tides.", "Harbour Life"),
        ("Tides & Shores Magazine features the coast.", "Tides & Shores Magazine"),
        ("The Quiet Reader is the magazine for readers.", "The Quiet Reader"),
        ("Nobody knows gardens better than Garden Weekly.", None),
        ("In Garden Weekly, the editors test every tool.", None),
        ("Each issue brings ten plans for the weekend.", None),
        ("The monthly newsletter gives practical tips.", None),
        ("A magazine for slot machine players.", None),
        ("Objective is to inform every reader.", None),
        ("", None),
        (None, None),
    ],
)
def test_a_name_is_read_only_where_the_description_opens_with_it(description, name):
    assert name_from_description(description) == name


def test_an_untitled_item_is_named_by_its_description_then_by_its_shelf_and_publisher():
    titles = pd.Series([None, None, "Bird Watcher"], dtype="string")
    categories = pd.Series(["Mags > Gardening", "Mags > Gardening", None], dtype="string")
    brands = pd.Series(["Acme", "Acme", None], dtype="string")
    descriptions = pd.Series(["Garden Weekly is for gardeners.", "For gardeners.", "Ignored is ignored."])
    shown = display_titles(titles, categories, brands, descriptions)
    assert shown.tolist() == ["Garden Weekly", "Gardening (Acme)", "Bird Watcher"]


def test_an_item_known_by_its_publisher_alone_is_shown_with_its_descriptions_opening():
    """No title, name or category: the publisher alone tells a shopper nothing of the magazine, so the description's
    first sentence (up to about a line) comes first; not where the description names the brand, which is then the
    magazine's own name, nor without a description."""
    titles = pd.Series([None] * 6, dtype="string")
    categories = pd.Series([None] * 6, dtype="string")
    brands = pd.Series(["Meredith", "Redan, Inc.", "Hearst", "Saddle & Bridle", "Hearst", "Bauer"], dtype="string")
    descriptions = pd.Series(
        [
            "The magazine that celebrates smart, sophisticated women. Each issue has more.",
            "Thomas & Friends Magazine brings to life the magical world of Thomas & Friends for early learners.",
            "Get a healthy dose of fun with Dr. Oz and friends. Every issue has more.",
            "Every show horse event, from Saddle & Bridle's own reporters.",
            None,
            "SPID SHORT DESCRIPTION NOT AVAILABLE",
        ]
    )
    shown = display_titles(titles, categories, brands, descriptions)
    assert shown.tolist() == [
        "The magazine that celebrates smart, sophisticated women (Meredith)",
        "Thomas & Friends Magazine brings to life the magical world… (Redan, Inc.)",
        "Get a healthy dose of fun with Dr. Oz and friends (Hearst)",
        "Saddle & Bridle",
        "Hearst",
        "Bauer",
    ]


def normalised(name: str) -> str:
    name = re.sub(r"\s+", " ", name.replace("’", "'").strip().lower())
    return re.sub(r" magazine$", "", name)


@pytest.mark.skipif(not DATA_DIR, reason="LONGTAIL_DATA_DIR is not set")
def test_no_held_out_magazine_gets_a_wrong_name():
    from longtail.data.adapters.amazon import read_metadata_2018
    from longtail.data.cleaning import clean_items

    raw = read_metadata_2018(Path(DATA_DIR) / "amazon2018_magazine" / "meta_Magazine_Subscriptions.json.gz", "UTC")
    items = clean_items(
        raw["items"].assign(dataset="magazine", file_id="f", source_file="meta", loaded_at=pd.Timestamp.now("UTC"))
    ).cleaned.set_index("item_id")
    labels = [json.loads(line) for line in LABELS.read_text().splitlines()]
    assert len(labels) == 80 and items.loc[[label["item_id"] for label in labels], "title"].isna().all()
    found = {label["item_id"]: name_from_description(items.at[label["item_id"], "description"]) for label in labels}
    wrong = [
        (label["item_id"], found[label["item_id"]], label["name"])
        for label in labels
        if found[label["item_id"]] is not None
        and (label["name"] is None or normalised(found[label["item_id"]]) != normalised(label["name"]))
    ]
    right = sum(name is not None for name in found.values()) - len(wrong)
    assert not wrong
    # The figure measured once when the set was made (the rubric's "Scoring"): 35 of the 49 labelled names.
    assert right == 35
