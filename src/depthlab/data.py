"""Data sets as flat tensors: MNIST, Fashion-MNIST (IDX files), MNIST-1D (generated), digits (scikit-learn).

Files are searched in an explicit ``data_dir``, then ``$DEPTHLAB_DATA``, then the cache directory
(``$XDG_CACHE_HOME/depthlab`` or ``~/.cache/depthlab``), each as ``<dir>/<dataset>/<file>`` or
``<dir>/<file>``. Missing files are downloaded into the cache (md5-checked, atomically) unless
``DEPTHLAB_OFFLINE=1``; otherwise `DataNotFoundError` says how to provide them.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
import random
import tempfile
import urllib.request
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from depthlab.checks import InputError, seeded_generator

DATASETS: tuple[str, ...] = ("mnist", "fashion-mnist", "mnist1d", "digits")

IDX_FILES: dict[str, dict[str, tuple[str, str]]] = {
    "train": {"images": ("train-images-idx3-ubyte", "idx3"), "labels": ("train-labels-idx1-ubyte", "idx1")},
    "test": {"images": ("t10k-images-idx3-ubyte", "idx3"), "labels": ("t10k-labels-idx1-ubyte", "idx1")},
}

MIRRORS: dict[str, tuple[str, ...]] = {
    "mnist": (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ),
    "fashion-mnist": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
}

# md5 of the canonical .gz files as published (the same values torchvision checks).
MD5: dict[str, dict[str, str]] = {
    "mnist": {
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
    },
}

IDX_MAGIC: dict[str, int] = {"idx1": 0x00000801, "idx3": 0x00000803}
IDX_CLASSES = 10  # MNIST and Fashion-MNIST: labels 0-9
DOWNLOAD_TIMEOUT_S = 20.0
FIX = "delete it and re-download, or point --data-dir / DEPTHLAB_DATA at good copies"


class DataNotFoundError(InputError):
    """A data file was not found in any searched directory and could not be downloaded."""


@dataclass(frozen=True)
class Dataset:
    """A classification data set as flat tensors.

    x : (N, D) float64 training inputs; y : (N,) int64 labels.
    x_test : (M, D) float64 held-out inputs; y_test : (M,) int64 labels.
    n_classes : number of classes; source : which files or generator, which split went where.
    notes : caveats (e.g. "train split missing: x is the first part of t10k").
    """

    name: str
    x: torch.Tensor
    y: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    n_classes: int
    source: str
    notes: tuple[str, ...] = ()

    @property
    def n_features(self) -> int:
        """Number of input features D."""
        return int(self.x.shape[1])

    def describe(self) -> str:
        """One line for `Result.data`: name, split, counts, features, classes."""
        return (
            f"{self.name}: {len(self.y):,} training and {len(self.y_test):,} held-out examples, "
            f"{self.n_features} features, {self.n_classes} classes ({self.source})"
        )


# ----------------------------------------------------------------------------------------------- IDX files


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (gzip or raw, detected by the magic bytes) into a uint8 array.

    Parameters
    ----------
    path : file path.

    Returns
    -------
    ndarray of uint8 with the file's dims, e.g. (N, 28, 28) for images, (N,) for labels.

    Raises
    ------
    ValueError : one line naming the file and the problem (bad magic, truncated, corrupt gzip).
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise InputError(f"The IDX file {path} is corrupt or truncated ({reason}); {FIX}.") from None
    if len(raw) < 4:
        raise InputError(f"The IDX file {path} is truncated ({len(raw)} bytes); {FIX}.")
    magic = int.from_bytes(raw[:4], "big")
    if magic >> 8 != 0x08 or (magic & 0xFF) not in (1, 2, 3, 4):
        raise InputError(
            f"The IDX file {path} has magic number 0x{magic:08x}, expected 0x00000801 (labels) or "
            f"0x00000803 (images) for unsigned bytes; {FIX}."
        )
    n_dims = magic & 0xFF
    header = 4 + 4 * n_dims
    if len(raw) < header:
        raise InputError(f"The IDX file {path} is truncated inside its header; {FIX}.")
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(n_dims)]
    expected = int(np.prod(dims))
    if len(raw) - header != expected:
        raise InputError(
            f"The IDX file {path} holds {len(raw) - header} payload bytes but its dims {dims} need {expected}; {FIX}."
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims).copy()


def _check_kind(array: np.ndarray, kind: str, path: Path) -> None:
    want = 1 if kind == "idx1" else 3
    if array.ndim != want:
        raise InputError(
            f"The IDX file {path} has {array.ndim} dims, expected {want} ({'labels' if want == 1 else 'images'}); "
            f"{FIX}."
        )


# ------------------------------------------------------------------------------------------ finding files


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/depthlab`` if set, else ``~/.cache/depthlab``."""
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "depthlab"


