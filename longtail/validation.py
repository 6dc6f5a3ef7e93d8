"""Input checks shared by every domain: one helper per job, each naming the offending argument or column."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd


def require_columns(frame: pd.DataFrame, columns: Iterable[str], name: str) -> None:
    """``ValueError`` naming ``name``, the missing columns and the columns it has, unless ``frame`` has them all."""
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks column(s) {missing}; it has {list(frame.columns)}")


def check_positive_int(value, name: str) -> int:
    """``value`` as an ``int`` when it is an integer >= 1 (bools refused), else ``ValueError`` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    return int(value)


def checked_texts(texts: Sequence[str]) -> list[str]:
    """``texts`` as a list; ``TypeError`` for a single string or a non-string element (naming its position)."""
    if isinstance(texts, str):
        raise TypeError("texts must be a sequence of strings, not one string")
    texts = list(texts)
    not_str = [i for i, text in enumerate(texts) if not isinstance(text, str)]
    if not_str:
        raise TypeError(f"texts must all be strings; position {not_str[0]} holds {type(texts[not_str[0]]).__name__}")
    return texts
