"""How often published text states what its facts do not support, measured against labels made by careful reading,
not by the guard.

The labelled set (``LABELLED_SET``, JSON lines, one generated text each, rubric in ``docs/faithfulness.md``) holds,
per text: ``dataset``, ``item_id``, ``split`` ("tune" or "report", ``split_of``), ``source`` ("model": a raw
language-model output; "facts": a grounded text), ``field`` ("description" or "ad_copy"), the item's ``facts``
(``longtail.language.facts.facts_to_dict``), the ``text``, and the reader's ``label`` (``LABELS``) with the
``offending`` phrases of a text that is not faithful.

From it, per field (``faithfulness_figures``):

- the guard's precision and recall at flagging unsupported model text (flagged: any finding of
  ``longtail.language.guard.find_violations``; positive: labelled "invented" or "wrong");
- the unsupported rate of what each source would publish, with a 95% Wilson interval. For "facts" that is the
  grounded text, regenerated from the stored facts: a text that no longer matches what was labelled is counted as
  ``stale`` and left out, because a changed generator needs new labels before it gets a figure. For "model" it is
  the guard's repair of the labelled output (a repaired text is unsupported when an offending phrase survived
  the repair), and the grounded text where the guard rejects the output.

The guard may be tuned on the "tune" split; the figures that count are the "report" split's.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from longtail.language import guard
from longtail.language.descriptions import grounded_result
from longtail.language.facts import facts_from_dict
from longtail.stats import wilson_interval

LABELS = ("faithful", "invented", "wrong")
SOURCES = ("facts", "model")
FIELDS = ("description", "ad_copy")
SPLITS = ("tune", "report")
LABEL_COLUMNS = ["dataset", "item_id", "split", "source", "field", "facts", "text", "label", "offending"]
LABELLED_SET = Path(__file__).resolve().parents[2] / "docs" / "labels" / "generated_texts.jsonl"
# A second reader's independent faithful / not-faithful judgement of a random subset, for agreement.
SECOND_READER = LABELLED_SET.with_name("second_reader.jsonl")
# One item in TUNE_SHARE goes to the tune split (by a hash of dataset and item id, so it never changes).
TUNE_SHARE = 3


def split_of(dataset: str, item_id: str) -> str:
    """ "tune" for one item in ``TUNE_SHARE`` (by SHA-256 of "dataset/item_id"), else "report"."""
    digest = hashlib.sha256(f"{dataset}/{item_id}".encode()).digest()
    return "tune" if digest[0] % TUNE_SHARE == 0 else "report"


def load_labels(path: Path = LABELLED_SET) -> pd.DataFrame:
    """The labelled texts of ``path`` as a frame (``LABEL_COLUMNS``), checked: every line a JSON object with every
    column, ``split``, ``source``, ``field`` and ``label`` known, and offending phrases exactly when the text is not
    faithful, each occurring in the text. Raises ``ValueError`` naming the file, line and field."""
    rows = []
    for number, line in enumerate(Path(path).read_text().splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}, line {number}"
        try:
            row = json.loads(line)
        except ValueError as error:
            raise ValueError(f"{where}: not JSON ({error})") from error
        missing = [column for column in LABEL_COLUMNS if column not in row]
        if missing:
            raise ValueError(f"{where}: missing {missing}")
        for column, allowed in (("split", SPLITS), ("source", SOURCES), ("field", FIELDS), ("label", LABELS)):
            if row[column] not in allowed:
                raise ValueError(f"{where}: {column} must be one of {allowed}, got {row[column]!r}")
        offending = row["offending"]
        if (row["label"] == "faithful") != (not offending):
            raise ValueError(f"{where}: offending phrases are required exactly when the label is not 'faithful'")
        absent = [phrase for phrase in offending if phrase.lower() not in row["text"].lower()]
        if absent:
            raise ValueError(f"{where}: offending phrases {absent} do not occur in the text")
        rows.append({column: row[column] for column in LABEL_COLUMNS})
    return pd.DataFrame(rows, columns=LABEL_COLUMNS)


def faithfulness_figures(labels: pd.DataFrame, brands: Mapping[str, Sequence[str]], split: str = "report") -> dict:
    """The figures of the module docstring on one ``split``, per field: ``{"labelled_n", "stale",
    "published": {source: {"n", "unsupported", "unsupported_rate", "ci95"}}, "guard_precision", "guard_recall",
    "guard_precision_ci95", "guard_recall_ci95", "guard_confusion": {"tp", "fp", "fn", "tn"}}``.

    ``labels`` as ``load_labels`` returns them; ``brands`` maps a dataset to its catalogue's brands (the guard's
    ``known_brands``; a dataset missing from it counts as having none).
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    part = labels[labels["split"] == split]
    figures = {}
    for field in FIELDS:
        texts = part[part["field"] == field]
        figures[field] = {
            "labelled_n": len(texts),
            **_guard_figures(texts[texts["source"] == "model"], brands),
            **_published_figures(part, field, brands),
        }
    return figures


