"""depthlab.data: IDX reading and validation, file search, offline errors, download checks, data sets, transforms."""

from __future__ import annotations

import gzip
import hashlib
import io
import random
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from depthlab import data
from depthlab.data import (
    DataNotFoundError,
    binarize,
    find_data_file,
    first_n,
    labels_mod,
    load_dataset,
    load_fashion_mnist,
    load_mnist,
    map_labels,
    random_labels,
    read_idx,
    standardize,
    subset_classes,
)

# Published class counts of the MNIST t10k labels (LeCun et al.'s test set).
MNIST_T10K_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """No network, no DEPTHLAB_DATA, and an empty cache directory under tmp_path."""
    monkeypatch.setenv("DEPTHLAB_OFFLINE", "1")
    monkeypatch.delenv("DEPTHLAB_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def idx_bytes(array: np.ndarray) -> bytes:
    """The IDX encoding of a uint8 array (magic 0x0000080<ndim>, big-endian dims, payload)."""
    header = (0x0800 + array.ndim).to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_pair(folder: Path, split: str, n: int, seed: int = 0, gz: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Write a small images/labels IDX pair of one split into folder; return the arrays."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    folder.mkdir(parents=True, exist_ok=True)
    prefix = "train" if split == "train" else "t10k"
    for name, array in ((f"{prefix}-images-idx3-ubyte", images), (f"{prefix}-labels-idx1-ubyte", labels)):
        payload = idx_bytes(array)
        if gz:
            (folder / (name + ".gz")).write_bytes(gzip.compress(payload))
        else:
            (folder / name).write_bytes(payload)
    return images, labels


# ---------------------------------------------------------------------------------------------- real files


def test_mnist_t10k_real_files(data_dir):
    images, labels = load_mnist(data_dir, split="test")
    assert images.shape == (10_000, 28, 28) and images.dtype == torch.uint8
    assert labels.dtype == torch.int64
    assert torch.bincount(labels, minlength=10).tolist() == MNIST_T10K_COUNTS
    assert int(images.max()) == 255 and int(images.min()) == 0


def test_fashion_train_real_files(data_dir):
    images, labels = load_fashion_mnist(data_dir, split="train")
    assert images.shape == (60_000, 28, 28)
    assert torch.bincount(labels, minlength=10).tolist() == [6000] * 10


def test_mnist_dataset_splits_t10k_when_train_missing(data_dir):
    ds = load_dataset("mnist", data_dir)
    assert len(ds.y) + len(ds.y_test) == 10_000
    assert ds.x.shape == (len(ds.y), 784) and ds.x.dtype == torch.float64 and ds.y.dtype == torch.int64
    assert 0.0 <= float(ds.x.min()) and float(ds.x.max()) == 1.0
    assert any("t10k" in note for note in ds.notes) and "t10k" in ds.source
    images, labels = load_mnist(data_dir)
    assert torch.equal(ds.x[0], images[0].reshape(-1).double() / 255)  # first part of t10k, in order
    assert torch.equal(ds.y_test, labels[len(ds.y) :])
    small = load_dataset("mnist", data_dir, n_train=300, n_test=200)
    assert small.x.shape == (300, 784) and small.x_test.shape == (200, 784)
    assert torch.equal(small.y, labels[:300]) and torch.equal(small.y_test, labels[300:500])
    assert "10,000" not in small.describe() and "300 training" in small.describe()


def test_fashion_dataset_uses_train_and_t10k(data_dir):
    ds = load_dataset("fashion-mnist", data_dir, n_train=1000, n_test=500)
    assert ds.x.shape == (1000, 784) and ds.x_test.shape == (500, 784)
    assert ds.notes == () and "train split" in ds.source
    _, test_labels = load_fashion_mnist(data_dir, split="test")
    assert torch.equal(ds.y_test, test_labels[:500])


def test_raw_and_gz_real_file_equal(data_dir, tmp_path):
    source = data_dir / "mnist" / "t10k-labels-idx1-ubyte.gz"
    raw = tmp_path / "t10k-labels-idx1-ubyte"
    raw.write_bytes(gzip.decompress(source.read_bytes()))
    assert np.array_equal(read_idx(source), read_idx(raw))


# ---------------------------------------------------------------------------------------------- IDX validation


def test_raw_and_gz_read_the_same(tmp_path):
    images, labels = write_pair(tmp_path / "gz", "test", 7)
    write_pair(tmp_path / "raw", "test", 7, gz=False)
    gz_images = read_idx(tmp_path / "gz" / "t10k-images-idx3-ubyte.gz")
    raw_images = read_idx(tmp_path / "raw" / "t10k-images-idx3-ubyte")
    assert np.array_equal(gz_images, images) and np.array_equal(raw_images, images)
    assert np.array_equal(read_idx(tmp_path / "raw" / "t10k-labels-idx1-ubyte"), labels)


def test_gzip_detected_by_magic_bytes_not_name(tmp_path):
    labels = np.arange(10, dtype=np.uint8)
    path = tmp_path / "labels-without-gz-suffix"
    path.write_bytes(gzip.compress(idx_bytes(labels)))
    assert np.array_equal(read_idx(path), labels)


def test_truncated_gz_is_a_clear_error(tmp_path):
    write_pair(tmp_path, "test", 5)
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(ValueError, match="corrupt or truncated.*delete it and re-download") as info:
        read_idx(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("damage", ["flip middle bytes", "bad crc", "not gzip after the magic"])
def test_corrupted_gz_bytes_are_a_clear_error(tmp_path, damage):
    write_pair(tmp_path, "test", 50)
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    raw = bytearray(path.read_bytes())
    if damage == "flip middle bytes":  # zlib "invalid distance" / "invalid code" territory
        for i in range(20, min(len(raw) - 10, 60)):
            raw[i] ^= 0xFF
    elif damage == "bad crc":
        raw[-8] ^= 0xFF
    else:
        raw[2:] = b"this is not a deflate stream at all" * 4
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="corrupt or truncated") as info:
        read_idx(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_corrupted_gz_through_the_cli_is_exit_2_without_a_run_folder(tmp_path, capsys):
    from depthlab.lab.cli import main

    write_pair(tmp_path / "data" / "mnist", "test", 50)
    path = tmp_path / "data" / "mnist" / "t10k-images-idx3-ubyte.gz"
    raw = bytearray(path.read_bytes())
    for i in range(20, 60):
        raw[i] ^= 0xFF
    path.write_bytes(bytes(raw))
    argv = ["run", "mnist-entropy", "--quick", "--data-dir", str(tmp_path / "data"), "--out", str(tmp_path / "runs")]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "corrupt or truncated" in err[0]
    assert not list((tmp_path / "runs").rglob("metrics.json"))


def test_bad_magic_is_a_clear_error(tmp_path):
    path = tmp_path / "bad"
    path.write_bytes(b"\x00\x00\x09\x03" + b"\x00" * 20)
    with pytest.raises(ValueError, match="magic number 0x00000903.*0x00000801.*0x00000803"):
        read_idx(path)


def test_payload_shorter_than_dims_is_a_clear_error(tmp_path):
    path = tmp_path / "short-idx3"
    path.write_bytes(idx_bytes(np.zeros((3, 28, 28), dtype=np.uint8))[:-1])
    with pytest.raises(ValueError, match=r"2351 payload bytes but its dims \[3, 28, 28\] need 2352"):
        read_idx(path)


def test_header_truncated(tmp_path):
    path = tmp_path / "tiny"
    path.write_bytes(b"\x00\x00\x08\x03\x00\x00")
    with pytest.raises(ValueError, match="truncated inside its header"):
        read_idx(path)


def test_image_and_label_counts_must_match(tmp_path):
    write_pair(tmp_path / "mnist", "test", 6)
    labels = np.zeros(5, dtype=np.uint8)
    (tmp_path / "mnist" / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(labels)))
    with pytest.raises(ValueError, match="disagree: 6 images but 5 labels"):
        load_mnist(tmp_path)


def test_labels_file_in_images_place_is_rejected(tmp_path):
    folder = tmp_path / "mnist"
    write_pair(folder, "test", 4)
    shutil.copy(folder / "t10k-labels-idx1-ubyte.gz", folder / "t10k-images-idx3-ubyte.gz")
    with pytest.raises(ValueError, match="has 1 dims, expected 3"):
        load_mnist(tmp_path)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 255), min_size=0, max_size=30), st.integers(1, 3))
