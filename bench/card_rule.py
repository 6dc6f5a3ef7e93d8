"""Do the offline figures hold for the lists as served? Every model's test lists scored as the evaluation scores them
(its own top 20) and as ``recommendation_lists`` and the API show lists (``one_per_card``: an item whose card reads
as one listed above it, or as one the user has, left out and the next of its top 40 moved up), in one run, on the
inputs of a finished demo's warehouse; per shop, each model's figures under both, and between them with each card
once but the cards the user has kept ("each card once"), and the hybrid's ratio to the best baseline with its paired
95% interval under the evaluation's lists and as served.

    .venv/bin/python bench/card_rule.py --home "$LONGTAIL_HOME" [--dataset amazon2018_magazine ...]

The evaluation runs as ``recommendation_evaluation`` runs it (``evaluate_datasets``, one shop at a time); the
bench records each test model's top 40 as the evaluation scores it. Cards are those of the lists
(``longtail.recommend.cards.item_cards``: display title and price). The targets are the evaluation's (items new
to the user, by id), so a target whose card the user already had is missed under the rule by every model alike.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

# The repository root for the project's packages, and bench/ for baseline_budget's inputs.
sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]

from baseline_budget import inputs_from_arguments, interval_text  # noqa: E402
from dataset_workers import timed_evaluation  # noqa: E402

import longtail.recommend.evaluation.offline as offline  # noqa: E402
from assets.recommendations import review_mentions  # noqa: E402
from longtail.data.warehouse import connect, read_table  # noqa: E402
from longtail.recommend.cards import item_cards, one_per_card  # noqa: E402
from longtail.recommend.evaluation.intervals import bootstrap_intervals  # noqa: E402
from longtail.recommend.evaluation.list_scores import LIST_LENGTH, list_metrics  # noqa: E402
from longtail.recommend.matrices import tail_items  # noqa: E402
from longtail.recommend.serving import item_titles  # noqa: E402

SHOWN = ("ndcg@10", "recall@20", "tail_recall@20", "coverage@10")
# The evaluation's models in the order it scores them, by class name, under their report names.
REPORT_NAMES = {"RP3Beta": "RP3beta", "LongTailHybrid": offline.SYSTEM}


def recorded_lists(inputs, dataset: str) -> tuple[dict, object]:
    """Each test model's top ``2 * LIST_LENGTH`` for the evaluated users of ``dataset``, by report name, and the test
    split's ``InteractionData``, from ``dataset``'s evaluation."""
    recorded, data_of = {}, {}
    scored = offline.timed_metrics

    def recording(model, data, fit_seconds):
        name = type(model).__name__
        recorded[REPORT_NAMES.get(name, name)] = model.recommend(data.eval_users, 2 * LIST_LENGTH)
        data_of["test"] = data
        return scored(model, data, fit_seconds)

    offline.timed_metrics = recording
    try:
        timed_evaluation({dataset: inputs[dataset]}, 1)
    finally:
        offline.timed_metrics = scored
    return recorded, data_of["test"]


def main() -> int:
    inputs = inputs_from_arguments(__doc__.splitlines()[0])
    if inputs is None:
        return 2
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--home", type=Path)
    home = parser.parse_known_args()[0].home
    for dataset in inputs:
        with connect(str(home / "warehouse.duckdb"), read_only=True) as connection:
            items = read_table(connection, "cleaned_items", "dataset = ?", [dataset])
            mentions = review_mentions(connection, dataset)
        candidates, data = recorded_lists(inputs, dataset)
        cards = item_cards(data.item_ids, item_titles(items, mentions), items, inputs[dataset].interactions)
        seen = data.train[data.eval_users]
        own = {name: lists[:, :LIST_LENGTH] for name, lists in candidates.items()}
        ruled, once = (
            {
                name: one_per_card(lists, lists.astype("float32"), cards, LIST_LENGTH, seen=had)[0]
                for name, lists in candidates.items()
            }
            for had in (seen, None)
        )
        changed = {name: float((ruled[name] != own[name]).any(axis=1).mean()) for name in own}
        print(
            f"\n== {dataset}: {len(data.eval_users):,} users evaluated, {len(set(cards)):,} cards of "
            f"{len(cards):,} items"
        )
        print(
            "model           | lists changed | "
            + " | ".join(f"{metric}: own -> each card once -> as served" for metric in SHOWN)
        )
        for name in own:
            before, between, after = (list_metrics(lists[name], data) for lists in (own, once, ruled))
            figures = " | ".join(
                f"{before[metric]:.4f} -> {between[metric]:.4f} -> {after[metric]:.4f}" for metric in SHOWN
            )
            print(f"{name:<15} | {changed[name]:>13.1%} | {figures}")
        tail = tail_items(data.train)
        for label, lists in (("own lists", own), ("as served", ruled)):
            _, ratios = bootstrap_intervals(lists, data.test_targets, tail, offline.SYSTEM)
            for metric in SHOWN[:1] + SHOWN[2:]:
                best = max(
                    (name for name in lists if name != offline.SYSTEM),
                    key=lambda name: list_metrics(lists[name], data)[metric] or 0.0,
                )
                ratio = ratios[best][metric]
                print(
                    f"  {label}: {metric} best baseline {best}, the hybrid's ratio {ratio['ratio']:.3f} "
                    f"{interval_text(ratio['ci95'])}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
