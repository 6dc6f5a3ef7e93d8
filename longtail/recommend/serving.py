"""The served recommendations: the hybrid with the settings the offline evaluation chose, fitted on all of a
dataset's history, and the lists it gives (score, tail flag, reason), plus one list for a user without history.

The choice is made offline and then served, as in production: ``served_settings`` turns an evaluation report
into the settings to serve, ``build_served_hybrid`` fits the hybrid with them and ``serve_recommendations``
writes every user's list with it. A dataset the evaluation could not split gets the hybrid's defaults (empty
``settings``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from longtail.data.interactions import ORDER_FROM_LAST, InteractionMatrix, interaction_matrix, with_orders_from_last
from longtail.language.item_sentiment import sentiment_quality
from longtail.privacy.dp import PrivacySettings
from longtail.recommend.cards import item_cards, one_per_card
from longtail.recommend.evaluation.split import recency_weights
from longtail.recommend.explanations import POPULAR, alike_enough, explain, reason_text
from longtail.recommend.item_vectors import align_vectors
from longtail.recommend.models.hybrid import LongTailHybrid
from longtail.recommend.neighbours import neighbour_matrix
from longtail.recommend.text import display_titles, titles_from_reviews

COLD_START_USER = "<new user>"
# Days; the recency half-life of a dataset served without evaluated settings.
DEFAULT_HALF_LIFE = 30.0
# Candidates ranked per list slot: items whose cards read as one listed above, or as one the user has, are left out
# (``one_per_card``), and the next candidates take their places: of the Magazine shop's 20-item lists 65% lose one or
# more, at most 5 (the demo of 2026-12-06), and none comes out short.
CANDIDATES_PER_SLOT = 2
LIST_COLUMNS = ["user_id", "rank", "item_id", "score", "is_tail", "reason_kind", "anchor_item_id", "title", "reason"]


@dataclass(frozen=True)
class ServedModel:
    """A fitted hybrid with its ``matrix`` (user and item ids of its rows and columns) and the ``settings`` it
    serves (the hybrid's settings, ``content_weight`` 0 where no item has a vector)."""

    model: LongTailHybrid
    matrix: InteractionMatrix
    settings: dict


def served_settings(report: dict) -> dict:
    """The settings ``build_served_hybrid`` serves from an ``evaluate_offline`` report: EASE's tuned ``l2``, ALS's
    tuned settings (``als_settings``, fitted where the chosen ``als_weight`` is above 0), the hybrid's chosen
    scoring settings, the recency ``half_life`` and its unit: the ``time_column`` validation chose it on ("ts":
    days; "order_from_last": orders)."""
    tuning = report["tuning"]
    return {
        "l2": tuning["ease_l2"],
        "als_settings": tuning["baselines"]["ALS"]["chosen"],
        **tuning["hybrid"],
        "half_life": tuning["half_life"],
        "time_column": report["split"]["time_column"],
    }


def build_served_hybrid(
    interactions: pd.DataFrame,
    settings: dict,
    *,
    item_vectors: tuple[np.ndarray, np.ndarray] | None = None,
    review_scores: pd.DataFrame | None = None,
    privacy: PrivacySettings | None = None,
) -> ServedModel:
    """The hybrid of ``settings`` fitted on all of ``interactions``.

    Args:
        interactions: ``user_id, item_id, ts`` rows of one dataset.
        settings: as ``served_settings`` gives them (any subset; missing ones take the hybrid's defaults and
            ``half_life`` ``DEFAULT_HALF_LIFE`` days). Recency is weighed in the unit of ``time_column``
            (``served_recency``).
        item_vectors: optional ``(item_ids, vectors)``, ``(n,)`` ids and an ``(n, dim)`` matrix; without any,
            the content term is left out whatever ``content_weight`` says.
        review_scores: optional reviews ``item_id, score`` (score in [-1, 1]) giving the items' sentiment quality.
        privacy: with it the hybrid's popularity and "popular now" counts are differentially private
            (``LongTailHybrid``'s ``privacy``); None (the default) keeps them exact.
    """
    chosen = dict(settings)
    half_life = chosen.pop("half_life", DEFAULT_HALF_LIFE)
    time_column = chosen.pop("time_column", "ts")
    content_weight = chosen.pop("content_weight", 0.0)
    matrix = interaction_matrix(interactions)
    recency = served_recency(interactions, matrix, half_life, time_column)
    vectors = align_vectors(item_vectors, matrix.item_ids)
    if vectors is None:  # no item of this dataset has a text to embed
        content_weight = 0.0
    quality = sentiment_quality(review_scores, matrix.item_ids) if review_scores is not None else None
    model = LongTailHybrid(
        item_vectors=vectors, content_weight=content_weight, item_quality=quality, privacy=privacy, **chosen
    )
    model.fit(matrix.matrix, recency=recency)
    return ServedModel(model, matrix, chosen | {"content_weight": content_weight})


def served_recency(
    interactions: pd.DataFrame, matrix: InteractionMatrix, half_life: float, time_column: str = "ts"
) -> sp.csr_matrix:
    """The recency weights of ``matrix``'s users and items as validation measured them: ``half_life`` in days of
    ``ts`` as of the latest event, or for ``time_column`` "order_from_last" in each user's own orders
    (``longtail.data.interactions.with_orders_from_last``) as of the user's next order, as the evaluation weighs
    its training side as of each user's held-out basket."""
    if time_column == "ts":
        as_of = interactions["ts"].max()
    elif time_column == ORDER_FROM_LAST:
        interactions, as_of = with_orders_from_last(interactions), 1
    else:
        raise ValueError(f"time_column must be 'ts' or {ORDER_FROM_LAST!r}, got {time_column!r}")
    return recency_weights(
        interactions, matrix.user_ids, matrix.item_ids, as_of=as_of, half_life=half_life, time_column=time_column
    )


def recommend_locally(
    model: LongTailHybrid, n_users: int, k: int, *, exclude_seen: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """``(items, scores)`` of users ``0 .. n_users - 1``, each ``(n_users, k)``, from ``model.recommend`` in this
    process: ``serve_recommendations``' default ``recommend``."""
    return model.recommend(np.arange(n_users), k, exclude_seen=exclude_seen, return_scores=True)


@dataclass(frozen=True)
class ServedLists:
    """One dataset's ``lists`` (``LIST_COLUMNS``) and their ``summary`` (see ``serve_recommendations``)."""

    lists: pd.DataFrame
    summary: dict


def serve_recommendations(
    interactions: pd.DataFrame,
    settings: dict,
    *,
    item_vectors: tuple[np.ndarray, np.ndarray] | None = None,
    review_scores: pd.DataFrame | None = None,
    items: pd.DataFrame | None = None,
    neighbours: pd.DataFrame | None = None,
    review_mentions: pd.Series | None = None,
    products: pd.Series | None = None,
    list_length: int = 20,
    exclude_seen: bool = True,
    privacy: PrivacySettings | None = None,
    recommend: Callable[..., tuple[np.ndarray, np.ndarray]] = recommend_locally,
) -> ServedLists:
    """Every user's top ``list_length`` items from ``build_served_hybrid``, and the list of a new user
    (``user_id`` ``COLD_START_USER``).

    Args:
        interactions, settings, item_vectors, review_scores: as ``build_served_hybrid``.
        items: ``item_id, title`` and optionally ``category, brand, description`` of the catalogue: lists and
            reasons show each item's ``display_titles`` (its title, the name its description opens with, or its
            category and brand), and its id without any.
        review_mentions: optional phrases an item's reviews mention most, by item id
            (``longtail.language.review_facts.mentioned_phrases``): an item no catalogue field names is shown as
            ``titles_from_reviews`` gives it ("B0009RF9DW (reviews mention body, scent, shower)").
        products: optional product of each item, by item id (``longtail.recommend.cards.review_products``): the ids
            of one product are one card, so a list shows one of them, and none of a product the user has.
        neighbours: optional ``item_id, neighbour_id, score`` rows of a content or blended similarity (as
            ``longtail.recommend.neighbours.neighbour_table`` writes them): they explain the items that no
            co-purchase explains, where the two items' vectors are alike enough to say so (``alike_enough``).
        list_length, exclude_seen: as ``Recommender.recommend``.
        privacy: as ``build_served_hybrid``: the list of a new user ("popular now") is then drawn from
            differentially private counts.
        recommend: what computes the known users' lists, called as ``recommend(model, n_users, k,
            exclude_seen=...)`` and returning ``Recommender.recommend``'s ``(items, scores)`` for users ``0 ..
            n_users - 1``: ``recommend_locally`` (the default) in this process, or another engine
            (``functools.partial(longtail.spark.lists.recommend_on_spark, spark)``).

    Returns:
        ``lists`` with ``LIST_COLUMNS``, ranks from 1: ``score`` is the model's (NaN for the new user),
        ``reason_kind`` "bought", "similar" or "popular" with the ``anchor_item_id`` that led to the item and
        ``reason`` the text; ``summary``: users, rows, distinct items, catalogue size, the tail share of list
        items, how many of the known users' top ``list_length`` items were left out for repeating a card
        (``one_per_card``: one listed above, or one the user has, with ``exclude_seen``) and the served settings
        (JSON).
    """
    served = build_served_hybrid(
        interactions, settings, item_vectors=item_vectors, review_scores=review_scores, privacy=privacy
    )
    model, matrix = served.model, served.matrix
    similarity = None if neighbours is None else neighbour_matrix(neighbours, matrix.item_ids)
    similarity = alike_enough(similarity, model.item_vectors)  # what may be called similar
    n_users = len(matrix.user_ids)
    candidates = CANDIDATES_PER_SLOT * list_length
    recommended, scores = recommend(model, n_users, candidates, exclude_seen=exclude_seen)
    if recommended.shape != (n_users, candidates) or scores.shape != (n_users, candidates):
        raise ValueError(
            f"recommend gave items {recommended.shape} and scores {scores.shape} for {n_users} users and "
            f"{candidates} candidates; both must be {(n_users, candidates)}"
        )
    titles = item_titles(items, review_mentions)
    cards = item_cards(matrix.item_ids, titles, items, interactions, products)
    recommended, scores, repeats = one_per_card(
        recommended, scores, cards, list_length, seen=model.interactions_ if exclude_seen else None
    )
    anchors, kinds = explain(model.history_, recommended, model.ease_.pair_weights, similarity)
    known = _rows(matrix, recommended, scores, anchors, kinds, model.tail_)
    cold = model.recommend_cold(candidates)
    cold_scores = np.zeros(cold.shape, dtype=np.float32)
    cold = one_per_card(cold[None, :], cold_scores[None, :], cards, list_length)[0][0]
    cold = cold[cold >= 0]
    new_user = pd.DataFrame(
        {
            "user_id": COLD_START_USER,
            "rank": np.arange(1, len(cold) + 1),
            "item_id": matrix.item_ids[cold],
            "score": np.float32(np.nan),
            "is_tail": model.tail_[cold],
            "reason_kind": POPULAR,
            "anchor_item_id": None,
        }
    )
    lists = pd.concat([known, new_user], ignore_index=True)
    lists["title"] = lists["item_id"].map(titles)
    anchor_titles = lists["anchor_item_id"].map(titles).fillna(lists["anchor_item_id"])
    lists["reason"] = [
        reason_text(kind, anchor, bool(is_tail))
        for kind, anchor, is_tail in zip(lists["reason_kind"], anchor_titles, lists["is_tail"])
    ]
    return ServedLists(lists[LIST_COLUMNS], _summary(served, lists, int(repeats.sum())))


def item_titles(items: pd.DataFrame | None, review_mentions: pd.Series | None) -> pd.Series:
    """The display title (``display_titles``) of each catalogue item, else the one its reviews give
    (``titles_from_reviews``), by item id."""
    from_reviews = titles_from_reviews(review_mentions if review_mentions is not None else pd.Series(dtype="string"))
    if items is None or not len(items):
        return from_reviews
    catalogue = items.set_index("item_id")
    fields = [
        catalogue[column].astype("string") if column in catalogue else None
        for column in ("category", "brand", "description")
    ]
    named = display_titles(catalogue["title"].astype("string"), *fields)
    return named.combine_first(from_reviews)


def _summary(served: ServedModel, lists: pd.DataFrame, repeats: int) -> dict:
    known = lists[lists["user_id"] != COLD_START_USER]
    return {
        "users": known["user_id"].nunique(),
        "rows": len(lists),
        "distinct_items": known["item_id"].nunique(),
        "catalogue": int(served.model.n_items_),
        "tail_share_of_list_items": round(float(known["is_tail"].mean()), 4) if len(known) else None,
        "repeated_cards_left_out": repeats,
        "settings": json.dumps(served.settings),
    }


def _rows(matrix: InteractionMatrix, recommended, scores, anchors, kinds, tail) -> pd.DataFrame:
    """The filled slots of the ``(n_users, k)`` arrays as rows, user by user and rank by rank."""
    n_users, k = recommended.shape
    filled = recommended >= 0
    item = recommended[filled]
    anchor = anchors[filled]
    return pd.DataFrame(
        {
            "user_id": np.repeat(matrix.user_ids, k).reshape(n_users, k)[filled],
            "rank": np.tile(np.arange(1, k + 1), n_users).reshape(n_users, k)[filled],
            "item_id": matrix.item_ids[item],
            "score": scores[filled].astype(np.float32),
            "is_tail": tail[item],
            "reason_kind": kinds[filled],
            "anchor_item_id": np.where(anchor >= 0, matrix.item_ids[np.maximum(anchor, 0)], None),
        }
    )
