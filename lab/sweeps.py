"""Sweeps: one or two settings varied over lists of values, each point repeated with seeds.

`SETTINGS` names what can be swept (a training setting, or a field of one
layer); `parse_values` reads a typed list with a message for anything wrong;
`plan` turns a network, its settings and the axes into one (network,
settings, values) per run; `outcome` reads the finished runs back as the mean
and spread of test accuracy at each point. `lab.jobs.JobManager.submit_sweep`
records and queues the plan.
"""

from __future__ import annotations

import itertools
import json
import math
import statistics
from dataclasses import dataclass, replace

import pandas as pd

from lab.records import RunRecord, Status
from lab.spec import OPTIMIZERS, ModelSpec, SpecError, TrainSpec, parse_number, stored


class SweepError(ValueError):
    """A sweep that cannot be planned; the message says what to change."""


@dataclass(frozen=True)
class Setting:
    """Something a sweep can vary: a `TrainSpec` field, or a field of layers of one kind."""

    label: str
    field: str
    kind: type
    layer_kind: str | None = None  # None: a training setting
    minimum: float | None = 0.0  # values must be above this (None: any; see `allow_minimum`)
    allow_minimum: bool = False
    choices: tuple[str, ...] = ()


SETTINGS: dict[str, Setting] = {
    "learning_rate": Setting("learning rate", "learning_rate", float),
    "batch_size": Setting("batch size", "batch_size", int),
    "epochs": Setting("epochs", "epochs", int),
    "optimizer": Setting("optimizer", "optimizer", str, minimum=None, choices=OPTIMIZERS),
    "units": Setting("units", "units", int, layer_kind="Dense"),
    "filters": Setting("filters", "filters", int, layer_kind="Conv2D"),
    "rate": Setting("dropout rate", "rate", float, layer_kind="Dropout", allow_minimum=True),
}


@dataclass(frozen=True)
class Axis:
    """One swept setting: which, on which layer (1-based, for layer settings), which values."""

    setting: str
    values: tuple
    layer: int | None = None

    @property
    def name(self) -> str:
        """How the axis is labelled: ``learning rate`` or ``units (layer 2)``."""
        label = SETTINGS[self.setting].label
        return f"{label} (layer {self.layer})" if self.layer else label


def parse_values(setting: str, text: str, limit: int) -> tuple:
    """A typed list such as ``"0.001, 0.01, 0.1"`` as values of ``setting``.

    Raises:
        SweepError: a value is not of the right kind, repeats, is zero or negative where
            that means nothing, or the list is longer than ``limit``.

    Example:
        >>> parse_values("learning_rate", "0.1, 1e-3", 50), parse_values("optimizer", "adam sgd", 50)
        ((0.1, 0.001), ('adam', 'sgd'))
    """
    spec = SETTINGS[setting]
    items = [t for t in str(text).replace(";", ",").replace(",", " ").split() if t]
    if not items:
        raise SweepError(f"Type the {spec.label} values to try, separated by commas.")
    if len(items) > limit:
        raise SweepError(f"{len(items):,} {spec.label} values are more than one sweep may run "
                         f"({limit:,}, LAB_MAX_SWEEP): keep the few that matter.")
    values = [_value(spec, item) for item in items]
    for value in values:
        if values.count(value) > 1:
            raise SweepError(f"{value} appears {values.count(value)} times in the {spec.label} values: "
                             "list each value once.")
    return tuple(values)


def _value(spec: Setting, item: str):
    if spec.kind is str:
        if item not in spec.choices:
            raise SweepError(f"'{item}' is not an {spec.label}: choose from {', '.join(spec.choices)}.")
        return item
    try:
        value = parse_number(f"{spec.label} value", item, integer=spec.kind is int)
    except SpecError as exc:
        raise SweepError(str(exc)) from None
    if value < spec.minimum or (value == spec.minimum and not spec.allow_minimum):
        sign = "0 or more" if spec.allow_minimum else "above 0"
        raise SweepError(f"The {spec.label} values must be {sign}: {item} is not.")
    return value


def layers_for(model: ModelSpec, setting: str) -> list[int]:
    """The 1-based positions of the layers ``setting`` can vary in ``model`` (empty for a
    training setting)."""
    kind = SETTINGS[setting].layer_kind
    return [i for i, layer in enumerate(model.layers, start=1) if kind and layer.kind == kind]


