"""A drawing or a photo -> the 28x28 input an MNIST network expects -> probabilities.

MNIST digits are white on black, fit in a 20x20 box, and sit in a 28x28
image with their centre of mass in the middle. `to_input` does the same to
a canvas drawing or an uploaded picture, so the network sees what it was
trained on.
"""

from __future__ import annotations

import functools
import io

import numpy as np
from PIL import Image, UnidentifiedImageError

from lab import artifacts

INK_THRESHOLD = 0.1  # brightness (0..1) below which a pixel counts as background


class EmptyImage(ValueError):
    """Nothing drawn: no pixel is bright enough to be ink."""


class BadImage(ValueError):
    """A file that is not a readable picture."""


def read_upload(raw: bytes) -> np.ndarray:
    """PNG/JPEG bytes -> RGBA uint8 array. Raises `BadImage` for anything else."""
    try:
        with Image.open(io.BytesIO(raw)) as img:
            return np.asarray(img.convert("RGBA"))
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise BadImage("This file is not a picture the lab can read: upload a PNG or JPEG "
                       "of one digit.") from exc


def grey(rgba: np.ndarray) -> np.ndarray:
    """RGBA (or grey) uint8 -> float 0..1 ink image, white ink on black.

    Transparent pixels count as background. A picture that is mostly light
    (dark ink on paper) is inverted.
    """
    rgba = np.asarray(rgba)
    if rgba.ndim == 2:
        g = rgba.astype(np.float32) / 255.0
        alpha = np.ones_like(g)
    else:
        rgb = rgba[..., :3].astype(np.float32) / 255.0
        g = rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
        alpha = rgba[..., 3].astype(np.float32) / 255.0 if rgba.shape[-1] == 4 else np.ones_like(g)
    opaque = alpha > 0.5
    if opaque.mean() > 0.5 and np.median(g[opaque]) > 0.5:
        g = 1.0 - g  # dark ink on light paper
    g = g * alpha
    background = float(np.median(g))
    if background > 0.02 and g.max() > background:  # a photo: grey paper, not a clean canvas
        g = np.clip((g - background) / (g.max() - background), 0.0, 1.0)
    return g


def to_input(rgba: np.ndarray) -> np.ndarray:
    """Centre and scale a drawing the MNIST way.

    Args:
        rgba: (H, W, 4) uint8 canvas image, or an RGB/grey picture.

    Returns:
        (28, 28) float32 in 0..1, white digit on black.

    Raises:
        EmptyImage: no ink at all (an empty canvas).

    Example:
        >>> canvas = np.zeros((280, 280, 4), np.uint8); canvas[60:220, 130:150] = 255
        >>> to_input(canvas).shape
        (28, 28)
    """
    if rgba is None:
        raise EmptyImage("The canvas is empty: draw a digit first.")
    g = grey(rgba)
    ink = g > INK_THRESHOLD
    if not ink.any():
        raise EmptyImage("The canvas is empty: draw a digit first.")
    rows, cols = np.where(ink)
    crop = g[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    h, w = crop.shape
    scale = 20.0 / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = np.asarray(Image.fromarray((crop * 255).astype(np.uint8)).resize(size, Image.LANCZOS),
                       dtype=np.float32) / 255.0
    out = np.zeros((28, 28), np.float32)
    top, left = (28 - size[1]) // 2, (28 - size[0]) // 2
    out[top:top + size[1], left:left + size[0]] = small
    return np.clip(_centre_mass(out), 0.0, 1.0)


def _centre_mass(img: np.ndarray) -> np.ndarray:
    total = img.sum()
    ys, xs = np.indices(img.shape)
    # Real MNIST digits have their centre of mass at pixel (14, 14) (measured on the test set).
    dy = int(round(14.0 - (ys * img).sum() / total))
    dx = int(round(14.0 - (xs * img).sum() / total))
    shifted = np.zeros_like(img)
    src = img[max(0, -dy):28 - max(0, dy), max(0, -dx):28 - max(0, dx)]
    shifted[max(0, dy):max(0, dy) + src.shape[0], max(0, dx):max(0, dx) + src.shape[1]] = src
    return shifted


class BadModel(ValueError):
    """A model file the lab cannot or will not use; the message is one sentence."""


@functools.lru_cache(maxsize=4)
def load_model(path: str, mtime: float):
    """A saved model, loaded once per file version (pass the file's mtime).

    Raises:
        BadModel: the file is damaged, not a Keras model, or holds code (refused unread).
    """
    refused = artifacts.refusal(path)
    if refused:
        raise BadModel(refused)
    import keras

    try:
        return keras.models.load_model(path, compile=False)  # safe mode: code is never run
    except Exception as exc:  # Keras raises many kinds; one sentence, never its config dump
        raise BadModel(artifacts.load_error(exc)) from exc


def draws_for(dataset: str) -> bool:
    """Whether models trained on ``dataset`` read 28x28 drawings (MNIST-like images)."""
    from lab.data import DATASETS

    info = DATASETS.get(dataset)
    return info is not None and info.input_shape == (28, 28, 1)


def probabilities(model, image: np.ndarray) -> np.ndarray:
    """The model's probability for each class of one (28, 28) input.

    Uses a direct call (``training=False``), several times faster than
    ``model.predict`` for one image. Outputs that are not already
    probabilities (no softmax at the end) are passed through a softmax.

    Raises:
        ValueError: the model does not take one 28x28 image, or its weights are broken
            (it answers NaN, as a diverged run does).
    """
    shape = (1,) + tuple(model.input_shape[1:])
    if int(np.prod(shape)) != image.size:
        raise ValueError(f"This model takes inputs of shape {shape[1:]}, not a 28x28 image.")
    out = np.asarray(model(image.reshape(shape).astype(np.float32), training=False))[0]
    out = out.astype(np.float64)
    if not np.all(np.isfinite(out)):
        raise ValueError("The model answers NaN: its training diverged.")
    if out.min() < 0 or abs(out.sum() - 1.0) > 1e-3:
        e = np.exp(out - out.max())
        out = e / e.sum()
    return out
