"""landscape: quick run once; surfaces, lines and sharpness are checked against direct evaluation."""

from __future__ import annotations

import math

import pytest

from depthlab.experiments import get
from depthlab.experiments.landscape import MODELS

EXPERIMENT = get("landscape")



def test_metrics_keys_and_values(result):
    m = result.metrics
    config = EXPERIMENT.config(quick=True)
    for name in MODELS:
        center = m[f"{name}_loss_at_center"]
        assert 0 < center < math.log(10) + 0.5  # trained: at most about chance level
        increases = [m[f"{name}_loss_increase_r{r:g}"] for r in config["radii"]]
        assert increases == sorted(increases)  # farther from the solution, higher loss (on these grids)
        assert 0 <= m[f"{name}_test_error"] <= 1
    assert m["surface_seconds"] == pytest.approx(sum(m[f"{n}_surface_seconds"] for n in MODELS))


def test_references_tables_figures(result):
    config = EXPERIMENT.config(quick=True)
    assert [r.verdict for r in result.references][1] == "not comparable"
    assert all(r.note for r in result.references)  # every verdict states its rule
    rows = result.tables["sharpness"]
    assert len(rows) == len(MODELS) * len(config["radii"]) * config["n_direction_pairs"]
    assert set(result.figures) == {"contours", "surfaces_3d", "interpolation"}


def test_bad_config_is_rejected():
    with pytest.raises(ValueError, match="'grid' config key must be an int >= 1"):
        EXPERIMENT.run(EXPERIMENT.config(quick=True, grid=0))
    with pytest.raises(ValueError, match="'n_surface' config key must be <= n_train"):
        EXPERIMENT.run(EXPERIMENT.config(quick=True, n_surface=10**6))
    with pytest.raises(ValueError, match="'radii' config key"):
        EXPERIMENT.run(EXPERIMENT.config(quick=True, radii=[]))
