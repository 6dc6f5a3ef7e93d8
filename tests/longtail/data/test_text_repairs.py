import numpy as np
import pandas as pd
import pytest

from longtail.data.text_repairs import category_path, join_description, json_list, parse_prices, strip_markup, text_cell


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


def test_parse_prices_reads_currency_strings_and_refuses_ranges():
    prices = parse_prices(pd.Series(["12.99", "$12.99", "£1,299.00", "12.99 USD", "$5 - $10", "", None]))
    assert prices.iloc[:4].tolist() == [12.99, 12.99, 1299.0, 12.99]
    assert prices.iloc[4:].isna().all()
