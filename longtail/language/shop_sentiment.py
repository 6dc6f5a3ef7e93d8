"""Which sentiment model reads each shop's reviews: the shop-trained ("adapted") model, the shipped prior
(``longtail.language.sentiment_prior``), or their blend, as validation chose per shop.

``ShopSentiment`` holds the candidates and the choice; ``choose`` makes the choice from validation figures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from longtail.language.reviews import labels_and_scores
from longtail.language.sentence_features import Encode
from longtail.language.sentiment_model import SentimentModel
from longtail.language.sentiment_prior import SentimentPrior

# In order of preference on a tie: the shop's own model, then the blend, then the prior.
CANDIDATES = ("adapted", "blend", "prior")


@dataclass(frozen=True)
class ShopSentiment:
    """``adapted`` (a fitted ``SentimentModel``) and ``prior`` (a ``SentimentPrior`` for the same encoder), either
    may be None but not both; ``chosen`` maps a dataset to one of ``CANDIDATES``. A dataset without a choice (a shop
    with too few rated reviews to validate on) is read by the prior where there is one, else by the adapted
    model."""

    adapted: SentimentModel | None
    prior: SentimentPrior | None
    chosen: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self):
        if self.adapted is None and self.prior is None:
            raise ValueError("a shop's sentiment needs an adapted model, a prior or both")
        unknown = {name: choice for name, choice in self.chosen.items() if choice not in self.available()}
        if unknown:
            raise ValueError(f"choices {unknown} are not among the available candidates {self.available()}")

    def available(self) -> tuple[str, ...]:
        """The candidates these models make possible, in ``CANDIDATES`` order."""
        has = {"adapted": self.adapted is not None, "prior": self.prior is not None}
        has["blend"] = has["adapted"] and has["prior"]
        return tuple(name for name in CANDIDATES if has[name])

    def candidate_for(self, dataset: str) -> str:
        return self.chosen.get(dataset, "prior" if self.prior is not None else "adapted")

    def version_of(self, candidate: str) -> str:
        """The model version a candidate's labels carry, e.g. "blend:<adapted version>+<prior version>"."""
        return f"{candidate}:" + "+".join(str(model.version) for model in self._models(candidate))

    def proba(self, texts: Sequence[str], encode: Encode, candidate: str) -> np.ndarray:
        """``(n, 3)`` probabilities of ``LABELS`` by ``candidate``; the blend is the mean of the two."""
        return self.probas(texts, encode, [candidate])[candidate]

    def probas(
        self, texts: Sequence[str], encode: Encode, candidates: Sequence[str] | None = None
    ) -> dict[str, np.ndarray]:
        """``{candidate: (n, 3) probabilities}`` for ``candidates`` (default: every available one), each model
        predicting once however many candidates use it."""
        candidates = self.available() if candidates is None else candidates
        predicted: dict[int, np.ndarray] = {}
        for model in {id(model): model for name in candidates for model in self._models(name)}.values():
            predicted[id(model)] = model.predict_proba(texts, encode)
        return {name: np.mean([predicted[id(model)] for model in self._models(name)], axis=0) for name in candidates}

    def _models(self, candidate: str) -> list:
        if candidate not in self.available():
            raise ValueError(f"candidate {candidate!r} is not among {self.available()}")
        return {"adapted": [self.adapted], "prior": [self.prior], "blend": [self.adapted, self.prior]}[candidate]

    def predict(
        self, texts: Sequence[str], datasets: Sequence[str], encode: Encode
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(labels, scores, versions)`` of each text, read by its dataset's candidate (``candidate_for``)."""
        datasets = np.asarray(datasets, dtype=object)
        if len(datasets) != len(texts):
            raise ValueError(f"datasets has {len(datasets)} entries for {len(texts)} texts")
        labels = np.empty(len(texts), dtype=object)
        scores, versions = np.zeros(len(texts)), np.empty(len(texts), dtype=object)
        for dataset in sorted(set(datasets)):
            rows = np.flatnonzero(datasets == dataset)
            candidate = self.candidate_for(dataset)
            labels[rows], scores[rows] = labels_and_scores(self.proba([texts[r] for r in rows], encode, candidate))
            versions[rows] = self.version_of(candidate)
        return labels, scores, versions


def choose(validation: Mapping[str, Mapping[str, dict]]) -> dict[str, str]:
    """Per dataset, the candidate with the best validation figures: the mean of binary and 3-class macro-F1 (both
    are targets), ties to the earlier of ``CANDIDATES``. ``validation`` maps dataset -> candidate ->
    ``sentiment_metrics`` figures."""
    chosen = {}
    for dataset, figures in validation.items():
        ranked = [name for name in CANDIDATES if name in figures]
        chosen[dataset] = max(
            ranked,
            key=lambda name: (
                (figures[name]["macro_f1_binary"] + figures[name]["macro_f1_3class"]) / 2,
                -CANDIDATES.index(name),
            ),
        )
    return chosen
