"""The lexical match of the shop assistant and its baselines: BM25 (``bm25s``) over the items' texts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

# bm25s's own defaults: the assistant's where a shop's tuning did not pay (``tune_served_assistant``).
DEFAULT_BM25 = {"k1": 1.5, "b": 0.75}


def lexical_index(texts: Sequence[str], params: Mapping[str, float] | None = None):
    """A BM25 index (``bm25s``, English stop words dropped) over ``texts``, with ``params`` ``k1`` and ``b``
    (``DEFAULT_BM25`` where None)."""
    import bm25s

    bm25 = bm25s.BM25(**check_bm25_params(params or DEFAULT_BM25))
    bm25.index(bm25s.tokenize(list(texts), stopwords="en", show_progress=False), show_progress=False)
    return bm25


def check_bm25_params(params: Mapping) -> dict:
    """``params`` as a dict, ``ValueError`` unless its keys are among ``k1`` and ``b`` and each is a number > 0."""
    params = dict(params)
    if set(params) - {"k1", "b"} or any(
        isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0 for v in params.values()
    ):
        raise ValueError(f"BM25 params must be k1 and b, both > 0, got {params!r}")
    return params


# How much the shopper likes a thing, not what it is: "good coffee beans" matched Good Buddy dog treats and Good Seed
# bread, and named the canned goods aisle. ("best", "perfect" and "special" stay: Best Foods, Perfect Bar, Special K.)
EVALUATIVE_WORDS = frozenset("good nice decent great lovely".split())
# Function words that bm25s's English stop list (33 words) keeps: a shopper's "who", "her" or "its" matched titles
# such as DR WHO TOP TRUMPS at random, "these are all a bit samey" a SWEETHEART CARRY-ALL BASKET, "what's coming up"
# PICK ME UP smoothies, and the pronoun of a contraction ("she's", "you've": bm25s keeps "she", "you" and "ve") the
# titles that hold it. Dropped from a query's words with the evaluative ones; the index keeps them.
QUERY_STOP_WORDS = EVALUATIVE_WORDS | frozenset(
    "who whom whose which what when where why how her him his hers them us our ours we they their theirs its am were "
    "been being do does did have has had she he you ve re ll from so than each every only all up also very too ever "
    "out over here".split()
)


def lexical_tokens(text: str) -> list[str]:
    """The words of ``text`` as the lexical match reads them: bm25s's tokens, lower case, English stop words and
    ``QUERY_STOP_WORDS`` dropped."""
    import bm25s

    tokens = bm25s.tokenize([text], stopwords="en", show_progress=False, return_ids=False)[0]
    return [token for token in tokens if token not in QUERY_STOP_WORDS]


def lexical_scores(bm25, text: str, n_items: int) -> np.ndarray:
    """``(n_items,)`` BM25 scores of ``text`` over a ``lexical_index``: zeros when no word of it is indexed."""
    tokens = lexical_tokens(text)
    return np.asarray(bm25.get_scores(tokens), dtype=np.float64) if tokens else np.zeros(n_items)
