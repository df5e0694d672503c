"""A drawing or a photo -> the 28x28 input an MNIST network expects -> probabilities.

MNIST digits are white on black, fit in a 20x20 box, and sit in a 28x28
image with their centre of mass in the middle. `to_input` does the same to
a canvas drawing or an uploaded picture, so the network sees what it was
trained on.
"""

from __future__ import annotations

import functools
import io
import warnings

import numpy as np
from PIL import Image, UnidentifiedImageError

from lab import artifacts
from lab.settings import settings

INK_THRESHOLD = 0.1  # brightness (0..1) below which a pixel counts as background
MIN_SIDE = 8  # pixels: a smaller picture cannot hold a readable digit
MAX_COVER = 0.6  # share of a drawing that may be ink before it is no longer a digit on a background
PLAIN = 0.05  # a picture whose shades all lie closer than this holds no digit
WORK_SIDE = 1024  # large pictures are shrunk to this before anything else: a 28x28 result needs no more


class EmptyImage(ValueError):
    """Nothing drawn: no pixel is bright enough to be ink."""


class BadImage(ValueError):
    """A picture the lab cannot read a digit from; the message says what is wrong with it."""


def read_upload(raw: bytes, max_pixels: int | None = None) -> np.ndarray:
    """PNG/JPEG bytes -> RGBA uint8 array, at most `WORK_SIDE` pixels a side.

    The size is read from the file's header first: a picture over ``max_pixels``
    (default ``LAB_MAX_IMAGE_PIXELS``) is refused before it is decoded, so a
    small file that unpacks to a huge image cannot stall a shared server.

    Raises:
        BadImage: not a picture, too many pixels, or too small to hold a digit.
    """
    limit = max_pixels or settings().max_image_pixels
    try:
        with warnings.catch_warnings():  # PIL's own bomb warning: the size is checked right below
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(raw))  # reads the header, not the pixels
        with img:
            w, h = img.size
            if w * h > limit:
                raise BadImage(f"This picture is {w:,} x {h:,} pixels ({w * h / 1e6:,.0f} million); the lab "
                               f"reads pictures of up to {limit / 1e6:g} million pixels. Shrink or crop it "
                               "and upload it again.")
            if min(w, h) < MIN_SIDE:
                raise BadImage(f"This picture is only {w} x {h} pixels: too small to hold a digit. Upload "
                               f"a picture of at least {MIN_SIDE} x {MIN_SIDE} pixels.")
            img.draft("RGB", (WORK_SIDE, WORK_SIDE))  # JPEG decodes at a reduced size; others ignore it
            rgba = img.convert("RGBA")
            rgba.thumbnail((WORK_SIDE, WORK_SIDE))
            return np.asarray(rgba)
    except Image.DecompressionBombError as exc:
        raise BadImage(f"This picture has far more pixels than the lab reads (up to {limit / 1e6:g} million). "
                       "Shrink or crop it and upload it again.") from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        if isinstance(exc, BadImage):
            raise
        raise BadImage("This file is not a picture the lab can read: upload a PNG or JPEG "
                       "of one digit.") from exc


