"""Benchmark: exact 2-D partitions, depthlab `partition_2d` vs regioncam, side by side on the same nets.

    python benchmarks/bench_partition_2d.py [--quick] [--threads 1] [--no-memory]

Nets (issue 11, REFERENCES.md): 2-32-32-32-1, 2-64-64-64-1, 2-128x3-1, 2-256x3-1, 2-16x8-1, weights
N(0, 2/fan_in), biases N(0, 0.1^2), seed 0, domain the square [-3, 3]^2 (regioncam's size=3.0). Each
tool: best of 2 wall-clock runs; ratio = regioncam s / depthlab s (> 1: depthlab is faster). The first
call of partition_2d in a process also loads (or, once per machine, compiles) its numba loops: printed
apart. Peak memory of the largest net: each tool run alone in a fresh process, peak RSS minus RSS
before the call. regioncam (`pip install depthlab[bench]`) is skipped with a note when absent.

Where the counts differ, every region whose pattern the other side lacks is checked: its pattern is
recomputed at its interior point by the network itself in exact rational arithmetic (no rounding at
all), which proves that pattern is realized on the domain (each pattern's set is convex, so distinct
realized patterns are distinct regions).
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from _common import (
    PEER_NETS,
    QUICK_NETS,
    bench_args,
    best_of,
    current_rss_mib,
    exact_preactivations,
    net_label,
    peak_rss_mib,
    peer_net,
    reset_peak_rss,
    timed,
)
from depthlab import Network
from depthlab.regions import partition_2d

SIZE = 3.0
CHECKED = 12  # disputed regions checked in exact arithmetic per net (about a second each on the 256-wide net)
DOMAIN = SIZE * np.array([[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]])

try:
    import regioncam
except ImportError:  # optional peer: pip install depthlab[bench]
    regioncam = None


def regioncam_partition(net: Network):
    """regioncam's partition of the same net (float32, as regioncam computes)."""
    cam = regioncam.Regioncam(size=SIZE)
    for k, (omega, beta) in enumerate(zip(net.weights, net.biases)):
        cam.linear(omega.numpy().T.astype(np.float32), beta.numpy().astype(np.float32))  # x_out = x_in @ W + b
        if k < net.depth:
            cam.relu()
    return cam


def regioncam_patterns(cam, part) -> tuple[np.ndarray, dict[bytes, np.ndarray]]:
    """regioncam's own activation pattern of each face (F, N) (a unit is on where its ReLU output map is
    nonzero), and the vertex mean (float64) of one face for each pattern depthlab's partition lacks."""
    relu_layers = range(2, cam.num_layers - 1, 2)  # 0 input, then linear and relu alternately, linear output last
    rows = np.concatenate([(cam.face_activations(layer) != 0).any(axis=1) for layer in relu_layers], axis=1)
    ours = {row.tobytes() for row in part.patterns.numpy()}
    points = cam.vertex_inputs.astype(np.float64)  # (V, 2)
    extra = {}
    for f in np.flatnonzero([row.tobytes() not in ours for row in rows]):
        extra.setdefault(rows[f].tobytes(), points[cam.faces[int(f)].vertex_ids].mean(axis=0))
    return rows, extra


def exact_check(net: Network, point: np.ndarray, pattern: np.ndarray) -> tuple[bool, float]:
    """(pattern realized at point in exact arithmetic, smallest |pre-activation| there)."""
    z = [v for layer in exact_preactivations(net, point) for v in layer]
    exact = np.array([v > 0 for v in z])
    return bool((exact == pattern).all()), float(min(abs(v) for v in z))


