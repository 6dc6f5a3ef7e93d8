"""``longtail serve``: the HTTP API and web page (``longtail.serving.api``) on uvicorn, over the current snapshot
under ``$LONGTAIL_HOME/serving``; and ``longtail api-key``: the keys it accepts, stored hashed in
``$LONGTAIL_HOME/secrets/api_keys.json`` (``longtail.serving.access``)."""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys

from longtail.privacy.pseudonyms import Pseudonyms, load_key
from longtail.serving.access import DEFAULT_REQUESTS_PER_MINUTE, KeyStore
from resources import home

RATE_LIMIT_VARIABLE = "LONGTAIL_RATE_LIMIT"
# Read by earlier versions: a key in the clear in the environment. Refused now rather than ignored, so that a
# deployment that relied on it learns that its key no longer guards anything.
RETIRED_KEY_VARIABLE = "LONGTAIL_API_KEY"
CREATE_A_KEY = "longtail api-key create --name NAME"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def requests_per_minute(environ: dict[str, str] | os._Environ = os.environ) -> int:
    """``LONGTAIL_RATE_LIMIT``: each caller's requests a minute (default ``DEFAULT_REQUESTS_PER_MINUTE``)."""
    text = environ.get(RATE_LIMIT_VARIABLE, "").strip()
    if not text:
        return DEFAULT_REQUESTS_PER_MINUTE
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"{RATE_LIMIT_VARIABLE} is a whole number of requests a minute, at least 1, not {text!r}")
    return int(text)


def serve(host: str, port: int) -> int:
    """Serve until stopped (Ctrl-C). With keys in the key store every ``/v1`` request needs one; without, only a
    loopback address may be bound, so an unguarded API is never reachable from another machine. Whether keys are
    needed is decided at start: revoking the last key leaves every request refused, never the API open."""
    import uvicorn

    from longtail.serving.api import create_app

    if os.environ.get(RETIRED_KEY_VARIABLE):
        print(
            f"{RETIRED_KEY_VARIABLE} is no longer read (a key is not kept in the clear): unset it and `{CREATE_A_KEY}`"
        )
        return 2
    keys = KeyStore(home.api_keys_path())
    try:
        rate = requests_per_minute()
        needs_keys = bool(keys.keys())
        pseudonyms = Pseudonyms(load_key(home.id_key_path()))
    except ValueError as error:
        print(error)
        return 2
    if not needs_keys and not is_loopback(host):
        print(f"refusing to bind {host} without an API key: `{CREATE_A_KEY}`, or serve on 127.0.0.1")
        return 2
    try:
        app = create_app(
            home.serving_dir(),
            home.landing_dir(),
            pseudonyms=pseudonyms,
            keys=keys if needs_keys else None,
            requests_per_minute=rate,
        )
    except FileNotFoundError as error:
        print(f"{error} (e.g. `longtail materialize --select serving_snapshot`, or `longtail demo`)")
        return 1
    guard = f"keys from {keys.path}" if needs_keys else "no API keys, loopback only"
    print(
        f"serving snapshot {app.state.holder.snapshot.version} on http://{host}:{port} (API docs at /docs); "
        f"{guard}; at most {rate} requests a minute per caller"
    )
    uvicorn.run(app, host=host, port=port, log_level="warning")
    return 0


def add_api_key_command(commands: argparse._SubParsersAction) -> None:
    """``longtail api-key create|list|revoke`` on the subcommands of the ``longtail`` parser."""
    api_key = commands.add_parser("api-key", help="create, list or revoke the serving API's keys (stored hashed)")
    actions = api_key.add_subparsers(dest="api_key_action", required=True)
    create = actions.add_parser("create", help="create a key: printed once, only its hash is stored")
    create.add_argument("--name", required=True, help="who uses it, e.g. shop-frontend")
    create.add_argument(
        "--dataset", action="append", dest="datasets", help="a dataset it may read (repeat for more; default: all)"
    )
    actions.add_parser("list", help="each key's name, datasets and creation time (never the key)")
    revoke = actions.add_parser("revoke", help="delete a key; a running server refuses it from its next request")
    revoke.add_argument("name")


def api_key_command(args: argparse.Namespace) -> int:
    keys = KeyStore(home.api_keys_path())
    try:
        if args.api_key_action == "create":
            key = keys.create(args.name, args.datasets)
            scope = ", ".join(sorted(set(args.datasets))) if args.datasets else "every dataset"
            # The key alone on stdout (for KEY=$(longtail api-key create ...)); what it is on stderr.
            print(
                f"created API key {args.name!r} ({scope}); it is shown this once, only its SHA-256 is kept in "
                f"{keys.path}. A server started without keys needs a restart to require them.",
                file=sys.stderr,
            )
            print(key)
            return 0
        if args.api_key_action == "list":
            for stored in keys.keys():
                scope = ", ".join(stored.datasets) if stored.datasets is not None else "every dataset"
                print(f"{stored.name}\t{scope}\tcreated {stored.created}")
            return 0
        if keys.revoke(args.name):
            print(f"revoked API key {args.name!r}")
            return 0
        print(f"no API key named {args.name!r} in {keys.path}")
        return 1
    except ValueError as error:
        print(error)
        return 1
