"""Erasure and retention end to end: the CLI over a materialized warehouse, with the fake models."""

import duckdb
import numpy as np
import pandas as pd
import pytest

from longtail.data.interactions import interaction_matrix, load_interactions
from longtail.privacy.pseudonyms import KEY_ENV, Pseudonyms
from longtail.recommend.models.ease import EASE
from orchestration import cli, definitions
from tests.fixtures import Home, shop_history, shop_reviews, write_events, write_items, write_reviews

pytestmark = pytest.mark.privacy
KEY = "a test key of more than sixteen characters"
ERASED = "u3"


@pytest.fixture
def shop(home, monkeypatch):
    monkeypatch.setenv(KEY_ENV, KEY)
    monkeypatch.setattr(definitions, "build_resources", home.resources)
    events, items = shop_history()
    write_events(home.landing / "shop" / "events.csv", events)
    write_items(home.landing / "shop" / "items.csv", items)
    write_reviews(home.landing / "shop" / "reviews.jsonl", shop_reviews())
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


def test_forget_leaves_no_row_file_or_snapshot_of_the_customer_and_equals_training_without_them(
    shop, tmp_path, capsys, monkeypatch
):
    assert cli.main(["materialize"]) == 0
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
    out = capsys.readouterr().out
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
    events, items = shop_history()
    kept_events = "".join(line for line in events.splitlines(True) if not line.startswith(f"{ERASED},"))
    write_events(scratch.landing / "shop" / "events.csv", kept_events)
    write_items(scratch.landing / "shop" / "items.csv", items)
    write_reviews(scratch.landing / "shop" / "reviews.jsonl", [r for r in shop_reviews() if r["user_id"] != ERASED])
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
