"""The experiment registry: every experiment declares a rule for each key a user can set out of range."""

from __future__ import annotations

import pytest

from depthlab.contracts import COMMON_KEYS
from depthlab.experiments import all_experiments

EXPERIMENTS = all_experiments()


@pytest.mark.parametrize("experiment", EXPERIMENTS, ids=lambda e: e.name)
def test_every_numeric_list_or_choice_key_has_a_rule(experiment):
    config = experiment.config()
    needs_rule = [k for k, v in config.items() if k not in COMMON_KEYS and isinstance(v, (int, float, list, str))]
    missing = [k for k in needs_rule if k not in experiment.rules]
    assert not missing, f"{experiment.name}: keys without a rule: {missing}"


@pytest.mark.parametrize("experiment", EXPERIMENTS, ids=lambda e: e.name)
def test_defaults_and_quick_sizes_pass_their_own_rules(experiment):
    experiment.config()
    experiment.config(quick=True)


@pytest.mark.parametrize("experiment", EXPERIMENTS, ids=lambda e: e.name)
def test_an_int_count_of_zero_or_an_empty_list_is_refused_in_one_line(experiment):
    config = experiment.config(quick=True)
    for key, value in config.items():
        if key in COMMON_KEYS or isinstance(value, bool):
            continue
        bad = [] if isinstance(value, list) else -1 if isinstance(value, int) else None
        if bad is None:
            continue
        with pytest.raises(ValueError, match=f"The '{key}' config key must") as info:
            experiment.config(quick=True, **{key: bad})
        assert "\n" not in str(info.value)
