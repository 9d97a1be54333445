"""Benchmark: a 51 x 51 filter-normalized loss surface of a trained 40-100-100-10 MLP on 4,000 MNIST-1D examples.

    python benchmarks/bench_landscape.py [--quick] [--threads N]

Side by side in one run, on the same network, directions, grid and data (float64):
- depthlab `loss_surface`: the first layer's products X Omega_0^T, X D1^T, X D2^T computed once for
  the whole grid, then one point at a time (default) and as batches of stacked networks (batched=True);
- (a) loss-landscape's way (tomgoldsteinlab/loss-landscape): for each point copy theta* + a d1 + b d2
  into the torch model, then evaluate the data set through a DataLoader in mini-batches of 128;
- (b) a plain loop: for each point build the network and run one full-batch forward;
- the `loss-landscapes` PyPI package (optional `bench` extra; its own random plane, so timed only),
  skipped with a note when absent.
Every value of (a) and (b) must equal depthlab's to 1e-12. Targets: >= 10x (a), >= 1.5x (b).
--quick: an 11 x 11 grid.
"""

from __future__ import annotations

import copy
import math

import torch
from torch.utils.data import DataLoader, TensorDataset

from _common import bench_args, timed
from depthlab import Network
from depthlab.data import load_dataset
from depthlab.landscape import filter_normalized_direction, loss_surface, network_at
from depthlab.train import fit


def loss_landscape_way(net: Network, ds, alphas, betas, x, y) -> tuple[torch.Tensor, torch.Tensor]:
    """(a): weights copied into the model per point; the data through a DataLoader, batch 128."""
    model = net.to_torch()
    base = [p.detach().clone() for p in model.parameters()]
    d1 = [p.detach().clone() for p in ds[0].to_torch().parameters()]
    d2 = [p.detach().clone() for p in ds[1].to_torch().parameters()]
    loader = DataLoader(TensorDataset(x, y), batch_size=128, shuffle=False)
    criterion = torch.nn.CrossEntropyLoss()
    losses = torch.zeros(len(alphas), len(betas), dtype=torch.float64)
    accuracy = torch.zeros_like(losses)
    with torch.no_grad():
        for i, a in enumerate(alphas.tolist()):
            for j, b in enumerate(betas.tolist()):
                for p, w, u, v in zip(model.parameters(), base, d1, d2):
                    p.copy_(w + a * u + b * v)
                total, correct = 0.0, 0
                for xb, yb in loader:
                    out = model(xb)
                    total += float(criterion(out, yb)) * len(yb)
                    correct += int((out.argmax(dim=1) == yb).sum())
                losses[i, j], accuracy[i, j] = total / len(y), correct / len(y)
    return losses, accuracy


def plain_loop(net: Network, ds, alphas, betas, x, y) -> tuple[torch.Tensor, torch.Tensor]:
    """(b): one network and one full-batch forward per point."""
    losses = torch.zeros(len(alphas), len(betas), dtype=torch.float64)
    accuracy = torch.zeros_like(losses)
    with torch.no_grad():
        for i, a in enumerate(alphas.tolist()):
            for j, b in enumerate(betas.tolist()):
                out = network_at(net, ds, (a, b))(x)  # (N, 10)
                losses[i, j] = torch.nn.functional.cross_entropy(out, y)
                accuracy[i, j] = (out.argmax(dim=1) == y).double().mean()
    return losses, accuracy


def loss_landscapes_peer(net: Network, x, y, grid: int) -> float | None:
    """Seconds of loss_landscapes.random_plane (filter normalization, its own directions), or None if absent."""
    try:
        import loss_landscapes
        import loss_landscapes.metrics
    except ImportError:
        return None
    model = net.to_torch()
    metric = loss_landscapes.metrics.Loss(torch.nn.CrossEntropyLoss(), x, y)
    _, seconds = timed(lambda: loss_landscapes.random_plane(copy.deepcopy(model), metric, distance=2.0, steps=grid,
                                                            normalization="filter", deepcopy_model=True))
    return seconds


