import pytest

from longtail.device import pick_device


def test_pick_device(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    assert pick_device() == "cpu" and pick_device("cpu") == "cpu"
    with pytest.raises(ValueError, match="not available"):
        pick_device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert pick_device("auto") == "cuda"
    assert pick_device("cuda:1") == "cuda:1"
    with pytest.raises(ValueError, match="not available"):
        pick_device("cuda:2")
    for bad in ("gpu", "cuda:", "CPU", "cuda:x"):
        with pytest.raises(ValueError, match="device must be"):
            pick_device(bad)
