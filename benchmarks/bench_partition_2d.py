"""Benchmark: exact 2-D partitions of random 2-W-W-W-1 networks vs a pattern grid given the same time.

    python benchmarks/bench_partition_2d.py [--quick]

Networks: He-normal weights with N(0, 1) biases (zero He biases put every first-layer line through
the origin), domain [-3, 3]^2. For each width: exact regions (partition_2d), seconds, regions per
second; then an n x n grid of activation patterns sized to take the same wall time, the distinct
patterns it found, and how many regions it missed. Peer figures (regioncam, float32, its own He nets,
from REFERENCES.md, not run here): 3,797 regions in 0.06 s (W=32), 17,367 in 0.45 s (64), 72,816 in
4.2 s (128), 279,457 in 32 s (256).
"""

from __future__ import annotations

import math

import numpy as np

from _common import bench_args, timed
from depthlab import Network
from depthlab.regions import estimate_regions_2d_sampled, partition_2d

DOMAIN = 3.0 * np.array([[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]])



def main() -> None:
    args = bench_args(__doc__, "widths 16, 32 only")
    quick = args.quick
    widths = (16, 32) if quick else (32, 64, 128, 256)
    print(f"{'network':16s} {'regions':>9s} {'s':>7s} {'regions/s':>10s} {'grid':>11s} {'sampled':>9s} {'missed':>9s}")
    for W in widths:
        net = Network.random([2, W, W, W, 1], init=("normal", math.sqrt(2), 1.0), seed=0)
        part, seconds = timed(partition_2d, net, DOMAIN)
        assert abs(part.areas.sum() - part.domain_area) <= 1e-9 * part.domain_area
        n = 200
        for _ in range(3):  # size the grid so that sampling takes the exact method's time
            found, t = timed(estimate_regions_2d_sampled, net, DOMAIN, n)
            if abs(t / seconds - 1) < 0.2:
                break
            n = max(2, int(n * math.sqrt(seconds / t)))
        label = f"2-{W}-{W}-{W}-1"
        print(
            f"{label:16s} {part.n_regions:9,d} {seconds:7.3f} {part.n_regions / seconds:10,.0f} "
            f"{f'{n}x{n}':>11s} {found:9,d} {part.n_regions - found:9,d}  (sampling took {t:.3f} s, {t / seconds:.2f}x)"
        )


if __name__ == "__main__":
    main()
