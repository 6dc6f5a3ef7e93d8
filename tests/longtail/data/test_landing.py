import pytest

from longtail.data import landing


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_scan_names_datasets_by_folder_and_skips_hidden_files(tmp_path):
    root = tmp_path / "landing"
    write(root / "retail" / "a.csv", "x")
    write(root / "top.csv", "y")
    write(root / "retail" / ".a.csv.partial", "half")
    write(root / "retail" / ".superseded" / "old.csv", "z")
    found = {(f.dataset, f.name) for f in landing.scan(root)}
    assert found == {("retail", "a.csv"), ("default", "top.csv")}


def test_place_copies_once_per_content_and_keeps_superseded_bytes(tmp_path):
    root = tmp_path / "landing"
    source = write(tmp_path / "in" / "sales.csv", "v1")
    first, status = landing.place(source, root, "shop")
    assert status == "new" and first.path.read_text() == "v1"

    copy = write(tmp_path / "other" / "sales-copy.csv", "v1")
    again, status = landing.place(copy, root, "shop")
    assert status == "unchanged" and again.name == "sales.csv"

    write(source, "v2")
    changed, status = landing.place(source, root, "shop")
    assert status == "changed" and changed.path.read_text() == "v2" and changed.file_id != first.file_id
    archived = list((root / "shop" / ".superseded").iterdir())
    assert [p.read_text() for p in archived] == ["v1"]
    assert [f.name for f in landing.scan(root)] == ["sales.csv"]


def test_dataset_names_are_validated(tmp_path):
    with pytest.raises(ValueError, match="dataset name"):
        landing.place(write(tmp_path / "a.csv", "x"), tmp_path / "landing", "../escape")
