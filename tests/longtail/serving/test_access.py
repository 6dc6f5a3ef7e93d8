"""Access to the serving API: keys stored hashed, a rate limit per caller, and no parameter that reaches another
dataset's or another customer's data."""

import argparse
import json
import os
import stat
from datetime import datetime, timezone

import pytest
from fastapi.testclient import TestClient

from longtail.errors import InputError
from longtail.serving.access import KeyStore, RateLimiter, key_digest
from orchestration.serve import (
    RETIRED_KEY_VARIABLE,
    add_api_key_command,
    api_key_command,
    requests_per_minute,
    serve,
)
from resources.home import api_keys_path
from tests.longtail.serving.shops import pseudonymous_app

DATASET, OTHER = "gift_shop", "other_shop"
HEADER = "X-API-Key"


class FakeClock:
    def __init__(self):
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture()
def store(tmp_path) -> KeyStore:
    return KeyStore(tmp_path / "secrets" / "api_keys.json")


@pytest.fixture()
def keyed(tmp_path, store):
    """The API over two shops with a key store: ``everything`` may read both, ``gifts`` only the gift shop."""
    keys = {"everything": store.create("everything"), "gifts": store.create("gifts", [DATASET])}
    return TestClient(pseudonymous_app(tmp_path, (DATASET, OTHER), keys=store)), keys


def test_the_store_keeps_a_hash_of_each_key_owner_only(store):
    created = datetime(2026, 12, 3, 9, 30, tzinfo=timezone.utc)
    key = store.create("shop-frontend", [OTHER, DATASET], now=created)
    assert key.startswith("lt_") and len(key) >= 40
    text = store.path.read_text()
    assert key not in text
    assert json.loads(text) == {
        "keys": [
            {
                "name": "shop-frontend",
                "sha256": key_digest(key),
                "datasets": [DATASET, OTHER],
                "created": "2026-12-03T09:30:00+00:00",
            }
        ]
    }
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700
    assert store.find(key).name == "shop-frontend" and store.find(key + "x") is None
    assert store.create("reports") != key
    assert [stored.name for stored in store.keys()] == ["shop-frontend", "reports"]
    assert store.keys()[1].datasets is None


@pytest.mark.parametrize(
    ("name", "datasets", "message"),
    [
        ("shop-frontend", None, "exists already"),
        ("", None, "a key name is"),
        ("../x", None, "a key name is"),
        ("scoped", [], "at least one dataset"),
    ],
)
def test_the_store_refuses_bad_keys(store, name, datasets, message):
    store.create("shop-frontend")
    with pytest.raises(ValueError, match=message):
        store.create(name, datasets)


def test_the_store_refuses_a_file_others_may_use(store):
    store.create("shop-frontend")
    os.chmod(store.path, 0o644)
    with pytest.raises(InputError, match="others may use the API key file .* chmod 600"):
        store.keys()


def test_every_v1_endpoint_needs_a_stored_key_but_healthz_does_not(keyed):
    client, keys = keyed
    assert client.get("/healthz").status_code == 200
    path, params = "/v1/users/u1/recommendations", {"dataset": DATASET}
    assert client.get(path, params=params).status_code == 401
    wrong = client.get(path, params=params, headers={HEADER: keys["everything"] + "x"})
    assert wrong.status_code == 401 and wrong.json()["detail"] == "missing or wrong X-API-Key header"
    assert client.get(path, params=params, headers={HEADER: key_digest(keys["everything"])}).status_code == 401
    assert client.get(path, params=params, headers={HEADER: keys["everything"]}).status_code == 200
    assert client.post("/v1/chat", json={"dataset": DATASET, "query": "a cup"}).status_code == 401


