"""One registry entry per layer kind: everything the lab knows about that kind.

An entry (`LayerKind`) holds the fields the kind uses, its short label, the
activation it contributes to the "activations" column, the output shape and
parameter arithmetic with the formula a teacher writes on the board, and the
Keras call that builds it (which is also the code the Architecture page
exports, so the two cannot disagree). A new layer kind is one new entry in
`KINDS`; a new view of layers reads the entries.

No Keras here: `keras_layer` receives the ``keras`` module from `lab.build`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

ACTIVATIONS = ("relu", "sigmoid", "softmax", "tanh", "linear", "elu", "selu",
               "gelu", "swish", "softplus")
PADDINGS = ("valid", "same")

Shape = tuple[int, ...]


def _fmt(n: int) -> str:
    return f"{n:,}"


# ---- the checks of each field (a field means the same in every kind that uses it) ----------

MAX_WIDTH = 1_000_000  # units or filters of one layer (a parameter count stays a 64-bit number)
MAX_WINDOW = 1_000  # kernel, stride or pool size


def _at_least_one(what: str, usual: str = "", most: int = MAX_WINDOW) -> Callable:
    def check(layer, name: str, field: str) -> str | None:
        value = getattr(layer, field)
        if value < 1:
            return f"{name} has {what.format(value=value)}: use 1 or more{usual}."
        if value > most:
            return f"{name} has {what.format(value=f'{value:,}')}: the lab allows at most {most:,}{usual}."
        return None
    return check


def _choice(options: tuple[str, ...], what: str) -> Callable:
    def check(layer, name: str, field: str) -> str | None:
        value = getattr(layer, field)
        if value not in options:
            return f"{name}: unknown {what} '{value}'. Choose one of: {', '.join(options)}."
        return None
    return check


def _units(layer, name, field):
    if layer.units < 1:
        return f"{name} has {layer.units} units: a Dense layer needs at least 1 unit."
    if layer.units > MAX_WIDTH:
        return f"{name} has {layer.units:,} units: the lab allows at most {MAX_WIDTH:,} (a few hundred is usual)."
    return None


def _rate(layer, name, field):
    if not 0 <= layer.rate < 1:
        return (f"{name} has a rate of {layer.rate:g}: the rate is the fraction of inputs "
                "dropped, so it must be at least 0 and below 1 (0.2 to 0.5 is usual).")
    return None


def _slope(layer, name, field):
    if layer.negative_slope < 0:
        return f"{name} has a negative slope of {layer.negative_slope:g}: use 0 or more (0.3 is usual)."
    return None


def _padding(layer, name, field):
    if layer.padding not in PADDINGS:
        return f"{name}: padding must be 'valid' or 'same', not '{layer.padding}'."
    return None


FIELD_CHECKS: dict[str, Callable] = {
    "units": _units,
    "filters": _at_least_one("{value} filters", " (32 or 64 is usual)", most=MAX_WIDTH),
    "kernel_size": _at_least_one("a kernel size of {value}", " (3 is usual)"),
    "strides": _at_least_one("a stride of {value}"),
    "pool_size": _at_least_one("a pool size of {value}", " (2 is usual)"),
    "padding": _padding,
    "activation": _choice(ACTIVATIONS, "activation"),
    "rate": _rate,
    "negative_slope": _slope,
}


# ---- shape and parameter arithmetic ---------------------------------------------------------

def _out_size(size: int, window: int, stride: int, padding: str) -> int:
    if padding == "same":
        return math.ceil(size / stride)
    return (size - window) // stride + 1


def _image_input(shape: Shape, where: str) -> tuple[int, int, int]:
    if len(shape) != 3:
        raise ValueError(
            f"{where} needs an image-shaped input (height, width, channels) but receives "
            f"{shape}. Place it before the Flatten layer, or remove it.")
    return shape  # type: ignore[return-value]


def _window(shape: Shape, window: int, stride: int, padding: str, where: str) -> tuple[int, int]:
    h, w, _ = shape
    oh, ow = (_out_size(s, window, stride, padding) for s in (h, w))
    if oh < 1 or ow < 1:
        raise ValueError(
            f"{where} has a {window}x{window} window but its input is only {h}x{w} pixels. "
            "Use padding 'same', a smaller window, or fewer pooling layers before it.")
    return oh, ow


def _dense_step(layer, shape: Shape, where: str):
    d = shape[-1]
    params = d * layer.units + layer.units
    return (shape[:-1] + (layer.units,), params,
            f"{_fmt(d)} inputs x {_fmt(layer.units)} units + {_fmt(layer.units)} biases = {_fmt(params)}")


def _conv_step(layer, shape: Shape, where: str):
    c = _image_input(shape, where)[2]
    oh, ow = _window(shape, layer.kernel_size, layer.strides, layer.padding, where)
    k = layer.kernel_size
    params = k * k * c * layer.filters + layer.filters
    return ((oh, ow, layer.filters), params,
            f"{k}x{k} kernel x {_fmt(c)} channel{'s' * (c != 1)} x {_fmt(layer.filters)} filters + "
            f"{_fmt(layer.filters)} biases = {_fmt(params)}")


def _pool_step(keeps: str) -> Callable:
    def step(layer, shape: Shape, where: str):
        c = _image_input(shape, where)[2]
        oh, ow = _window(shape, layer.pool_size, layer.pool_size, layer.padding, where)
        return ((oh, ow, c), 0,
                f"no weights: keeps the {keeps} of each {layer.pool_size}x{layer.pool_size} patch")
    return step


def _flatten_step(layer, shape: Shape, where: str):
    n = math.prod(shape)
    return (n,), 0, f"no weights: {' x '.join(map(str, shape))} = {_fmt(n)} values in one row"


def _batchnorm_step(layer, shape: Shape, where: str):
    c = shape[-1]
    return shape, 4 * c, f"4 x {_fmt(c)} (scale, shift, moving mean, moving variance) = {_fmt(4 * c)}"


def _dropout_step(layer, shape: Shape, where: str):
    return shape, 0, f"no weights: zeroes {layer.rate:.0%} of values while training"


def _elementwise_step(layer, shape: Shape, where: str):
    return shape, 0, "no weights: applies a function to each value"


# ---- labels ---------------------------------------------------------------------------------

def _padding_note(layer) -> str:
    return "" if layer.padding == "valid" else ", same"


def _conv_label(layer) -> str:
    extra = _padding_note(layer) + ("" if layer.strides == 1 else f", stride {layer.strides}")
    return f"Conv2D({layer.filters}, {layer.kernel_size}x{layer.kernel_size}{extra}, {layer.activation})"


def _pool_label(layer) -> str:
    return f"{layer.kind}({layer.pool_size}x{layer.pool_size}{_padding_note(layer)})"


# ---- the registry ---------------------------------------------------------------------------

def _no_activation(layer) -> None:
    return None


def _own_activation(layer) -> str:
    return layer.activation


@dataclass(frozen=True)
class LayerKind:
    """Everything about one layer kind.

    ``positional`` and ``keywords`` are the Keras constructor's arguments, in
    order: `keras_args` turns a layer into them, so building the model and
    exporting its code use the same call. ``skip_default`` names keyword
    fields left out of exported code when they hold this value.

    Example:
        >>> from lab.spec import LayerSpec
        >>> dense = LayerSpec("Dense", units=16)
        >>> KINDS["Dense"].code(dense), KINDS["Dense"].step(dense, (784,), "Layer 1")[1]
        ("keras.layers.Dense(16, activation='relu')", 12560)
    """

    name: str
    fields: tuple[str, ...]
    label: Callable
    step: Callable
    positional: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    skip_default: tuple[tuple[str, object], ...] = ()
    activation: Callable = _no_activation  # the name in the "activations" column, or None
    width_field: str | None = None  # the field that sets the width of the output row

    def check(self, layer, index: int) -> str | None:
        """The first problem with this layer's own values, or None."""
        name = f"Layer {index} ({self.name})"
        for field in self.fields:
            problem = FIELD_CHECKS[field](layer, name, field)
            if problem:
                return problem
        return None

    def keras_args(self, layer, for_code: bool = False) -> tuple[list, dict]:
        """The Keras constructor's positional and keyword arguments for ``layer``."""
        args = [getattr(layer, f) for f in self.positional]
        skip = dict(self.skip_default) if for_code else {}
        kwargs = {f: getattr(layer, f) for f in self.keywords
                  if not (f in skip and getattr(layer, f) == skip[f])}
        return args, kwargs

    def keras_layer(self, keras, layer, name: str):
        """Build the Keras layer (``keras`` is the module, passed in by `lab.build`)."""
        args, kwargs = self.keras_args(layer)
        return getattr(keras.layers, self.name)(*args, **kwargs, name=name)

    def code(self, layer) -> str:
        """The same layer as Keras code, e.g. ``keras.layers.Dense(16, activation='relu')``."""
        args, kwargs = self.keras_args(layer, for_code=True)
        parts = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
        return f"keras.layers.{self.name}({', '.join(parts)})"


