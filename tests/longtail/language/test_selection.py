import pandas as pd
import pytest

from longtail.language.selection import select_for_generation, select_within_budget


def test_select_for_generation_takes_uncached_tail_items_within_budget():
    candidates = pd.DataFrame({"item_id": ["p", "q", "r", "s", "t"], "prompt_hash": ["h1", "h2", "h3", "h4", "h5"]})
    popularity = {"p": 50, "q": 1, "r": 7, "t": 1}  # "s" has no events: the tail of the tail
    chosen = select_for_generation(candidates, popularity, cached_hashes={"h2"}, budget=3)
    assert chosen["item_id"].tolist() == ["s", "t", "r"]
    assert list(chosen.columns) == ["item_id", "prompt_hash"]
    everything = select_for_generation(candidates, pd.Series(popularity), set(), budget=10)
    assert everything["item_id"].tolist() == ["s", "q", "t", "r", "p"]
    assert select_for_generation(candidates, popularity, {"h1", "h2", "h3", "h4", "h5"}, 3).empty


def test_select_for_generation_validates_budget_and_columns():
    candidates = pd.DataFrame({"item_id": ["p"], "prompt_hash": ["h1"]})
    with pytest.raises(ValueError, match="budget"):
        select_for_generation(candidates, {}, set(), budget=-1)
    with pytest.raises(ValueError, match="prompt_hash"):
        select_for_generation(candidates.drop(columns="prompt_hash"), {}, set(), budget=1)


def test_select_within_budget_shares_the_budget_and_puts_items_without_interactions_last():
    candidates = pd.DataFrame(
        {
            "dataset": ["a", "a", "a", "b", "b"],
            "item_id": ["p", "q", "r", "p", "s"],
            "prompt_hash": ["h1", "h2", "h3", "h4", "h5"],
        }
    )
    popularity = {"a": pd.Series({"p": 9, "q": 2})}  # r has no interaction; b has no interactions at all
    chosen = select_within_budget(candidates, popularity, cached_hashes={"h5"}, budget=3)
    assert chosen[["dataset", "item_id"]].values.tolist() == [["a", "q"], ["a", "p"], ["b", "p"]]
    everything = select_within_budget(candidates, popularity, set(), budget=10)
    assert everything["item_id"].tolist() == ["q", "p", "r", "p", "s"]
    assert select_within_budget(candidates, popularity, set(), budget=0).empty
    assert select_within_budget(candidates.iloc[:0], popularity, set(), budget=5).empty
    with pytest.raises(ValueError, match="budget"):
        select_within_budget(candidates, popularity, set(), budget=-1)
    with pytest.raises(ValueError, match="dataset"):
        select_within_budget(candidates.drop(columns="dataset"), popularity, set(), budget=1)
