"""Privacy end to end over a materialized warehouse, with the fake models: no raw customer id leaves the landing
folder (not into any table or column, report, snapshot, Dagster record or log line, nor into the API's answers),
``longtail forget`` leaves no trace of a customer, and ``longtail expire`` applies retention (issue 17).

The shop's ids follow a pattern no pseudonym, item or text can match, so one regular expression finds any of them,
whole or quoted inside a record.
"""

import gzip
import json
import re

import duckdb
import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from longtail.data.interactions import interaction_matrix, load_interactions
from longtail.privacy.pseudonyms import KEY_ENV, Pseudonyms
from longtail.recommend.models.ease import EASE
from longtail.serving.api import create_app
from orchestration import cli, definitions
from tests.fixtures import Home, shop_history, shop_reviews, write_events, write_items, write_reviews

pytestmark = pytest.mark.privacy
KEY = "a test key of more than sixteen characters"
RAW_ID = re.compile(r"shopper-\d{4}-kq|review-\d+_\d+-kq")
PSEUDONYM = re.compile(r"[ur]_[0-9a-f]{24}")
RAW_ID_SQL = r"shopper-[0-9]{4}-kq|review-[0-9]+_[0-9]+-kq"
ERASED = "shopper-0003-kq"


def shopper(number: int) -> str:
    return f"shopper-{number:04d}-kq"


def distinctive_shop(landing, without: str | None = None) -> None:
    """``shop_history`` and ``shop_reviews`` with distinctive customer and review ids, plus rows whose problems
    make their source records land in quarantine, quoting the raw id (an unreadable time, a rating in words);
    ``without`` that customer's rows."""
    events, items = shop_history()
    events = re.sub(r"(?m)^u(\d+),", lambda match: shopper(int(match.group(1))) + ",", events)
    events += f"{shopper(9001)},i1,purchase,not a time,1,3.5,o9001\n{shopper(9002)},i2,purchase,,1,12.0,o9002\n"
    reviews = [
        {**review, "user_id": shopper(int(review["user_id"][1:])), "review_id": f"review-{review['review_id'][1:]}-kq"}
        for review in shop_reviews()
    ]
    reviews.append({**reviews[0], "review_id": "review-9_9-kq", "user_id": shopper(9003), "rating": "five"})
    if without is not None:
        events = "".join(line for line in events.splitlines(True) if not line.startswith(f"{without},"))
        reviews = [review for review in reviews if review["user_id"] != without]
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


def assert_no_raw_id_outside_the_landing_folder(home, logged: str) -> None:
    """No raw id in any column of any table, any file under the home but the landing folder, the ``logged`` output
    or the API's answers; and no pseudonym in what erasure cannot reach (Dagster's records, the reports)."""
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
    assert not RAW_ID.search(logged)

    encode = home.resources()["embedder"].encode
    app = create_app(home.root / "serving", home.landing, pseudonyms=pseudonyms, encode=encode, check_every_s=0.0)
    with TestClient(app) as client:
        answer = client.get(f"/v1/users/{shopper(0)}/recommendations", params={"dataset": "shop"})
        chat = client.post("/v1/chat", json={"dataset": "shop", "query": "garden", "user_id": shopper(0)})
    assert answer.status_code == 200 and chat.status_code == 200
    assert answer.json()["user_id"] == pseudonyms.user("shop", shopper(0)) and not answer.json()["cold_start"]
    assert not RAW_ID.search(json.dumps(answer.json()) + json.dumps(chat.json()))


@pytest.fixture
def shop(home, monkeypatch):
    monkeypatch.setenv(KEY_ENV, KEY)
    monkeypatch.setattr(definitions, "build_resources", home.resources)
    distinctive_shop(home.landing)
    return home


def cells_naming(warehouse, needles: list[str]) -> dict[str, int]:
    """Rows of each table (bookkeeping of erasures aside) in which any column, as text, holds one of ``needles``."""
    found = {}
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        tables = connection.execute("select distinct table_name from information_schema.columns").fetchall()
        for (table,) in tables:
            if table in ("erased_users", "erasure_requests"):
                continue
            columns = connection.execute(
                "select column_name from information_schema.columns where table_name = ?", [table]
            ).fetchall()
            text = " || '|' || ".join(f"coalesce(cast(\"{column}\" as varchar), '')" for (column,) in columns)
            count = connection.execute(
                f'select count(*) from "{table}" where '
                f"list_has_any(?, regexp_extract_all({text}, '[ur]_[0-9a-f]{{24}}'))",
                [needles],
            ).fetchone()[0]
            if count:
                found[table] = count
    return found