def _search_dirs(data_dir: str | Path | None) -> list[Path]:
    dirs = []
    if data_dir is not None:
        dirs.append(Path(data_dir))
    if os.environ.get("DEPTHLAB_DATA"):
        dirs.append(Path(os.environ["DEPTHLAB_DATA"]))
    dirs.append(cache_dir())
    return dirs


def _offline() -> bool:
    return os.environ.get("DEPTHLAB_OFFLINE", "").strip().lower() in ("1", "true", "yes")


def _not_found(dataset: str, filename: str, searched: Sequence[Path], why: str = "") -> DataNotFoundError:
    places = ", ".join(str(d) for d in searched)
    return DataNotFoundError(
        f"Data file {filename}(.gz) for '{dataset}' not found in {places}{why}. Provide it with --data-dir DIR "
        f"(CLI) or data_dir= (library), the DEPTHLAB_DATA environment variable, or the cache directory "
        f"{cache_dir()} (as <dir>/{dataset}/{filename}.gz or <dir>/{filename}.gz); downloads run unless "
        f"DEPTHLAB_OFFLINE=1."
    )


def _locate(dataset: str, filename: str, data_dir: str | Path | None) -> Path | None:
    for directory in _search_dirs(data_dir):
        for folder in (directory / dataset, directory):
            for name in (filename + ".gz", filename):
                if (folder / name).is_file():
                    return folder / name
    return None


def _download(dataset: str, filename: str) -> Path:
    """Download ``filename.gz`` into the cache, md5-verified, via a temp file and rename."""
    gz_name = filename + ".gz"
    target_dir = cache_dir() / dataset
    target_dir.mkdir(parents=True, exist_ok=True)
    errors = []
    for mirror in MIRRORS[dataset]:
        try:
            with urllib.request.urlopen(mirror + gz_name, timeout=DOWNLOAD_TIMEOUT_S) as response:
                payload = response.read()
        except OSError as error:
            errors.append(f"{mirror}: {error}")
            continue
        digest = hashlib.md5(payload).hexdigest()
        if digest != MD5[dataset][gz_name]:
            errors.append(f"{mirror}: md5 {digest} != {MD5[dataset][gz_name]}")
            continue
        handle, temp = tempfile.mkstemp(dir=target_dir, prefix=gz_name, suffix=".part")
        with os.fdopen(handle, "wb") as out:
            out.write(payload)
        os.replace(temp, target_dir / gz_name)
        return target_dir / gz_name
    raise _not_found(dataset, filename, _search_dirs(None), f" and the download failed ({'; '.join(errors)})")


def find_data_file(dataset: str, filename: str, data_dir: str | Path | None = None, download: bool = True) -> Path:
    """Path of a data file, searched in data_dir > $DEPTHLAB_DATA > cache; downloaded if allowed.

    Parameters
    ----------
    dataset : "mnist" or "fashion-mnist" (the sub-folder name).
    filename : IDX file name without ".gz", e.g. "t10k-images-idx3-ubyte" (a trailing ".gz" is accepted).
    data_dir : directory searched first (as <dir>/<dataset>/ and <dir>/).
    download : try the canonical mirrors when missing (never when DEPTHLAB_OFFLINE=1).

    Raises
    ------
    DataNotFoundError : not found and not downloadable.
    """
    filename = filename.removesuffix(".gz")
    found = _locate(dataset, filename, data_dir)
    if found is not None:
        return found
    if download and not _offline() and dataset in MIRRORS:
        return _download(dataset, filename)
    raise _not_found(dataset, filename, _search_dirs(data_dir))