def explain_dispute(net: Network, part, theirs_rows: np.ndarray, theirs_extra: dict[bytes, np.ndarray]) -> None:
    """Print the regions one side has and the other lacks, with exact evidence for depthlab's."""
    ours = {row.tobytes(): i for i, row in enumerate(part.patterns.numpy())}
    theirs = {row.tobytes() for row in theirs_rows}
    only_ours = [i for key, i in ours.items() if key not in theirs]
    print(f"    regioncam: {theirs_rows.shape[0]:,} faces, {len(theirs):,} distinct patterns "
          f"({theirs_rows.shape[0] - len(theirs)} faces repeat another face's pattern); "
          f"patterns only regioncam has: {len(theirs - ours.keys())}; only depthlab has: {len(only_ours)}")
    points, areas = part.interior_points(), part.areas
    checked = sorted(only_ours, key=lambda i: areas[i])[:CHECKED]
    if len(checked) < len(only_ours):
        print(f"    exact check of the {len(checked)} smallest of the {len(only_ours)} regions only regioncam lacks:")
    for i in checked:
        realized, margin = exact_check(net, points[i], part.patterns[i].numpy())
        polygon = part.polygons[i]
        longest = np.linalg.norm(np.roll(polygon, -1, axis=0) - polygon, axis=1).max()
        print(f"    depthlab region {i}: area {areas[i]:.2g}, width {2 * areas[i] / longest:.2g}; its pattern is "
              f"{'realized' if realized else 'NOT realized'} at its interior point in exact arithmetic "
              f"(smallest |z| there {margin:.2g})")
    for key, point in list(theirs_extra.items())[:CHECKED]:
        claimed = np.frombuffer(key, dtype=bool)
        z = [v for layer in exact_preactivations(net, point) for v in layer]
        exact = np.array([v > 0 for v in z])
        print(f"    regioncam face at {np.array2string(point, precision=6)}: pattern depthlab lacks; exact arithmetic "
              f"at that point gives {'the same pattern' if (exact == claimed).all() else 'another pattern'} "
              f"({int((exact != claimed).sum())} of {claimed.size} units differ), "
              f"{'one' if exact.tobytes() in ours else 'none'} of depthlab's regions")


def peak_memory(tool: str, hidden: tuple[int, ...]) -> None:
    """Child-process mode: run one tool on one net and print its peak memory above the RSS before the call, MiB."""
    net = peer_net(hidden)
    if tool == "depthlab":
        partition_2d(peer_net((4, 4)), DOMAIN)  # load the compiled loops first
    before = current_rss_mib()
    reset_peak_rss()
    out = partition_2d(net, DOMAIN) if tool == "depthlab" else regioncam_partition(net)
    print(f"{peak_rss_mib() - before:.0f}")
    del out


def measure_memory(tool: str, hidden: tuple[int, ...]) -> str:
    child = subprocess.run([sys.executable, __file__, "--peak", tool, ",".join(map(str, hidden))],
                           capture_output=True, text=True, check=True)
    return child.stdout.strip().splitlines()[-1] + " MiB"


def main() -> None:
    def extra(parser):
        parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory runs of the largest net")
        parser.add_argument("--peak", nargs=2, metavar=("TOOL", "WIDTHS"), help=argparse_suppress)

    args = bench_args(__doc__, "small nets only (16/32 wide)", extra)
    if args.peak:
        peak_memory(args.peak[0], tuple(int(w) for w in args.peak[1].split(",")))
        return
    if regioncam is None:
        print("note: regioncam is not installed (pip install depthlab[bench]); timing depthlab alone")
    _, first = timed(partition_2d, peer_net((4, 4)), DOMAIN)
    print(f"first call (loads or compiles the numba loops): {first:.2f} s")
    nets = QUICK_NETS if args.quick else PEER_NETS
    print(f"{'net':16s} {'depthlab':>9s} {'regioncam':>9s} {'depthlab s':>10s} {'regioncam s':>11s} {'ratio':>6s}")
    disputes = []
    for hidden in nets:
        net = peer_net(hidden)
        part, seconds = best_of(2, partition_2d, net, DOMAIN)
        assert abs(part.areas.sum() - part.domain_area) <= 1e-9 * part.domain_area
        row = f"{net_label(hidden):16s} {part.n_regions:9,d} "
        if regioncam is None:
            print(row + f"{'-':>9s} {seconds:10.3f} {'-':>11s} {'-':>6s}")
            continue
        cam, peer_seconds = best_of(2, regioncam_partition, net)
        row += f"{cam.num_faces:9,d} {seconds:10.3f} {peer_seconds:11.3f} {peer_seconds / seconds:6.2f}"
        print(row, flush=True)
        if cam.num_faces != part.n_regions:
            disputes.append((hidden, net, part, *regioncam_patterns(cam, part)))
        del cam  # regioncam keeps every layer's vertex activations: gigabytes on the 256-wide net
    for hidden, net, part, theirs, extra in disputes:
        print(f"{net_label(hidden)}: depthlab {part.n_regions:,} vs regioncam {theirs.shape[0]:,} regions")
        explain_dispute(net, part, theirs, extra)
    del disputes
    if not args.quick and not args.no_memory:
        largest = max(nets, key=lambda h: (max(h), len(h)))
        tools = ["depthlab"] + (["regioncam"] if regioncam is not None else [])
        peaks = ", ".join(f"{tool} {measure_memory(tool, largest)}" for tool in tools)
        print(f"peak memory on {net_label(largest)} (fresh process each, RSS increase): {peaks}")


argparse_suppress = "==SUPPRESS=="

if __name__ == "__main__":
    main()
