import json

import pandas as pd
import pytest

from longtail.data.adapters import read_file
from longtail.data.cleaning import EVENT_RULES, clean_events, clean_items, clean_reviews, partition_days
from tests.longtail.data.raw_rows import LOADED_AT, purchase, raw_rows


def only_rule(result, rule):
    assert len(result.quarantined) == 1, result.quarantined
    row = result.quarantined.iloc[0]
    assert row["rule"] == rule
    return row


@pytest.mark.parametrize(
    "bad_row, rule, column",
    [
        (
            {"parse_error": "f.csv, row 2, column 'quantity': 'abc' is not a number", "quantity": None},
            "malformed_row",
            "quantity",
        ),
        ({"ts": None}, "invalid_timestamp", "ts"),
        ({"ts": "1995-03-01"}, "invalid_timestamp", "ts"),
        ({"ts": "2030-01-01"}, "invalid_timestamp", "ts"),
        ({"user_id": None}, "missing_user", "user_id"),
        ({"user_id": "  "}, "missing_user", "user_id"),
        ({"item_id": None}, "missing_item", "item_id"),
        ({"event_type": "click"}, "unknown_event_type", "event_type"),
        ({"order_id": "C536379", "quantity": -1.0}, "cancellation", "order_id"),
        ({"quantity": -3.0}, "non_positive_quantity", "quantity"),
        ({"quantity": 0.0}, "non_positive_quantity", "quantity"),
        ({"item_id": "POST"}, "non_product_code", "item_id"),
        ({"item_id": "BANK CHARGES"}, "non_product_code", "item_id"),
        ({"price": 0.0}, "non_positive_price", "price"),
        ({"event_type": "rating", "rating": 7.0}, "invalid_rating", "rating"),
    ],
)
def test_each_event_rule_quarantines_with_file_row_and_column(bad_row, rule, column):
    raw = raw_rows("events", [purchase(), purchase(**bad_row)])
    result = clean_events(raw)
    assert len(result.cleaned) == 1
    row = only_rule(result, rule)
    assert row["source_row"] == 2
    assert row["detail"].startswith("f.csv, row 2")
    assert repr(column) in row["detail"]
    assert row["file_id"] == "id-f.csv"


def test_rules_cover_the_documented_order():
    assert EVENT_RULES[0] == "malformed_row" and EVENT_RULES[-1] == "duplicate_event"


def test_duplicate_events_keep_the_first_and_name_it():
    raw = raw_rows("events", [purchase(), purchase(), purchase(quantity=5.0)])
    result = clean_events(raw)
    assert len(result.cleaned) == 2
    row = only_rule(result, "duplicate_event")
    assert row["source_row"] == 2
    assert "duplicate of f.csv, row 1" in row["detail"]


def test_quarantine_keeps_the_whole_raw_record():
    raw = raw_rows("events", [purchase(quantity=-3.0, order_id="536999")])
    record = json.loads(clean_events(raw).quarantined.iloc[0]["record"])
    assert record["quantity"] == -3.0 and record["order_id"] == "536999" and record["item_id"] == "85123A"


def test_cleaned_events_are_typed_and_defaulted():
    raw = raw_rows(
        "events",
        [purchase(), {"user_id": "a", "item_id": "b", "event_type": " Rating ", "ts": "2015-02-02", "rating": 4.0}],
    )
    cleaned = clean_events(raw).cleaned
    assert list(cleaned["event_type"]) == ["purchase", "rating"]
    assert cleaned["quantity"].tolist() == [2.0, 1.0]
    assert cleaned["event_day"].tolist() == [pd.Timestamp("2010-01-05", tz="UTC"), pd.Timestamp("2015-02-02", tz="UTC")]


def test_every_raw_row_is_cleaned_or_quarantined():
    rows = [
        purchase(),
        purchase(),
        purchase(user_id=None),
        purchase(order_id="C1"),
        purchase(item_id="M"),
        purchase(ts=None),
    ]
    raw = raw_rows("events", rows)
    result = clean_events(raw)
    assert len(result.cleaned) + len(result.quarantined) == len(raw)
    assert set(result.cleaned["source_row"]) | set(result.quarantined["source_row"]) == set(range(1, 7))


def test_a_broken_timestamp_falls_back_to_the_files_latest_plausible_day():
    ts = pd.Series(pd.to_datetime(["2010-01-05 23:59", None, "1980-01-01", "2099-01-01"], utc=True, format="ISO8601"))
    loaded = pd.Series([LOADED_AT] * 4)
    days = partition_days(ts, loaded)
    assert days.dt.strftime("%Y-%m-%d").tolist() == ["2010-01-05"] * 4


