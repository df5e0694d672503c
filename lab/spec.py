"""Plain-data descriptions of a network and of how to train it.

A spec holds names and numbers, never Keras objects, so it can be shown in a
page, saved as JSON with every run, and rebuilt later. `lab.build` turns a
spec into a Keras model; `lab.summary` explains its shapes and parameters.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from lab.data import DATASETS
from lab.layers import ACTIVATIONS, KINDS, PADDINGS  # noqa: F401  (re-exported name tables)

# Which fields each layer kind uses, in the order a form shows them (from `lab.layers`).
LAYERS: dict[str, tuple[str, ...]] = {name: kind.fields for name, kind in KINDS.items()}

OPTIMIZERS = ("adam", "sgd", "rmsprop", "adagrad", "adamw", "nadam")
LOSSES = ("categorical_crossentropy", "sparse_categorical_crossentropy",
          "binary_crossentropy", "mse")

PRESET_DIR = Path(__file__).resolve().parent.parent / "models" / "presets"


class SpecError(ValueError):
    """A spec that cannot be read: the message says which field and why."""


def unknown(what: str, value, known) -> str:
    """The sentence for a ``what`` (dataset, optimizer, ...) the lab does not offer.

    Example:
        >>> unknown("loss", "hinge", ("mse",))
        "Unknown loss 'hinge'. Choose one of: mse."
    """
    return f"Unknown {what} '{value}'. Choose one of: {', '.join(known)}."


def stored(text: str | None) -> dict:
    """A JSON object saved with a run (its spec, settings or swept values); ``{}`` when there
    is none, or when a record damaged outside the lab cannot be read.

    Example:
        >>> stored('{"epochs": 3}'), stored("{not json"), stored(None), stored("[1]")
        ({'epochs': 3}, {}, {}, {})
    """
    try:
        value = json.loads(text or "{}")
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


@dataclass
class LayerSpec:
    """One layer. Only the fields listed for its kind in `LAYERS` matter.

    Example:
        >>> LayerSpec("Dense", units=10, activation="softmax").label()
        'Dense(10, softmax)'
    """

    kind: str
    units: int = 32
    filters: int = 32
    kernel_size: int = 3
    strides: int = 1
    pool_size: int = 2
    padding: str = "valid"
    activation: str = "relu"
    rate: float = 0.2
    negative_slope: float = 0.3

    def used(self) -> dict:
        """The kind and the fields this kind uses, as a plain dict."""
        return {"kind": self.kind, **{k: getattr(self, k) for k in LAYERS.get(self.kind, ())}}

    def label(self) -> str:
        """A short readable name such as ``Conv2D(32, 3x3, relu)``."""
        kind = KINDS.get(self.kind)
        return kind.label(self) if kind else self.kind


@dataclass
class ModelSpec:
    """A network: a name and a stack of layers (the input is the dataset's)."""

    name: str = "my network"
    layers: list[LayerSpec] = field(default_factory=list)
    description: str = ""

    def activations(self) -> str:
        """The activations in order, e.g. ``relu, relu, softmax`` (the workshop column)."""
        names = [KINDS[layer.kind].activation(layer) for layer in self.layers if layer.kind in KINDS]
        return ", ".join(name for name in names if name)

    def architecture(self) -> str:
        """The layers as one line, e.g. ``Flatten > Dense(512, relu) > ...``."""
        return " > ".join(layer.label() for layer in self.layers)

    def to_dict(self) -> dict:
        """A JSON-ready dict holding only the fields each layer uses."""
        return {"name": self.name, "description": self.description,
                "layers": [layer.used() for layer in self.layers]}

    @classmethod
    def from_dict(cls, data: dict) -> "ModelSpec":
        """Read a dict written by `to_dict` (or by hand); raises `SpecError`."""
        if not isinstance(data, dict) or not isinstance(data.get("layers"), list):
            raise SpecError("A model spec needs a list called 'layers'.")
        layers = [_layer_from_dict(i + 1, item) for i, item in enumerate(data["layers"])]
        return cls(name=str(data.get("name", "my network")), layers=layers,
                   description=str(data.get("description", "")))


@dataclass
class TrainSpec:
    """How to train: data, optimizer and loop settings, and the seed.

    ``train_limit`` uses only the first N training images (0 = all of them),
    which keeps classroom demos short. ``early_stopping`` is a patience in
    epochs (0 = off); ``keep_best`` keeps the weights of the epoch with the
    best validation accuracy. ``cpu_only`` trains on the CPU even where a GPU
    is present (to compare the two).
    """

    dataset: str = "mnist"
    optimizer: str = "adam"
    learning_rate: float = 0.001
    loss: str = "categorical_crossentropy"
    batch_size: int = 128
    epochs: int = 5
    validation_split: float = 0.1
    seed: int = 42
    train_limit: int = 0
    early_stopping: int = 0
    keep_best: bool = False
    cpu_only: bool = False

    def to_dict(self) -> dict:
        """A JSON-ready dict of every setting."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "TrainSpec":
        """Read settings, converting text to numbers; raises `SpecError`."""
        if not isinstance(data, dict):
            raise SpecError("Training settings must be a dict of name: value.")
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise SpecError(f"Unknown training setting(s): {', '.join(unknown)}.")
        values = {}
        for name, value in data.items():
            default = getattr(cls, name)
            values[name] = _coerce(name.replace("_", " "), value, type(default))
        for name, known in (("dataset", tuple(DATASETS)), ("optimizer", OPTIMIZERS), ("loss", LOSSES)):
            if name in values and values[name] not in known:
                raise SpecError(unknown(name, values[name], known))
        return cls(**values)


def _coerce(label: str, value, kind: type):
    """Turn user text or JSON into ``kind``, or raise a readable SpecError."""
    if kind is bool:
        if isinstance(value, str):
            return value.strip().lower() in ("1", "true", "yes", "on")
        return bool(value)
    if kind is str:
        return str(value)
    try:
        number = float(str(value).strip()) if isinstance(value, str) else float(value)
    except OverflowError:  # a whole number too large for a float (a crafted link, a JSON file)
        raise SpecError(f"The {label} is far too large: use a number the lab's limits allow.") from None
    except (TypeError, ValueError):
        raise SpecError(f"The {label} must be a number, but '{_shown(value)}' is not one.") from None
    if not math.isfinite(number):
        raise SpecError(f"The {label} must be a finite number, not {_shown(value)}.")
    if kind is int:
        if number != int(number):
            raise SpecError(f"The {label} must be a whole number, not {_shown(value)}.")
        return int(number)
    return number



def _shown(value, most: int = 40) -> str:
    """``value`` as a message shows it: at most ``most`` characters."""
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= most else text[:most] + "..."

def parse_number(label: str, text, integer: bool = False):
    """Read a number a user typed, e.g. ``parse_number("learning rate", "1e-3")``.

    Raises:
        SpecError: with a message such as "The learning rate must be a number".
    """
    return _coerce(label, text, int if integer else float)


def _layer_from_dict(position: int, data) -> LayerSpec:
    if not isinstance(data, dict) or "kind" not in data:
        raise SpecError(f"Layer {position} needs a 'kind' such as Dense or Conv2D.")
    kind = str(data["kind"])
    if kind not in LAYERS:
        raise SpecError(f"Layer {position}: unknown kind '{kind}'. Choose one of: {', '.join(LAYERS)}.")
    values = {"kind": kind}
    for name in LAYERS[kind]:
        if name in data:
            label = f"{name.replace('_', ' ')} of layer {position} ({kind})"
            if data[name] is None or (isinstance(data[name], float) and math.isnan(data[name])):
                # a cell emptied in a table: never fall back to a hidden default silently
                raise SpecError(f"The {label} is empty: type a value (for example "
                                f"{getattr(LayerSpec, name)}).")
            values[name] = _coerce(label, data[name], type(getattr(LayerSpec, name)))
    return LayerSpec(**values)


@dataclass
class Preset:
    """A classic network with the training settings it is known for."""

    key: str
    model: ModelSpec
    train: TrainSpec


def load_presets(folder: Path | str = PRESET_DIR) -> dict[str, Preset]:
    """Read every ``*.json`` preset in ``folder``, keyed by file name.

    Example:
        >>> presets = load_presets()
        >>> presets["mlp_512_512"].train.optimizer
        'rmsprop'
    """
    presets = {}
    for path in sorted(Path(folder).glob("*.json")):
        data = json.loads(path.read_text())
        presets[path.stem] = Preset(path.stem, ModelSpec.from_dict(data),
                                    TrainSpec.from_dict(data.get("train", {})))
    return presets


def to_json(spec: ModelSpec | TrainSpec) -> str:
    """Compact JSON of a spec's ``to_dict()``, as stored with every run.

    Example:
        >>> to_json(TrainSpec(epochs=3))[:31]
        '{"dataset":"mnist","optimizer":'
    """
    return json.dumps(spec.to_dict(), separators=(",", ":"))


def dumps(model: ModelSpec, train: TrainSpec | None = None) -> str:
    """Model (and optional training settings) as indented JSON, the preset format."""
    data = model.to_dict()
    if train is not None:
        data["train"] = train.to_dict()
    return json.dumps(data, indent=2)


def saved(model_json: str | None, train_json: str | None) -> tuple[ModelSpec, TrainSpec]:
    """The network and settings a run saved as JSON (`RunRecord.spec_json`, ``train_json``).

    Raises:
        SpecError: they cannot be read (an uploaded model has none; a record damaged
        outside the lab), saying why.

    Example:
        >>> saved('{"name": "n", "layers": []}', '{"epochs": 3}')[1].epochs
        3
    """
    try:
        return ModelSpec.from_dict(json.loads(model_json)), TrainSpec.from_dict(json.loads(train_json))
    except SpecError:
        raise
    except (TypeError, ValueError, AttributeError) as exc:
        raise SpecError(f"not a network and its settings ({exc})") from exc


def draft_parts(model: ModelSpec, train: TrainSpec, preset: str | None) -> dict[str, str]:
    """A network being edited (with the preset it came from) and its settings, as the two
    JSON texts the records keep between visits (`from_draft` reads them back)."""
    return {"network": json.dumps({"model": model.to_dict(), "preset": preset}, sort_keys=True),
            "settings": json.dumps(train.to_dict(), sort_keys=True)}


def from_draft(parts: dict[str, str | None]) -> tuple[ModelSpec, TrainSpec, str | None] | None:
    """The network, settings and preset of `draft_parts`; None when either part is missing or
    cannot be read any more (a record damaged outside the lab, a field no longer offered).

    Example:
        >>> model, train, preset = from_draft(draft_parts(ModelSpec("n", []), TrainSpec(epochs=3), None))
        >>> model.name, train.epochs, preset, from_draft({"network": "{broken", "settings": "{}"})
        ('n', 3, None, None)
    """
    network, settings_ = stored(parts.get("network")), parts.get("settings")
    try:
        preset = network.get("preset")
        return (ModelSpec.from_dict(network["model"]), TrainSpec.from_dict(json.loads(settings_)),
                preset if isinstance(preset, str) else None)
    except (KeyError, TypeError, ValueError, AttributeError):  # SpecError is a ValueError
        return None
