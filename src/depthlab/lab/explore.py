"""`depthlab explore`: one self-contained HTML page (or a local server) to look at regions, folding and depth.

Three views, all numbers from the library:

1. folding and composition (seed 002): two 1-input nets (default: the lecture's 1-3-1 zigzags) and their
   composition `construct.compose(net1, net2)`; every weight and bias has a slider. The page recomputes
   the exact linear pieces in JavaScript, a line-by-line port of `regions.count_regions_1d` (same float64
   rounding bounds, so the same counts), and plots the pieces exactly (vertices at the breakpoints).
2. the 2-D partition (seeds 002, 003): a random He net on [-3, 3]^2 (weights N(0, 2/fan_in), biases
   N(0, 1)), its exact partition after layers 1..K from
   `regions.partition_2d`, hover for a region's activation pattern and the output's affine map there.
   The static page carries precomputed partitions (widths 4 / 8 / 16 / 32, depths 1-3, and the chosen
   net); other widths and seeds need `--serve`, whose server recomputes them on request.
3. deep vs shallow at equal parameters: `construct.sawtooth(k)` (6k + 1 parameters, 2^k pieces) beside a
   shallow net of the same parameter count (2k units, `construct.interpolate_1d` through g_k's first 2k
   kinks) and `construct.shallow_sawtooth(k)` (the same function, 2^k units).

The page needs no network access: CSS, JavaScript and data are inline. The server (`http.server`) binds
127.0.0.1 only.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import re
import threading
import time
from collections.abc import Sequence
from functools import partial
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import numpy as np
import torch

from depthlab.activations import activation
from depthlab.construct import compose, interpolate_1d, sawtooth, shallow_sawtooth, zigzag_net
from depthlab.construct.sawtooth import sawtooth_values
from depthlab.models.network import Network
from depthlab.regions import Partition2D, partition_2d
from depthlab.seeds import derive_seed

DOMAIN_SIZE = 3.0  # the 2-D view shows [-3, 3]^2, as the region benchmarks do
INIT_2D = ("normal", math.sqrt(2.0), 1.0)  # He weights N(0, 2/fan_in), biases N(0, 1)
DEFAULT_WIDTHS = (2, 32, 32, 32, 1)
PRESET_WIDTHS = (4, 8, 16, 32)  # static page: every (width, depth) here is precomputed
PRESET_DEPTHS = (1, 2, 3)
MAX_HIDDEN_UNITS = 128  # interactive limit: 2-32x3-1 has 96 units and about 3,800 regions
MAX_DEPTH = 8
SAWTOOTH_KS = tuple(range(1, 11))  # deep-vs-shallow view: k = 1..10 (shallow_sawtooth(10) has 1,024 units)
DEFAULT_K = 4
DEFAULT_PORT = 8765
LIMIT_TEXT = (f"at most {MAX_DEPTH} hidden layers and {MAX_HIDDEN_UNITS} hidden units in all "
              "(2-32x3-1 has 96), so that a partition redraws in well under 0.5 s")
_ASSETS = "explore_assets"


# ------------------------------------------------------------------------------------------- input checks
def parse_widths(text: str | Sequence[int]) -> list[int]:
    """'2,32,32,1' or '2-32-32-1' (or a sequence of ints) -> [2, 32, 32, 1]; a one-line ValueError otherwise."""
    values = [v for v in re.split(r"[,\s-]+", text.strip()) if v] if isinstance(text, str) else list(text)
    valid = len(values) >= 2 and all(
        (isinstance(v, str) and v.isdigit()) or (isinstance(v, (int, np.integer)) and not isinstance(v, bool))
        for v in values)
    widths = [int(v) for v in values] if valid else []
    if not widths or min(widths) < 1:
        raise ValueError(f"The 'widths' parameter of explore must list ints >= 1 like 2,32,32,32,1. Got {text!r}.")
    return widths


def check_widths_2d(widths: str | Sequence[int]) -> list[int]:
    """The widths of a net the 2-D view can draw interactively: 2 inputs, >= 1 hidden layer, within the limit.

    Parameters
    ----------
    widths : str or sequence of int
        [2, D_1, ..., D_K, D_o], or the same as text ('2,32,32,32,1').

    Returns
    -------
    list of int
    """
    widths = parse_widths(widths)
    label = "-".join(str(w) for w in widths)
    if widths[0] != 2:
        raise ValueError(f"The 2-D view needs a net with 2 inputs; {label} has {widths[0]}. "
                         "Pass widths starting with 2, like 2,32,32,32,1.")
    hidden = widths[1:-1]
    if not hidden:
        raise ValueError(f"The 2-D view needs at least one hidden layer; {label} has none.")
    if len(hidden) > MAX_DEPTH or sum(hidden) > MAX_HIDDEN_UNITS:
        raise ValueError(f"The net {label} ({len(hidden)} hidden layers, {sum(hidden)} hidden units) is too large "
                         f"for an interactive partition: the limit is {LIMIT_TEXT}.")
    return widths


def check_seed(seed: Any) -> int:
    """A seed for the 2-D net: an int >= 0."""
    try:
        value = int(seed)
    except (TypeError, ValueError):
        value = -1
    if value < 0 or str(seed).strip() != str(value):
        raise ValueError(f"The 'seed' parameter of explore must be an int >= 0. Got {seed!r}.")
    return value


# ------------------------------------------------------------------------------------------- nets as data
def random_net_2d(widths: Sequence[int], seed: int = 0) -> Network:
    """The 2-D view's net: He-normal weights N(0, 2/fan_in), biases N(0, 1), float64.

    Parameters
    ----------
    widths : sequence of int
        [2, D_1, ..., D_K, D_o] within the interactive limit (`check_widths_2d`).
    seed : int, default=0
    """
    return Network.random(check_widths_2d(widths), init=INIT_2D, seed=check_seed(seed))


def truncated(net: Network, k: int) -> Network:
    """The first k hidden layers of `net` with a zero output layer: its regions are `net`'s after layer k."""
    width = net.weights[k - 1].shape[0]
    out = torch.zeros(1, width, dtype=net.dtype), torch.zeros(1, dtype=net.dtype)
    return Network(net.weights[:k] + (out[0],), net.biases[:k] + (out[1],), net.activation, net.negative_slope)


