import numpy as np
import pandas as pd
import pytest

from longtail.data.text_repairs import (
    category_path,
    feature_list,
    features_json,
    is_feature,
    join_description,
    json_list,
    parse_prices,
    price_currencies,
    split_category,
    strip_markup,
    text_cell,
)


@pytest.mark.parametrize(("value", "expected"), [(None, ""), (np.nan, ""), (pd.NA, ""), ("  a\n b ", "a b"), (5, "5")])
def test_text_cell(value, expected):
    assert text_cell(value) == expected


def test_strip_markup_removes_tags_entities_and_an_unterminated_tag():
    assert strip_markup("<b>Tom &amp; Jerry</b>  <span class=") == "Tom & Jerry"
    assert strip_markup("<br/>") is None


def test_list_valued_fields_are_joined():
    assert json_list('["a", "b"]') == ["a", "b"]
    assert json_list("[not json") is None
    assert join_description('["<p>One</p>", "", "Two"]') == "One\nTwo"
    assert category_path('["Books", "Kids &amp; Teens"]') == "Books > Kids & Teens"
    assert category_path("Home >  Garden") == "Home > Garden"


@pytest.mark.parametrize(
    "element",
    ["Gift Cards", "Arts, Music & Photography", "Ages 9-12", "12 & Up", "Baby-3", "Computer Science & Mathematics"],
)
def test_shelf_names_are_not_features(element):
    assert not is_feature(element)


@pytest.mark.parametrize(
    "element",
    [
        "No expiration, no fees.",
        "Use at any Olive Garden location.",
        "Redeemable toward millions of items store-wide at Amazon.com",
        "Worth $25",
        "Save 10% today",
        "Enjoy!",
    ],
)
def test_sentences_long_claims_and_amounts_are_features(element):
    assert is_feature(element)


def test_split_category_collapses_repeats_and_keeps_everything_after_the_first_feature():
    olive = '["Gift Cards", "Restaurants", "Use at any Olive Garden location.", "Card never expires"]'
    assert split_category(olive) == (
        ["Gift Cards", "Restaurants"],
        ["Use at any Olive Garden location.", "Card never expires"],
    )
    assert split_category('["Gift Cards", "", "Gift Cards", "Gift Cards &amp; More"]') == (
        ["Gift Cards", "Gift Cards & More"],
        [],
    )
    assert split_category('["Card never expires."]') == ([], ["Card never expires."])
    assert category_path('["Card never expires."]') is None


def test_text_paths_are_kept_as_written():
    # A path given as text (Instacart's "department > aisle", a canonical file) is the source's own: kept whole.
    assert split_category("Home > Home") == (["Home", "Home"], [])
    assert split_category("Home > Fits 5 people.") == (["Home", "Fits 5 people."], [])


def test_features_are_cleaned_and_merged_in_order_without_repeats():
    assert feature_list('["<b>Dishwasher</b> safe", "", "Tea &amp; coffee"]') == ["Dishwasher safe", "Tea & coffee"]
    assert feature_list("Holds 300 ml") == ["Holds 300 ml"]
    assert feature_list("[]") == []
    assert features_json(["a", "b"], ["b", "c"]) == '["a", "b", "c"]'
    assert features_json(["é"]) == '["é"]'
    assert features_json([], []) is None


def test_parse_prices_reads_currency_strings_and_refuses_ranges():
    prices = parse_prices(pd.Series(["12.99", "$12.99", "£1,299.00", "12.99 USD", "$5 - $10", "", None]))
    assert prices.iloc[:4].tolist() == [12.99, 12.99, 1299.0, 12.99]
    assert prices.iloc[4:].isna().all()


def test_price_currencies_name_a_symbol_or_code_of_a_single_price():
    texts = pd.Series(["$12.99", "£1,299.00", "12.99 USD", "3.50€", "US$ 3", "12.99", "$5 - $10", "¥300", "", None])
    assert price_currencies(texts).tolist() == ["USD", "GBP", "USD", "EUR", "USD", *[pd.NA] * 5]


def test_strip_markup_decodes_entities_once_and_leaves_no_tag():
    assert strip_markup("&amp;lt;script&amp;gt;") == "&lt;script&gt;"  # escaped twice: one level stays
    assert strip_markup("a < b and c > d") == "a < b and c > d"  # a "<" before a space starts no tag
    assert strip_markup("<b>bold</b> &amp; more") == "bold & more"
    # Tags that only decoding produces are removed too, also a broken one, so no tag start is ever left.
    assert strip_markup("&lt;script&gt;alert(1)&lt;/script&gt; ok") == "alert(1) ok"
    assert strip_markup("&lt;script&lt;b&gt;x") == "x"
    assert strip_markup("1 &lt; 2 and I <3 tea") == "1 < 2 and I <3 tea"
