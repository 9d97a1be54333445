"""--set parsing: typed by the defaults, unknown keys and bad values rejected in one line."""

from __future__ import annotations

import pytest

from depthlab.lab.config import parse_overrides

CONFIG = {"seed": 0, "lr": 0.1, "name": "mnist", "quick": False, "depths": [1, 2], "data_dir": None}


def test_values_are_typed_by_defaults():
    got = parse_overrides(["seed=3", "lr=1e-3", "name=digits", "quick=true", "depths=1,4,8", "data_dir=/x"], CONFIG)
    assert got == {"seed": 3, "lr": 1e-3, "name": "digits", "quick": True, "depths": [1, 4, 8], "data_dir": "/x"}


@pytest.mark.parametrize(
    "pair, message",
    [("sed=3", "unknown key 'sed'. Valid keys: data_dir, depths, lr, name, quick, seed"),
     ("seed=three", "expected int"), ("quick=maybe", "expected a bool"), ("seed", "key=value"),
     ("depths=1,x", "expected int")],
)
def test_bad_overrides(pair, message):
    with pytest.raises(ValueError, match=message):
        parse_overrides([pair], CONFIG)
