"""Shared pieces of the region benchmarks: options, timers, peak memory, the nets of the peer tables, exact checks."""

from __future__ import annotations

import argparse
import math
import resource
import time
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from depthlab import Network

# The nets of the regioncam comparison (issue 11, REFERENCES.md): weights N(0, 2/fan_in), biases N(0, 0.1^2), seed 0
PEER_NETS: tuple[tuple[int, ...], ...] = ((32,) * 3, (64,) * 3, (128,) * 3, (256,) * 3, (16,) * 8)
QUICK_NETS: tuple[tuple[int, ...], ...] = ((16,) * 3, (32,) * 3, (16,) * 4)


def peer_net(hidden: tuple[int, ...], input_dim: int = 2) -> Network:
    """The He-initialized net input_dim-hidden-1 of the peer tables (seed 0)."""
    return Network.random([input_dim, *hidden, 1], init=("normal", math.sqrt(2), 0.1), seed=0)


def net_label(hidden: tuple[int, ...], input_dim: int = 2) -> str:
    """2-32-32-32-1, or 2-16x8-1 for more than three equal layers."""
    if len(hidden) > 3 and len(set(hidden)) == 1:
        return f"{input_dim}-{hidden[0]}x{len(hidden)}-1"
    return "-".join(str(w) for w in (input_dim, *hidden, 1))


def timed(fn: Callable[..., Any], *args: Any) -> tuple[Any, float]:
    """fn(*args) and the seconds it took."""
    start = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - start


def best_of(n: int, fn: Callable[..., Any], *args: Any) -> tuple[Any, float]:
    """fn(*args) and the smallest of n wall-clock times."""
    runs = [timed(fn, *args) for _ in range(n)]
    return runs[-1][0], min(seconds for _, seconds in runs)


def current_rss_mib() -> float:
    """Resident memory of this process now, MiB."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def reset_peak_rss() -> None:
    """Reset this process's peak RSS to its current RSS (Linux: /proc/self/clear_refs, 5)."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def peak_rss_mib() -> float:
    """Peak resident memory of this process since the last `reset_peak_rss` (VmHWM), MiB."""
    with open("/proc/self/status") as f:
        line = next(line for line in f if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def bench_args(doc: str, quick_help: str, extra: Callable[[argparse.ArgumentParser], None] | None = None,
               threads_list: bool = False):
    """Parse --quick and --threads (plus `extra` options); apply the thread limit to torch and BLAS, and print it.

    With `threads_list`, --threads is a list ("1,2", default "1,2") the benchmark walks through itself."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=quick_help)
    if threads_list:
        parser.add_argument("--threads", default="1,2", help="torch thread counts to measure, e.g. 1,2 (default)")
    else:
        parser.add_argument("--threads", type=int, default=None,
                            help="limit torch and BLAS threads (default: as found)")
    if extra is not None:
        extra(parser)
    args = parser.parse_args()
    if threads_list:
        args.threads = [int(t) for t in args.threads.split(",")]
        print(f"threads: {', '.join(map(str, args.threads))} (each in turn)")
        return args
    if args.threads is not None:
        torch.set_num_threads(args.threads)
        threadpool_limits(args.threads)
    print(f"threads: {torch.get_num_threads()}")
    return args


def exact_preactivations(net: Network, x: np.ndarray) -> list[list[Fraction]]:
    """Every hidden pre-activation of `net` at the point x (D_i,), in exact rational arithmetic.

    The weights are read as the exact rationals their float64 values are, so this is the true network of
    those weights, with no rounding at all (slow: for a few points only). relu / leaky_relu / hardtanh.
    """
    rule = {"relu": lambda z: max(z, Fraction(0)),
            "leaky_relu": lambda z: z if z > 0 else Fraction(net.negative_slope) * z,
            "hardtanh": lambda z: min(max(z, Fraction(-1)), Fraction(1))}[net.activation]
    h = [Fraction(float(v)) for v in x]
    out = []
    for omega, beta in zip(net.weights[:-1], net.biases[:-1]):
        W = [[Fraction(v) for v in row] for row in omega.tolist()]
        z = [sum((w * hv for w, hv in zip(row, h)), Fraction(b)) for row, b in zip(W, beta.tolist())]
        out.append(z)
        h = [rule(v) for v in z]
    return out
