import pytest

from tests.fixtures import Home


@pytest.fixture
def home(tmp_path, monkeypatch) -> Home:
    monkeypatch.setenv("LONGTAIL_HOME", str(tmp_path / "home"))
    return Home(tmp_path / "home")
