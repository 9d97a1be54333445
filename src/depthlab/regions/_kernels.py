"""Compiled (numba) loops of `partition_2d`: clipping regions by a layer's kink lines, and reading patterns.

Both are plain loops over regions that numpy could only express with many small array operations per
round (measured: 2-3x slower than regioncam on the 2-16 x 8-1 net); numba compiles them once per
machine (cached next to this file), needs no compiler at install time, and runs them single-threaded.
Arithmetic is the same float64 expressions numpy would evaluate, in the same order.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, error_model="numpy")
def _grow_float(arr: np.ndarray, need: int) -> np.ndarray:
    """arr (n, 2) float64, or a copy with at least `need` rows (capacity doubled), the first rows kept."""
    if need <= arr.shape[0]:
        return arr
    bigger = np.empty((max(need, 2 * arr.shape[0]), arr.shape[1]))
    bigger[: arr.shape[0]] = arr
    return bigger


@njit(cache=True, error_model="numpy")
def _grow_int(arr: np.ndarray, need: int) -> np.ndarray:
    """arr (n, k) int64, or a copy with at least `need` rows (capacity doubled), the first rows kept."""
    if need <= arr.shape[0]:
        return arr
    bigger = np.empty((max(need, 2 * arr.shape[0]), arr.shape[1]), dtype=np.int64)
    bigger[: arr.shape[0]] = arr
    return bigger


@njit(cache=True, error_model="numpy")
def _side_values(points, lo, hi, a, b, c, e, zs):  # pragma: no cover - compiled
    """z = a x + b y + c at points[lo:hi] into zs; 1 if some z > e and some z < -e (the line crosses), else 0."""
    pos, neg = False, False
    for i in range(lo, hi):
        z = points[i, 0] * a + points[i, 1] * b + c
        zs[i - lo] = z
        pos |= z > e
        neg |= z < -e
    return pos and neg


@njit(cache=True, error_model="numpy")
def _clip_piece(buf, ps, pc, zs, e, n_buf):  # pragma: no cover - compiled
    """Append both halves of piece buf[ps:ps+pc] cut where zs crosses 0 (positive side first); return the new end."""
    for side in range(2):  # positive side (vertices not below), then negative side
        for i in range(pc):
            k = i + 1 if i + 1 < pc else 0
            zi, zk = zs[i], zs[k]
            below_i, above_i = zi < -e, zi > e
            if (not below_i) if side == 0 else (not above_i):
                buf[n_buf, 0], buf[n_buf, 1] = buf[ps + i, 0], buf[ps + i, 1]
                n_buf += 1
            if (above_i and zk < -e) or (below_i and zk > e):
                lam = zi / (zi - zk)
                x0, y0 = buf[ps + i, 0], buf[ps + i, 1]
                buf[n_buf, 0] = x0 + lam * (buf[ps + k, 0] - x0)
                buf[n_buf, 1] = y0 + lam * (buf[ps + k, 1] - y0)
                n_buf += 1
        if side == 0:
            half = n_buf
    return half, n_buf


@njit(cache=True, error_model="numpy")
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
    out_r = np.empty((2 * R + 2, 2), dtype=np.int64)  # per final region: (end of its vertices, layer-start row)
    n_out, v_out = 0, 0
    buf = np.empty((256, 2))  # one region's pieces, appended as they are made
    piece = np.empty((64, 3), dtype=np.int64)  # per piece of the region: (first vertex in buf, count, alive)
    zs = np.empty(max(256, int(np.max(starts[1:] - starts[:-1])) + Q * D + 2))  # a piece's values on one line
    for r in range(R):
        s0, s1 = starts[r], starts[r + 1]
        buf = _grow_float(buf, s1 - s0)
        buf[: s1 - s0] = vertices[s0:s1]
        piece[0, 0], piece[0, 1], piece[0, 2] = 0, s1 - s0, 1
        n_piece, n_buf = 1, s1 - s0
        for q in range(Q):
            for j in range(D):
                a, b, c, e = G[r, 0, j], G[r, 1, j], o[r, j] - kinks[q], noise[r, j]
                if not _side_values(vertices, s0, s1, a, b, c, e, zs):  # the line misses the layer-start region
                    continue
                for p in range(n_piece):
                    ps, pc = piece[p, 0], piece[p, 1]
                    if piece[p, 2] == 0 or not _side_values(buf, ps, ps + pc, a, b, c, e, zs):
                        continue
                    buf = _grow_float(buf, n_buf + 2 * (pc + 2))
                    piece = _grow_int(piece, n_piece + 2)
                    piece[p, 2] = 0
                    half, end = _clip_piece(buf, ps, pc, zs, e, n_buf)
                    piece[n_piece, 0], piece[n_piece, 1], piece[n_piece, 2] = n_buf, half - n_buf, 1
                    piece[n_piece + 1, 0], piece[n_piece + 1, 1], piece[n_piece + 1, 2] = half, end - half, 1
                    n_piece, n_buf = n_piece + 2, end
        for p in range(n_piece):
            if piece[p, 2] == 0:
                continue
            ps, pc = piece[p, 0], piece[p, 1]
            out_v = _grow_float(out_v, v_out + pc)
            out_r = _grow_int(out_r, n_out + 1)
            out_v[v_out : v_out + pc] = buf[ps : ps + pc]
            v_out += pc
            out_r[n_out, 0], out_r[n_out, 1] = v_out, r
            n_out += 1
    out_starts = np.zeros(n_out + 1, dtype=np.int64)
    out_starts[1:] = out_r[:n_out, 0]
    return out_v[:v_out].copy(), out_starts, out_r[:n_out, 1].copy()


@njit(cache=True, error_model="numpy")
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
