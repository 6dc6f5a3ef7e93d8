import pytest

from tests.fixtures import Home

# The packaged generator writes about one description every few seconds on a CPU: the tests that run it through
# the CLI or the UI (real resources) need only to see it work, not to describe every fixture item.
FIXTURE_GENERATION_BUDGET = "2"


def pytest_collection_modifyitems(items):
    """The real-data tests first: they run the whole demo, the longest stretch, so that under `pytest -n 2
    --dist loadfile` (`make test`) one worker starts on it while the other takes every other file."""
    items.sort(key=lambda item: item.get_closest_marker("real_data") is None)


@pytest.fixture(autouse=True)
def small_generation_budget(monkeypatch):
    monkeypatch.setenv("LONGTAIL_GENERATION_BUDGET", FIXTURE_GENERATION_BUDGET)


@pytest.fixture
def home(tmp_path, monkeypatch) -> Home:
    monkeypatch.setenv("LONGTAIL_HOME", str(tmp_path / "home"))
    return Home(tmp_path / "home")
