"""A shop's words for the query parser (``longtail.serving.query``): its category nodes and how shopper words
name them, and cluster names for shops without categories. The item a phrase names is ``longtail.serving.titles``.

- ``category_nodes``: every node (full paths and their prefixes at " > ") of a category tree.
- ``lexical_category``: the most specific node whose own label the shopper's words name, with light stemming
  (``singular``), a table of shopper words that differ from the shops' labels (``shopper_synonyms``: crisps ->
  chips) and misspellings one slip from a label word (cerael -> cereal).
- ``CategoryMatcher``: the semantic fallback, by cosine similarity of sentence embeddings.
- ``item_clusters``: KMeans over item vectors, each cluster named by its most distinctive title words.

scikit-learn is imported inside the functions that need it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence

import numpy as np

from longtail.serving.occasions import OCCASION_WORDS
from longtail.serving.shopper_synonyms import PHRASE_SYNONYMS, SYNONYMS
from longtail.validation import check_positive_int, checked_texts

SEPARATOR = " > "
# Cosine similarity of a phrase's MiniLM embedding to a node label's, at or above which CategoryMatcher names the
# node. Checked on the real Instacart aisles and magazine categories (labels embedded alone beat full paths):
# shopper words for a category scored 0.61-0.79 ("fizzy pop" -> soft drinks 0.61, "biscuits" -> cookies cakes
# 0.63, "bin bags" -> trash bags liners 0.70, "bikes" -> cycling 0.74), while words that name no category
# stayed below: "red" 0.57 (red wines), "lunchbox" 0.58 (breakfast), "party" 0.51, "gift for mum" 0.50,
# "vintage" 0.50, "christmas" 0.49. Real misses above it remain ("hand cream" -> dairy cream 0.78), which is why
# lexical matching comes first and this is only the fallback.
CATEGORY_SIMILARITY_THRESHOLD = 0.6
# A word that is the first match in this many nodes or more names none of them on its own: "food" (baby food,
# cat food, asian foods, ... 7 Instacart aisles) and "fresh" (5) do not, "science" (4 magazine nodes) does.
VAGUE_WORD_NODES = 5
# A word in this many of a shop's titles is a real word there, never read as a misspelt label word: "cleansing" is in
# 104 Instacart titles and one slip from "cleaning", "picked" in 5 (pickled); "grnola" is in 2.
REAL_WORD_MIN_TITLES = 3

# Describing words that name no category on their own, only with a noun ("red" is no aisle, "red wine" is), unless
# they are a node's whole label (the "frozen" department); "first" too ("first time hosting" is no first aid).
MODIFIERS = frozenset(
    "red white pink blue green black yellow orange purple gold silver grey gray brown fresh hot soft sparkling "
    "specialty special packaged prepared dried dry instant refrigerated natural large small big little new "
    "first".split()
)
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_LABEL_STOPWORDS = {"and", "other", "more", "of", "the", "by", "s", "to", "how", "up", "ages"}
_IRREGULAR_PLURALS = {
    "children": "child", "men": "man", "women": "woman", "people": "person", "mice": "mouse", "geese": "goose",
    "teeth": "tooth", "feet": "foot", "knives": "knife", "leaves": "leaf", "loaves": "loaf", "halves": "half",
    "shelves": "shelf", "scarves": "scarf", "wolves": "wolf", "wives": "wife", "lives": "life",
}  # fmt: skip
_NOT_PLURAL = {"christmas", "xmas", "news", "series", "species", "always", "lens", "hummus", "couscous", "asparagus"}
_IE_PLURALS = {"cookies", "movies", "pies", "ties", "brownies", "smoothies", "hoodies", "veggies", "goodies",
               "beanies", "calories", "zombies", "onesies", "lies"}  # fmt: skip
_OES_SINGULAR = {"shoes", "toes", "canoes", "hoes", "oboes", "sloes", "horseshoes", "tiptoes"}
_CHE_SINGULAR = {"aches", "headaches", "niches", "quiches", "caches", "moustaches", "cliches", "avalanches"}


def singular(word: str) -> str:
    """``word`` (lower case) without a plural ending: boxes -> box, candies -> candy, glasses -> glass, cookies ->
    cookie, knives -> knife; words that only look plural (christmas, news, glass) are kept; "men's" -> man."""
    word = word.removesuffix("'s")
    if word in _IRREGULAR_PLURALS:
        return _IRREGULAR_PLURALS[word]
    if len(word) <= 3 or word in _NOT_PLURAL or not word.endswith("s") or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ies"):
        return word[:-1] if word in _IE_PLURALS else word[:-3] + "y"
    if word.endswith(("sses", "xes", "zzes", "shes")):
        return word[:-2]
    if word.endswith("ches"):
        return word[:-1] if word in _CHE_SINGULAR else word[:-2]
    if word.endswith("oes"):
        return word[:-1] if word in _OES_SINGULAR else word[:-2]
    return word[:-1]


def slips(word: str, changes: bool = False) -> set[str]:
    """The misspellings of ``word`` one slip away, never at its first letter: a letter dropped, a letter added, two
    neighbours swapped, and with ``changes`` one letter changed ("cerael", "quiltng", "anniversery")."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    edits = {word[:i] + word[i + 1 :] for i in range(1, len(word))}
    edits |= {word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(1, len(word) - 1)}
    edits |= {word[:i] + letter + word[i:] for i in range(1, len(word) + 1) for letter in letters}
    if changes:
        edits |= {word[:i] + letter + word[i + 1 :] for i in range(1, len(word)) for letter in letters}
    return edits - {word}


