"""``landing.place`` called by several processes at once: each landed file is one whole copy, never a mixture."""

import multiprocessing
import os
import traceback

import pytest

from longtail.data import landing

# Process start-ups take seconds: in the slower tier with the crash trials (`make test-faults`).
pytestmark = [pytest.mark.faults]

# Processes started clean ("spawn"): forking a test worker that runs threads could copy a held lock.
CONTEXT = multiprocessing.get_context("spawn")
WAIT_S = 60


def place_in_rounds(rounds, start, results):
    """For each round (landing folder, dataset, sources): wait for every process, then place the sources."""
    try:
        for landing_dir, dataset, sources in rounds:
            start.wait(WAIT_S)
            for source in sources:
                landing.place(source, landing_dir, dataset)
        results.put(None)
    except BaseException:
        start.abort()  # the other processes stop waiting for this one
        results.put(traceback.format_exc())


def run_processes(rounds_per_process):
    """Run ``place_in_rounds`` in one process per entry, the processes starting each round together."""
    start, results = CONTEXT.Barrier(len(rounds_per_process)), CONTEXT.Queue()
    processes = [CONTEXT.Process(target=place_in_rounds, args=(r, start, results)) for r in rounds_per_process]
    for process in processes:
        process.start()
    errors = [results.get(timeout=WAIT_S) for _ in processes]
    for process in processes:
        process.join(WAIT_S)
    assert errors == [None] * len(processes)


def write_sources(folder, names, marker, size_bytes):
    """A file per name in ``folder``, each of distinct content (of about ``size_bytes``) made from ``marker``.

    Megabytes make the copies long enough to overlap: with a temporary file shared by concurrent calls, they did.
    """
    folder.mkdir(parents=True, exist_ok=True)
    sources = []
    for name in names:
        line = f"{marker},{name},".encode()
        (folder / name).write_bytes(line * (size_bytes // len(line)))
        sources.append(folder / name)
    return sources


def temporary_files(landing_dir):
    return [name for _, _, files in os.walk(landing_dir) for name in files if name.endswith(".partial")]


def test_processes_placing_the_same_files_land_one_whole_copy_each(tmp_path):
    sources = write_sources(tmp_path / "in", [f"part{n}.csv" for n in range(5)], "same", 1 << 20)
    landings = [tmp_path / f"landing{n}" for n in range(3)]
    run_processes([[(landing_dir, "shop", sources) for landing_dir in landings]] * 4)
    for landing_dir in landings:
        found = landing.scan(landing_dir)
        assert [f.name for f in found] == [source.name for source in sources]
        for landed, source in zip(found, sources):
            assert landed.refusal is None and landed.path.read_bytes() == source.read_bytes()
        assert temporary_files(landing_dir) == []


def test_processes_placing_different_content_under_one_name_land_one_version_whole(tmp_path):
    versions = [write_sources(tmp_path / f"in{n}", ["sales.csv"], f"version{n}", 2 << 20)[0] for n in range(2)]
    expected = {version.read_bytes() for version in versions}
    landings = [tmp_path / f"landing{n}" for n in range(15)]
    run_processes([[(landing_dir, "shop", [version]) for landing_dir in landings] for version in versions])
    for landing_dir in landings:
        [landed] = landing.scan(landing_dir)
        assert landed.path.read_bytes() in expected
        # The version replaced, if any, is kept whole too.
        for archived in (landing_dir / "shop" / ".superseded").glob("*"):
            assert archived.read_bytes() in expected - {landed.path.read_bytes()}
        assert temporary_files(landing_dir) == []


def test_twenty_processes_placing_twenty_files_at_once_land_them_all(tmp_path):
    sources = write_sources(tmp_path / "in", [f"file{n:02}.csv" for n in range(20)], "distinct", 256 << 10)
    landing_dir = tmp_path / "landing"
    run_processes([[(landing_dir, "shop", [source])] for source in sources])
    found = landing.scan(landing_dir)
    assert [f.name for f in found] == [source.name for source in sources]
    assert all(landed.path.read_bytes() == source.read_bytes() for landed, source in zip(found, sources))
    assert temporary_files(landing_dir) == []
