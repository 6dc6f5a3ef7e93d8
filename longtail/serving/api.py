"""The HTTP API and web page over the current serving snapshot (FastAPI; ``longtail serve`` runs it on uvicorn).

Endpoints (OpenAPI docs at ``/docs``):
- ``GET /healthz``: ``{"status": "ok", "snapshot": version}``;
- ``GET /v1/users/{user_id}/recommendations``, ``GET /v1/items/{item_id}/similar``: lists in the item shape
  ``{"item_id", "title", "price", "score", "is_tail", "reasons"}``;
- ``POST /v1/chat``: the shop assistant, with sessions that refine;
- ``POST /v1/feedback``: writes a canonical events file into the landing folder for the sensor to ingest.

A new snapshot is loaded in a background thread while the old one keeps answering, then swapped in with one
assignment: no request is dropped or sees half of each. With an API key configured, every ``/v1`` endpoint needs
it in ``X-API-Key``; ``/healthz``, the page and the docs carry no shop data and stay open.
"""

from __future__ import annotations

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
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field

from longtail.serving.assistant import Sessions, ShopAssistant
from longtail.serving.catalogue import Filters, ShopIndex, load_snapshot
from longtail.serving.lists import similar_items, user_list
from longtail.serving.snapshot import current_version

MAX_K = 100
MAX_QUERY_CHARS = 2_000
MAX_BODY_BYTES = 16_384
API_KEY_HEADER = "X-API-Key"
PAGE = Path(__file__).with_name("static") / "index.html"
# A click on a recommended item opens its page: canonical events know it as a view.
FEEDBACK_EVENT_TYPES = {"view": "view", "click": "view", "purchase": "purchase"}


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
    dataset: str = Field(min_length=1, max_length=100)
    query: str = Field(min_length=1, max_length=MAX_QUERY_CHARS)
    user_id: str | None = Field(default=None, max_length=200)
    session_id: str | None = Field(default=None, max_length=100)
    k: int = Field(default=10, ge=1, le=MAX_K)
    exclude_seen: bool = True


class FeedbackRequest(BaseModel):
    dataset: str = Field(min_length=1, max_length=100)
    user_id: str = Field(min_length=1, max_length=200)
    item_id: str = Field(min_length=1, max_length=200)
    event: Literal["view", "click", "purchase"]


