"""The shop assistant: a shopper's words to a spec (``longtail.serving.query``), then a ranked, filtered list.

Hard constraints (price, category, excluded words) are filters: no returned item violates them, and when too few
items pass, ``unmet`` says so instead of relaxing them. Soft intent (the query's free words and a "like X" item)
is matched both by embeddings over the item vectors and by BM25 over the item texts, blended with the user's taste
and cached hybrid list when the user is known, and then the tail calibration (stronger when the shopper asks for
something unusual): ``AssistantWeights``. Reasons are grounded in the data: the item named, the user's own
purchases, counted buyers and reviews.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from functools import lru_cache

import numpy as np

from longtail.serving.catalogue import Filters, ShopIndex
from longtail.serving.lexical import check_bm25_params, lexical_index, lexical_scores, lexical_tokens
from longtail.serving.lists import top_rows
from longtail.serving.occasions import ACCOMPANIMENT, without_event_nouns, without_gift_words
from longtail.serving.query import QuerySpec, ShownItem, parse_query
from longtail.serving.query_phrases import asks_about_price, asks_for_others, compares_price_with_shown
from longtail.serving.shop_vocabulary import ShopVocabulary
from longtail.serving.shopper_synonyms import BRITISH_AMERICAN
from longtail.serving.titles import ItemsCalled, ShopNames, TitleCategories, TitleFinder
from longtail.serving.vocabulary import REAL_WORD_MIN_TITLES, CategoryMatcher

# Above any popularity (at most 1): every tail item ranks before every head item.
TAIL_FIRST = 2.0
# Asked for the popular, the best matches among which the most bought are shown: this many per item shown.
POPULAR_POOL = 4
# Asked for a size or an amount ("size 4 nappies", "a 2 litre bottle of cola"), the bonus of an item whose title
# states it, and the malus of one whose title states another size of that kind: the amount is out of the free words
# (its unit alone matched any title), so without it "2 Liter Coke Zero" and "Coke Zero 12 Pack" are 0.78 and 0.82 in
# cosine to "coke zero". Small beside what separates the thing asked for from other kinds (Diet Coke 0.68, Coke Zero
# itself 1.0): a title that states the size reorders the sizes of a thing, and never outranks the thing.
MEASURE_BONUS = 0.1


@dataclass(frozen=True)
class AssistantWeights:
    """How the assistant blends its signals into one score per item (all scores are in about [0, 1]):
    ``semantic`` the cosine of the query's free words (and a "like X" item) to the item, ``lexical`` BM25 of the
    free words over the item's text (scaled by the best item's), ``user`` the cosine of the user's taste (the mean
    of their items) to the item, ``cached`` a bonus for items of the user's cached hybrid list (first place the
    most), and ``tail`` a bonus for tail items; ``tail_asked`` replaces ``tail`` when the shopper asks for the
    unusual, as a bonus graded by how little known an item is (``Signals.scores``), and 0 when they ask for the
    popular (``Signals.top`` then orders the best matches by buyers). The defaults were chosen on Online Retail's
    validation sessions; a shop is served with its own where ``assistant_settings`` tuned them
    (``served_assistant``)."""

    semantic: float = 1.0
    lexical: float = 0.5
    user: float = 0.3
    cached: float = 0.1
    tail: float = 0.02
    tail_asked: float = 0.2

    def __post_init__(self):
        for name, value in asdict(self).items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value) or value < 0:
                raise ValueError(f"assistant weight {name} must be a finite number >= 0, got {value!r}")


@dataclass(frozen=True)
class Turn:
    """What a session remembers of its last turn: the spec, the items shown, in order, and the ids of those it set
    aside as shown before (``ShopAssistant._moved_from``), so that each "show me more" shows others again."""

    spec: QuerySpec
    shown: tuple[ShownItem, ...] = ()
    set_aside: tuple[str, ...] = ()


@dataclass(frozen=True)
class Answer:
    spec: QuerySpec
    items: list[dict]
    unmet: list[str]
    suggestions: list[str]
    turn: Turn = field(repr=False)


@dataclass(frozen=True)
class Signals:
    """One query's signals over all items (``(n_items,)`` arrays, zeros where absent), before weighting; the
    parsed hard ``filters`` and ``allowed``, their mask less the "like X" item and (usually) the user's own items;
    ``user_id`` None when the user is unknown; the shop's ``card_keys`` (``ShopIndex.card_keys``); ``words`` the
    query's free words as the lexical match reads them (``lexical_tokens``); ``moved_from`` (n_items,) bool, the
    items the shopper asked to move away from (those shown or set aside before, when this turn asks for others, the
    unusual, cheaper or pricier: ``ShopAssistant._moved_from``), or None; ``later`` (n_items,) bool, the items ranked
    after every other allowed item: those, and, asked for a present, what goes with one (``ShopAssistant.later``);
    ``measured`` (n_items,) floats, 1 where an item's title states a size or amount the shopper asked for, -1 where
    it states another of that kind (``ShopIndex.measure_agreement``), or None."""

    spec: QuerySpec
    filters: Filters
    allowed: np.ndarray
    semantic: np.ndarray
    lexical: np.ndarray
    user: np.ndarray
    cached: np.ndarray
    popularity: np.ndarray
    like_row: int | None
    user_id: str | None
    cached_reason: dict
    card_keys: np.ndarray
    words: tuple[str, ...] = ()
    moved_from: np.ndarray | None = None
    later: np.ndarray | None = None
    measured: np.ndarray | None = None

    def scores(self, weights: AssistantWeights, is_tail: np.ndarray) -> np.ndarray:
        scores = weights.semantic * self.semantic + weights.lexical * self.lexical
        if self.measured is not None:
            scores = scores + MEASURE_BONUS * self.measured
        scores = scores + weights.user * self.user + weights.cached * self.cached
        if not (self.semantic.any() or self.lexical.any() or self.user.any() or self.cached.any()):
            # Nothing semantic or personal to go on: the shop's most bought items first. Asked only for the unusual
            # ("hidden gems", "something unusual under £3"), its tail first, the most bought of it first: how many
            # bought an item is then the only sign that it is any good, and the bestsellers are what was not asked.
            if self.spec.novelty == "tail":
                return self.popularity + TAIL_FIRST * is_tail
            scores = scores + self.popularity
        if self.spec.novelty == "tail":
            # Asked for the unusual, the less known an item, the more it gains: a bonus for every tail item alike
            # left a list of tail items as it was, and "something more unusual" showed the same answer again.
            return scores + weights.tail_asked * (1.0 - self.popularity)
        if self.spec.novelty == "any":
            return scores  # asked for the popular: no bonus for the tail (``top`` orders the best by buyers)
        return scores + weights.tail * is_tail

    def top(self, weights: AssistantWeights, is_tail: np.ndarray, k: int) -> np.ndarray:
        """Rows of the ``k`` best allowed items under ``weights``, best first, no two with cards that read the same
        (``card_keys``); the items of ``later`` only after every other allowed item."""
        scores = np.where(self.allowed, self.scores(weights, is_tail), -np.inf)
        if self.later is None:
            return self._best(scores, k)
        first = self._best(np.where(self.later, -np.inf, scores), k)
        return np.concatenate([first, self._best(np.where(self.later, scores, -np.inf), k - len(first))])

    def _best(self, scores: np.ndarray, k: int) -> np.ndarray:
        """The ``k`` best rows by ``scores``; asked for the popular, the most bought of the ``POPULAR_POOL * k`` best
        first."""
        if self.spec.novelty == "any":
            # Asked for the popular ("the most popular coffee"), the shop's search sorted by bestselling: a score
            # bonus (0.2 x popularity) fitted as often, with median buyers 53 against 155 (bench/novelty_answers.py).
            pool = top_rows(scores, POPULAR_POOL * k, self.card_keys)
            return pool[np.argsort(-self.popularity[pool], kind="stable")][:k]
        return top_rows(scores, k, self.card_keys)


class ShopAssistant:
    """Answers chat queries in one shop. ``encode(texts) -> (n, dim)`` unit rows must be the model that embedded
    the shop's items (their cosine is the semantic match); ``bm25_params`` (``k1``, ``b``) set the lexical match
    (``lexical_index``)."""

    def __init__(
        self,
        index: ShopIndex,
        encode: Callable[[Sequence[str]], np.ndarray],
        weights: AssistantWeights = AssistantWeights(),
        bm25_params: Mapping[str, float] | None = None,
    ):
        self.index = index
        self.weights = weights
        self._encode_one = lru_cache(maxsize=4096)(lambda text: encode([text])[0])
        nodes = index.category_nodes
        # Item clusters are the shop's guesses, which no shopper names: a cluster only the query's embedding points
        # to would be a hard filter the shopper never asked for (it dropped the item named in 16 of 300 two-word
        # Online Retail test sessions), so a cluster filters only where the words name its whole label.
        guesses = bool(nodes) and not index.categories_are_clusters
        matcher = CategoryMatcher(nodes, encode) if guesses else (lambda phrase: None)
        titles = TitleFinder(index.item_ids, index.titles)
        read_titles = (
            {
                "title_category": TitleCategories(index.titles, index.categories),
                "items_called": ItemsCalled(index.titles, index.categories),
            }
            if guesses
            else {}
        )
        self.vocabulary = ShopVocabulary(
            category_paths=nodes,
            price_quantiles=index.price_quantiles,
            find_item=titles,
            match_category=matcher,
            find_shown=titles.among,
            **read_titles,
            title_words=titles.common_words(REAL_WORD_MIN_TITLES),
        )
        self._bm25 = lexical_index(index.search_texts(), bm25_params)
        self._shop_names = ShopNames(titles, BRITISH_AMERICAN)
        self._accompaniments = np.array([bool(ACCOMPANIMENT.search(title)) for title in index.titles], dtype=bool)
        self._popularity = (
            np.log1p(index.buyers) / max(np.log1p(index.buyers.max()), 1.0) if len(index) else np.zeros(0)
        )

    def answer(
        self,
        query: str,
        user_id: str | None = None,
        previous: Turn | None = None,
        k: int = 10,
        exclude_seen: bool = True,
    ) -> Answer:
        """The items for ``query`` (hard filters applied, at most ``k``), from a known ``user_id``'s point of view
        (without what they bought or what reads the same, ``ShopIndex.seen``, unless ``exclude_seen`` is False),
        refining the session's ``previous`` turn."""
        signals = self.signals(query, user_id, previous, exclude_seen)
        index = self.index
        scores = signals.scores(self.weights, index.is_tail)
        rows = signals.top(self.weights, index.is_tail, k)
        items = [index.card(row, scores[row], self._reasons(signals, row)) for row in rows]
        shown = tuple(ShownItem(index.item_ids[row], _price(index.prices[row])) for row in rows)
        set_aside = () if signals.moved_from is None else tuple(index.item_ids[signals.moved_from].tolist())
        fresh = None if signals.moved_from is None else int(np.sum(~signals.moved_from[rows]))
        n_allowed = int(signals.allowed.sum())
        unmet = self._unmet(query, signals.filters, n_allowed, k, fresh)
        more = n_allowed > k and (fresh is None or fresh >= k)  # else ``unmet`` says that no more are left
        turn = Turn(signals.spec, shown, set_aside)
        return Answer(signals.spec, items, unmet, self._suggestions(signals.spec, more), turn)

    def signals(
        self, query: str, user_id: str | None = None, previous: Turn | None = None, exclude_seen: bool = True
    ) -> Signals:
        """Parse ``query`` (refining ``previous``) and compute every signal once; ``Signals.scores`` weighs them."""
        index = self.index
        spec = parse_query(
            query, self.vocabulary, previous.spec if previous else None, previous.shown if previous else ()
        )
        filters = Filters(spec.category, spec.min_price, spec.max_price, spec.exclude, spec.diet)
        allowed = index.mask(filters)
        like_row = index.position.get(spec.like_item) if spec.like_item else None
        if like_row is not None:
            allowed[like_row] = False
        user_id = user_id if user_id is not None and index.knows_user(user_id) else None
        if user_id is not None and exclude_seen:
            allowed &= ~index.seen(user_id)
        zeros = np.zeros(len(index))
        semantic, lexical = zeros, zeros
        text = self._shop_names(spec.text.strip().lower())
        matched = without_event_nouns(without_gift_words(text) if "gift" in spec.occasion else text)
        intent = []
        if index.vectors is not None:
            if matched:
                intent.append(self._encode_one(matched))
            if like_row is not None and np.any(index.vectors[like_row]):
                intent.append(index.vectors[like_row])
        if intent:
            semantic = sum(index.vectors @ vector for vector in intent) / len(intent)
        if matched:
            lexical = self._lexical(matched)
        moved_from = self._moved_from(query, spec, previous)
        taste = index.taste(user_id) if user_id is not None else None
        user = index.vectors @ taste if taste is not None else zeros
        cached, cached_reason = zeros.copy(), {}
        listed = index.cached_list(user_id) if user_id is not None else None
        if listed is not None and len(listed["rows"]):
            cached[listed["rows"]] = 1 - np.arange(len(listed["rows"])) / len(listed["rows"])
            cached_reason = dict(zip(listed["rows"].tolist(), listed["reason"]))
        return Signals(
            spec,
            filters,
            allowed,
            semantic,
            lexical,
            user,
            cached,
            self._popularity,
            like_row,
            user_id,
            cached_reason,
            index.card_keys,
            tuple(dict.fromkeys(lexical_tokens(matched))) if matched else (),
            moved_from,
            self.later(spec, moved_from),
            index.measure_agreement(spec.measure) if spec.measure else None,
        )

    def later(self, spec: QuerySpec, moved_from: np.ndarray | None) -> np.ndarray | None:
        """``moved_from`` and, asked for an occasion or a person without naming a card or wrapping, the items that go
        with a present (``ACCOMPANIMENT``): no present, they were a tenth of the answers' items to gift queries."""
        if not spec.occasion or ACCOMPANIMENT.search(spec.text):
            return moved_from
        return self._accompaniments if moved_from is None else moved_from | self._accompaniments

    def _moved_from(self, query: str, spec: QuerySpec, previous: Turn | None) -> np.ndarray | None:
        """The items (and those whose cards read the same) that the last turn showed or set aside, when this turn
        asks for others ("show me more", "anything else?", but not "any more like the third one?"), for the unusual
        after a turn that did not ("something more unusual") or, in a shop with prices, for cheaper or pricier than
        them ("cheaper"): the shopper has seen them. None otherwise: "no candles" or "under £3" may keep some."""
        if previous is None:
            return None
        others = asks_for_others(query) and spec.like_item == previous.spec.like_item
        unusual = spec.novelty == "tail" and previous.spec.novelty != "tail"
        repriced = bool(self.index.price_quantiles) and compares_price_with_shown(query)
        if not (others or unusual or repriced):
            return None
        seen = [*previous.set_aside, *(item.item_id for item in previous.shown)]
        rows = [self.index.position[item_id] for item_id in seen if item_id in self.index.position]
        return np.isin(self.index.card_keys, self.index.card_keys[rows])

    def _lexical(self, text: str) -> np.ndarray:
        """BM25 of ``text`` over the items' texts, divided by the best item's (0 when no word matches)."""
        scores = lexical_scores(self._bm25, text, len(self.index))
        best = scores.max() if len(scores) else 0.0
        return scores / best if best > 0 else scores

    def _reasons(self, signals: Signals, row: int) -> list[str]:
        index = self.index
        out = []
        if signals.words:
            # The shopper's own words that the item's text holds: why it answers them, as the lexical match saw it.
            item_words = set(lexical_tokens(index.search_text(row)))
            matched = [word for word in signals.words if word in item_words]
            if matched:
                out.append(f"matches your words: {', '.join(matched)}")
        if signals.measured is not None and signals.measured[row] > 0:
            out.append(f"the size you asked for: {', '.join(signals.spec.measure)}")
        if signals.like_row is not None:
            out.append(f"similar to {index.titles[signals.like_row]}")
        if row in signals.cached_reason:
            out.append(str(signals.cached_reason[row]))
        elif signals.user_id is not None:
            anchor = index.closest_bought(signals.user_id, row)
            if anchor is not None:
                out.append(f"similar to {index.titles[anchor]}, which you bought")
        if signals.spec.novelty == "tail" and index.is_tail[row]:
            out.append("a less-known find")
        return out + index.fact_reasons(row)

    def _unmet(self, query: str, filters: Filters, n_allowed: int, k: int, fresh: int | None = None) -> list[str]:
        """What the answer could not meet: a price bound, or a price word of ``query`` ("cheaper"), in a shop
        without prices; filters that fewer than ``k`` items meet; and, where the shopper asked for others than the
        items shown ("show me more"), fewer than ``k`` others (``fresh`` of them) to show."""
        unmet = []
        bounded = filters.min_price is not None or filters.max_price is not None
        if not self.index.price_quantiles and (bounded or asks_about_price(query)):
            unmet.append("this shop lists no prices, so no item can meet a price bound")
        if n_allowed < k:
            unmet.append(f"only {n_allowed} item(s) meet {' and '.join(filters.describe())}")
        if fresh is not None and fresh < k:
            unmet.append(
                f"only {fresh} item(s) not shown before meet {' and '.join(filters.describe()) or 'the search'}"
            )
        return unmet

    def _suggestions(self, spec: QuerySpec, more: bool) -> list[str]:
        suggestions = ["show me more"] if more else []
        if self.index.price_quantiles:
            suggestions.append("cheaper")
        if spec.novelty != "tail":
            suggestions.append("something more unusual")
        suggestions.append("more like the first one")
        if spec.category or spec.exclude or spec.min_price is not None or spec.max_price is not None:
            suggestions.append("start again")
        return suggestions


