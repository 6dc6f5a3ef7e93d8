"""Does fine-tuning MiniLM pay for review sentiment? Fine-tuned encoder against the served model, same split.

    LONGTAIL_DATA_DIR=../shared/data .venv/bin/python bench/sentiment_finetune.py [--epochs 3] [--max-length 128]

Reviews and split: as ``bench/review_sentiment.py`` (``longtail.sentiment.temporal_split`` on the cleaned Amazon
reviews). The fine-tuned model is the packaged all-MiniLM-L6-v2 with mean pooling and a linear head, trained end
to end on the training reviews with class-weighted cross-entropy (AdamW, encoder lr 4e-5, head lr 1e-3, linear
warm-up over 10% of the steps then decay, batches of 16, texts cut at ``--max-length`` tokens), on the GPU when
there is one. The served model (``SentimentModel``, trained on the same split by ``evaluate_sentiment``) and VADER
are scored in the same run, and so are the averages of the fine-tuned and served probabilities at a few weights.
Eval figures only: the weights are not tuned, so the best average is an optimistic reference.

Prints the figures per model and the wall time of fine-tuning. This is a research bench, not part of the
pipeline: on a 2-core CPU one training takes about 20 minutes.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from cleaned_tables import cleaned
from review_sentiment import DATASETS, TimedEncoder

from longtail.embedding import DEFAULT_MODEL, load_encoder
from longtail.sentiment import LABELS, evaluate_sentiment, sentiment_metrics, temporal_split

BATCH_SIZE = 16


def fine_tuned_proba(train_texts, train_labels, eval_texts, epochs: int, max_length: int) -> tuple[np.ndarray, float]:
    """Probabilities ``(len(eval_texts), 3)`` in ``LABELS`` order from MiniLM fine-tuned on the training reviews,
    and the training wall time in seconds."""
    import torch

    torch.manual_seed(0)
    encoder = load_encoder("default", "auto")
    device = encoder.device
    tokenizer, base = encoder.tokenizer, encoder[0].auto_model.float()
    head = torch.nn.Linear(base.config.hidden_size, len(LABELS)).to(device)
    y = torch.tensor([LABELS.index(label) for label in train_labels], device=device)
    counts = np.bincount(y.cpu().numpy(), minlength=len(LABELS))
    weights = torch.tensor(len(y) / (len(LABELS) * np.maximum(counts, 1)), dtype=torch.float, device=device)
    optimiser = torch.optim.AdamW(
        [{"params": base.parameters(), "lr": 4e-5}, {"params": head.parameters(), "lr": 1e-3}], weight_decay=0.01
    )
    steps = epochs * -(-len(train_texts) // BATCH_SIZE)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min(1.0, (step + 1) / (0.1 * steps)) * max(0.0, (steps - step) / steps)
    )

    def pooled(texts):
        batch = tokenizer(texts, padding=True, truncation=True, max_length=max_length, return_tensors="pt").to(device)
        hidden = base(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).float()
        return (hidden * mask).sum(1) / mask.sum(1)

    started = time.perf_counter()
    base.train()
    for epoch in range(epochs):
        order = np.random.default_rng(epoch).permutation(len(train_texts))
        total = 0.0
        for start in range(0, len(order), BATCH_SIZE):
            rows = order[start : start + BATCH_SIZE]
            loss = torch.nn.functional.cross_entropy(
                head(pooled([train_texts[i] for i in rows])), y[rows], weight=weights
            )
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += loss.item() * len(rows)
        print(f"epoch {epoch + 1}/{epochs}: loss {total / len(train_texts):.4f}, {time.perf_counter() - started:.0f} s")
    seconds = time.perf_counter() - started
    base.eval()
    with torch.no_grad():
        proba = [
            torch.softmax(head(pooled(eval_texts[i : i + 64])), -1).cpu().numpy() for i in range(0, len(eval_texts), 64)
        ]
    return np.concatenate(proba), seconds


def figures(true: np.ndarray, proba: np.ndarray) -> dict:
    positive, negative = LABELS.index("positive"), LABELS.index("negative")
    labels = np.asarray(LABELS, dtype=object)[proba.argmax(axis=1)]
    return sentiment_metrics(true, labels, np.where(proba[:, positive] >= proba[:, negative], "positive", "negative"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--max-length", type=int, default=128)
    args = parser.parse_args()

    reviews = cleaned("reviews")
    reviews = reviews[reviews["dataset"].isin(DATASETS)].reset_index(drop=True)
    encode = TimedEncoder(None)
    report, served = evaluate_sentiment(reviews, encode, dataset="+".join(DATASETS), encoder_name=DEFAULT_MODEL)
    split = temporal_split(reviews)
    eval_texts = split.eval["review_text"].tolist()
    true = split.eval["label"].to_numpy()
    tuned, seconds = fine_tuned_proba(
        split.train["review_text"].tolist(), split.train["label"].tolist(), eval_texts, args.epochs, args.max_length
    )
    served_proba = served.predict_proba(eval_texts, encode)
    results = {
        "vader": report["models"]["vader"],
        "served (SentimentModel)": figures(true, served_proba),
        "fine-tuned MiniLM": figures(true, tuned),
    }
    for weight in (0.3, 0.5, 0.7):
        results[f"average, fine-tuned weight {weight}"] = figures(true, weight * tuned + (1 - weight) * served_proba)
    print(json.dumps(results, indent=2))
    print(f"fine-tuning: {args.epochs} epochs on {len(split.train)} reviews in {seconds:.0f} s")


if __name__ == "__main__":
    main()