def net_record(net: Network) -> dict[str, Any]:
    """A Network as JSON: widths, weights (D_{k+1}, D_k) and biases as nested lists (exact float64 reprs)."""
    rule = activation(net.activation)
    return {
        "widths": net.widths,
        "params": net.n_params,
        "weights": [w.tolist() for w in net.weights],
        "biases": [b.tolist() for b in net.biases],
        "activation": {"name": net.activation, "kinks": list(rule.kinks),
                       "slopes": list(rule.slopes(net.negative_slope)), "intercepts": list(rule.intercepts)},
    }


def _b64(array: np.ndarray, dtype: str) -> str:
    return base64.b64encode(np.ascontiguousarray(array, dtype=dtype).tobytes()).decode("ascii")


def encode_partition(part: Partition2D) -> dict[str, Any]:
    """A partition as compact JSON: vertex counts (uint16), vertices quantized to uint16 on the domain's box,
    patterns bit-packed (np.packbits, big-endian bits), base64 each."""
    lo, hi = part.domain.min(axis=0), part.domain.max(axis=0)
    q = np.rint((part.vertices - lo) / (hi - lo) * 65535).clip(0, 65535)  # (V, 2)
    patterns = part.patterns.numpy()  # (R, N) bool
    return {
        "n_regions": part.n_regions,
        "n_bits": int(patterns.shape[1]),
        "counts": _b64(np.diff(part.starts), "<u2"),
        "xy": _b64(q, "<u2"),
        "patterns": _b64(np.packbits(patterns, axis=1), "u1"),
        "seconds": part.seconds,
    }


