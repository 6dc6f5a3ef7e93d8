"""No raw customer id leaves the landing folder: not into any warehouse table or column, report, snapshot, Dagster
run record or log line, nor into the serving API's answers (issue 17); and Dagster's records and the reports, which
erasure cannot reach, hold no pseudonym either. The shop's ids follow a pattern no pseudonym,
item or text can match, so one regular expression finds any of them, whole or quoted inside a record."""

import gzip
import json
import re

import duckdb
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from longtail.privacy.pseudonyms import KEY_ENV, Pseudonyms
from longtail.serving.api import create_app
from orchestration import cli, definitions
from tests.fixtures import shop_history, shop_reviews, write_events, write_items, write_reviews

pytestmark = pytest.mark.privacy
KEY = "a test key of more than sixteen characters"
RAW_ID = re.compile(r"shopper-\d{4}-kq|review-\d+_\d+-kq")
PSEUDONYM = re.compile(r"[ur]_[0-9a-f]{24}")
RAW_ID_SQL = r"shopper-[0-9]{4}-kq|review-[0-9]+_[0-9]+-kq"


def shopper(number: int) -> str:
    return f"shopper-{number:04d}-kq"


def distinctive_shop(landing) -> None:
    """``shop_history`` and ``shop_reviews`` with distinctive customer and review ids, plus rows whose problems
    make their source records land in quarantine, quoting the raw id (an unreadable time, a rating in words)."""
    events, items = shop_history()
    events = re.sub(r"(?m)^u(\d+),", lambda match: shopper(int(match.group(1))) + ",", events)
    events += f"{shopper(9001)},i1,purchase,not a time,1,3.5,o9001\n{shopper(9002)},i2,purchase,,1,12.0,o9002\n"
    reviews = [
        {**review, "user_id": shopper(int(review["user_id"][1:])), "review_id": f"review-{review['review_id'][1:]}-kq"}
        for review in shop_reviews()
    ]
    reviews.append({**reviews[0], "review_id": "review-9_9-kq", "user_id": shopper(9003), "rating": "five"})
    write_events(landing / "shop" / "events.csv", events)
    write_items(landing / "shop" / "items.csv", items)
    write_reviews(landing / "shop" / "reviews.jsonl", reviews)


def warehouse_cells_with_raw_ids(path) -> dict[str, int]:
    """Per "table.column": the rows whose value, as text, holds a raw id."""
    found = {}
    with duckdb.connect(str(path), read_only=True) as connection:
        columns = connection.execute("select table_name, column_name from information_schema.columns").fetchall()
        for table, column in columns:
            (count,) = connection.execute(
                f'select count(*) from "{table}" where regexp_matches(cast("{column}" as varchar), ?)', [RAW_ID_SQL]
            ).fetchone()
            if count:
                found[f"{table}.{column}"] = count
    return found


def file_text(path) -> str:
    """What a reader of ``path`` can find in it: parquet cells, gzip content, else the bytes as Latin-1 text."""
    if path.suffix == ".parquet":
        return pd.read_parquet(path).astype(str).to_csv()
    data = path.read_bytes()
    return (gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data).decode("latin-1")


def test_raw_customer_ids_stay_in_the_landing_folder(home, monkeypatch, capfd):
    monkeypatch.setenv(KEY_ENV, KEY)
    monkeypatch.setattr(definitions, "build_resources", home.resources)
    distinctive_shop(home.landing)

    assert cli.main(["materialize"]) == 0

    with home.warehouse().connect() as connection:
        (quarantined,) = connection.execute(
            "select count(*) from quarantine where dataset = 'shop' "
            "and regexp_matches(json_extract_string(record, '$.raw_record'), 'u_[0-9a-f]{24}')"
        ).fetchone()
        stored_users = {
            user for (user,) in connection.execute("select distinct user_id from cleaned_events").fetchall()
        }
    pseudonyms = Pseudonyms(KEY.encode())
    assert quarantined >= 2, "the rows with problems keep their source records, with the id replaced"
    assert pseudonyms.user("shop", shopper(0)) in stored_users
    assert warehouse_cells_with_raw_ids(home.warehouse_path) == {}
    files = [path for path in home.root.rglob("*") if path.is_file() and home.landing not in path.parents]
    assert any(path.suffix == ".parquet" for path in files) and any("dagster" in path.parts for path in files)
    leaks = {str(path.relative_to(home.root)): RAW_ID.search(file_text(path)).group(0) for path in files
             if RAW_ID.search(file_text(path))}  # fmt: skip
    assert leaks == {}
    # Dagster keeps run records and metadata beyond the reach of erasure: they name no customer, even by pseudonym.
    kept_for_good = [path for path in files if {"dagster", "reports"} & set(path.relative_to(home.root).parts)]
    assert kept_for_good and not [path for path in kept_for_good if PSEUDONYM.search(file_text(path))]
    logged = capfd.readouterr()
    assert not RAW_ID.search(logged.out + logged.err)

    encode = home.resources()["embedder"].encode
    app = create_app(home.root / "serving", home.landing, pseudonyms=pseudonyms, encode=encode, check_every_s=0.0)
    with TestClient(app) as client:
        answer = client.get(f"/v1/users/{shopper(0)}/recommendations", params={"dataset": "shop"})
        chat = client.post("/v1/chat", json={"dataset": "shop", "query": "garden", "user_id": shopper(0)})
    assert answer.status_code == 200 and chat.status_code == 200
    assert answer.json()["user_id"] == pseudonyms.user("shop", shopper(0)) and not answer.json()["cold_start"]
    assert not RAW_ID.search(json.dumps(answer.json()) + json.dumps(chat.json()))
