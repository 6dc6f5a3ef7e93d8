import pandas as pd

from longtail.data.cleaning import CleaningResult, clean_events
from longtail.data.guest_sales import clean_guest_sales, guest_sales_table
from tests.longtail.data.raw_rows import purchase, raw_rows


def test_guest_sales_are_the_purchases_without_a_customer_that_pass_every_other_rule():
    raw = raw_rows(
        "events",
        [
            purchase(),  # a customer's line: cleaned events hold it
            purchase(user_id=None),
            purchase(user_id="  ", item_id="22423", quantity=1.0),
            purchase(user_id=None),  # the same line as row 2
            purchase(user_id=None, order_id="C536379", quantity=-1.0),
            purchase(user_id=None, item_id="POST"),
            purchase(user_id=None, event_type="view"),  # not a sale
            purchase(user_id=None, event_type=None),
        ],
    )
    guests = clean_guest_sales(raw)
    assert guests.cleaned["source_row"].tolist() == [2, 3]
    assert guests.cleaned["item_id"].tolist() == ["85123A", "22423"]
    assert guests.cleaned["user_id"].isna().all()
    assert guests.quarantine_counts() == {"duplicate_event": 1, "cancellation": 1, "non_product_code": 1}
    # Cleaning proper quarantines every line without a customer by its first rule.
    assert clean_events(raw).quarantine_counts() == {"missing_user": 7}


def test_guest_sales_table_shows_each_datasets_guest_share_and_what_was_left_out():
    guests = CleaningResult(
        cleaned=pd.DataFrame({"dataset": ["retail", "retail"], "quantity": [3.0, None]}),
        quarantined=pd.DataFrame({"dataset": ["retail", "retail", "pets"], "rule": ["cancellation"] * 2 + ["x"]}),
    )
    table = guest_sales_table({"retail": 12.0, "books": 2.0}, guests).set_index("dataset")
    assert table.index.tolist() == ["pets", "retail"]  # books has no guest lines
    assert table.columns.tolist() == [
        "customer_units",
        "guest_lines",
        "guest_units",
        "guest_share",
        "guest_lines_left_out",
    ]
    assert table.loc["retail"].tolist() == [12, 2, 4, 0.25, 2]  # a line without a quantity is one unit
    assert table.loc["pets"].tolist() == [0, 0, 0, 0.0, 1]