def _prefix_key(net: Network, k: int) -> str:
    """A key naming the first k hidden layers (the nets of one width share them across depths)."""
    digest = hashlib.sha1()
    for w, b in zip(net.weights[:k], net.biases[:k]):
        digest.update(w.numpy().tobytes())
        digest.update(b.numpy().tobytes())
    return f"{k}-{digest.hexdigest()[:16]}"


def partition_payload(widths: Sequence[int], seed: int = 0,
                      partitions: dict[str, Any] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The 2-D view's data for one net: (net entry, partitions by key).

    The net entry holds its widths, seed, parameter count, the keys of its partitions after layers 1..K and
    the output's affine map on each final region (offsets (R, D_o) and slopes (R, D_o, 2), float64 base64).
    Partitions already in `partitions` (the same first layers) are not recomputed.
    """
    start = time.perf_counter()
    net = random_net_2d(widths, seed)
    domain = DOMAIN_SIZE * np.array([[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]])
    partitions = {} if partitions is None else partitions
    final = partition_2d(net, domain)  # its regions are the last layer's, whatever the output layer
    keys = []
    for k in range(1, net.depth + 1):
        key = _prefix_key(net, k)
        if key not in partitions:
            partitions[key] = encode_partition(final if k == net.depth else partition_2d(truncated(net, k), domain))
        keys.append(key)
    entry = {
        "widths": net.widths, "seed": seed, "params": net.n_params, "layers": keys,
        "n_regions": final.n_regions, "offsets": _b64(final.offsets, "<f8"), "slopes": _b64(final.slopes, "<f8"),
        "domain": [-DOMAIN_SIZE, DOMAIN_SIZE, -DOMAIN_SIZE, DOMAIN_SIZE], "seconds": time.perf_counter() - start,
    }
    return entry, partitions


def net_name(widths: Sequence[int], seed: int) -> str:
    """'2-32-32-32-1 seed 0': the 2-D view's key for a net."""
    return f"{'-'.join(str(w) for w in widths)} seed {seed}"


def folding_nets(seed: int = 0) -> dict[str, Any]:
    """The 1-D view's presets: the lecture's 1-3-1 zigzags and two He-random 1-3-1 nets, each with the
    library's composition; the counting interval is [0, 1]."""
    presets = {"folding (seed 002)": (zigzag_net(3), zigzag_net(3)),
               "random He 1-3-1": tuple(Network.random([1, 3, 1], seed=derive_seed(seed, name))
                                        for name in ("net1", "net2"))}
    return {name: {"net1": net_record(a), "net2": net_record(b), "composed": net_record(compose(a, b)),
                   "interval": [0.0, 1.0]} for name, (a, b) in presets.items()}


def shallow_budget_net(k: int) -> Network:
    """A shallow net with the parameters of `sawtooth(k)` (6k + 1: 2k units): g_k through its first 2k kinks.

    For k <= 2, 2^k = 2k units suffice and it is `shallow_sawtooth(k)` itself. Otherwise it follows g_k on
    [0, (2k - 1) / 2^k] and stays flat after: 2k pieces on [0, 1], one short of the 2k + 1 any 2k units allow.
    """
    if 2**k <= 2 * k:
        return shallow_sawtooth(k)
    codes = torch.arange(2 * k, dtype=torch.float64) / 2**k  # (2k,)
    return interpolate_1d(codes, sawtooth_values(k, codes[:, None]).reshape(-1))


def sawtooth_nets(ks: Sequence[int] = SAWTOOTH_KS) -> dict[str, Any]:
    """The deep-vs-shallow view's nets for each k: deep, shallow with equal parameters, shallow with the same
    function."""
    return {str(k): {"deep": net_record(sawtooth(k)), "budget": net_record(shallow_budget_net(k)),
                     "same": net_record(shallow_sawtooth(k))} for k in ks}


# ------------------------------------------------------------------------------------------- the page
def page_data(widths: Sequence[int] = DEFAULT_WIDTHS, seed: int = 0, served: bool = False) -> dict[str, Any]:
    """Everything the page shows, as one JSON-able dict."""
    widths = check_widths_2d(widths)
    seed = check_seed(seed)
    partitions: dict[str, Any] = {}
    nets: dict[str, Any] = {}
    chosen = [(widths, seed)] + [([2, *(w,) * d, 1], 0) for w in PRESET_WIDTHS for d in PRESET_DEPTHS]
    for net_widths, net_seed in chosen:
        name = net_name(net_widths, net_seed)
        if name not in nets:
            nets[name], _ = partition_payload(net_widths, net_seed, partitions)
    return {
        "served": served, "limit": LIMIT_TEXT, "max_units": MAX_HIDDEN_UNITS, "max_depth": MAX_DEPTH,
        "default_net": net_name(widths, seed), "nets": nets, "partitions": partitions,
        "folding": folding_nets(seed), "sawtooth": sawtooth_nets(), "default_k": DEFAULT_K,
    }


def _asset(name: str) -> str:
    return resources.files("depthlab.lab").joinpath(_ASSETS, name).read_text(encoding="utf-8")


def build_page(widths: Sequence[int] = DEFAULT_WIDTHS, seed: int = 0, served: bool = False) -> str:
    """The explore page as one HTML string: inline CSS, JavaScript and data, no external resource.

    Parameters
    ----------
    widths : sequence of int or str, default=(2, 32, 32, 32, 1)
        The 2-D view's default net (2 inputs, within `LIMIT_TEXT`).
    seed : int, default=0
        Its seed (and the random 1-D preset's).
    served : bool, default=False
        True when the page is served by `make_server` (enables the recompute controls).
    """
    data = json.dumps(page_data(widths, seed, served), separators=(",", ":")).replace("</", "<\\/")
    page = _asset("page.html")
    for slot, text in (("/*CSS*/", _asset("page.css")), ("/*JS*/", _asset("page.js")), ("/*DATA*/", data)):
        page = page.replace(slot, text, 1)
    return page


def write_page(path: str | Path, widths: Sequence[int] = DEFAULT_WIDTHS, seed: int = 0) -> Path:
    """Write the static page to `path` atomically (temp file + os.replace); return the path."""
    page = build_page(widths, seed, served=False)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    staging.write_text(page, encoding="utf-8")
    os.replace(staging, out)
    return out


# ------------------------------------------------------------------------------------------- the server
class _Handler(BaseHTTPRequestHandler):
    """GET / -> the page; GET /api/partition?widths=2,16,16,1&seed=3 -> that net's partitions (JSON)."""

    def __init__(self, *args: Any, page: bytes, **kwargs: Any) -> None:
        self.page = page
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:  # noqa: N802 - the http.server name
        url = urlparse(self.path)
        if url.path in ("/", "/index.html"):
            self._send(HTTPStatus.OK, "text/html; charset=utf-8", self.page)
        elif url.path == "/api/partition":
            query = parse_qs(url.query)
            try:
                widths = check_widths_2d(query.get("widths", [""])[0])
                seed = check_seed(query.get("seed", ["0"])[0])
                entry, partitions = partition_payload(widths, seed)
                body = {"name": net_name(widths, seed), "net": entry, "partitions": partitions}
                self._send(HTTPStatus.OK, "application/json", json.dumps(body).encode())
            except ValueError as error:
                self._send(HTTPStatus.BAD_REQUEST, "application/json", json.dumps({"error": str(error)}).encode())
        else:
            self._send(HTTPStatus.NOT_FOUND, "text/plain", b"not found")

    def _send(self, status: HTTPStatus, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet: one line per request is noise
        pass


def make_server(port: int = DEFAULT_PORT, widths: Sequence[int] = DEFAULT_WIDTHS, seed: int = 0) -> ThreadingHTTPServer:
    """A server on 127.0.0.1:`port` (0: any free port) for the served page; call `serve_forever()` on it.

    Raises a one-line ValueError when the port is out of range or in use.
    """
    if not isinstance(port, int) or not 0 <= port <= 65535:
        raise ValueError(f"The 'port' parameter of explore must be an int in [0, 65535]. Got {port!r}.")
    page = build_page(widths, seed, served=True).encode("utf-8")
    try:
        return ThreadingHTTPServer(("127.0.0.1", port), partial(_Handler, page=page))
    except OSError as error:
        raise ValueError(f"Port {port} on 127.0.0.1 is in use or not allowed ({error.strerror}); "
                         "pass --port with a free port, or --port 0 for any free one.") from None


def serve_in_thread(server: ThreadingHTTPServer) -> threading.Thread:
    """Run `server` in a daemon thread (for tests and benchmarks); stop it with server.shutdown()."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread


def url_of(server: ThreadingHTTPServer) -> str:
    """http://127.0.0.1:PORT/ of a running server."""
    return f"http://127.0.0.1:{server.server_address[1]}/"


# ------------------------------------------------------------------------------------------- a real browser
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")  # Debian's packages


def chromium_driver(width: int = 1200, height: int = 1000) -> Any:
    """Debian's headless Chromium driven by Selenium (the browser test and the benchmark), console logs kept.

    Raises RuntimeError naming what is missing: selenium (the `test` extra), /usr/bin/chromium and
    /usr/bin/chromedriver (`apt-get install -y chromium chromium-driver`), or why the browser did not start.
    No browser is downloaded.
    """
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        raise RuntimeError("selenium is not installed (pip install -e '.[test]')") from None
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        raise RuntimeError(f"{CHROMIUM} or {CHROMEDRIVER} is missing (as root: apt-get install -y chromium "
                           "chromium-driver; `make test` tries)")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 f"--window-size={width},{height}", "--force-device-scale-factor=1"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    except Exception as error:  # noqa: BLE001 - whatever stops the browser, the caller gets one line
        raise RuntimeError(f"headless chromium did not start: {str(error).strip().splitlines()[0]}") from None


def wait_ready(driver: Any, url: str, timeout: float = 20.0) -> None:
    """Open `url` and wait until the page has drawn every view (window.depthlabExplore.ready)."""
    driver.get(url)
    deadline = time.perf_counter() + timeout
    while not driver.execute_script("return !!(window.depthlabExplore && window.depthlabExplore.ready)"):
        if time.perf_counter() > deadline:
            raise RuntimeError(f"the explore page at {url} did not become ready in {timeout:.0f} s")
        time.sleep(0.05)


# ------------------------------------------------------------------------------------------- the command
def command(out: str | Path, serve: bool, port: int | None, widths: str | Sequence[int], seed: int) -> int:
    """`depthlab explore`: write the static page to `out`, or serve it on 127.0.0.1:`port` until Ctrl-C.

    Bad input (widths, seed, a port in use) raises a one-line ValueError before anything is written.
    """
    widths, seed = check_widths_2d(widths), check_seed(seed)
    if not serve:
        if port is not None:
            raise ValueError("--port applies with --serve; pass --serve --port P, or --out FILE.html alone.")
        path = write_page(out, widths, seed)
        print(f"explore: {path.resolve()} ({path.stat().st_size / 1e6:.2f} MB; open it in a browser, "
              "no network needed; other 2-D widths and seeds need --serve)")
        return 0
    server = make_server(DEFAULT_PORT if port is None else port, widths, seed)
    print(f"explore: serving {url_of(server)} (127.0.0.1 only; Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("explore: stopped.")
    finally:
        server.server_close()
    return 0
