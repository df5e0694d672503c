"""The datasets: where their files are found, how they are read, and a cache.

Images are kept as the uint8 arrays they are stored as; `Dataset.scaled`
turns a slice into the float inputs a network sees. Sources are tried in
this order: the folder named by ``LAB_DATASETS``, the Keras cache folder
(``$KERAS_HOME/datasets`` or ``~/.keras/datasets``), Debian's
``/usr/share/datasets``, and last the Keras download (needs the internet,
skipped when ``LAB_OFFLINE=1``).
"""

from __future__ import annotations

import functools
import gzip
import os
import struct
import time
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lab.settings import settings

IDX_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
             "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")

DEBIAN_ROOT = Path("/usr/share/datasets")
RETRY_DOWNLOAD_S = 60.0  # an offline classroom must not wait on the network at every click
_FAILED_DOWNLOADS: dict[str, tuple[float, str]] = {}


@dataclass(frozen=True)
class DatasetInfo:
    """What is known about a dataset before loading it."""

    title: str
    class_names: tuple[str, ...]
    input_shape: tuple[int, ...]
    n_train: int
    scale: float
    folder_names: tuple[str, ...] = ()
    npz_name: str = ""
    keras_name: str = ""
    fix: str = ""
    about: str = ""

    @property
    def n_classes(self) -> int:
        """How many classes the labels take."""
        return len(self.class_names)


DATASETS: dict[str, DatasetInfo] = {
    "mnist": DatasetInfo(
        "MNIST handwritten digits", tuple(str(i) for i in range(10)), (28, 28, 1), 60000, 255.0,
        folder_names=("mnist",), npz_name="mnist.npz", keras_name="mnist",
        fix="python -c \"import keras; keras.datasets.mnist.load_data()\"  (once, online)",
        about="70,000 grey 28x28 images of digits written by US census staff and students."),
    "fashion_mnist": DatasetInfo(
        "Fashion-MNIST clothes", ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                                  "Shirt", "Sneaker", "Bag", "Ankle boot"), (28, 28, 1), 60000, 255.0,
        folder_names=("fashion_mnist", "fashion-mnist"), npz_name="fashion_mnist.npz",
        keras_name="fashion_mnist",
        fix="sudo apt-get install dataset-fashion-mnist",
        about="70,000 grey 28x28 Zalando product photos in 10 classes, a harder drop-in for MNIST."),
    "xor": DatasetInfo(
        "XOR truth table", ("0", "1"), (2,), 4, 1.0,
        about="The four rows of exclusive-or: no straight line separates the 1s from the 0s, "
              "so a network needs a hidden layer."),
}


class DatasetError(Exception):
    """A dataset cannot be used; the message says why and what to do."""


class DatasetNotFound(DatasetError, FileNotFoundError):
    """No source had the dataset; the message lists where the lab looked and the fix."""


class DatasetCorrupt(DatasetError, ValueError):
    """A dataset file exists but cannot be read as IDX or npz."""


@dataclass(frozen=True)
class Dataset:
    """Train and test arrays as stored (uint8 images, int labels) and their origin."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    input_shape: tuple[int, ...]
    scale: float
    source: str

    def scaled(self, x: np.ndarray) -> np.ndarray:
        """Float32 network inputs in 0..1, shaped like ``input_shape`` per row."""
        x = x.astype(np.float32) / np.float32(self.scale)
        return x.reshape((len(x),) + self.input_shape)


def keras_cache_dir() -> Path:
    """The folder Keras downloads datasets into (honours ``KERAS_HOME``)."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "datasets"


def candidate_places(name: str) -> list[Path]:
    """Every folder or file checked for ``name``, in the order they are tried."""
    info = DATASETS[name]
    first = settings().datasets
    roots = [first] if first else []
    roots.append(keras_cache_dir())
    places: list[Path] = []
    for root in roots:
        places += [root / folder for folder in info.folder_names]
        places.append(root / info.npz_name)
    places += [DEBIAN_ROOT / folder for folder in info.folder_names]
    return places


def load(name: str) -> Dataset:
    """Load a dataset by its key in `DATASETS`, once per process per source.

    Args:
        name: ``"mnist"``, ``"fashion_mnist"`` or ``"xor"``.

    Returns:
        A `Dataset` with uint8 images (``scale`` 255) or the XOR table.

    Raises:
        DatasetNotFound: nothing found; the message lists every place tried.
        DatasetCorrupt: a file was found but is damaged.

    Example:
        >>> ds = load("xor")
        >>> ds.x_train.tolist()
        [[0, 0], [0, 1], [1, 0], [1, 1]]
    """
    if name not in DATASETS:
        raise KeyError(f"Unknown dataset '{name}'. Choose one of: {', '.join(DATASETS)}.")
    if name == "xor":
        return _xor()
    for place in candidate_places(name):
        if place.suffix == ".npz" and place.is_file():
            return _read_npz(name, str(place))
        if place.is_dir() and all((place / f).is_file() for f in IDX_FILES):
            return _read_idx_folder(name, str(place))
    if settings().offline:
        download_error = "skipped because LAB_OFFLINE is set"
    elif time.monotonic() - _FAILED_DOWNLOADS.get(name, (-1e9, ""))[0] < RETRY_DOWNLOAD_S:
        download_error = _FAILED_DOWNLOADS[name][1] + " (not tried again for a minute)"
    else:
        try:
            return _download(name)
        except Exception as exc:  # any network or server failure ends the search
            download_error = f"failed: {exc}"
            _FAILED_DOWNLOADS[name] = (time.monotonic(), download_error)
    info = DATASETS[name]
    tried = "\n".join(f"  - {p}{_missing(p)}" for p in candidate_places(name))
    raise DatasetNotFound(
        f"The {info.title} dataset was not found. The lab looked in:\n{tried}\n"
        f"  - the Keras download ({download_error})\n\n"
        f"Fix: {info.fix}, or put the four IDX .gz files in a folder "
        f"'{info.folder_names[0]}' inside a folder named by the LAB_DATASETS environment variable.")


