"""Item vectors, computed incrementally: ``plan_embedding_refresh`` + ``refresh_embeddings`` re-embed only the items
that are new, whose ``text_hash`` changed (see ``longtail.recommend.text``) or that were embedded by another model,
and reuse every other stored vector; ``refresh_catalogue_embeddings`` does so for every dataset of a catalogue.

Stored format (``EMBEDDING_COLUMNS``): one row per item with ``item_id``, ``text_hash``, ``model`` (the name from
``longtail.recommend.embedding.canonical_model_name``, plus the extra-text weight where extra text is blended in:
``vector_identity``) and ``embedding``, a 1-D ``float32`` numpy array of length ``dim`` per row (a DuckDB
``FLOAT[dim]`` column; lists read back from the warehouse are accepted too). ``stack_embeddings`` turns the column
into an ``(n, dim)`` matrix and ``align_vectors`` lays stored vectors out on a model's item axis.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from longtail.recommend.embedding import EXTRA_TEXT_WEIGHT
from longtail.recommend.text import CATALOGUE_SOURCE
from longtail.validation import require_columns

EMBEDDING_COLUMNS = ["item_id", "text_hash", "model", "embedding"]


@dataclass(frozen=True)
class EmbeddingPlan:
    """Which items ``refresh_embeddings`` encodes, reuses or drops.

    ``to_embed`` (in the order of the current items) and ``reused`` partition the current ``item_id``s;
    ``removed`` holds stored ``item_id``s that are no longer current. ``n_new``, ``n_text_changed`` and
    ``n_model_changed`` say why items are in ``to_embed`` (a stored item whose model and text both changed
    counts as a model change).
    """

    to_embed: pd.Index
    reused: pd.Index
    removed: pd.Index
    n_new: int
    n_text_changed: int
    n_model_changed: int

    def counts(self) -> dict[str, int]:
        """Sizes of each part, e.g. for run metadata."""
        return {
            "to_embed": len(self.to_embed),
            "reused": len(self.reused),
            "removed": len(self.removed),
            "new": self.n_new,
            "text_changed": self.n_text_changed,
            "model_changed": self.n_model_changed,
        }


def embed_item_texts(
    items: pd.DataFrame, encode: Callable[[list[str]], np.ndarray], extra_weight: float = EXTRA_TEXT_WEIGHT
) -> np.ndarray:
    """Unit ``float32`` vectors of shape ``(len(items), dim)``, row ``i`` for row ``i`` of ``items``.

    ``items`` has ``text`` and optionally ``extra_text`` (see ``longtail.recommend.text.build_item_text``). A row's
    vector is ``encode(text)``, or with a non-empty ``extra_text`` the unit-length ``encode(text) + extra_weight *
    encode(extra_text)``. ``encode`` (texts -> ``(n, dim)`` vectors) is called once for the texts and at most
    once more for the extra texts. ``extra_weight`` must be a finite number >= 0.
    """
    require_columns(items, ["text"], "items")
    _check_weight(extra_weight)
    vectors = _encoded(encode, items["text"].tolist())
    extra = _has_extra(items)
    if extra.any():
        extra_vectors = _encoded(encode, items.loc[extra, "extra_text"].tolist())
        if extra_vectors.shape[1] != vectors.shape[1]:
            raise ValueError(f"encode gave {extra_vectors.shape[1]}-d extra vectors for {vectors.shape[1]}-d texts")
        vectors[extra] = blend_extra(vectors[extra], extra_vectors, extra_weight)
    return vectors


def blend_extra(vectors: np.ndarray, extra_vectors: np.ndarray, extra_weight: float) -> np.ndarray:
    """Unit-length rows of ``vectors + extra_weight * extra_vectors`` (both ``(n, dim)``), as ``float32``."""
    _check_weight(extra_weight)
    blended = np.asarray(vectors, dtype=np.float32) + np.float32(extra_weight) * np.asarray(extra_vectors, np.float32)
    return blended / np.maximum(np.linalg.norm(blended, axis=1, keepdims=True), np.finfo(np.float32).tiny)


def vector_identity(items: pd.DataFrame, model_name: str, extra_weight: float = EXTRA_TEXT_WEIGHT) -> np.ndarray:
    """What each item's stored vector records as its ``model``: ``model_name``, with " + extra text x{weight}"
    for items whose extra text is blended in, so that changing the model or the weight re-embeds them."""
    _check_weight(extra_weight)
    return np.where(_has_extra(items), f"{model_name} + extra text x{extra_weight:g}", model_name).astype(object)


def plan_embedding_refresh(
    current: pd.DataFrame, stored: pd.DataFrame, model_name: str, extra_weight: float = EXTRA_TEXT_WEIGHT
) -> EmbeddingPlan:
    """Compare current item texts with stored vectors.

    ``current`` has one row per ``item_id`` with ``text_hash`` and optionally ``extra_text`` (as from
    ``longtail.recommend.text.build_item_text``); ``stored`` has one row per ``item_id`` with ``text_hash`` and
    ``model`` (a previous ``refresh_embeddings`` result); an empty ``stored``, with or without columns, means nothing is
    stored. An item is embedded when it is not stored, its stored ``text_hash`` differs (or is null), or its
    stored ``model`` differs from its ``vector_identity``; otherwise its stored vector is reused. Raises
    ``ValueError`` on missing columns or repeated ``item_id``s.
    """
    require_columns(current, ["item_id", "text_hash"], "current")
    _check_unique_ids(current, "current")
    if current["text_hash"].isna().any():
        raise ValueError("current has null text_hash values")
    if stored.empty:
        stored = pd.DataFrame({"item_id": pd.Series([], dtype=object), "text_hash": [], "model": []})
    require_columns(stored, ["item_id", "text_hash", "model"], "stored")
    _check_unique_ids(stored, "stored")
    ids = pd.Index(current["item_id"])
    previous = stored.set_index("item_id")[["text_hash", "model"]].reindex(ids)
    is_new = ~ids.isin(stored["item_id"])
    model_changed = ~is_new & _differs(previous["model"], vector_identity(current, model_name, extra_weight))
    text_changed = ~is_new & ~model_changed & _differs(previous["text_hash"], current["text_hash"].to_numpy())
    embed = is_new | model_changed | text_changed
    return EmbeddingPlan(
        to_embed=ids[embed],
        reused=ids[~embed],
        removed=pd.Index(stored["item_id"])[~stored["item_id"].isin(ids).to_numpy()],
        n_new=int(is_new.sum()),
        n_text_changed=int(text_changed.sum()),
        n_model_changed=int(model_changed.sum()),
    )


def refresh_embeddings(
    current: pd.DataFrame,
    stored: pd.DataFrame,
    encode: Callable[[list[str]], np.ndarray],
    model_name: str,
    extra_weight: float = EXTRA_TEXT_WEIGHT,
) -> tuple[pd.DataFrame, EmbeddingPlan]:
    """The full embedding table for ``current``, encoding only what ``plan_embedding_refresh`` asks for.

    ``current`` needs ``item_id``, ``text`` and ``text_hash`` (``extra_text`` optional); ``stored`` is the
    previous table (``EMBEDDING_COLUMNS``, or empty). The items of ``plan.to_embed`` are embedded by
    ``embed_item_texts`` (so ``encode`` sees their texts in that order, then their non-empty extra texts), and
    ``encode`` must return a ``float32``-convertible array of shape ``(len(texts), dim)`` whose ``dim`` matches
    the reused vectors. Returns ``(frame, plan)``: ``frame`` has ``EMBEDDING_COLUMNS``, one row per current item
    in the order of ``current``, ``model`` set to its ``vector_identity``, and ``embedding`` a 1-D ``float32``
    array per row; stored rows of removed items are dropped.
    """
    require_columns(current, ["item_id", "text", "text_hash"], "current")
    _check_unique_ids(current, "current")
    plan = plan_embedding_refresh(current, stored, model_name, extra_weight)
    by_id = current.set_index("item_id")
    vectors: dict[object, np.ndarray] = {}
    if len(plan.reused):
        require_columns(stored, ["embedding"], "stored")
        reused = stored.set_index("item_id")["embedding"].loc[plan.reused]
        vectors.update(zip(plan.reused, _as_vectors(reused)))
    if len(plan.to_embed):
        vectors.update(zip(plan.to_embed, embed_item_texts(by_id.loc[plan.to_embed], encode, extra_weight)))
    dims = {len(vector) for vector in vectors.values()}
    if len(dims) > 1:
        raise ValueError(f"new and reused vectors differ in length {sorted(dims)}; is model_name right?")
    ids = current["item_id"]
    frame = pd.DataFrame(
        {
            "item_id": ids.to_numpy(),
            "text_hash": current["text_hash"].to_numpy(),
            "model": vector_identity(current, model_name, extra_weight),
            "embedding": pd.Series([vectors[item_id] for item_id in ids], dtype=object),
        },
        columns=EMBEDDING_COLUMNS,
    )
    return frame, plan


@dataclass(frozen=True)
class CatalogueEmbeddings:
    """``tables``: dataset -> its full embedding table (``EMBEDDING_COLUMNS`` and ``dataset``); ``plans``:
    dataset -> what was encoded, reused and removed; ``encode_seconds``: the time spent in ``encode``."""

    tables: dict[str, pd.DataFrame]
    plans: dict[str, EmbeddingPlan]
    encode_seconds: float


def refresh_catalogue_embeddings(
    texts: pd.DataFrame,
    stored: pd.DataFrame,
    encode: Callable[[str, list[str]], np.ndarray],
    model_name: str,
    extra_weight: float = EXTRA_TEXT_WEIGHT,
    progress: Callable[[str], None] = lambda message: None,
) -> CatalogueEmbeddings:
    """``refresh_embeddings`` of each dataset of ``texts`` (item texts with a ``dataset`` column) against the
    ``stored`` vectors of the same dataset (the whole stored table, or empty). ``encode(dataset, texts)`` embeds
    one dataset's texts; ``progress`` gets a line per dataset before it is encoded. Datasets in sorted order."""
    tables, plans, seconds = {}, {}, 0.0
    for dataset, current in texts.groupby("dataset"):
        previous = stored[stored["dataset"] == dataset] if not stored.empty else stored
        plan = plan_embedding_refresh(current, previous, model_name, extra_weight)
        progress(f"{dataset}: {len(plan.to_embed):,} to embed, {len(plan.reused):,} reused")

        def timed(batch: list[str], dataset=dataset) -> np.ndarray:
            nonlocal seconds
            started = time.perf_counter()
            vectors = encode(dataset, batch)
            seconds += time.perf_counter() - started
            return vectors

        frame, plans[dataset] = refresh_embeddings(current, previous, timed, model_name, extra_weight)
        tables[dataset] = frame.assign(dataset=dataset)
    return CatalogueEmbeddings(tables, plans, seconds)


