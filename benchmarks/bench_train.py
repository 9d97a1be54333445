"""Benchmark: training many small networks at once (`fit_many`) against what a user would write instead.

In one process, float32, same data and shapes on every side, on 1 torch thread and on 2 (`--threads 1,2`):

1. Matmul peak: a 2048^3 float32 product (GFLOP/s) at that thread count, the ceiling the training numbers are
   read against (measured in every round; the best round counts).
2. Fig. 20.2 models (40-298-10, 40-100-100-10, 40-75-75-75-10, 40-63-63-63-63-10), full batch of
   4,000 x 40, gradient descent lr 0.0025, cross entropy. Time per model and epoch of
   - the book's notebook loop: a DataLoader(batch_size=4000, shuffle=True) over a TensorDataset, an
     nn.Sequential with torch.optim.SGD, and the whole-set training error every epoch (the figure's curve);
   - a plain full-batch loop: the same nn.Sequential and SGD on tensors in memory, no DataLoader, no curve;
   - depthlab `fit_many` with 6 models per depth (3 seeds x random/true labels), which records the training
     accuracy of every epoch from the same forward pass (the stop check);
   - depthlab `fit` of one model, as each group of the `random-labels` experiment trains it;
   with the achieved FLOP/s (6 N sum(fan_in fan_out) per model-epoch, the usual count; the input gradient of
   the first layer is never computed, so fewer are executed) next to the matmul peak.
   Then the projected full-size time of `random-labels` (4 depths x 3 seeds x random and true labels, the
   notebook's budgets 500,000 / 200,000 epochs, nobody stopping early: an upper bound) from the measured
   `fit` figures: in one process, and with 2 worker processes of 1 thread each (measured side by side).
3. 64 MLPs 40-16-16-10 with Adam (lr 1e-3), full batch of N = 256 and N = 4,000. Time per step of all 64:
   - one model after another (plain PyTorch: 64 nn.Sequential + 64 torch.optim.Adam);
   - a naive torch.bmm batch: stacked weights as leaf tensors, autograd, torch.optim.Adam;
   - torch.func model ensembling (stack_module_state + vmap(functional_call)), PyTorch's documented recipe;
   - depthlab `fit_many` with autograd, and with its hand-written (M, W, N) backward (the default).
fit_many's time per step is (T(steps) - T(0)) / steps: the one-off cost of a call (input checks, copies, the
final whole-set evaluation) is left out, as it is for the others (models and optimizers built before timing).
Every timing is the best of several rounds, the contenders interleaved within a round, so a burst of load
from other jobs hits all of them alike; the load average is printed before and after.

    python benchmarks/bench_train.py [--quick] [--threads 1,2] [--rounds 5]
"""

from __future__ import annotations

import copy
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor

import torch
from torch import nn

