from pathlib import Path

import numpy as np
import pytest

from longtail.recommend import embedding
from longtail.recommend.embedding import DEFAULT_MODEL, canonical_model_name, encode_texts, load_encoder, resolve_model

TEXTS = [
    "Red Wine Glass. Brand: Riedel. Category: Home > Kitchen > Glassware. Set of four hand-blown glasses.",
    "Tea.",
    "Chocolate Sandwich Cookies. Category: snacks > cookies cakes.",
    "REASON is edited for people interested in economics, politics and culture, with reporting and essays.",
    "Mountain bike tyre, 29 inch, tubeless ready.",
    "Organic whole milk. Category: dairy eggs > milk.",
    "Cookies.",
]


@pytest.fixture(scope="module")
def minilm():
    return load_encoder("default", "cpu")


@pytest.fixture
def float32(monkeypatch):
    """Float32 arithmetic even on a CPU with native bfloat16, whose results depend on the batch a text is in by
    about 1e-4: the tests that compare vectors across batchings use it."""
    monkeypatch.setattr(embedding, "_native_bfloat16", lambda: False)


def test_encode_texts_matches_plain_encode_in_the_input_order(minilm, float32):
    calls = []
    ours = encode_texts(
        minilm, TEXTS, batch_size=3, report_every=1, progress=lambda done, total: calls.append((done, total))
    )
    plain = minilm.encode(TEXTS, normalize_embeddings=True)
    assert ours.shape == (len(TEXTS), 384) and ours.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    # Row i is text i: each row is closest to plain encode's row for the same text.
    cosine = ours @ plain.T
    assert np.all(np.diag(cosine) > 0.999)
    np.testing.assert_array_equal(cosine.argmax(axis=1), np.arange(len(TEXTS)))
    assert calls == [(3, 7), (6, 7), (7, 7)]
    chunked = encode_texts(minilm, TEXTS, batch_size=3, progress=lambda done, total: calls.append((done, total)))
    np.testing.assert_allclose(chunked, ours, atol=1e-5)
    assert calls[-1] == (7, 7) and len(calls) == 4  # one report per 1,024 texts, and at the end
    assert cosine[1, 6] < 0.99  # "Tea." and "Cookies." are not swapped by the length sort


def test_each_distinct_text_is_encoded_once_in_token_length_order(minilm, float32, monkeypatch):
    batches = []
    preprocess = minilm.preprocess
    monkeypatch.setattr(minilm, "preprocess", lambda batch: batches.append(list(batch)) or preprocess(batch))
    calls = []
    texts = ["Tea.", TEXTS[0], "Tea.", TEXTS[2], "Tea."]
    vectors = encode_texts(minilm, texts, batch_size=2, progress=lambda done, total: calls.append((done, total)))
    assert batches == [[TEXTS[0], TEXTS[2]], ["Tea."]]  # longest first, "Tea." once
    np.testing.assert_array_equal(vectors[0], vectors[2])
    np.testing.assert_array_equal(vectors[0], vectors[4])
    np.testing.assert_allclose(
        vectors, encode_texts(minilm, [TEXTS[1], TEXTS[0], TEXTS[1], TEXTS[2], TEXTS[1]]), atol=1e-5
    )
    assert calls == [(5, 5)]


def test_batches_hold_at_most_batch_tokens_padded_tokens(minilm, float32, monkeypatch):
    batches = []
    preprocess = minilm.preprocess
    monkeypatch.setattr(minilm, "preprocess", lambda batch: batches.append(list(batch)) or preprocess(batch))
    tokens = [len(ids) for ids in minilm.tokenizer(TEXTS)["input_ids"]]
    longest = max(tokens)
    vectors = encode_texts(minilm, TEXTS, batch_size=100, batch_tokens=2 * longest)
    assert batches[0] == [TEXTS[int(np.argmax(tokens))], TEXTS[int(np.argsort(tokens)[-2])]]
    assert all(len(batch) * max(tokens[TEXTS.index(text)] for text in batch) <= 2 * longest for batch in batches)
    assert sum(map(len, batches)) == len(TEXTS)
    np.testing.assert_allclose(vectors, encode_texts(minilm, TEXTS), atol=1e-5)
    # A text longer than the budget still goes, alone.
    batches.clear()
    encode_texts(minilm, TEXTS, batch_tokens=1)
    assert [len(batch) for batch in batches] == [1] * len(TEXTS)


def test_bfloat16_vectors_match_float32_ones(minilm, monkeypatch):
    monkeypatch.setattr(embedding, "_native_bfloat16", lambda: False)
    exact = encode_texts(minilm, TEXTS)
    monkeypatch.setattr(embedding, "_native_bfloat16", lambda: True)
    fast = encode_texts(minilm, TEXTS)
    assert fast.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)
    assert np.all(np.sum(fast * exact, axis=1) > 0.9999)


def test_encode_texts_of_nothing_and_bad_input(minilm):
    assert encode_texts(minilm, []).shape == (0, 384)
    with pytest.raises(TypeError, match="not one string"):
        encode_texts(minilm, "Tea")
    with pytest.raises(TypeError, match="position 1"):
        encode_texts(minilm, ["Tea", None])
    with pytest.raises(ValueError, match="batch_size"):
        encode_texts(minilm, ["Tea"], batch_size=0)


def test_resolve_model_and_its_recorded_name(tmp_path):
    packaged = resolve_model(None)
    assert resolve_model("default") == packaged and (Path(packaged) / "modules.json").is_file()
    assert resolve_model(str(tmp_path)) == str(tmp_path)
    assert resolve_model("sentence-transformers/all-mpnet-base-v2") == "sentence-transformers/all-mpnet-base-v2"
    with pytest.raises(ValueError, match="model must be"):
        resolve_model(" ")
    assert canonical_model_name(None) == canonical_model_name("default") == DEFAULT_MODEL
    assert canonical_model_name("org/model") == "org/model"
