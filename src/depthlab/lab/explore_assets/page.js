// depthlab explore: the page's logic. No dependencies; data comes from the JSON block the Python side wrote.
(function () {
  "use strict";
  const DATA = JSON.parse(document.getElementById("explore-data").textContent);
  const api = (window.depthlabExplore = { ready: false, data: DATA });

  // ---------------------------------------------------------------- exact 1-D pieces
  // A port of depthlab.regions.count_regions_1d (count_1d.py): the same float64 rounding bounds (Higham's
  // gamma_n), the same crossing rule, breakpoint uncertainties and merges, so the counts are the library's.
  const U = Math.pow(2, -53);
  const gamma = (n) => (n * U) / (1 - n * U);

  function layerMaps(slope, offset, W, beta) {
    // per piece p: zs = slope @ W^T, zo = offset @ W^T + beta and the rounding bounds of both
    const D = W.length, fanIn = W[0].length, g1 = gamma(fanIn), g2 = gamma(fanIn + 1);
    const zs = [], zo = [], ezs = [], ezo = [];
    for (let p = 0; p < slope.length; p++) {
      const s = slope[p], o = offset[p];
      const rs = new Float64Array(D), ro = new Float64Array(D), es = new Float64Array(D), eo = new Float64Array(D);
      for (let i = 0; i < D; i++) {
        const w = W[i];
        let a1 = 0, a2 = 0, a3 = 0, a4 = 0;
        for (let j = 0; j < fanIn; j++) {
          a1 += s[j] * w[j];
          a2 += o[j] * w[j];
          a3 += Math.abs(s[j]) * Math.abs(w[j]);
          a4 += Math.abs(o[j]) * Math.abs(w[j]);
        }
        rs[i] = a1; ro[i] = a2 + beta[i]; es[i] = g1 * a3; eo[i] = g2 * (a4 + Math.abs(beta[i]));
      }
      zs.push(rs); zo.push(ro); ezs.push(es); ezo.push(eo);
    }
    return { zs, zo, ezs, ezo };
  }

  function searchLeft(t, x) { // first index i with t[i] >= x
    let lo = 0, hi = t.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (t[mid] < x) lo = mid + 1; else hi = mid; }
    return lo;
  }

  function split(t, dt, maps, kinks) {
    // insert every certain kink crossing (count_1d._split): new boundaries, uncertainties, parent of each piece
    const { zs, zo, ezs, ezo } = maps, P = t.length - 1, D = zs.length ? zs[0].length : 0;
    const g1 = gamma(1), g2 = gamma(2), g3 = gamma(3);
    const vals = t.slice(1, -1), widths = dt.slice(1, -1);
    let added = 0;
    for (const c of kinks) {
      for (let p = 0; p < P; p++) {
        const left = t[p], right = t[p + 1], dl = dt[p], dr = dt[p + 1];
        const s = zs[p], o = zo[p], es = ezs[p], eo = ezo[p];
        for (let i = 0; i < D; i++) {
          const zl = o[i] + s[i] * left - c, zr = o[i] + s[i] * right - c;
          const mag = Math.abs(o[i]) + Math.abs(c), as = Math.abs(s[i]);
          const ul = eo[i] + es[i] * left + g3 * (mag + as * left) + as * dl;
          const ur = eo[i] + es[i] * right + g3 * (mag + as * right) + as * dr;
          if (Math.abs(zl) > ul && Math.abs(zr) > ur && (zl > 0) !== (zr > 0)) {
            const tn = (c - o[i]) / s[i];
            const dtn = (eo[i] + es[i] * Math.abs(tn) + g1 * (Math.abs(c) + Math.abs(o[i]))) / as;
            vals.push(tn); widths.push(dtn + g2 * Math.abs(tn)); added++;
          }
        }
      }
    }
    if (added === 0) return { t, dt, parent: Array.from({ length: P }, (_, p) => p) };
    const order = vals.map((_, i) => i).sort((i, j) => vals[i] - vals[j]);
    const interior = [], width = [];
    for (const i of order) {
      if (vals[i] > widths[i] && 1.0 - vals[i] > widths[i]) { interior.push(vals[i]); width.push(widths[i]); }
    }
    const newT = [t[0]], newW = [dt[0]];
    let first = 0, reach = -Infinity, firstWidth = 0;
    for (let n = 0; n < interior.length; n++) {
      const starts = n === 0 || interior[n] - interior[n - 1] > width[n] + width[n - 1];
      if (starts) {
        if (n > 0) { newT.push(first); newW.push(Math.max(reach - first, firstWidth)); }
        first = interior[n]; firstWidth = width[n]; reach = interior[n] + width[n];
      } else {
        reach = Math.max(reach, interior[n] + width[n]);
      }
    }
    if (interior.length) { newT.push(first); newW.push(Math.max(reach - first, firstWidth)); }
    newT.push(t[P]); newW.push(dt[P]);
    const parent = [];
    for (let p = 0; p < newT.length - 1; p++) {
      const mid = 0.5 * (newT[p + 1] + newT[p]);
      parent.push(Math.min(Math.max(searchLeft(t, mid) - 1, 0), P - 1));
    }
    return { t: newT, dt: newW, parent };
  }

  function regions1d(net, a, b) {
    // exact regions of a 1-input net along [a, b]: boundaries t (R+1), per region the output's slope and
    // offset in t (y = offset + slope t, D_o each), n_regions and n_pieces as Regions1D has them
    const act = net.activation, kinks = act.kinks, K = net.weights.length - 1;
    let t = [0, 1], dt = [0, 0], slope = [[b - a]], offset = [[a]];
    let pieces = [[]]; // per piece: every hidden unit's piece index so far
    for (let k = 0; k < K; k++) {
      const maps = layerMaps(slope, offset, net.weights[k], net.biases[k]);
      const cut = split(t, dt, maps, kinks);
      t = cut.t; dt = cut.dt;
      const nextSlope = [], nextOffset = [], nextPieces = [];
      for (let p = 0; p < t.length - 1; p++) {
        const q = cut.parent[p], zs = maps.zs[q], zo = maps.zo[q], ezs = maps.ezs[q], ezo = maps.ezo[q];
        const mid = 0.5 * (t[p + 1] + t[p]), D = zs.length;
        const s = new Float64Array(D), o = new Float64Array(D), own = pieces[q].slice();
        for (let i = 0; i < D; i++) {
          let z = zo[i] + zs[i] * mid;
          const bound = ezo[i] + ezs[i] * mid + gamma(3) * (Math.abs(zo[i]) + Math.abs(zs[i]) * mid);
          for (const c of kinks) if (Math.abs(z - c) <= bound + gamma(1) * Math.abs(c)) z = c;
          let piece = 0;
          for (const c of kinks) if (c < z) piece++;
          own.push(piece);
          s[i] = zs[i] * act.slopes[piece];
          o[i] = zo[i] * act.slopes[piece] + act.intercepts[piece];
        }
        nextSlope.push(s); nextOffset.push(o); nextPieces.push(own);
      }
      slope = nextSlope; offset = nextOffset; pieces = nextPieces;
    }
    const out = layerMaps(slope, offset, net.weights[K], net.biases[K]); // the output's maps (P, D_o)
    // merge consecutive pieces that ended with the same pattern (count_1d._merge_equal_patterns)
    const keep = [0];
    for (let p = 1; p < pieces.length; p++) {
      const x = pieces[p], y = pieces[p - 1];
      if (x.some((v, i) => v !== y[i])) keep.push(p);
    }
    const tKeep = keep.map((p) => t[p]).concat([t[t.length - 1]]);
    const slopes = keep.map((p) => Array.from(out.zs[p])), offsets = keep.map((p) => Array.from(out.zo[p]));
    return withPieces({ t: tKeep, slopes, offsets, a, b, nRegions: keep.length });
  }

  function withPieces(res) {
    // n_pieces as Regions1D.n_pieces: adjacent regions with equal output slopes (rtol 1e-9) are one piece
    const s = res.slopes, R = s.length;
    let smax = 0;
    for (const row of s) for (const v of row) smax = Math.max(smax, Math.abs(v));
    const pieceId = [0];
    for (let r = 1; r < R; r++) {
      const same = s[r].every((v, o) => {
        const scale = Math.max(Math.abs(v), Math.abs(s[r - 1][o])) + 1e-300 + smax * 1e-12;
        return Math.abs(v - s[r - 1][o]) <= 1e-9 * scale;
      });
      pieceId.push(pieceId[r - 1] + (same ? 0 : 1));
    }
    res.pieceId = pieceId;
    res.nPieces = R ? pieceId[R - 1] + 1 : 0;
    return res;
  }

  function compose(n1, n2) {
    // depthlab.construct.compose: Omega = Omega'_0 Omega_K, beta = beta'_0 + Omega'_0 beta_K (Psi = theta' phi)
    const W1 = n1.weights[n1.weights.length - 1], b1 = n1.biases[n1.biases.length - 1];
    const W2 = n2.weights[0], b2 = n2.biases[0];
    const omega = W2.map((row) => W1[0].map((_, j) => row.reduce((acc, w, m) => acc + w * W1[m][j], 0)));
    const beta = W2.map((row, i) => b2[i] + row.reduce((acc, w, m) => acc + w * b1[m], 0));
    const weights = n1.weights.slice(0, -1).concat([omega], n2.weights.slice(1));
    const biases = n1.biases.slice(0, -1).concat([beta], n2.biases.slice(1));
    const widths = [weights[0][0].length].concat(weights.map((w) => w.length));
    return { widths, weights, biases, activation: n1.activation, params: countParams(weights) };
  }

  function countParams(weights) { return weights.reduce((n, w) => n + w.length * w[0].length + w.length, 0); }

  // ---------------------------------------------------------------- drawing
  const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf",
    "#bcbd22", "#7f7f7f"];

  function setupCanvas(canvas) {
    const ratio = window.devicePixelRatio || 1;
    if (!canvas.dataset.w) { canvas.dataset.w = canvas.width; canvas.dataset.h = canvas.height; }
    const w = +canvas.dataset.w, h = +canvas.dataset.h;
    canvas.width = w * ratio; canvas.height = h * ratio;
    canvas.style.width = w + "px"; canvas.style.height = h + "px";
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    return { ctx, w, h };
  }

  function fmt(v, digits = 4) {
    if (v === 0) return "0";
    const a = Math.abs(v);
    return a >= 1e4 || a < 1e-3 ? v.toExponential(2) : (+v.toPrecision(digits)).toString();
  }

  function plot1d(canvas, res, xlabel) {
    // the function exactly: one straight segment per region (vertices at the breakpoints), coloured by piece
    const { ctx, w, h } = setupCanvas(canvas), m = { l: 44, r: 10, t: 10, b: 28 };
    const xs = res.t.map((t) => res.a + t * (res.b - res.a));
    const ys = [];
    for (let r = 0; r < res.slopes.length; r++) {
      ys.push([res.offsets[r][0] + res.slopes[r][0] * res.t[r], res.offsets[r][0] + res.slopes[r][0] * res.t[r + 1]]);
    }
    let lo = Math.min(...ys.flat()), hi = Math.max(...ys.flat());
    if (!(hi - lo > 1e-12)) { lo -= 0.5; hi += 0.5; }
    const pad = 0.06 * (hi - lo); lo -= pad; hi += pad;
    const X = (x) => m.l + ((x - res.a) / (res.b - res.a)) * (w - m.l - m.r);
    const Y = (y) => h - m.b - ((y - lo) / (hi - lo)) * (h - m.t - m.b);
    ctx.clearRect(0, 0, w, h);
    ctx.strokeStyle = "#999"; ctx.lineWidth = 1; ctx.strokeRect(m.l, m.t, w - m.l - m.r, h - m.t - m.b);
    ctx.fillStyle = "#444"; ctx.font = "11px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.fillText(fmt(res.a), X(res.a), h - m.b + 13); ctx.fillText(fmt(res.b), X(res.b), h - m.b + 13);
    ctx.fillText(xlabel, (m.l + w - m.r) / 2, h - 4);
    ctx.textAlign = "right";
    ctx.fillText(fmt(hi - pad), m.l - 4, Y(hi - pad) + 4); ctx.fillText(fmt(lo + pad), m.l - 4, Y(lo + pad) + 4);
    if (res.slopes.length <= 256) { // breakpoints as faint ticks
      ctx.strokeStyle = "#e6e6e6";
      for (let r = 1; r < xs.length - 1; r++) { ctx.beginPath(); ctx.moveTo(X(xs[r]), m.t); ctx.lineTo(X(xs[r]), h - m.b); ctx.stroke(); }
    }
    ctx.lineWidth = 2;
    for (let r = 0; r < ys.length; r++) {
      ctx.strokeStyle = PALETTE[res.pieceId[r] % PALETTE.length];
      ctx.beginPath(); ctx.moveTo(X(xs[r]), Y(ys[r][0])); ctx.lineTo(X(xs[r + 1]), Y(ys[r][1])); ctx.stroke();
    }
  }

  function showCount(el, res, params) {
    el.textContent = `${res.nRegions} regions, ${res.nPieces} pieces` + (params ? `, ${params} params` : "");
    el.dataset.regions = res.nRegions; el.dataset.pieces = res.nPieces;
  }

  // ---------------------------------------------------------------- view 1: folding and composition
  const one = (api.oneD = { nets: null, results: {} });

  function sliderRow(container, label, param, get, set) {
    const row = document.createElement("div"); row.className = "slider";
    const name = document.createElement("span"); name.textContent = label;
    const range = document.createElement("input"), box = document.createElement("input");
    const v = get(), span = Math.max(8, Math.ceil(2 * Math.abs(v)));
    range.type = "range"; range.min = -span; range.max = span; range.step = "any"; range.value = String(v);
    box.type = "number"; box.step = "any"; box.value = String(v);
    range.id = `slider-${container.dataset.net}-${param}`;
    box.id = `value-${container.dataset.net}-${param}`;
    range.addEventListener("input", () => { box.value = range.value; set(parseFloat(range.value)); });
    box.addEventListener("change", () => {
      const x = parseFloat(box.value);
      if (Number.isFinite(x)) { range.value = String(x); set(x); }
    });
    row.append(name, range, box); container.append(row);
  }

  function buildSliders(which, prime) {
    // the lecture's names: h_j = a[theta_j0 + theta_j1 x], y = phi_0 + sum_j phi_j h_j
    const container = document.getElementById(`sliders-${which}`);
    container.innerHTML = `<h3>${which} (${one.nets[which].widths.join("-")})</h3>`;
    container.dataset.net = which;
    const net = one.nets[which], p = prime ? "'" : "";
    net.weights[0].forEach((_, j) => {
      sliderRow(container, `θ${p}${j + 1}0`, `b0_${j}`, () => net.biases[0][j], (x) => { net.biases[0][j] = x; update1d(); });
      sliderRow(container, `θ${p}${j + 1}1`, `W0_${j}_0`, () => net.weights[0][j][0], (x) => { net.weights[0][j][0] = x; update1d(); });
    });
    sliderRow(container, `φ${p}0`, "b1_0", () => net.biases[1][0], (x) => { net.biases[1][0] = x; update1d(); });
    net.weights[1][0].forEach((_, j) => {
      sliderRow(container, `φ${p}${j + 1}`, `W1_0_${j}`, () => net.weights[1][0][j], (x) => { net.weights[1][0][j] = x; update1d(); });
    });
  }

  function loadPreset(name) {
    const preset = DATA.folding[name];
    one.nets = { net1: structuredClone(preset.net1), net2: structuredClone(preset.net2) };
    one.libraryComposed = structuredClone(preset.composed); // the library's compose(net1, net2) at load
    document.getElementById("interval-a").value = String(preset.interval[0]);
    document.getElementById("interval-b").value = String(preset.interval[1]);
    buildSliders("net1", false); buildSliders("net2", true);
    update1d(true);
  }

  function imageOf(res) {
    // net1's range over [a, b]: min and max of its exact pieces' end values
    let lo = Infinity, hi = -Infinity;
    for (let r = 0; r < res.slopes.length; r++) {
      for (const t of [res.t[r], res.t[r + 1]]) {
        const y = res.offsets[r][0] + res.slopes[r][0] * t; lo = Math.min(lo, y); hi = Math.max(hi, y);
      }
    }
    if (!(hi - lo > 1e-12 * Math.max(1, Math.abs(lo), Math.abs(hi)))) { lo -= 0.5; hi += 0.5; }
    return [lo, hi];
  }

  function update1d(atLoad) {
    const a = parseFloat(document.getElementById("interval-a").value);
    const b = parseFloat(document.getElementById("interval-b").value);
    if (!(Number.isFinite(a) && Number.isFinite(b) && a < b)) return;
    const composed = atLoad ? one.libraryComposed : compose(one.nets.net1, one.nets.net2);
    one.nets.composed = composed;
    const r1 = regions1d(one.nets.net1, a, b);
    const range = imageOf(r1);
    const r2 = regions1d(one.nets.net2, range[0], range[1]);
    const rc = regions1d(composed, a, b);
    one.results = { net1: r1, net2: r2, composed: rc };
    plot1d(document.getElementById("plot-net1"), r1, "x");
    plot1d(document.getElementById("plot-net2"), r2, "y (net1's range on [a, b])");
    plot1d(document.getElementById("plot-composed"), rc, "x");
    showCount(document.getElementById("count-net1"), r1, one.nets.net1.params);
    showCount(document.getElementById("count-net2"), r2, one.nets.net2.params);
    showCount(document.getElementById("count-composed"), rc, composed.params);
  }

  function init1d() {
    const select = document.getElementById("preset-1d");
    for (const name of Object.keys(DATA.folding)) select.add(new Option(name, name));
    select.addEventListener("change", () => loadPreset(select.value));
    for (const id of ["interval-a", "interval-b"]) document.getElementById(id).addEventListener("change", () => update1d());
    loadPreset(select.value);
  }

  // ---------------------------------------------------------------- view 2: the 2-D partition
  const two = (api.twoD = { net: null, layer: 1, decoded: {} });

  function bytesOf(b64) { const s = atob(b64), out = new Uint8Array(s.length); for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i); return out; }

  function decodePartition(key, domain) {
    if (two.decoded[key]) return two.decoded[key];
    const raw = DATA.partitions[key], R = raw.n_regions;
    const counts = new Uint16Array(bytesOf(raw.counts).buffer), q = new Uint16Array(bytesOf(raw.xy).buffer);
    const starts = new Uint32Array(R + 1);
    for (let r = 0; r < R; r++) starts[r + 1] = starts[r] + counts[r];
    const [x0, x1, y0, y1] = domain, xy = new Float64Array(q.length), box = new Float64Array(4 * R);
    for (let v = 0; v < q.length / 2; v++) {
      xy[2 * v] = x0 + (q[2 * v] / 65535) * (x1 - x0); xy[2 * v + 1] = y0 + (q[2 * v + 1] / 65535) * (y1 - y0);
    }
    for (let r = 0; r < R; r++) {
      let a = Infinity, b = -Infinity, c = Infinity, d = -Infinity;
      for (let v = starts[r]; v < starts[r + 1]; v++) {
        a = Math.min(a, xy[2 * v]); b = Math.max(b, xy[2 * v]); c = Math.min(c, xy[2 * v + 1]); d = Math.max(d, xy[2 * v + 1]);
      }
      box.set([a, b, c, d], 4 * r);
    }
    const part = { R, starts, xy, box, nBits: raw.n_bits, bytes: bytesOf(raw.patterns), perRow: Math.ceil(raw.n_bits / 8) };
    part.colours = [];
    for (let r = 0; r < R; r++) {
      let hsh = 2166136261;
      for (let i = 0; i < part.perRow; i++) { hsh ^= part.bytes[r * part.perRow + i]; hsh = Math.imul(hsh, 16777619) >>> 0; }
      part.colours.push(`hsl(${hsh % 360}, ${55 + (hsh >> 9) % 25}%, ${70 + (hsh >> 17) % 16}%)`);
    }
    two.decoded[key] = part;
    return part;
  }

  function patternBits(part, r) {
    let s = "";
    for (let j = 0; j < part.nBits; j++) s += (part.bytes[r * part.perRow + (j >> 3)] >> (7 - (j & 7))) & 1;
    return s;
  }

  function locate(part, x, y) {
    // the region whose (quantized, convex, counter-clockwise) polygon holds (x, y), or -1
    for (let r = 0; r < part.R; r++) {
      const b = part.box.subarray(4 * r, 4 * r + 4);
      if (x < b[0] || x > b[1] || y < b[2] || y > b[3]) continue;
      let inside = true;
      const s = part.starts[r], e = part.starts[r + 1];
      for (let v = s; v < e && inside; v++) {
        const u = v + 1 < e ? v + 1 : s;
        const ax = part.xy[2 * v], ay = part.xy[2 * v + 1], bx = part.xy[2 * u], by = part.xy[2 * u + 1];
        if ((bx - ax) * (y - ay) - (by - ay) * (x - ax) < -1e-12) inside = false;
      }
      if (inside) return r;
    }
    return -1;
  }

  function draw2d() {
    const t0 = performance.now();
    const net = DATA.nets[two.net], key = net.layers[two.layer - 1];
    const part = decodePartition(key, net.domain);
    const canvas = document.getElementById("canvas-2d"), { ctx, w, h } = setupCanvas(canvas);
    const [x0, x1, y0, y1] = net.domain, X = (x) => ((x - x0) / (x1 - x0)) * w, Y = (y) => h - ((y - y0) / (y1 - y0)) * h;
    ctx.clearRect(0, 0, w, h);
    outline(part, -1, net.domain);
    ctx.lineWidth = 0.4; ctx.strokeStyle = "rgba(40, 40, 40, 0.7)";
    for (let r = 0; r < part.R; r++) {
      ctx.beginPath();
      for (let v = part.starts[r]; v < part.starts[r + 1]; v++) {
        const px = X(part.xy[2 * v]), py = Y(part.xy[2 * v + 1]);
        if (v === part.starts[r]) ctx.moveTo(px, py); else ctx.lineTo(px, py);
      }
      ctx.closePath(); ctx.fillStyle = part.colours[r]; ctx.fill(); ctx.stroke();
    }
    const count = document.getElementById("region-count");
    count.textContent = String(part.R); count.dataset.count = part.R;
    document.getElementById("layer-label").textContent =
      `${two.layer} of ${net.layers.length} (${net.widths.join("-")}, seed ${net.seed}, ${net.params} params)`;
    two.drawMs = performance.now() - t0;
    document.getElementById("timing-2d").textContent = `drawn in ${two.drawMs.toFixed(0)} ms`;
    two.drawn = (two.drawn || 0) + 1;
  }

  function selectNet(name) {
    two.net = name;
    const net = DATA.nets[name], slider = document.getElementById("layer-slider");
    slider.max = String(net.layers.length); slider.value = String(net.layers.length);
    two.layer = net.layers.length;
    document.getElementById("net-2d").value = name;
    document.getElementById("widths-2d").value = net.widths.join(",");
    document.getElementById("seed-2d").value = String(net.seed);
    draw2d();
  }

  function outline(part, r, domain) {
    // the hovered region, outlined on a transparent canvas above the partition (no redraw of the regions)
    const { ctx, w, h } = setupCanvas(document.getElementById("overlay-2d"));
    ctx.clearRect(0, 0, w, h);
    if (r < 0) return;
    const [x0, x1, y0, y1] = domain;
    ctx.beginPath();
    for (let v = part.starts[r]; v < part.starts[r + 1]; v++) {
      const px = ((part.xy[2 * v] - x0) / (x1 - x0)) * w, py = h - ((part.xy[2 * v + 1] - y0) / (y1 - y0)) * h;
      if (v === part.starts[r]) ctx.moveTo(px, py); else ctx.lineTo(px, py);
    }
    ctx.closePath(); ctx.lineWidth = 2.5; ctx.strokeStyle = "#000"; ctx.stroke();
  }

  function f64(b64) { return new Float64Array(bytesOf(b64).buffer); }

  function hover(event) {
    const net = DATA.nets[two.net], canvas = event.currentTarget, rect = canvas.getBoundingClientRect();
    const [x0, x1, y0, y1] = net.domain;
    const x = x0 + ((event.clientX - rect.left) / rect.width) * (x1 - x0);
    const y = y1 - ((event.clientY - rect.top) / rect.height) * (y1 - y0);
    const part = decodePartition(net.layers[two.layer - 1], net.domain);
    const finalPart = decodePartition(net.layers[net.layers.length - 1], net.domain);
    const r = locate(part, x, y), rf = locate(finalPart, x, y), info = document.getElementById("hover-info");
    outline(part, r, net.domain);
    info.dataset.x = x; info.dataset.y = y;
    if (r < 0 || rf < 0) { info.textContent = `(${fmt(x)}, ${fmt(y)}): on a boundary`; info.dataset.region = -1; return; }
    const bits = patternBits(part, r), hidden = net.widths.slice(1, -1);
    const lines = [`x = (${fmt(x)}, ${fmt(y)}): region ${r + 1} of ${part.R} after layer ${two.layer}`,
      "activation pattern (1 = unit on):"];
    let at = 0;
    hidden.slice(0, two.layer).forEach((width, k) => {
      const layerBits = bits.slice(at, at + width); at += width;
      lines.push(`  layer ${k + 1}: ${layerBits}  (${layerBits.split("").filter((c) => c === "1").length}/${width} on)`);
    });
    if (!net._maps) net._maps = { offsets: f64(net.offsets), slopes: f64(net.slopes) };
    const Do = net.widths[net.widths.length - 1], affine = [];
    lines.push(`output here (final region ${rf + 1} of ${finalPart.R}):`);
    for (let o = 0; o < Do; o++) {
      const c = net._maps.offsets[rf * Do + o], s1 = net._maps.slopes[(rf * Do + o) * 2], s2 = net._maps.slopes[(rf * Do + o) * 2 + 1];
      affine.push([c, s1, s2]);
      lines.push(`  y${Do > 1 ? o + 1 : ""} = ${fmt(s1)} x1 ${s2 < 0 ? "-" : "+"} ${fmt(Math.abs(s2))} x2 ${c < 0 ? "-" : "+"} ${fmt(Math.abs(c))}`);
    }
    info.textContent = lines.join("\n");
    info.dataset.region = r; info.dataset.pattern = bits; info.dataset.affine = JSON.stringify(affine);
  }

  async function compute2d() {
    // --serve only: the local server recomputes the partitions of any net within the limit
    const widths = document.getElementById("widths-2d").value, seed = document.getElementById("seed-2d").value;
    const error = document.getElementById("error-2d");
    error.textContent = "";
    const t0 = performance.now();
    const response = await fetch(`/api/partition?widths=${encodeURIComponent(widths)}&seed=${encodeURIComponent(seed)}`);
    const body = await response.json();
    if (!response.ok) { error.textContent = body.error; return; }
    Object.assign(DATA.partitions, body.partitions);
    for (const key of Object.keys(body.partitions)) delete two.decoded[key]; // decoded again: honest timings
    DATA.nets[body.name] = body.net;
    const select = document.getElementById("net-2d");
    if (![...select.options].some((o) => o.value === body.name)) select.add(new Option(body.name, body.name));
    selectNet(body.name);
    await new Promise((resolve) => requestAnimationFrame(() => resolve())); // until the frame is painted
    two.lastComputeMs = performance.now() - t0;
    document.getElementById("timing-2d").textContent +=
      `; server ${(1000 * body.net.seconds).toFixed(0)} ms, request + draw ${two.lastComputeMs.toFixed(0)} ms`;
  }

  function init2d() {
    const select = document.getElementById("net-2d");
    for (const name of Object.keys(DATA.nets)) select.add(new Option(name, name));
    select.addEventListener("change", () => selectNet(select.value));
    const slider = document.getElementById("layer-slider");
    slider.addEventListener("input", () => { two.layer = parseInt(slider.value, 10); draw2d(); });
    const canvas = document.getElementById("canvas-2d");
    canvas.addEventListener("mousemove", hover);
    const serve = document.getElementById("serve-controls");
    if (DATA.served) {
      document.getElementById("compute-2d").addEventListener("click", () => compute2d().catch((e) => {
        document.getElementById("error-2d").textContent = String(e);
      }));
    } else {
      for (const input of serve.querySelectorAll("input, button")) input.disabled = true;
      serve.title = "needs depthlab explore --serve";
    }
    selectNet(DATA.default_net);
  }

  // ---------------------------------------------------------------- view 3: deep vs shallow
  const deep = (api.deep = { k: DATA.default_k, results: {} });

  function updateDeep() {
    const nets = DATA.sawtooth[String(deep.k)];
    for (const which of ["deep", "budget", "same"]) {
      const res = regions1d(nets[which], 0, 1);
      deep.results[which] = res;
      plot1d(document.getElementById(`plot-${which}`), res, `x   (${nets[which].widths.length > 3 ? "1-2x" + (nets[which].widths.length - 2) + "-1" : nets[which].widths.join("-")})`);
      showCount(document.getElementById(`count-${which}`), res, nets[which].params);
    }
    const k = deep.k, d = deep.results;
    document.getElementById("k-label").textContent = `k = ${k}`;
    document.getElementById("deep-summary").textContent =
      `deep: ${d.deep.nPieces} pieces from ${nets.deep.params} parameters. Shallow with ${nets.budget.params} ` +
      `parameters: ${d.budget.nPieces} pieces (2k units allow at most ${2 * k + 1}). The same function shallow: ` +
      `${nets.same.params} parameters (${nets.same.widths[1]} units).`;
  }

  function initDeep() {
    const slider = document.getElementById("k-slider");
    slider.value = String(deep.k);
    slider.addEventListener("input", () => { deep.k = parseInt(slider.value, 10); updateDeep(); });
    updateDeep();
  }

  // ---------------------------------------------------------------- tabs and start
  function show(view) {
    for (const section of document.querySelectorAll(".view")) section.classList.toggle("active", section.id === view);
    for (const tab of document.querySelectorAll(".tab")) tab.classList.toggle("active", tab.dataset.view === view);
  }

  api.regions1d = regions1d;
  api.compute2d = compute2d;
  api.compose = compose;
  api.show = show;
  document.getElementById("mode-note").textContent = DATA.served
    ? `Served by depthlab on 127.0.0.1: the 2-D view recomputes any widths and seed you enter (limit: ${DATA.limit}).`
    : "Static page: sliders, presets, the layer slider and hover work offline (partitions precomputed for the " +
      "listed nets). Other widths and seeds in the 2-D view need  depthlab explore --serve  " + `(limit: ${DATA.limit}).`;
  for (const tab of document.querySelectorAll(".tab")) tab.addEventListener("click", () => show(tab.dataset.view));
  show("view-1d");
  init1d();
  init2d();
  initDeep();
  api.ready = true;
})();