def _load_idx_pair(
    dataset: str, split: str, data_dir: str | Path | None, download: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    if split not in IDX_FILES:
        raise InputError(f"The 'split' parameter must be 'train' or 'test'. Got {split!r} instead.")
    arrays = {}
    for part, (filename, kind) in IDX_FILES[split].items():
        path = find_data_file(dataset, filename, data_dir, download=download)
        arrays[part] = read_idx(path)
        _check_kind(arrays[part], kind, path)
        arrays[part + "_path"] = path
    images, labels = arrays["images"], arrays["labels"]
    if labels.size and int(labels.max()) >= IDX_CLASSES:
        raise InputError(
            f"The IDX file {arrays['labels_path']} holds label {int(labels.max())}, but {dataset} has {IDX_CLASSES} "
            f"classes (0-{IDX_CLASSES - 1}); {FIX}."
        )
    if len(images) != len(labels):
        raise InputError(
            f"The IDX files {arrays['images_path']} and {arrays['labels_path']} disagree: {len(images)} images "
            f"but {len(labels)} labels; {FIX}."
        )
    return torch.from_numpy(images), torch.from_numpy(labels.astype(np.int64))


def load_mnist(
    data_dir: str | Path | None = None, split: str = "test", download: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    """MNIST images and labels of one split ("train" or "test"); download=False never touches the network.

    Returns
    -------
    images : (N, 28, 28) uint8; labels : (N,) int64. N = 60,000 (train) or 10,000 (test).
    """
    return _load_idx_pair("mnist", split, data_dir, download=download)


def load_fashion_mnist(
    data_dir: str | Path | None = None, split: str = "test", download: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    """Fashion-MNIST images and labels of one split: (N, 28, 28) uint8 and (N,) int64."""
    return _load_idx_pair("fashion-mnist", split, data_dir, download=download)


# ------------------------------------------------------------------------------------------ data sets


def _flat(images: torch.Tensor) -> torch.Tensor:
    return images.reshape(len(images), -1).to(torch.float64) / 255.0  # (N, 784) in [0, 1]


def _check_count(value: int | None, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise InputError(f"The '{name}' parameter must be None or an int >= 1. Got {value!r} instead.")
    return int(value)


def _idx_dataset(name: str, data_dir: str | Path | None, n_train: int | None, n_test: int | None) -> Dataset:
    notes: list[str] = []
    has_train = all(_locate(name, f, data_dir) for f, _ in IDX_FILES["train"].values())
    has_test = all(_locate(name, f, data_dir) for f, _ in IDX_FILES["test"].values())
    if has_train or not has_test:  # both splits (downloaded if missing and allowed)
        x_img, y = _load_idx_pair(name, "train", data_dir)
        xt_img, yt = _load_idx_pair(name, "test", data_dir)
        source = f"{name} IDX files: x = train split ({len(y):,}), x_test = t10k split"
    else:  # only t10k on disk: split it, never download
        images, labels = _load_idx_pair(name, "test", data_dir, download=False)
        n_held = n_test if n_test is not None else len(labels) // 2
        cut = len(labels) - n_held if n_train is None else n_train
        if cut < 1 or cut >= len(labels):
            raise InputError(
                f"The 'n_train' parameter must leave held-out examples of the {len(labels)} t10k images "
                f"(train split missing). Got {n_train} instead."
            ) from None
        x_img, y, xt_img, yt = images[:cut], labels[:cut], images[cut:], labels[cut:]
        source = f"{name} t10k IDX files only: x = t10k[:{cut}], x_test = t10k[{cut}:]"
        notes.append(f"{name} training files missing: x/y are the first {cut} t10k images, x_test/y_test the rest")
    x, xt = _flat(x_img), _flat(xt_img)
    ds = Dataset(name, x, y, xt, yt, IDX_CLASSES, source, tuple(notes))
    return first_n(ds, n_train, n_test)


def make_mnist1d(n_samples: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Generate MNIST-1D examples with `mnist1d.data.make_dataset` (no download).

    The generator seeds numpy's and Python's global random state (both restored afterwards); numpy's legacy
    seeding takes 32 bits, so a larger seed (e.g. from `derive_seed`) is reduced modulo 2**32.

    Returns
    -------
    x : (n_samples, 40) float64, the generator's standardized signals; y : (n_samples,) int64.
    Generated once per process and arguments (about a second for 5,000 examples); callers get copies.
    """
    x, y = _generated_mnist1d(int(n_samples), int(seed))
    return x.copy(), y.copy()


@functools.lru_cache(maxsize=8)
def _generated_mnist1d(n_samples: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    per_class = -(-n_samples // 10)
    args.num_samples = per_class * 10
    args.seed = int(seed) % 2**32
    args.train_split = 1.0
    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        generated = make_dataset(args)
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
    x = np.asarray(generated["x"], dtype=np.float64)[:n_samples]
    y = np.asarray(generated["y"], dtype=np.int64)[:n_samples]
    x.flags.writeable = y.flags.writeable = False  # the cached arrays are never handed out
    return x, y


def _mnist1d_dataset(n_train: int | None, n_test: int | None, seed: int) -> Dataset:
    n_train = 4000 if n_train is None else n_train
    n_test = 1000 if n_test is None else n_test
    x, y = make_mnist1d(n_train + n_test, seed)
    source = (
        f"MNIST-1D generated by mnist1d.data.make_dataset (seed {seed}, {n_train + n_test} examples, "
        f"defaults of get_dataset_args): first {n_train} -> x, last {n_test} -> x_test"
    )
    notes = ("MNIST-1D signals are standardized over the whole generated set (mean 0, std 1), not in [0, 1]",)
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    return Dataset("mnist1d", tx[:n_train], ty[:n_train], tx[n_train:], ty[n_train:], 10, source, notes)


def _digits_dataset(n_train: int | None, n_test: int | None, seed: int) -> Dataset:
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = torch.from_numpy(digits.data.astype(np.float64) / 16.0)  # (1797, 64) in [0, 1]
    y = torch.from_numpy(digits.target.astype(np.int64))
    order = torch.from_numpy(np.random.default_rng(seed).permutation(len(y)))
    n_test = 360 if n_test is None else n_test
    n_train = len(y) - n_test if n_train is None else n_train
    if n_train + n_test > len(y):
        raise InputError(
            f"The 'n_train' and 'n_test' parameters must sum to at most {len(y)} for digits. "
            f"Got {n_train} + {n_test} instead."
        )
    train, test = order[:n_train], order[len(y) - n_test :]
    source = (
        f"scikit-learn digits (8x8, 1,797 images, pixels/16): permuted by seed {seed}, "
        f"{n_train} -> x, last {n_test} -> x_test"
    )
    return Dataset("digits", x[train], y[train], x[test], y[test], 10, source)


def load_dataset(
    name: str,
    data_dir: str | Path | None = None,
    n_train: int | None = None,
    n_test: int | None = None,
    seed: int = 0,
) -> Dataset:
    """Load a data set as flat float64 inputs and int64 labels.

    Parameters
    ----------
    name : one of DATASETS: "mnist", "fashion-mnist" (IDX files, (N, 784) in [0, 1]),
        "mnist1d" (generated offline, (N, 40)), "digits" (scikit-learn, (N, 64) in [0, 1]).
    data_dir : directory searched first for IDX files.
    n_train, n_test : keep the first n examples of each split (None: all; mnist1d defaults 4000/1000).
    seed : generator seed for mnist1d, split permutation for digits; unused by IDX data (fixed splits).

    Returns
    -------
    Dataset with x (N, D), y (N,), x_test (M, D), y_test (M,).

    Examples
    --------
    >>> ds = load_dataset("digits", n_train=100, n_test=50)
    >>> tuple(ds.x.shape), tuple(ds.y_test.shape), ds.n_classes
    ((100, 64), (50,), 10)
    """
    if name not in DATASETS:
        raise InputError(f"The 'name' parameter must be one of {DATASETS}. Got {name!r} instead.")
    n_train, n_test = _check_count(n_train, "n_train"), _check_count(n_test, "n_test")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"The 'seed' parameter must be an int >= 0. Got {seed!r} instead.")
    if name in ("mnist", "fashion-mnist"):
        return _idx_dataset(name, data_dir, n_train, n_test)
    if name == "mnist1d":
        return _mnist1d_dataset(n_train, n_test, int(seed))
    return _digits_dataset(n_train, n_test, int(seed))


def load_dataset_once(
    name: str,
    data_dir: str | Path | None = None,
    n_train: int | None = None,
    n_test: int | None = None,
    seed: int = 0,
) -> Dataset:
    """`load_dataset`, loaded once per process for the same arguments and data location (DEPTHLAB_DATA,
    DEPTHLAB_OFFLINE, the cache directory): for the groups of one run, each of which trains on the same data set.
    The Dataset is shared between callers, so do not modify its tensors. Missing files are never remembered.

    Examples
    --------
    >>> load_dataset_once("digits", n_train=100) is load_dataset_once("digits", n_train=100)
    True
    """
    where = tuple(os.environ.get(k) for k in ("DEPTHLAB_DATA", "DEPTHLAB_OFFLINE", "XDG_CACHE_HOME", "HOME"))
    folder = None if data_dir is None else str(data_dir)
    return _loaded_once(name, folder, n_train, n_test, seed, where)


@functools.lru_cache(maxsize=8)
def _loaded_once(name: str, data_dir: str | None, n_train: int | None, n_test: int | None, seed: int,
                 where: tuple[str | None, ...]) -> Dataset:
    return load_dataset(name, data_dir, n_train, n_test, seed)


def two_moons(n: int, noise: float = 0.1, seed: int = 0, bound: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    """scikit-learn's two moons, centred and scaled into [-0.9 bound, 0.9 bound]^2.

    Returns x (n, 2) float64 and y (n,) int64 class labels 0/1; deterministic from `seed`.

    Examples
    --------
    >>> x, y = two_moons(100, seed=0)
    >>> tuple(x.shape), float(x.abs().max()) <= 0.9 + 1e-12, sorted(set(y.tolist()))
    ((100, 2), True, [0, 1])
    """
    from sklearn.datasets import make_moons

    n = _check_count(n, "n")
    if n is None or n < 2:
        raise InputError(f"The 'n' parameter must be an int >= 2. Got {n!r} instead.")
    x, y = make_moons(n, noise=noise, random_state=np.random.RandomState(seed % 2**32))
    x = x - x.mean(axis=0)
    x = 0.9 * bound * x / np.abs(x).max()
    return torch.as_tensor(x, dtype=torch.float64), torch.as_tensor(y, dtype=torch.int64)


def has_split(name: str, split: str, data_dir: str | Path | None = None) -> bool:
    """True when both IDX files of `split` ("train" or "test") of an MNIST-style data set are on disk (never
    downloads)."""
    if split not in IDX_FILES:
        raise InputError(f"The 'split' parameter must be 'train' or 'test'. Got {split!r} instead.")
    return all(_locate(name, filename, data_dir) is not None for filename, _ in IDX_FILES[split].values())


def load_for_memorization(
    name: str, data_dir: str | Path | None, n_train: int, n_test: int, holdout_fraction: float, seed: int = 0
) -> tuple[Dataset, bool]:
    """Data for "memorize N images, then test on held-out ones", when only MNIST's t10k may be on disk.

    Returns (ds, pooled). pooled=False: build on ds.x (n_train examples), hold out ds.x_test. pooled=True
    (an MNIST-style set whose training files are absent): the n_train images of the build are ds.x then
    ds.x_test (the first n_train t10k images), and held-out accuracy needs a second build on ds.x
    (1 - holdout_fraction of them) tested on ds.x_test.
    """
    if not 0 < holdout_fraction < 1:
        raise InputError(f"The 'holdout_fraction' parameter must be in (0, 1). Got {holdout_fraction!r} instead.")
    if name in ("mnist", "fashion-mnist") and not has_split(name, "train", data_dir):
        n_build = int(round(n_train * (1 - holdout_fraction)))
        return load_dataset(name, data_dir=data_dir, n_train=n_build, n_test=n_train - n_build), True
    return load_dataset(name, data_dir=data_dir, n_train=n_train, n_test=n_test, seed=seed), False


# ------------------------------------------------------------------------------------------ transforms


def first_n(ds: Dataset, n_train: int | None, n_test: int | None = None) -> Dataset:
    """The first n_train training and first n_test held-out examples (None keeps all)."""
    n_train, n_test = _check_count(n_train, "n_train"), _check_count(n_test, "n_test")
    for value, name, have in ((n_train, "n_train", len(ds.y)), (n_test, "n_test", len(ds.y_test))):
        if value is not None and value > have:
            raise InputError(f"The '{name}' parameter must be at most {have} for {ds.name}. Got {value} instead.")
    return replace(ds, x=ds.x[:n_train], y=ds.y[:n_train], x_test=ds.x_test[:n_test], y_test=ds.y_test[:n_test])


def subset_classes(ds: Dataset, classes: Sequence[int]) -> Dataset:
    """Keep only examples of `classes`, relabelled 0..len(classes)-1 in the given order."""
    classes = [int(c) for c in classes]
    if len(set(classes)) != len(classes) or not classes or min(classes) < 0 or max(classes) >= ds.n_classes:
        raise InputError(
            f"The 'classes' parameter must be distinct labels in 0..{ds.n_classes - 1}. Got {classes} instead."
        )
    lookup = torch.full((ds.n_classes,), -1, dtype=torch.int64)
    lookup[torch.tensor(classes)] = torch.arange(len(classes))
    keep, keep_test = lookup[ds.y] >= 0, lookup[ds.y_test] >= 0
    return replace(
        ds,
        x=ds.x[keep],
        y=lookup[ds.y[keep]],
        x_test=ds.x_test[keep_test],
        y_test=lookup[ds.y_test[keep_test]],
        n_classes=len(classes),
        notes=ds.notes + (f"classes {classes} relabelled 0..{len(classes) - 1}",),
    )


def map_labels(ds: Dataset, fn_or_mapping: Callable[[int], int] | Mapping[int, int], n_classes: int) -> Dataset:
    """Relabel with a function or mapping old label -> new label in 0..n_classes-1."""
    fn = fn_or_mapping.__getitem__ if isinstance(fn_or_mapping, Mapping) else fn_or_mapping
    lookup = torch.tensor([int(fn(c)) for c in range(ds.n_classes)], dtype=torch.int64)
    if lookup.min() < 0 or lookup.max() >= n_classes:
        raise InputError(
            f"The 'fn_or_mapping' parameter must map labels into 0..{n_classes - 1}. Got {lookup.tolist()} instead."
        )
    return replace(ds, y=lookup[ds.y], y_test=lookup[ds.y_test], n_classes=int(n_classes))


def labels_mod(ds: Dataset, k: int) -> Dataset:
    """Labels replaced by label mod k (k classes)."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 2 <= k <= ds.n_classes:
        raise InputError(f"The 'k' parameter must be an int in 2..{ds.n_classes}. Got {k!r} instead.")
    out = map_labels(ds, lambda c: c % k, int(k))
    return replace(out, notes=ds.notes + (f"labels mod {k}",))


def random_labels(ds: Dataset, seed: int = 0) -> Dataset:
    """Labels drawn uniformly at random (independently per example, not a permutation), from `seed`."""
    generator = seeded_generator(seed)
    y = torch.randint(ds.n_classes, (len(ds.y),), generator=generator)  # (N,)
    y_test = torch.randint(ds.n_classes, (len(ds.y_test),), generator=generator)  # (M,)
    note = f"labels replaced by uniform random labels (seed {seed})"
    return replace(ds, y=y, y_test=y_test, notes=ds.notes + (note,))


def binarize(ds: Dataset, threshold: float = 0.0) -> Dataset:
    """Inputs replaced by 1.0 where x > threshold, else 0.0."""
    return replace(
        ds,
        x=(ds.x > threshold).to(torch.float64),
        x_test=(ds.x_test > threshold).to(torch.float64),
        notes=ds.notes + (f"inputs binarized at > {threshold}",),
    )


def standardize(ds: Dataset) -> Dataset:
    """Per-feature zero mean, unit std using training statistics (constant features only centred)."""
    mean = ds.x.mean(dim=0)  # (D,)
    std = ds.x.std(dim=0)  # (D,)
    std = torch.where(std > 0, std, torch.ones_like(std))
    return replace(
        ds,
        x=(ds.x - mean) / std,
        x_test=(ds.x_test - mean) / std,
        notes=ds.notes + ("inputs standardized with training mean and std",),
    )
