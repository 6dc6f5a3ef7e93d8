"""What the shop assistant answers at the end of written chat conversations: each conversation of ``--conversations``
(JSON lines ``{"id", "dataset", "turns": [..]}``) is answered turn by turn for an anonymous shopper over the current
snapshot, and the last answer is drawn to be judged against the whole conversation.

    LONGTAIL_HOME=~/.longtail .venv/bin/python bench/conversation_answers.py [--k 5]
    # the last answers as a careful reader would judge them (conversation and item titles only), as JSONL
    LONGTAIL_HOME=~/.longtail .venv/bin/python bench/conversation_answers.py --draw /tmp/c --label after
    # score judged answers (``docs/labels/recipient_switch_answers.jsonl``): the share of items that fit the
    # conversation, and the paired difference of each system to the first with a 95% bootstrap interval
    .venv/bin/python bench/conversation_answers.py --labels docs/labels/recipient_switch_answers.jsonl

The conversations were written by helpers that saw no code. The default ones
(``docs/labels/recipient_switch_conversations.jsonl``): a present for one person, then a last turn that names
another, either instead ("ok and for my dad?") or as well ("my sister would like that too"). The diet ones
(``--conversations docs/labels/diet_conversations.jsonl``, judged in ``docs/labels/diet_answers.jsonl``): grocery
requests where a vegetarian or vegan diet matters, or seems to and does not. The measure ones (``--conversations
docs/labels/measure_conversations.jsonl``, judged in ``docs/labels/measure_answers.jsonl``): a last turn that says how
much, how big or what it comes in ("a 5 lb bag of potatoes", "32 oz chicken broth"); ``measure2_conversations.jsonl``
(``measure2_answers.jsonl``) asks half the time for a size the shop's titles state; ``container_conversations.jsonl``
(``container_answers.jsonl``) says what an amount comes in ("3lb bag yellow onions"). The names ones
(``names_conversations.jsonl`` and ``names2_conversations.jsonl``, judged in ``names_answers.jsonl`` and
``names2_answers.jsonl``): a grocery product by its everyday name, a third borrowing another food's word ("peanut
butter", "jelly beans"); ``person_word_conversations.jsonl`` (``person_word_answers.jsonl``) holds a word for a person
or an occasion, half the time in a product's name ("baby carrots", "party mix"); ``purpose_conversations.jsonl``
(``purpose_answers.jsonl``) says what a product is for ("half and half for my coffee"), and so does
``purpose1_conversations.jsonl`` (``purpose1_answers.jsonl``), naming it in one word two times in three ("capers for
chicken piccata"); ``kinds_conversations.jsonl`` (``kinds_answers.jsonl``) asks for one kind of grocery product, often
with a variety or flavour ("dijon mustard, smooth not grainy"); ``opener_conversations.jsonl``,
``opener2_conversations.jsonl``, ``opener3_conversations.jsonl`` and ``opener4_conversations.jsonl``
(``opener_answers.jsonl`` ...) open with what the shopper is looking for ("hi, looking for tuna in water, low
sodium", "on the lookout for string cheese"); ``evaluative_conversations.jsonl`` (``evaluative_answers.jsonl``) say how
good a thing should be ("a decent laundry detergent for sensitive skin"), and ``evaluative_earlier_answers.jsonl``
judges the answers of every earlier set that the evaluative words' rule changed; ``opener5_conversations.jsonl``
(``opener5_answers.jsonl``, and ``opener5_earlier_answers.jsonl`` for the earlier sets) open with what the shopper
is trying to do ("trying to track down greek yogurt with no added sugar"). Per shop: the conversations, the
last answers with no item (the hard filters left none), and the last answers with an item whose "matches your words"
reason names a recipient of the earlier turns that the last turn does not name: counts, not judgements.
"""

from __future__ import annotations

import json
from pathlib import Path

from served import ROOT, append_draw, assistants, current_shops, judging_parser, score_fits_per_query

from longtail.serving.occasions import OCCASION_PATTERN, OCCASION_WORDS, RECIPIENTS, occasions_in

CONVERSATIONS = ROOT / "docs" / "labels" / "recipient_switch_conversations.jsonl"
REASON = "matches your words: "
# How the draw shows a conversation to the judge: its turns in order.
TURN_SEPARATOR = " >> "


def answered_conversations(shops, conversations: list[dict], k: int) -> list[dict]:
    """Each conversation of a served shop with the ``items`` (cards, at most ``k``) of the assistant's answer to its
    last turn, each turn answered after the previous one's."""
    assistant = assistants(shops)
    out = []
    for conversation in conversations:
        shop = conversation["dataset"]
        if shop not in shops:
            continue
        turn = answer = None
        for query in conversation["turns"]:
            answer = assistant(shop).answer(query, None, turn, k)
            turn = answer.turn
        out.append({**conversation, "items": answer.items})
    return out


def earlier_recipient_words(conversation: dict) -> set[str]:
    """The words of the earlier turns that name a recipient the last turn does not name ("mum" before "ok and for
    my dad?")."""
    *earlier, last = (turn.lower().replace("\u2019", "'") for turn in conversation["turns"])
    named_last = set(occasions_in(last))
    return {
        match.group(0)
        for turn in earlier
        for match in OCCASION_PATTERN.finditer(turn)
        if set(OCCASION_WORDS[match.group(0)]) <= RECIPIENTS - named_last
    }


def report(answered: list[dict]) -> None:
    for shop in dict.fromkeys(c["dataset"] for c in answered):
        mine = [c for c in answered if c["dataset"] == shop]
        naming = empty = 0
        for conversation in mine:
            empty += not conversation["items"]
            old = earlier_recipient_words(conversation)
            matched = {
                word
                for card in conversation["items"]
                for reason in card["reasons"]
                if reason.startswith(REASON)
                for word in reason.removeprefix(REASON).split(", ")
            }
            naming += bool(old & matched)
        print(
            f"{shop}: {len(mine)} conversations; {empty} last answers empty; {naming} match a word of an earlier "
            "recipient"
        )


def draw(answered: list[dict], out, label: str) -> None:
    records = [
        {"system": label, "dataset": c["dataset"], "id": c["id"], "split": "heldout",
         "query": TURN_SEPARATOR.join(c["turns"]), "rank": rank, "item_id": card["item_id"], "item": card["title"]}
        for c in answered
        for rank, card in enumerate(c["items"], start=1)
    ]  # fmt: skip
    append_draw(out, records, f"last answers of {label!r}")


def main() -> None:
    parser = judging_parser(__doc__, "last answers")
    parser.add_argument("--conversations", type=Path, default=CONVERSATIONS, help="JSON lines of conversations")
    args = parser.parse_args()
    if args.labels:
        score_fits_per_query(args.labels)
        return
    conversations = [json.loads(line) for line in args.conversations.read_text().splitlines() if line.strip()]
    answered = answered_conversations(current_shops(), conversations, args.k)
    report(answered)
    if args.draw:
        draw(answered, args.draw, args.label)


if __name__ == "__main__":
    main()