def words(text: str) -> list[str]:
    """The lower-case words of ``text`` (letters and digits; "men's" keeps its apostrophe)."""
    return _WORD.findall(text.lower())


def category_nodes(paths: Sequence[str]) -> tuple[str, ...]:
    """Every node of the tree the category ``paths`` ("a > b > c") describe: each path and each of its prefixes
    at " > ", sorted and distinct. Blank paths are skipped."""
    nodes = set()
    for path in checked_texts(paths):
        parts = [part.strip() for part in path.split(SEPARATOR.strip())]
        if not any(parts):
            continue
        if not all(parts):
            raise ValueError(f"category path {path!r} has an empty level")
        nodes.update(SEPARATOR.join(parts[:depth]) for depth in range(1, len(parts) + 1))
    return tuple(sorted(nodes))


def domain_words(nodes: Sequence[str]) -> frozenset[str]:
    """Label words of a tree's single root ("magazine", "subscription"): they name every item, so they say
    nothing about the category. Empty when the tree has several roots."""
    roots = {node.split(SEPARATOR)[0] for node in nodes}
    return frozenset(label_words(roots.pop())) if len(roots) == 1 else frozenset()


def shopper_units(text: str) -> list[tuple[str, frozenset[str]]]:
    """The words of ``text`` as (singular word or two-word phrase, the label words it stands for itself plus
    its synonyms), two-word phrases from ``PHRASE_SYNONYMS`` read as one unit. A person named by what they do
    also stands for the doing ("knitter" -> knitting, "gardener" -> gardening, "cyclist" -> cycling), which is how
    hobby labels are spelt."""
    tokens = [singular(word) for word in words(text)]
    units, i = [], 0
    while i < len(tokens):
        pair = " ".join(tokens[i : i + 2])
        if pair in PHRASE_SYNONYMS:
            units.append((pair, frozenset(PHRASE_SYNONYMS[pair])))
            i += 2
            continue
        token = tokens[i]
        doing = ()
        if len(token) >= 6 and token.endswith(("er", "ist")):
            doing = (token.removesuffix("er").removesuffix("ist") + "ing",)
        units.append((token, frozenset((token, *SYNONYMS.get(token, ()), *doing))))
        i += 1
    return units