def main() -> None:
    args = bench_args(__doc__, "11 x 11 grid instead of 51 x 51")
    grid = 11 if args.quick else 51
    data = load_dataset("mnist1d", n_train=4000, n_test=100, seed=0)
    x, y = data.x, data.y  # (4000, 40) float64, (4000,)
    net = fit(Network.random([40, 100, 100, 10], seed=0), x, y, loss="cross_entropy", steps=300, lr=3e-3,
              batch_size=128, seed=0).net.to(torch.float64)
    ds = [filter_normalized_direction(net, seed=s) for s in (1, 2)]
    print(f"network: {net}; data: {tuple(x.shape)} MNIST-1D; grid {grid} x {grid} = {grid * grid:,} points; float64")
    repeats = 3 if args.quick else 1
    times: dict[str, list[float]] = {"ours": [], "stacked": [], "a": [], "b": []}
    for _ in range(repeats):  # interleaved, best of `repeats` (the machine may be shared)
        surface, t = timed(loss_surface, net, x, y, ds, grid)
        times["ours"].append(t)
        stacked, t = timed(lambda: loss_surface(net, x, y, ds, grid, batched=True))
        times["stacked"].append(t)
        (loss_a, acc_a), t = timed(loss_landscape_way, net, ds, surface.alphas, surface.betas, x, y)
        times["a"].append(t)
        (loss_b, acc_b), t = timed(plain_loop, net, ds, surface.alphas, surface.betas, x, y)
        times["b"].append(t)
    t_ours, t_stacked, t_a, t_b = (min(times[k]) for k in ("ours", "stacked", "a", "b"))
    print(f"best of {repeats} interleaved run(s)")
    err_a = float((loss_a - surface.loss).abs().max())
    err_b = float((loss_b - surface.loss).abs().max())
    err_s = float((stacked.loss - surface.loss).abs().max())
    same_acc = bool(torch.equal(acc_a, surface.accuracy) and torch.equal(acc_b, surface.accuracy))
    print(f"{'method':46s} {'seconds':>9s} {'points/s':>9s} {'ratio':>7s} {'max |loss diff|':>16s}")
    print(f"{'depthlab loss_surface (first layer shared)':46s} {t_ours:9.2f} {grid**2 / t_ours:9.1f} {1.0:7.2f} "
          f"{0.0:16.1e}")
    print(f"{'depthlab loss_surface(batched=True) (bmm)':46s} {t_stacked:9.2f} {grid**2 / t_stacked:9.1f} "
          f"{t_stacked / t_ours:7.2f} {err_s:16.1e}")
    print(f"{'(a) loss-landscape way (copy + DataLoader 128)':46s} {t_a:9.2f} {grid**2 / t_a:9.1f} "
          f"{t_a / t_ours:7.2f} {err_a:16.1e}")
    print(f"{'(b) plain loop, full-batch forward per point':46s} {t_b:9.2f} {grid**2 / t_b:9.1f} "
          f"{t_b / t_ours:7.2f} {err_b:16.1e}")
    peer = loss_landscapes_peer(net, x, y, grid)
    if peer is None:
        print("loss-landscapes (PyPI) not installed: pip install '.[bench]' to time it (skipped)")
    else:
        print(f"{'loss-landscapes random_plane (its own plane)':46s} {peer:9.2f} {grid**2 / peer:9.1f} "
              f"{peer / t_ours:7.2f} {'n/a':>16s}")
    print(f"identical values (1e-12): {max(err_a, err_b, err_s) <= 1e-12}; identical accuracies: {same_acc}")
    print(f"targets: >= 10x (a): {t_a / t_ours >= 10} ({t_a / t_ours:.1f}x); >= 1.5x (b): {t_b / t_ours >= 1.5} "
          f"({t_b / t_ours:.2f}x)")
    if not math.isfinite(surface.center_loss) or max(err_a, err_b, err_s) > 1e-12:
        raise SystemExit("values differ beyond 1e-12")


if __name__ == "__main__":
    main()
