"""The model family: one package, shape facts written once, the protocol the training loop asks, old paths kept."""

from __future__ import annotations

import importlib

import pytest
import torch

from depthlab.models import Batch, Model, as_batch
from depthlab.models.batch import NetworkBatch
from depthlab.models.network import Network
from depthlab.models.residual import ResidualBatch, ResidualNetwork


@pytest.mark.parametrize(("old", "new"), [("depthlab.network", "depthlab.models.network"),
                                          ("depthlab.residual", "depthlab.models.residual"),
                                          ("depthlab.stack", "depthlab.models.stack"),
                                          ("depthlab.train.batch", "depthlab.models.batch")])
def test_first_public_paths_are_the_same_modules(old, new):
    assert importlib.import_module(old) is importlib.import_module(new)


def test_single_nets_and_their_batches_report_the_same_shape_facts():
    nets = [Network.random([5, 7, 3, 2], seed=s) for s in range(3)]
    batch = NetworkBatch.from_networks(nets)
    facts = ("widths", "depth", "input_dim", "output_dim", "n_hidden", "n_params", "dtype")
    assert {f: getattr(batch, f) for f in facts} == {f: getattr(nets[0], f) for f in facts}
    assert batch.n_params == sum(p.numel() for p in nets[0].to_torch().parameters()) == 35 + 7 + 21 + 3 + 6 + 2
    residual = [ResidualNetwork.random(3, 6, 4, 2, seed=s) for s in range(2)]
    stacked = ResidualBatch.from_networks(residual)
    for fact in ("input_dim", "width", "depth", "output_dim", "n_params", "dtype"):
        assert getattr(stacked, fact) == getattr(residual[0], fact), fact
    assert residual[0].n_params == sum(p.numel() for p in residual[0].to_torch().parameters())


def test_models_stack_themselves_into_batches_the_loop_can_train():
    nets = [Network.random([2, 4, 1], seed=s) for s in range(2)]
    residual = [ResidualNetwork.random(2, 4, 3, 1, seed=s) for s in range(2)]
    assert isinstance(nets[0], Model) and isinstance(residual[0], Model)
    for models, kind in ((nets, NetworkBatch), (residual, ResidualBatch)):
        batch = as_batch(models)
        assert isinstance(batch, kind) and isinstance(batch, Batch) and as_batch(batch) is batch
        x = torch.randn(5, 2, dtype=torch.float64)
        assert torch.allclose(batch(x)[1], models[1](x), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("bad", [[], [Network.random([2, 3, 1]), ResidualNetwork.random(2, 3, 1, 1)], "nets", [1, 2]])
def test_anything_else_is_refused_in_one_line(bad):
    with pytest.raises(ValueError, match="The 'nets' parameter must be") as info:
        as_batch(bad)
    assert "\n" not in str(info.value)
