"""Named cleaning rules that turn raw rows into cleaned rows or quarantined rows.

Every raw row ends up in exactly one of the two outputs: ``len(raw) == len(cleaned) + len(quarantined)``.
A row is quarantined by the *first* rule (in the order listed in ``EVENT_RULES`` / ``ITEM_RULES`` /
``REVIEW_RULES``) that rejects it, with a detail message naming its file, row and column. Rules that can mend a
row (HTML in titles, list-valued descriptions, price strings) repair it instead and are counted in ``repairs``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from longtail.data.schema import (
    CLEANED_EVENT_COLUMNS,
    CLEANED_ITEM_COLUMNS,
    CLEANED_REVIEW_COLUMNS,
    EVENT_TYPES,
    QUARANTINE_COLUMNS,
)
from longtail.data.text_repairs import (
    category_path,
    features_column,
    join_description,
    parse_prices,
    price_currencies,
    repair_column,
    strip_markup,
)

EVENT_RULES = (
    "malformed_row", "invalid_timestamp", "missing_user", "missing_item", "unknown_event_type", "cancellation",
    "non_positive_quantity", "non_product_code", "non_positive_price", "invalid_rating", "duplicate_event",
)  # fmt: skip
ITEM_RULES = (
    "malformed_row", "missing_item", "non_product_code", "non_positive_price", "text_too_long", "duplicate_item",
)  # fmt: skip
REVIEW_RULES = (
    "malformed_row", "invalid_timestamp", "missing_user", "missing_item", "invalid_rating", "empty_review",
    "text_too_long", "duplicate_review",
)  # fmt: skip

# Online Retail's postage, fees, manual adjustments, samples and vouchers: lines that are not products.
DEFAULT_NON_PRODUCT_CODES = (
    r"POST|DOT|M|m|D|S|B|C2|C3|PADS|CRUK|BANK CHARGES|AMAZONFEE|SAMPLES|ADJUST\d*|TEST\d+|DCGS\w*|gift_\w+"
)

MIN_TS = pd.Timestamp("2000-01-01", tz="UTC")


@dataclass(frozen=True)
class CleaningConfig:
    """Thresholds of the cleaning rules.

    A plausible event or review time (UTC) is on or after ``min_ts`` and no later than the end of the day its
    row was loaded; ``max_text_length`` is in characters.
    """

    non_product_codes: str = DEFAULT_NON_PRODUCT_CODES
    min_ts: pd.Timestamp = MIN_TS
    max_text_length: int = 20_000


@dataclass
class CleaningResult:
    """``cleaned`` rows, ``quarantined`` rows (``QUARANTINE_COLUMNS``) and repair counts by rule."""

    cleaned: pd.DataFrame
    quarantined: pd.DataFrame
    repairs: dict[str, int] = field(default_factory=dict)

    def quarantine_counts(self) -> dict[str, int]:
        return {str(k): int(v) for k, v in self.quarantined["rule"].value_counts().items()}


class _Verdicts:
    """The first rejecting rule of each row of ``frame`` (raw rows with repaired columns), and its message."""

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self.rule = pd.Series(None, index=frame.index, dtype="object")
        self.detail = pd.Series(None, index=frame.index, dtype="object")

    def reject(
        self,
        rule: str,
        mask,
        column: str | None,
        message: str,
        *,
        show_value: bool = True,
        value: pd.Series | None = None,
        details: pd.Series | None = None,
    ) -> None:
        """Reject the rows of ``mask`` not yet rejected, with the detail "<file>, row <n>, column '<c>': <value>
        <message>" (the value shown is ``value``, else the column's) or ``details`` as given. Messages are built
        for the rejected rows only, because formatting every row of a large window is costly."""
        mask = pd.Series(mask, index=self.frame.index).fillna(False).astype(bool) & self.rule.isna()
        if not mask.any():
            return
        self.rule[mask] = rule
        if details is not None:
            self.detail[mask] = details[mask]
            return
        rows = self.frame[mask]
        text = rows["source_file"].astype(str) + ", row " + rows["source_row"].astype(str)
        text += f", column {column!r}: " if column else ": "
        if show_value and column:
            text += (rows[column] if value is None else value[mask]).astype(str) + " "
        self.detail[mask] = text + message

    def reject_parse_errors(self) -> None:
        parse_error = self.frame["parse_error"]
        self.reject("malformed_row", parse_error.notna(), None, "", details=parse_error.astype(str))

    def reject_blank(self, rule: str, column: str) -> None:
        self.reject(rule, _blank(self.frame[column]), column, "missing", show_value=False)

    def reject_bad_timestamps(self, config: CleaningConfig) -> None:
        ts = self.frame["ts"]
        self.reject("invalid_timestamp", ts.isna(), "ts", "missing", show_value=False)
        self.reject(
            "invalid_timestamp",
            (ts < config.min_ts) | (ts >= _end_of_day(self.frame["loaded_at"])),
            "ts",
            f"is before {config.min_ts.date()} or after the day it was loaded",
        )

    def reject_ratings_outside(self, required: bool) -> None:
        rating = self.frame["rating"]
        bad = (rating < 1) | (rating > 5)
        if required:
            bad |= rating.isna()
        self.reject("invalid_rating", bad, "rating", "is not a rating from 1 to 5")

    def reject_non_products(self, config: CleaningConfig) -> None:
        codes = self.frame["item_id"].astype("string").str.fullmatch(config.non_product_codes)
        self.reject("non_product_code", codes, "item_id", "is not a product")

    def reject_long_text(self, columns: list[str], config: CleaningConfig) -> None:
        for column in columns:
            length = self.frame[column].astype("string").str.len()
            too_long = length > config.max_text_length
            message = f"characters exceed the limit of {config.max_text_length}"
            self.reject("text_too_long", too_long, column, message, value=length)

    def reject_duplicates(self, rule: str, keys: list[str], order: list[str]) -> None:
        """Among rows not yet rejected, keep the first by ``order`` of each ``keys`` group; reject the rest."""
        alive = self.frame[self.rule.isna()].sort_values(order, kind="stable")
        groups = alive.groupby(keys, dropna=False, sort=False).ngroup()
        kept = alive.index.to_series().groupby(groups.to_numpy()).transform("first")
        copies = kept[kept != kept.index]
        if copies.empty:
            return
        originals = self.frame.loc[copies.to_numpy()]
        kept = "duplicate of " + originals["source_file"].astype(str) + ", row " + originals["source_row"].astype(str)
        rows = self.frame.loc[copies.index]
        details = rows["source_file"].astype(str) + ", row " + rows["source_row"].astype(str) + ": " + kept.to_numpy()
        self.reject(rule, self.frame.index.isin(copies.index), None, "", details=details.reindex(self.frame.index))

    def split(
        self, table: str, raw: pd.DataFrame, cleaned: pd.DataFrame, partition_day: pd.Series | None = None
    ) -> CleaningResult:
        """Rows without a rejecting rule go to ``cleaned``; the others, as found in ``raw``, to quarantine."""
        rejected = self.rule.notna()
        raw = raw[rejected]
        quarantined = pd.DataFrame(
            {
                "table_name": table,
                "rule": self.rule[rejected],
                "detail": self.detail[rejected],
                "dataset": raw["dataset"],
                "file_id": raw["file_id"],
                "source_file": raw["source_file"],
                "source_row": raw["source_row"],
                "partition_day": partition_day[rejected] if partition_day is not None else pd.NaT,
                "record": _records_as_json(raw),
            },
            columns=QUARANTINE_COLUMNS,
        )
        return CleaningResult(
            cleaned=cleaned[~rejected].reset_index(drop=True), quarantined=quarantined.reset_index(drop=True)
        )


def clean_events(raw: pd.DataFrame, config: CleaningConfig = CleaningConfig()) -> CleaningResult:
    """Clean raw events (raw columns + provenance + ``partition_day``) into ``CLEANED_EVENT_COLUMNS``.

    ``quantity`` defaults to 1 where the source has none (ratings, reviews, views); ``ts`` is UTC.
    """
    event_type = raw["event_type"].astype("string").str.strip().str.lower()
    order_id = raw["order_id"].astype("string").str.strip()
    quantity = raw["quantity"].fillna(1.0)
    purchase = event_type == "purchase"
    cleaned = pd.DataFrame(
        {
            "dataset": raw["dataset"],
            "user_id": _strip(raw["user_id"]),
            "item_id": _strip(raw["item_id"]),
            "event_type": event_type,
            "ts": raw["ts"],
            "event_day": raw["partition_day"],
            "quantity": quantity,
            "price": raw["price"],
            "rating": raw["rating"],
            "order_id": order_id,
            "file_id": raw["file_id"],
            "source_file": raw["source_file"],
            "source_row": raw["source_row"],
        },
        columns=CLEANED_EVENT_COLUMNS,
    )
    verdicts = _Verdicts(cleaned.assign(parse_error=raw["parse_error"], loaded_at=raw["loaded_at"]))
    verdicts.reject_parse_errors()
    verdicts.reject_bad_timestamps(config)
    verdicts.reject_blank("missing_user", "user_id")
    verdicts.reject_blank("missing_item", "item_id")
    verdicts.reject(
        "unknown_event_type", ~event_type.isin(EVENT_TYPES), "event_type", f"is not one of {', '.join(EVENT_TYPES)}",
        value=raw["event_type"],
    )  # fmt: skip
    cancelled = purchase & order_id.str.upper().str.startswith("C")
    verdicts.reject("cancellation", cancelled, "order_id", "is a cancelled or returned order")
    verdicts.reject("non_positive_quantity", quantity <= 0, "quantity", "is not positive")
    verdicts.reject_non_products(config)
    verdicts.reject("non_positive_price", purchase & (raw["price"] <= 0), "price", "is not positive")
    verdicts.reject_ratings_outside(required=False)
    verdicts.frame["_order_key"] = order_id.fillna("")
    verdicts.reject_duplicates(
        "duplicate_event",
        ["dataset", "user_id", "item_id", "event_type", "ts", "_order_key", "quantity", "price", "rating"],
        ["loaded_at", "file_id", "source_row"],
    )
    return verdicts.split("events", raw, cleaned, raw["partition_day"])


def clean_items(raw: pd.DataFrame, config: CleaningConfig = CleaningConfig()) -> CleaningResult:
    """Clean raw items into ``CLEANED_ITEM_COLUMNS``: one canonical row per ``(dataset, item_id)``.

    Repairs (counted as ``<column>_tidied``): HTML tags and entities removed and whitespace collapsed in
    title/description/category/brand, list-valued descriptions joined into paragraphs, list-valued categories
    joined into a path "A > B" without consecutive repeats; price strings ("$12.99") parsed into numbers
    (unparseable prices become null); titles that are only markup become null. ``currency`` is the price's ISO 4217
    code: the one the format states (raw ``currency``), else the one its price text names, null without a price.
    ``features`` is a JSON array of strings (null when none): the item's own features field, then the feature
    bullets that follow the path in a list-valued category (``text_repairs.split_category``; the rows whose
    category carried some are counted as ``features_from_category``), cleaned like the other text, repeats dropped.
    Among duplicate rows of an item, the one carried by most source records wins, then the most complete.
    """
    repairs: dict[str, int] = {}
    title = repair_column(strip_markup, raw["title"], "title_tidied", repairs)
    description = repair_column(join_description, raw["description"], "description_tidied", repairs)
    category = repair_column(category_path, raw["category"], "category_tidied", repairs)
    features = features_column(raw, repairs)
    brand = repair_column(strip_markup, raw["brand"], "brand_tidied", repairs)
    price = parse_prices(raw["price"])
    repairs["price_string_parsed"] = int(
        (price.notna() & raw["price"].notna() & (raw["price"] != price.astype(str))).sum()
    )
    repairs["price_unparseable"] = int((price.isna() & ~_blank(raw["price"])).sum())
    currency = _currency(raw, price)
    repairs["junk_title_removed"] = int((title.isna() & ~_blank(raw["title"])).sum())

    cleaned = pd.DataFrame(
        {
            "dataset": raw["dataset"],
            "item_id": _strip(raw["item_id"]),
            "title": title,
            "description": description,
            "features": features,
            "category": category,
            "brand": brand,
            "price": price,
            "currency": currency,
            "file_id": raw["file_id"],
            "source_file": raw["source_file"],
            "source_row": raw["source_row"],
        },
        columns=CLEANED_ITEM_COLUMNS,
    )
    verdicts = _Verdicts(
        cleaned.assign(parse_error=raw["parse_error"], loaded_at=raw["loaded_at"], source_count=raw["source_count"])
    )
    verdicts.reject_parse_errors()
    verdicts.reject_blank("missing_item", "item_id")
    verdicts.reject_non_products(config)
    # An item priced at zero is not on sale: in Online Retail these are stock adjustments ("damages", "given away",
    # "lost") whose lines all carry price 0. A missing price is kept (Instacart has none).
    verdicts.reject("non_positive_price", price <= 0, "price", "is not positive: not an item on sale")
    verdicts.reject_long_text(["title", "description", "features", "category", "brand"], config)
    verdicts.frame["_source_count"] = -verdicts.frame["source_count"].fillna(1)
    verdicts.frame["_completeness"] = -(
        title.notna().astype(int) * 1_000_000 + description.fillna("").str.len().clip(upper=999_999)
    )
    verdicts.frame["_newest"] = -raw["loaded_at"].astype("int64")
    verdicts.reject_duplicates(
        "duplicate_item",
        ["dataset", "item_id"],
        ["_source_count", "_completeness", "_newest", "file_id", "source_row"],
    )
    result = verdicts.split("items", raw, cleaned)
    result.repairs = repairs
    return result


def clean_reviews(raw: pd.DataFrame, config: CleaningConfig = CleaningConfig()) -> CleaningResult:
    """Clean raw reviews into ``CLEANED_REVIEW_COLUMNS``; HTML tags and entities are removed from the text."""
    repairs: dict[str, int] = {}
    title = repair_column(strip_markup, raw["title"], "review_title_tidied", repairs)
    text = repair_column(strip_markup, raw["text"], "review_text_tidied", repairs)
    cleaned = pd.DataFrame(
        {
            "dataset": raw["dataset"],
            "review_id": _strip(raw["review_id"]),
            "user_id": _strip(raw["user_id"]),
            "item_id": _strip(raw["item_id"]),
            "rating": raw["rating"],
            "title": title,
            "text": text,
            "ts": raw["ts"],
            "file_id": raw["file_id"],
            "source_file": raw["source_file"],
            "source_row": raw["source_row"],
        },
        columns=CLEANED_REVIEW_COLUMNS,
    )
    verdicts = _Verdicts(cleaned.assign(parse_error=raw["parse_error"], loaded_at=raw["loaded_at"]))
    verdicts.reject_parse_errors()
    verdicts.reject_bad_timestamps(config)
    verdicts.reject_blank("missing_user", "user_id")
    verdicts.reject_blank("missing_item", "item_id")
    verdicts.reject_ratings_outside(required=True)
    verdicts.reject("empty_review", _blank(title) & _blank(text), "text", "neither title nor text", show_value=False)
    verdicts.reject_long_text(["title", "text"], config)
    verdicts.reject_duplicates("duplicate_review", ["dataset", "review_id"], ["loaded_at", "file_id", "source_row"])
    result = verdicts.split("reviews", raw, cleaned)
    result.repairs = repairs
    return result


CLEANERS = {"events": clean_events, "items": clean_items, "reviews": clean_reviews}
# The raw column whose value (with the dataset) every duplicate of a row shares: rows of different scopes are
# never duplicates, so the rules can run on each scope's rows apart (as the Spark engine does).
DUPLICATE_SCOPES = {"events": "user_id", "items": "item_id", "reviews": "review_id"}


def _currency(raw: pd.DataFrame, price: pd.Series) -> pd.Series:
    """Per raw item row, its price's ISO 4217 code: the one its format states, else the one its price text names
    ("$12.99"); null where its price is unknown. Rows loaded before raw items had a ``currency`` column state none."""
    stated = raw["currency"] if "currency" in raw.columns else pd.Series(pd.NA, index=raw.index, dtype="string")
    currency = stated.astype("string").str.strip().str.upper().fillna(price_currencies(raw["price"]))
    return currency.where(price.notna())


def duplicate_scope(table: str, raw: pd.DataFrame) -> list[str]:
    """Per raw row of ``table``, its duplicate scope as text: the dataset and the stripped key column."""
    key = _strip(raw[DUPLICATE_SCOPES[table]]).fillna("")
    return (raw["dataset"].astype("string").fillna("") + "\x1f" + key).tolist()


def partition_days(ts: pd.Series, loaded_at: pd.Series, config: CleaningConfig = CleaningConfig()) -> pd.Series:
    """The daily partition (UTC midnight) each raw event of one file belongs to: its own day when ``ts`` is
    plausible; else the file's latest plausible day, or the day it was loaded when the file has none. So every raw
    row, even one with a broken timestamp, has exactly one partition, and one broken row in an old file does not
    stretch the file's partitions (and every refresh of it) from its history to today.
    """
    plausible = (ts >= config.min_ts) & (ts < _end_of_day(loaded_at))
    days = ts.dt.floor("D")
    latest = days[plausible].max()
    fallback = loaded_at.dt.floor("D") if pd.isna(latest) else pd.Series(latest, index=ts.index)
    return days.where(plausible, fallback)


def _end_of_day(ts: pd.Series) -> pd.Series:
    return ts.dt.floor("D") + pd.Timedelta(days=1)


def _blank(values: pd.Series) -> pd.Series:
    return values.isna() | (values.astype("string").str.strip() == "")


def _strip(values: pd.Series) -> pd.Series:
    stripped = values.astype("string").str.strip()
    return stripped.mask(stripped == "")


def _records_as_json(raw: pd.DataFrame) -> pd.Series:
    """Each row of ``raw`` (without provenance, which has its own columns) as a JSON object, so nothing is lost."""
    payload = raw.drop(columns=[c for c in ("dataset", "file_id", "source_file", "loaded_at") if c in raw.columns])
    payload = payload.drop(columns=[c for c in payload.columns if c.startswith("_")])
    if payload.empty:
        return pd.Series([], index=raw.index, dtype="object")
    lines = payload.to_json(orient="records", lines=True, date_format="iso", default_handler=str).splitlines()
    return pd.Series(lines, index=raw.index, dtype="object")