def lexical_category(text: str, nodes: Sequence[str], real_words: frozenset[str] = frozenset()) -> str | None:
    """The node of ``nodes`` (see ``category_nodes``) that the words of ``text`` name most specifically, or None. A
    word one slip from a label word ("cerael"; see ``_label_typos``) stands for it, unless it is in ``real_words``
    (singular words the shop's own titles use).

    A node is a candidate when one of the shopper's words (or a synonym) is in its own label and in no label above
    it, and that word is not vague (a first match in ``VAGUE_WORD_NODES`` nodes or more) nor a describing word of
    ``MODIFIERS`` (unless it is the whole label). Candidates rank by how many shopper words their whole path
    names ("cooking magazine" -> Cooking, Food & Wine over the root), then shallower first (the department the
    word names before its aisles), then by the share of their own label's words named. A tie between unrelated
    nodes gives their deepest common ancestor ("wine" -> alcohol over red and white wines), or None when they have
    none. From there it goes down to the one child, if any, whose label the same words name a larger share of, by
    whole "&"-separated parts. A sole root (which holds every item) is never returned; in a flat vocabulary (no
    " > ", such as cluster names) a node is named only when all its label words are."""
    index = _label_index(tuple(nodes))
    ignored = domain_words(nodes)
    typos = _label_typos(tuple(nodes))
    units = [
        (unit, typos[unit] if unit in typos and unit not in real_words else stands)
        for unit, stands in shopper_units(text)
        if unit not in ignored
    ]
    if not units:
        return None
    named = {node: {unit for unit, stands in units if stands & index[node]} for node in nodes}
    stands_for = dict(units)
    first_named = {}
    for node in nodes:
        above = set().union(*(named[ancestor] for ancestor in _ancestors(node)))
        first_named[node] = named[node] - above
    first_counts: dict[str, int] = {}
    for found in first_named.values():
        for unit in found:
            first_counts[unit] = first_counts.get(unit, 0) + 1
    flat = all(SEPARATOR not in node for node in nodes)
    scored = []
    for node in nodes:
        above = set().union(*(named[ancestor] for ancestor in _ancestors(node)))
        if not any(
            (first_counts[unit] < VAGUE_WORD_NODES and (unit not in MODIFIERS or index[node] == {unit}))
            or index[node] <= stands_for[unit]  # a shopper word for the whole label: "courgette", fresh vegetables
            for unit in first_named[node]
        ) and not (
            first_named[node]
            and any(first_counts.get(unit, 0) < VAGUE_WORD_NODES and unit not in MODIFIERS for unit in above)
        ):
            # Neither a clear word of its own nor, for a vague or describing word, a clear word naming a node
            # above: "food" alone names no aisle, "baby food" names babies > baby food formula, "dry food" names no
            # instant foods.
            continue
        if ignored and SEPARATOR not in node:
            continue
        coverage = _coverage(node, index, units)
        if flat and coverage < 1:
            continue
        path_named = set().union(named[node], *(named[ancestor] for ancestor in _ancestors(node)))
        # Label words named, counted per shopper word: "porridge" (hot cereal) names two words of hot cereal pancake
        # mixes and one of cereal.
        label_words_named = sum(len(stands_for[unit] & index[node]) for unit in named[node])
        scored.append(((len(path_named), -node.count(SEPARATOR), label_words_named, coverage), node))
    if not scored:
        return None
    best = max(score for score, _ in scored)
    tied = [node for score, node in scored if score == best]
    node = _common_ancestor(tied)
    if node is None or (ignored and SEPARATOR not in node):
        return None
    # Down to the one child that the same words name a larger share of by whole parts ("wine" is half of Wine &
    # Cocktails, a third of Cooking, Food & Wine; "kids" all of Children, half of Children & Teen), but not into a
    # compound that only shares a word ("science" does not name Agricultural Sciences). No further on a tie.
    while True:
        children = [child for child in nodes if _ancestors(child)[-1:] == [node]]
        better = [
            (share, child) for child in children if (share := _parts_named(child, units)) > _parts_named(node, units)
        ]
        if not better or sum(share == max(better)[0] for share, _ in better) > 1:
            return node
        node = max(better)[1]