def ease_weights(warehouse) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        matrix = interaction_matrix(load_interactions(connection, "shop"))
    model = EASE(l2=50.0).fit(matrix.matrix)
    return pd.DataFrame(model.weights_, index=matrix.item_ids, columns=matrix.item_ids)


def test_no_raw_id_leaves_the_landing_folder_and_forget_leaves_no_trace_of_the_customer(
    shop, tmp_path, capfd, monkeypatch
):
    assert cli.main(["materialize"]) == 0
    logged = capfd.readouterr()
    assert_no_raw_id_outside_the_landing_folder(shop, logged.out + logged.err)

    pseudonym = Pseudonyms(KEY.encode()).user("shop", ERASED)
    with shop.warehouse().connect() as connection:
        reviews = [
            r
            for (r,) in connection.execute(
                "select review_id from cleaned_reviews where user_id = ?", [pseudonym]
            ).fetchall()
        ]
    assert reviews and cells_naming(shop.warehouse_path, [pseudonym])

    assert cli.main(["forget", "--dataset", "shop", ERASED]) == 0
    out = capfd.readouterr().out
    assert "raw_events: " in out and "erasure done" in out

    assert cells_naming(shop.warehouse_path, [pseudonym, *reviews]) == {}
    for path in (shop.root / "serving").rglob("*.parquet"):
        assert not pd.read_parquet(path).astype(str).isin([pseudonym, *reviews]).any().any(), path
    with shop.warehouse().connect() as connection:
        status = connection.execute("select status from erasure_requests").fetchall()
    assert status == [("done",)]

    # EASE retrained after the erasure equals EASE trained from scratch on the files without the customer.
    after = ease_weights(shop.warehouse_path)
    scratch = Home(tmp_path / "scratch")
    distinctive_shop(scratch.landing, without=ERASED)
    monkeypatch.setenv("LONGTAIL_HOME", str(scratch.root))
    monkeypatch.setattr(definitions, "build_resources", scratch.resources)
    assert cli.main(["materialize", "--select", "key:raw_events or key:cleaned_events or key:cleaned_reviews"]) == 0
    scratch_weights = ease_weights(scratch.warehouse_path)
    assert list(after.index) == list(scratch_weights.index)
    np.testing.assert_allclose(after.to_numpy(), scratch_weights.to_numpy(), rtol=1e-5, atol=1e-6)

    # Re-ingest: the customer's files landed again (as new content, so they load) bring none of their rows back.
    monkeypatch.setenv("LONGTAIL_HOME", str(shop.root))
    monkeypatch.setattr(definitions, "build_resources", shop.resources)
    for name in ("events.csv", "reviews.jsonl"):
        copy = shop.landing / "shop" / f"again-{name}"
        copy.write_text((shop.landing / "shop" / name).read_text() + "\n")
    assert cli.main(["materialize", "--select", "key:raw_events or key:cleaned_events or key:cleaned_reviews"]) == 0
    assert cells_naming(shop.warehouse_path, [pseudonym, *reviews]) == {}
    assert shop.count("select count(*) from raw_events where source_file = 'again-events.csv'") > 0


def test_expire_with_a_frozen_clock_deletes_the_old_rows_and_files_and_keeps_the_rest(shop, monkeypatch, capsys):
    from orchestration.privacy import expire_data

    assert cli.main(["materialize"]) == 0
    monkeypatch.setattr(
        definitions, "build_resources", lambda: {**shop.resources(), "privacy": _privacy(shop, {"shop": 100})}
    )
    old = write_events(
        shop.landing / "shop" / "old.csv", "user_id,item_id,event_type,ts\nu1,i1,view,2023-01-01T00:00:00Z\n"
    )
    now = pd.Timestamp("2024-05-01", tz="UTC")  # keeps events and reviews from 2024-01-22 on
    since = now - pd.Timedelta(days=100)
    expired_before = shop.count("select count(*) from raw_events where ts < ?", [since])
    kept_before = shop.count("select count(*) from cleaned_events where ts >= ?", [since])
    assert expired_before > 0

    assert expire_data("shop", cli.materialize_assets, now=now) == 0
    assert not old.exists() and (shop.landing / "shop" / "events.csv").exists()  # partly expired: kept
    for table in ("raw_events", "cleaned_events", "raw_reviews", "cleaned_reviews", "review_sentiment"):
        assert shop.count(f"select count(*) from {table} where ts < ?", [since]) == 0, table
    assert shop.count("select count(*) from cleaned_events where ts >= ?", [since]) == kept_before
    assert "partly expired" in capsys.readouterr().out


def _privacy(home, retention_days):
    from resources.privacy import PrivacyResource

    return PrivacyResource(key_file=str(home.root / "secrets" / "id_key"), retention_days=retention_days)
