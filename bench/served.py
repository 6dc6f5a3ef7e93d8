"""What the bench scripts that read the served answers share: the shops of the current snapshot under
``$LONGTAIL_HOME``, and the options of a judged draw (draw answers to judge, or score judged ones)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from longtail.serving.assistant import ShopAssistant, Turn, served_assistant  # noqa: E402
from longtail.serving.catalogue import ShopIndex, load_snapshot  # noqa: E402
from longtail.serving.query import QuerySpec, ShownItem  # noqa: E402
from longtail.serving.snapshot import current_version  # noqa: E402
from longtail.stats import bootstrap_mean_interval, wilson_interval  # noqa: E402
from resources import home  # noqa: E402

BOOTSTRAP_DRAWS = 5000


def current_shops() -> dict[str, ShopIndex]:
    """The shops of the snapshot that ``longtail serve`` would serve now."""
    root = home.serving_dir()
    return load_snapshot(root, current_version(root)).shops


def judging_parser(doc: str, drawn: str) -> argparse.ArgumentParser:
    """The options of a bench that answers queries to be judged: ``--k`` (items per answer), ``--draw FOLDER``
    (append the ``drawn`` answers to judge), ``--label`` (the system's name in the draw) and ``--labels FILE`` (score
    judged answers instead); described by the first paragraph of the bench's ``doc``."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--k", type=int, default=5, help="items per answer")
    parser.add_argument("--draw", type=Path, metavar="FOLDER", help=f"append the {drawn} to FOLDER")
    parser.add_argument("--label", default="current", help="with --draw: the system's name in the records")
    parser.add_argument("--labels", type=Path, help="score judged answers instead")
    return parser


def share(count: int, total: int) -> str:
    """``count`` of ``total`` as a share with its 95% Wilson interval: "0.56 (0.49-0.63)"."""
    low, high = wilson_interval(count, total)
    return f"{count / max(total, 1):.2f} ({float(low):.2f}-{float(high):.2f})"


def append_draw(out: Path, records: Iterable[dict], what: str) -> None:
    """Append ``records`` (drawn answers, one per item shown) to ``out / "answers.jsonl"``."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / "answers.jsonl"
    with path.open("a") as drawn:
        drawn.writelines(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
    print(f"{what} appended to {path}")


def read_labels(labels: Path) -> list[dict]:
    """The judged records of a labels file (JSON lines)."""
    return [json.loads(line) for line in labels.read_text().splitlines()]


def parsing_records(shops, wanted: Callable[[dict], bool]) -> list[dict]:
    """The parsing-set records (``longtail/serving/parsing_set*.jsonl``) of the served ``shops`` that ``wanted``
    keeps, each tagged with its ``split`` ("dev" or "heldout", from its file's name)."""
    records = []
    for path in sorted((ROOT / "longtail" / "serving").glob("parsing_set*.jsonl")):
        split = "heldout" if "heldout" in path.name else "dev"
        for line in path.read_text().splitlines():
            record = json.loads(line)
            if record["dataset"] in shops and wanted(record):
                records.append({**record, "split": split})
    return records


def assistants(shops) -> Callable[[str], ShopAssistant]:
    """The served assistant of a shop of ``shops`` by its name, each built once, with the served encoder."""
    from longtail.serving.api import _default_encoder

    encode = _default_encoder()
    built: dict[str, ShopAssistant] = {}

    def assistant(shop: str) -> ShopAssistant:
        if shop not in built:
            built[shop] = served_assistant(shops[shop], encode, shops[shop].settings.get("assistant"))
        return built[shop]

    return assistant


def answer_records(shops, records: list[dict], k: int) -> list[dict]:
    """Each parsing-set record with the ``items`` (cards, at most ``k``) the served assistant answers an anonymous
    shopper with, after the record's previous turn where it has one."""
    assistant = assistants(shops)
    out = []
    for record in records:
        shop = record["dataset"]
        previous = record.get("previous")
        turn = None
        if previous:
            shown = tuple(ShownItem(item["item_id"], item["price"]) for item in previous["shown"])
            turn = Turn(QuerySpec.from_json(previous["spec"]), shown)
        answer = assistant(shop).answer(record["query"], None, turn, k)
        out.append({**record, "items": answer.items})
    return out


def draw_answers(answered, out: Path, label: str) -> None:
    """The answers' (query, item) pairs of parsing-set records (``answer_records``) tagged ``label``, appended to
    any earlier draw in ``out``."""
    records = [
        {"system": label, "dataset": record["dataset"], "id": record["id"], "split": record["split"],
         "query": record["query"], "rank": rank, "item_id": card["item_id"], "item": card["title"]}
        for record in answered
        for rank, card in enumerate(record["items"], start=1)
    ]  # fmt: skip
    append_draw(out, records, f"answers of {label!r}")


def score_fits_per_query(labels: Path) -> None:
    """Per parsing set and system: the share of items judged to fit the query, and each system's paired difference
    to the first system's share (per query, then resampled over queries; an empty answer fits nothing)."""
    records = read_labels(labels)
    systems = list(dict.fromkeys(r["system"] for r in records))
    for split in ("dev", "heldout", None):
        mine = [r for r in records if split is None or r["split"] == split]
        if not mine:
            continue
        print(f"{split or 'both'} sets")
        fits = {system: {} for system in systems}
        for r in mine:
            fits[r["system"]].setdefault(r["id"], []).append(r["fits"])
        for system in systems:
            shown = [fit for query in fits[system].values() for fit in query]
            line = f"  {system:8} {sum(shown)}/{len(shown)} = {share(sum(shown), len(shown))} fit the query"
            if system != systems[0]:
                first, this = fits[systems[0]], fits[system]
                gains = [
                    (sum(this.get(q, [])) - sum(first.get(q, []))) / max(len(this.get(q, [])), len(first.get(q, [])))
                    for q in sorted(set(first) | set(this))
                ]
                low, high = bootstrap_mean_interval(gains, n_resamples=BOOTSTRAP_DRAWS)
                line += f"; paired difference {sum(gains) / len(gains):+.3f} ({low:+.3f} to {high:+.3f})"
            print(line)
