"""Verdict helpers and the Reference record."""

from __future__ import annotations

import math

import pytest

from depthlab.contracts.result import Reference, verdict_close, verdict_holds


@pytest.mark.parametrize(
    "published, measured, rtol, atol, verdict",
    [
        (161_051, 161_051, 0.0, 0.0, "reproduced"),
        (161_501, 161_051, 0.0, 0.0, "differs"),  # the seed's misprint is not silently accepted
        (188.5, 188.55, 0.0, 0.1, "reproduced"),
        (1e-5, 16.0, 0.5, 0.0, "differs"),
        (1.0, math.nan, 1.0, 1.0, "differs"),
        (1.0, None, 1.0, 1.0, "differs"),
    ],
)
def test_verdict_close(published, measured, rtol, atol, verdict):
    assert verdict_close(published, measured, rtol=rtol, atol=atol) == verdict


def test_verdict_holds_and_reference_rejects_unknown_verdicts():
    assert verdict_holds(True) == "reproduced" and verdict_holds(False) == "differs"
    with pytest.raises(ValueError, match="'verdict' parameter must be one of"):
        Reference("claim", "source", 1, 1, "close enough")
