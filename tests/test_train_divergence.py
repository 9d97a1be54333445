"""The divergence rule: a model whose loss is not finite, above its start or no better than a constant predictor."""

from __future__ import annotations

import math

import pytest
import torch

from depthlab import Network
from depthlab.train import NetworkBatch, evaluate_loss, fit, fit_many
from depthlab.train.divergence import (
    ABOVE_START,
    NO_BETTER,
    NOT_FINITE,
    DivergenceLog,
    compare_trained,
    failure,
    held_out_accuracy,
    split_losses,
    split_results,
)
from depthlab.train.losses import constant_predictor_loss


def _data(n: int = 64):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 4, generator=g, dtype=torch.float64)
    return x, (x[:, 0] > 0).long() + (x[:, 1] > 0).long()  # 3 classes


def test_a_diverged_fit_has_nan_loss_and_accuracy_and_no_held_out_accuracy():
    x, y = _data()
    out = fit(Network.random([4, 16, 3], seed=0), x, y, loss="cross_entropy", optimizer="sgd", lr=1e6, steps=30)
    assert out.diverged and math.isnan(out.final_loss) and math.isnan(out.final_accuracy)
    assert math.isnan(held_out_accuracy(out, x, y))  # never measured on the untrained start net it hands back
    assert failure(out.final_loss, out.initial_loss, out.chance_loss) == NOT_FINITE


def test_initial_and_chance_losses_are_those_of_the_start_and_of_the_label_frequencies():
    x, y = _data()
    net = Network.random([4, 8, 3], seed=1)
    out = fit(net, x, y, loss="cross_entropy", lr=1e-2, steps=50)
    assert out.initial_loss == pytest.approx(evaluate_loss(net, x, y, "cross_entropy"), rel=1e-6)
    p = torch.bincount(y, minlength=3).double() / len(y)
    assert out.chance_loss == pytest.approx(float(-(p * p.log()).sum()), rel=1e-12)
    assert out.final_loss < out.initial_loss and failure(out.final_loss, out.initial_loss, out.chance_loss) == ""


def test_constant_predictor_loss_is_what_the_best_constant_output_scores():
    y = torch.tensor([[0.0, 1.0], [2.0, 3.0], [4.0, 8.0]])  # (N, D_o)
    best = y.mean(dim=0)
    assert float(constant_predictor_loss(y, "mse", 2)) == pytest.approx(float((y - best).square().mean()))
    assert float(constant_predictor_loss(y, "mse_logits", 2)) == pytest.approx(
        float(0.5 * (y - best).square().sum(1).mean()))
    per_model = constant_predictor_loss(torch.tensor([[0, 0, 1, 1], [2, 2, 2, 2]]), "cross_entropy", 3)
    assert per_model.tolist() == pytest.approx([math.log(2), 0.0])


def test_the_rule():
    assert failure(0.5, 2.0, 2.3) == ""
    assert failure(math.inf, 2.0, 2.3) == NOT_FINITE and failure(None) == NOT_FINITE
    assert failure(2.1, 2.0, 2.3) == ABOVE_START  # worse than where it started
    assert failure(1.3e4, 1e7, 2.3) == NO_BETTER  # far below its (blown-up) start, still worse than no input at all
    assert failure(2.3, 2.4, 2.3) == NO_BETTER


def test_split_keeps_the_trained_models_and_names_the_others():
    split = split_losses([0.1, math.nan, 3.0, 0.2], [2.0, 2.0, 2.0, 2.0], [2.3] * 4, group="plain depth 30")
    assert split.kept == (0, 3) and split.failed == (1, 2) and split.n_failed == 2
    assert split.keep(["a", "b", "c", "d"]) == ["a", "d"] and split.mask([1, 2, 3, 4]) == [1, None, None, 4]
    note = split.note()
    assert note.startswith("plain depth 30: 2 of 4 diverged or did not train") and "judged on the other 2" in note
    with pytest.raises(ValueError, match="one value per model"):
        split.keep([1, 2])


def test_compare_on_the_rest_is_inconclusive_when_a_side_has_none_left():
    good = split_losses([0.1, 0.2, 0.3, 0.4], [2.0] * 4, [2.3] * 4)
    gone = split_losses([math.nan] * 4, [2.0] * 4, [2.3] * 4)
    result = compare_trained([1.0, 1.1, 1.2, 1.3], good, [5.0, 6.0, 7.0, 8.0], gone, "less")
    assert result.verdict == "inconclusive" and (result.n_a, result.n_b) == (4, 0)
    decided = compare_trained([1.0, 1.1, 1.2, 1.3, 1.4], split_losses([0.1] * 5, [2.0] * 5),
                              [5.0, 6.0, 7.0, 8.0, 9.0], split_losses([0.1] * 5, [2.0] * 5), "less")
    assert decided.verdict == "reproduced"


def test_log_counts_every_group():
    x, y = _data()
    batch = NetworkBatch.random([4, 8, 3], seeds=[0, 1, 2])
    fine = fit_many(batch, x, y, loss="cross_entropy", lr=1e-2, steps=40)
    blown = fit_many(batch, x, y, loss="cross_entropy", optimizer="sgd", lr=1e6, steps=30)
    log = DivergenceLog()
    log.results(fine, "adam")
    assert log.add(split_results(blown, "sgd lr 1e6")).n_failed == 3
    assert log.metrics() == {"n_diverged": 3, "n_diverged_adam": 0, "n_diverged_sgd_lr_1e6": 3}
    notes = log.notes()
    assert notes[0].startswith("Divergence: 3 of 6 trained models") and notes[1].startswith("sgd lr 1e6: 3 of 3")