def served_assistant(
    index: ShopIndex, encode: Callable[[Sequence[str]], np.ndarray], tuned: Mapping | None = None
) -> ShopAssistant:
    """The assistant as ``longtail serve`` runs it: with the ``weights`` and ``bm25`` settings of ``tuned`` (what
    ``longtail.serving.assistant_tuning.tune_served_assistant`` chose for the shop, published in its snapshot's
    settings as ``"assistant"``), or the defaults where there are none."""
    return ShopAssistant(index, encode, *parse_assistant_settings(tuned))


def parse_assistant_settings(tuned: Mapping | None) -> tuple[AssistantWeights, dict | None]:
    """The weights and BM25 params of published assistant settings (``{"weights": {...}, "bm25": {"k1": .., "b":
    ..}}``, either part optional; None: the defaults). ``ValueError`` names what is wrong: an unknown key or weight,
    a weight that is not a finite number >= 0, BM25 params other than ``k1`` and ``b`` > 0."""
    tuned = dict(tuned or {})
    weights = dict(tuned.get("weights") or {})
    known = [f.name for f in fields(AssistantWeights)]
    unknown = sorted(set(tuned) - {"weights", "bm25"}) + sorted(set(weights) - set(known))
    if unknown:
        raise ValueError(f"unknown assistant setting(s) {unknown}; known: weights {known} and bm25")
    bm25 = tuned.get("bm25")
    return AssistantWeights(**weights), None if bm25 is None else check_bm25_params(bm25)


def _price(price: float) -> float | None:
    return None if np.isnan(price) else float(price)