def align_vectors(vectors: tuple[np.ndarray, np.ndarray] | None, item_ids: np.ndarray) -> np.ndarray | None:
    """Stored vectors laid out on a model's item axis.

    ``vectors`` is ``(ids, matrix)``: ids of shape ``(n,)`` and a ``(n, dim)`` matrix (as
    ``longtail.data.warehouse.read_vectors`` returns them), or None. Returns ``float32`` of shape
    ``(len(item_ids), dim)``, row ``i`` the vector of ``item_ids[i]`` and zeros for items without one; None when
    there are no vectors at all.
    """
    if vectors is None or not len(vectors[0]):
        return None
    ids, matrix = vectors
    rows = pd.Index(ids).get_indexer(item_ids)
    out = np.zeros((len(item_ids), matrix.shape[1]), dtype=np.float32)
    out[rows >= 0] = matrix[rows[rows >= 0]]
    return out


def with_replaced_rows(
    vectors: tuple[np.ndarray, np.ndarray], ids: np.ndarray, replacement: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``vectors`` (``(ids, matrix)``) with the rows of ``ids`` replaced by the rows of ``replacement`` (``(len(ids),
    dim)``); ids not among the vectors are ignored, and the stored matrix is left unchanged."""
    stored_ids, matrix = vectors
    matrix = matrix.copy()
    rows = pd.Index(stored_ids).get_indexer(ids)
    known = rows >= 0
    matrix[rows[known]] = np.asarray(replacement)[known]
    return stored_ids, matrix


def catalogue_text_vectors(
    vectors: tuple[np.ndarray, np.ndarray], texts: pd.DataFrame, encode: Callable[[list[str]], np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """``vectors`` (stored ``(ids, matrix)`` of one dataset) with every item that has an ``extra_text`` in ``texts``
    (``item_id``, ``text``, ``extra_text``, ``text_source``, as ``longtail.recommend.text.build_item_text`` gives
    them) re-encoded from its catalogue ``text`` alone, and without the items whose text is not the catalogue's
    (``text_source`` without "catalogue": a review-only item's text is its reviews'). The catalogue text does not
    change with time, while a published description or the reviews may say what was written after an evaluation's
    cut: these vectors are the ones an evaluation can use at any cut. ``encode`` is called once, on the
    re-encoded items' texts."""
    require_columns(texts, ["item_id", "text", "text_source"], "texts")
    from_catalogue = texts["text_source"].fillna("").astype(str).str.split("+").map(lambda s: CATALOGUE_SOURCE in s)
    if not from_catalogue.all():
        kept = ~np.isin(vectors[0], texts.loc[~from_catalogue, "item_id"].to_numpy())
        vectors = (vectors[0][kept], vectors[1][kept])
        texts = texts[from_catalogue]
    extra = _has_extra(texts)
    if not extra.any() or not len(vectors[0]):
        return vectors
    rows = texts[extra]
    return with_replaced_rows(vectors, rows["item_id"].to_numpy(), _encoded(encode, rows["text"].tolist()))


def stack_embeddings(frame: pd.DataFrame) -> np.ndarray:
    """The ``embedding`` column as a ``float32`` matrix of shape ``(len(frame), dim)``, row ``i`` for row ``i``
    of ``frame``; ``(0, 0)`` for an empty frame. Raises ``ValueError`` when vectors differ in length."""
    require_columns(frame, ["embedding"], "frame")
    if frame.empty:
        return np.empty((0, 0), dtype=np.float32)
    vectors = _as_vectors(frame["embedding"])
    dims = {len(vector) for vector in vectors}
    if len(dims) > 1:
        raise ValueError(f"embeddings differ in length: {sorted(dims)}")
    return np.stack(vectors)


def _as_vectors(column: pd.Series) -> list[np.ndarray]:
    """Each cell (array or list, as DuckDB gives it back) as a 1-D float32 array."""
    vectors = []
    for cell in column:
        vector = np.asarray(cell, dtype=np.float32)
        if vector.ndim != 1:
            raise ValueError(f"each embedding must be a 1-D vector, got shape {vector.shape}")
        vectors.append(vector)
    return vectors


def _encoded(encode: Callable[[list[str]], np.ndarray], texts: list[str]) -> np.ndarray:
    encoded = np.array(encode(texts), dtype=np.float32)
    if encoded.ndim != 2 or encoded.shape[0] != len(texts):
        raise ValueError(f"encode returned shape {encoded.shape} for {len(texts)} texts; expected (n, dim)")
    return encoded


def _has_extra(items: pd.DataFrame) -> np.ndarray:
    if "extra_text" not in items.columns:
        return np.zeros(len(items), dtype=bool)
    return items["extra_text"].fillna("").astype(str).str.strip().ne("").to_numpy()


def _check_weight(weight: float) -> None:
    if isinstance(weight, bool) or not isinstance(weight, int | float) or not np.isfinite(weight) or weight < 0:
        raise ValueError(f"extra_weight must be a finite number >= 0, got {weight!r}")


def _differs(stored: pd.Series, current) -> np.ndarray:
    """Boolean array: the stored value differs from ``current`` (a scalar or an array), a null always differing."""
    values = stored.astype(object).to_numpy()
    current = np.broadcast_to(np.asarray(current, dtype=object), values.shape)
    differs = pd.isna(values)
    # Compare only non-null cells: comparing pd.NA gives pd.NA, not a bool.
    differs[~differs] = values[~differs] != current[~differs]
    return differs


def _check_unique_ids(frame: pd.DataFrame, name: str) -> None:
    if frame["item_id"].duplicated().any():
        repeated = frame["item_id"][frame["item_id"].duplicated()].unique()[:10]
        raise ValueError(f"{name} must have one row per item_id; repeated: {', '.join(map(str, repeated))}")
