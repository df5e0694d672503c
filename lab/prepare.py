"""Dataset + settings -> the float arrays and targets `model.fit` receives."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lab.data import Dataset
from lab.layers import KINDS
from lab.spec import ModelSpec, TrainSpec


@dataclass
class Arrays:
    """Inputs and targets for fitting, validation (may be None) and testing."""

    x_fit: np.ndarray
    y_fit: np.ndarray
    x_val: np.ndarray | None
    y_val: np.ndarray | None
    x_test: np.ndarray
    y_test: np.ndarray


def output_width(model: ModelSpec) -> int:
    """The width of each answer: the last value of a layer kind that sets the width of
    its output row (Dense's units); 0 when no layer does."""
    widths = [getattr(layer, KINDS[layer.kind].width_field) for layer in model.layers
              if layer.kind in KINDS and KINDS[layer.kind].width_field]
    return widths[-1] if widths else 0


def targets(labels: np.ndarray, loss: str, width: int, n_classes: int) -> np.ndarray:
    """Labels in the form the loss expects: class numbers, one-hot rows, or 0/1 columns.

    Example:
        >>> targets(np.array([2]), "categorical_crossentropy", 3, 3).tolist()
        [[0.0, 0.0, 1.0]]
    """
    if loss == "sparse_categorical_crossentropy":
        return labels.astype(np.int64)
    if width == 1:
        return labels.astype(np.float32).reshape(-1, 1)
    return np.eye(n_classes, dtype=np.float32)[labels]


def arrays(ds: Dataset, model: ModelSpec, train: TrainSpec) -> Arrays:
    """Scale images to 0..1, take ``train_limit`` images, hold out the last
    ``validation_split`` of them for validation (as Keras does), and encode labels.
    """
    n = min(train.train_limit or len(ds.x_train), len(ds.x_train))
    n_val = int(n * train.validation_split)
    width = output_width(model) or len(ds.class_names)

    def enc(y):
        return targets(y, train.loss, width, len(ds.class_names))

    x = ds.scaled(ds.x_train[:n])
    y = enc(ds.y_train[:n])
    fit_end = n - n_val
    x_val = x[fit_end:] if n_val else None
    y_val = y[fit_end:] if n_val else None
    return Arrays(x[:fit_end], y[:fit_end], x_val, y_val, ds.scaled(ds.x_test), enc(ds.y_test))
