"""lab.prepare: label encoding per loss, and the fit/validation/test split."""

from __future__ import annotations

import numpy as np
import pytest

from lab.data import load
from lab.prepare import arrays, output_width, targets
from lab.spec import LayerSpec, ModelSpec, TrainSpec, load_presets

LABELS = np.array([2, 0, 1, 2])


def test_categorical_is_one_hot():
    y = targets(LABELS, "categorical_crossentropy", 3, 3)
    assert y.dtype == np.float32 and y.shape == (4, 3)
    assert y.tolist() == [[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]]


def test_sparse_is_class_numbers():
    y = targets(LABELS.astype(np.uint8), "sparse_categorical_crossentropy", 3, 3)
    assert y.dtype == np.int64 and y.shape == (4,) and y.tolist() == [2, 0, 1, 2]


def test_binary_single_output_is_a_column():
    y = targets(np.array([0, 1, 1, 0]), "binary_crossentropy", 1, 2)
    assert y.dtype == np.float32 and y.shape == (4, 1) and y[:, 0].tolist() == [0, 1, 1, 0]


def test_binary_two_outputs_and_mse_are_one_hot():
    y = targets(np.array([0, 1]), "binary_crossentropy", 2, 2)
    assert y.tolist() == [[1, 0], [0, 1]]
    y = targets(np.array([3]), "mse", 10, 10)
    assert y.shape == (1, 10) and y[0].argmax() == 3 and y.sum() == 1
    assert targets(np.array([1, 0]), "mse", 1, 2).tolist() == [[1.0], [0.0]]


def test_output_width():
    assert output_width(load_presets()["workshop_16_16_10"].model) == 10
    assert output_width(load_presets()["xor_2_2_1"].model) == 1
    assert output_width(ModelSpec(layers=[LayerSpec("Flatten")])) == 0


WORKSHOP = load_presets()["workshop_16_16_10"].model


@pytest.mark.parametrize("limit, split, n_fit, n_val", [
    (1000, 0.1, 900, 100),
    (1000, 0.0, 1000, 0),
    (333, 0.25, 250, 83),     # int(333 * 0.25) = 83 held out, as Keras does
    (0, 0.2, 6400, 1600),     # 0 = all 8,000 training images
    (99_999, 0.1, 7200, 800),  # a limit above the data means all of it
])
def test_split_sizes(limit, split, n_fit, n_val):
    ds = load("mnist")
    a = arrays(ds, WORKSHOP, TrainSpec(train_limit=limit, validation_split=split))
    assert a.x_fit.shape == (n_fit, 28, 28, 1) and a.y_fit.shape == (n_fit, 10)
    if n_val:
        assert a.x_val.shape == (n_val, 28, 28, 1) and a.y_val.shape == (n_val, 10)
    else:
        assert a.x_val is None and a.y_val is None
    assert a.x_test.shape == (2000, 28, 28, 1) and a.y_test.shape == (2000, 10)


def test_validation_is_the_last_part_and_values_match():
    ds = load("mnist")
    a = arrays(ds, WORKSHOP, TrainSpec(train_limit=50, validation_split=0.2,
                                       loss="sparse_categorical_crossentropy"))
    assert a.x_fit.dtype == np.float32 and 0 <= a.x_fit.min() and a.x_fit.max() <= 1
    np.testing.assert_allclose(a.x_fit[..., 0], ds.x_train[:40] / 255.0, rtol=1e-6)
    np.testing.assert_allclose(a.x_val[..., 0], ds.x_train[40:50] / 255.0, rtol=1e-6)
    assert a.y_fit.tolist() == ds.y_train[:40].tolist()
    assert a.y_val.tolist() == ds.y_train[40:50].tolist()
    assert a.y_test.tolist() == ds.y_test.tolist()


def test_one_hot_rows_match_labels():
    ds = load("mnist")
    a = arrays(ds, WORKSHOP, TrainSpec(train_limit=30, validation_split=0.0))
    assert a.y_fit.argmax(1).tolist() == ds.y_train[:30].tolist()
    assert (a.y_fit.sum(1) == 1).all()


def test_xor_arrays():
    preset = load_presets()["xor_2_2_1"]
    a = arrays(load("xor"), preset.model, preset.train)
    assert a.x_fit.shape == (4, 2) and a.x_fit.dtype == np.float32
    assert a.y_fit.shape == (4, 1) and a.y_fit[:, 0].tolist() == [0, 1, 1, 0]
    assert a.x_val is None
