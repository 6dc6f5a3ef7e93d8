"""Why CI lets idle threads sleep: the wall time of two thread-parallel kernels beside a busy core (as in CI, where two
test jobs share the 2 cores) and alone, per thread setting, as ratios to one thread in the same run.

    .venv/bin/python bench/thread_contention.py

The kernels: MiniLM encoding 3,000 short texts (torch's OpenMP threads) and 3,000 products of a 400 x 400 float32
matrix (numpy's OpenBLAS threads). The settings: two threads that spin while they wait (the libraries' default),
two OpenMP threads that sleep (OMP_WAIT_POLICY=PASSIVE, CI's setting; OpenBLAS ignores it) and one thread. Each
measurement runs in a fresh process; the busy core is a process spinning in a loop.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import time

SETTINGS = {
    "2 threads, spinning": {},
    "2 threads, OMP_WAIT_POLICY=PASSIVE": {"OMP_WAIT_POLICY": "PASSIVE"},
    "1 thread": {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"},
}
KERNELS = {
    "encode": """
from longtail.recommend.embedding import load_encoder
model = load_encoder(device="cpu")
texts = [f"vintage red heart shaped glass candle holder number {i} with gold trim" for i in range(3000)]
start = time.perf_counter()
model.encode(texts, batch_size=64)
""",
    "matmul": """
import numpy as np
a = np.random.default_rng(0).random((400, 400), dtype=np.float32)
start = time.perf_counter()
for _ in range(3000):
    a @ a
""",
}


def seconds(kernel: str, env: dict[str, str]) -> float:
    """Wall seconds of ``kernel`` (model loading excluded) in a fresh interpreter with ``env`` added."""
    code = "import time\n" + KERNELS[kernel] + "print(time.perf_counter() - start)\n"
    out = subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, **env}, check=True, capture_output=True, text=True
    ).stdout
    return float(out.strip().splitlines()[-1])


def spin() -> None:
    while True:
        pass


def main() -> None:
    for busy in (True, False):
        hog = multiprocessing.Process(target=spin, daemon=True) if busy else None
        if hog:
            hog.start()
            time.sleep(1)
        try:
            print(f"\n{'beside a busy core' if busy else 'alone'}")
            print(f"{'kernel':8} {'setting':36} {'seconds':>8} {'x 1 thread':>11}")
            for kernel in KERNELS:
                times = {name: seconds(kernel, env) for name, env in SETTINGS.items()}
                for name, value in times.items():
                    print(f"{kernel:8} {name:36} {value:8.1f} {value / times['1 thread']:11.2f}")
        finally:
            if hog:
                hog.terminate()
                hog.join()


if __name__ == "__main__":
    main()
