"""``longtail forget`` (erase customers) and ``longtail expire`` (apply the retention periods): delete, then refresh
what is built on the deleted rows, as ``longtail retract`` does (docs/privacy.md)."""

from __future__ import annotations

import argparse
from collections.abc import Callable

import pandas as pd

from resources import home

# Everything built on the customers' rows: below the raw tables (their rows are already deleted, and a load of
# nothing new would materialize none of them, skipping all that follows), without the on-demand tuning and
# evaluation, which keep no customer's rows (a few weights, and figures).
REFRESH = (
    "(key:raw_events or key:raw_reviews)+ and not key:raw_events and not key:raw_reviews "
    "and not key:interactive_evaluation and not key:assistant_settings"
)
# orchestration.cli.materialize_assets (passed in: the command imports this module): selection, partitions -> status.
Materialize = Callable[[str | None, str | None], int]


def add_privacy_commands(commands: argparse._SubParsersAction) -> None:
    forget = commands.add_parser(
        "forget", help="erase customers from every table and snapshot, keep them out of later loads, then refresh"
    )
    forget.add_argument("--dataset", required=True, help="the customers' dataset (shop)")
    forget.add_argument("users", nargs="+", help="the customers' ids as the shop's files give them")
    forget.add_argument("--pseudonymous", action="store_true", help="the ids given are already pseudonyms (u_...)")
    expire = commands.add_parser("expire", help="delete events and reviews past their retention period, then refresh")
    expire.add_argument("--dataset", help="only this dataset (default: every dataset with a retention period)")


def run_privacy_command(args: argparse.Namespace, materialize: Materialize) -> int | None:
    """Run ``forget`` or ``expire``, refreshing with ``materialize``; None for any other command."""
    if args.command == "forget":
        return forget_customers(args.dataset, args.users, materialize, pseudonymous=args.pseudonymous)
    if args.command == "expire":
        return expire_data(args.dataset, materialize)
    return None


def forget_customers(
    dataset: str,
    users: list[str],
    materialize: Materialize,
    *,
    pseudonymous: bool = False,
    now: pd.Timestamp | None = None,
) -> int:
    """Record tombstones and erasure requests for ``users`` of ``dataset`` (raw ids, mapped to pseudonyms, unless
    ``pseudonymous``), delete their rows everywhere, refresh what depends on them and delete the snapshot versions
    that name them. Returns 0 when done, 1 when the refresh failed (the requests stay open; run it again)."""
    from assets.privacy import finish_erasures, review_cache_keys
    from longtail.data.erasure import add_erasure_requests, apply_erasure_requests, record_tombstones
    from orchestration.definitions import build_resources

    now = pd.Timestamp.now(tz="UTC") if now is None else now
    resources = build_resources()
    pseudonyms = resources["privacy"].pseudonyms()
    user_ids = users if pseudonymous else [pseudonyms.user(dataset, user) for user in users]
    for user, user_id in zip(users, user_ids):
        print(f"  erasing {dataset}/{user}" + ("" if pseudonymous else f" (pseudonym {user_id})"))
    with resources["warehouse"].connect() as connection:
        record_tombstones(connection, dataset, user_ids, now)
        add_erasure_requests(connection, dataset, user_ids, now)
        deleted = apply_erasure_requests(connection, now=now, cache_keys=review_cache_keys)
    status = _refresh(deleted, materialize)
    for shop, versions in finish_erasures(resources["warehouse"], home.serving_dir(), now).items():
        print(f"{shop}: erasure done; deleted snapshot versions naming them: {', '.join(versions) or 'none'}")
    return status


def expire_data(dataset: str | None, materialize: Materialize, *, now: pd.Timestamp | None = None) -> int:
    """Delete the events and reviews past retention (of ``dataset``, or of every dataset with a period) from the
    warehouse and the landing folder, refresh what is built on them and delete the older snapshot versions.
    Returns 0 when done, 2 when the dataset has no retention period, 1 when the refresh failed."""
    from assets.privacy import review_cache_keys
    from longtail.data.retention import expire_landing_files, expire_rows
    from longtail.serving.snapshot import purge_versions
    from orchestration.definitions import build_resources

    resources = build_resources()
    since = resources["privacy"].retain_since(now)
    if dataset is not None:
        if dataset not in since:
            print(f"dataset {dataset!r} has no retention period (set LONGTAIL_RETENTION_DAYS, e.g. {dataset}=730)")
            return 2
        since = {dataset: since[dataset]}
    if not since:
        print("no dataset has a retention period (LONGTAIL_RETENTION_DAYS): nothing expires")
        return 0
    for shop, cutoff in since.items():
        print(f"  {shop}: deleting events and reviews before {cutoff:%Y-%m-%d %H:%M} UTC")
    with resources["warehouse"].connect() as connection:
        deleted = expire_rows(connection, since, cache_keys=review_cache_keys)
        files = expire_landing_files(home.landing_dir(), since, connection)
    for path in files.deleted:
        print(f"  deleted landing file {path}")
    for path in files.kept:
        print(f"  kept partly expired {path} (its expired rows are withheld whenever it is loaded)")
    for path, reason in files.unreadable.items():
        print(f"  kept {path}: could not be read ({reason})")
    if not any(deletion.rows for deletion in deleted.values()):
        print("no expired rows in the warehouse: nothing to refresh")
        return 0
    status = _refresh(deleted, materialize)
    if status == 0:
        # Every version but the one just published predates the expiry: each may still hold expired history.
        gone = purge_versions(home.serving_dir(), lambda folder: any((folder / shop).is_dir() for shop in deleted))
        print(f"deleted older snapshot versions: {', '.join(gone) or 'none'}")
    return status


def _refresh(deleted: dict, materialize: Materialize) -> int:
    """Print what ``deleted`` (dataset -> ``Deletion``) removed, then materialize what is built on it over the days
    of the deleted events (none: without re-cleaning events)."""
    from assets.privacy import describe_deletion
    from longtail.data.erasure import Deletion

    for dataset, deletion in deleted.items():
        print("\n".join(describe_deletion(dataset, deletion)))
    merged = Deletion.combined(deleted.values())
    if merged.first_day is None:
        return materialize(f"{REFRESH} and not key:cleaned_events")
    return materialize(REFRESH, f"{merged.first_day:%Y-%m-%d}...{merged.last_day:%Y-%m-%d}")