from _common import bench_args
from depthlab import Network
from depthlab.data import load_dataset
from depthlab.train import NetworkBatch, fit, fit_many

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
FULL_BUDGETS = {1: 500_000, 2: 200_000, 3: 200_000, 4: 200_000}  # the notebook's epochs per depth
RANDOM_LABELS_MODELS = 6  # per depth: 3 seeds x random and true labels, each its own group


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


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def fig_contenders(widths: list[int], x: torch.Tensor, labels: torch.Tensor, epochs: int) -> dict:
    """name -> (function of no arguments, model-epochs it runs); fit_many / fit also at 0 steps (their fixed cost)."""
    y = labels[0]
    model = sequential_mlp(widths, 0)
    batch = NetworkBatch.random(widths, list(range(len(labels))), init="he_uniform", dtype=torch.float32)
    single = batch[0]
    gd = {"loss": "cross_entropy", "optimizer": "gd", "lr": 0.0025, "target_accuracy": 1.0}
    notebook_count = max(2, epochs // 4)  # ~10x slower than the others
    return {
        "notebook": (lambda: notebook_epochs(copy.deepcopy(model), x, y, notebook_count), notebook_count),
        "plain": (lambda: plain_epochs(copy.deepcopy(model), x, y, epochs), epochs),
        "fit_many": (lambda: fit_many(batch, x, labels, steps=epochs, **gd), epochs * len(labels)),
        "fit_many@0": (lambda: fit_many(batch, x, labels, steps=0, **gd), len(labels)),
        "fit": (lambda: fit(single, x, y, steps=epochs, **gd), epochs),
        "fit@0": (lambda: fit(single, x, y, steps=0, **gd), 1),
    }


def fig_20_2(x: torch.Tensor, y: torch.Tensor, threads: int, epochs: int, rounds: int) -> dict[int, float]:
    """Print the Fig. 20.2 table at `threads` torch threads; return depth -> seconds per epoch of `fit` (one model)."""
    torch.set_num_threads(threads)
    n = x.shape[0]
    labels = torch.stack([y[torch.randperm(n, generator=torch.Generator().manual_seed(s))] for s in range(6)])
    shapes = {d: [x.shape[1], *[w] * d, 10] for d, w in FIG_20_2.items()}
    contenders = {d: fig_contenders(widths, x, labels, epochs) for d, widths in shapes.items()}
    for runs in contenders.values():  # warm-up
        for fn, _ in runs.values():
            fn()
    best: dict = {}
    peak = 0.0
    for _ in range(rounds):
        peak = max(peak, matmul_peak(2))
        for d, runs in contenders.items():
            for name, (fn, _) in runs.items():
                best[d, name] = min(best.get((d, name), float("inf")), timed(fn))
    print(f"\nFig. 20.2 models, {threads} thread(s), full batch {n} x {x.shape[1]}, GD lr 0.0025, {epochs} epochs per "
          f"timing, best of {rounds} rounds; float32 matmul 2048^3 peak {peak:.1f} GFLOP/s (best round); ms per "
          "model-epoch; GFLOP/s = 6 N sum(fan_in fan_out) / time")
    print(f"{'model':>22} {'notebook':>9} {'plain':>7} {'fit_many':>9} {'fit':>7} {'vs notebook':>12} {'vs plain':>9} "
          f"{'GFLOP/s':>8} {'of peak':>8} {'fit vs plain':>13}")
    per_epoch = {}
    for d, widths in shapes.items():
        runs = contenders[d]
        t = {name: best[d, name] / runs[name][1] for name in ("notebook", "plain")}
        t["fit_many"] = (best[d, "fit_many"] - best[d, "fit_many@0"]) / runs["fit_many"][1]
        t["fit"] = (best[d, "fit"] - best[d, "fit@0"]) / runs["fit"][1]
        per_epoch[d] = t["fit"]
        achieved = 6 * n * sum(a * b for a, b in zip(widths[:-1], widths[1:])) / t["fit_many"] / 1e9
        print(f"{'-'.join(map(str, widths)):>22} {t['notebook'] * 1e3:9.2f} {t['plain'] * 1e3:7.2f} "
              f"{t['fit_many'] * 1e3:9.2f} {t['fit'] * 1e3:7.2f} {t['notebook'] / t['fit_many']:11.1f}x "
              f"{t['plain'] / t['fit_many']:8.2f}x {achieved:8.1f} {achieved / peak:7.0%} "
              f"{t['plain'] / t['fit']:12.2f}x")
    return per_epoch


def _fit_epoch_seconds(widths: list[int], epochs: int, rounds: int, threads: int) -> float:
    """In a worker process: seconds per epoch of `fit` on one model (best of rounds, fixed cost removed)."""
    torch.set_num_threads(threads)
    ds = load_dataset("mnist1d", n_train=4000, n_test=1, seed=42)
    x, y = ds.x.float(), ds.y
    net = NetworkBatch.random(widths, [0], init="he_uniform", dtype=torch.float32)[0]
    gd = {"loss": "cross_entropy", "optimizer": "gd", "lr": 0.0025, "target_accuracy": 1.0}
    fit(net, x, y, steps=2, **gd)
    runs = [timed(lambda: fit(net, x, y, steps=epochs, **gd)) - timed(lambda: fit(net, x, y, steps=0, **gd))
            for _ in range(rounds)]
    return min(runs) / epochs


def two_workers(epochs: int, rounds: int) -> dict[int, float]:
    """depth -> seconds per epoch of `fit` in each of 2 processes of 1 thread running at the same time (the slower)."""
    context = multiprocessing.get_context("forkserver")
    out = {}
    with ProcessPoolExecutor(2, mp_context=context) as pool:
        for d, w in FIG_20_2.items():
            widths = [40, *[w] * d, 10]
            futures = [pool.submit(_fit_epoch_seconds, widths, epochs, rounds, 1) for _ in range(2)]
            out[d] = max(f.result() for f in futures)
    return out


def projection(per_epoch: dict[int, float], label: str, parallel: int = 1) -> float:
    """Hours of the full `random-labels` at these seconds per model-epoch, `parallel` groups at a time."""
    seconds = sum(RANDOM_LABELS_MODELS * FULL_BUDGETS[d] * t for d, t in per_epoch.items()) / parallel
    print(f"  {label:<44} {seconds / 3600:6.2f} h  (" + ", ".join(
        f"depth {d}: {RANDOM_LABELS_MODELS} x {FULL_BUDGETS[d]:,} x {t * 1e3:.2f} ms" for d, t in per_epoch.items())
        + (f", {parallel} at a time" if parallel > 1 else "") + ")")
    return seconds / 3600


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


def many_small(n: int, steps: int, repeats: int, threads: int = 1) -> None:
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
    print(f"\n64 MLPs 40-16-16-10, Adam, full batch N = {n}, {threads} thread(s), {steps} steps per timing, best of "
          f"{repeats}; ms per step of all 64")
    print(f"{'method':>20} {'ms/step':>9} {'vs one-by-one':>14} {'fit_many is':>12}")
    for name, t in times.items():
        print(f"{name:>20} {t * 1e3:9.2f} {base / t:13.2f}x {t / times['fit_many']:11.2f}x")


def main() -> None:
    def options(parser) -> None:
        parser.add_argument("--rounds", type=int, default=None, help="rounds of interleaved timings (best counts)")

    args = bench_args(__doc__, "few epochs and rounds (same sizes)", options, threads_list=True)
    rounds = args.rounds or (2 if args.quick else 5)
    epochs = 4 if args.quick else 20
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"load average (1, 5, 15 min): {load} on {os.cpu_count()} cores")
    ds = load_dataset("mnist1d", n_train=4000, n_test=1, seed=42)
    x, y = ds.x.float(), ds.y
    per_epoch = {threads: fig_20_2(x, y, threads, epochs, rounds) for threads in args.threads}
    print("\nProjected full-size random-labels (24 groups: 4 depths x 3 seeds x random/true labels, budgets "
          "500,000 / 200,000 epochs, no early stop: an upper bound), from the fit column above:")
    for threads, figures in per_epoch.items():
        projection(figures, f"one process, {threads} thread(s)")
    if not args.quick:
        projection(two_workers(epochs, rounds), "2 worker processes x 1 thread (measured together)", parallel=2)
    for threads in args.threads:
        torch.set_num_threads(threads)
        for n in (256, 4000):
            many_small(n, steps=3 if args.quick else (20 if n == 256 else 8), repeats=2 if args.quick else 3,
                       threads=threads)
    print(f"\nload average (1, 5, 15 min) at the end: {', '.join(f'{v:.1f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
