"""lab.spec: JSON round-trips, labels, text-to-number conversion and its errors."""

from __future__ import annotations

import json

import pytest

from lab.spec import (LAYERS, PRESET_DIR, LayerSpec, ModelSpec, SpecError, TrainSpec, dumps,
                      load_presets, parse_number)

PRESETS = load_presets()


def test_presets_are_found():
    names = {p.stem for p in PRESET_DIR.glob("*.json")}
    assert names and set(PRESETS) == names
    assert PRESETS["mlp_512_512"].train.optimizer == "rmsprop"
    assert PRESETS["xor_2_2_1"].train.dataset == "xor"


@pytest.mark.parametrize("key", sorted(PRESETS))
def test_preset_json_round_trip(key):
    preset = PRESETS[key]
    text = dumps(preset.model, preset.train)
    data = json.loads(text)
    assert ModelSpec.from_dict(data) == preset.model
    assert TrainSpec.from_dict(data["train"]) == preset.train
    # and the written JSON is what a fresh preset file would hold
    assert data["layers"] == [layer.used() for layer in preset.model.layers]


def test_round_trip_through_a_preset_folder(tmp_path):
    model = ModelSpec("tiny", [LayerSpec("Flatten"), LayerSpec("Dense", units=7, activation="tanh")], "d")
    train = TrainSpec(dataset="mnist", learning_rate=0.05, batch_size=16, keep_best=True)
    (tmp_path / "tiny.json").write_text(dumps(model, train))
    loaded = load_presets(tmp_path)["tiny"]
    assert loaded.model == model and loaded.train == train


def test_dumps_without_train_has_no_train_key():
    assert "train" not in json.loads(dumps(PRESETS["xor_2_2_1"].model))


def test_to_dict_keeps_only_used_fields():
    d = ModelSpec(layers=[LayerSpec("Dropout", rate=0.4), LayerSpec("Flatten")]).to_dict()
    assert d["layers"] == [{"kind": "Dropout", "rate": 0.4}, {"kind": "Flatten"}]


@pytest.mark.parametrize("layer, label", [
    (LayerSpec("Dense", units=10, activation="softmax"), "Dense(10, softmax)"),
    (LayerSpec("Conv2D", filters=32, kernel_size=3), "Conv2D(32, 3x3, relu)"),
    (LayerSpec("Conv2D", filters=8, kernel_size=5, padding="same", strides=2, activation="tanh"),
     "Conv2D(8, 5x5, same, stride 2, tanh)"),
    (LayerSpec("MaxPooling2D", pool_size=2), "MaxPooling2D(2x2)"),
    (LayerSpec("AveragePooling2D", pool_size=3, padding="same"), "AveragePooling2D(3x3, same)"),
    (LayerSpec("Dropout", rate=0.25), "Dropout(0.25)"),
    (LayerSpec("LeakyReLU", negative_slope=0.1), "LeakyReLU(0.1)"),
    (LayerSpec("Activation", activation="gelu"), "Activation(gelu)"),
    (LayerSpec("Flatten"), "Flatten"),
    (LayerSpec("BatchNormalization"), "BatchNormalization"),
])
def test_layer_label(layer, label):
    assert layer.label() == label


def test_activations_and_architecture():
    spec = ModelSpec(layers=[
        LayerSpec("Conv2D", filters=4, activation="elu"), LayerSpec("MaxPooling2D"),
        LayerSpec("LeakyReLU"), LayerSpec("Flatten"), LayerSpec("Dropout", rate=0.5),
        LayerSpec("Dense", units=16, activation="relu"), LayerSpec("Activation", activation="tanh"),
        LayerSpec("Dense", units=10, activation="softmax")])
    assert spec.activations() == "elu, leaky_relu, relu, tanh, softmax"
    assert spec.architecture() == ("Conv2D(4, 3x3, elu) > MaxPooling2D(2x2) > LeakyReLU(0.3) > Flatten > "
                                   "Dropout(0.5) > Dense(16, relu) > Activation(tanh) > Dense(10, softmax)")


def test_workshop_preset_columns():
    model = PRESETS["workshop_16_16_10"].model
    assert model.activations() == "relu, relu, softmax"
    assert model.architecture() == "Flatten > Dense(16, relu) > Dense(16, relu) > Dense(10, softmax)"


