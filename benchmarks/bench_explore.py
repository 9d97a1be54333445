"""Benchmark: how fast the explore page redraws a 2-D partition, depthlab vs regioncam, side by side.

    python benchmarks/bench_explore.py [--quick] [--threads 2] [--no-browser]

The served page (`depthlab explore --serve`) recomputes a net's partitions after layers 1..K when its widths or
seed change; the target is a 2-32x3-1 redraw in under 0.5 s on 2 cores. Measured per net (He weights
N(0, 2/fan_in), biases N(0, 1), seed 0, [-3, 3]^2, the page's nets), best of 5 after a warm-up:

- `partition_2d` of the full net alone, and the server's whole payload (the K layer partitions, output maps,
  encoding) in this process;
- the HTTP round trip to a local server (127.0.0.1, in-process thread): request to parsed JSON;
- in headless Chromium (Debian's /usr/bin/chromium via Selenium; skipped with a note when absent): what a user
  waits for, the page's `compute` from request to painted frame (decode and canvas drawing included), and the
  drawing alone;
- the peer a user would pick, regioncam (`pip install depthlab[bench]`; skipped with a note when absent): its
  partition of the same net (float32), and partition plus its own PNG rendering (`write_png`).

ratio = regioncam (partition + PNG) s / depthlab (browser: request to painted frame) s; > 1: depthlab is faster.
The browser is a separate process: --threads limits torch and BLAS here, not Chromium.
"""

from __future__ import annotations

import json
import os
import tempfile
import urllib.request

import numpy as np

from _common import bench_args, best_of, net_label
from bench_partition_2d import SIZE, regioncam, regioncam_partition
from depthlab.lab import explore
from depthlab.regions import partition_2d

NETS: tuple[tuple[int, ...], ...] = ((16,) * 3, (32,) * 3, (64, 64))  # the 2-32x3-1; 2-64-64-1 at the limit
QUICK_NETS: tuple[tuple[int, ...], ...] = ((8,) * 3, (32,) * 3)
REPEATS = 5
TARGET_SECONDS = 0.5


def fetch(url: str) -> dict:
    with urllib.request.urlopen(url) as response:
        return json.loads(response.read())


def browser_redraw(driver, hidden: tuple[int, ...]) -> tuple[float, float, int]:
    """Best-of-REPEATS (request to painted frame s, drawing s) of the served page's compute, and its region count."""
    widths = ",".join(str(w) for w in (2, *hidden, 1))
    driver.execute_script(f"document.getElementById('widths-2d').value = '{widths}';"
                          "document.getElementById('seed-2d').value = '0';")
    runs = []
    for _ in range(REPEATS + 1):  # the first is a warm-up
        total, draw = driver.execute_async_script(
            "const done = arguments[arguments.length - 1], api = window.depthlabExplore;"
            "api.compute2d().then(() => done([api.twoD.lastComputeMs, api.twoD.drawMs]));")
        runs.append((total / 1000, draw / 1000))
    count = int(driver.find_element("id", "region-count").text)
    return min(r[0] for r in runs[1:]), min(r[1] for r in runs[1:]), count


def regioncam_redraw(net, folder: str):
    cam = regioncam_partition(net)
    cam.write_png(os.path.join(folder, "regioncam.png"))
    return cam


def main() -> None:
    args = bench_args(__doc__, "small nets only", lambda p: p.add_argument(
        "--no-browser", action="store_true", help="skip the headless Chromium timings"))
    assert SIZE == explore.DOMAIN_SIZE, "regioncam's square must be the page's"
    nets = QUICK_NETS if args.quick else NETS
    server = explore.make_server(0, widths=(2, 4, 1), seed=0)  # builds the page (loads the numba loops) once
    explore.serve_in_thread(server)
    url = explore.url_of(server)
    driver = None
    if args.no_browser:
        print("note: browser timings skipped (--no-browser)")
    else:
        try:
            driver = explore.chromium_driver()
            explore.wait_ready(driver, url)
            driver.find_element("id", "tab-2d").click()
        except RuntimeError as reason:
            print(f"note: browser timings skipped: {reason}")
    if regioncam is None:
        print("note: regioncam is not installed (pip install depthlab[bench]); timing depthlab alone")
    print(f"repeats: best of {REPEATS} after a warm-up; target: a 2-32x3-1 redraw under {TARGET_SECONDS} s")
    header = (f"{'net':12s} {'regions':>7s} {'rc faces':>8s} {'partition s':>11s} {'payload s':>9s} {'http s':>7s} "
              f"{'browser s':>9s} {'draw s':>7s} {'rc s':>6s} {'rc+png s':>8s} {'ratio':>6s}")
    print(header)
    verdicts = []
    try:
        with tempfile.TemporaryDirectory() as folder:
            for hidden in nets:
                widths = [2, *hidden, 1]
                net = explore.random_net_2d(widths, 0)
                square = SIZE * np.array([[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]])
                part, partition_s = best_of(REPEATS, partition_2d, net, square)
                _, payload_s = best_of(REPEATS, explore.partition_payload, widths, 0)
                body, http_s = best_of(REPEATS, fetch, f"{url}api/partition?widths={','.join(map(str, widths))}&seed=0")
                assert body["net"]["n_regions"] == part.n_regions
                row = f"{net_label(hidden):12s} {part.n_regions:7,d} "
                browser_s = None
                if regioncam is not None:
                    cam, rc_s = best_of(REPEATS, regioncam_partition, net)
                    _, rc_png_s = best_of(REPEATS, regioncam_redraw, net, folder)
                    row += f"{cam.num_faces:8,d} "
                else:
                    row += f"{'-':>8s} "
                row += f"{partition_s:11.4f} {payload_s:9.4f} {http_s:7.4f} "
                if driver is not None:
                    browser_s, draw_s, shown = browser_redraw(driver, hidden)
                    assert shown == part.n_regions, (shown, part.n_regions)
                    row += f"{browser_s:9.4f} {draw_s:7.4f} "
                else:
                    row += f"{'-':>9s} {'-':>7s} "
                if regioncam is not None:
                    ratio = f"{rc_png_s / browser_s:6.2f}" if browser_s else f"{'-':>6s}"
                    row += f"{rc_s:6.3f} {rc_png_s:8.3f} {ratio}"
                else:
                    row += f"{'-':>6s} {'-':>8s} {'-':>6s}"
                print(row, flush=True)
                if hidden == (32, 32, 32):
                    seconds = browser_s if browser_s is not None else http_s
                    where = "request to painted frame in Chromium" if browser_s is not None else "HTTP round trip only"
                    verdicts.append(f"2-32x3-1 redraw: {seconds:.3f} s ({where}); under {TARGET_SECONDS} s: "
                                    f"{'yes' if seconds < TARGET_SECONDS else 'NO'}")
    finally:
        if driver is not None:
            driver.quit()
        server.shutdown()
        server.server_close()
    for line in verdicts:
        print(line)


if __name__ == "__main__":
    main()
