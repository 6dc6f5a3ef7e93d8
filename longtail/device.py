"""Which torch device a model runs on: one rule for embeddings, similarity search and generation."""

from __future__ import annotations

import re

_DEVICE = re.compile(r"cpu|cuda(:\d+)?")


def pick_device(requested: str = "auto") -> str:
    """The device to run on: "auto" gives "cuda" when torch sees a GPU, else "cpu"; "cpu", "cuda" and "cuda:N"
    are checked and kept.

    Raises ``ValueError`` for any other string, or for a CUDA device that torch cannot see.
    """
    import torch

    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if not isinstance(requested, str) or not _DEVICE.fullmatch(requested):
        raise ValueError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {requested!r}")
    if requested.startswith("cuda"):
        count = torch.cuda.device_count()
        index = int(requested.partition(":")[2] or 0)
        if index >= count:
            raise ValueError(f"device {requested!r} is not available: torch sees {count} CUDA device(s)")
    return requested
