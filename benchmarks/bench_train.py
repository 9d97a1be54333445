"""Benchmark: training many small networks at once (`fit_many`) against what a user would write instead.

In one process, float32, same data and shapes on every side:

1. Matmul peak: a 2048^3 float32 product (GFLOP/s), the ceiling the training numbers are read against.
2. Fig. 20.2 models (40-298-10, 40-100-100-10, 40-75-75-75-10, 40-63-63-63-63-10), full batch of
   4,000 x 40, gradient descent lr 0.0025, cross entropy. Time per model and epoch of
   - the book's notebook loop: a DataLoader(batch_size=4000, shuffle=True) over a TensorDataset, an
     nn.Sequential with torch.optim.SGD, and the whole-set training error every epoch (the figure's curve);
   - a plain full-batch loop: the same nn.Sequential and SGD on tensors in memory, no DataLoader, no curve;
   - depthlab `fit_many` with the experiment's 6 models per depth (3 seeds x random/true labels), which
     records the training error of every epoch from the same forward pass;
   with the achieved FLOP/s (6 N sum(fan_in fan_out) per model-epoch) next to the matmul peak.
3. 64 MLPs 40-16-16-10 with Adam (lr 1e-3), full batch of N = 256 and N = 4,000. Time per step of all 64:
   - one model after another (plain PyTorch: 64 nn.Sequential + 64 torch.optim.Adam);
   - a naive torch.bmm batch: stacked weights as leaf tensors, autograd, torch.optim.Adam;
   - torch.func model ensembling (stack_module_state + vmap(functional_call)), PyTorch's documented recipe;
   - depthlab `fit_many` with autograd, and with its hand-written (M, W, N) backward (the default).
fit_many's time per step is (T(steps) - T(0)) / steps: the one-off cost of a call (input checks, copies, the
final whole-set evaluation) is left out, as it is for the others (models and optimizers built before timing).

    python benchmarks/bench_train.py [--quick] [--threads 1]
"""

from __future__ import annotations

import copy
import os
import time

import torch
from torch import nn

from _common import bench_args
from depthlab import Network
from depthlab.data import load_dataset
from depthlab.train import NetworkBatch, fit_many

FIG_20_2 = {1: 298, 2: 100, 3: 75, 4: 63}


