"""A dense network on one image, step by step: every layer's numbers, computed by hand.

For a trained network made only of Flatten, Dense and Dropout layers (the
workshop 16-16-10, the 784-32-10 net, the 512-512 MLP), `walk` redoes the
forward pass with NumPy from the model's own weights: the 784 inputs in one
long row, each Dense layer's sums (``x·W + b``) and activations, the ten
outputs before and after softmax, and the answer. It also asks the model
itself, so a page can show that both agree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from lab import activations

DENSE_KINDS = ("Flatten", "Dense", "Dropout")


class InsideError(ValueError):
    """A network or an image the step-by-step view cannot use; the message says what instead."""


@dataclass(frozen=True)
class LayerValues:
    """One Dense layer on the image: its sums before the activation and its outputs after."""

    position: int
    label: str
    activation: str
    before: np.ndarray
    after: np.ndarray


@dataclass(frozen=True)
class Walk:
    """The forward pass of one image through a dense network, and the model's own answer.

    ``inputs`` is the image flattened (784 values); ``layers`` has one entry per Dense
    layer, the last one holding the outputs before (``logits``) and after its activation.
    """

    inputs: np.ndarray
    layers: tuple[LayerValues, ...]
    skipped: tuple[str, ...]
    model_outputs: np.ndarray

    @property
    def logits(self) -> np.ndarray:
        """The last layer's sums, before its activation (softmax)."""
        return self.layers[-1].before

    @property
    def outputs(self) -> np.ndarray:
        """The last layer's outputs (probabilities after a softmax)."""
        return self.layers[-1].after

    @property
    def answer(self) -> int:
        """The class with the largest output."""
        return int(np.argmax(self.outputs))

    @property
    def difference(self) -> float:
        """The largest gap between the outputs computed by hand and the model's own."""
        return float(np.max(np.abs(self.outputs - self.model_outputs)))


def spec_kinds(spec_json: str | None) -> list[str]:
    """The layer kinds in a run's recorded spec, without opening its model file (empty when
    the spec cannot be read).

    Example:
        >>> spec_kinds('{"layers": [{"kind": "Flatten"}, {"kind": "Dense", "units": 10}]}')
        ['Flatten', 'Dense']
        >>> spec_kinds("not json"), spec_kinds(None)
        ([], [])
    """
    try:
        return [str(layer["kind"]) for layer in json.loads(spec_json or "")["layers"]]
    except (ValueError, TypeError, KeyError):
        return []


def dense_only(spec_json: str | None) -> bool:
    """Whether a recorded spec is an image network of Flatten, Dense and Dropout layers only."""
    found = spec_kinds(spec_json)
    return "Flatten" in found and set(found) <= set(DENSE_KINDS)


def kinds(model) -> list[str]:
    """The kinds of the model's layers in order, e.g. ``['Flatten', 'Dense', 'Dense']``."""
    return [type(layer).__name__ for layer in model.layers]


def check(model) -> None:
    """Refuse a network the step-by-step view cannot read, saying where to look instead.

    Raises:
        InsideError: an XOR network (two numbers in, no image), a network with other layer
            kinds (convolutions, pooling, ...), or one without a Dense layer.
    """
    shape = tuple(model.input_shape[1:])
    if shape == (2,):
        raise InsideError("This is an XOR network: it reads two numbers, not an image. Open it on the "
                          "XOR tab, or pick a network trained on MNIST or Fashion-MNIST here.")
    others = sorted(set(kinds(model)) - set(DENSE_KINDS))
    if others:
        raise InsideError(f"This network has {', '.join(others)} layers; the step-by-step view reads "
                          "networks made only of Flatten, Dense and Dropout layers. For convolutions, see "
                          "the tab \"What a CNN sees\".")
    if "Dense" not in kinds(model):
        raise InsideError("This network has no Dense layer, so there is nothing to compute step by step.")
    for position, layer in enumerate(model.layers, start=1):
        if type(layer).__name__ == "Dense":
            _check_dense(layer, position)


