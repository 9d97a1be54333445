"""Benchmark: the capacity search with the nets of one shape trained together vs one net after another.

The `capacity` experiment searches N (doubling, then bisection) for the largest set of random labels each
net fits to 100% training accuracy. `depthlab.capacity.largest_fitted_n` trains the nets whose next N
coincide in one `fit_many` call; what a user would write instead is the same search for each net alone
(here: `largest_fitted_n` called with one net at a time, so the search rule and the training are identical).
Both sides run in one process on the same pools, initializations and settings (float32, Adam, full batch),
and must find the same largest N for every net; the times and their ratio are printed.

    python benchmarks/bench_capacity.py [--quick] [--threads 1]
"""

from __future__ import annotations

import time

import torch

from _common import bench_args
from depthlab.architectures import mlp_params
from depthlab.capacity import largest_fitted_n
from depthlab.data import make_mnist1d
from depthlab.experiments.capacity import hidden_widths


def pools(n_models: int, n_max: int, n_classes: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(n_models, n_max, 40): half Gaussian points, half MNIST-1D signals; (n_models, n_max) random labels."""
    g = torch.Generator().manual_seed(0)
    signals = torch.from_numpy(make_mnist1d(n_max, 0)[0])
    x = [torch.randn(n_max, 40, generator=g, dtype=torch.float64) if m % 2 == 0 else signals[torch.randperm(n_max,
         generator=g)] for m in range(n_models)]
    return torch.stack(x), torch.randint(n_classes, (n_models, n_max), generator=g)


def main() -> None:
    args = bench_args(__doc__, "small nets and budgets (seconds)")
    cases = [(1, 400, 2), (3, 400, 2)] if args.quick else [(1, 1000, 2), (3, 1000, 2), (1, 1000, 10)]
    n_models = 6  # 3 seeds x 2 input kinds, as the experiment trains them
    steps = 300 if args.quick else 2000
    options = {"optimizer": "adam", "lr": 0.01, "steps": steps, "n_start": 16, "tolerance": 0.1}
    print(f"{n_models} nets per case (3 seeds x random / MNIST-1D inputs), Adam lr 0.01, <= {steps} steps per test")
    print("case | params | largest N per net | together s (fit_many calls) | one by one s (calls) | ratio")
    for depth, budget, n_classes in cases:
        hidden = hidden_widths(budget, depth, n_classes)
        widths = [40, *hidden, n_classes]
        x, y = pools(n_models, 4096, n_classes)
        seeds = list(range(n_models))
        start = time.perf_counter()
        together = largest_fitted_n(widths, x, y, seeds, **options)
        t_together = time.perf_counter() - start
        start = time.perf_counter()
        alone = [largest_fitted_n(widths, x[m : m + 1], y[m : m + 1], [m], **options) for m in seeds]
        t_alone = time.perf_counter() - start
        found_alone = [a.largest_fit[0] for a in alone]
        same = "same" if found_alone == together.largest_fit else f"DIFFERENT (alone: {found_alone})"
        print(f"{'-'.join(map(str, widths))}, {n_classes} classes | {mlp_params(40, hidden, n_classes):,} | "
              f"{together.largest_fit} ({same}) | {t_together:.1f} ({together.n_calls}) | "
              f"{t_alone:.1f} ({sum(a.n_calls for a in alone)}) | {t_alone / t_together:.2f}x", flush=True)


if __name__ == "__main__":
    main()
