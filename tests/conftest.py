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


# A real standalone Spark cluster for the Spark engine's tests (marker ``spark``): a master and two workers of 1 core
# and 1 GB on 127.0.0.1, started once per test session when a test asks for it, and a driver session on it.
@pytest.fixture(scope="session")
def spark_cluster(tmp_path_factory):
    from longtail.spark.cluster import StandaloneCluster

    with StandaloneCluster(tmp_path_factory.mktemp("spark_cluster"), workers=2, cores=1, memory="1g") as cluster:
        yield cluster


@pytest.fixture(scope="session")
def spark(spark_cluster):
    from longtail.spark.session import spark_session

    session = spark_session(spark_cluster.master_url, app_name="longtail-tests", config=spark_cluster.spark_config())
    yield session
    session.stop()
