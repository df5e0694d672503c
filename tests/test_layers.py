"""lab.layers: one registry entry per layer kind holds everything about the kind."""

from __future__ import annotations

import dataclasses

import keras
import pytest

from lab.layers import FIELD_CHECKS, KINDS
from lab.spec import LAYERS, LayerSpec


def test_every_kind_has_one_entry_and_every_field_a_check():
    assert set(KINDS) == set(LAYERS)
    spec_fields = {f.name for f in dataclasses.fields(LayerSpec)} - {"kind"}
    for kind in KINDS.values():
        assert set(kind.fields) <= spec_fields and set(kind.fields) <= set(FIELD_CHECKS)
        assert set(kind.positional) | set(kind.keywords) <= set(kind.fields)
        assert kind.width_field in (None, *kind.fields)


@pytest.mark.parametrize("name", list(KINDS))
def test_an_entry_builds_the_layer_its_code_names(name):
    kind, layer = KINDS[name], LayerSpec(name)
    built = kind.keras_layer(keras, layer, "probe")
    assert type(built).__name__ == name and built.name == "probe"
    assert kind.code(layer).startswith(f"keras.layers.{name}(")
    assert kind.check(layer, 1) is None  # the defaults are valid
    assert kind.label(layer).startswith(name)


@pytest.mark.parametrize("field, bad, words", [
    ("units", 0, "at least 1 unit"), ("filters", -2, "use 1 or more"), ("kernel_size", 0, "kernel size of 0"),
    ("units", 10**19, "10,000,000,000,000,000,000 units: the lab allows at most 1,000,000"),  # past 64 bits
    ("filters", 2_000_000, "2,000,000 filters: the lab allows at most 1,000,000"),
    ("kernel_size", 5000, "a kernel size of 5,000: the lab allows at most 1,000"),
    ("strides", 0, "stride of 0"), ("pool_size", 0, "pool size of 0"), ("padding", "full", "'valid' or 'same'"),
    ("activation", "relux", "unknown activation 'relux'"), ("rate", 1.0, "below 1"),
    ("negative_slope", -1.0, "0 or more"),
])
def test_field_checks_name_the_layer_and_the_fix(field, bad, words):
    kind = next(k for k in KINDS.values() if field in k.fields)
    problem = kind.check(LayerSpec(kind.name, **{field: bad}), 3)
    assert problem is not None and problem.startswith(f"Layer 3 ({kind.name})") and words in problem


def test_only_dense_sets_the_output_width_and_activations_come_from_the_entry():
    assert [k for k, v in KINDS.items() if v.width_field] == ["Dense"]
    assert KINDS["LeakyReLU"].activation(LayerSpec("LeakyReLU")) == "leaky_relu"
    assert KINDS["Dropout"].activation(LayerSpec("Dropout")) is None
    assert KINDS["Conv2D"].activation(LayerSpec("Conv2D", activation="tanh")) == "tanh"
