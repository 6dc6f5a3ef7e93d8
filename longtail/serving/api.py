"""The HTTP API and web page over the current serving snapshot (FastAPI; ``longtail serve`` runs it on uvicorn).

Endpoints (OpenAPI docs at ``/docs``):
- ``GET /healthz``: ``{"status": "ok", "snapshot": version}``;
- ``GET /v1/users/{user_id}/recommendations``, ``GET /v1/items/{item_id}/similar``: lists in the item shape
  ``{"item_id", "title", "price", "score", "is_tail", "reasons"}``;
- ``POST /v1/chat``: the shop assistant, with sessions that refine;
- ``POST /v1/feedback``: writes a canonical events file into the landing folder for the sensor to ingest.

Customer ids come in raw and are mapped to their pseudonyms (``longtail.privacy.pseudonyms``) before anything is
looked up: the snapshot holds only pseudonyms, and no answer holds a raw id (the ``user_id`` of an answer is the
pseudonym; validation errors leave out the input they refused). Feedback lands with the raw id, as every landing
file does: ingestion pseudonymises it.

Access (``longtail.serving.access``): with a key store, every ``/v1`` endpoint needs a stored key in ``X-API-Key``
and reads only the datasets that key may read (403 for others); ``/healthz``, the page and the docs carry no shop
data and stay open. Every ``/v1`` caller (a key, or a client address without keys) is rate limited (429 with
``Retry-After``); bodies over ``MAX_BODY_BYTES`` are refused (413) before anything reads them whole. A dataset is
only ever a name looked up among the snapshot's shops, never a path. A chat session belongs to the caller, dataset
and customer that started it: its id presented with any other names a new, empty session.

A new snapshot is loaded in a background thread while the old one keeps answering, then swapped in with one
assignment: no request is dropped or sees half of each.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from fastapi import FastAPI, HTTPException, Query, Request
from fastapi import Path as UrlPath
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field

from longtail.errors import InputError
from longtail.privacy.pseudonyms import Pseudonyms
from longtail.serving.access import DEFAULT_REQUESTS_PER_MINUTE, Caller, KeyStore, RateLimiter
from longtail.serving.assistant import ShopAssistant, served_assistant
from longtail.serving.catalogue import Filters, ShopIndex, load_snapshot
from longtail.serving.lists import similar_items, user_list
from longtail.serving.sessions import Sessions
from longtail.serving.snapshot import current_version

MAX_K = 100
MAX_QUERY_CHARS = 2_000
MAX_BODY_BYTES = 16_384
MAX_ID_CHARS = 200
MAX_DATASET_CHARS = 100
API_KEY_HEADER = "X-API-Key"
PAGE = Path(__file__).with_name("static") / "index.html"
# A click on a recommended item opens its page: canonical events know it as a view.
FEEDBACK_EVENT_TYPES = {"view": "view", "click": "view", "purchase": "purchase"}
# (dataset, raw customer id) -> the customer's pseudonym, as ingestion computed it.
ToPseudonym = Callable[[str, str], str]

log = logging.getLogger(__name__)


class SnapshotHolder:
    """The snapshot being served, and the switch to a newer one: ``refresh`` looks at ``current`` at most every
    ``check_every_s`` seconds and loads a new version in a background thread."""

    def __init__(self, root: Path, check_every_s: float = 1.0):
        self.root = root
        self.check_every_s = check_every_s
        self._lock = threading.Lock()
        self._loading: threading.Thread | None = None
        self._checked = 0.0
        version = current_version(root)
        if version is None:
            raise FileNotFoundError(f"no serving snapshot under {root}: materialize serving_snapshot first")
        self.snapshot = load_snapshot(root, version)

    def refresh(self, wait: bool = False) -> None:
        now = time.monotonic()
        if now - self._checked < self.check_every_s and not wait:
            return
        self._checked = now
        version = current_version(self.root)
        with self._lock:
            if version is None or version == self.snapshot.version or self._loading is not None:
                loading = self._loading
            else:
                loading = self._loading = threading.Thread(target=self._load, args=(version,), daemon=True)
                loading.start()
        if wait and loading is not None:
            loading.join()

    def _load(self, version: str) -> None:
        try:
            self.snapshot = load_snapshot(self.root, version)
        finally:
            with self._lock:
                self._loading = None


class ChatRequest(BaseModel):
    dataset: str = Field(min_length=1, max_length=MAX_DATASET_CHARS)
    query: str = Field(min_length=1, max_length=MAX_QUERY_CHARS)
    user_id: str | None = Field(default=None, min_length=1, max_length=MAX_ID_CHARS)
    session_id: str | None = Field(default=None, min_length=1, max_length=100)
    k: int = Field(default=10, ge=1, le=MAX_K)
    exclude_seen: bool = True


class FeedbackRequest(BaseModel):
    dataset: str = Field(min_length=1, max_length=MAX_DATASET_CHARS)
    user_id: str = Field(min_length=1, max_length=MAX_ID_CHARS)
    item_id: str = Field(min_length=1, max_length=MAX_ID_CHARS)
    event: Literal["view", "click", "purchase"]


class BodyLimit:
    """ASGI middleware: a request whose body is over ``max_bytes`` is answered 413 before the app sees it. The body
    is read here, at most ``max_bytes`` and one chunk of it, whether or not it announced its length (a chunked body
    does not), and handed on whole."""

    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        too_long = JSONResponse({"detail": f"request body over {self.max_bytes} bytes"}, status_code=413)
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            return await too_long(scope, receive, send)
        received, size = [], 0
        while True:
            message = await receive()
            received.append(message)
            if message["type"] != "http.request":  # the client left
                break
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                return await too_long(scope, receive, send)
            if not message.get("more_body", False):
                break

        async def replay():
            return received.pop(0) if received else await receive()

        return await self.app(scope, replay, send)


def create_app(
    root: Path,
    landing: Path,
    *,
    pseudonyms: Pseudonyms | ToPseudonym,
    keys: KeyStore | None = None,
    requests_per_minute: int = DEFAULT_REQUESTS_PER_MINUTE,
    clock: Callable[[], float] = time.monotonic,
    encode: Callable[[Sequence[str]], np.ndarray] | None = None,
    check_every_s: float = 1.0,
) -> FastAPI:
    """The app over the snapshots under ``root``; feedback lands in ``landing``.

    Args:
        pseudonyms: maps each incoming customer id to its pseudonym (the ingestion's ``Pseudonyms``, or any
            ``(dataset, raw_id) -> pseudonym``).
        keys: the API keys; None serves without keys (``longtail serve`` then binds loopback only).
        requests_per_minute: the rate limit of each caller (a key, or a client address without keys).
        clock: monotonic seconds, for the rate limit (tests pass a fake one).
        encode: embeds chat queries with the model that embedded the items (default: the packaged
            all-MiniLM-L6-v2, loaded on first use).
    """
    holder = SnapshotHolder(root, check_every_s)
    to_pseudonym = pseudonyms.user if isinstance(pseudonyms, Pseudonyms) else pseudonyms
    limiter = RateLimiter(requests_per_minute, clock)
    sessions = Sessions()
    assistants: dict[tuple[str, str], ShopAssistant] = {}
    encoder = encode or _default_encoder()
    app = FastAPI(title="longtail", summary="Recommendations that reach the long tail, and a shop assistant")
    app.state.holder = holder

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        # FastAPI's default answer quotes the refused input, which may be a whole body with a raw customer id.
        detail = [{"loc": entry["loc"], "msg": entry["msg"], "type": entry["type"]} for entry in error.errors()]
        return JSONResponse({"detail": detail}, status_code=422)

    def identify(request: Request) -> Caller | None:
        if keys is None:
            return Caller(f"address {request.client.host if request.client else 'unknown'}")
        presented = request.headers.get(API_KEY_HEADER)
        stored = keys.find(presented) if presented else None
        return stored.caller() if stored else None

    @app.middleware("http")
    async def guard(request: Request, call_next):
        if request.url.path.startswith("/v1/"):
            try:
                caller = identify(request)
            except InputError as error:
                log.error("cannot check API keys: %s", error)
                return JSONResponse({"detail": "the API keys cannot be checked now"}, status_code=503)
            if caller is None:
                return JSONResponse({"detail": f"missing or wrong {API_KEY_HEADER} header"}, status_code=401)
            wait_s = limiter.take(caller.name)
            if wait_s > 0:
                retry_after = math.ceil(wait_s)
                return JSONResponse(
                    {"detail": f"over {requests_per_minute} requests a minute; retry in {retry_after} s"},
                    status_code=429,
                    headers={"Retry-After": str(retry_after)},
                )
            request.state.caller = caller
        holder.refresh()
        return await call_next(request)

    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES)

    def shop(request: Request, dataset: str) -> tuple[str, ShopIndex]:
        """The published shop ``dataset`` if the caller may read it. Checked in this order so that a key limited to
        some datasets learns nothing of the others, not even which exist."""
        caller: Caller = request.state.caller
        if not caller.may_read(dataset):
            raise HTTPException(403, f"this API key may not read dataset {dataset!r}")
        snapshot = holder.snapshot
        if dataset not in snapshot.shops:
            known = ", ".join(sorted(name for name in snapshot.shops if caller.may_read(name))) or "none"
            raise HTTPException(404, f"unknown dataset {dataset!r} in snapshot {snapshot.version} (known: {known})")
        return snapshot.version, snapshot.shops[dataset]

    @app.get("/healthz")
    def healthz() -> dict:
        return {"status": "ok", "snapshot": holder.snapshot.version}

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(PAGE, media_type="text/html")

    @app.get("/v1/datasets")
    def datasets(request: Request) -> dict:
        caller: Caller = request.state.caller
        snapshot = holder.snapshot
        return {
            "snapshot": snapshot.version,
            "datasets": [
                {
                    "dataset": name,
                    "items": len(index),
                    "categories": list(index.category_nodes),
                    "currency": index.settings.get("currency"),
                }
                for name, index in sorted(snapshot.shops.items())
                if caller.may_read(name)
            ],
        }

    @app.get("/v1/users/{user_id}/recommendations")
    def recommendations(
        request: Request,
        user_id: str = UrlPath(max_length=MAX_ID_CHARS),
        dataset: str = Query(min_length=1, max_length=MAX_DATASET_CHARS),
        k: int = Query(10, ge=1, le=MAX_K),
        category: str | None = Query(None, max_length=300),
        min_price: float | None = Query(None, ge=0),
        max_price: float | None = Query(None, ge=0),
        exclude_seen: bool = True,
    ) -> dict:
        if min_price is not None and max_price is not None and min_price > max_price:
            raise HTTPException(422, f"min_price {min_price:g} is above max_price {max_price:g}")
        version, index = shop(request, dataset)
        if category is not None and category not in index.category_nodes:
            raise HTTPException(422, f"unknown category {category!r} in dataset {dataset!r} (see /v1/datasets)")
        user = to_pseudonym(dataset, user_id)
        served = user_list(index, user, k, Filters(category, min_price, max_price), exclude_seen)
        return {
            "user_id": user,
            "dataset": dataset,
            "cold_start": served.cold_start,
            "snapshot": version,
            "items": served.items,
        }

    @app.get("/v1/items/{item_id}/similar")
    def similar(
        request: Request,
        item_id: str = UrlPath(max_length=MAX_ID_CHARS),
        dataset: str = Query(min_length=1, max_length=MAX_DATASET_CHARS),
        k: int = Query(10, ge=1, le=MAX_K),
    ) -> dict:
        version, index = shop(request, dataset)
        if item_id not in index.position:
            raise HTTPException(404, f"unknown item {item_id!r} in dataset {dataset!r}")
        return {"item_id": item_id, "dataset": dataset, "snapshot": version, "items": similar_items(index, item_id, k)}

    @app.post("/v1/chat")
    def chat(request: Request, body: ChatRequest) -> dict:
        version, index = shop(request, body.dataset)
        assistant = assistants.get((version, body.dataset))
        if assistant is None:
            # Built on a shop's first chat of a version (its BM25 index, category and title matchers); those of
            # older versions are let go, so a long-running server holds one set.
            for key in [key for key in assistants if key[0] != version]:
                del assistants[key]
            assistant = assistants[(version, body.dataset)] = served_assistant(
                index, encoder, index.settings.get("assistant")
            )
        user = None if body.user_id is None else to_pseudonym(body.dataset, body.user_id)
        session_id = body.session_id or uuid.uuid4().hex
        # Kept under its owner as well as its id: the same id sent by another caller, for another dataset or
        # customer, names another session, and never reads or changes this one.
        owned = json.dumps([request.state.caller.name, body.dataset, user, session_id])
        previous = sessions.get(owned, body.dataset)
        try:
            answer = assistant.answer(body.query, user, previous, body.k, body.exclude_seen)
        except ValueError as error:
            raise HTTPException(422, str(error)) from error
        sessions.put(owned, body.dataset, answer.turn)
        return {
            "session_id": session_id,
            "snapshot": version,
            "parsed": answer.spec.to_json(),
            "items": answer.items,
            "unmet": answer.unmet,
            "suggestions": answer.suggestions,
        }

    @app.post("/v1/feedback", status_code=202)
    def feedback(request: Request, body: FeedbackRequest) -> dict:
        _, index = shop(request, body.dataset)
        if body.item_id not in index.position:
            raise HTTPException(404, f"unknown item {body.item_id!r} in dataset {body.dataset!r}")
        # The raw id, as in every landing file: ingestion pseudonymises it with the rest.
        path = write_feedback(landing, body.dataset, body.user_id, body.item_id, body.event)
        return {"status": "accepted", "file": path.name}

    return app


def write_feedback(landing: Path, dataset: str, user_id: str, item_id: str, event: str) -> Path:
    """One canonical events file (``user_id, item_id, event_type, ts``) in ``landing/<dataset>/``, written under a
    hidden name and renamed, so the landing sensor never reads half a file."""
    folder = landing / dataset
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.now(timezone.utc)
    name = f"feedback-{now:%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.csv"
    row = pd.DataFrame(
        {
            "user_id": [user_id],
            "item_id": [item_id],
            "event_type": [FEEDBACK_EVENT_TYPES[event]],
            "ts": [now.isoformat()],
        }
    )
    hidden = folder / f".{name}"
    row.to_csv(hidden, index=False)
    hidden.rename(folder / name)
    return folder / name


def _default_encoder() -> Callable[[Sequence[str]], np.ndarray]:
    """The packaged encoder, loaded on the first chat rather than at start."""
    loaded = {}
    lock = threading.Lock()

    def encode(texts: Sequence[str]) -> np.ndarray:
        from longtail.recommend.embedding import encode_texts, load_encoder

        with lock:
            if "model" not in loaded:
                loaded["model"] = load_encoder()
        return encode_texts(loaded["model"], list(texts))

    return encode
