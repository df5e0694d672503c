"""Shapes, parameter counts and their formulas, worked out from a spec alone.

This is the arithmetic a teacher writes on the board: no Keras needed, so
the architecture page answers instantly. `tests/test_summary.py` checks
every count against ``model.count_params()``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from lab.data import DATASETS
from lab.spec import ACTIVATIONS, LAYERS, LOSSES, OPTIMIZERS, PADDINGS, LayerSpec, ModelSpec, TrainSpec


@dataclass
class Row:
    """One line of the per-layer table."""

    index: int
    layer: str
    output_shape: tuple[int, ...]
    params: int
    formula: str


def _fmt(n: int) -> str:
    return f"{n:,}"


def _out_size(size: int, window: int, stride: int, padding: str) -> int:
    if padding == "same":
        return math.ceil(size / stride)
    return (size - window) // stride + 1


def _check_values(i: int, layer: LayerSpec) -> str | None:
    name = f"Layer {i} ({layer.kind})"
    used = LAYERS.get(layer.kind)
    if used is None:
        return f"Layer {i}: unknown kind '{layer.kind}'."
    if "units" in used and layer.units < 1:
        return f"{name} has {layer.units} units: a Dense layer needs at least 1 unit."
    if "filters" in used and layer.filters < 1:
        return f"{name} has {layer.filters} filters: it needs at least 1."
    if "kernel_size" in used and layer.kernel_size < 1:
        return f"{name} has a kernel size of {layer.kernel_size}: use 1 or more (3 is usual)."
    if "strides" in used and layer.strides < 1:
        return f"{name} has a stride of {layer.strides}: use 1 or more."
    if "pool_size" in used and layer.pool_size < 1:
        return f"{name} has a pool size of {layer.pool_size}: use 1 or more (2 is usual)."
    if "padding" in used and layer.padding not in PADDINGS:
        return f"{name}: padding must be 'valid' or 'same', not '{layer.padding}'."
    if "activation" in used and layer.activation not in ACTIVATIONS:
        return f"{name}: unknown activation '{layer.activation}'. Choose one of: {', '.join(ACTIVATIONS)}."
    if "rate" in used and not 0 <= layer.rate < 1:
        return (f"{name} has a rate of {layer.rate:g}: the rate is the fraction of inputs "
                "dropped, so it must be at least 0 and below 1 (0.2 to 0.5 is usual).")
    if "negative_slope" in used and layer.negative_slope < 0:
        return f"{name} has a negative slope of {layer.negative_slope:g}: use 0 or more (0.3 is usual)."
    return None


def _step(i: int, layer: LayerSpec, shape: tuple[int, ...]) -> tuple[tuple[int, ...], int, str]:
    """Output shape, parameters and formula of one layer; ValueError when impossible."""
    kind = layer.kind
    where = f"Layer {i} ({layer.label()})"
    if kind == "Dense":
        d = shape[-1]
        params = d * layer.units + layer.units
        return shape[:-1] + (layer.units,), params, \
            f"{_fmt(d)} inputs x {_fmt(layer.units)} units + {_fmt(layer.units)} biases = {_fmt(params)}"
    if kind in ("Conv2D", "MaxPooling2D", "AveragePooling2D"):
        if len(shape) != 3:
            raise ValueError(
                f"{where} needs an image-shaped input (height, width, channels) but receives "
                f"{shape}. Place it before the Flatten layer, or remove it.")
        h, w, c = shape
        if kind == "Conv2D":
            window, stride, channels = layer.kernel_size, layer.strides, layer.filters
        else:
            window, stride, channels = layer.pool_size, layer.pool_size, c
        oh, ow = (_out_size(s, window, stride, layer.padding) for s in (h, w))
        if oh < 1 or ow < 1:
            raise ValueError(
                f"{where} has a {window}x{window} window but its input is only {h}x{w} pixels. "
                "Use padding 'same', a smaller window, or fewer pooling layers before it.")
        if kind != "Conv2D":
            return (oh, ow, c), 0, f"no weights: keeps the {'largest' if kind[0] == 'M' else 'mean'} " \
                                   f"of each {window}x{window} patch"
        k = layer.kernel_size
        params = k * k * c * layer.filters + layer.filters
        return (oh, ow, channels), params, \
            f"{k}x{k} kernel x {_fmt(c)} channel{'s' * (c != 1)} x {_fmt(layer.filters)} filters + " \
            f"{_fmt(layer.filters)} biases = {_fmt(params)}"
    if kind == "Flatten":
        n = math.prod(shape)
        return (n,), 0, f"no weights: {' x '.join(map(str, shape))} = {_fmt(n)} values in one row"
    if kind == "BatchNormalization":
        c = shape[-1]
        return shape, 4 * c, f"4 x {_fmt(c)} (scale, shift, moving mean, moving variance) = {_fmt(4 * c)}"
    if kind == "Dropout":
        return shape, 0, f"no weights: zeroes {layer.rate:.0%} of values while training"
    return shape, 0, "no weights: applies a function to each value"


def layer_table(model: ModelSpec, input_shape: tuple[int, ...]) -> tuple[list[Row], list[str]]:
    """Walk the layers from ``input_shape``: one `Row` each, and the problems found.

    Stops at the first layer whose input it cannot accept.

    Example:
        >>> rows, problems = layer_table(ModelSpec(layers=[LayerSpec("Flatten"),
        ...     LayerSpec("Dense", units=10)]), (28, 28, 1))
        >>> [r.params for r in rows], problems
        ([0, 7850], [])
    """
    rows = [Row(0, "Input", tuple(input_shape), 0, "the image (or table row) itself")]
    shape = tuple(input_shape)
    for i, layer in enumerate(model.layers, start=1):
        problem = _check_values(i, layer)
        if problem:
            return rows, [problem]
        try:
            shape, params, formula = _step(i, layer, shape)
        except ValueError as exc:
            return rows, [str(exc)]
        rows.append(Row(i, layer.label(), shape, params, formula))
    return rows, []


def total_params(rows: list[Row]) -> int:
    """Sum of the parameter column."""
    return sum(r.params for r in rows)


MAX_PARAMS = 20_000_000  # a class server shares its memory: bigger nets are refused
MAX_ACTIVATION_BYTES = 2 * 1024**3  # float32 outputs of one batch, all layers together


def expected_outputs(loss: str, n_classes: int) -> tuple[int, ...]:
    """Output widths a loss accepts: one per class, or 1 for a two-class sigmoid."""
    if loss in ("binary_crossentropy", "mse") and n_classes == 2:
        return (1, 2)
    return (n_classes,)


def validate(model: ModelSpec, train: TrainSpec, n_train: int | None = None) -> list[str]:
    """Every reason this model and these settings cannot be trained, in plain words.

    Args:
        model: the network.
        train: the settings; ``train.dataset`` picks the input shape and classes.
        n_train: training images actually available (defaults to the dataset's size).

    Returns:
        A list of messages; empty when training can start.

    Example:
        >>> validate(ModelSpec(layers=[]), TrainSpec(dataset="xor", loss="mse"))
        ['The network has no layers: add at least one Dense layer.']
    """
    problems = []
    info = DATASETS.get(train.dataset)
    if info is None:
        return [f"Unknown dataset '{train.dataset}'. Choose one of: {', '.join(DATASETS)}."]
    if not model.layers:
        problems.append("The network has no layers: add at least one Dense layer.")
    else:
        rows, shape_problems = layer_table(model, info.input_shape)
        problems += shape_problems
        if not shape_problems:
            problems += _size_problems(rows, train.batch_size)
            out = rows[-1].output_shape
            want = expected_outputs(train.loss, info.n_classes)
            if len(out) != 1:
                problems.append(
                    f"The last layer outputs shape {out}, but each answer must be one row of "
                    f"{want[0]} numbers. Add a Flatten layer before the first Dense layer.")
            elif out[0] not in want:
                problems.append(
                    f"The last layer has {out[0]} outputs, but {info.title} has {info.n_classes} "
                    f"classes: end with a Dense layer of {want[-1]} units "
                    f"({'sigmoid' if want[0] == 1 else 'softmax'}).")
    problems += _train_problems(train, info, n_train if n_train is not None else info.n_train)
    return problems


def _size_problems(rows: list[Row], batch_size: int) -> list[str]:
    problems = []
    params = total_params(rows)
    if params > MAX_PARAMS:
        problems.append(f"The network has {params:,} parameters, more than the lab's limit of "
                        f"{MAX_PARAMS:,}: use fewer units or filters, or pool before the Dense layers.")
    values = sum(math.prod(r.output_shape) for r in rows)
    if values * max(batch_size, 1) * 4 > MAX_ACTIVATION_BYTES:
        gib = values * batch_size * 4 / 1024**3
        problems.append(f"One batch of {batch_size} would need about {gib:.1f} GiB for the layer "
                        "outputs alone: use a smaller batch size or smaller layers.")
    return problems


def _train_problems(train: TrainSpec, info, n_train: int) -> list[str]:
    problems = []
    if train.optimizer not in OPTIMIZERS:
        problems.append(f"Unknown optimizer '{train.optimizer}'. Choose one of: {', '.join(OPTIMIZERS)}.")
    if train.loss not in LOSSES:
        problems.append(f"Unknown loss '{train.loss}'. Choose one of: {', '.join(LOSSES)}.")
    if not (isinstance(train.learning_rate, (int, float)) and 0 < train.learning_rate <= 10):
        problems.append(f"The learning rate is {train.learning_rate}: it must be above 0 and at most 10 "
                        "(0.001 suits Adam and RMSprop, 0.01 to 0.1 suits SGD).")
    if train.epochs < 1:
        problems.append(f"Epochs is {train.epochs}: train for at least 1 epoch.")
    if not 0 <= train.validation_split < 1:
        problems.append(f"The validation split is {train.validation_split}: use a fraction from 0 "
                        "to below 1, such as 0.1.")
    if train.seed < 0:
        problems.append(f"The seed is {train.seed}: use 0 or a positive whole number.")
    if train.train_limit < 0:
        problems.append(f"The training image limit is {train.train_limit}: use 0 for all images, "
                        "or a positive number.")
    used = min(train.train_limit or n_train, n_train)
    fitting = used - int(used * train.validation_split) if 0 <= train.validation_split < 1 else used
    if train.batch_size < 1:
        problems.append(f"The batch size is {train.batch_size}: use at least 1 (32 to 256 is usual).")
    elif train.batch_size > fitting:
        problems.append(f"The batch size ({train.batch_size}) is larger than the {fitting} training "
                        f"examples left after the validation split: use a batch size of at most "
                        f"{fitting}.")
    if train.validation_split > 0 and int(used * train.validation_split) < 1:
        problems.append(f"A validation split of {train.validation_split} of {used} examples keeps "
                        "none for validation: set it to 0 or use more data.")
    if train.early_stopping < 0:
        problems.append("Early stopping patience must be 0 (off) or a number of epochs.")
    if (train.early_stopping or train.keep_best) and train.validation_split == 0:
        problems.append("Early stopping and keeping the best epoch watch the validation "
                        "accuracy: set a validation split above 0.")
    return problems
