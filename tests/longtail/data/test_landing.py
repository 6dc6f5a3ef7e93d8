import hashlib
import os
import socket
import stat
import threading
from pathlib import Path

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


def within(seconds, call, *args):
    """``call(*args)``, failing instead of hanging: opening a FIFO for reading waits for a writer."""
    outcome = {}

    def run():
        try:
            outcome["result"] = call(*args)
        except Exception as error:
            outcome["error"] = error

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    assert outcome, f"{call.__name__} did not finish in {seconds}s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def scan_within(root, seconds=10):
    return within(seconds, landing.scan, root)


def test_scan_lists_links_and_special_files_as_refused_without_opening_or_following_them(tmp_path, monkeypatch):
    root = tmp_path / "landing"
    outside = write(tmp_path / "outside" / "secret.csv", "user_id,item_id\nu1,i1\n")
    write(root / "shop" / "a.csv", "x")
    (root / "shop" / "link.csv").symlink_to(outside)
    (root / "shop" / "passwd.csv").symlink_to("/etc/passwd")
    (root / "shop" / "dangling.csv").symlink_to(tmp_path / "nowhere.csv")
    (root / "shop" / "folder").symlink_to(outside.parent, target_is_directory=True)
    (root / "linked").symlink_to(outside.parent, target_is_directory=True)
    os.mkfifo(root / "shop" / "p.csv")
    monkeypatch.chdir(root / "shop")  # a relative socket path: absolute ones may pass the 108-byte limit
    with socket.socket(socket.AF_UNIX) as server:
        server.bind("s.csv")
        found = scan_within(root)
    by_name = {(f.dataset, f.name): f for f in found}
    assert list(by_name) == [
        ("default", "linked"),
        ("shop", "a.csv"),
        ("shop", "dangling.csv"),
        ("shop", "folder"),
        ("shop", "link.csv"),
        ("shop", "p.csv"),
        ("shop", "passwd.csv"),
        ("shop", "s.csv"),
    ]
    assert by_name["shop", "a.csv"].refusal is None and by_name["shop", "a.csv"].size_bytes == 1
    link = "a symbolic link (links are not followed; copy the file in instead)"
    refusals = {key: f.refusal for key, f in by_name.items() if key != ("shop", "a.csv")}
    assert refusals == {
        ("default", "linked"): link,
        ("shop", "dangling.csv"): link,
        ("shop", "folder"): link,
        ("shop", "link.csv"): link,
        ("shop", "p.csv"): "a FIFO, not a regular file",
        ("shop", "passwd.csv"): link,
        ("shop", "s.csv"): "a socket, not a regular file",
    }
    assert all(f.size_bytes == 0 for f in found if f.refusal)
    fifo_id = hashlib.sha256(b"fifo:shop/p.csv").hexdigest()
    assert by_name["shop", "p.csv"].file_id == fifo_id

    # Ids are stable, and a link pointed elsewhere is a new entry.
    assert [f.file_id for f in scan_within(root)] == [f.file_id for f in found]
    (root / "shop" / "link.csv").unlink()
    (root / "shop" / "link.csv").symlink_to(tmp_path / "elsewhere.csv")
    again = {(f.dataset, f.name): f.file_id for f in scan_within(root)}
    assert again["shop", "link.csv"] != by_name["shop", "link.csv"].file_id
    assert again["shop", "p.csv"] == fifo_id


