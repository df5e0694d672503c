"""lab.data: sources, their order, readable failures, the IDX reader and scaling.

`lab.data` caches datasets by (name, path): every test that writes its own
files uses its own tmp_path so a cache entry from another test never answers.
"""

from __future__ import annotations

import gzip
import os

import numpy as np
import pytest

import lab.data as data
from lab.data import (DATASETS, IDX_FILES, DatasetCorrupt, DatasetNotFound, candidate_places, load,
                      read_idx, write_idx)


def _write_idx_folder(folder, n_train=6, n_test=4, fill=0):
    folder.mkdir(parents=True)
    rng = np.random.default_rng(fill)
    arrays = (rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8), np.arange(n_train) % 10,
              rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8), np.arange(n_test) % 10)
    for name, arr in zip(IDX_FILES, arrays):
        write_idx(folder / name, arr)
    return arrays


def _write_npz(path, n_train=5, n_test=3):
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    arrays = {"x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
              "y_train": np.arange(n_train, dtype=np.uint8) % 10,
              "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
              "y_test": np.arange(n_test, dtype=np.uint8) % 10}
    np.savez(path, **arrays)
    return arrays


def test_mnist_from_lab_datasets(datasets_dir):
    ds = load("mnist")
    assert ds.x_train.shape == (8000, 28, 28) and ds.x_test.shape == (2000, 28, 28)
    assert ds.x_train.dtype == np.uint8 and ds.x_test.dtype == np.uint8
    assert ds.y_train.shape == (8000,) and ds.y_test.shape == (2000,)
    assert set(np.unique(ds.y_train)) == set(range(10)) == set(np.unique(ds.y_test))
    assert np.bincount(ds.y_test).tolist() == [200] * 10  # the stratified split
    assert ds.x_train.max() == 255 and ds.x_train.min() == 0
    assert str(datasets_dir / "mnist") in ds.source
    assert ds.class_names == tuple("0123456789") and ds.input_shape == (28, 28, 1)


def test_fashion_mnist_from_debian_package():
    # Needs `apt-get install dataset-fashion-mnist`; deliberately fails (no skip) when missing.
    assert (data.DEBIAN_ROOT / "fashion-mnist").is_dir(), "install the dataset-fashion-mnist package"
    ds = load("fashion_mnist")
    assert ds.x_train.shape == (60000, 28, 28) and ds.x_test.shape == (10000, 28, 28)
    assert ds.x_train.dtype == np.uint8
    assert np.bincount(ds.y_test).tolist() == [1000] * 10
    assert "/usr/share/datasets/fashion-mnist" in ds.source
    assert ds.class_names[9] == "Ankle boot"


def test_xor_table():
    ds = load("xor")
    assert ds.x_train.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert ds.y_train.tolist() == [0, 1, 1, 0]
    assert (ds.y_train == (ds.x_train[:, 0] ^ ds.x_train[:, 1])).all()
    assert ds.x_test.tolist() == ds.x_train.tolist()
    assert ds.input_shape == (2,) and ds.scale == 1.0
    assert ds.scaled(ds.x_train).dtype == np.float32


def test_unknown_name():
    with pytest.raises(KeyError, match="cifar10"):
        load("cifar10")


def test_keras_style_npz(monkeypatch, tmp_path):
    root = tmp_path / "npzdata"
    arrays = _write_npz(root / "mnist.npz")
    monkeypatch.setenv("LAB_DATASETS", str(root))
    ds = load("mnist")
    assert ds.x_train.shape == (5, 28, 28) and ds.x_test.shape == (3, 28, 28)
    np.testing.assert_array_equal(ds.x_train, arrays["x_train"])
    np.testing.assert_array_equal(ds.y_test, arrays["y_test"])
    assert ds.y_train.dtype == np.int64
    assert "npz" in ds.source and str(root / "mnist.npz") in ds.source


def test_keras_cache_npz_is_used(monkeypatch, tmp_path):
    keras_home = tmp_path / "kh"
    arrays = _write_npz(keras_home / "datasets" / "fashion_mnist.npz", n_train=7)
    monkeypatch.setenv("LAB_DATASETS", str(tmp_path / "empty"))
    monkeypatch.setenv("KERAS_HOME", str(keras_home))
    ds = load("fashion_mnist")  # found before Debian's copy
    assert len(ds.x_train) == 7
    np.testing.assert_array_equal(ds.x_test, arrays["x_test"])
    assert str(keras_home / "datasets" / "fashion_mnist.npz") in ds.source