def _is_unsupported(label: str) -> bool:
    return label != "faithful"


def _guard_figures(texts: pd.DataFrame, brands: Mapping[str, Sequence[str]]) -> dict:
    """Precision and recall of the guard's flag on labelled model texts, with Wilson intervals."""
    flagged = np.array(
        [
            bool(guard.find_violations(text, facts_from_dict(facts), tuple(brands.get(dataset, ()))))
            for dataset, facts, text in zip(texts["dataset"], texts["facts"], texts["text"])
        ],
        dtype=bool,
    )
    positive = texts["label"].map(_is_unsupported).to_numpy(dtype=bool)
    tp, fp = int((flagged & positive).sum()), int((flagged & ~positive).sum())
    fn, tn = int((~flagged & positive).sum()), int((~flagged & ~positive).sum())
    precision_ci, recall_ci = wilson_interval(tp, tp + fp), wilson_interval(tp, tp + fn)
    return {
        "guard_precision": tp / (tp + fp) if tp + fp else None,
        "guard_recall": tp / (tp + fn) if tp + fn else None,
        "guard_precision_ci95": [round(float(bound), 4) for bound in precision_ci],
        "guard_recall_ci95": [round(float(bound), 4) for bound in recall_ci],
        "guard_confusion": {"tp": tp, "fp": fp, "fn": fn, "tn": tn},
    }


def _published_figures(part: pd.DataFrame, field: str, brands: Mapping[str, Sequence[str]]) -> dict:
    """What each source publishes for ``field`` on the labelled items of ``part``, and how much of it is unsupported."""
    by_item = {
        (dataset, item_id): group.set_index(["source", "field"]).to_dict("index")
        for (dataset, item_id), group in part.groupby(["dataset", "item_id"], sort=True)
    }
    verdicts: dict[str, list[bool]] = {source: [] for source in SOURCES}
    stale = 0
    for (dataset, _), rows in by_item.items():
        any_row = next(iter(rows.values()))
        facts = facts_from_dict(any_row["facts"])
        item_brands = tuple(brands.get(dataset, ()))
        grounded = grounded_result(facts, item_brands)
        grounded_text = grounded.description if field == "description" else grounded.ad_copy
        labelled = rows.get(("facts", field))
        grounded_verdict = None
        if grounded_text:
            if labelled is None or labelled["text"] != grounded_text:
                stale += 1
            else:
                grounded_verdict = _is_unsupported(labelled["label"])
                verdicts["facts"].append(grounded_verdict)
        description, ad_copy = (rows.get(("model", name), {}).get("text", "") for name in FIELDS)
        if not description and not ad_copy:
            continue
        result = guard.guard_output(description, ad_copy, facts, item_brands)
        if not result.accepted:
            if grounded_verdict is not None:
                verdicts["model"].append(grounded_verdict)
            continue
        kept = result.description if field == "description" else result.ad_copy
        model_row = rows.get(("model", field))
        if kept and model_row is not None:
            verdicts["model"].append(any(p.lower() in kept.lower() for p in model_row["offending"]))
    published = {}
    for source, found in verdicts.items():
        unsupported = int(sum(found))
        low, high = wilson_interval(unsupported, len(found))
        published[source] = {
            "n": len(found),
            "unsupported": unsupported,
            "unsupported_rate": unsupported / len(found) if found else None,
            "ci95": [round(float(low), 4), round(float(high), 4)],
        }
    return {"stale": stale, "published": published}


def reader_agreement(labels: pd.DataFrame, path: Path = SECOND_READER) -> dict:
    """How often a second reader's independent judgement (``path``: JSON lines with ``dataset``, ``item_id``,
    ``source``, ``field``, ``text`` and ``faithful``) agrees with ``labels`` on faithful against not faithful:
    ``{"n", "agree", "agreement", "cohen_kappa"}`` (kappa None when either reader gave one answer only). Raises
    ``ValueError`` for a second label whose text is not in ``labels``."""
    keyed = labels.set_index(["dataset", "item_id", "source", "field"])
    first, second = [], []
    for number, line in enumerate(Path(path).read_text().splitlines(), start=1):
        row = json.loads(line)
        key = (row["dataset"], row["item_id"], row["source"], row["field"])
        if key not in keyed.index or keyed.loc[key, "text"] != row["text"]:
            raise ValueError(f"{path}, line {number}: no labelled text {key} with that text")
        first.append(keyed.loc[key, "label"] == "faithful")
        second.append(bool(row["faithful"]))
    first, second = np.array(first, dtype=bool), np.array(second, dtype=bool)
    n = len(first)
    observed = float((first == second).mean()) if n else None
    chance = float(first.mean() * second.mean() + (1 - first.mean()) * (1 - second.mean())) if n else None
    kappa = (observed - chance) / (1 - chance) if n and chance < 1 else None
    return {"n": n, "agree": int((first == second).sum()), "agreement": observed, "cohen_kappa": kappa}