def test_idx_round_trip(values, n_dims):
    array = np.array(values, dtype=np.uint8).reshape([len(values)] + [1] * (n_dims - 1))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "x"
        path.write_bytes(idx_bytes(array))
        assert np.array_equal(read_idx(path), array)


# ---------------------------------------------------------------------------------------------- search order


def test_search_order_and_both_layouts(tmp_path, monkeypatch):
    explicit, env, cache = tmp_path / "explicit", tmp_path / "env", tmp_path / "cache" / "depthlab"
    write_pair(cache / "mnist", "test", 3, seed=3)  # <cache>/<dataset>/ layout
    write_pair(env, "test", 4, seed=4, gz=False)  # <dir>/ layout, raw files
    write_pair(explicit / "mnist", "test", 5, seed=5)
    assert len(load_mnist()[1]) == 3  # only the cache
    monkeypatch.setenv("DEPTHLAB_DATA", str(env))
    assert len(load_mnist()[1]) == 4  # DEPTHLAB_DATA before the cache
    assert len(load_mnist(explicit)[1]) == 5  # data_dir before both
    assert find_data_file("mnist", "t10k-labels-idx1-ubyte.gz", explicit).name == "t10k-labels-idx1-ubyte.gz"
    assert find_data_file("mnist", "t10k-labels-idx1-ubyte").parent == env


