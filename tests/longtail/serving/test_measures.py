import numpy as np
import pytest

from longtail.serving.measures import TitleMeasures, measures_in, parse_measure, without_measures


@pytest.mark.parametrize(
    "text, measures",
    [
        ("need a turkey, 14-16 lbs", ("14-16 lb",)),
        ("half a gallon of oat milk", ("0.5 gal",)),
        ("1/2 gal milk", ("0.5 gal",)),
        ("two 12 oz cans of tomato paste", ("12 oz",)),
        ("32 fl oz of juice", ("32 fl oz",)),
        ("500g pasta and a 1 kg bag of rice", ("500 g", "1 kg")),
        ("a 60cm tree", ("60 cm",)),
        ("nappies size 4", ("size 4",)),
        ("a 12 pack of seltzer, or a pack of 24", ("12 ct", "24 ct")),
        ("20 count trash bags", ("20 ct",)),
        ("cupcake cases, 72 in a pack, 10 packs", ()),  # how many packs is no pack's count
        ("my 7 year old", ()),
        ("2 in 1 shampoo", ()),
        ("1,500 g", ()),  # not from inside another number
    ],
)
def test_measures_in_reads_what_shoppers_write(text, measures):
    assert measures_in(text) == measures


@pytest.mark.parametrize("text", ["14-16 lb", "0.5 gal", "size 4", "12 ct", "32 fl oz", "60 cm"])
def test_canonical_texts_parse_back(text):
    assert parse_measure(text).text == text


@pytest.mark.parametrize("text", ["", "lots", "2 lb and 3 lb", "2 lbs", None])
def test_anything_else_is_no_measure(text):
    with pytest.raises(ValueError, match="not a measure"):
        parse_measure(text)


@pytest.mark.parametrize(
    "text, left",
    [
        ("2 liter of sprite", "| sprite"),  # with its "of"
        ("3lb bag yellow onions", "| yellow onions"),  # what an amount comes in goes with it
        ("a 16 oz jar of salsa", "a | salsa"),
        ("2 liter bottle coke", "| coke"),
        ("a 20cm tin for baking", "a | tin for baking"),  # after a length, the container is the thing wanted
        ("13 gallon bags", "| bags"),  # and so is a bag after a volume
        ("a 12 pack of coke", "a | coke"),
    ],
)
def test_the_measure_leaves_the_text(text, left):
    assert without_measures(text, "|") == left


def test_weights_and_volumes_compare_across_units_within_the_tolerance():
    titles = TitleMeasures(
        ["Coke 67.6 fl oz", "Soda 12 Pack 12 fl oz", "Rice 2 lb", "Rice 1 kg", "Diapers Size 4 22-37 Lbs", "Tea", None]
    )
    # One kind of measure, grams or millilitres alike: 2000 ml against 1999 ml, and every other amount is another.
    assert titles.agreement(["2 l"]).tolist() == [1, -1, -1, -1, -1, 0, 0]
    assert titles.agreement(["1 kg"]).tolist() == [-1, -1, 1, 1, -1, 0, 0]  # 2 lb is 907 g: within a tenth
    assert titles.agreement(["size 4"]).tolist() == [0, 0, 0, 0, 1, 0, 0]
    assert titles.agreement(["12 ct"]).tolist() == [0, 1, 0, 0, 0, 0, 0]
    assert titles.agreement(["size 5", "25 lb"]).tolist() == [-1, -1, -1, -1, 1, 0, 0]  # 25 lb inside 22-37 lbs
    assert titles.agreement([]).dtype == np.float64
