"""Text that never belongs in a shop's product text, nor in a prompt: links, e-mail addresses, phone numbers, social
media handles, markup, and instructions addressed to a language model or the reader (the sign of an injection
through review text).

``longtail.language.guard`` reports these patterns in generated text; ``sanitize_highlights`` keeps review highlights
that carry them out of prompts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

URL = re.compile(
    r"\bhttps?://\S+|\bwww\.\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|net|org|info|biz|io|shop|store|co\.uk|uk|us|de)\b",
    re.IGNORECASE,
)
EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
# Seven or more digits in one run of digits, spaces, dots, dashes and brackets, optionally after "+": "+1 (555)
# 123-4567", "0800 123 4567", "555.123.4567". Prices, years and counts have fewer digits or other separators.
PHONE = re.compile(r"(?<![\w.])\+?\(?\d(?:[\d\s().-]{5,}\d)(?![\w])")
HTML = re.compile(r"<\s*/?\s*[A-Za-z][^<>]*>?|&(?:[A-Za-z]+|#\d+);")
HANDLE = re.compile(r"(?<![\w@])[@#][A-Za-z_]\w*")
INJECTED_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.!?\n]{0,40}\b(?:instructions?|prompts?|rules|above|previous|prior)\b"
    r"|\b(?:new|system|hidden)\s+(?:instructions?|prompt)\b"
    r"|\byou\s+(?:are\s+now|must\s+now|should\s+now)\b|\bas\s+an\s+ai\b|\bvisit\s+(?:us\s+at\s+)?(?:https?://|www\.)"
    r"|\b(?:say|write|respond|reply|output|print|tell\s+(?:them|users?|readers?|customers?))\b[^.!?\n]{0,30}"
    r"\b(?:visit|go\s+to|click|buy\s+(?:it\s+)?(?:at|from))\b"
    r"|\b(?:visit|check\s+out|go\s+to)\s+(?:our|my|this|the)\s+(?:web\s*site|site|store|shop|page|link)\b"
    r"|\bclick\s+(?:here|the\s+link|below)\b|\b(?:call|text|email|contact)\s+(?:us\s+)?now\b|\bpromo\s+code\b",
    re.IGNORECASE,
)


def sanitize_highlights(texts: Iterable[str]) -> tuple[list[str], int]:
    """Review highlights that are safe to put into a prompt, and how many were dropped.

    A highlight is dropped when it carries an injected instruction, a URL, an e-mail address, a phone number or a
    social media handle; markup is stripped from the others, whitespace collapsed, and blank or repeated ones are
    left out (those do not count as dropped). Order is kept.
    """
    kept: list[str] = []
    dropped = 0
    for text in texts:
        if not isinstance(text, str):
            raise TypeError(f"highlights must be strings, got {type(text).__name__}")
        if carries_unsafe_text(text):
            dropped += 1
            continue
        clean = " ".join(HTML.sub(" ", text).split())
        if clean and clean not in kept:
            kept.append(clean)
    return kept, dropped


def is_phone_number(text: str) -> bool:
    """Whether ``text`` holds a phone number: a ``PHONE`` run with at least seven digits."""
    return any(sum(ch.isdigit() for ch in match.group(0)) >= 7 for match in PHONE.finditer(text))


def carries_unsafe_text(text: str) -> bool:
    """Whether ``text`` carries an injected instruction, a URL, an e-mail address, a social media handle or a phone
    number: text from a review that must not reach a prompt or a published text, in whole or in part."""
    return any(pattern.search(text) for pattern in (INJECTED_INSTRUCTION, URL, EMAIL, HANDLE)) or is_phone_number(text)