def test_a_revoked_key_is_refused_without_a_restart(keyed, store):
    client, keys = keyed
    headers = {HEADER: keys["gifts"]}
    assert client.get("/v1/datasets", headers=headers).status_code == 200
    assert store.revoke("gifts") and not store.revoke("gifts")
    assert client.get("/v1/datasets", headers=headers).status_code == 401
    assert client.get("/v1/datasets", headers={HEADER: keys["everything"]}).status_code == 200
    later = store.create("later")
    assert client.get("/v1/datasets", headers={HEADER: later}).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "payload"),
    [
        ("get", "/v1/users/u1/recommendations", {"dataset": OTHER}),
        ("get", "/v1/items/I00/similar", {"dataset": OTHER}),
        ("post", "/v1/chat", {"dataset": OTHER, "query": "a cup", "user_id": "u1"}),
        ("post", "/v1/feedback", {"dataset": OTHER, "user_id": "u1", "item_id": "I00", "event": "view"}),
        ("get", "/v1/users/u1/recommendations", {"dataset": "no_such_shop"}),  # nor which others exist
    ],
)
def test_a_key_limited_to_datasets_gets_403_for_any_other(keyed, tmp_path, method, path, payload):
    client, keys = keyed
    options = {"params": payload} if method == "get" else {"json": payload}
    refused = getattr(client, method)(path, headers={HEADER: keys["gifts"]}, **options)
    assert refused.status_code == 403 and "may not read dataset" in refused.json()["detail"]
    allowed = getattr(client, method)(path, headers={HEADER: keys["everything"]}, **options)
    assert allowed.status_code == (404 if payload["dataset"] == "no_such_shop" else 202 if "event" in payload else 200)
    assert not (tmp_path / "landing" / OTHER).exists() or "event" in payload


def test_a_key_lists_and_names_only_the_datasets_it_may_read(keyed):
    client, keys = keyed
    listed = client.get("/v1/datasets", headers={HEADER: keys["gifts"]}).json()["datasets"]
    assert [entry["dataset"] for entry in listed] == [DATASET]
    assert set(listed[0]) == {"dataset", "items", "categories", "currency"}  # no customer is enumerated
    assert listed[0]["currency"] == "GBP"
    everything = client.get("/v1/datasets", headers={HEADER: keys["everything"]}).json()["datasets"]
    assert [entry["dataset"] for entry in everything] == [DATASET, OTHER]


@pytest.mark.parametrize("dataset", ["../landing", "gift_shop/../../secrets", ".", "", "current", "v1"])
def test_a_dataset_is_a_published_shop_or_404_and_never_a_path(tmp_path, dataset):
    client = TestClient(pseudonymous_app(tmp_path, (DATASET,)))
    answers = [
        client.get("/v1/users/u1/recommendations", params={"dataset": dataset}),
        client.get("/v1/items/I00/similar", params={"dataset": dataset}),
        client.post("/v1/chat", json={"dataset": dataset, "query": "a cup"}),
        client.post("/v1/feedback", json={"dataset": dataset, "user_id": "u1", "item_id": "I00", "event": "view"}),
    ]
    assert {answer.status_code for answer in answers} == ({422} if dataset == "" else {404})
    assert not (tmp_path / "landing").exists()


def test_the_rate_limit_answers_429_until_the_clock_refills_the_bucket(tmp_path, store):
    clock = FakeClock()
    keys = {name: store.create(name) for name in ("first", "second")}
    client = TestClient(pseudonymous_app(tmp_path, (DATASET,), keys=store, requests_per_minute=60, clock=clock))
    first = {HEADER: keys["first"]}
    assert [client.get("/v1/datasets", headers=first).status_code for _ in range(10)] == [200] * 10
    limited = client.get("/v1/datasets", headers=first)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"
    assert "over 60 requests a minute" in limited.json()["detail"]
    assert client.get("/v1/datasets", headers={HEADER: keys["second"]}).status_code == 200  # per key
    assert client.get("/healthz").status_code == 200
    clock.now += 0.5
    assert client.get("/v1/datasets", headers=first).status_code == 429
    clock.now += 0.5
    assert client.get("/v1/datasets", headers=first).status_code == 200
    assert client.get("/v1/datasets", headers=first).status_code == 429


def test_without_keys_the_rate_limit_is_per_client_address(tmp_path):
    clock = FakeClock()
    app = pseudonymous_app(tmp_path, (DATASET,), requests_per_minute=6, clock=clock)
    here, there = TestClient(app, client=("10.0.0.1", 5000)), TestClient(app, client=("10.0.0.2", 5000))
    assert here.get("/v1/datasets").status_code == 200
    limited = here.get("/v1/datasets")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "10"
    assert there.get("/v1/datasets").status_code == 200
    clock.now += 10
    assert here.get("/v1/datasets").status_code == 200


