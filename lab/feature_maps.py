"""What a CNN sees: the feature maps of its Conv2D and pooling layers, and its first filters.

`probe` builds, once per model file, a Keras model that returns the output of
every Conv2D and pooling layer of a trained network; `maps` runs one image
through it in a single forward pass (a direct call, no ``predict``).
`mosaic` lays the channels of one layer out as a grid of small grey images,
which is how a page shows them.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from lab import predict

MAP_KINDS = ("Conv2D", "MaxPooling2D", "AveragePooling2D")


class NoMaps(ValueError):
    """A network without Conv2D layers (or an input that does not fit); the message says so."""


@dataclass(frozen=True)
class LayerMaps:
    """The output of one Conv2D or pooling layer for one image: (height, width, channels)."""

    position: int
    name: str
    kind: str
    values: np.ndarray

    @property
    def shape(self) -> tuple[int, int, int]:
        """The layer's output shape for one image."""
        return tuple(int(n) for n in self.values.shape)


def check(model) -> None:
    """Refuse a network with no Conv2D layer, saying what it is instead.

    Raises:
        NoMaps: an XOR network, or one without convolutions.
    """
    names = [type(layer).__name__ for layer in model.layers]
    if tuple(model.input_shape[1:]) == (2,):
        raise NoMaps("This is an XOR network: it reads two numbers, not an image, so it has no feature "
                     "maps. Open it on the XOR tab.")
    if "Conv2D" not in names:
        raise NoMaps(f"This network has no Conv2D layer ({' > '.join(names)}), so it makes no feature "
                     "maps: every unit of its first Dense layer looks at all 784 pixels at once. Pick a "
                     "CNN (for example the Conv 32-64-64 preset), or open this one on the tab \"A dense "
                     "network, step by step\".")


@dataclass(frozen=True)
class Probe:
    """A model returning the outputs of the chosen layers, and which layers they are
    (position in the network, name, kind)."""

    net: object
    layers: tuple[tuple[int, str, str], ...]


@functools.lru_cache(maxsize=4)
def probe(path: str, mtime: float) -> Probe:
    """A model returning the output of every Conv2D and pooling layer of the model file at
    ``path``; built once per file version (pass its mtime) and kept.

    Raises:
        lab.predict.BadModel: the file cannot be read (damaged, not Keras, holds code).
        NoMaps: see `check`.
    """
    import keras

    model = predict.load_model(path, mtime)
    check(model)
    chosen = [(i, layer) for i, layer in enumerate(model.layers, start=1) if type(layer).__name__ in MAP_KINDS]
    net = keras.Model(inputs=model.inputs[0], outputs=[layer.output for _, layer in chosen])
    return Probe(net, tuple((i, layer.name, type(layer).__name__) for i, layer in chosen))


def maps(path: str, mtime: float, image: np.ndarray) -> list[LayerMaps]:
    """The feature maps of one image, from one forward pass through `probe`.

    Args:
        path, mtime: the model file and its modification time.
        image: one input, e.g. a (28, 28) float image in 0..1.

    Raises:
        lab.predict.BadModel, NoMaps: see `probe`; also an image of the wrong size.
    """
    p = probe(path, mtime)
    shape = tuple(p.net.input_shape[1:])
    if int(np.prod(shape)) != np.asarray(image).size:
        raise NoMaps(f"This network reads inputs of shape {shape}, not an image of {np.asarray(image).shape}.")
    outs = p.net(np.asarray(image, dtype=np.float32).reshape((1,) + shape), training=False)
    outs = outs if isinstance(outs, (list, tuple)) else [outs]
    return [LayerMaps(i, name, kind, np.asarray(out)[0]) for (i, name, kind), out in zip(p.layers, outs)]


def first_filters(model) -> np.ndarray:
    """The kernel of the first Conv2D layer: (height, width, input channels, filters).

    Raises:
        NoMaps: the network has no Conv2D layer.
    """
    check(model)
    conv = next(layer for layer in model.layers if type(layer).__name__ == "Conv2D")
    return np.asarray(conv.get_weights()[0])


def mosaic(values: np.ndarray, columns: int | None = None, fit: int = 0, centred: bool = False) -> np.ndarray:
    """The channels of ``values`` (H, W, C) as one grey grid image: C small images with a
    one-pixel dark line between them, scaled together (so a weak channel looks weak).

    Args:
        values: one layer's maps, or filters with their input channel already chosen.
        columns: images per row (default: about a square grid).
        fit: make the grid about this many pixels wide by repeating each pixel (0: as it is).
        centred: 0 is mid-grey and the sign shows (for filters, whose weights are signed);
            otherwise 0 is black and the largest value white (for maps after relu).

    Returns:
        A uint8 image.

    Example:
        >>> grid = mosaic(np.stack([np.zeros((2, 2)), np.ones((2, 2))], axis=-1))
        >>> grid.shape, grid[0].tolist()
        ((2, 5), [0, 0, 40, 255, 255])
    """
    v = np.asarray(values, dtype=np.float64)
    h, w, c = v.shape
    columns = columns or max(1, math.ceil(math.sqrt(c)))
    rows = math.ceil(c / columns)
    if centred:
        top = float(np.max(np.abs(v))) or 1.0
        shades = (v / top + 1.0) / 2.0
    else:
        low, top = float(np.min(v)), float(np.max(v))
        shades = (v - low) / (top - low) if top > low else np.zeros_like(v)
    grid = np.full((rows * (h + 1) - 1, columns * (w + 1) - 1), 40, np.uint8)  # dark lines between images
    for k in range(c):
        r, col = divmod(k, columns)
        grid[r * (h + 1):r * (h + 1) + h, col * (w + 1):col * (w + 1) + w] = np.round(shades[:, :, k] * 255)
    zoom = max(1, fit // grid.shape[1])
    return np.kron(grid, np.ones((zoom, zoom), np.uint8)) if zoom > 1 else grid
