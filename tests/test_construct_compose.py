"""compose(a, b) equals b(a(x)) exactly, for any shapes that chain."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from depthlab import Network
from depthlab.construct import compose
from depthlab.construct.folding import zigzag_net


@settings(max_examples=50, deadline=None)
@given(
    a_widths=st.lists(st.integers(1, 6), min_size=2, max_size=4),
    b_hidden=st.lists(st.integers(1, 6), min_size=0, max_size=3),
    b_out=st.integers(1, 4),
    activation=st.sampled_from(["relu", "leaky_relu", "hardtanh", "tanh", "identity"]),
    seed=st.integers(0, 10_000),
)
def test_composition_equals_sequential_application(a_widths, b_hidden, b_out, activation, seed):
    a = Network.random(a_widths, seed=seed, activation=activation)
    b = Network.random([a_widths[-1], *b_hidden, b_out], seed=seed + 1, activation=activation)
    c = compose(a, b)
    x = torch.randn(64, a_widths[0], dtype=torch.float64, generator=torch.Generator().manual_seed(seed))
    assert c.widths == a.widths[:-1] + b.widths[1:]
    assert c.depth == a.depth + b.depth
    assert float((c(x) - b(a(x))).abs().max()) <= 1e-12 * (1 + float(b(a(x)).abs().max()))


def test_lecture_formula_psi_is_theta_prime_phi():
    a, b = Network.random([1, 3, 1], seed=1), Network.random([1, 3, 1], seed=2)
    c = compose(a, b)
    assert torch.equal(c.weights[1], b.weights[0] @ a.weights[1])  # Psi = theta' phi
    assert torch.equal(c.biases[1], b.biases[0] + b.weights[0] @ a.biases[1])  # psi_0 = theta'_0 + theta' phi_0


def test_zigzag_folds():
    net = zigzag_net(3)
    x = torch.linspace(0, 1, 7, dtype=torch.float64)[:, None]
    assert net(x).flatten().tolist() == pytest.approx([0, 0.5, 1, 0.5, 0, 0.5, 1])
    assert net.n_params == 10


def test_shapes_that_do_not_chain_are_rejected():
    with pytest.raises(ValueError, match="chain"):
        compose(Network.random([2, 3, 2]), Network.random([3, 3, 1]))
    with pytest.raises(ValueError, match="one activation"):
        compose(Network.random([2, 3, 2]), Network.random([2, 3, 1], activation="tanh"))
    shapes = (([2, 3, 2], 0.01), ([2, 1], 0.2))
    leaky = [Network.random(w, activation="leaky_relu", negative_slope=s) for w, s in shapes]
    assert compose(*leaky).negative_slope == 0.01  # b has no hidden layer: its slope plays no part
    with pytest.raises(ValueError, match="one leaky_relu negative_slope.*Got 0.01 and 0.2"):
        compose(leaky[0], Network.random([2, 3, 1], activation="leaky_relu", negative_slope=0.2))
    relu_a, relu_b = Network.random([2, 3, 2]), Network.random([2, 3, 1], negative_slope=0.5)
    assert torch.allclose(compose(relu_a, relu_b)(torch.ones(1, 2)), relu_b(relu_a(torch.ones(1, 2))))
    with pytest.raises(ValueError, match="Network"):
        compose(Network.random([2, 3, 2]), "net")