def grey(rgba: np.ndarray, paper: bool = True) -> np.ndarray:
    """RGBA (or grey) uint8 -> float 0..1 ink image, white ink on black.

    Transparent pixels are background whatever colour the ink is: in a cut-out
    (a digit on a transparent background) the opaque pixels are the ink. With
    ``paper`` (a photo or a scan), a picture that is mostly light (dark ink on
    paper) is inverted and an even grey paper is taken away; a canvas drawing
    (``paper=False``) is already white on black.
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
    if (~opaque).mean() > 0.05 and opaque.any():  # a cut-out on a transparent background
        shades = g[opaque]
        if np.percentile(shades, 90) - np.percentile(shades, 10) < 0.3:
            return alpha  # one colour of ink: where it is opaque is where the digit is
        g = np.where(opaque, g, np.median(shades))  # a picture with its own paper: fill the holes with it
        alpha = np.ones_like(g)
    if paper and opaque.mean() > 0.5 and np.median(g[opaque]) > 0.5:
        g = 1.0 - g  # dark ink on light paper
    g = g * alpha
    background = float(np.median(g))
    if paper and background > 0.02 and g.max() > background:  # grey paper, not a clean canvas
        g = np.clip((g - background) / (g.max() - background), 0.0, 1.0)
    return g


def from_canvas(rgba: np.ndarray | None, centre: bool = True) -> np.ndarray:
    """The canvas drawing (white on black, as `st_canvas` returns it) as a 28x28 input:
    centred and scaled the MNIST way, or with ``centre=False`` the whole canvas shrunk as
    it is (`as_drawn`), so a digit drawn in a corner stays in the corner.

    Raises:
        EmptyImage: nothing drawn.
        BadImage: the drawing covers most of the canvas, so no digit stands on a background.
    """
    if rgba is not None:
        covered = float((grey(rgba, paper=False) > 0.5).mean())
        if covered > MAX_COVER:
            raise BadImage(f"The drawing covers {covered:.0%} of the canvas, so the lab cannot tell the "
                           "digit from the background. Press Clear and draw one digit with space around it.")
    return to_input(rgba, paper=False) if centre else as_drawn(rgba)


def as_drawn(rgba: np.ndarray | None) -> np.ndarray:
    """The whole canvas shrunk to 28x28 as it is: not cropped, not scaled to the digit, not
    centred. Where the digit was drawn is where the network sees it.

    Raises:
        EmptyImage: no ink at all.

    Example:
        >>> canvas = np.zeros((280, 280, 4), np.uint8); canvas[10:110, 10:30] = 255  # top left
        >>> rows, cols = np.nonzero(as_drawn(canvas) > 0.5)
        >>> [int(v) for v in (rows.min(), rows.max(), cols.min(), cols.max())]
        [1, 10, 1, 2]
    """
    g = None if rgba is None else grey(rgba, paper=False)
    if g is None or not (g > INK_THRESHOLD).any():
        raise EmptyImage("The canvas is empty: draw a digit first.")
    small = Image.fromarray((g * 255).astype(np.uint8)).resize((28, 28), Image.BOX)  # each pixel: its area's mean
    return np.asarray(small, dtype=np.float32) / 255.0


def from_upload(raw: bytes) -> np.ndarray:
    """An uploaded picture (PNG or JPEG bytes) as a 28x28 input.

    Raises:
        BadImage: not a picture, too large or too small, fully transparent, or one plain
            colour; the message says which.
    """
    rgba = read_upload(raw)
    if rgba[..., 3].max() == 0:
        raise BadImage("This picture is fully transparent: there is nothing in it to read. Upload a "
                       "picture in which the digit is visible.")
    shades = grey(rgba)
    if float(shades.max() - shades.min()) < PLAIN:
        raise BadImage("This picture is one plain colour: there is no digit in it to read. Upload a "
                       "picture of one digit on a plain background.")
    return to_input(rgba)


def to_input(rgba: np.ndarray, paper: bool = True) -> np.ndarray:
    """Centre and scale a drawing the MNIST way.

    Args:
        rgba: (H, W, 4) uint8 canvas image, or an RGB/grey picture.
        paper: whether it may be dark ink on light paper (see `grey`).

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
    g = grey(rgba, paper)
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
    out = np.asarray(model(image.reshape(shape).astype(np.float32), training=False)).astype(np.float64)
    if not np.all(np.isfinite(out)):
        raise ValueError("The model answers NaN: its training diverged.")
    return normalised(out)[0]


def normalised(out: np.ndarray) -> np.ndarray:
    """Rows of a model's finite outputs as probabilities: as they are when every row
    already is one (a softmax at the end), else all passed through a softmax.

    Example:
        >>> normalised(np.array([[0.25, 0.75]])).tolist(), normalised(np.array([[0.0, 0.0]])).tolist()
        ([[0.25, 0.75]], [[0.5, 0.5]])
    """
    if len(out) and (out.min() < 0 or np.abs(out.sum(axis=1) - 1.0).max() > 1e-3):
        e = np.exp(out - out.max(axis=1, keepdims=True))
        out = e / e.sum(axis=1, keepdims=True)
    return out
