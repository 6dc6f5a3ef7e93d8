"""The chat prompt that asks a small language model for a product description and an ad line, the cache key of
its output, and the parsing of what it writes.

``build_prompt`` turns ``ItemFacts`` into chat messages (with one worked example, and the start of the answer for
the model to continue); ``prompt_hash`` keys the cache of outputs, so that a rerun generates only for prompts (or
models, or settings) not seen before; ``parse_generation`` splits an output into description and ad copy.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence

from longtail.data.text_repairs import WHITESPACE
from longtail.language.facts import ItemFacts, format_facts

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

_AD_LABEL = re.compile(r"(?:^|\n|\s)\**\s*(?:ad(?:\s*copy)?|advert|tagline|slogan)\s*\**\s*:", re.IGNORECASE)
_DESCRIPTION_LABEL = re.compile(r"^\s*\**\s*description\s*\**\s*:\s*", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?](?=[\"')\]]*(?:\s|$))")


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
    its last complete sentence when it has one, and an ad copy that ends the output without a line break after it
    or final punctuation is dropped. Both are stripped of wrapping quotes and "**" emphasis, whitespace collapsed.
    Without an ad label (or with a dropped one) the ad copy is "".
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
    label = _AD_LABEL.search(text)
    description = _DESCRIPTION_LABEL.sub("", (text[: label.start()] if label else text).strip())
    ad_copy, line_break, _ = text[label.end() :].lstrip().partition("\n") if label else ("", "", "")
    if not line_break and not _SENTENCE_END.search(ad_copy.rstrip() + " "):
        # The last line, unpunctuated: most likely cut off at max_new_tokens ("Smartmoney has").
        ad_copy = ""
    return _tidy_answer(description), _tidy_answer(ad_copy)


def answer_complete(text: str) -> bool:
    """Whether a model output, possibly still being generated, holds all that ``parse_generation`` reads: an ad
    label and the line break that ends the line after it."""
    label = _AD_LABEL.search(text)
    return label is not None and "\n" in text[label.end() :].lstrip()


def _tidy_answer(text: str) -> str:
    """Emphasis and wrapping quotes removed, whitespace collapsed, cut after the last complete sentence."""
    text = WHITESPACE.sub(" ", text.replace("**", "")).strip().strip("\"'“”").strip()
    ends = [match.end() for match in _SENTENCE_END.finditer(text)]
    return text[: ends[-1]].strip() if ends else text