def test_the_rate_limiter_refills_at_its_rate_up_to_its_burst():
    clock = FakeClock()
    limiter = RateLimiter(per_minute=120, clock=clock)
    assert limiter.burst == 20
    assert [limiter.take("a") for _ in range(20)] == [0.0] * 20
    assert limiter.take("a") == pytest.approx(0.5)
    clock.now += 3600
    assert [limiter.take("a") for _ in range(20)] == [0.0] * 20 and limiter.take("a") > 0
    with pytest.raises(ValueError, match="at least 1 request a minute"):
        RateLimiter(per_minute=0)


def test_a_chat_session_belongs_to_its_key_dataset_and_customer(keyed):
    client, keys = keyed
    everything, gifts = {HEADER: keys["everything"]}, {HEADER: keys["gifts"]}
    started = client.post(
        "/v1/chat", json={"dataset": DATASET, "query": "something under £3", "user_id": "u1"}, headers=everything
    ).json()
    follow_up = {"dataset": DATASET, "query": "no bags please", "user_id": "u1", "session_id": started["session_id"]}
    others = [
        ({**follow_up, "user_id": "u2"}, everything),  # another customer
        ({key: value for key, value in follow_up.items() if key != "user_id"}, everything),  # no customer
        ({**follow_up, "dataset": OTHER}, everything),  # another dataset
        (follow_up, gifts),  # another key
    ]
    for body, headers in others:
        answer = client.post("/v1/chat", json=body, headers=headers).json()
        # A new, empty session under the same id: nothing of the first one's price bound or items.
        assert answer["parsed"] == {"exclude": ["bag"]}, body
        assert answer["session_id"] == started["session_id"]
    owner = client.post("/v1/chat", json=follow_up, headers=everything).json()
    assert owner["parsed"] == {"max_price": 3, "exclude": ["bag"]}  # and none of them changed it


def test_the_api_key_command_prints_a_key_once_and_stores_its_hash(home, capsys):
    parser = argparse.ArgumentParser(prog="longtail")
    add_api_key_command(parser.add_subparsers(dest="command", required=True))

    def run(*argv: str) -> tuple[int, str]:
        status = api_key_command(parser.parse_args(["api-key", *argv]))
        return status, capsys.readouterr().out

    status, key = run("create", "--name", "shop-frontend", "--dataset", DATASET)
    key = key.strip()
    assert status == 0 and KeyStore(api_keys_path()).find(key).datasets == (DATASET,)
    assert key not in api_keys_path().read_text()
    status, listed = run("list")
    assert status == 0 and listed.startswith(f"shop-frontend\t{DATASET}\tcreated ") and key not in listed
    assert run("revoke", "shop-frontend") == (0, "revoked API key 'shop-frontend'\n")
    assert run("revoke", "shop-frontend")[0] == 1
    assert KeyStore(api_keys_path()).keys() == ()


def test_serve_binds_beyond_loopback_only_with_keys_and_refuses_the_old_variable(home, monkeypatch, capsys):
    monkeypatch.delenv(RETIRED_KEY_VARIABLE, raising=False)
    assert serve("0.0.0.0", 8000) == 2
    assert "refusing to bind 0.0.0.0 without an API key" in capsys.readouterr().out
    monkeypatch.setenv(RETIRED_KEY_VARIABLE, "a key in the clear")
    assert serve("127.0.0.1", 8000) == 2
    assert "LONGTAIL_API_KEY is no longer read" in capsys.readouterr().out
    monkeypatch.delenv(RETIRED_KEY_VARIABLE)
    KeyStore(api_keys_path()).create("shop-frontend")
    assert serve("0.0.0.0", 8000) == 1  # past the guard, to the missing snapshot
    assert "no serving snapshot" in capsys.readouterr().out


@pytest.mark.parametrize(("value", "expected"), [(None, 600), ("120", 120), (" 30 ", 30), ("0", None), ("ten", None)])
def test_the_rate_limit_variable_is_a_whole_number_a_minute(value, expected):
    environ = {} if value is None else {"LONGTAIL_RATE_LIMIT": value}
    if expected is None:
        with pytest.raises(ValueError, match="LONGTAIL_RATE_LIMIT is a whole number"):
            requests_per_minute(environ)
    else:
        assert requests_per_minute(environ) == expected