def test_train_from_dict_converts_text():
    train = TrainSpec.from_dict({"learning_rate": "0.01", "batch_size": "64", "epochs": " 3 ",
                                 "validation_split": "0.2", "keep_best": "yes", "early_stopping": "2.0",
                                 "optimizer": "sgd"})
    assert train.learning_rate == 0.01 and isinstance(train.learning_rate, float)
    assert train.batch_size == 64 and isinstance(train.batch_size, int)
    assert train.epochs == 3 and train.early_stopping == 2 and isinstance(train.early_stopping, int)
    assert train.validation_split == 0.2
    assert train.keep_best is True
    assert train.optimizer == "sgd"
    assert train.seed == 42  # untouched default
    assert TrainSpec.from_dict({"keep_best": "false"}).keep_best is False


def test_train_from_dict_rejects_text_for_a_number():
    with pytest.raises(SpecError) as err:
        TrainSpec.from_dict({"learning_rate": "abc"})
    assert "learning rate" in str(err.value) and "abc" in str(err.value)


def test_train_from_dict_rejects_fraction_for_whole_number():
    with pytest.raises(SpecError, match="batch size.*whole number"):
        TrainSpec.from_dict({"batch_size": "12.5"})


def test_train_from_dict_rejects_unknown_setting_and_non_dict():
    with pytest.raises(SpecError, match="learnig_rate"):
        TrainSpec.from_dict({"learnig_rate": 0.1})
    with pytest.raises(SpecError):
        TrainSpec.from_dict(["learning_rate", 0.1])


def test_unknown_layer_kind():
    with pytest.raises(SpecError) as err:
        ModelSpec.from_dict({"layers": [{"kind": "Flatten"}, {"kind": "Dense2"}]})
    msg = str(err.value)
    assert "Layer 2" in msg and "Dense2" in msg and "Conv2D" in msg


def test_layer_without_kind_and_model_without_layers():
    with pytest.raises(SpecError, match="Layer 1.*kind"):
        ModelSpec.from_dict({"layers": [{"units": 3}]})
    with pytest.raises(SpecError, match="layers"):
        ModelSpec.from_dict({"name": "x"})


def test_layer_fields_from_text_and_bad_text():
    spec = ModelSpec.from_dict({"layers": [{"kind": "Dense", "units": "64", "activation": "tanh"},
                                           {"kind": "Dropout", "rate": "0.3"}]})
    assert spec.layers[0] == LayerSpec("Dense", units=64, activation="tanh")
    assert spec.layers[1].rate == 0.3
    with pytest.raises(SpecError) as err:
        ModelSpec.from_dict({"layers": [{"kind": "Flatten"}, {"kind": "Conv2D", "filters": "many"}]})
    assert "filters of layer 2 (Conv2D)" in str(err.value)


def test_every_layer_kind_reads_back():
    layers = [LayerSpec(kind) for kind in LAYERS]
    spec = ModelSpec(layers=layers)
    assert ModelSpec.from_dict(json.loads(dumps(spec))) == spec


@pytest.mark.parametrize("text, integer, value", [
    ("1e-3", False, 0.001), (" 0.5 ", False, 0.5), ("7", True, 7), (3, True, 3), ("4.0", True, 4),
    (2.5, False, 2.5),
])
def test_parse_number(text, integer, value):
    got = parse_number("thing", text, integer=integer)
    assert got == value and type(got) is (int if integer else float)


@pytest.mark.parametrize("text, integer, words", [
    ("abc", False, "must be a number"), ("", False, "must be a number"), (None, False, "must be a number"),
    ("inf", False, "finite"), ("nan", False, "finite"), ("2.5", True, "whole number"),
    pytest.param(10 ** 400, True, "far too large", id="10**400"),
    pytest.param("x" * 5000, False, "'" + "x" * 40 + "...' is not one", id="5000 characters"),
])
def test_parse_number_errors(text, integer, words):
    with pytest.raises(SpecError) as err:
        parse_number("learning rate", text, integer=integer)
    assert "learning rate" in str(err.value) and words in str(err.value)