def wholly_named_node(text: str, nodes: Sequence[str]) -> str | None:
    """The node of ``nodes`` whose own label the words of ``text`` (or their synonyms) name entirely, the one with
    the most label words where several are ("tortillas flat bread" over bread), their deepest common ancestor on
    a tie, else None: "fresh vegetables" names produce > fresh vegetables, which ``lexical_category`` cannot tell
    from the other vegetable aisles by its vague word; "olive oil" names no node (oils vinegars is half named). As
    in ``lexical_category``, a sole root's words name nothing, and a sole root is never returned."""
    index = _label_index(tuple(nodes))
    ignored = domain_words(nodes)
    units = [(unit, stands) for unit, stands in shopper_units(text) if unit not in ignored]
    named = [node for node in nodes if _coverage(node, index, units) == 1 and not (ignored and SEPARATOR not in node)]
    if not named:
        return None
    most = max(len(index[node]) for node in named)
    return _common_ancestor([node for node in named if len(index[node]) == most])


def _coverage(node: str, index: dict[str, frozenset[str]], units: list[tuple[str, frozenset[str]]]) -> float:
    """Share of the node's own label words that the shopper's words (or their synonyms) name."""
    label = index[node]
    return sum(any(word in stands for _, stands in units) for word in label) / len(label)


@functools.lru_cache(maxsize=16)
def _label_index(nodes: tuple[str, ...]) -> dict[str, frozenset[str]]:
    """Each node's own label words, singular, without joining words."""
    return {node: frozenset(label_words(node.split(SEPARATOR)[-1])) or frozenset({node.lower()}) for node in nodes}


@functools.lru_cache(maxsize=16)
def _label_typos(nodes: tuple[str, ...]) -> dict[str, frozenset[str]]:
    """Misspelling -> the label words it stands for, for the label words of six letters or more and the
    ``SYNONYMS`` of six letters or more whose label words the nodes have: one ``slips`` edit that is itself six
    letters or more, no label word, occasion word ("teenage" is no slip of "teenager") or slip of another such word
    ("cerael" -> cereal, "quiltng" -> quilting, "yoghrt" -> yogurt through yoghurt)."""
    label_words = set().union(*_label_index(nodes).values())
    stands = {word: frozenset({word}) for word in label_words}
    stands |= {
        word: frozenset(targets)
        for word, targets in SYNONYMS.items()
        if word not in label_words and set(targets) <= label_words
    }
    typos: dict[str, str] = {}
    ambiguous = set()
    for word in sorted(stands):
        if len(word) < 6:
            continue
        for typo in slips(word):
            if len(typo) < 6 or typo in stands or singular(typo) in stands or typo in OCCASION_WORDS:
                continue
            if typos.setdefault(typo, word) != word:
                ambiguous.add(typo)
    return {typo: stands[word] for typo, word in typos.items() if typo not in ambiguous}


def _parts_named(node: str, units: list[tuple[str, frozenset[str]]]) -> float:
    """Share of the parts of the node's own label (split at "&" and ",") all of whose words are named."""
    parts = [label_words(part) for part in re.split(r"[&,]", node.split(SEPARATOR)[-1])]
    parts = [part for part in parts if part]
    named = sum(all(any(word in stands for _, stands in units) for word in part) for part in parts)
    return named / len(parts) if parts else 0.0


def label_words(label: str) -> list[str]:
    """The singular words of a category label, joining words dropped: "Children & Teen" -> ["child", "teen"]."""
    return [singular(word) for word in words(label.replace("-", " ")) if word not in _LABEL_STOPWORDS]


def _ancestors(node: str) -> list[str]:
    parts = node.split(SEPARATOR)
    return [SEPARATOR.join(parts[:depth]) for depth in range(1, len(parts))]


def _common_ancestor(nodes: list[str]) -> str | None:
    """The deepest node that is ``nodes`` or above them all; None when they share no root."""
    split = [node.split(SEPARATOR) for node in nodes]
    shared = []
    for levels in zip(*split, strict=False):
        if len(set(levels)) > 1:
            break
        shared.append(levels[0])
    return SEPARATOR.join(shared) if shared else None


