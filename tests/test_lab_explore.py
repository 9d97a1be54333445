"""`depthlab explore`: the page's data against the library, the server, bad input, and the page in a real browser.

The browser test drives Debian's headless Chromium (/usr/bin/chromium, /usr/bin/chromedriver; `make test`
installs them with apt when it runs as root) through Selenium (the `test` extra) and is skipped, with the
reason, where either is missing. It checks the page the way a user sees it: no console errors, the counts
shown equal the library's, sliders change plot and counts as the library predicts, hover shows the
library's pattern and the net's own affine map, and the served page recomputes a partition.
"""

from __future__ import annotations

import base64
import json
import re
import socket
import urllib.error
import urllib.request

import numpy as np
import pytest
import torch

from depthlab import Network
from depthlab.construct import compose, folding_net, sawtooth, shallow_sawtooth, zigzag_net
from depthlab.construct.sawtooth import sawtooth_values
from depthlab.lab import explore
from depthlab.lab.cli import main
from depthlab.regions import count_regions_1d, partition_2d
from depthlab.seeds import derive_seed

SQUARE = explore.DOMAIN_SIZE * np.array([[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]])


# ------------------------------------------------------------------------------------------- without a browser
@pytest.mark.parametrize("widths, message", [
    ("3,16,1", "The 2-D view needs a net with 2 inputs; 3-16-1 has 3"),
    ("2,256,256,1", "too large for an interactive partition: the limit is at most 8 hidden layers and 128 hidden"),
    ("2," + ",".join(["4"] * 9) + ",1", "(9 hidden layers, 36 hidden units) is too large"),
    ("2,1", "needs at least one hidden layer"),
    ("2,a,1", "must list ints >= 1 like 2,32,32,32,1"),
    ("2,0,1", "must list ints >= 1"),
])
def test_bad_widths_are_one_line_and_exit_2(widths, message, tmp_path, capsys):
    out = tmp_path / "page.html"
    assert main(["explore", "--out", str(out), "--widths", widths]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
    assert not out.exists() and not list(tmp_path.iterdir())


def test_port_in_use_is_one_line_and_exit_2(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["explore", "--serve", "--port", str(port), "--widths", "2,4,1"]) == 2
    err = capsys.readouterr().err.strip()
    assert f"Port {port} on 127.0.0.1 is in use" in err and "--port 0" in err and len(err.splitlines()) == 1


def test_port_without_serve_bad_port_and_bad_seed_are_refused(tmp_path, capsys):
    assert main(["explore", "--out", str(tmp_path / "p.html"), "--port", "9000"]) == 2
    assert main(["explore", "--serve", "--port", "70000"]) == 2
    assert main(["explore", "--out", str(tmp_path / "p.html"), "--seed", "-1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert "--port applies with --serve" in err[0] and "must be an int in [0, 65535]. Got 70000" in err[1]
    assert "The 'seed' parameter of explore must be an int >= 0. Got -1." in err[2] and len(err) == 3
    assert not list(tmp_path.iterdir())


def test_encoded_partition_decodes_to_the_library_partition():
    net = explore.random_net_2d([2, 8, 8, 1], seed=3)
    part = partition_2d(net, SQUARE)
    data = explore.encode_partition(part)
    counts = np.frombuffer(base64.b64decode(data["counts"]), "<u2")
    q = np.frombuffer(base64.b64decode(data["xy"]), "<u2").reshape(-1, 2)
    bits = np.unpackbits(np.frombuffer(base64.b64decode(data["patterns"]), "u1").reshape(part.n_regions, -1), axis=1)
    assert data["n_regions"] == part.n_regions and (counts == np.diff(part.starts)).all()
    xy = -explore.DOMAIN_SIZE + q / 65535 * 2 * explore.DOMAIN_SIZE
    assert np.abs(xy - part.vertices).max() <= explore.DOMAIN_SIZE / 65535 + 1e-12  # half a quantization step
    assert (bits[:, : data["n_bits"]].astype(bool) == part.patterns.numpy()).all()


def test_layer_partitions_are_the_truncated_nets_and_shared_across_depths():
    entry, partitions = explore.partition_payload([2, 6, 6, 6, 1], seed=1)
    net = explore.random_net_2d([2, 6, 6, 6, 1], seed=1)
    for k, key in enumerate(entry["layers"], start=1):
        patterns = net.patterns(partition_2d(net, SQUARE).to_input(partition_2d(net, SQUARE).interior_points()))
        own = partition_2d(explore.truncated(net, k), SQUARE)
        assert partitions[key]["n_regions"] == own.n_regions
        # every final region lies in one layer-k region: their k-layer pattern prefixes are the layer-k regions
        assert len({row[: 6 * k].numpy().tobytes() for row in patterns}) == own.n_regions
    assert entry["n_regions"] == partition_2d(net, SQUARE).n_regions
    shallower, _ = explore.partition_payload([2, 6, 6, 1], seed=1, partitions=partitions)
    assert shallower["layers"] == entry["layers"][:2]  # same first layers (one generator in sequence): reused
    # a reused partition lists its regions in the order of the shallower net's own (its affine maps' order)
    own = partition_2d(explore.random_net_2d([2, 6, 6, 1], seed=1), SQUARE)
    reused = partitions[shallower["layers"][-1]]
    bits = np.unpackbits(np.frombuffer(base64.b64decode(reused["patterns"]), "u1").reshape(own.n_regions, -1), axis=1)
    assert (bits[:, :12].astype(bool) == own.patterns.numpy()).all()


@pytest.mark.parametrize("k", range(1, 11))
def test_shallow_budget_net_has_the_deep_nets_parameters(k):
    budget, deep = explore.shallow_budget_net(k), sawtooth(k)
    assert budget.n_params == deep.n_params == 6 * k + 1 and budget.depth == 1
    x = torch.linspace(0, (2 * k - 1) / 2**k if 2**k > 2 * k else 1.0, 257, dtype=torch.float64)[:, None]
    assert torch.allclose(budget(x), sawtooth_values(k, x).reshape(-1, 1), atol=1e-12)
    assert count_regions_1d(budget, 0.0, 1.0).n_pieces == min(2 * k, 2**k) <= 2 * k + 1


def test_static_page_is_self_contained_and_small(tmp_path, capsys):
    out = tmp_path / "explore.html"
    assert main(["explore", "--out", str(out)]) == 0
    assert str(out.resolve()) in capsys.readouterr().out
    page = out.read_text()
    assert out.stat().st_size < 5_000_000
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)  # nothing fetched from elsewhere
    assert "<script src" not in page and "stylesheet" not in page and "@import" not in page
    data = json.loads(re.search(r'id="explore-data">(.*?)</script>', page, re.S).group(1))
    assert data["served"] is False and data["default_net"] == "2-32-32-32-1 seed 0"
    expected = {explore.net_name([2, *(w,) * d, 1], 0) for w in explore.PRESET_WIDTHS for d in explore.PRESET_DEPTHS}
    assert expected <= set(data["nets"])


def test_server_page_and_partition_api():
    server = explore.make_server(0, widths=[2, 4, 4, 1], seed=0)
    explore.serve_in_thread(server)
    try:
        url = explore.url_of(server)
        with urllib.request.urlopen(url) as response:
            page = response.read().decode()
        assert '"served":true' in page
        with urllib.request.urlopen(url + "api/partition?widths=2,8,8,1&seed=3") as response:
            body = json.loads(response.read())
        net = explore.random_net_2d([2, 8, 8, 1], 3)
        assert body["name"] == "2-8-8-1 seed 3" and body["net"]["n_regions"] == partition_2d(net, SQUARE).n_regions
        with pytest.raises(urllib.error.HTTPError) as bad:
            urllib.request.urlopen(url + "api/partition?widths=3,8,1")
        with bad.value:
            assert bad.value.code == 400 and "needs a net with 2 inputs" in json.loads(bad.value.read())["error"]
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(url + "nothing")
        with missing.value:
            assert missing.value.code == 404
    finally:
        server.shutdown()
        server.server_close()


# ------------------------------------------------------------------------------------------- in a real browser
@pytest.fixture(scope="module")
def browser():
    try:
        driver = explore.chromium_driver()
    except RuntimeError as reason:
        pytest.skip(str(reason))
    yield driver
    driver.quit()


def _errors(driver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def _net(record: dict) -> Network:
    weights = tuple(torch.tensor(w, dtype=torch.float64) for w in record["weights"])
    return Network(weights, tuple(torch.tensor(b, dtype=torch.float64) for b in record["biases"]))


def _page_counts(driver, which: str) -> tuple[int, int]:
    element = driver.find_element("id", f"count-{which}")
    return int(element.get_attribute("data-regions")), int(element.get_attribute("data-pieces"))


def _canvas(driver, name: str) -> str:
    return driver.execute_script(f"return document.getElementById('{name}').toDataURL()")


def _check_1d(driver) -> None:
    """Default counts, then a slider drag: page counts and breakpoints equal the library's for the new nets."""
    expected = {"net1": count_regions_1d(zigzag_net(3), 0.0, 1.0), "net2": count_regions_1d(zigzag_net(3), 0.0, 1.0),
                "composed": count_regions_1d(compose(zigzag_net(3), zigzag_net(3)), 0.0, 1.0)}
    for which, regions in expected.items():
        assert _page_counts(driver, which) == (regions.n_regions, regions.n_pieces), which
    assert expected["composed"].n_pieces == 9  # the lecture's folding: 3 x 3
    before = _canvas(driver, "plot-composed")
    slider = driver.find_element("id", "slider-net1-b0_0")  # theta_10: moves net1's first kink into [0, 1]
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(driver).click_and_hold(slider).move_by_offset(25, 0).release().perform()
    state = driver.execute_script("const o = window.depthlabExplore.oneD; return {nets: o.nets, "
                                  "range: [o.results.net2.a, o.results.net2.b], t: o.results.composed.t}")
    net1, net2 = _net(state["nets"]["net1"]), _net(state["nets"]["net2"])
    assert float(net1.biases[0][0]) > 0  # the drag moved theta_10
    library = {"net1": count_regions_1d(net1, 0.0, 1.0), "net2": count_regions_1d(net2, *state["range"]),
               "composed": count_regions_1d(compose(net1, net2), 0.0, 1.0)}
    for which, regions in library.items():
        assert _page_counts(driver, which) == (regions.n_regions, regions.n_pieces), which
    assert library["composed"].n_regions != expected["composed"].n_regions  # the count did change
    assert np.allclose(state["t"], library["composed"].t.numpy(), rtol=0, atol=1e-12)
    assert _canvas(driver, "plot-composed") != before


def _check_port(driver) -> None:
    """The page's 1-D engine (JavaScript) against count_regions_1d on random nets of three activations, random
    segments, and constructions whose kinks sit exactly on earlier folds: same regions, pieces and breakpoints."""
    zigzags = zigzag_net(3)
    for _ in range(5):
        zigzags = compose(zigzags, zigzag_net(3))  # folds at multiples of 3^-6 that float64 cannot hold: touching
    far = 1e8 + 8 * float(np.spacing(1e8))
    cases = [(zigzags, 0.0, 1.0), (compose(zigzag_net(5), zigzag_net(7)), 0.1, 0.9), (sawtooth(8), 0.0, 1.0),
             (folding_net(3, 4), 0.0, 1.0), (shallow_sawtooth(6), -0.5, 1.5),
             (_one_layer_net([1.0, 1.0], [0.0, -1e-7]), -1e5, 1e5),  # kinks 5e-13 apart in t stay apart
             (_one_layer_net([1.0, 1.0], [0.0, 0.0]), -1e5, 1e5),  # the same kink twice
             (_one_layer_net([1.0], [-far]), 1e8, 1e8 + 1e-5),  # a crossing 8 ulps inside a far segment
             (_one_layer_net([1.0], [-1e8]), 1e8, 1e8 + 1e-5),  # a kink exactly at the start: touching
             (_cancelling_net(), -5.0, 5.0)]
    generator = np.random.default_rng(derive_seed(0, "explore-port"))
    for i in range(36):
        hidden = [int(w) for w in generator.integers(1, 9, size=generator.integers(1, 5))]
        init = ("normal", 2**0.5, 1.0) if i % 2 else "he_normal"
        act = ("relu", "leaky_relu", "hardtanh")[i % 3]
        net = Network.random([1, *hidden, 1], init=init, seed=derive_seed(0, "explore-port", i), activation=act)
        a = float(generator.normal())
        cases.append((net, a, a + float(generator.uniform(0.1, 6.0))))
    records = [explore.net_record(net) for net, _, _ in cases]
    page = driver.execute_script(
        "const f = window.depthlabExplore.regions1d;"
        "return arguments[0].map((n, i) => { const r = f(n, arguments[1][i][0], arguments[1][i][1]);"
        "return {t: r.t, regions: r.nRegions, pieces: r.nPieces, slopes: r.slopes}; });",
        records, [[a, b] for _, a, b in cases])
    for (net, a, b), got in zip(cases, page):
        want = count_regions_1d(net, a, b)
        assert (got["regions"], got["pieces"]) == (want.n_regions, want.n_pieces), net
        assert np.allclose(got["t"], want.t.numpy(), rtol=0, atol=1e-12), net
        assert np.allclose(got["slopes"], want.slopes.numpy(), rtol=1e-9, atol=1e-12), net
    assert sum(want.n_regions for want in (count_regions_1d(n, a, b) for n, a, b in cases)) > 3 * len(cases)


def _one_layer_net(weights: list[float], biases: list[float]) -> Network:
    w = torch.tensor(weights, dtype=torch.float64).reshape(-1, 1)  # (D, 1)
    b = torch.tensor(biases, dtype=torch.float64)
    return Network((w, torch.ones(1, w.shape[0], dtype=torch.float64)), (b, torch.zeros(1, dtype=torch.float64)))


def _cancelling_net() -> Network:
    """h2 = relu(h1_a - h1_b) with h1_a == h1_b: a second-layer unit on its kink over the whole segment."""
    w = torch.tensor([[0.3], [0.3], [-0.7]], dtype=torch.float64)
    b = torch.tensor([0.1, 0.1, 0.2], dtype=torch.float64)
    w2 = torch.tensor([[1.0, -1.0, 0.0], [0.0, 0.0, 1.0]], dtype=torch.float64)
    return Network((w, w2, torch.ones(1, 2, dtype=torch.float64)),
                   (b, torch.zeros(2, dtype=torch.float64), torch.zeros(1, dtype=torch.float64)))


def _pixel_of(driver, point: np.ndarray) -> tuple[int, int]:
    """Offsets from the canvas centre of a domain point (Selenium moves relative to the element's centre)."""
    width, height = driver.execute_script("const c = document.getElementById('canvas-2d').getBoundingClientRect();"
                                          "return [c.width, c.height]")
    size = 2 * explore.DOMAIN_SIZE
    return round(point[0] / size * width), round(-point[1] / size * height)


def _check_2d(driver) -> None:
    """region-count for the default net and after the layer slider moves; hover shows the library's pattern."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    net = explore.random_net_2d(explore.DEFAULT_WIDTHS, 0)
    count = driver.find_element("id", "region-count")
    assert int(count.text) == partition_2d(net, SQUARE).n_regions
    before = _canvas(driver, "canvas-2d")
    driver.find_element("id", "layer-slider").send_keys(Keys.ARROW_LEFT)
    layer2 = partition_2d(explore.truncated(net, 2), SQUARE)
    assert int(count.text) == layer2.n_regions < partition_2d(net, SQUARE).n_regions
    assert _canvas(driver, "canvas-2d") != before
    point = layer2.interior_points()[int(np.argmax(layer2.areas))]  # deep inside the largest layer-2 region
    canvas = driver.find_element("id", "canvas-2d")
    ActionChains(driver).move_to_element_with_offset(canvas, *_pixel_of(driver, point)).perform()
    info = driver.find_element("id", "hover-info")
    x = torch.tensor([[float(info.get_attribute("data-x")), float(info.get_attribute("data-y"))]], dtype=torch.float64)
    assert np.abs(x.numpy()[0] - point).max() < 0.05
    assert info.get_attribute("data-pattern") == "".join("1" if v else "0" for v in net.patterns(x)[0, :64].tolist())
    x_grad = x.clone().requires_grad_(True)
    (gradient,) = torch.autograd.grad(net(x_grad)[0, 0], x_grad)  # the net's own slope at the point
    offset, s1, s2 = json.loads(info.get_attribute("data-affine"))[0]
    assert np.allclose([s1, s2], gradient[0].numpy(), rtol=1e-9, atol=1e-12)
    y = float(net(x)[0, 0])
    assert np.isclose(offset + s1 * float(x[0, 0]) + s2 * float(x[0, 1]), y, rtol=1e-9, atol=1e-12)


def _check_deep(driver) -> None:
    """Counts for k = 4 and, after the k slider moves, for k = 5, as the library counts them."""
    from selenium.webdriver.common.keys import Keys

    for k in (4, 5):
        nets = {"deep": sawtooth(k), "budget": explore.shallow_budget_net(k), "same": shallow_sawtooth(k)}
        for which, net in nets.items():
            regions = count_regions_1d(net, 0.0, 1.0)
            assert _page_counts(driver, which) == (regions.n_regions, regions.n_pieces), (k, which)
        assert _page_counts(driver, "deep")[1] == 2**k
        driver.find_element("id", "k-slider").send_keys(Keys.ARROW_RIGHT)


@pytest.mark.slow
def test_page_in_a_real_browser(browser, tmp_path, capsys):
    out = tmp_path / "explore"  # the --out folder: the page and a screenshot of each view
    assert main(["explore", "--out", str(out / "explore.html")]) == 0
    explore.wait_ready(browser, (out / "explore.html").resolve().as_uri())
    assert _errors(browser) == []
    browser.save_screenshot(str(out / "view-1d-folding.png"))
    _check_1d(browser)
    browser.save_screenshot(str(out / "view-1d-after-slider.png"))
    _check_port(browser)
    browser.find_element("id", "tab-2d").click()
    _check_2d(browser)
    browser.save_screenshot(str(out / "view-2d-partition.png"))
    browser.find_element("id", "tab-deep").click()
    _check_deep(browser)
    browser.save_screenshot(str(out / "view-3-deep-vs-shallow.png"))
    assert _errors(browser) == []
    for name in ("view-1d-folding", "view-1d-after-slider", "view-2d-partition", "view-3-deep-vs-shallow"):
        assert (out / f"{name}.png").stat().st_size > 10_000
    print(f"screenshots: {out}")


@pytest.mark.slow
def test_served_page_recomputes_a_partition(browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    server = explore.make_server(0, widths=[2, 8, 8, 1], seed=0)
    explore.serve_in_thread(server)
    try:
        explore.wait_ready(browser, explore.url_of(server))
        browser.find_element("id", "tab-2d").click()
        count = browser.find_element("id", "region-count")
        assert int(count.text) == partition_2d(explore.random_net_2d([2, 8, 8, 1], 0), SQUARE).n_regions
        for widths, seed in (("2,12,12,1", "5"), ("2,20,10,5,1", "2")):
            for name, value in (("widths-2d", widths), ("seed-2d", seed)):
                field = browser.find_element("id", name)
                field.clear()
                field.send_keys(value)
            browser.find_element("id", "compute-2d").click()
            expected = partition_2d(explore.random_net_2d(explore.parse_widths(widths), int(seed)), SQUARE).n_regions
            WebDriverWait(browser, 20).until(lambda d, e=expected: d.find_element(By.ID, "region-count").text == str(e))
        field = browser.find_element("id", "widths-2d")
        field.clear()
        field.send_keys("3,8,1")
        browser.find_element("id", "compute-2d").click()
        shown = lambda d: "needs a net with 2 inputs" in d.find_element(By.ID, "error-2d").text  # noqa: E731
        WebDriverWait(browser, 20).until(shown, "the served page did not show the server's one-line error")
        assert [e for e in _errors(browser) if "/api/partition" not in e] == []  # the 400 itself is logged
    finally:
        server.shutdown()
        server.server_close()

