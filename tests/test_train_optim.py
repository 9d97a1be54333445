"""The optimizer table: each entry matches torch.optim's arithmetic with its own settings; bad settings refused."""

from __future__ import annotations

import math

import pytest
import torch

from depthlab import Network
from depthlab.train import fit, fit_many
from depthlab.train.optim import OPTIMIZERS, make_optimizer


def _data(n: int = 64):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 3, generator=g, dtype=torch.float64)
    return x, torch.randint(0, 4, (n,), generator=g)


def _torch_run(net: Network, x, y, make, steps: int) -> list[float]:
    """The same full-batch run written with torch.optim on the nn.Sequential of `net`: losses per step."""
    module = net.to_torch()
    optimizer = make(module.parameters())
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(module(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize(("name", "options", "make"), [
    ("sgd", {"momentum": 0.9, "weight_decay": 1e-2},
     lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=1e-2)),
    ("gd", {"weight_decay": 0.1}, lambda p: torch.optim.SGD(p, lr=0.05, weight_decay=0.1)),
    ("adam", {"beta1": 0.8, "beta2": 0.99, "eps": 1e-6, "weight_decay": 1e-3},
     lambda p: torch.optim.Adam(p, lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=1e-3)),
])
def test_each_optimizer_follows_torch_optim_with_its_settings(name, options, make):
    x, y = _data()
    net = Network.random([3, 12, 4], seed=1)
    ours = fit(net, x, y, loss="cross_entropy", optimizer=name, lr=0.05, steps=25, optimizer_options=options,
               dtype=torch.float64, backward="autograd")
    theirs = _torch_run(net, x, y, make, 25)
    assert ours.losses == pytest.approx(theirs, rel=1e-9)


def test_a_setting_changes_the_run_and_momentum_argument_is_the_same_setting():
    x, y = _data()
    net = Network.random([3, 12, 4], seed=2)
    common = dict(loss="cross_entropy", optimizer="sgd", lr=0.05, steps=20, dtype=torch.float64)
    plain = fit(net, x, y, **common)
    decayed = fit(net, x, y, optimizer_options={"weight_decay": 0.5}, **common)
    assert decayed.final_loss != pytest.approx(plain.final_loss, rel=1e-6)
    by_argument = fit(net, x, y, momentum=0.5, **common)
    by_option = fit(net, x, y, optimizer_options={"momentum": 0.5}, **common)
    assert by_argument.losses == by_option.losses


def test_fit_many_carries_settings_per_model_batch():
    x, y = _data()
    nets = [Network.random([3, 8, 4], seed=s) for s in range(3)]
    options = dict(loss="cross_entropy", optimizer="adam", lr=0.02, steps=15, dtype=torch.float64,
                   optimizer_options={"weight_decay": 1e-2})
    together = fit_many(nets, x, y, **options)
    for net, many in zip(nets, together):
        assert many.losses == pytest.approx(fit(net, x, y, **options).losses, rel=1e-10)


@pytest.mark.parametrize(("name", "options", "fragment"), [
    ("sgd", {"momentum": -0.1}, "'momentum' optimizer setting must be a number in [0, 1)"),
    ("sgd", {"momentum": math.nan}, "'momentum' optimizer setting"),
    ("sgd", {"weight_decay": -1.0}, "'weight_decay' optimizer setting must be a finite number >= 0"),
    ("adam", {"momentum": 0.9}, "Unknown optimizer setting(s) ['momentum'] for Adam"),
    ("adam", {"eps": 0.0}, "'eps' optimizer setting must be a finite number > 0"),
    ("rmsprop", {}, "The 'optimizer' parameter must be one of gd, sgd, adam"),
])
def test_bad_settings_are_one_line_errors(name, options, fragment):
    with pytest.raises(ValueError) as info:
        make_optimizer(name, 0.1, options)
    assert fragment in str(info.value) and "\n" not in str(info.value)
    if name in OPTIMIZERS:  # and fit refuses them before any work
        x, y = _data(8)
        with pytest.raises(ValueError, match="optimizer"):
            fit(Network.random([3, 2, 4], seed=0), x, y, loss="cross_entropy", optimizer=name, steps=1,
                optimizer_options=options)