def test_lab_datasets_comes_before_keras_cache(monkeypatch, tmp_path):
    lab_root, keras_home = tmp_path / "lab", tmp_path / "kh"
    _write_idx_folder(lab_root / "mnist", n_train=6)
    _write_npz(keras_home / "datasets" / "mnist.npz", n_train=5)
    monkeypatch.setenv("LAB_DATASETS", str(lab_root))
    monkeypatch.setenv("KERAS_HOME", str(keras_home))
    places = candidate_places("mnist")
    assert places.index(lab_root / "mnist") < places.index(keras_home / "datasets" / "mnist.npz")
    ds = load("mnist")
    assert len(ds.x_train) == 6 and str(lab_root / "mnist") in ds.source
    # without LAB_DATASETS the Keras cache answers
    monkeypatch.delenv("LAB_DATASETS")
    ds = load("mnist")
    assert len(ds.x_train) == 5 and str(keras_home) in ds.source


def test_incomplete_folder_is_skipped(monkeypatch, tmp_path):
    lab_root, keras_home = tmp_path / "lab", tmp_path / "kh"
    _write_idx_folder(lab_root / "mnist")
    (lab_root / "mnist" / IDX_FILES[3]).unlink()  # three of four files: not a source
    _write_npz(keras_home / "datasets" / "mnist.npz", n_train=5)
    monkeypatch.setenv("LAB_DATASETS", str(lab_root))
    monkeypatch.setenv("KERAS_HOME", str(keras_home))
    assert len(load("mnist").x_train) == 5


