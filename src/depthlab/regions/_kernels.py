"""Compiled (numba) loops of `partition_2d`: clipping regions by a layer's kink lines, and reading patterns.

Both are plain loops over regions that numpy could only express with many small array operations per
round (measured: 2-3x slower than regioncam on the 2-16 x 8-1 net); numba compiles them once per
machine (cached next to this file), needs no compiler at install time, and runs them single-threaded.
Arithmetic is the same float64 expressions numpy would evaluate, in the same order.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _grow_rows(arr: np.ndarray, need: int) -> np.ndarray:
    """arr, or a copy with at least `need` rows (capacity doubled), the first rows kept."""
    if need <= arr.shape[0]:
        return arr
    size = max(need, 2 * arr.shape[0])
    if arr.ndim == 1:
        bigger = np.empty(size, dtype=arr.dtype)
    else:
        bigger = np.empty((size,) + arr.shape[1:], dtype=arr.dtype)
    bigger[: arr.shape[0]] = arr
    return bigger


@njit(cache=True)
def _grow_vertices(arr: np.ndarray, need: int) -> np.ndarray:
    if need <= arr.shape[0]:
        return arr
    bigger = np.empty((max(need, 2 * arr.shape[0]), 2))
    bigger[: arr.shape[0]] = arr
    return bigger


@njit(cache=True)
def split_layer(vertices, starts, G, o, noise, kinks):  # pragma: no cover - compiled
    """Cut every region by every kink line of the layer that crosses it.

    vertices (V, 2), starts (R+1,): the layer-start regions (CSR, counter-clockwise); G (R, 2, D), o (R, D):
    pre-activations z = o + p @ G per region; noise (R, D): the float64 noise floor; kinks (Q,).
    For each region, line (kink q, unit j) cuts it when z - kinks[q] is beyond the noise floor on both
    sides at its vertices; lines are applied kink-major then unit by unit, each to every piece of the
    region it strictly crosses (Sutherland-Hodgman: a vertex within the noise of the line belongs to both
    halves). Returns the final regions' vertices (V', 2), starts (R'+1,) and layer-start row (R',).
    """
    R, D, Q = starts.shape[0] - 1, o.shape[1], kinks.shape[0]
    out_v = np.empty((2 * vertices.shape[0] + 64, 2))
    out_s = np.zeros(2 * R + 2, dtype=np.int64)
    out_rows = np.empty(2 * R + 1, dtype=np.int64)
    n_out, v_out = 0, 0
    buf = np.empty((256, 2))  # one region's pieces, appended as they are made
    p_start = np.empty(64, dtype=np.int64)
    p_count = np.empty(64, dtype=np.int64)
    p_alive = np.empty(64, dtype=np.bool_)
    zs = np.empty(64)
    for r in range(R):
        s0, s1 = starts[r], starts[r + 1]
        n = s1 - s0
        buf = _grow_vertices(buf, n)
        buf[:n] = vertices[s0:s1]
        p_start[0], p_count[0], p_alive[0] = 0, n, True
        n_poly, n_buf = 1, n
        for q in range(Q):
            for j in range(D):
                a, b, c, e = G[r, 0, j], G[r, 1, j], o[r, j] - kinks[q], noise[r, j]
                pos, neg = False, False
                for v in range(s0, s1):  # does the line cross the layer-start region?
                    z = vertices[v, 0] * a + vertices[v, 1] * b + c
                    pos |= z > e
                    neg |= z < -e
                if not (pos and neg):
                    continue
                for p in range(n_poly):
                    if not p_alive[p]:
                        continue
                    ps, pc = p_start[p], p_count[p]
                    zs = _grow_rows(zs, pc)
                    pos, neg = False, False
                    for i in range(pc):
                        z = buf[ps + i, 0] * a + buf[ps + i, 1] * b + c
                        zs[i] = z
                        pos |= z > e
                        neg |= z < -e
                    if not (pos and neg):
                        continue
                    buf = _grow_vertices(buf, n_buf + 2 * (pc + 2))
                    p_start = _grow_rows(p_start, n_poly + 2)
                    p_count = _grow_rows(p_count, n_poly + 2)
                    p_alive = _grow_rows(p_alive, n_poly + 2)
                    p_alive[p] = False
                    for side in range(2):  # positive side (vertices not below), then negative side
                        start = n_buf
                        for i in range(pc):
                            k = i + 1 if i + 1 < pc else 0
                            zi, zk = zs[i], zs[k]
                            below_i, above_i = zi < -e, zi > e
                            keep = not below_i if side == 0 else not above_i
                            if keep:
                                buf[n_buf, 0], buf[n_buf, 1] = buf[ps + i, 0], buf[ps + i, 1]
                                n_buf += 1
                            if (above_i and zk < -e) or (below_i and zk > e):
                                lam = zi / (zi - zk)
                                x0, y0 = buf[ps + i, 0], buf[ps + i, 1]
                                buf[n_buf, 0] = x0 + lam * (buf[ps + k, 0] - x0)
                                buf[n_buf, 1] = y0 + lam * (buf[ps + k, 1] - y0)
                                n_buf += 1
                        p_start[n_poly], p_count[n_poly], p_alive[n_poly] = start, n_buf - start, True
                        n_poly += 1
        for p in range(n_poly):
            if not p_alive[p]:
                continue
            ps, pc = p_start[p], p_count[p]
            out_v = _grow_vertices(out_v, v_out + pc)
            out_s = _grow_rows(out_s, n_out + 2)
            out_rows = _grow_rows(out_rows, n_out + 1)
            out_v[v_out : v_out + pc] = buf[ps : ps + pc]
            v_out += pc
            out_rows[n_out] = r
            n_out += 1
            out_s[n_out] = v_out
    return out_v[:v_out].copy(), out_s[: n_out + 1].copy(), out_rows[:n_out].copy()


@njit(cache=True)
def activate_regions(p, p_max, rows, G, o, noise, kinks, slopes, intercepts):  # pragma: no cover - compiled
    """Each region's pieces at its interior point p and the map of the layer's output on it.

    p, p_max (R, 2): interior point and largest |coordinates| of each final region; rows (R,): its
    layer-start row into G (R0, 2, D), o, noise (R0, D); kinks (Q,), slopes, intercepts (Q+1,): the
    activation's table row. z within the noise floor of 0 counts as 0. Returns pieces (R, D) int8,
    A (R, 2, D), c (R, D) (the output h = c + p @ A) and magnitude (R, D) = p_max . |A| + |c|.
    """
    R, D, Q = rows.shape[0], G.shape[2], kinks.shape[0]
    pieces = np.empty((R, D), dtype=np.int8)
    A = np.empty((R, 2, D))
    c = np.empty((R, D))
    magnitude = np.empty((R, D))
    for f in range(R):
        r = rows[f]
        px, py, mx, my = p[f, 0], p[f, 1], p_max[f, 0], p_max[f, 1]
        for j in range(D):
            z = px * G[r, 0, j] + py * G[r, 1, j] + o[r, j]
            if abs(z) <= noise[r, j]:
                z = 0.0
            k = 0
            for q in range(Q):
                if z > kinks[q]:
                    k += 1
            gain = slopes[k]
            a0, a1, cj = G[r, 0, j] * gain, G[r, 1, j] * gain, o[r, j] * gain + intercepts[k]
            pieces[f, j] = k
            A[f, 0, j], A[f, 1, j], c[f, j] = a0, a1, cj
            magnitude[f, j] = mx * abs(a0) + my * abs(a1) + abs(cj)
    return pieces, A, c, magnitude
