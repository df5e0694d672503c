"""The Architecture page's layer table: a network as rows, and edited rows back to a network.

A cell a kind does not use is blank. When a row is added or its kind
changed, the cells its kind needs start blank too: `read_rows` fills them
with the kind's defaults and says so, and the page shows the filled table. A
cell the user emptied (or typed text into, which the table turns into an
empty cell) is never filled silently: it is an error naming the cell.
"""

from __future__ import annotations

import math

from lab.spec import LAYERS, LayerSpec, ModelSpec, SpecError

COLUMNS = ("kind", "units", "filters", "kernel_size", "strides", "pool_size", "padding",
           "activation", "rate", "negative_slope")
# Numbers, kept as floats in the table: a grid column of integers would refuse the "." of a
# typed 1.5 and keep 15; as a float, 1.5 reaches `ModelSpec.from_dict`, which says it is not whole.
NUMBERS = ("units", "filters", "kernel_size", "strides", "pool_size", "rate", "negative_slope")


def to_rows(model: ModelSpec) -> list[dict]:
    """One row per layer, every column present, blank (None) where the kind does not use it.

    Example:
        >>> to_rows(ModelSpec(layers=[LayerSpec("Dropout", rate=0.5)]))[0]["rate"]
        0.5
    """
    return [{c: layer.used().get(c) for c in COLUMNS} for layer in model.layers]


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def read_rows(rows: list[tuple[object, dict]], base: dict[object, dict]) -> tuple[list[dict], bool]:
    """Edited rows -> layer dicts for `ModelSpec.from_dict`, and whether blanks were filled.

    Args:
        rows: ``(row label, row)`` for each row the table shows, in order.
        base: the rows the table started from, by row label.

    Returns:
        The layers (each with only the fields its kind uses) and True when a
        new or re-kinded row got its kind's defaults.

    Raises:
        SpecError: a cell the kind uses was emptied.

    Example:
        >>> read_rows([(0, {"kind": "Dense", "units": None})], {})
        ([{'kind': 'Dense', 'units': 32, 'activation': 'relu'}], True)
    """
    layers, filled = [], False
    position = 0
    for label, row in rows:
        kind = row.get("kind")
        if not isinstance(kind, str) or not kind:
            continue  # a row still being added, without a kind yet
        position += 1
        layer = {"kind": kind}
        before = base.get(label)
        same_kind = before is not None and before.get("kind") == kind
        for field in LAYERS.get(kind, ()):
            value = row.get(field)
            if not _blank(value):
                layer[field] = value
            elif same_kind and not _blank(before.get(field)):
                raise SpecError(f"The {field.replace('_', ' ')} of layer {position} ({kind}) is empty: "
                                f"type a value (for example {getattr(LayerSpec, field)}).")
            else:
                layer[field] = getattr(LayerSpec, field)
                filled = True
        layers.append(layer)
    return layers, filled
