import numpy as np
import pandas as pd
import pytest

from longtail.recommend.item_vectors import (
    EMBEDDING_COLUMNS,
    align_vectors,
    catalogue_text_vectors,
    embed_item_texts,
    plan_embedding_refresh,
    refresh_catalogue_embeddings,
    refresh_embeddings,
    stack_embeddings,
)


class CountingEncoder:
    """A stand-in for a model: records every call, returns a distinct 3-d vector per text."""

    def __init__(self):
        self.calls: list[list[str]] = []

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        return np.array([[len(text), text.count("a"), 1.0] for text in texts], dtype=np.float64)


def current(texts: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {"item_id": list(texts), "text": list(texts.values()), "text_hash": [f"h-{t}" for t in texts.values()]}
    )


def test_plan_sorts_items_into_new_changed_unchanged_and_removed():
    stored = pd.DataFrame(
        {
            "item_id": ["same", "edited", "gone", "other-model"],
            "text_hash": ["h1", "h2", "h3", "h4"],
            "model": ["m", "m", "m", "old"],
        }
    )
    now = pd.DataFrame(
        {"item_id": ["fresh", "other-model", "edited", "same"], "text_hash": ["h0", "h4", "h2-new", "h1"]}
    )
    plan = plan_embedding_refresh(now, stored, "m")
    assert plan.to_embed.tolist() == ["fresh", "other-model", "edited"]
    assert plan.reused.tolist() == ["same"]
    assert plan.removed.tolist() == ["gone"]
    assert plan.counts() == {
        "to_embed": 3,
        "reused": 1,
        "removed": 1,
        "new": 1,
        "text_changed": 1,
        "model_changed": 1,
    }


def test_plan_from_an_empty_store_embeds_everything():
    now = current({"a": "x", "b": "y"})
    for stored in (pd.DataFrame(), pd.DataFrame(columns=EMBEDDING_COLUMNS)):
        plan = plan_embedding_refresh(now, stored, "m")
        assert plan.to_embed.tolist() == ["a", "b"] and plan.n_new == 2
        assert plan.reused.empty and plan.removed.empty


def test_plan_treats_null_stored_values_as_changed():
    stored = pd.DataFrame({"item_id": ["a", "b"], "text_hash": [pd.NA, "h-y"], "model": ["m", pd.NA]}).astype("string")
    plan = plan_embedding_refresh(current({"a": "x", "b": "y"}), stored, "m")
    assert plan.to_embed.tolist() == ["a", "b"]
    assert (plan.n_text_changed, plan.n_model_changed) == (1, 1)


@pytest.mark.parametrize(
    "now, stored, match",
    [
        (pd.DataFrame({"item_id": ["a"]}), pd.DataFrame(), "current lacks column"),
        (pd.DataFrame({"item_id": ["a", "a"], "text_hash": ["h", "h"]}), pd.DataFrame(), "repeated: a"),
        (pd.DataFrame({"item_id": ["a"], "text_hash": [None]}), pd.DataFrame(), "null text_hash"),
        (pd.DataFrame({"item_id": ["a"], "text_hash": ["h"]}), pd.DataFrame({"item_id": ["a"]}), "stored lacks"),
    ],
)
def test_plan_rejects_bad_frames(now, stored, match):
    with pytest.raises(ValueError, match=match):
        plan_embedding_refresh(now, stored, "m")


def test_refresh_encodes_only_what_changed_and_reuses_stored_vectors():
    encoder = CountingEncoder()
    first, plan = refresh_embeddings(current({"a": "tea", "b": "coffee", "c": "milk"}), pd.DataFrame(), encoder, "m")
    assert encoder.calls == [["tea", "coffee", "milk"]] and plan.n_new == 3
    assert list(first.columns) == EMBEDDING_COLUMNS and (first["model"] == "m").all()
    assert all(vector.dtype == np.float32 and vector.shape == (3,) for vector in first["embedding"])

    # As read back from DuckDB: vectors as lists. "b" changes, "c" goes, "d" arrives, "a" stays.
    stored = first.assign(embedding=first["embedding"].map(list))
    second, plan = refresh_embeddings(current({"d": "cocoa", "a": "tea", "b": "black coffee"}), stored, encoder, "m")
    assert encoder.calls[1:] == [["cocoa", "black coffee"]]
    assert plan.removed.tolist() == ["c"] and plan.reused.tolist() == ["a"]
    assert second["item_id"].tolist() == ["d", "a", "b"]
    # CountingEncoder's vectors: [length, count of "a", 1].
    np.testing.assert_array_equal(stack_embeddings(second), [[5, 1, 1], [3, 1, 1], [12, 1, 1]])

    # Nothing changed: no call at all.
    third, plan = refresh_embeddings(current({"d": "cocoa", "a": "tea", "b": "black coffee"}), second, encoder, "m")
    assert len(encoder.calls) == 2 and plan.counts()["reused"] == 3
    np.testing.assert_array_equal(stack_embeddings(third), stack_embeddings(second))

    # Another model: everything again.
    refresh_embeddings(current({"d": "cocoa", "a": "tea", "b": "black coffee"}), third, encoder, "m2")
    assert encoder.calls[2] == ["cocoa", "tea", "black coffee"]


