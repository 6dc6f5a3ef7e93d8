"""Grounded product texts: a description and an ad line written from an item's facts by fixed phrasings, so that
every checkable claim in them is one of the facts, restated.

Why not a language model: the faithfulness evaluation (``docs/faithfulness.md``) labelled the outputs of the
packaged SmolLM2-135M-Instruct by careful reading, and most of them, also after the guard, state something the
facts do not support. A data-to-text realisation states nothing else by construction; what it says is as good as
the catalogue and the reviews.

A description is up to five sentences, each present only when its facts are:

1. what the item is: its title (all-capitals titles in title case), brand and category path;
2. its catalogue features;
3. its price, with its currency's symbol where the data names it ("£2.55");
4. its reviews: how many, the mean star rating, and the phrases most of them mention, with counts;
5. one review title, quoted and attributed.

The ad line names the item and adds the strongest single fact: the review rating, else the category, else the
price.
"""

from __future__ import annotations

import re

from longtail.language.facts import ItemFacts, is_describable, names_item, plural, price_text

_WORD = re.compile(r"[A-Za-z][A-Za-z']*")


def grounded_text(facts: ItemFacts) -> tuple[str, str]:
    """``(description, ad_copy)`` for ``facts``, stating nothing but the facts; ``("", "")`` when the facts do not
    say what the item is (``longtail.language.facts.is_describable``)."""
    if not is_describable(facts):
        return "", ""
    name = display_title(facts.title) if names_item(facts.title) else ""
    leaf = facts.category.split(" > ")[-1] if facts.category else ""
    sentences = [
        _identity(name, facts),
        _sentence("Features: " + "; ".join(facts.features)) if facts.features else "",
        f"Price: {price_text(facts.price, facts.currency)}." if _has_price(facts) else "",
        _reviews_sentence(facts),
        _quote(facts.review_highlights[0]) if facts.review_highlights else "",
    ]
    description = " ".join(sentence for sentence in sentences if sentence)
    subject = name or (f"{leaf} from {facts.brand}" if facts.brand and leaf else "This item")
    if facts.review_count and facts.mean_rating is not None:
        ad = f"{subject}: rated {facts.mean_rating:.1f} out of 5 in {plural(facts.review_count, 'review')}."
    elif leaf and leaf.lower() not in subject.lower():
        ad = f"{subject}, in {leaf}."
    elif _has_price(facts):
        ad = f"{subject}, {price_text(facts.price, facts.currency)}."
    else:
        ad = _sentence(subject)
    return description, ad


def display_title(title: str) -> str:
    """``title`` as a shopper should read it: an all-capitals title ("WHITE HANGING HEART T-LIGHT HOLDER") in title
    case ("White Hanging Heart T-Light Holder"), any other unchanged."""
    if title.upper() != title or not any(ch.isalpha() for ch in title):
        return title
    return _WORD.sub(lambda match: match.group(0).capitalize(), title.lower())


def _identity(name: str, facts: ItemFacts) -> str:
    """ "Name, from Brand, in Category > Path." with the parts the facts have; the brand is left out when the name
    already holds it."""
    if not name and not (facts.brand and facts.category):
        return ""
    if not name:
        return f"An item from {facts.brand} in {facts.category}."
    parts = [name]
    if facts.brand and facts.brand.lower() not in name.lower():
        parts.append(f"from {facts.brand}")
    if facts.category:
        parts.append(f"in {facts.category}")
    return _sentence(", ".join(parts))


def _reviews_sentence(facts: ItemFacts) -> str:
    """ "12 reviews, rated 4.3 out of 5 on average. Reviewers mention fit (5 reviews) and colour (3 reviews)." """
    if not facts.review_count:
        return ""
    text = plural(facts.review_count, "review")
    if facts.mean_rating is not None:
        text += f", rated {facts.mean_rating:.1f} out of 5 on average"
    text = _sentence(text)
    mentions = [f"{phrase} ({plural(count, 'review')})" for phrase, count in facts.review_mentions]
    if mentions:
        listed = mentions[0] if len(mentions) == 1 else ", ".join(mentions[:-1]) + " and " + mentions[-1]
        text += f" Reviewers mention {listed}."
    return text


def _has_price(facts: ItemFacts) -> bool:
    """A price of 0 or less is a bookkeeping line (Online Retail's "lost", "damaged"), not what the item costs."""
    return facts.price is not None and facts.price > 0


def _quote(text: str) -> str:
    """One reviewer's words, quoted and attributed; the sentence ends inside the quotes when they do."""
    return f"One reviewer wrote: \u201c{text}\u201d" + ("" if text.endswith((".", "!", "?")) else ".")


def _sentence(text: str) -> str:
    """``text`` ending with sentence punctuation."""
    text = text.strip()
    return text if not text or text.endswith((".", "!", "?")) else text + "."