class CategoryMatcher:
    """Callable phrase -> the category node whose label embedding is closest to the phrase's, or None when the
    cosine similarity is below ``threshold``. ``encode`` maps a list of n texts to an (n, dim) array of
    unit-length float32 rows (such as ``encode_texts`` with a loaded encoder); node labels are embedded once."""

    def __init__(
        self,
        paths: Sequence[str],
        encode: Callable[[list[str]], np.ndarray],
        threshold: float = CATEGORY_SIMILARITY_THRESHOLD,
    ):
        self.nodes = category_nodes(paths)
        if not self.nodes:
            raise ValueError("CategoryMatcher needs at least one category path")
        if not 0 < threshold <= 1:
            raise ValueError(f"threshold must be in (0, 1], got {threshold!r}")
        self.encode = encode
        self.threshold = float(threshold)
        self.label_vectors = self._encoded([node.split(SEPARATOR)[-1] for node in self.nodes])

    def __call__(self, phrase: str) -> str | None:
        if not isinstance(phrase, str) or not phrase.strip():
            return None
        similarity = self.label_vectors @ self._encoded([phrase.strip()])[0]
        best = int(np.argmax(similarity))
        return self.nodes[best] if similarity[best] >= self.threshold else None

    def _encoded(self, texts: list[str]) -> np.ndarray:
        vectors = np.asarray(self.encode(texts), dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[0] != len(texts):
            raise ValueError(f"encode must return one row per text: {len(texts)} texts gave shape {vectors.shape}")
        return vectors


def item_clusters(
    titles: Sequence[str], vectors: np.ndarray, n_clusters: int, seed: int = 0
) -> tuple[np.ndarray, list[str]]:
    """KMeans clusters of items for a shop without categories.

    ``vectors``: (n_items, dim) item vectors, row i for ``titles[i]``. Returns ``labels``, an int array of shape
    (n_items,) with values in [0, n_clusters), and ``names``, one per cluster: its 3 most distinctive title words,
    singular (TF-IDF of each cluster's titles, as one document, against the other clusters'; fewer when the
    cluster's titles have fewer words of three letters or more), made unique by adding further
    words or, failing that, a number."""
    from sklearn.cluster import KMeans
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

    titles = checked_texts(titles)
    n_clusters = check_positive_int(n_clusters, "n_clusters")
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or vectors.shape[0] != len(titles):
        raise ValueError(f"vectors must have one row per title: {len(titles)} titles, shape {vectors.shape}")
    if n_clusters > len(titles):
        raise ValueError(f"n_clusters ({n_clusters}) exceeds the number of items ({len(titles)})")
    labels = KMeans(n_clusters=n_clusters, random_state=seed, n_init=4).fit_predict(vectors).astype(np.int64)
    documents = [" ".join(title for title, label in zip(titles, labels, strict=True) if label == cluster)
                 for cluster in range(n_clusters)]  # fmt: skip

    def title_words(document: str) -> list[str]:
        # Singular, so that a name does not spend two of its words on "candle candles".
        return [singular(word) for word in re.findall(r"[a-z]{3,}", document.lower()) if word not in ENGLISH_STOP_WORDS]

    vectorizer = TfidfVectorizer(analyzer=title_words)
    try:
        weights = vectorizer.fit_transform(documents).toarray()
        vocabulary = vectorizer.get_feature_names_out()
    except ValueError:  # no title has a word of three letters or more
        weights, vocabulary = np.zeros((n_clusters, 0)), np.array([], dtype=str)
    names: list[str] = []
    for cluster in range(n_clusters):
        ranked = [vocabulary[i] for i in np.argsort(-weights[cluster], kind="stable") if weights[cluster, i] > 0]
        name = " ".join(ranked[:3]) or f"cluster {cluster}"
        extra = 3
        while name in names and extra < len(ranked):
            name = f"{name} {ranked[extra]}"
            extra += 1
        names.append(name if name not in names else f"{name} {cluster}")
    return labels, names
