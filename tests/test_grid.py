"""depthlab.grid: cells, cell seeds, map_cells (with skip), smallest_reaching, log_grid."""

from __future__ import annotations

from depthlab.grid import cell_seed, cells, map_cells, smallest_reaching


def test_map_cells_rows_and_seeds():
    grid = cells(depth=[1, 2], width=[4, 8])
    rows = map_cells(lambda cell, seed: {"product": cell["depth"] * cell["width"]}, grid, seed=3)
    assert [(r["depth"], r["width"], r["product"]) for r in rows] == [(1, 4, 4), (1, 8, 8), (2, 4, 8), (2, 8, 16)]
    assert [r["seed"] for r in rows] == [cell_seed(3, c) for c in grid]


def test_skip_leaves_out_cells_and_keeps_the_others_seeds():
    grid = cells(depth=[1, 2], width=[2, 4, 8])
    ran = []

    def fn(cell, seed):
        ran.append((cell["depth"], cell["width"]))
        return {"ok": cell["width"] >= 4 if cell["depth"] == 1 else cell["width"] >= 8}

    def done(cell, rows):  # a depth stops at its first width that was ok
        return any(r["depth"] == cell["depth"] and r["ok"] for r in rows)

    rows = map_cells(fn, grid, seed=0, skip=done)
    assert ran == [(1, 2), (1, 4), (2, 2), (2, 4), (2, 8)]
    full = {(r["depth"], r["width"]): r["seed"] for r in map_cells(fn, grid, seed=0)}
    assert all(full[(r["depth"], r["width"])] == r["seed"] for r in rows)
    assert smallest_reaching([{**r, "miss": 0 if r["ok"] else 1} for r in rows], "width", "miss", 0, depth=2) == 8