def test_missing_offline_names_the_three_ways(tmp_path):
    with pytest.raises(DataNotFoundError) as info:
        load_mnist(tmp_path / "nowhere", split="train")
    message = str(info.value)
    assert "\n" not in message and isinstance(info.value, ValueError)
    for way in ("--data-dir", "data_dir=", "DEPTHLAB_DATA", str(tmp_path / "cache" / "depthlab"), "DEPTHLAB_OFFLINE"):
        assert way in message
    assert "train-images-idx3-ubyte" in message


def test_missing_dataset_is_skippable_by_experiments(tmp_path):
    with pytest.raises(DataNotFoundError):
        load_dataset("fashion-mnist", tmp_path)


def test_t10k_only_is_split_without_download(tmp_path, monkeypatch):
    monkeypatch.delenv("DEPTHLAB_OFFLINE")
    monkeypatch.setattr(data.urllib.request, "urlopen", _no_network)
    write_pair(tmp_path / "fashion-mnist", "test", 20)
    ds = load_dataset("fashion-mnist", tmp_path, n_train=15)
    assert (len(ds.y), len(ds.y_test)) == (15, 5)
    with pytest.raises(ValueError, match="'n_train' parameter must leave held-out examples"):
        load_dataset("fashion-mnist", tmp_path, n_train=20)


def _no_network(*args, **kwargs):
    raise AssertionError("the test tried to use the network")


class _FakeResponse(io.BytesIO):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def test_download_checks_md5_and_writes_atomically(tmp_path, monkeypatch):
    monkeypatch.delenv("DEPTHLAB_OFFLINE")
    labels = np.arange(10, dtype=np.uint8)
    good = gzip.compress(idx_bytes(labels))
    calls = []

    def fake_urlopen(url, timeout):
        calls.append((url, timeout))
        return _FakeResponse(b"tampered" if "ossci" in url else good)

    monkeypatch.setattr(data.urllib.request, "urlopen", fake_urlopen)
    monkeypatch.setitem(data.MD5["mnist"], "t10k-labels-idx1-ubyte.gz", hashlib.md5(good).hexdigest())
    path = find_data_file("mnist", "t10k-labels-idx1-ubyte")
    assert len(calls) == 2 and all(timeout <= 60 for _, timeout in calls)  # first mirror failed its md5
    assert path == tmp_path / "cache" / "depthlab" / "mnist" / "t10k-labels-idx1-ubyte.gz"
    assert np.array_equal(read_idx(path), labels)
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left behind