def test_a_file_without_a_plausible_timestamp_falls_back_to_its_load_day():
    ts = pd.Series(pd.to_datetime([None, "1980-01-01", "2099-01-01"], utc=True, format="ISO8601"))
    days = partition_days(ts, pd.Series([LOADED_AT] * 3))
    assert days.dt.strftime("%Y-%m-%d").tolist() == ["2024-06-01"] * 3


def test_items_are_repaired_and_deduplicated():
    raw = raw_rows(
        "items",
        [
            {
                "item_id": "B1",
                "title": '<span class="a-size-medium a-color-secondary"',
                "description": '["Great &amp; <b>bold</b> mag", ""]',
                "category": '["Magazine Subscriptions", "Arts, Music &amp; Photography"]',
                "price": "$12.99",
                "source_count": 1,
            },
            {"item_id": "B1", "title": "Guitar World", "description": "short", "price": "", "source_count": 1},
            {"item_id": "22423", "title": "REGENCY CAKESTAND 3 TIER", "price": "12.75", "source_count": 40},
            {"item_id": "22423", "title": "REGENCY CAKE STAND", "price": "12.75", "source_count": 3},
            {"item_id": "POST", "title": "POSTAGE", "price": "18.0", "source_count": 9},
            {"item_id": "20852", "title": "given away", "price": "0.0", "source_count": 2},
            {"item_id": "35643", "title": "MUG", "price": "", "source_count": 1},  # no price: kept
        ],
    )
    result = clean_items(raw)
    cleaned = result.cleaned.set_index("item_id")
    assert sorted(cleaned.index) == ["22423", "35643", "B1"]
    assert cleaned.loc["22423", "title"] == "REGENCY CAKESTAND 3 TIER"
    assert cleaned.loc["22423", "price"] == 12.75
    b1 = cleaned.loc["B1"]
    # Both B1 rows come from one record each; the one with a real title wins on completeness.
    assert b1["title"] == "Guitar World"
    assert result.quarantine_counts() == {"duplicate_item": 2, "non_product_code": 1, "non_positive_price": 1}
    junk = clean_items(raw.iloc[[0]]).cleaned.iloc[0]
    assert pd.isna(junk["title"])
    assert junk["description"] == "Great & bold mag"
    assert junk["category"] == "Magazine Subscriptions > Arts, Music & Photography"
    assert junk["price"] == 12.99
    assert result.repairs["junk_title_removed"] == 1


# Amazon 2018 metadata lines as in the Gift Cards file: feature bullets follow the category names in ``category``.
GIFT_CARD_METADATA = [
    {
        "asin": "B004LLIKVU",
        "title": "Amazon.com Gift Card",
        "description": [],
        "category": [
            "Gift Cards",
            "Gift Cards",
            "No expiration, no fees.",
            "Redeemable toward millions of items store-wide at Amazon.com",
        ],
        "feature": ["No expiration, no fees.", "Ships in a gift box"],
        "brand": "Amazon",
        "price": "$25.00",
    },
    {
        "asin": "B00DOLIVE1",
        "title": "Olive Garden Gift Card",
        "category": ["Gift Cards", "Restaurants", "Use at any Olive Garden location.", "Card never expires"],
        "feature": [],
    },
    {
        "asin": "B00GIFTENT",
        "title": "Gift Card in a Box",
        "category": [
            "Gift Cards",
            "Gift Cards",
            "Give the gift of &quot;choice&quot; &amp; flexibility.",
            "<b>Worth $50</b>",
        ],
        "feature": ["Fits in a card &amp; envelope"],
    },
    {
        "asin": "B00005N7P0",
        "title": "Reason",
        "category": [
            "Magazine Subscriptions",
            "Professional &amp; Educational Journals",
            "Professional & Trade",
            "Humanities & Social Sciences",
            "History",
        ],
        "feature": [],
    },
    {
        "asin": "B00005N7Q1",
        "title": "Highlights",
        "category": ["Magazine Subscriptions", "Children & Teen", "Ages 9-12"],
    },
]


def gift_card_items(tmp_path):
    path = tmp_path / "meta_Gift_Cards.json"
    path.write_text("".join(json.dumps(record) + "\n" for record in GIFT_CARD_METADATA))
    return raw_rows("items", read_file(path).items.to_dict("records"), source_file=path.name)


