"""What a shopper's phrase names, read from the shop's item titles: ``TitleFinder``, the item ("like the regency
cakestand"), by title words, then by TF-IDF similarity; ``TitleCategories``, the category node of the items whose
titles use the phrase's words ("frozen peas" are frozen produce, "hummus" fresh dips), by naive Bayes over title
words. scikit-learn is imported when either is built.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

import numpy as np

from longtail.serving.vocabulary import SEPARATOR, category_nodes, singular, slips, words
from longtail.validation import checked_texts

# Share of a phrase's IDF weight that an item's title must contain for TitleFinder to name the item: "regency
# cakestand" names REGENCY CAKESTAND 3 TIER; "a candle holder" names an item only if no rarer word is missing.
TITLE_MIN_COVERAGE = 2 / 3
# A phrase of one word names an item only when at most this many titles carry the word: it is then a name ("marmite"
# is in 1 of the real Instacart titles, "zoobooks" in 1 magazine title), not a kind of item ("tahini" is in 19,
# "candle" in 97, "doormat" in 14 Online Retail titles).
TITLE_MAX_TITLES_FOR_ONE_WORD = 3
# Posterior probability, summed over a node's leaves, at or above which TitleCategories names the node. Chosen on the
# four development sets (0.6 to 0.9 tried, the held-out sets untouched): at 0.6 "a nice bottle of wine ... to bring"
# narrowed alcohol to white wines; 0.7 kept every development figure and lifted the fourth set, as it came, from
# 0.919 to 0.929; 0.8 and 0.9 lost queries of the third.
TITLE_CATEGORY_MIN_PROBABILITY = 0.7
# How many times as many of a shop's titles must use one name of a thing as use the shopper's name for the shop to be
# searched for that name too: "coriander" is in 16 Instacart titles and "cilantro" in 48 (3x), while "double cream"
# (18) and "heavy cream" (10) are both the shop's words.
SHOP_NAME_MIN_RATIO = 3.0
# How many titles must end with a name a shopper's phrase holds for the items so called to say what it is.
ITEMS_CALLED_MIN_TITLES = 3


class TitleFinder:
    """Callable phrase -> the id of the item whose title the phrase names, or None. Titles and phrase are compared
    by their words (case-insensitive, English stop words dropped; a missing title, None, matches nothing), which
    must fit one item: a title that alone holds every word of the phrase names its item; when several different
    titles hold them all, the phrase names a kind ("hot water bottle": 28 Online Retail titles) and only a title of
    exactly its words names an item ("peanut butter" -> Peanut Butter); otherwise (a paraphrase, a misspelling)
    the best title by cosine similarity of TF-IDF vectors names the item if it holds at least ``min_coverage`` of
    the phrase's IDF weight (a word no title has weighs as much as the rarest title word). A phrase of one word
    names nothing when more than ``TITLE_MAX_TITLES_FOR_ONE_WORD`` titles carry it."""

    def __init__(self, item_ids: Sequence[str], titles: Sequence[str], min_coverage: float = TITLE_MIN_COVERAGE):
        from sklearn.feature_extraction.text import TfidfVectorizer

        item_ids = checked_texts(item_ids)
        titles = checked_texts(["" if title is None else title for title in titles])
        if len(item_ids) != len(titles) or not item_ids:
            raise ValueError(f"TitleFinder needs as many item ids as titles, at least one: {len(item_ids)} ids, "
                             f"{len(titles)} titles")  # fmt: skip
        if not 0 < min_coverage <= 1:
            raise ValueError(f"min_coverage must be in (0, 1], got {min_coverage!r}")
        self.item_ids = item_ids
        self.min_coverage = float(min_coverage)
        self.vectorizer = TfidfVectorizer(lowercase=True, stop_words="english", sublinear_tf=True)
        self.title_matrix = self.vectorizer.fit_transform(titles)
        self.analyse = self.vectorizer.build_analyzer()
        self.idf = dict(zip(self.vectorizer.get_feature_names_out(), self.vectorizer.idf_, strict=True))
        self.unknown_weight = float(self.vectorizer.idf_.max())
        self.title_counts = np.bincount(self.title_matrix.indices, minlength=len(self.idf))
        self.word_columns = self.title_matrix.tocsc()  # which titles hold a word, by column
        self.titles = titles
        self.rows = {item_id: row for row, item_id in enumerate(item_ids)}
        self.forms: dict[str, list[int]] = defaultdict(list)  # singular word -> the columns of its forms
        for column, name in enumerate(self.vectorizer.get_feature_names_out()):
            self.forms[singular(str(name))].append(column)

    def common_words(self, min_titles: int) -> frozenset[str]:
        """The title words (singular, stop words dropped) that at least ``min_titles`` titles hold."""
        names = self.vectorizer.get_feature_names_out()
        return frozenset(singular(str(names[column])) for column in np.flatnonzero(self.title_counts >= min_titles))

    def usual_form(self, phrase: str) -> str:
        """``phrase`` with each word in the form most titles spell it ("diaper" -> "diapers" where titles say Baby
        Diapers); a word no title holds stays as it is."""
        names = self.vectorizer.get_feature_names_out()
        usual = []
        for word in words(phrase):
            columns = self.forms.get(singular(word), [])
            usual.append(str(names[max(columns, key=lambda column: self.title_counts[column])]) if columns else word)
        return " ".join(usual)

    def titles_with(self, phrase: str) -> int:
        """How many titles hold ``phrase``: its words in a row, each in any form with the same singular ("nappies"
        counts the titles with "nappy" or "nappies"; "string light" is not in "Light String Cheese"); 0 for a phrase
        with no word but stop words."""
        wanted = {singular(token) for token in self.analyse(phrase)}
        if not wanted or any(word not in self.forms for word in wanted):
            return 0
        held = np.ones(len(self.titles), dtype=bool)
        for word in wanted:
            held &= np.asarray((self.word_columns[:, self.forms[word]] != 0).sum(axis=1)).ravel() > 0
        in_a_row = f" {_singular_words(phrase)} "
        return sum(in_a_row in f" {_singular_words(self.titles[row])} " for row in np.flatnonzero(held))

    def among(self, phrase: str, item_ids: Sequence[str]) -> str | None:
        """The one id of ``item_ids`` (say, the items just shown) whose title holds every word of ``phrase``, compared
        singular ("the reptile one" names Reptiles), or None when no title or several do, or the phrase has no word
        but stop words ("the whole wheat one" names 100% Whole Wheat Bread among five breads; "the bread one" names
        none of them)."""
        if not isinstance(phrase, str):
            return None
        wanted = {singular(token) for token in self.analyse(phrase)}
        if not wanted:
            return None
        rows = [self.rows[item_id] for item_id in dict.fromkeys(item_ids) if item_id in self.rows]
        holding = [row for row in rows if wanted <= {singular(token) for token in self.analyse(self.titles[row])}]
        return self.item_ids[holding[0]] if len(holding) == 1 else None

    def __call__(self, phrase: str) -> str | None:
        if not isinstance(phrase, str):
            return None
        tokens = set(self.analyse(phrase))
        if not tokens:
            return None
        vocabulary = self.vectorizer.vocabulary_
        columns = [vocabulary.get(token) for token in tokens]
        if len(tokens) == 1 and (columns[0] is None or self.title_counts[columns[0]] > TITLE_MAX_TITLES_FOR_ONE_WORD):
            return None
        if None not in columns:
            holding = np.flatnonzero((self.word_columns[:, columns] != 0).sum(axis=1).A1 == len(columns))
            kinds = {}  # distinct word sets of the titles holding every phrase word -> their first row
            for row in holding:
                kinds.setdefault(frozenset(self.title_matrix[row].indices), int(row))
            if len(kinds) == 1:
                return self.item_ids[int(holding[0])]
            if len(kinds) > 1:
                exact = kinds.get(frozenset(columns))
                return None if exact is None else self.item_ids[exact]
        similarity = (self.title_matrix @ self.vectorizer.transform([phrase]).T).toarray().ravel()
        best = int(np.argmax(similarity))
        if similarity[best] <= 0:
            return None
        title_tokens = set(self.title_matrix[best].indices)
        weight = {token: self.idf.get(token, self.unknown_weight) for token in tokens}
        covered = sum(w for token, w in weight.items() if vocabulary.get(token) in title_tokens)
        return self.item_ids[best] if covered / sum(weight.values()) >= self.min_coverage else None


class TitleCategories:
    """Callable (phrase, within=None) -> the deepest category node that the phrase's title words point to with
    posterior probability at least ``min_probability`` (summed over the node's leaves), or None: a multinomial naive
    Bayes model of each item's leaf category from the words of its title (singular, English stop words dropped,
    each counted once). A word of six letters or more that no title uses is read as the one title word a slip away
    ("biscuts" as biscuit; ``vocabulary.slips``, a changed letter only from nine letters), if there is exactly one;
    other words no title uses are ignored, and a phrase with none names nothing. With ``within`` (a node),
    only that node's subtree is considered, its leaves' probabilities renormalised ("peas" within frozen is frozen
    produce, though canned peas are as common). A sole root, which holds every item, is never returned.

    ``titles`` and ``categories``: one per item (an empty category is left out of the model)."""

    def __init__(
        self,
        titles: Sequence[str],
        categories: Sequence[str],
        min_probability: float = TITLE_CATEGORY_MIN_PROBABILITY,
        smoothing: float = 0.1,
    ):
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer
        from sklearn.naive_bayes import MultinomialNB

        titles = checked_texts(["" if title is None else title for title in titles])
        categories = checked_texts(["" if category is None else category for category in categories])
        if len(titles) != len(categories):
            raise ValueError(f"TitleCategories needs one category per title: {len(titles)} titles, "
                             f"{len(categories)} categories")  # fmt: skip
        if not 0.5 < min_probability <= 1:
            raise ValueError(f"min_probability must be in (0.5, 1], got {min_probability!r}")
        labelled = [row for row, category in enumerate(categories) if category.strip()]
        if not labelled:
            raise ValueError("TitleCategories needs at least one item with a category")
        self.min_probability = float(min_probability)

        def analyse(text: str) -> list[str]:
            return [singular(word) for word in words(text) if word not in ENGLISH_STOP_WORDS]

        self.vectorizer = CountVectorizer(analyzer=analyse, binary=True)
        counts = self.vectorizer.fit_transform([titles[row] for row in labelled])
        self.model = MultinomialNB(alpha=smoothing).fit(counts, [categories[row] for row in labelled])
        leaves = [str(leaf) for leaf in self.model.classes_]
        roots = {leaf.split(SEPARATOR)[0] for leaf in leaves}
        self.sole_root = roots.pop() if len(roots) == 1 else None
        self.leaves_under = {
            node: np.array([leaf == node or leaf.startswith(node + SEPARATOR) for leaf in leaves])
            for node in category_nodes(leaves)
        }

    def __call__(self, phrase: str, within: str | None = None) -> str | None:
        if not isinstance(phrase, str):
            return None
        counts = self.vectorizer.transform([self._spelt(phrase)])
        if not counts.nnz:
            return None
        probabilities = self.model.predict_proba(counts)[0]
        if within is not None:
            if within not in self.leaves_under:
                return None
            probabilities = np.where(self.leaves_under[within], probabilities, 0.0)
            probabilities = probabilities / probabilities.sum()
        named = [
            node
            for node, leaves in self.leaves_under.items()
            if node != self.sole_root and probabilities[leaves].sum() >= self.min_probability
        ]
        # Above one half, the nodes named lie on one path from the root: the deepest is the most specific.
        return max(named, key=lambda node: node.count(SEPARATOR)) if named else None

    def _spelt(self, phrase: str) -> str:
        known = self.vectorizer.vocabulary_
        spelt = []
        for word in map(singular, words(phrase)):
            if word not in known and len(word) >= 6:
                meant = [slip for slip in slips(word, changes=len(word) >= 9) if slip in known]
                word = meant[0] if len(meant) == 1 else word
            spelt.append(word)
        return " ".join(spelt)


class ItemsCalled:
    """Callable (phrase, min_words=2) -> (name, {category node: share of the items called the name that lie under
    it}), or ("", {}): the items called a name are those whose titles end with it ("Creamy Peanut Butter" is peanut
    butter, "Peanut Butter Granola Bar" is a bar), compared by their singular words less English stop words ("Half &
    Half" is half and half). The name read is the longest run of the phrase's words, of ``min_words`` or more, that at
    least ``min_titles`` titles end with, the last of equally long ones ("crunchy peanut butter if you have it" as
    peanut butter where few titles say crunchy); a phrase with no such run gives ("", {}). One word calls every title
    that ends with it, so a caller asks for one only where its context makes up for that. Titles with no category
    count towards ``min_titles`` (4 of the 6 diaper rash creams of Instacart have none); shares count the items with a
    category only, for their leaves and every node above but a sole root, which holds every item ({} where none
    has one).

    ``titles`` and ``categories``: one per item (None or empty for none)."""

    def __init__(
        self, titles: Sequence[str | None], categories: Sequence[str | None], min_titles: int = ITEMS_CALLED_MIN_TITLES
    ):
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        if len(titles) != len(categories):
            raise ValueError(f"ItemsCalled needs one category per title: {len(titles)} titles, "
                             f"{len(categories)} categories")  # fmt: skip
        if isinstance(min_titles, bool) or not isinstance(min_titles, int) or min_titles < 1:
            raise ValueError(f"min_titles must be a positive integer, got {min_titles!r}")
        self.min_titles = min_titles
        self.stop_words = ENGLISH_STOP_WORDS
        # Titles by their last word and by their last two, so that a name is compared with the titles that may end
        # with it.
        self.by_ending: dict[tuple[str, ...], list[tuple[tuple[str, ...], tuple[str, ...]]]] = defaultdict(list)
        nodes_of = {
            category: category_nodes([category]) for category in set(categories) if category and category.strip()
        }
        roots = {nodes[0] for nodes in nodes_of.values()}  # sorted: a path's first node is its root
        self.sole_root = roots.pop() if len(roots) == 1 else None
        for title, category in zip(titles, categories):
            title_words = self._words(title or "")
            for size in range(1, min(len(title_words), 2) + 1):
                self.by_ending[title_words[-size:]].append((title_words, nodes_of.get(category, ())))

    def __call__(self, phrase: str, min_words: int = 2) -> tuple[str, dict[str, float]]:
        if isinstance(min_words, bool) or not isinstance(min_words, int) or min_words < 1:
            raise ValueError(f"min_words must be a positive integer, got {min_words!r}")
        phrase_words = self._words(phrase) if isinstance(phrase, str) else ()
        for size in range(len(phrase_words), min_words - 1, -1):
            for start in range(len(phrase_words) - size, -1, -1):
                name = phrase_words[start : start + size]
                called = [
                    nodes for title_words, nodes in self.by_ending.get(name[-2:], []) if title_words[-size:] == name
                ]
                if len(called) >= self.min_titles:
                    categorised = sum(bool(nodes) for nodes in called)
                    counts: dict[str, int] = defaultdict(int)
                    for nodes in called:
                        for node in nodes:
                            counts[node] += node != self.sole_root
                    return " ".join(name), {node: count / categorised for node, count in counts.items() if count}
        return "", {}

    def _words(self, text: str) -> tuple[str, ...]:
        return tuple(singular(word) for word in words(text) if word not in self.stop_words)


class ShopNames:
    """Callable text -> the text followed by the shop's own name for each thing it names by another name ("a few
    courgettes" -> "a few courgettes zucchini" in a shop whose titles say zucchini), for the assistant's search.
    ``pairs`` hold names of one thing, read either way round; the shop's name is added where its titles use it at
    least ``min_ratio`` times as often as the shopper's name (``TitleFinder.titles_with``), spelt as most titles spell
    it (``TitleFinder.usual_form``: "diapers", not "diaper", which the lexical match, comparing whole words, found in
    one title of 150). Names are compared by their singular words."""

    def __init__(self, finder: TitleFinder, pairs: Iterable[tuple[str, str]], min_ratio: float = SHOP_NAME_MIN_RATIO):
        if not min_ratio >= 1:
            raise ValueError(f"min_ratio must be >= 1, got {min_ratio!r}")
        self.additions: list[tuple[str, str]] = []  # (the shopper's name in singular words, the shop's name)
        for pair in pairs:
            for shopper, shop in (pair, pair[::-1]):
                used = finder.titles_with(shop)
                if used and used >= min_ratio * finder.titles_with(shopper):
                    self.additions.append((_singular_words(shopper), finder.usual_form(shop)))

    def __call__(self, text: str) -> str:
        held = f" {_singular_words(text)} "
        added = list(dict.fromkeys(shop for shopper, shop in self.additions if f" {shopper} " in held))
        return " ".join([text, *added]) if added else text


def _singular_words(text: str) -> str:
    return " ".join(singular(word) for word in words(text))