def test_missing_dataset_lists_places_and_fix(monkeypatch, tmp_path):
    for sub in ("lab", "kh", "debian"):
        (tmp_path / sub).mkdir()
    monkeypatch.setenv("LAB_DATASETS", str(tmp_path / "lab"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kh"))
    monkeypatch.setattr(data, "DEBIAN_ROOT", tmp_path / "debian")
    for name in ("mnist", "fashion_mnist"):
        with pytest.raises(DatasetNotFound) as err:
            load(name)
        msg = str(err.value)
        places = candidate_places(name)
        assert str(tmp_path / "lab" / DATASETS[name].folder_names[0]) in [str(p) for p in places]
        assert str(tmp_path / "debian" / DATASETS[name].folder_names[0]) in [str(p) for p in places]
        for place in places:
            assert str(place) in msg
        assert "Keras download" in msg and "LAB_OFFLINE" in msg
        assert "Fix: " + DATASETS[name].fix in msg and "LAB_DATASETS" in msg
    assert isinstance(err.value, FileNotFoundError)



def test_a_folder_with_only_some_idx_files_is_named_with_the_ones_it_lacks(monkeypatch, tmp_path):
    """The real 10k MNIST test set alone (two files of four) is not a dataset to train on: the
    message says which files that folder lacks."""
    for sub in ("lab", "kh", "debian"):
        (tmp_path / sub).mkdir()
    _write_idx_folder(tmp_path / "lab" / "mnist")
    for f in IDX_FILES[:2]:
        (tmp_path / "lab" / "mnist" / f).unlink()
    monkeypatch.setenv("LAB_DATASETS", str(tmp_path / "lab"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kh"))
    monkeypatch.setattr(data, "DEBIAN_ROOT", tmp_path / "debian")
    with pytest.raises(DatasetNotFound) as err:
        load("mnist")
    assert f"{tmp_path / 'lab' / 'mnist'} (it has 2 of the 4 files; missing: {IDX_FILES[0]}, {IDX_FILES[1]})" \
        in str(err.value)

def test_truncated_idx_file_raises_corrupt(monkeypatch, tmp_path):
    root = tmp_path / "lab"
    _write_idx_folder(root / "mnist")
    images = root / "mnist" / IDX_FILES[0]
    raw = gzip.decompress(images.read_bytes())
    images.write_bytes(gzip.compress(raw[:-100]))  # valid gzip, too few pixels
    monkeypatch.setenv("LAB_DATASETS", str(root))
    with pytest.raises(DatasetCorrupt, match="truncated"):
        load("mnist")


def test_cut_gzip_raises_corrupt(tmp_path):
    path = tmp_path / "x.gz"
    write_idx(path, np.zeros((10, 28, 28), np.uint8) + 7)
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(DatasetCorrupt) as err:
        read_idx(path)
    assert str(path) in str(err.value)


def test_damaged_gzip_stream_raises_corrupt(tmp_path):
    # Bytes flipped inside the compressed stream (a bad download): zlib, not gzip, complains.
    path = tmp_path / "x.gz"
    write_idx(path, np.arange(6000, dtype=np.uint32).astype(np.uint8).reshape(6, 10, 100))
    raw = bytearray(path.read_bytes())
    for i in range(20, len(raw) - 10):
        raw[i] ^= 0x55
    path.write_bytes(bytes(raw))
    with pytest.raises(DatasetCorrupt):
        read_idx(path)


def test_not_an_idx_file(tmp_path):
    path = tmp_path / "x.idx"
    path.write_bytes(b"\x12\x34\x08\x03" + b"\x00" * 20)
    with pytest.raises(DatasetCorrupt, match="not an IDX"):
        read_idx(path)
    short = tmp_path / "short.idx"
    short.write_bytes(b"\x00")
    with pytest.raises(DatasetCorrupt):
        read_idx(short)


def test_truncated_npz_raises_corrupt(monkeypatch, tmp_path):
    root = tmp_path / "lab"
    _write_npz(root / "mnist.npz")
    raw = (root / "mnist.npz").read_bytes()
    (root / "mnist.npz").write_bytes(raw[: len(raw) // 2])  # an interrupted download
    monkeypatch.setenv("LAB_DATASETS", str(root))
    with pytest.raises(DatasetCorrupt):
        load("mnist")


def test_npz_with_missing_arrays_raises_corrupt(monkeypatch, tmp_path):
    root = tmp_path / "lab"
    root.mkdir()
    np.savez(root / "mnist.npz", x_train=np.zeros((2, 28, 28), np.uint8))
    monkeypatch.setenv("LAB_DATASETS", str(root))
    with pytest.raises(DatasetCorrupt, match="Keras-style"):
        load("mnist")


def test_npz_with_mismatched_labels_raises_corrupt(monkeypatch, tmp_path):
    root = tmp_path / "lab"
    root.mkdir()
    np.savez(root / "mnist.npz", x_train=np.zeros((3, 28, 28), np.uint8), y_train=np.zeros(2),
             x_test=np.zeros((1, 28, 28), np.uint8), y_test=np.zeros(1))
    monkeypatch.setenv("LAB_DATASETS", str(root))
    with pytest.raises(DatasetCorrupt, match="train part"):
        load("mnist")


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4), (2, 1, 3, 2)])
def test_idx_round_trip(tmp_path, shape):
    arr = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    write_idx(tmp_path / "a.gz", arr)
    back = read_idx(tmp_path / "a.gz")
    assert back.dtype == np.uint8 and back.shape == shape
    np.testing.assert_array_equal(back, arr)
    # the plain (not gzip) form reads too
    (tmp_path / "a.idx").write_bytes(gzip.decompress((tmp_path / "a.gz").read_bytes()))
    np.testing.assert_array_equal(read_idx(tmp_path / "a.idx"), arr)


def test_idx_header_is_the_standard_one(tmp_path):
    write_idx(tmp_path / "l.gz", np.array([3, 1, 4], np.uint8))
    raw = gzip.decompress((tmp_path / "l.gz").read_bytes())
    assert raw == b"\x00\x00\x08\x01" + (3).to_bytes(4, "big") + bytes([3, 1, 4])


def test_scaled():
    ds = load("mnist")
    x = ds.scaled(ds.x_train[:16])
    assert x.dtype == np.float32 and x.shape == (16, 28, 28, 1)
    assert 0.0 <= x.min() and x.max() <= 1.0 and x.max() == 1.0
    np.testing.assert_allclose(x[..., 0], ds.x_train[:16] / 255.0, rtol=1e-6)
    assert ds.x_train.dtype == np.uint8  # the cached arrays are not changed


def test_load_is_cached_per_source():
    assert load("mnist") is load("mnist")
    assert os.environ["LAB_OFFLINE"] == "1"


def test_a_failed_download_is_not_retried_at_every_click(monkeypatch, tmp_path):
    from lab import data as lab_data

    calls = []

    def offline(name):
        calls.append(name)
        raise OSError("no network")

    monkeypatch.delenv("LAB_OFFLINE")
    monkeypatch.setenv("LAB_DATASETS", str(tmp_path / "empty"))
    monkeypatch.setattr(lab_data, "DEBIAN_ROOT", tmp_path / "none")
    monkeypatch.setattr(lab_data, "_download", offline)
    monkeypatch.setattr(lab_data, "_FAILED_DOWNLOADS", {})
    for _ in range(3):
        with pytest.raises(lab_data.DatasetNotFound, match="no network"):
            lab_data.load("mnist")
    assert calls == ["mnist"]


@pytest.mark.parametrize("images, labels, words", [
    ((4, 32, 32), [0, 1, 2, 3], "has images of 32x32 pixels; MNIST handwritten digits images are 28x28"),
    ((4, 28, 28), [1, 9, 26, 3], "has labels from 1 to 26; MNIST handwritten digits labels are 0 to 9"),
    ((4, 28, 28), [0, -1, 2, 3], "has labels from -1 to 3"),
])
def test_an_npz_of_another_dataset_is_refused_in_a_sentence(monkeypatch, tmp_path, images, labels, words):
    """An EMNIST-letters or CIFAR file saved as mnist.npz: said, not a reshape error later."""
    root = tmp_path / "lab"
    root.mkdir()
    np.savez(root / "mnist.npz", x_train=np.zeros(images, np.uint8), y_train=np.array(labels),
             x_test=np.zeros((1, 28, 28), np.uint8), y_test=np.zeros(1, np.uint8))
    monkeypatch.setenv("LAB_DATASETS", str(root))
    with pytest.raises(DatasetCorrupt, match=words) as err:
        load("mnist")
    assert "Delete it and fetch it again" in str(err.value)
