import pytest

from longtail.files import create_once, replacing, write_text_whole


def test_a_write_replaces_the_file_whole_and_leaves_nothing_beside_it(tmp_path):
    path = tmp_path / "reports" / "report.json"
    write_text_whole(path, '{"old": 1}')
    write_text_whole(path, '{"new": 2}')
    assert path.read_text() == '{"new": 2}'
    assert [p.name for p in path.parent.iterdir()] == ["report.json"]


def test_a_write_that_fails_midway_keeps_the_old_file(tmp_path):
    path = tmp_path / "model.joblib"
    path.write_bytes(b"the old model")
    with pytest.raises(RuntimeError, match="killed"):
        with replacing(path) as temporary:
            temporary.write_bytes(b"half of a new")
            raise RuntimeError("killed while writing")
    assert path.read_bytes() == b"the old model"
    assert [p.name for p in tmp_path.iterdir()] == ["model.joblib"]


def test_create_once_keeps_the_first_file_and_leaves_nothing_beside_it(tmp_path):
    path = tmp_path / "key"
    assert create_once(path, lambda temporary: temporary.write_text("first"))
    assert not create_once(path, lambda temporary: temporary.write_text("second"))
    assert path.read_text() == "first"
    assert [p.name for p in tmp_path.iterdir()] == ["key"]
