"""Benchmark: a 24-cell sweep three ways on this machine: sequential `depthlab run` calls, the local pool, Ray.

What a user would script without `depthlab sweep` is one `depthlab run NAME --set ... --seed ...` per cell,
one after the other; `depthlab sweep` runs the same cells (same seeds, same numbers) in a process pool,
or as Ray tasks on a local Ray instance started for the run. Every variant is timed as the command a
user types (a subprocess, interpreter start-up included), into its own empty folder.

Cells: compose at --quick size with random networks, n_inputs over 6 values x 4 seeds (24 cells;
--quick: cheaper cells and 2 seeds, 12 cells). Printed: wall time, the cells' own compute (the sum of
their `seconds`), the per-cell overhead ((wall x parallel slots - compute) / cells: start-up, imports,
scheduling, pickling, writing the run folder) and the ratios. Also checked: the sweep's numbers equal
the sequential runs' and Ray's table equals the pool's. Ray is skipped with a note when not installed.

    python benchmarks/bench_sweep.py [--quick] [--workers N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from depthlab.lab.executors import pool_size


def depthlab(*args: str) -> tuple[str, float]:
    """Run the depthlab command (a subprocess); its stdout and wall seconds."""
    env = {**os.environ, "DEPTHLAB_PROGRESS": "0"}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "depthlab.lab.cli", *args], capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"depthlab {' '.join(args)} failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return done.stdout, seconds


def sweep(out: Path, fixed: list[str], grid: list[str], seeds: int, *extra: str) -> tuple[dict, float]:
    """`depthlab sweep compose ...` into `out`; its JSON table and wall seconds."""
    stdout, seconds = depthlab("sweep", "compose", "--quick", *fixed, "--grid", ",".join(grid),
                               "--seeds", str(seeds), "--out", str(out), "--json", *extra)
    return json.loads(stdout), seconds


def sequential(out: Path, fixed: list[str], rows: list[dict]) -> tuple[list[dict], float]:
    """One `depthlab run` per cell, one after the other, as a user's shell loop would; documents and wall."""
    documents, start = [], time.perf_counter()
    for row in rows:
        stdout, _ = depthlab("run", "compose", "--quick", *fixed, "--set", f"n_inputs={row['n_inputs']}",
                             "--seed", str(row["seed"]), "--out", str(out), "--json")
        documents.append(json.loads(stdout))
    return documents, time.perf_counter() - start


def overhead(wall: float, slots: int, compute: float, n: int) -> float:
    """Seconds per cell that the parallel slots spent outside the experiments' own run."""
    return (wall * slots - compute) / n


def numbers(rows: list[dict]) -> list[dict]:
    """Table rows without timings and folder names (what must match between executors)."""
    return [{k: v for k, v in r.items() if k not in ("seconds", "run_dir")} for r in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="12 cheaper cells instead of 24")
    parser.add_argument("--workers", type=int, default=None, help="pool workers / Ray CPUs (default: one per core)")
    args = parser.parse_args()
    seeds = 2 if args.quick else 4
    fixed = ["--set", "nets=random", "--set", f"n_random_pairs={1 if args.quick else 10}"]
    grid = ["n_inputs=" + ",".join(str(n) for n in (1000, 2000, 5000, 10_000, 20_000, 50_000))]
    n_cells = 6 * seeds
    workers, threads = pool_size(n_cells, args.workers)
    print(f"compose --quick, {n_cells} cells ({grid[0]} x {seeds} seeds, {' '.join(fixed[1::2])}); "
          f"{os.cpu_count()} cores; pool {workers} workers x {threads} thread(s); sequential runs --threads 1")

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        pool, pool_wall = sweep(root / "pool", fixed, grid, seeds, "--workers", str(workers))
        compute = sum(r["seconds"] for r in pool["rows"])
        documents, seq_wall = sequential(root / "seq", fixed, pool["rows"])
        seq_compute = sum(d["seconds"] for d in documents)
        same = all({k: row[k] for k in d["metrics"]} == d["metrics"] for row, d in zip(pool["rows"], documents))
        print(f"{'variant':34s} {'wall s':>8s} {'compute s':>10s} {'overhead s/cell':>16s}")
        print(f"{'sequential depthlab run (x' + str(n_cells) + ')':34s} {seq_wall:8.1f} {seq_compute:10.1f} "
              f"{overhead(seq_wall, 1, seq_compute, n_cells):16.2f}")
        print(f"{'depthlab sweep, local pool':34s} {pool_wall:8.1f} {compute:10.1f} "
              f"{overhead(pool_wall, workers, compute, n_cells):16.2f}")
        try:
            import ray  # noqa: F401
        except ImportError:
            ray_wall = None
            print("depthlab sweep --executor ray: skipped (Ray not installed; pip install depthlab[ray])")
        else:
            on_ray, ray_wall = sweep(root / "ray", fixed, grid, seeds, "--executor", "ray", "--workers", str(workers))
            ray_compute = sum(r["seconds"] for r in on_ray["rows"])
            print(f"{'depthlab sweep --executor ray':34s} {ray_wall:8.1f} {ray_compute:10.1f} "
                  f"{overhead(ray_wall, workers, ray_compute, n_cells):16.2f}")
        print(f"sequential runs / local pool: {seq_wall / pool_wall:.2f}x wall")
        if ray_wall is not None:
            print(f"ray / local pool: {ray_wall / pool_wall:.2f}x wall; "
                  f"same table on ray and local: {numbers(on_ray['rows']) == numbers(pool['rows'])}")
        print(f"sweep cells equal the sequential runs' metrics: {same}")


if __name__ == "__main__":
    main()
