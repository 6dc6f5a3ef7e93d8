"""No module of the framework-free core grows past ``MAX_CORE_LINES``: a longer one mixes jobs and is split by job
(issue 12's layout)."""

from pathlib import Path

CORE = Path(__file__).resolve().parents[1] / "longtail"
MAX_CORE_LINES = 400


def test_no_core_module_is_longer_than_the_limit():
    lengths = {
        path.relative_to(CORE.parent).as_posix(): len(path.read_text().splitlines()) for path in CORE.rglob("*.py")
    }
    assert len(lengths) > 50  # the walk found the core
    too_long = {path: lines for path, lines in lengths.items() if lines > MAX_CORE_LINES}
    assert not too_long, f"split these modules by job: {too_long}"
