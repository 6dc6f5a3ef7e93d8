"""Guest sales: purchase lines without a customer (guest checkouts, counter sales).

Cleaning quarantines them as ``missing_user``, because no customer's history can hold them. Demand counts them,
because the shop sold them: a fifth of Online Retail II's sale lines have no customer.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from longtail.data.cleaning import CleaningConfig, CleaningResult, clean_events

# The raw events that ``clean_guest_sales`` looks at, as a SQL filter on ``raw_events``: those without a customer.
WITHOUT_CUSTOMER_SQL = "coalesce(trim(user_id), '') = ''"
# Stands in for the missing customer while the event rules run, so that the duplicate rule compares guest lines
# with each other.
_GUEST = "guest"


def clean_guest_sales(raw: pd.DataFrame, config: CleaningConfig = CleaningConfig()) -> CleaningResult:
    """The purchase lines of ``raw`` (raw events) without a customer, through every event rule but ``missing_user``.

    ``cleaned`` has ``CLEANED_EVENT_COLUMNS`` with ``user_id`` null; ``quarantined``, the guest lines another rule
    rejects (their record names the stand-in customer).
    """
    customer = raw["user_id"].astype("string").str.strip().fillna("")
    purchase = raw["event_type"].astype("string").str.strip().str.lower().eq("purchase").fillna(False)
    result = clean_events(raw[(customer == "") & purchase].assign(user_id=_GUEST), config)
    result.cleaned["user_id"] = pd.Series(pd.NA, index=result.cleaned.index, dtype="string")
    return result


def guest_sales_table(customer_units: Mapping[str, float], guests: CleaningResult) -> pd.DataFrame:
    """Per dataset with guest lines (``guests``, from ``clean_guest_sales``): ``customer_units`` (dataset -> units
    the customers bought), ``guest_lines`` and ``guest_units`` (a line without a quantity is one unit), the guests'
    share of the units, and the ``guest_lines_left_out`` by another rule. Units are rounded to whole units."""
    cleaned, quarantined = guests.cleaned, guests.quarantined
    table = pd.DataFrame(
        {
            "customer_units": pd.Series(customer_units, dtype=float),
            "guest_lines": cleaned.groupby("dataset").size(),
            "guest_units": cleaned["quantity"].fillna(1.0).groupby(cleaned["dataset"]).sum(),
            "guest_lines_left_out": quarantined.groupby("dataset").size(),
        }
    )
    table = table.reindex(sorted(set(cleaned["dataset"]) | set(quarantined["dataset"]))).fillna(0)
    table.insert(3, "guest_share", (table["guest_units"] / (table["customer_units"] + table["guest_units"])).round(4))
    counts = ["customer_units", "guest_lines", "guest_units", "guest_lines_left_out"]
    table[counts] = table[counts].round().astype("int64")
    return table.fillna({"guest_share": 0.0}).rename_axis("dataset").reset_index()
