"""lab.editor: the layer table's rows back to a network, without hidden defaults."""

from __future__ import annotations

import pytest

from lab.editor import COLUMNS, read_rows, to_rows
from lab.spec import ModelSpec, SpecError, load_presets

WORKSHOP = load_presets()["workshop_16_16_10"].model


def table(model: ModelSpec) -> dict:
    return dict(enumerate(to_rows(model)))


def test_rows_round_trip():
    base = table(WORKSHOP)
    assert all(list(row) == list(COLUMNS) for row in base.values())
    layers, filled = read_rows(list(base.items()), base)
    assert not filled and ModelSpec.from_dict({"name": WORKSHOP.name, "layers": layers}).layers == WORKSHOP.layers


def test_an_emptied_cell_is_an_error_not_a_default():
    base = table(WORKSHOP)
    rows = {k: dict(v) for k, v in base.items()}
    rows[1]["units"] = float("nan")  # what the table sends after text was typed into the cell
    with pytest.raises(SpecError) as err:
        read_rows(list(rows.items()), base)
    assert str(err.value) == "The units of layer 2 (Dense) is empty: type a value (for example 32)."


def test_a_new_row_or_a_changed_kind_gets_its_defaults_and_says_so():
    base = table(WORKSHOP)
    rows = {k: dict(v) for k, v in base.items()}
    rows[1]["kind"] = "Conv2D"
    rows[9] = {"kind": "Dropout"}
    layers, filled = read_rows(list(rows.items()), base)
    assert filled
    assert layers[1] == {"kind": "Conv2D", "filters": 32, "kernel_size": 3, "strides": 1, "padding": "valid",
                         "activation": "relu"}
    assert layers[-1] == {"kind": "Dropout", "rate": 0.2}


def test_rows_without_a_kind_are_skipped():
    layers, filled = read_rows([(0, {"kind": None}), (1, {"kind": "Flatten"})], {})
    assert layers == [{"kind": "Flatten"}] and not filled