def test_download_failure_is_data_not_found(tmp_path, monkeypatch):
    monkeypatch.delenv("DEPTHLAB_OFFLINE")
    monkeypatch.setattr(data.urllib.request, "urlopen", lambda url, timeout: _FakeResponse(b"junk"))
    with pytest.raises(DataNotFoundError, match="download failed.*md5"):
        find_data_file("fashion-mnist", "t10k-labels-idx1-ubyte")
    assert not list((tmp_path / "cache" / "depthlab" / "fashion-mnist").iterdir())


def test_offline_never_calls_the_network(tmp_path, monkeypatch):
    monkeypatch.setattr(data.urllib.request, "urlopen", _no_network)
    with pytest.raises(DataNotFoundError):
        find_data_file("mnist", "t10k-images-idx3-ubyte", tmp_path)


# ---------------------------------------------------------------------------------------------- generated data


def test_mnist1d_deterministic_and_restores_global_state():
    np.random.seed(123)
    random.seed(123)
    expected_np, expected_py = np.random.random(), random.random()
    np.random.seed(123)
    random.seed(123)
    first = load_dataset("mnist1d", n_train=60, n_test=20, seed=5)
    assert (np.random.random(), random.random()) == (expected_np, expected_py)
    again = load_dataset("mnist1d", n_train=60, n_test=20, seed=5)
    other = load_dataset("mnist1d", n_train=60, n_test=20, seed=6)
    assert torch.equal(first.x, again.x) and torch.equal(first.y_test, again.y_test)
    assert not torch.equal(first.x, other.x)
    assert first.x.shape == (60, 40) and first.x_test.shape == (20, 40) and first.x.dtype == torch.float64
    assert set(first.y.tolist()) <= set(range(10)) and first.n_classes == 10
    assert "make_dataset" in first.source and "seed 5" in first.source


def test_mnist1d_any_size():
    ds = load_dataset("mnist1d", n_train=7, n_test=3, seed=0)
    assert (len(ds.y), len(ds.y_test)) == (7, 3)


def test_digits_split_by_seed():
    a = load_dataset("digits", seed=0)
    b = load_dataset("digits", seed=1)
    assert len(a.y) + len(a.y_test) == 1797 and a.x.shape[1] == 64
    assert 0.0 <= float(a.x.min()) and float(a.x.max()) == 1.0
    assert not torch.equal(a.y, b.y)
    assert torch.equal(a.x, load_dataset("digits", seed=0).x)
    both = torch.cat([a.x, a.x_test])
    assert len(torch.unique(both, dim=0)) == len(torch.unique(torch.cat([b.x, b.x_test]), dim=0))
    with pytest.raises(ValueError, match="sum to at most 1797"):
        load_dataset("digits", n_train=1500, n_test=400)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"name": "cifar"}, "'name' parameter must be one of"),
        ({"name": "digits", "n_train": 0}, "'n_train' parameter must be None or an int >= 1. Got 0"),
        ({"name": "digits", "n_test": 2.5}, "'n_test' parameter must be None or an int >= 1. Got 2.5"),
        ({"name": "digits", "seed": -1}, "'seed' parameter must be an int >= 0. Got -1"),
    ],
)
def test_load_dataset_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        load_dataset(**kwargs)


def test_bad_split():
    with pytest.raises(ValueError, match="'split' parameter must be 'train' or 'test'. Got 'val'"):
        load_mnist(split="val")


# ---------------------------------------------------------------------------------------------- transforms


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits", n_train=400, n_test=200, seed=0)


def test_random_labels_deterministic_and_resampled(digits):
    a, b, c = random_labels(digits, seed=1), random_labels(digits, seed=1), random_labels(digits, seed=2)
    assert torch.equal(a.y, b.y) and torch.equal(a.y_test, b.y_test) and not torch.equal(a.y, c.y)
    assert torch.equal(a.x, digits.x)
    # independent draws, not a permutation of the true labels: the class counts change
    assert not torch.equal(torch.bincount(a.y, minlength=10), torch.bincount(digits.y, minlength=10))
    agreement = float((a.y == digits.y).double().mean())
    assert 0.02 < agreement < 0.2  # about 1/10 by chance
    assert any("random labels" in n for n in a.notes)


