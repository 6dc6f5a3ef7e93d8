import dagster as dg
import numpy as np
import pytest

from longtail.recommend import embedding
from resources.models import EmbeddingModelResource, FakeEmbeddingModelResource

TEXTS = ["red wine glass", "a glass for red wine", "mountain bike tyre", "tubeless tyre for a mountain bike"]


def test_fake_vectors_are_unit_length_deterministic_and_similar_when_words_are_shared():
    fake = FakeEmbeddingModelResource()
    vectors = fake.encode(TEXTS)
    assert vectors.shape == (4, 32) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(vectors, FakeEmbeddingModelResource().encode(TEXTS))
    cosine = vectors @ vectors.T
    assert cosine[0, 1] > 0.6 and cosine[2, 3] > 0.6
    assert max(cosine[0, 2], cosine[0, 3], cosine[1, 2], cosine[1, 3]) < cosine[0, 1]
    # Case and punctuation do not matter; a text with no word still gets a unit vector.
    np.testing.assert_array_equal(fake.encode(["Red wine, glass!"])[0], vectors[0])
    assert np.linalg.norm(fake.encode(["", "..."]), axis=1) == pytest.approx([1.0, 1.0])
    assert fake.encode([]).shape == (0, 32)


def test_fake_has_the_real_resource_methods():
    fake = FakeEmbeddingModelResource(dim=8, batch_size=2)
    calls = []
    assert fake.encode(["a", "b", "c"], progress=lambda done, total: calls.append((done, total))).shape == (3, 8)
    assert calls == [(2, 3), (3, 3)]
    assert fake.model_name() == "fake-hashed-bag-of-words-8" != FakeEmbeddingModelResource().model_name()
    assert fake.device_name() == "cpu"
    with pytest.raises(TypeError, match="not one string"):
        fake.encode("a")


def test_resources_work_inside_an_asset():
    @dg.asset
    def vectors(context: dg.AssetExecutionContext, model: EmbeddingModelResource) -> None:
        context.add_output_metadata({"model": model.model_name(), "shape": str(model.encode(TEXTS).shape)})

    result = dg.materialize([vectors], resources={"model": FakeEmbeddingModelResource(dim=16)})
    metadata = result.asset_materializations_for_node("vectors")[0].metadata
    assert metadata["model"].value == "fake-hashed-bag-of-words-16"
    assert metadata["shape"].value == "(4, 16)"


def test_real_resource_loads_the_packaged_model_once(monkeypatch):
    loads = []
    real_load = embedding.load_encoder

    def counting_load(name_or_path, device):
        loads.append((name_or_path, device))
        return real_load(name_or_path, device)

    monkeypatch.setattr(embedding, "load_encoder", counting_load)
    # Float32 even on a CPU with native bfloat16, whose results differ by batch by about 1e-4.
    monkeypatch.setattr(embedding, "_native_bfloat16", lambda: False)
    model = EmbeddingModelResource(device="cpu", batch_size=2)
    assert model.model_name() == embedding.DEFAULT_MODEL and model.device_name() == "cpu"
    calls = []
    first = model.encode(TEXTS, progress=lambda done, total: calls.append(done))
    second = model.encode(TEXTS[:1])
    assert loads == [("default", "cpu")] and calls == [4]
    assert first.shape == (4, 384) and first.dtype == np.float32
    np.testing.assert_allclose(second[0], first[0], atol=1e-5)
    cosine = first @ first.T
    assert cosine[0, 1] > cosine[0, 2] and cosine[2, 3] > cosine[1, 3]