def _missing(place: Path) -> str:
    """For a folder holding some of the four IDX files: which ones it lacks (else "")."""
    if not place.is_dir():
        return ""
    lacks = [f for f in IDX_FILES if not (place / f).is_file()]
    if not lacks or len(lacks) == len(IDX_FILES):
        return ""
    return f" (it has {len(IDX_FILES) - len(lacks)} of the 4 files; missing: {', '.join(lacks)})"


@functools.lru_cache(maxsize=1)
def _xor() -> Dataset:
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.uint8)
    y = np.array([0, 1, 1, 0], dtype=np.int64)
    return Dataset("xor", x, y, x, y, DATASETS["xor"].class_names, (2,), 1.0,
                   "the XOR truth table, built into the lab")


def read_idx(path: str | Path) -> np.ndarray:
    """Read one IDX file (gzip or plain) into a uint8 array.

    Raises:
        DatasetCorrupt: the header or size does not match the IDX format.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            raw = fh.read()
        zero, dtype_code, ndim = struct.unpack(">HBB", raw[:4])
        if zero != 0 or dtype_code != 0x08 or not 1 <= ndim <= 4:
            raise DatasetCorrupt(f"{path} is not an IDX file of unsigned bytes.")
        dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
        data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
        if data.size != int(np.prod(dims)):
            raise DatasetCorrupt(f"{path} is truncated: expected {int(np.prod(dims))} values, "
                                 f"found {data.size}.")
        return data.reshape(dims)
    except (OSError, EOFError, struct.error, zlib.error) as exc:
        raise DatasetCorrupt(f"{path} cannot be read ({exc}). Delete it and fetch it again.") from exc


def write_idx(path: str | Path, array: np.ndarray) -> None:
    """Write a uint8 array as a gzip IDX file (used to build small test splits)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(">" + "I" * array.ndim, *array.shape)
    with gzip.open(path, "wb", compresslevel=1) as fh:
        fh.write(header + array.tobytes())


@functools.lru_cache(maxsize=4)
def _read_idx_folder(name: str, folder: str) -> Dataset:
    arrays = [read_idx(Path(folder) / f) for f in IDX_FILES]
    return _dataset(name, *arrays, source=f"IDX files in {folder}")


@functools.lru_cache(maxsize=4)
def _read_npz(name: str, path: str) -> Dataset:
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = [f[k] for k in ("x_train", "y_train", "x_test", "y_test")]
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise DatasetCorrupt(f"{path} is not a Keras-style dataset .npz ({exc}). "
                             "Delete it and fetch it again.") from exc
    return _dataset(name, *arrays, source=f"npz file {path}")


@functools.lru_cache(maxsize=2)
def _download(name: str) -> Dataset:
    import keras  # imported late: TensorFlow takes seconds to import

    (xtr, ytr), (xte, yte) = getattr(keras.datasets, DATASETS[name].keras_name).load_data()
    return _dataset(name, xtr, ytr, xte, yte, source=f"Keras download into {keras_cache_dir()}")


def _dataset(name, x_train, y_train, x_test, y_test, source: str) -> Dataset:
    info = DATASETS[name]
    height, width = info.input_shape[:2]
    for x, y, part in ((x_train, y_train, "train"), (x_test, y_test, "test")):
        if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
            raise DatasetCorrupt(f"The {part} part of {source} has images {x.shape} and labels "
                                 f"{y.shape}; expected N images of HxW and N labels.")
        if x.shape[1:] != (height, width):
            raise DatasetCorrupt(f"The {part} part of {source} has images of {x.shape[1]}x{x.shape[2]} pixels; "
                                 f"{info.title} images are {height}x{width}: the file holds another dataset. "
                                 "Delete it and fetch it again.")
        if len(y) and (y.min() < 0 or y.max() >= info.n_classes):
            raise DatasetCorrupt(f"The {part} part of {source} has labels from {y.min()} to {y.max()}; "
                                 f"{info.title} labels are 0 to {info.n_classes - 1}: the file holds another "
                                 "dataset. Delete it and fetch it again.")
    return Dataset(name, x_train.astype(np.uint8, copy=False), y_train.astype(np.int64),
                   x_test.astype(np.uint8, copy=False), y_test.astype(np.int64),
                   info.class_names, info.input_shape, info.scale, source)
