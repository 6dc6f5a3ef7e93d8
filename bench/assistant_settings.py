"""Does tuning the served assistant per shop pay? The assistant with the settings tuned on the validation sessions of
both query regimes together (``tune_served_assistant``: BM25, then the weights), and as `longtail serve` runs it (those
settings where the cross-validated check on the same validation sessions adopted them, else the defaults), against the
same assistant with the defaults, on the interactive evaluation's test sessions (300 per regime, seed 0), in the same
run: hit@10, MRR@10 and tail share of the top 10, and the paired 95% bootstrap interval over sessions of each ratio
to the defaults. The check's choice is printed first; it sees no test session.

    .venv/bin/python bench/assistant_settings.py --home <a LONGTAIL_HOME holding a finished demo>
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from longtail.data.warehouse import connect  # noqa: E402
from longtail.recommend.embedding import encode_texts, load_encoder  # noqa: E402
from longtail.serving.assistant import served_assistant  # noqa: E402
from longtail.serving.assistant_tuning import (  # noqa: E402
    WORDS_PER_QUERY,
    K,
    evaluation_stages,
    published_settings,
    stage_inputs,
    tune_served_assistant,
)
from longtail.stats import paired_bootstrap_means, percentile_interval  # noqa: E402

METRICS = ("hit@10", "mrr@10", "tail_share")


def per_session(assistant, sessions) -> dict[str, np.ndarray]:
    """Each metric of ``METRICS`` per session, for ``assistant``'s top 10."""
    figures = {metric: [] for metric in METRICS}
    for session in sessions:
        rows = assistant.signals(session.query, session.user_id).top(assistant.weights, assistant.index.is_tail, K)
        position = np.flatnonzero(rows == session.target)
        figures["hit@10"].append(float(len(position) > 0))
        figures["mrr@10"].append(1.0 / (position[0] + 1) if len(position) else 0.0)
        figures["tail_share"].append(float(assistant.index.is_tail[rows].mean()) if len(rows) else 0.0)
    return {metric: np.array(values) for metric, values in figures.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True, help="a LONGTAIL_HOME holding a finished demo")
    parser.add_argument("--datasets", default="instacart_sample,uci_online_retail_ii", help="comma-separated shops")
    parser.add_argument("--sessions", type=int, default=300, help="test sessions per shop and query regime")
    args = parser.parse_args()
    model = load_encoder()

    def encode(texts):
        return encode_texts(model, list(texts))

    for dataset in args.datasets.split(","):
        with connect(args.home / "warehouse.duckdb", read_only=True) as connection:
            inputs = stage_inputs(connection, dataset, encode)
        stages = evaluation_stages(**inputs)
        started = time.perf_counter()
        chosen = tune_served_assistant(stages["validation"])
        check = chosen["tuning_check"]
        print(f"{dataset}: tune_served_assistant took {time.perf_counter() - started:.0f} s")
        print(f"{dataset}: tuned on {chosen['validation_sessions']} validation sessions: {chosen['tuned']['weights']}, "
              f"BM25 {chosen['tuned']['bm25']}; out-of-fold hit@10 {check['hit@10']} against the defaults' "
              f"{check['defaults_hit@10']}, gain {check['gain']:+.4f} (95% {check['gain_ci95']}; {check['wins']} wins, "
              f"{check['losses']} losses, p {check['p_value']}): serves the "
              f"{'tuned settings' if check['adopted'] else 'defaults'}")  # fmt: skip
        test = stages["test"]
        systems = {
            "defaults": served_assistant(test.index, encode),
            "tuned": served_assistant(test.index, encode, published_settings(chosen["tuned"])),
            "served": served_assistant(test.index, encode, published_settings(chosen)),
        }
        for words in WORDS_PER_QUERY:
            sessions = test.sessions(args.sessions, words)
            figures = {name: per_session(assistant, sessions) for name, assistant in systems.items()}
            for metric in METRICS:
                means = paired_bootstrap_means({name: by_metric[metric] for name, by_metric in figures.items()})
                theirs = figures["defaults"][metric].mean()
                line = f"  {words} word(s), {len(sessions)} sessions  {metric:10}  defaults {theirs:.3f}"
                for name in ("tuned", "served"):
                    ours = figures[name][metric].mean()
                    low, high = percentile_interval(
                        means[name] / np.where(means["defaults"] > 0, means["defaults"], np.nan)
                    )
                    line += f"  {name} {ours:.3f} ({ours / theirs:.3f}x, 95% {low:.3f}-{high:.3f})"
                print(line)


if __name__ == "__main__":
    main()
