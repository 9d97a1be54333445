"""Benchmark: the seed's memorizing network (N points -> about N layers of width 4), built and run.

Measures, in one process: memorize's build time, verification (running the deep net on every training
point, max abs error), forward time of StackedNetwork (no grad), forward+backward time of StackedNetwork
(autograd, MSE loss, in batch chunks so memory stays bounded), and the same forward through a plain
`torch.nn.Sequential` of Linear(4, 4) + ReLU modules (`net.to_torch()`), in float64 and float32.

Then the float32 memorizer (`memorize(..., dtype=torch.float32)`, the exact staircase): build, its float32 run as a
torch module, and the rounding bound that proves it exact (`depthlab.precision.float_error_bound`), against the
target of 60 s for build + verification; beside it what a user would do instead: the seed's float64 build (which
fails in float32), and an empirical float32 check (the network run in float64 and in float32, compared) in place of
the bound. `--classes 10` uses the ten digits instead of labels mod 3.

Data: the first N MNIST t10k images when the MNIST files are found (--data-dir, DEPTHLAB_DATA or the
cache), else N generated MNIST-1D examples. Labels mod 3 as one scalar output (the seed's scheme).

    python benchmarks/bench_memorize.py [--quick] [--n 10000] [--data-dir DIR] [--threads 1] [--classes 3]
"""

from __future__ import annotations

import argparse
import time

import torch

from depthlab.construct.memorize import memorize
from depthlab.models.stack import StackedNetwork
from depthlab.precision import float_error_bound


def load_points(n: int, data_dir: str | None) -> tuple[torch.Tensor, torch.Tensor, str]:
    """x (n, D) float64 in [0, 1], labels (n,) int64, a sentence naming the data."""
    from depthlab import data

    try:
        images, labels = data.load_mnist(data_dir, split="test")
        x = images[:n].reshape(min(n, images.shape[0]), -1).double() / 255  # (n, 784)
        return x, labels[:n], f"first {x.shape[0]} MNIST t10k images (784 features)"
    except (data.DataNotFoundError, OSError):
        ds = data.load_dataset("mnist1d", n_train=n, n_test=1)
        return ds.x[:n], ds.y[:n], f"{n} generated MNIST-1D examples (40 features; no MNIST files found)"


def best_time(fn, repeats: int, *args) -> float:
    """Smallest wall time of `repeats` calls fn(*args) (seconds)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - start)
    return min(times)


def forward_backward(runner: StackedNetwork, x: torch.Tensor, y: torch.Tensor, chunk: int) -> float:
    """Sum-of-squares loss over all rows, backpropagated chunk by chunk (gradients accumulate)."""
    runner.zero_grad(set_to_none=True)
    total = 0.0
    for start in range(0, x.shape[0], chunk):
        loss = ((runner(x[start : start + chunk])[:, 0] - y[start : start + chunk]) ** 2).sum()
        loss.backward()
        total += float(loss.detach())
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 points instead of 10,000")
    parser.add_argument("--n", type=int, default=None, help="number of training points (default 10,000)")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1: tiny ops, no oversubscription)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--backward-chunk", type=int, default=1000)
    parser.add_argument("--classes", type=int, default=3, choices=(3, 10), help="labels mod 3 or the ten digits")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    n = args.n or (1000 if args.quick else 10_000)

    x, labels, described = load_points(n, args.data_dir)
    y = labels % args.classes
    print(f"data: {described}; labels mod {args.classes} as one scalar output; torch threads: {args.threads}")

    start = time.perf_counter()
    m = memorize(x, y, width=4, targets="scalar", seed=0)
    total = time.perf_counter() - start
    print(
        f"network: widths [{x.shape[1]}, 4 x {m.layers}, 1], {m.params:,} params, {m.n_units:,} shallow units, "
        f"relative min code gap {m.relative_code_gap:.2e}"
    )
    print(
        f"build {m.build_seconds:.2f} s + verification {total - m.build_seconds:.2f} s = {total:.2f} s "
        f"(target < 10 s); max abs error {m.fit_max_abs_error:.2e}, MSE {m.fit_mse:.2e}, "
        f"train accuracy {m.train_accuracy:.4f}"
    )

    header = ("dtype", "stacked fwd s", "Sequential fwd s", "ratio", "stacked fwd+bwd s", "MSE")
    print("{:>8} {:>14} {:>17} {:>6} {:>18} {:>9}".format(*header))
    for dtype in (torch.float64, torch.float32):
        time_dtype(m.net.to(dtype), x.to(dtype), y, args)
    time_float32(x, y, total)


def time_float32(x: torch.Tensor, y: torch.Tensor, seed_seconds: float) -> None:
    """The float32 memorizer: build, float32 run, bound; next to the seed's build and an empirical float32 check."""
    x32 = x.to(torch.float32)
    start = time.perf_counter()
    m = memorize(x, y, width=4, targets="scalar", seed=0, dtype=torch.float32)
    total = time.perf_counter() - start
    module = m.net.to_torch()
    with torch.no_grad():
        run = best_time(module, 1, x32)
        mse = float(((module(x32).double()[:, 0] - y.double()) ** 2).mean())
    bound_s = best_time(float_error_bound, 1, m.net, x32.double())
    net64 = m.net.to(torch.float64)
    with torch.no_grad():
        check_s = best_time(lambda: (net64(x32.double()) - m.net(x32).double()).abs().max(), 1)
    print(f"float32 memorizer: widths [{x.shape[1]}, 4 x {m.layers}, 1], {m.params:,} params, "
          f"{m.staircase.n_super_buckets} super-buckets, {m.staircase.n_label_steps} label steps, "
          f"{m.staircase.attempts} direction pair(s) tried")
    print(f"  memorize(dtype=float32) {total:.1f} s = build {m.build_seconds:.1f} s + checks {m.verify_seconds:.1f} s "
          f"(float32 run, StackedNetwork, bound) (target < 60 s); the seed's float64 memorize {seed_seconds:.1f} s "
          f"(ratio {total / seed_seconds:.1f})")
    print(f"  float32 torch module run {run:.2f} s, MSE {mse:.2e}, error bound {m.error_bound:.2e} (0 = proven exact)")
    print(f"  rounding bound {bound_s:.2f} s vs empirical float32 check (float64 run + float32 run, compared) "
          f"{check_s:.2f} s: ratio {bound_s / check_s:.1f}; the check only samples these inputs' rounding on this "
          f"CPU, the bound holds for any summation order")


def time_dtype(net, x: torch.Tensor, y: torch.Tensor, args: argparse.Namespace) -> None:
    """Print one row: stacked and Sequential forward, stacked forward+backward, MSE, in net's dtype."""
    runner = StackedNetwork.from_network(net)
    sequential = net.to_torch()
    with torch.no_grad():
        out = runner(x)  # (N, 1)
        t_stacked = best_time(runner, args.repeats, x)
        t_seq = best_time(sequential, args.repeats, x)
        gap = float((sequential(x) - out).abs().max())
    t_fb = best_time(forward_backward, 1, runner, x, y.to(x.dtype), args.backward_chunk)
    mse = float(((out[:, 0].double() - y.double()) ** 2).mean())
    print(
        f"{str(x.dtype).removeprefix('torch.'):>8} {t_stacked:14.3f} {t_seq:17.3f} {t_seq / t_stacked:6.1f} "
        f"{t_fb:18.3f} {mse:9.2e}   (|stacked - Sequential| max {gap:.1e})"
    )

if __name__ == "__main__":
    main()