def unit_encoder(texts: list[str]) -> np.ndarray:
    """One-hot 2-d vectors: "tea" texts on the first axis, everything else on the second."""
    return np.array([[1.0, 0.0] if "tea" in text else [0.0, 1.0] for text in texts])


def test_extra_text_is_blended_in_at_its_weight():
    items = pd.DataFrame({"text": ["green tea", "mug", "pot"], "extra_text": ["", "for tea", None]})
    vectors = embed_item_texts(items, unit_encoder, extra_weight=0.5)
    # "mug" + 0.5 * "for tea" = (0.5, 1), made unit length; items without extra text keep their own vector.
    np.testing.assert_allclose(vectors, [[1, 0], [0.5 / np.sqrt(1.25), 1 / np.sqrt(1.25)], [0, 1]], rtol=1e-6)
    assert vectors.dtype == np.float32
    np.testing.assert_array_equal(embed_item_texts(items, unit_encoder, extra_weight=0), unit_encoder(items["text"]))
    np.testing.assert_array_equal(embed_item_texts(items[["text"]], unit_encoder), unit_encoder(items["text"]))
    for bad in (-0.1, float("nan"), True, "0.5"):
        with pytest.raises(ValueError, match="extra_weight"):
            embed_item_texts(items, unit_encoder, extra_weight=bad)


def test_a_new_extra_weight_re_embeds_only_the_items_with_extra_text():
    encoder = CountingEncoder()
    now = current({"a": "tea", "b": "mug"}).assign(extra_text=["", "for tea"])
    first, _ = refresh_embeddings(now, pd.DataFrame(), encoder, "m", extra_weight=0.5)
    assert encoder.calls == [["tea", "mug"], ["for tea"]]
    assert first["model"].tolist() == ["m", "m + extra text x0.5"]
    _, plan = refresh_embeddings(now, first, encoder, "m", extra_weight=0.5)
    assert plan.to_embed.empty and len(encoder.calls) == 2
    _, plan = refresh_embeddings(now, first, encoder, "m", extra_weight=0.25)
    assert plan.to_embed.tolist() == ["b"] and encoder.calls[2:] == [["mug"], ["for tea"]]


def test_refresh_checks_what_encode_returns():
    now = current({"a": "tea", "b": "coffee"})
    with pytest.raises(ValueError, match=r"shape \(1, 3\) for 2 texts"):
        refresh_embeddings(now, pd.DataFrame(), lambda texts: np.ones((1, 3)), "m")
    stored, _ = refresh_embeddings(current({"a": "tea"}), pd.DataFrame(), lambda texts: np.ones((1, 3)), "m")
    with pytest.raises(ValueError, match="differ in length"):
        refresh_embeddings(now, stored, lambda texts: np.ones((len(texts), 4)), "m")


def test_stack_embeddings():
    frame = pd.DataFrame({"embedding": [np.array([1.0, 2.0]), [3.0, 4.0]]})
    stacked = stack_embeddings(frame)
    assert stacked.dtype == np.float32
    np.testing.assert_array_equal(stacked, [[1, 2], [3, 4]])
    assert stack_embeddings(frame.iloc[:0]).shape == (0, 0)
    with pytest.raises(ValueError, match="differ in length"):
        stack_embeddings(pd.DataFrame({"embedding": [[1.0], [1.0, 2.0]]}))
    with pytest.raises(ValueError, match="1-D"):
        stack_embeddings(pd.DataFrame({"embedding": [np.ones((2, 2))]}))


def test_align_vectors_puts_each_vector_on_its_item_and_zeros_elsewhere():
    ids, matrix = np.array(["b", "a"]), np.array([[0.0, 1.0], [1.0, 0.0]], dtype=np.float32)
    aligned = align_vectors((ids, matrix), np.array(["a", "c", "b"]))
    np.testing.assert_array_equal(aligned, [[1, 0], [0, 0], [0, 1]])
    assert align_vectors(None, np.array(["a"])) is None
    assert align_vectors((np.array([]), np.zeros((0, 0))), np.array(["a"])) is None


