import pytest

from tests.fixtures import Home

# The packaged generator writes about one description every few seconds on a CPU: the tests that run it through
# the CLI or the UI (real resources) need only to see it work, not to describe every fixture item.
FIXTURE_GENERATION_BUDGET = "2"


@pytest.fixture(autouse=True)
def small_generation_budget(monkeypatch):
    monkeypatch.setenv("LONGTAIL_GENERATION_BUDGET", FIXTURE_GENERATION_BUDGET)


@pytest.fixture
def home(tmp_path, monkeypatch) -> Home:
    monkeypatch.setenv("LONGTAIL_HOME", str(tmp_path / "home"))
    return Home(tmp_path / "home")


def pytest_collection_modifyitems(items):
    """The end-to-end tests first, then the privacy tier's: they are the longest (minutes of waiting on real Dagster
    daemons, or of whole materializations), and started last they would leave one test worker running alone."""
    items.sort(key=lambda item: (item.get_closest_marker("e2e") is None, item.get_closest_marker("privacy") is None))