def create_app(
    root: Path,
    landing: Path,
    *,
    api_key: str | None = None,
    encode: Callable[[Sequence[str]], np.ndarray] | None = None,
    check_every_s: float = 1.0,
) -> FastAPI:
    """The app over the snapshots under ``root``; feedback lands in ``landing``. ``encode`` embeds chat queries
    with the model that embedded the items (default: the packaged all-MiniLM-L6-v2, loaded on first use)."""
    holder = SnapshotHolder(root, check_every_s)
    sessions = Sessions()
    assistants: dict[tuple[str, str], ShopAssistant] = {}
    encoder = encode or _default_encoder()
    app = FastAPI(title="longtail", summary="Recommendations that reach the long tail, and a shop assistant")
    app.state.holder = holder

    @app.middleware("http")
    async def guard(request: Request, call_next):
        length = request.headers.get("content-length")
        too_long = length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES)
        # A chunked body announces no length: read it (Starlette keeps it for the endpoint) and count.
        if too_long or (length is None and request.method == "POST" and len(await request.body()) > MAX_BODY_BYTES):
            return JSONResponse({"detail": f"request body over {MAX_BODY_BYTES} bytes"}, status_code=413)
        if api_key and request.url.path.startswith("/v1/") and request.headers.get(API_KEY_HEADER) != api_key:
            return JSONResponse({"detail": f"missing or wrong {API_KEY_HEADER} header"}, status_code=401)
        holder.refresh()
        return await call_next(request)

    def shop(dataset: str) -> tuple[str, ShopIndex]:
        snapshot = holder.snapshot
        if dataset not in snapshot.shops:
            known = ", ".join(sorted(snapshot.shops)) or "none"
            raise HTTPException(404, f"unknown dataset {dataset!r} in snapshot {snapshot.version} (known: {known})")
        return snapshot.version, snapshot.shops[dataset]

    @app.get("/healthz")
    def healthz() -> dict:
        return {"status": "ok", "snapshot": holder.snapshot.version}

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(PAGE, media_type="text/html")

    @app.get("/v1/datasets")
    def datasets() -> dict:
        snapshot = holder.snapshot
        return {
            "snapshot": snapshot.version,
            "datasets": [
                {
                    "dataset": name,
                    "items": len(index),
                    "example_users": _example_users(index),
                    "categories": list(index.category_nodes),
                }
                for name, index in sorted(snapshot.shops.items())
            ],
        }

    @app.get("/v1/users/{user_id}/recommendations")
    def recommendations(
        user_id: str,
        dataset: str,
        k: int = Query(10, ge=1, le=MAX_K),
        category: str | None = Query(None, max_length=300),
        min_price: float | None = Query(None, ge=0),
        max_price: float | None = Query(None, ge=0),
        exclude_seen: bool = True,
    ) -> dict:
        if min_price is not None and max_price is not None and min_price > max_price:
            raise HTTPException(422, f"min_price {min_price:g} is above max_price {max_price:g}")
        version, index = shop(dataset)
        if category is not None and category not in index.category_nodes:
            raise HTTPException(422, f"unknown category {category!r} in dataset {dataset!r} (see /v1/datasets)")
        served = user_list(index, user_id, k, Filters(category, min_price, max_price), exclude_seen)
        return {
            "user_id": user_id,
            "dataset": dataset,
            "cold_start": served.cold_start,
            "snapshot": version,
            "items": served.items,
        }

    @app.get("/v1/items/{item_id}/similar")
    def similar(item_id: str, dataset: str, k: int = Query(10, ge=1, le=MAX_K)) -> dict:
        version, index = shop(dataset)
        if item_id not in index.position:
            raise HTTPException(404, f"unknown item {item_id!r} in dataset {dataset!r}")
        return {"item_id": item_id, "dataset": dataset, "snapshot": version, "items": similar_items(index, item_id, k)}

    @app.post("/v1/chat")
    def chat(request: ChatRequest) -> dict:
        version, index = shop(request.dataset)
        assistant = assistants.get((version, request.dataset))
        if assistant is None:
            # Built on a shop's first chat of a version (its BM25 index, category and title matchers); those of
            # older versions are let go, so a long-running server holds one set.
            for key in [key for key in assistants if key[0] != version]:
                del assistants[key]
            assistant = assistants[(version, request.dataset)] = ShopAssistant(index, encoder)
        previous = sessions.get(request.session_id, request.dataset)
        try:
            answer = assistant.answer(request.query, request.user_id, previous, request.k, request.exclude_seen)
        except ValueError as error:
            raise HTTPException(422, str(error)) from error
        session_id = sessions.put(request.session_id, request.dataset, answer.turn)
        return {
            "session_id": session_id,
            "snapshot": version,
            "parsed": answer.spec.to_json(),
            "items": answer.items,
            "unmet": answer.unmet,
            "suggestions": answer.suggestions,
        }

    @app.post("/v1/feedback", status_code=202)
    def feedback(request: FeedbackRequest) -> dict:
        _, index = shop(request.dataset)
        if request.item_id not in index.position:
            raise HTTPException(404, f"unknown item {request.item_id!r} in dataset {request.dataset!r}")
        path = write_feedback(landing, request.dataset, request.user_id, request.item_id, request.event)
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


def _example_users(index: ShopIndex, n: int = 5) -> list[str]:
    """A few users with cached lists, the most active first, for the page's user picker."""
    users = sorted(index.history, key=lambda user: -len(index.history[user]["rows"]))
    return [user for user in users if user in index.lists][:n]


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
