"""How well predicted review labels match the star-rating labels: macro-F1 figures and confusion counts."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from longtail.language.reviews import LABELS


def sentiment_metrics(
    true_labels: Sequence[str], pred_labels: Sequence[str], binary_pred: Sequence[str] | None = None
) -> dict:
    """Macro-F1 figures of predicted against true labels (all in ``LABELS``).

    ``macro_f1_3class``: macro-F1 over the three labels. ``macro_f1_binary``: macro-F1 over "negative" and
    "positive", on the rows whose true label is not neutral, predicted by ``binary_pred`` when given (a forced
    positive/negative call per row) else by ``pred_labels`` (where a neutral prediction counts as wrong).
    ``n_eval``: number of rows. Returns floats rounded to 4 digits.
    """
    from sklearn.metrics import f1_score

    true = np.asarray(true_labels, dtype=object)
    pred = np.asarray(pred_labels, dtype=object)
    binary = pred if binary_pred is None else np.asarray(binary_pred, dtype=object)
    if not len(true) == len(pred) == len(binary):
        raise ValueError(f"lengths differ: {len(true)} true, {len(pred)} predicted, {len(binary)} binary labels")
    for name, values in (("true_labels", true), ("pred_labels", pred), ("binary_pred", binary)):
        unknown = set(values) - set(LABELS)
        if unknown:
            raise ValueError(f"{name} must be in {LABELS}; got {sorted(map(str, unknown))}")
    # Integer codes: scikit-learn is ~20x slower on object arrays, and the neutral-bias search calls this often.
    true, pred, binary = (pd.Categorical(values, categories=LABELS).codes for values in (true, pred, binary))
    negative, neutral, positive = range(len(LABELS))
    polar = true != neutral
    binary_f1 = f1_score(true[polar], binary[polar], labels=[negative, positive], average="macro", zero_division=0)
    return {
        "macro_f1_binary": round(float(binary_f1), 4),
        "macro_f1_3class": round(
            float(f1_score(true, pred, labels=[negative, neutral, positive], average="macro", zero_division=0)), 4
        ),
        "n_eval": len(true),
    }


# Bootstrap resamples of the reviews for the intervals: every model is scored on the same ones, so gains are paired.
N_RESAMPLES = 1000


def with_intervals(figures: dict, true_labels, pred_labels, binary_pred, *, seed: int = 0) -> dict:
    """``figures`` (``sentiment_metrics`` of these labels) plus ``macro_f1_binary_ci95`` and ``macro_f1_3class_ci95``:
    95% percentile-bootstrap intervals over the reviews, ``N_RESAMPLES`` resamples drawn from ``seed``."""
    binary, three_class = _resampled_f1(true_labels, pred_labels, binary_pred, seed)
    return figures | {"macro_f1_binary_ci95": _interval(binary), "macro_f1_3class_ci95": _interval(three_class)}


def paired_gain(true_labels, ours: tuple, theirs: tuple, *, seed: int = 0) -> dict:
    """How much better ``ours`` is than ``theirs``, each ``(labels, binary calls)`` of the same reviews: per metric
    ``{"gain", "ci95"}``, the difference of macro-F1 and its 95% paired-bootstrap interval (both models scored on
    the same resampled reviews)."""
    gains = {}
    ours_f1 = _resampled_f1(true_labels, *ours, seed)
    theirs_f1 = _resampled_f1(true_labels, *theirs, seed)
    ours_point, theirs_point = sentiment_metrics(true_labels, *ours), sentiment_metrics(true_labels, *theirs)
    for name, mine, other in zip(("macro_f1_binary", "macro_f1_3class"), ours_f1, theirs_f1):
        gains[name] = {"gain": round(ours_point[name] - theirs_point[name], 4), "ci95": _interval(mine - other)}
    return gains


def _resampled_f1(true_labels, pred_labels, binary_pred, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Binary and 3-class macro-F1 (as ``sentiment_metrics`` defines them) on each of ``N_RESAMPLES`` resamples of
    the rows, each ``(N_RESAMPLES,)``."""
    true, pred, binary = (
        pd.Categorical(values, categories=LABELS).codes for values in (true_labels, pred_labels, binary_pred)
    )
    rows = np.random.default_rng(seed).integers(0, len(true), size=(N_RESAMPLES, len(true)))
    true, pred, binary = true[rows], pred[rows], binary[rows]
    negative, neutral, positive = range(len(LABELS))
    polar = true != neutral
    three_class = np.mean([_f1(true, pred, label, np.ones_like(polar)) for label in range(len(LABELS))], axis=0)
    two_class = np.mean([_f1(true, binary, label, polar) for label in (negative, positive)], axis=0)
    return two_class, three_class


def _f1(true: np.ndarray, pred: np.ndarray, label: int, counted: np.ndarray) -> np.ndarray:
    """Per resample (row), F1 of ``label`` over the ``counted`` cells: ``2 tp / (2 tp + fp + fn)``, 0 when undefined."""
    is_true, is_pred = (true == label) & counted, (pred == label) & counted
    tp = (is_true & is_pred).sum(axis=1)
    denominator = is_true.sum(axis=1) + is_pred.sum(axis=1)
    return np.where(denominator > 0, 2 * tp / np.maximum(denominator, 1), 0.0)


def _interval(values: np.ndarray) -> list[float]:
    low, high = np.percentile(values, [2.5, 97.5])
    return [round(float(low), 4), round(float(high), 4)]


def confusion_counts(true_labels: Sequence[str], pred_labels: Sequence[str]) -> pd.DataFrame:
    """``(3, 3)`` counts of reviews, rows the true label and columns the predicted one, both in ``LABELS`` order."""
    table = pd.crosstab(
        pd.Categorical(true_labels, categories=LABELS), pd.Categorical(pred_labels, categories=LABELS), dropna=False
    )
    return table.rename_axis(index="true", columns="predicted")
