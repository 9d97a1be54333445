"""Benchmark: exact 1-D region counts vs regioncam's Regioncam1D and vs dense sampling given the same time.

    python benchmarks/bench_regions_1d.py [--quick] [--threads 1]

Nets: the 5 x 10 folding net (`folding_net(5, 10)`, 11^5 = 161,051 regions on [0, 1]); two degenerate
folding nets whose units touch zero without crossing: 10 composed 1-3-1 zigzags (`zigzag_net(3)`,
3^10 = 59,049 regions; each zigzag's unit relu(u) meets u = 0 exactly at every fold of the ones before)
and 16 composed tents (`zigzag_net(2)`, 2^16 = 65,536; the same, but every breakpoint is dyadic, so
float32 holds them exactly); random 10-100x20-1 He nets
along a segment of length 100 (at distance 1 from 0 with zero biases; through 0 with N(0, 0.1^2) biases).
For each: the exact count (count_regions_1d, float64) and its time; regioncam's count (float32, the
segment via `Regioncam1D.through_points(..., size=2.0)`), its time (best of 2 for both), the ratio
regioncam s / depthlab s, and where regioncam's count differs from the exact one; then the sampling
baseline (activation patterns on a uniform grid, 1 + consecutive changes) with a grid sized to take the
exact method's time. regioncam (`pip install depthlab[bench]`) is skipped with a note when absent.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from _common import bench_args, best_of, timed
from depthlab import Network
from depthlab.construct import compose
from depthlab.construct.folding import zigzag_net
from depthlab.construct.maximal import folding_net
from depthlab.regions import count_regions_1d, estimate_regions_1d_sampled

try:
    import regioncam
except ImportError:  # optional peer: pip install depthlab[bench]
    regioncam = None


def equal_time_sampling(net: Network, a, b, seconds: float) -> tuple[int, int, float]:
    """(regions found, grid size, seconds) for a grid that takes about `seconds`."""
    n = 20_000
    for _ in range(3):
        found, t = timed(estimate_regions_1d_sampled, net, a, b, n)
        if abs(t / seconds - 1) < 0.2:
            break
        n = max(2, int(n * seconds / t))
    return found, n, t


def regioncam_count(net: Network, a: torch.Tensor, b: torch.Tensor) -> int:
    """regioncam's region count of `net` on the segment [a, b] (float32)."""
    ends = torch.stack([a, b]).numpy().astype(np.float32)  # (2, D_i)
    cam = regioncam.Regioncam1D.through_points(ends, size=2.0)  # size 2: exactly the segment between the points
    for k, (omega, beta) in enumerate(zip(net.weights, net.biases)):
        cam.linear(omega.numpy().T.astype(np.float32), beta.numpy().astype(np.float32))
        if k < net.depth:
            cam.relu()
    return cam.num_edges


def composed_zigzags(folds: int, n: int) -> Network:
    """n composed zigzag_net(folds) (folds = 2: tent maps): folds^n regions on [0, 1]."""
    net = zigzag_net(folds)
    for _ in range(n - 1):
        net = compose(net, zigzag_net(folds))
    return net


def cases(quick: bool):
    """(label, net, a, b, known count or None)."""
    K, n_zigzags, n_tents = (3, 6, 10) if quick else (5, 10, 16)
    zero, one = torch.zeros(1, dtype=torch.float64), torch.ones(1, dtype=torch.float64)
    yield f"folding 1-10x{K}-1, [0, 1]", folding_net(K, 10), zero, one, 11**K
    zigzags = composed_zigzags(3, n_zigzags)
    yield f"{n_zigzags} composed 1-3-1 zigzags (touch 0), [0, 1]", zigzags, zero, one, 3**n_zigzags
    yield f"{n_tents} composed tents (touch 0, dyadic), [0, 1]", composed_zigzags(2, n_tents), zero, one, 2**n_tents
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
        yield label, net, offset - 50 * direction, offset + 50 * direction, None


def main() -> None:
    args = bench_args(__doc__, "smaller nets")
    if regioncam is None:
        print("note: regioncam is not installed (pip install depthlab[bench]); its columns are left out")
    print(f"{'network':58s} {'exact':>8s} {'s':>7s} {'regioncam':>9s} {'s':>7s} {'ratio':>6s} {'rc - exact':>10s} "
          f"{'grid':>9s} {'sampled':>8s} {'missed':>7s}")
    notes = []
    for label, net, a, b, known in cases(args.quick):
        count_regions_1d(net, a, b)  # warm-up
        regions, seconds = best_of(2, count_regions_1d, net, a, b)
        exact = regions.n_regions
        if known is not None and exact != known:
            notes.append(f"{label}: depthlab counted {exact:,}, the construction has {known:,}")
        peer = "" if regioncam is None else "{:9,d} {:7.3f} {:6.2f} {:10,d}"
        if regioncam is not None:
            theirs, peer_seconds = best_of(2, regioncam_count, net, a, b)
            peer = peer.format(theirs, peer_seconds, peer_seconds / seconds, theirs - exact)
            if theirs != exact:
                truth = f"the construction has {known:,}" if known is not None else "depthlab's float64 count"
                notes.append(f"{label}: regioncam (float32) counts {theirs:,}, {theirs - exact:+,} vs the exact "
                             f"{exact:,} ({truth})")
        found, n, t = equal_time_sampling(net, a, b, seconds)
        print(f"{label:58s} {exact:8,d} {seconds:7.3f} {peer} {n:9,d} {found:8,d} {exact - found:7,d}", flush=True)
        if found > exact:
            notes.append(f"{label}: sampling counted {found - exact} more than exact: grid points exactly on a kink "
                         "that a unit touches (x = 0, and dyadic folds of the tents) read it at 0, a pattern no open "
                         "interval has")
    for note in notes:
        print("note: " + note)


if __name__ == "__main__":
    main()