def best_of(fn, repeats: int) -> float:
    """Smallest wall time (s) of `repeats` calls of fn()."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def per_step(train, steps: int, repeats: int) -> float:
    """Seconds per step of train(steps) for a long run: (T(steps) - T(0)) / steps, so the one-off cost of a call
    (checks, copies, the final whole-set evaluation) is not spread over a handful of timed steps."""
    train(1)
    return (best_of(lambda: train(steps), repeats) - best_of(lambda: train(0), repeats)) / steps


def matmul_peak(repeats: int) -> float:
    a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
    a @ b
    return 2 * 2048**3 / best_of(lambda: a @ b, repeats) / 1e9


def sequential_mlp(widths: list[int], seed: int) -> nn.Sequential:
    torch.manual_seed(seed)  # the benchmark's own models; the library never touches global state
    layers: list[nn.Module] = []
    for k, (fan_in, fan_out) in enumerate(zip(widths[:-1], widths[1:])):
        linear = nn.Linear(fan_in, fan_out)
        nn.init.kaiming_uniform_(linear.weight, nonlinearity="relu")
        nn.init.zeros_(linear.bias)
        layers.append(linear)
        if k < len(widths) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


# ------------------------------------------------------------------------------------------ Fig. 20.2
def notebook_epochs(model: nn.Module, x: torch.Tensor, y: torch.Tensor, epochs: int) -> None:
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=4000, shuffle=True)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0025, momentum=0)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(epochs):
        for x_batch, y_batch in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(x_batch), y_batch)
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            _ = 100 - 100 * (model(x).argmax(1) == y).float().mean()  # the plotted training error


def plain_epochs(model: nn.Module, x: torch.Tensor, y: torch.Tensor, epochs: int) -> None:
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0025)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(epochs):
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()


def fig_20_2(x: torch.Tensor, y: torch.Tensor, peak: float, epochs: int, repeats: int) -> None:
    n = x.shape[0]
    labels = torch.stack([y[torch.randperm(n, generator=torch.Generator().manual_seed(s))] for s in range(6)])
    print(f"\nFig. 20.2 models, full batch {n} x {x.shape[1]}, GD lr 0.0025, {epochs} epochs per timing, "
          f"best of {repeats}; ms per model-epoch; GFLOP/s = 6 N sum(fan_in fan_out) / time")
    print(f"{'model':>22} {'notebook':>9} {'plain':>8} {'depthlab':>9} {'vs notebook':>12} {'vs plain':>9} "
          f"{'GFLOP/s':>8} {'of peak':>8}")
    for depth, width in FIG_20_2.items():
        widths = [x.shape[1], *[width] * depth, 10]
        flops = 6 * n * sum(a * b for a, b in zip(widths[:-1], widths[1:]))
        model = sequential_mlp(widths, 0)
        notebook = best_of(lambda m=model: notebook_epochs(copy.deepcopy(m), x, y, epochs), repeats) / epochs
        plain = best_of(lambda m=model: plain_epochs(copy.deepcopy(m), x, y, epochs), repeats) / epochs
        batch = NetworkBatch.random(widths, list(range(6)), init="he_uniform", dtype=torch.float32)
        ours = per_step(lambda steps, b=batch: fit_many(b, x, labels, loss="cross_entropy", optimizer="gd",
                                                         lr=0.0025, steps=steps, target_accuracy=1.0),
                        epochs, repeats) / 6
        achieved = flops / ours / 1e9
        print(f"{'-'.join(map(str, widths)):>22} {notebook * 1e3:9.2f} {plain * 1e3:8.2f} {ours * 1e3:9.2f} "
              f"{notebook / ours:11.1f}x {plain / ours:8.2f}x {achieved:8.1f} {achieved / peak:7.0%}")


# ------------------------------------------------------------------------------------------ 64 small MLPs
def one_after_another(models, x, y, steps: int) -> float:
    optimizers = [torch.optim.Adam(m.parameters(), lr=1e-3) for m in models]
    loss_fn = nn.CrossEntropyLoss()

    def run() -> None:
        for _ in range(steps):
            for model, optimizer in zip(models, optimizers):
                optimizer.zero_grad()
                loss_fn(model(x), y).backward()
                optimizer.step()
    return run


def naive_bmm(batch: NetworkBatch, x, y, steps: int):
    params = [p.clone().float().requires_grad_() for p in batch.parameters()]
    optimizer = torch.optim.Adam(params, lr=1e-3)
    k = len(batch.weights)
    m = len(batch)

    def run() -> None:
        for _ in range(steps):
            optimizer.zero_grad()
            h = x.expand(m, *x.shape)  # (M, N, D_i)
            for i in range(k):
                h = torch.baddbmm(params[k + i][:, None, :], h, params[i].transpose(1, 2))  # (M, N, D)
                if i < k - 1:
                    h = torch.relu(h)
            loss = nn.functional.cross_entropy(h.reshape(-1, h.shape[-1]), y.repeat(m), reduction="sum") / len(y)
            loss.backward()
            optimizer.step()
    return run


def torch_func_ensemble(models, x, y, steps: int):
    from torch.func import functional_call, stack_module_state

    params, buffers = stack_module_state(models)
    leaves = [p.detach().requires_grad_() for p in params.values()]
    names = list(params)
    base = copy.deepcopy(models[0]).to("meta")
    optimizer = torch.optim.Adam(leaves, lr=1e-3)

    def one(p, b, xs):
        return functional_call(base, (p, b), (xs,))

    forward = torch.vmap(one, in_dims=(0, 0, None))

    def run() -> None:
        for _ in range(steps):
            optimizer.zero_grad()
            out = forward(dict(zip(names, leaves)), buffers, x)  # (M, N, 10)
            loss = nn.functional.cross_entropy(out.reshape(-1, 10), y.repeat(len(models)), reduction="sum") / len(y)
            loss.backward()
            optimizer.step()
    return run


def many_small(n: int, steps: int, repeats: int) -> None:
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(n, 40, generator=g), torch.randint(0, 10, (n,), generator=g)
    models = [sequential_mlp([40, 16, 16, 10], s) for s in range(64)]
    batch = NetworkBatch.from_networks([Network.from_torch(m).to(torch.float32) for m in models])
    contenders = {
        "one after another": one_after_another(models, x, y, steps),
        "naive torch.bmm": naive_bmm(batch, x, y, steps),
        "torch.func vmap": torch_func_ensemble(models, x, y, steps),
    }
    times = {}
    for name, run in contenders.items():
        run()  # warm-up (and the first Adam step)
        times[name] = best_of(run, repeats) / steps
    for name, backward in (("fit_many autograd", "autograd"), ("fit_many", "auto")):
        times[name] = per_step(lambda s, b=backward: fit_many(batch, x, y, loss="cross_entropy", steps=s, backward=b),
                               steps, repeats)
    base = times["one after another"]
    print(f"\n64 MLPs 40-16-16-10, Adam, full batch N = {n}, {steps} steps per timing, best of {repeats}; "
          "ms per step of all 64")
    print(f"{'method':>20} {'ms/step':>9} {'vs one-by-one':>14} {'fit_many is':>12}")
    for name, t in times.items():
        print(f"{name:>20} {t * 1e3:9.2f} {base / t:13.2f}x {t / times['fit_many']:11.2f}x")


def main() -> None:
    args = bench_args(__doc__, "few steps and repeats (same sizes)")
    repeats = 2 if args.quick else 3
    print(f"load average (1, 5, 15 min): {', '.join(f'{v:.1f}' for v in os.getloadavg())} on {os.cpu_count()} cores")
    peak = matmul_peak(repeats)
    print(f"float32 matmul 2048^3: {peak:.1f} GFLOP/s")
    ds = load_dataset("mnist1d", n_train=4000, n_test=1, seed=42)
    x, y = ds.x.float(), ds.y
    fig_20_2(x, y, peak, epochs=3 if args.quick else 20, repeats=repeats)
    for n in (256, 4000):
        many_small(n, steps=3 if args.quick else (20 if n == 256 else 8), repeats=repeats)


if __name__ == "__main__":
    main()