def plan(model: ModelSpec, train: TrainSpec, axes: list[Axis], seeds: list[int],
         limit: int) -> list[tuple[ModelSpec, TrainSpec, dict]]:
    """One (network, settings, the values it tries) per run: every combination of the axes'
    values, each with every seed.

    Raises:
        SweepError: no axis, the same setting twice, a layer that cannot take the
            setting, no seeds, or more runs than ``limit``.

    Example:
        >>> from lab.spec import LayerSpec
        >>> net = ModelSpec(layers=[LayerSpec("Flatten"), LayerSpec("Dense", units=10)])
        >>> runs = plan(net, TrainSpec(), [Axis("learning_rate", (0.1, 0.01))], [1, 2], 50)
        >>> [(t.learning_rate, t.seed) for _, t, _ in runs]
        [(0.1, 1), (0.1, 2), (0.01, 1), (0.01, 2)]
    """
    if not axes:
        raise SweepError("Choose a setting to sweep.")
    if len({(a.setting, a.layer) for a in axes}) < len(axes):
        raise SweepError("The two axes are the same setting: choose two different ones.")
    if not seeds:
        raise SweepError("Repeat each point at least once (1 seed or more).")
    size = math.prod(len(a.values) for a in axes) * len(seeds)
    if size > limit:
        raise SweepError(f"This sweep would queue {size:,} runs ({' x '.join(str(len(a.values)) for a in axes)} "
                         f"values x {len(seeds)} seeds); the lab's limit is {limit:,} (LAB_MAX_SWEEP). "
                         "Use fewer values or seeds.")
    for axis in axes:
        if SETTINGS[axis.setting].layer_kind and axis.layer not in layers_for(model, axis.setting):
            raise SweepError(f"Layer {axis.layer} is not a {SETTINGS[axis.setting].layer_kind} layer: "
                             f"choose one of {layers_for(model, axis.setting) or 'none (add one first)'}.")
    runs = []
    for combo in itertools.product(*(a.values for a in axes)):
        point_model, point_train = model, train
        for axis, value in zip(axes, combo):
            point_model, point_train = _apply(point_model, point_train, axis, value)
        for seed in seeds:
            values = {axis.name: value for axis, value in zip(axes, combo)} | {"seed": seed}
            runs.append((point_model, replace(point_train, seed=seed), values))
    return runs


def _apply(model: ModelSpec, train: TrainSpec, axis: Axis, value) -> tuple[ModelSpec, TrainSpec]:
    spec = SETTINGS[axis.setting]
    if spec.layer_kind is None:
        return model, replace(train, **{spec.field: value})
    layers = list(model.layers)
    layers[axis.layer - 1] = replace(layers[axis.layer - 1], **{spec.field: value})
    return replace(model, layers=layers), train


def axes_json(axes: list[Axis]) -> str:
    """The axes as the sweep's record keeps them."""
    return json.dumps([{"setting": a.setting, "layer": a.layer, "values": list(a.values)} for a in axes])


def read_axes(text: str) -> list[Axis]:
    """Axes back from `axes_json`."""
    return [Axis(a["setting"], tuple(a["values"]), a.get("layer")) for a in json.loads(text)]


def outcome(runs: list[RunRecord], axes: list[Axis]) -> pd.DataFrame:
    """Test accuracy of a sweep's runs at each point: one row per combination of values,
    with the mean, the spread (standard deviation) and the number of seeds that finished,
    and how many runs there are in all. A run stopped early is left out of the mean: it
    did not train as the point says.

    Example:
        >>> runs = [RunRecord(1, status=Status.FINISHED, test_acc=0.8, sweep_values='{"learning rate": 0.1, "seed": 1}'),
        ...         RunRecord(2, status=Status.FINISHED, test_acc=0.9, sweep_values='{"learning rate": 0.1, "seed": 2}')]
        >>> row = outcome(runs, [Axis("learning_rate", (0.1,))]).to_dict("records")[0]
        >>> f"{row['mean accuracy']:.2f} ± {row['spread']:.3f}, {row['finished']} of {row['runs']}"
        '0.85 ± 0.071, 2 of 2'
    """
    names = [a.name for a in axes]
    points: dict[tuple, list] = {}
    for run in runs:
        values = stored(run.sweep_values)
        key = tuple(values.get(n) for n in names)
        points.setdefault(key, [0, []])
        points[key][0] += 1
        if run.status == Status.FINISHED and run.test_acc is not None:
            points[key][1].append(run.test_acc)
    rows = []
    for key, (total, accs) in points.items():
        rows.append([*key, statistics.fmean(accs) if accs else None,
                     statistics.stdev(accs) if len(accs) > 1 else (0.0 if accs else None), len(accs), total])
    frame = pd.DataFrame(rows, columns=[*names, "mean accuracy", "spread", "finished", "runs"])
    return frame.astype({"finished": int, "runs": int}).sort_values(names, ignore_index=True)
