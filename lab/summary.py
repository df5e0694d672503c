"""Shapes, parameter counts and their formulas, worked out from a spec alone.

This is the arithmetic a teacher writes on the board: no Keras needed, so
the architecture page answers instantly. Each layer kind's arithmetic lives
in its `lab.layers` entry; `tests/test_summary.py` checks every count
against ``model.count_params()``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from lab.data import DATASETS
from lab.layers import KINDS
from lab.settings import settings
from lab.spec import LOSSES, OPTIMIZERS, ModelSpec, TrainSpec, unknown
from lab.words import plural

MAX_ACTIVATION_BYTES = 2 * 1024**3  # float32 outputs of one batch, all layers together
MAX_SEED = 2**32 - 1  # what the random generators accept


@dataclass(frozen=True)
class Row:
    """One line of the per-layer table."""

    index: int
    layer: str
    output_shape: tuple[int, ...]
    params: int
    formula: str


def layer_table(model: ModelSpec, input_shape: tuple[int, ...]) -> tuple[list[Row], list[str]]:
    """Walk the layers from ``input_shape``: one `Row` each (after the input's), and the problems.

    Stops at the first layer whose input or values it cannot accept.

    Example:
        >>> from lab.spec import LayerSpec
        >>> rows, problems = layer_table(ModelSpec(layers=[LayerSpec("Flatten"),
        ...     LayerSpec("Dense", units=10)]), (28, 28, 1))
        >>> [r.params for r in rows], problems
        ([0, 0, 7850], [])
    """
    rows = [Row(0, "Input", tuple(input_shape), 0, "the image (or table row) itself")]
    shape = tuple(input_shape)
    for i, layer in enumerate(model.layers, start=1):
        kind = KINDS.get(layer.kind)
        if kind is None:
            return rows, [f"Layer {i}: unknown kind '{layer.kind}'."]
        problem = kind.check(layer, i)
        if problem:
            return rows, [problem]
        try:
            shape, params, formula = kind.step(layer, shape, f"Layer {i} ({layer.label()})")
        except ValueError as exc:
            if i == 1 and len(input_shape) != 3:  # not a layer out of place: the data has no images
                return rows, [f"Layer 1 ({layer.label()}) needs images, but this dataset gives rows of "
                              f"{input_shape[0]} numbers, not images. Choose an image dataset, or "
                              "start the network with Dense layers."]
            return rows, [str(exc)]
        rows.append(Row(i, layer.label(), shape, params, formula))
    return rows, []


def total_params(rows: list[Row]) -> int:
    """Sum of the parameter column."""
    return sum(r.params for r in rows)


def expected_outputs(loss: str, n_classes: int) -> tuple[int, ...]:
    """Output widths a loss accepts: one per class, or 1 for a two-class sigmoid.

    Example:
        >>> expected_outputs("binary_crossentropy", 2), expected_outputs("mse", 10)
        ((1, 2), (10,))
    """
    if loss in ("binary_crossentropy", "mse") and n_classes == 2:
        return (1, 2)
    return (n_classes,)


def validate(model: ModelSpec, train: TrainSpec, n_train: int | None = None) -> list[str]:
    """Every reason this model and these settings cannot be trained, in plain words.

    The checks hold on their own, without the page's widgets: wrong types,
    out-of-range numbers and sizes over the lab's limits (`lab.settings`)
    are all reported here.

    Args:
        model: the network.
        train: the settings; ``train.dataset`` picks the input shape and classes.
        n_train: training images actually available (defaults to the dataset's size).

    Returns:
        A list of messages; empty when training can start.

    Example:
        >>> validate(ModelSpec(layers=[]), TrainSpec(dataset="xor", loss="mse", batch_size=4,
        ...                                          validation_split=0))
        ['The network has no layers: add at least one Dense layer.']
    """
    info = DATASETS.get(train.dataset) if isinstance(train.dataset, str) else None
    if info is None:
        return [unknown("dataset", train.dataset, DATASETS)]
    type_problems = _type_problems(train)
    if type_problems:
        return type_problems
    problems = _model_problems(model, train, info)
    problems += _train_problems(train, n_train if n_train is not None else info.n_train)
    return problems


def cautions(model: ModelSpec, train: TrainSpec, n_train: int | None = None) -> list[str]:
    """What will let this run start but not do what its settings seem to say, in plain words:
    a classification loss on outputs that are not probabilities, an early-stopping patience that
    can never stop the run, and (given ``n_train``, the training images available) a training
    image limit above what the dataset holds.

    Example:
        >>> from lab.spec import LayerSpec
        >>> net = ModelSpec(layers=[LayerSpec("Flatten"), LayerSpec("Dense", units=10, activation="relu")])
        >>> cautions(net, TrainSpec(loss="categorical_crossentropy"))[0][:60]
        'The last layer ends with relu, but the loss categorical_cros'
    """
    found = loss_cautions(model, train)
    if 0 < train.early_stopping and train.epochs <= train.early_stopping + 1:
        found.append(f"Early stopping waits {plural(train.early_stopping, 'epoch')} without a better "
                     f"validation accuracy before it stops, so in a run of {plural(train.epochs, 'epoch')} "
                     "it can never stop early: train for more epochs, or use a smaller patience.")
    if n_train is not None and train.train_limit > n_train:
        found.append(f"Only the first {train.train_limit:,} training images were asked for, but the "
                     f"dataset holds {n_train:,}: all {n_train:,} will be used.")
    return found


def loss_cautions(model: ModelSpec, train: TrainSpec) -> list[str]:
    """A classification loss on outputs that are not probabilities (the network can train, but
    learns badly), in plain words; the Architecture page's part of ``cautions``."""
    last = next((layer for layer in reversed(model.layers) if layer.kind != "Dropout"), None)
    if last is None:
        return []
    kind = KINDS.get(last.kind)
    ends = last.activation if kind and "activation" in kind.fields else f"a {last.kind} layer"
    if train.loss in ("categorical_crossentropy", "sparse_categorical_crossentropy") and ends != "softmax":
        return [f"The last layer ends with {ends}, but the loss {train.loss} reads the outputs as "
                "probabilities that add up to 1: the network will learn badly, or not at all. End with "
                "a Dense layer with softmax, one unit per class."]
    if train.loss == "binary_crossentropy" and ends not in ("sigmoid", "softmax"):
        return [f"The last layer ends with {ends}, but the loss binary_crossentropy reads each output as "
                "a probability between 0 and 1: the network will learn badly, or not at all. End with "
                "sigmoid (one unit) or softmax (one unit per class)."]
    return []


def _model_problems(model: ModelSpec, train: TrainSpec, info) -> list[str]:
    limit = settings().max_layers
    if not model.layers:
        return ["The network has no layers: add at least one Dense layer."]
    if len(model.layers) > limit:
        return [f"The network has {len(model.layers):,} layers, more than the lab's limit of "
                f"{limit:,} (LAB_MAX_LAYERS): remove layers; a few wide layers learn better "
                "than hundreds of thin ones."]
    rows, problems = layer_table(model, info.input_shape)
    if problems:
        return problems
    problems = _size_problems(rows, train.batch_size)
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
    return problems


def _size_problems(rows: list[Row], batch_size: int) -> list[str]:
    problems = []
    params, limit = total_params(rows), settings().max_params
    if params > limit:
        problems.append(f"The network has {params:,} parameters, more than the lab's limit of "
                        f"{limit:,}: use fewer units or filters, or pool before the Dense layers.")
    values = sum(math.prod(r.output_shape) for r in rows)
    if values * max(batch_size, 1) * 4 > MAX_ACTIVATION_BYTES:
        gib = values * batch_size * 4 / 1024**3
        problems.append(f"One batch of {batch_size:,} would need about {gib:,.1f} GiB for the layer "
                        "outputs alone: use a smaller batch size or smaller layers.")
    return problems


_WHOLE = ("batch_size", "epochs", "seed", "train_limit", "early_stopping")
_REAL = ("learning_rate", "validation_split")


def _type_problems(train: TrainSpec) -> list[str]:
    """Settings of the wrong type (a caller that bypassed `TrainSpec.from_dict`)."""
    problems = []
    for name in _WHOLE:
        value = getattr(train, name)
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(f"The {name.replace('_', ' ')} must be a whole number, not {value!r}.")
    for name in _REAL:
        value = getattr(train, name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            problems.append(f"The {name.replace('_', ' ')} must be a finite number, not {value!r}.")
    if not isinstance(train.keep_best, bool):
        problems.append(f"Keep-best must be True or False, not {train.keep_best!r}.")
    return problems


def _train_problems(train: TrainSpec, n_train: int) -> list[str]:
    problems = []
    max_epochs = settings().max_epochs
    if train.optimizer not in OPTIMIZERS:
        problems.append(unknown("optimizer", train.optimizer, OPTIMIZERS))
    if train.loss not in LOSSES:
        problems.append(unknown("loss", train.loss, LOSSES))
    if not 0 < train.learning_rate <= 10:
        usual = ("1 suits the XOR network with SGD" if train.dataset == "xor"
                 else "0.001 suits Adam and RMSprop, 0.01 to 0.1 suits SGD")
        problems.append(f"The learning rate is {float(train.learning_rate):g}: it must be above 0 and "
                        f"at most 10 ({usual}).")
    if train.epochs < 1:
        problems.append(f"Epochs is {train.epochs}: train for at least 1 epoch.")
    elif train.epochs > max_epochs:
        problems.append(f"Epochs is {train.epochs:,}: the lab's limit is {max_epochs:,} epochs a run "
                        "(LAB_MAX_EPOCHS). Use fewer; Continue can add more later.")
    split_ok = 0 <= train.validation_split < 1
    if not split_ok:
        problems.append(f"The validation split is {train.validation_split}: use a fraction from 0 "
                        "to below 1, such as 0.1.")
    if not 0 <= train.seed <= MAX_SEED:
        problems.append(f"The seed is {train.seed:,}: use a whole number from 0 to {MAX_SEED:,}.")
    limit_ok = train.train_limit >= 0
    if not limit_ok:
        problems.append(f"The training image limit is {train.train_limit:,}: use 0 for all images, "
                        "or a positive number.")
    used = min(train.train_limit or n_train, n_train) if limit_ok else n_train
    fitting = used - int(used * train.validation_split) if split_ok else used
    if train.batch_size < 1:
        problems.append(f"The batch size is {train.batch_size}: use at least 1 (32 to 256 is usual).")
    elif limit_ok and split_ok and train.batch_size > fitting:
        problems.append(f"The batch size ({train.batch_size:,}) is larger than the {fitting:,} training "
                        f"examples left after the validation split: use a batch size of at most "
                        f"{fitting:,}.")
    if split_ok and train.validation_split > 0 and int(used * train.validation_split) < 1:
        problems.append(f"A validation split of {train.validation_split} of {used:,} examples keeps "
                        "none for validation: set it to 0 or use more data.")
    if train.early_stopping < 0:
        problems.append("Early stopping patience must be 0 (off) or a number of epochs.")
    if (train.early_stopping or train.keep_best) and train.validation_split == 0:
        problems.append("Early stopping and keeping the best epoch watch the validation "
                        "accuracy: set a validation split above 0.")
    return problems
