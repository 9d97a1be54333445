"""Shared pieces of the region benchmarks: command-line options and a wall-clock timer."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import torch
from threadpoolctl import threadpool_limits


def timed(fn: Callable[..., Any], *args: Any) -> tuple[Any, float]:
    """fn(*args) and the seconds it took."""
    start = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - start


def bench_args(doc: str, quick_help: str) -> argparse.Namespace:
    """Parse --quick and --threads; apply the thread limit to torch and BLAS, and print it."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument("--threads", type=int, default=None, help="limit torch and BLAS threads (default: as found)")
    args = parser.parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
        threadpool_limits(args.threads)
    print(f"threads: {torch.get_num_threads()}")
    return args
