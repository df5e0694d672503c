"""The shift experiment: test images moved a few pixels, and how test accuracy falls.

MNIST digits sit in the middle of their 28x28 images. Moving them (not
re-centring them) shows what a network has learnt about position: every
weight of a dense network belongs to one pixel, while a CNN slides the same
small filters over the whole image and pooling forgets a pixel or two of
position. The chart shows whatever the real models do.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd

from lab import answers, artifacts, data, evaluate, predict
from lab.artifacts import ModelFiles
from lab.records.types import RunRecord

DIRECTIONS: dict[str, tuple[int, int]] = {  # (rows, columns) moved per pixel of shift
    "right": (0, 1), "left": (0, -1), "down": (1, 0), "up": (-1, 0),
    "down and right": (1, 1), "up and left": (-1, -1),
}
LARGEST = 8  # the usual largest shift: enough to see a dense network fail
SAMPLES = (500, 1000, 2000, 10000)  # how many test images each point of the chart uses


class ShiftError(ValueError):
    """A shift that cannot be made; the message says which ones can."""


def check(pixels, side: int = 28) -> int:
    """``pixels`` as a shift an image ``side`` pixels wide can take (0 to ``side - 1``).

    Raises:
        ShiftError: not a whole number, negative, or as large as the image (nothing would be left).

    Example:
        >>> check(8)
        8
        >>> check(30)
        Traceback (most recent call last):
        ...
        lab.shift.ShiftError: A shift of 30 pixels moves the whole 28-pixel image out of view: choose a shift from 0 to 27 (a few pixels already show the effect).
    """
    try:
        whole = not isinstance(pixels, bool) and float(pixels).is_integer()
    except (TypeError, ValueError):
        whole = False
    if not whole:
        raise ShiftError(f"A shift of {pixels} pixels is not possible: choose a whole number of pixels.")
    pixels = int(pixels)
    if pixels < 0:
        raise ShiftError(f"A shift of {pixels} pixels is not possible: choose 0 or more (the direction says which "
                         "way).")
    if pixels >= side:
        raise ShiftError(f"A shift of {pixels} pixels moves the whole {side}-pixel image out of view: choose a "
                         f"shift from 0 to {side - 1} (a few pixels already show the effect).")
    return pixels


def shift(images: np.ndarray, pixels: int, direction: str = "right") -> np.ndarray:
    """Move every image ``pixels`` pixels toward ``direction``. What leaves the frame is
    lost; what comes in is background (0). Nothing is re-centred.

    Args:
        images: (N, H, W) or (H, W) array.
        pixels: 0 to the image's side - 1.
        direction: a key of `DIRECTIONS`.

    Raises:
        ShiftError: see `check`; or an unknown direction.

    Example:
        >>> shift(np.array([[1, 2, 3], [4, 5, 6]]), 1, "right").tolist()
        [[0, 1, 2], [0, 4, 5]]
    """
    if direction not in DIRECTIONS:
        raise ShiftError(f"Unknown direction '{direction}': choose one of {', '.join(DIRECTIONS)}.")
    height, width = images.shape[-2:]
    pixels = check(pixels, min(height, width))
    dy, dx = (step * pixels for step in DIRECTIONS[direction])
    out = np.zeros_like(images)
    out[..., max(0, dy):height + min(0, dy), max(0, dx):width + min(0, dx)] = \
        images[..., max(0, -dy):height - max(0, dy), max(0, -dx):width - max(0, dx)]
    return out


def curve(model, ds: data.Dataset, direction: str, largest: int = LARGEST, count: int = 1000) -> list[float]:
    """Test accuracy of ``model`` on the first ``count`` test images of ``ds`` moved 0, 1, ...
    ``largest`` pixels toward ``direction``: one accuracy per shift.

    Raises:
        ShiftError: see `shift`.
        lab.answers.EvaluateError: the model does not take these images.
    """
    check(largest, min(ds.x_test.shape[1:3]))
    images, labels = ds.x_test[:count], ds.y_test[:count]
    return [float((answers.quick(model, ds.scaled(shift(images, k, direction))).argmax(axis=1) == labels).mean())
            for k in range(largest + 1)]


def curves(runs: list[RunRecord], models: ModelFiles, direction: str, largest: int = LARGEST,
           count: int = 1000) -> pd.DataFrame:
    """The shift experiment for several runs on one dataset: columns run, shift, accuracy.

    Each run's curve is computed once per model file version and settings (kept in memory).

    Raises:
        ShiftError: see `shift`.
        lab.answers.EvaluateError: a run cannot be looked at (`lab.answers.check`), or the runs
            were trained on different datasets.
    """
    if not runs:
        raise ShiftError("Choose at least one run for the shift experiment.")
    for run in runs:
        answers.check(run, models)
        evaluate.comparable(runs[0], run)
    check(largest, min(data.DATASETS[runs[0].dataset].input_shape[:2]))
    rows = []
    for run in runs:
        path = models.locate(run)
        accuracy = _kept_curve(run.id, str(path), artifacts.version(path), run.dataset, direction, largest, count)
        rows += [{"run": f"run {run.id}: {run.network}", "shift": k, "accuracy": a} for k, a in enumerate(accuracy)]
    return pd.DataFrame(rows, columns=["run", "shift", "accuracy"])


@functools.lru_cache(maxsize=32)
def _kept_curve(run_id: int, path: str, version: str, dataset: str, direction: str, largest: int,
                count: int) -> tuple[float, ...]:
    return tuple(curve(_model(run_id, path), data.load(dataset), direction, largest, count))


def _model(run_id: int, path: str):
    try:
        return predict.load_model(path, Path(path).stat().st_mtime)
    except (predict.BadModel, OSError) as exc:
        raise answers.EvaluateError(f"The model of run {run_id} cannot be used: {exc}") from exc


def example(runs: list[RunRecord], models: ModelFiles, index: int, direction: str,
            largest: int = LARGEST) -> tuple[list[np.ndarray], list[str]]:
    """Test image ``index`` of the runs' dataset moved 0, 1, ... ``largest`` pixels, and for
    each step a caption with every run's answer (``"3 px · run 4: 7 · run 5: 1"``).

    Raises:
        ShiftError, lab.answers.EvaluateError: as `curves`.
    """
    ds = data.load(runs[0].dataset)
    moved = np.stack([shift(ds.x_test[index], k, direction) for k in range(check(largest) + 1)])
    given = {run.id: answers.of_model(_model(run.id, str(models.locate(run))), ds.scaled(moved)).argmax(axis=1)
               for run in runs}
    captions = [" · ".join([f"{k} px"] + [f"run {i}: {ds.class_names[a[k]]}" for i, a in given.items()])
                for k in range(len(moved))]
    return list(moved), captions