def test_amazon_categories_are_split_into_a_path_and_features(tmp_path):
    result = clean_items(gift_card_items(tmp_path))
    cleaned = result.cleaned.set_index("item_id")
    assert cleaned["category"].to_dict() == {
        "B004LLIKVU": "Gift Cards",
        "B00DOLIVE1": "Gift Cards > Restaurants",
        "B00GIFTENT": "Gift Cards",
        "B00005N7P0": (
            "Magazine Subscriptions > Professional & Educational Journals > Professional & Trade > "
            "Humanities & Social Sciences > History"
        ),
        "B00005N7Q1": "Magazine Subscriptions > Children & Teen > Ages 9-12",
    }
    features = cleaned["features"].map(json.loads, na_action="ignore")
    # The item's own features first, then those from its category, repeats dropped.
    assert features["B004LLIKVU"] == [
        "No expiration, no fees.",
        "Ships in a gift box",
        "Redeemable toward millions of items store-wide at Amazon.com",
    ]
    assert features["B00DOLIVE1"] == ["Use at any Olive Garden location.", "Card never expires"]
    assert features["B00GIFTENT"] == [
        "Fits in a card & envelope",
        'Give the gift of "choice" & flexibility.',
        "Worth $50",
    ]
    assert features[["B00005N7P0", "B00005N7Q1"]].isna().all()
    assert result.repairs["features_from_category"] == 3
    assert result.quarantined.empty


def test_raw_items_loaded_before_the_features_column_still_clean(tmp_path):
    raw = gift_card_items(tmp_path).drop(columns="features")
    features = clean_items(raw).cleaned.set_index("item_id")["features"]
    assert json.loads(features["B004LLIKVU"]) == [
        "No expiration, no fees.",
        "Redeemable toward millions of items store-wide at Amazon.com",
    ]
    assert pd.isna(features["B00005N7P0"])


@pytest.mark.parametrize(
    "price, expected, currency",
    [
        ("$12.99", 12.99, "USD"),
        ("£1,299.00", 1299.0, "GBP"),
        ("12.99 USD", 12.99, "USD"),
        ("12.99", 12.99, None),
        ("$10 - $20", None, None),
        ("free", None, None),
    ],
)
def test_price_strings_and_the_currency_they_name(price, expected, currency):
    cleaned = clean_items(raw_rows("items", [{"item_id": "x", "title": "t", "price": price}])).cleaned
    value, named = cleaned["price"].iloc[0], cleaned["currency"].iloc[0]
    assert pd.isna(value) if expected is None else value == expected
    assert pd.isna(named) if currency is None else named == currency


def test_the_currency_a_format_states_wins_and_needs_a_price():
    raw = raw_rows(
        "items",
        [
            {"item_id": "stated", "title": "t", "price": "2.55", "currency": "gbp"},
            {"item_id": "both", "title": "t", "price": "$2.55", "currency": "GBP"},
            {"item_id": "no price", "title": "t", "price": None, "currency": "GBP"},
        ],
    )
    currency = clean_items(raw).cleaned.set_index("item_id")["currency"]
    assert currency["stated"] == "GBP" and currency["both"] == "GBP"
    assert pd.isna(currency["no price"])
    # Raw rows loaded before raw items had a currency column read it from the price text alone.
    older = clean_items(raw.drop(columns="currency")).cleaned.set_index("item_id")["currency"]
    assert older["both"] == "USD" and pd.isna(older["stated"])


def test_items_with_overlong_text_are_quarantined():
    raw = raw_rows("items", [{"item_id": "x", "title": "t", "description": "a" * 20_001}])
    row = only_rule(clean_items(raw), "text_too_long")
    assert "column 'description'" in row["detail"] and "20001 characters" in row["detail"]


def review(**overrides):
    row = {
        "review_id": "r1",
        "user_id": "u",
        "item_id": "i",
        "rating": 5.0,
        "title": "Nice",
        "text": "Loved it &amp; more",
        "ts": "2014-02-26",
    }
    return {**row, **overrides}


@pytest.mark.parametrize(
    "bad, rule",
    [
        ({"rating": None}, "invalid_rating"),
        ({"rating": 0.0}, "invalid_rating"),
        ({"title": None, "text": " "}, "empty_review"),
        ({"text": "x" * 20_001}, "text_too_long"),
        ({"review_id": "r1"}, "duplicate_review"),
        ({"user_id": None}, "missing_user"),
        ({"ts": None}, "invalid_timestamp"),
    ],
)
def test_review_rules(bad, rule):
    raw = raw_rows(
        "reviews",
        [
            review(),
            review(review_id="r2", **{k: v for k, v in bad.items() if k != "review_id"})
            if "review_id" not in bad
            else review(**bad),
        ],
    )
    result = clean_reviews(raw)
    only_rule(result, rule)
    assert result.cleaned.iloc[0]["text"] == "Loved it & more"