def _check_dense(layer, position: int) -> None:
    """Refuse a Dense layer (of an uploaded model) that the view cannot compute by hand: an
    activation it does not know, no bias, or an input that is not one row of numbers."""
    config = layer.get_config()
    act = activations.of_layer(layer)
    if act not in activations.FUNCTIONS:
        raise InsideError(f"Layer {position} (Dense) uses the activation '{act}', which this view cannot "
                          f"compute by hand (it knows {', '.join(activations.FUNCTIONS)}). Pick another run.")
    if not config.get("use_bias", True):
        raise InsideError(f"Layer {position} (Dense) has no bias (use_bias=False); this view computes "
                          "weights times inputs plus a bias. Pick another run.")
    try:
        flat = len(layer.input.shape) == 2
    except (AttributeError, ValueError):  # a layer Keras cannot place in a graph
        flat = False
    if not flat:
        raise InsideError(f"Layer {position} (Dense) does not read one row of numbers (put a Flatten layer "
                          "before it): this view follows networks that flatten the image first.")


def walk(model, image: np.ndarray) -> Walk:
    """The forward pass of ``image`` through a Flatten/Dense/Dropout network, by hand.

    Dropout layers pass values through unchanged once a network is trained (they drop
    units only while it learns), so they are listed in ``skipped``.

    Args:
        model: a trained Keras model (`check` must accept it).
        image: one input, e.g. a (28, 28) float image in 0..1.

    Returns:
        A `Walk` holding every layer's values and the model's own outputs.

    Raises:
        InsideError: see `check`; the image does not fit the model; weights that are NaN
            (a diverged run).
    """
    check(model)
    shape = tuple(model.input_shape[1:])
    if int(np.prod(shape)) != np.asarray(image).size:
        raise InsideError(f"This network reads inputs of shape {shape}, not an image of "
                          f"{np.asarray(image).shape}.")
    x = np.asarray(image, dtype=np.float32).reshape(shape)
    values = x.reshape(-1).astype(np.float64)
    inputs, layers, skipped = values, [], []
    for position, layer in enumerate(model.layers, start=1):
        kind = type(layer).__name__
        if kind == "Dropout":
            skipped.append(f"Dropout (layer {position}) changes nothing once trained.")
        elif kind == "Dense":
            w, b = layer.get_weights()
            if not (np.all(np.isfinite(w)) and np.all(np.isfinite(b))):
                raise InsideError("Some weights of this network are not numbers (NaN or infinite): its "
                                  "training diverged. Pick another run, or train it again with a smaller "
                                  "learning rate.")
            act = activations.of_layer(layer)
            before = values @ w.astype(np.float64) + b
            after = activations.apply(act, before)
            layers.append(LayerValues(position, f"Dense({w.shape[1]}, {act})", act, before, after))
            values = after
    model_outputs = np.asarray(model(x[None], training=False), dtype=np.float64)[0]
    return Walk(inputs, tuple(layers), tuple(skipped), model_outputs)


def sentence(walk: Walk, class_names: tuple[str, ...], label: int | None = None) -> str:
    """The answer in words: which output is largest, what it was before and after softmax,
    and whether it is right.

    Example:
        >>> from lab.inside import LayerValues, Walk
        >>> logits = np.array([0.0, 3.0, 1.0])
        >>> out = np.exp(logits) / np.exp(logits).sum()
        >>> w = Walk(np.zeros(4), (LayerValues(1, "Dense(3, softmax)", "softmax", logits, out),), (), out)
        >>> sentence(w, ("0", "1", "2"), label=1)
        'The largest of the 3 outputs is number 1 (3.000 before softmax, 84.4% after), so the network reads "1". That is right.'
    """
    k = walk.answer
    last = walk.layers[-1]
    after = f"{walk.outputs[k]:.1%} after" if last.activation == "softmax" else f"{walk.outputs[k]:.3f} after"
    text = (f"The largest of the {len(walk.outputs)} outputs is number {k} ({walk.logits[k]:.3f} before "
            f"{last.activation}, {after}), so the network reads \"{class_names[k]}\".")
    if label is not None:
        text += " That is right." if label == k else f" The right answer is \"{class_names[label]}\"."
    return text