def test_each_dataset_of_a_catalogue_is_refreshed_against_its_own_stored_vectors():
    texts = pd.concat(
        [current({"a": "tea", "b": "milk"}).assign(dataset="shop"), current({"a": "mug"}).assign(dataset="home")]
    )
    calls, lines = [], []

    def encode(dataset, batch):
        calls.append((dataset, list(batch)))
        return CountingEncoder()(batch)

    first = refresh_catalogue_embeddings(texts, pd.DataFrame(), encode, "m", progress=lines.append)
    assert calls == [("home", ["mug"]), ("shop", ["tea", "milk"])] and first.encode_seconds > 0
    assert lines == ["home: 1 to embed, 0 reused", "shop: 2 to embed, 0 reused"]
    assert set(first.tables["shop"].columns) == {*EMBEDDING_COLUMNS, "dataset"}
    stored = pd.concat(first.tables.values(), ignore_index=True)
    # "a" is stored in both datasets: only shop's changed text is embedded again.
    changed = texts.assign(
        text=np.where(texts["dataset"].eq("shop") & texts["item_id"].eq("a"), "coffee", texts["text"])
    )
    changed["text_hash"] = "h-" + changed["text"]
    calls.clear()
    second = refresh_catalogue_embeddings(changed, stored, encode, "m")
    assert calls == [("shop", ["coffee"])]
    assert second.plans["home"].counts()["reused"] == 1 and second.plans["shop"].counts()["reused"] == 1
    np.testing.assert_array_equal(second.tables["home"]["embedding"][0], first.tables["home"]["embedding"][0])


def test_catalogue_text_vectors_re_encode_only_the_items_with_extra_text_and_ignore_what_it_says():
    texts = pd.DataFrame(
        {
            "item_id": ["a", "b", "c"],
            "text": ["Tea.", "Milk.", "Jam."],
            "extra_text": ["", "Milk. 4 reviews, rated 4.5.", ""],
            "text_source": ["catalogue", "catalogue+generated", "catalogue"],
        }
    )
    encoder = CountingEncoder()
    blended = embed_item_texts(texts, encoder)
    stored = (texts["item_id"].to_numpy(), blended)
    frozen = CountingEncoder()
    ids, matrix = catalogue_text_vectors(stored, texts, frozen)
    # One call, on the one item with extra text; its vector is its catalogue text's, the others are kept.
    assert frozen.calls == [["Milk."]]
    np.testing.assert_array_equal(matrix[[0, 2]], blended[[0, 2]])
    np.testing.assert_allclose(matrix[1], embed_item_texts(texts.assign(extra_text=""), CountingEncoder())[1])
    # What the extra text says (reviews after a cut, say) does not reach these vectors; the store is untouched.
    later = texts.assign(extra_text=["", "Milk. 9 reviews, rated 2.0.", ""])
    np.testing.assert_array_equal(catalogue_text_vectors(stored, later, CountingEncoder())[1], matrix)
    assert not np.array_equal(stored[1][1], matrix[1]) and list(ids) == ["a", "b", "c"]
    no_extra = CountingEncoder()
    assert catalogue_text_vectors(stored, texts.assign(extra_text=""), no_extra) is stored and not no_extra.calls


def test_catalogue_text_vectors_leave_out_items_whose_text_is_not_the_catalogues():
    # A review-only item's text is its published description, written from every review: no cut may use it.
    texts = pd.DataFrame(
        {
            "item_id": ["a", "b"],
            "text": ["Tea.", "12 reviews, rated 4.5 out of 5. Reviewers mention hair."],
            "extra_text": ["", ""],
            "text_source": ["catalogue", "generated"],
        }
    )
    stored = (texts["item_id"].to_numpy(), embed_item_texts(texts, CountingEncoder()))
    encoder = CountingEncoder()
    ids, matrix = catalogue_text_vectors(stored, texts, encoder)
    assert list(ids) == ["a"] and not encoder.calls
    np.testing.assert_array_equal(matrix, stored[1][:1])
    only_reviewed = catalogue_text_vectors((ids[:0], matrix[:0]), texts.iloc[1:], encoder)
    assert len(only_reviewed[0]) == 0 and align_vectors(only_reviewed, np.array(["b"])) is None
