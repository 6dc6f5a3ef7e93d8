import os
import stat

import pandas as pd
import pytest

from longtail.errors import InputError
from longtail.privacy.pseudonyms import KEY_ENV, Pseudonyms, load_key, scrub

KEY = b"a test key of 32 characters....."


def test_a_pseudonym_depends_on_the_key_the_shop_and_the_id_only():
    pseudonyms = Pseudonyms(KEY)
    first = pseudonyms.user("shop", "13085")
    assert first == Pseudonyms(KEY).user("shop", "13085")
    assert len(first) == 26 and first.startswith("u_") and int(first[2:], 16) >= 0
    assert first not in {
        pseudonyms.user("other shop", "13085"),
        pseudonyms.user("shop", "13086"),
        Pseudonyms(KEY + b"!").user("shop", "13085"),
    }
    ids = pd.Series(["13085", None, "13085"], dtype="string")
    assert pseudonyms.users("shop", ids).tolist() == [first, pd.NA, first]


def test_a_short_key_is_refused():
    with pytest.raises(ValueError, match="16 characters"):
        Pseudonyms(b"short")


def test_ids_are_replaced_in_their_columns_and_as_whole_tokens_in_the_quoting_columns():
    frame = pd.DataFrame(
        {
            "user_id": pd.Series(["13085", "7"], dtype="string"),
            "review_id": pd.Series(["rev-1", None], dtype="string"),
            "rating": [5.0, 3.0],
            "raw_record": pd.Series(['{"user":"13085","review":"rev-1","note":"130850"}', None], dtype="string"),
            "parse_error": pd.Series([None, "7 is not a rating; 17 neither"], dtype="string"),
        }
    )
    out = Pseudonyms(KEY).pseudonymize("shop", frame)
    user, review = Pseudonyms(KEY).user("shop", "13085"), out["review_id"].iloc[0]
    assert review.startswith("r_") and out["rating"].tolist() == [5.0, 3.0]
    assert out["raw_record"].iloc[0] == f'{{"user":"{user}","review":"{review}","note":"130850"}}'
    assert out["parse_error"].iloc[1] == f"{Pseudonyms(KEY).user('shop', '7')} is not a rating; 17 neither"
    assert frame["user_id"].iloc[0] == "13085", "the input frame is left as it was"


def test_scrub_leaves_rows_without_text_or_id_alone():
    texts = pd.Series(["id 42 here", None, "no id"])
    assert scrub(texts, pd.Series(["42", "1", None]), pd.Series(["u_x", "u_y", None])).tolist() == [
        "id u_x here",
        None,
        "no id",
    ]


def test_the_key_comes_from_the_environment_or_an_owner_only_file_made_once(tmp_path):
    assert load_key(tmp_path / "unused", {KEY_ENV: "from the environment"}) == b"from the environment"
    assert not (tmp_path / "unused").exists()
    key_file = tmp_path / "secrets" / "id_key"
    first = load_key(key_file, {})
    assert len(first) == 64 and load_key(key_file, {}) == first
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700


def test_a_first_use_killed_while_writing_the_key_leaves_no_key_file(tmp_path, monkeypatch):
    """Before, the key file was created first and written after: a kill in between left an empty key for good."""
    from longtail.privacy import pseudonyms

    def killed(path):
        path.write_text("")
        raise KeyboardInterrupt("killed while writing the key")

    key_file = tmp_path / "secrets" / "id_key"
    monkeypatch.setattr(pseudonyms, "_write_new_key", killed)
    with pytest.raises(KeyboardInterrupt):
        load_key(key_file, {})
    assert list(key_file.parent.iterdir()) == []
    monkeypatch.undo()
    assert len(load_key(key_file, {})) == 64


def test_a_key_file_others_may_read_is_refused_naming_it(tmp_path):
    key_file = tmp_path / "id_key"
    key_file.write_text("x" * 64)
    os.chmod(key_file, 0o644)
    with pytest.raises(InputError, match="id_key.*others may read"):
        load_key(key_file, {})