KINDS: dict[str, LayerKind] = {kind.name: kind for kind in (
    LayerKind("Dense", ("units", "activation"), lambda l: f"Dense({l.units}, {l.activation})",
              _dense_step, positional=("units",), keywords=("activation",),
              activation=_own_activation, width_field="units"),
    LayerKind("Conv2D", ("filters", "kernel_size", "strides", "padding", "activation"), _conv_label,
              _conv_step, positional=("filters", "kernel_size"),
              keywords=("strides", "padding", "activation"), skip_default=(("strides", 1),),
              activation=_own_activation),
    LayerKind("MaxPooling2D", ("pool_size", "padding"), _pool_label, _pool_step("largest"),
              positional=("pool_size",), keywords=("padding",)),
    LayerKind("AveragePooling2D", ("pool_size", "padding"), _pool_label, _pool_step("mean"),
              positional=("pool_size",), keywords=("padding",)),
    LayerKind("Dropout", ("rate",), lambda l: f"Dropout({l.rate:g})", _dropout_step,
              positional=("rate",)),
    LayerKind("Flatten", (), lambda l: "Flatten", _flatten_step),
    LayerKind("BatchNormalization", (), lambda l: "BatchNormalization", _batchnorm_step),
    LayerKind("LeakyReLU", ("negative_slope",), lambda l: f"LeakyReLU({l.negative_slope:g})",
              _elementwise_step, keywords=("negative_slope",),
              activation=lambda layer: "leaky_relu"),
    LayerKind("Activation", ("activation",), lambda l: f"Activation({l.activation})",
              _elementwise_step, keywords=("activation",), activation=_own_activation),
)}

