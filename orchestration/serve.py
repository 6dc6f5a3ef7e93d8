"""``longtail serve``: the HTTP API and web page (``longtail.serving.api``) on uvicorn, over the current snapshot
under ``$LONGTAIL_HOME/serving``."""

from __future__ import annotations

import ipaddress
import os

from resources import home

API_KEY_VARIABLE = "LONGTAIL_API_KEY"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(host: str, port: int) -> int:
    """Serve until stopped (Ctrl-C). Without ``LONGTAIL_API_KEY`` only a loopback address may be bound, so an
    unguarded API is never reachable from another machine."""
    import uvicorn

    from longtail.serving.api import create_app

    api_key = os.environ.get(API_KEY_VARIABLE) or None
    if api_key is None and not is_loopback(host):
        print(f"refusing to bind {host} without an API key: set {API_KEY_VARIABLE}, or serve on 127.0.0.1")
        return 2
    try:
        app = create_app(home.serving_dir(), home.landing_dir(), api_key=api_key)
    except FileNotFoundError as error:
        print(f"{error} (e.g. `longtail materialize --select serving_snapshot`, or `longtail demo`)")
        return 1
    print(f"serving snapshot {app.state.holder.snapshot.version} on http://{host}:{port} (API docs at /docs)")
    uvicorn.run(app, host=host, port=port, log_level="warning")
    return 0
