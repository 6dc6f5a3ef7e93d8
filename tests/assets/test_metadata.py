import pandas as pd

from assets.metadata import preview

ALICE, BOB, REVIEW = "u_" + "a" * 24, "u_" + "b" * 24, "r_" + "c" * 24


def test_previews_name_customers_only_by_their_order_in_the_preview():
    frame = pd.DataFrame(
        {"user_id": [ALICE, BOB, ALICE], "record": [f'{{"user_id": "{BOB}"}}', REVIEW, "no ids"], "rank": [1, 2, 3]}
    )
    shown = preview(frame).value
    assert ALICE not in shown and BOB not in shown and REVIEW not in shown
    rows = [line.split("|")[1:-1] for line in shown.splitlines()[2:]]
    assert [[cell.strip() for cell in row] for row in rows] == [
        ["customer 1", '{"user_id": "customer 2"}', "1"],
        ["customer 2", "review 1", "2"],
        ["customer 1", "no ids", "3"],
    ]
