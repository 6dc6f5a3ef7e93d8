"""Latency of `longtail serve` on loopback, under an open-loop load, against /healthz in the same run.

    LONGTAIL_HOME=~/.longtail .venv/bin/python bench/serving_latency.py [--dataset uci_online_retail_ii]

Starts the API (uvicorn, one worker, as `longtail serve` runs it) over the current snapshot under
$LONGTAIL_HOME/serving in a child process, then, from this process, sends requests at a fixed rate whatever the
answers' speed (open loop, so a slow server cannot slow the load down and hide its own latency):

1. ``/healthz`` at 200 requests/s: the floor of the stack (FastAPI, uvicorn, loopback), the baseline;
2. cached lists (``/v1/users/{id}/recommendations``, users drawn from the snapshot's lists) at 200 requests/s;
3. chat turns (``/v1/chat``, queries written from item titles, the sentence encoder warm, no language model) at
   20 requests/s;
4. the lists again at 200 requests/s while the snapshot is switched back and forth under it: every failed or
   non-200 answer is counted.

Prints p50/p95/p99 per phase, each p95 as a ratio to the /healthz p95, and the targets (lists p95 < 20 ms at
200/s, chat p95 < 150 ms, no failed request across a switch). The machine's two cores are shared by the server and
this load generator, as they would be by a server and its reverse proxy.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from longtail.serving.catalogue import load_snapshot  # noqa: E402
from longtail.serving.snapshot import current_version, switch_current, versions  # noqa: E402
from resources import home  # noqa: E402

SERVER = """
import sys, uvicorn
from pathlib import Path
from longtail.serving.api import create_app
# The users are drawn from the snapshot's lists, already pseudonyms: mapped as they are (an HMAC costs about a
# microsecond, nothing beside a request). One client sends every request, so the rate limit is lifted.
app = create_app(
    Path(sys.argv[1]), Path(sys.argv[2]), pseudonyms=lambda dataset, user: user, requests_per_minute=10**9
)
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[3]), log_level="warning")
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def open_loop(client, requests: list[tuple[str, str, dict | None]], rate: float) -> tuple[np.ndarray, int]:
    """Send ``requests`` (method, path, json) ``rate`` per second on a fixed schedule; latencies in ms of the
    successful ones, and the count of failures (errors or non-2xx)."""
    latencies, failures = [], 0

    async def one(method, path, body, due):
        nonlocal failures
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        sent = time.perf_counter()
        try:
            response = await client.request(method, path, json=body)
            ok = response.status_code < 300
        except Exception:  # noqa: BLE001 - any failure counts, whatever its kind
            ok = False
        if ok:
            # Measured from the scheduled time: a request the client could not send on time waited too.
            latencies.append((time.perf_counter() - min(sent, due)) * 1000)
        else:
            failures += 1

    start = time.perf_counter() + 0.2
    await asyncio.gather(*(one(m, p, b, start + i / rate) for i, (m, p, b) in enumerate(requests)))
    return np.array(latencies), failures


def summary(name: str, latencies: np.ndarray, failures: int, floor: float | None) -> dict:
    p50, p95, p99 = np.percentile(latencies, [50, 95, 99]) if len(latencies) else (np.nan,) * 3
    ratio = f"{p95 / floor:6.2f}x" if floor else "  1.00x"
    print(f"{name:<34} {len(latencies):>6} {failures:>6} {p50:8.1f} {p95:8.1f} {p99:8.1f}   {ratio}")
    return {"p95": p95, "failures": failures}


async def run(base: str, dataset: str, users: list[str], queries: list[str], seconds: float, switch) -> dict:
    import httpx2

    rate = 200.0
    n = int(rate * seconds)
    limits = httpx2.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx2.AsyncClient(base_url=base, limits=limits, timeout=10.0) as client:
        for _ in range(20):  # warm-up: connections, and the encoder on the first chat
            await client.get("/healthz")
        await client.post("/v1/chat", json={"dataset": dataset, "query": queries[0]})
        print(f"{'phase':<34} {'ok':>6} {'failed':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}   p95 / healthz")
        health = summary("/healthz at 200/s", *await open_loop(client, [("GET", "/healthz", None)] * n, rate), None)
        lists = [("GET", f"/v1/users/{random.choice(users)}/recommendations?dataset={dataset}", None) for _ in range(n)]
        cached = summary("cached lists at 200/s", *await open_loop(client, lists, rate), health["p95"])
        chats = [
            ("POST", "/v1/chat", {"dataset": dataset, "query": random.choice(queries)})
            for _ in range(int(20 * seconds))
        ]
        chat = summary("chat at 20/s", *await open_loop(client, chats, 20.0), health["p95"])
        switching = asyncio.create_task(open_loop(client, lists, rate))
        switches = await asyncio.to_thread(switch, seconds)
        during = summary(f"lists at 200/s, {switches} switches", *await switching, health["p95"])
    return {"cached": cached, "chat": chat, "during": during}


def main() -> int:
    import httpx2

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="uci_online_retail_ii")
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    root = home.serving_dir()
    version = current_version(root)
    if version is None:
        print(f"no snapshot under {root}: run `longtail demo` or materialize serving_snapshot first")
        return 2
    index = load_snapshot(root, version).shops[args.dataset]
    random.seed(0)
    users = [user for user in index.lists if not user.startswith("<")]
    words = [title.lower().split() for title in index.titles if len(title.split()) >= 2]
    queries = [f"{' '.join(random.sample(w, 2))} under £{random.choice([3, 5, 10])}" for w in random.sample(words, 200)]
    others = [name for name in versions(root) if name != version]
    if not others:
        print("only one snapshot version: materialize serving_snapshot once more to bench a switch")
        return 2

    def switch(seconds: float) -> int:
        """Switch between the current and the previous version every 0.5 s for ``seconds``; back where it was."""
        count, deadline = 0, time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            switch_current(root, others[-1] if count % 2 == 0 else version)
            count += 1
            time.sleep(0.5)
        switch_current(root, version)
        return count

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(root), str(home.landing_dir()), str(port)], cwd=ROOT, env=os.environ.copy()
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                if httpx2.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx2.HTTPError:
                time.sleep(0.5)
        results = asyncio.run(run(base, args.dataset, users, queries, args.seconds, switch))
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(
        f"targets: cached lists p95 {results['cached']['p95']:.1f} ms (< 20: {results['cached']['p95'] < 20}); "
        f"chat p95 {results['chat']['p95']:.1f} ms (< 150: {results['chat']['p95'] < 150}); "
        f"failed requests across switches {results['during']['failures']} (0: {results['during']['failures'] == 0})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