def test_scan_refuses_a_device(tmp_path):
    root = tmp_path / "landing"
    (root / "shop").mkdir(parents=True)
    try:
        os.mknod(root / "shop" / "null.csv", stat.S_IFCHR | 0o600, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("creating a device needs privileges")
    [device] = scan_within(root)
    assert device.refusal == "a character device, not a regular file" and device.size_bytes == 0


def test_scan_neither_hangs_nor_follows_when_a_file_is_swapped_after_its_stat(tmp_path, monkeypatch):
    """A regular file replaced by a FIFO or a link between the check and the open: the open must not block on the
    FIFO nor follow the link, and the entry is listed as what was really there."""
    root = tmp_path / "landing"
    (root / "shop").mkdir(parents=True)
    os.mkfifo(root / "shop" / "p.csv")
    (root / "shop" / "link.csv").symlink_to("/etc/passwd")
    real_stat = os.stat

    def stat_seeing_regular_files(path, *args, **kwargs):
        result = real_stat(path, *args, **kwargs)
        if Path(path).name in {"p.csv", "link.csv"}:
            return os.stat_result((stat.S_IFREG | 0o644, *tuple(result)[1:]))
        return result

    monkeypatch.setattr(os, "stat", stat_seeing_regular_files)
    refusals = {f.name: f.refusal for f in scan_within(root)}
    assert refusals == {
        "link.csv": "a symbolic link (links are not followed; copy the file in instead)",
        "p.csv": "a FIFO, not a regular file",
    }


def test_scan_skips_a_file_removed_between_listing_and_reading(tmp_path, monkeypatch):
    root = tmp_path / "landing"
    write(root / "shop" / "a.csv", "x")
    real_walk = os.walk

    def walk_listing_a_removed_file(top):
        for folder, folders, files in real_walk(top):
            yield folder, folders, [*files, "removed.csv"]

    monkeypatch.setattr(os, "walk", walk_listing_a_removed_file)
    assert [(f.dataset, f.name) for f in landing.scan(root)] == [("shop", "a.csv")]


def test_scan_order_is_top_files_then_dataset_folders_by_name(tmp_path):
    root = tmp_path / "landing"
    for path in ("z.csv", "b/2.csv", "b/1.csv", "b/sub/0.csv", "b/y.csv", "a/x.csv", ".hidden/h.csv", "b/.h.csv"):
        write(root / path, path)
    (root / "b" / "link.csv").symlink_to(root / "a" / "x.csv")
    assert [(f.dataset, f.name) for f in landing.scan(root)] == [
        ("default", "z.csv"),
        ("a", "x.csv"),
        ("b", "1.csv"),
        ("b", "2.csv"),
        ("b", "link.csv"),
        ("b", "y.csv"),
        ("b", "sub/0.csv"),
    ]


def test_place_refuses_sources_that_are_not_regular_files(tmp_path):
    root = tmp_path / "landing"
    os.mkfifo(tmp_path / "p.csv")
    with pytest.raises(ValueError, match="p.csv is a FIFO, not a regular file"):
        within(10, landing.place, tmp_path / "p.csv", root, "shop")
    (tmp_path / "folder.csv").mkdir()
    with pytest.raises(ValueError, match="folder.csv is a folder, not a regular file"):
        landing.place(tmp_path / "folder.csv", root, "shop")
    assert not root.exists()

    # A link to a regular file is the user's way of naming it: it is copied.
    (tmp_path / "named.csv").symlink_to(write(tmp_path / "real.csv", "x"))
    landed, status = landing.place(tmp_path / "named.csv", root, "shop")
    assert status == "new" and landed.path.read_text() == "x" and not landed.path.is_symlink()


def test_file_sha256_hashes_regular_files_only(tmp_path):
    assert landing.file_sha256(write(tmp_path / "a.csv", "x")) == hashlib.sha256(b"x").hexdigest()
    os.mkfifo(tmp_path / "p.csv")
    with pytest.raises(ValueError, match="a FIFO, not a regular file"):
        within(10, landing.file_sha256, tmp_path / "p.csv")


def test_place_replaces_a_link_at_the_target_without_following_it(tmp_path):
    root = tmp_path / "landing"
    outside = write(tmp_path / "outside" / "sales.csv", "outside")
    (root / "shop").mkdir(parents=True)
    (root / "shop" / "sales.csv").symlink_to(outside)
    landed, status = landing.place(write(tmp_path / "in" / "sales.csv", "mine"), root, "shop")
    assert status == "changed" and not landed.path.is_symlink() and landed.path.read_text() == "mine"
    assert outside.read_text() == "outside" and not (root / "shop" / ".superseded").exists()


def test_place_archives_under_the_content_hash_and_leaves_no_temporary_file_on_error(tmp_path, monkeypatch):
    root = tmp_path / "landing"
    source = write(tmp_path / "in" / "sales.csv", "v1")
    landing.place(source, root, "shop")
    write(source, "v2")
    landing.place(source, root, "shop")
    archive = root / "shop" / ".superseded" / f"{hashlib.sha256(b'v1').hexdigest()}-sales.csv"
    assert archive.read_text() == "v1"

    def failing_replace(*args):
        raise OSError("disk trouble")

    write(source, "v3")
    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk trouble"):
        landing.place(source, root, "shop")
    left = [name for _, _, files in os.walk(root) for name in files if name.endswith(".partial")]
    assert left == [] and (root / "shop" / "sales.csv").read_text() == "v2"


def test_dataset_names_reject_a_trailing_newline_and_more_than_100_characters():
    assert landing.validate_dataset_name("a" * 100) == "a" * 100
    for bad in ("shop\n", "a" * 101, "", ".hidden", "a/b"):
        with pytest.raises(ValueError, match="dataset name"):
            landing.validate_dataset_name(bad)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_is_refused_not_raised(tmp_path):
    root = tmp_path / "landing"
    secret = root / "shop" / "secret.csv"
    secret.parent.mkdir(parents=True)
    secret.write_text("user_id,item_id,event_type,ts\n")
    secret.chmod(0)
    (entry,) = landing.scan(root)
    assert entry.refusal == "cannot be read (permission denied)" and entry.size_bytes == 0
