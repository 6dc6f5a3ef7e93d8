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


def confusion_counts(true_labels: Sequence[str], pred_labels: Sequence[str]) -> pd.DataFrame:
    """``(3, 3)`` counts of reviews, rows the true label and columns the predicted one, both in ``LABELS`` order."""
    table = pd.crosstab(
        pd.Categorical(true_labels, categories=LABELS), pd.Categorical(pred_labels, categories=LABELS), dropna=False
    )
    return table.rename_axis(index="true", columns="predicted")