def test_labels_mod(digits):
    ds = labels_mod(digits, 3)
    assert ds.n_classes == 3 and torch.equal(ds.y, digits.y % 3) and torch.equal(ds.y_test, digits.y_test % 3)
    with pytest.raises(ValueError, match="'k' parameter must be an int in 2..10. Got 1"):
        labels_mod(digits, 1)


def test_map_labels(digits):
    ds = map_labels(digits, {c: int(c >= 5) for c in range(10)}, 2)
    assert torch.equal(ds.y, (digits.y >= 5).long()) and ds.n_classes == 2
    with pytest.raises(ValueError, match="'fn_or_mapping' parameter must map labels into 0..1"):
        map_labels(digits, lambda c: c, 2)


def test_subset_classes(digits):
    ds = subset_classes(digits, [7, 1])
    keep = (digits.y == 7) | (digits.y == 1)
    assert torch.equal(ds.x, digits.x[keep]) and ds.n_classes == 2
    assert torch.equal(ds.y, (digits.y[keep] == 1).long())  # 7 -> 0, 1 -> 1
    assert set(ds.y_test.tolist()) == {0, 1}
    with pytest.raises(ValueError, match="'classes' parameter must be distinct labels in 0..9"):
        subset_classes(digits, [1, 1])


def test_binarize(digits):
    ds = binarize(digits, 0.5)
    assert set(torch.unique(ds.x).tolist()) == {0.0, 1.0}
    assert torch.equal(ds.x.bool(), digits.x > 0.5) and torch.equal(ds.x_test.bool(), digits.x_test > 0.5)


def test_standardize_uses_training_statistics(digits):
    ds = standardize(digits)
    varying = digits.x.std(dim=0) > 0
    assert torch.allclose(ds.x.mean(dim=0), torch.zeros(64, dtype=torch.float64), atol=1e-12)
    assert torch.allclose(ds.x.std(dim=0)[varying], torch.ones(int(varying.sum()), dtype=torch.float64))
    assert not torch.allclose(ds.x_test.mean(dim=0), torch.zeros(64, dtype=torch.float64), atol=1e-3)
    assert torch.isfinite(ds.x).all() and torch.isfinite(ds.x_test).all()


def test_first_n(digits):
    ds = first_n(digits, 10, 5)
    assert torch.equal(ds.x, digits.x[:10]) and torch.equal(ds.y_test, digits.y_test[:5])
    assert len(first_n(digits, 10).y_test) == len(digits.y_test)
    with pytest.raises(ValueError, match="'n_train' parameter must be at most 400 for digits. Got 401"):
        first_n(digits, 401)


def test_describe_is_one_line(digits):
    text = digits.describe()
    assert "\n" not in text and "400 training" in text and "200 held-out" in text and "64 features" in text


def test_mnist1d_takes_any_derived_seed():
    from depthlab.seeds import derive_seed

    seed = derive_seed(0, "data")
    assert seed >= 2**32
    a, b = load_dataset("mnist1d", n_train=20, n_test=10, seed=seed), load_dataset("mnist1d", n_train=20, n_test=10,
                                                                                  seed=seed % 2**32)
    assert torch.equal(a.x, b.x)


def test_load_dataset_once_shares_one_load_per_data_location(tmp_path, monkeypatch):
    from depthlab.data import load_dataset_once

    first = load_dataset_once("digits", n_train=100, n_test=50, seed=1)
    assert load_dataset_once("digits", n_train=100, n_test=50, seed=1) is first
    assert load_dataset_once("digits", n_train=100, n_test=50, seed=2) is not first  # other arguments, other load
    monkeypatch.setenv("DEPTHLAB_DATA", str(tmp_path))  # another data location: loaded again, never a stale copy
    again = load_dataset_once("digits", n_train=100, n_test=50, seed=1)
    assert again is not first and torch.equal(again.x, first.x)
