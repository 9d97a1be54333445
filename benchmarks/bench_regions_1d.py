"""Benchmark: exact 1-D region counts vs the dense-sampling baseline given the same wall time.

    python benchmarks/bench_regions_1d.py [--quick]

For each network: the exact count (count_regions_1d) and its time, then the sampling baseline
(activation patterns on a uniform grid, 1 + consecutive changes) with a grid sized to take the same
time, and how many regions it missed.
"""

from __future__ import annotations

import math

import torch

from _common import bench_args, timed
from depthlab import Network
from depthlab.construct.maximal import folding_net
from depthlab.regions import count_regions_1d, estimate_regions_1d_sampled


def equal_time_sampling(net: Network, a, b, seconds: float) -> tuple[int, int, float]:
    """(regions found, grid size, seconds) for a grid that takes about `seconds`."""
    n = 20_000
    for _ in range(3):
        found, t = timed(estimate_regions_1d_sampled, net, a, b, n)
        if abs(t / seconds - 1) < 0.2:
            break
        n = max(2, int(n * seconds / t))
    return found, n, t


def cases(quick: bool):
    yield "folding 1-10x5-1, [0, 1]", folding_net(5, 10), torch.zeros(1), torch.ones(1)
    depth, width, d_in = (8, 50, 10) if quick else (20, 100, 10)
    g = torch.Generator().manual_seed(0)
    direction = torch.randn(d_in, generator=g, dtype=torch.float64)
    direction /= direction.norm()
    shift = torch.randn(d_in, generator=g, dtype=torch.float64)
    shift -= (shift @ direction) * direction
    shift /= shift.norm()  # unit vector orthogonal to the segment
    settings = (
        ("He (zero biases)", "he_normal", shift, "at distance 1 from 0"),
        ("He + N(0, 0.1^2) biases", ("normal", math.sqrt(2), 0.1), 0 * shift, "through 0"),
    )
    for name, init, offset, where in settings:
        net = Network.random([d_in] + [width] * depth + [1], init=init, seed=0)
        label = f"{d_in}-{width}x{depth}-1 {name}, length 100 {where}"
        yield label, net, offset - 50 * direction, offset + 50 * direction


def main() -> None:
    args = bench_args(__doc__, "smaller random networks")
    quick = args.quick
    header = f"{'network':62s} {'exact':>9s} {'s':>7s} {'regions/s':>10s} {'grid':>10s} {'sampled':>9s} {'missed':>9s}"
    print(header)
    for label, net, a, b in cases(quick):
        count_regions_1d(net, a, b)  # warm-up
        regions, seconds = timed(count_regions_1d, net, a, b)
        found, n, t = equal_time_sampling(net, a, b, seconds)
        exact = regions.n_regions
        print(
            f"{label:62s} {exact:9,d} {seconds:7.3f} {exact / seconds:10,.0f} {n:10,d} {found:9,d} "
            f"{exact - found:9,d}  (sampling took {t:.3f} s, {t / seconds:.2f}x)"
        )


if __name__ == "__main__":
    main()
