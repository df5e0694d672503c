"""lab.summary: shapes and parameter counts against Keras, and validate() messages."""

from __future__ import annotations

import numpy as np
import pytest

from lab.build import build_model
from lab.data import DATASETS
from lab.spec import LayerSpec, ModelSpec, TrainSpec, load_presets
from lab.summary import cautions, expected_outputs, layer_table, total_params, validate

PRESETS = load_presets()
L = LayerSpec

# Extra networks so every layer kind, stride, padding and BatchNormalization placement
# is checked against Keras, not only the presets.
EXTRA = {
    "conv_strides_same": ModelSpec(layers=[
        L("Conv2D", filters=6, kernel_size=5, strides=2, padding="same", activation="relu"),
        L("Conv2D", filters=4, kernel_size=3, strides=2, padding="valid", activation="tanh"),
        L("Conv2D", filters=3, kernel_size=2, strides=3, padding="same"),
        L("Flatten"), L("Dense", units=10, activation="softmax")]),
    "avgpool_bn_conv": ModelSpec(layers=[
        L("Conv2D", filters=8, kernel_size=3, padding="same"), L("BatchNormalization"),
        L("AveragePooling2D", pool_size=3, padding="same"), L("LeakyReLU", negative_slope=0.1),
        L("AveragePooling2D", pool_size=2), L("MaxPooling2D", pool_size=2, padding="same"),
        L("Flatten"), L("Dense", units=10, activation="softmax")]),
    "dense_bn_activation_dropout": ModelSpec(layers=[
        L("Flatten"), L("Dense", units=24, activation="linear"), L("BatchNormalization"),
        L("Activation", activation="elu"), L("Dropout", rate=0.3), L("Dense", units=12),
        L("LeakyReLU"), L("Dense", units=10, activation="softmax")]),
    "dense_on_image": ModelSpec(layers=[  # Dense acts on the last axis of an image
        L("Dense", units=5), L("Conv2D", filters=2, kernel_size=4, strides=3), L("Flatten"),
        L("Dense", units=10)]),
}

CASES = [(f"preset:{k}", p.model, DATASETS[p.train.dataset].input_shape) for k, p in PRESETS.items()]
CASES += [(k, m, (28, 28, 1)) for k, m in EXTRA.items()]


def test_every_layer_kind_is_covered():
    kinds = {layer.kind for _, m, _ in CASES for layer in m.layers}
    from lab.spec import LAYERS
    assert kinds == set(LAYERS)


@pytest.mark.parametrize("name, model, input_shape", CASES, ids=[c[0] for c in CASES])
def test_shapes_and_params_match_keras(name, model, input_shape):
    rows, problems = layer_table(model, input_shape)
    assert problems == []
    assert len(rows) == len(model.layers) + 1
    assert rows[0].output_shape == tuple(input_shape) and rows[0].params == 0
    net = build_model(model, input_shape)
    assert total_params(rows) == net.count_params()
    assert len(net.layers) == len(model.layers)
    for row, layer in zip(rows[1:], net.layers):
        assert row.output_shape == tuple(layer.output.shape[1:]), (row.layer, layer.name)
        assert row.params == layer.count_params(), (row.layer, layer.name)


def test_formulas_are_the_board_arithmetic():
    rows, _ = layer_table(PRESETS["workshop_16_16_10"].model, (28, 28, 1))
    assert [r.params for r in rows] == [0, 0, 12560, 272, 170]
    assert rows[1].formula == "no weights: 28 x 28 x 1 = 784 values in one row"
    assert rows[2].formula == "784 inputs x 16 units + 16 biases = 12,560"
    rows, _ = layer_table(ModelSpec(layers=[L("Conv2D", filters=32, kernel_size=3)]), (28, 28, 1))
    assert rows[1].formula == "3x3 kernel x 1 channel x 32 filters + 32 biases = 320"
    assert rows[1].output_shape == (26, 26, 32)


def _ok_train(**kw):
    return TrainSpec(**{"dataset": "mnist", "batch_size": 32, **kw})


MLP = [L("Flatten"), L("Dense", units=10, activation="softmax")]


def _problems(layers, **kw):
    return validate(ModelSpec(layers=layers), _ok_train(**kw))


@pytest.mark.parametrize("key", sorted(PRESETS))
def test_presets_validate_cleanly(key):
    assert validate(PRESETS[key].model, PRESETS[key].train) == []


def test_conv_after_flatten():
    problems = _problems([L("Flatten"), L("Conv2D"), L("Dense", units=10)])
    assert len(problems) == 1
    assert "Layer 2" in problems[0] and "Conv2D" in problems[0]
    assert "image-shaped" in problems[0] and "before the Flatten" in problems[0]


def test_pooling_after_flatten():
    problems = _problems([L("Flatten"), L("MaxPooling2D"), L("Dense", units=10)])
    assert len(problems) == 1 and "before the Flatten" in problems[0]


def test_dense_with_zero_units():
    problems = _problems([L("Flatten"), L("Dense", units=0), L("Dense", units=10)])
    assert len(problems) == 1
    assert "Layer 2" in problems[0] and "0 units" in problems[0] and "at least 1 unit" in problems[0]


def test_dropout_rate_above_one():
    problems = _problems([L("Flatten"), L("Dropout", rate=1.5), L("Dense", units=10)])
    assert len(problems) == 1
    assert "Layer 2" in problems[0] and "1.5" in problems[0] and "below 1" in problems[0]


@pytest.mark.parametrize("lr", [0, 0.0, -0.01])
def test_learning_rate_not_positive(lr):
    problems = _problems(MLP, learning_rate=lr)
    assert len(problems) == 1
    assert "learning rate" in problems[0] and "above 0" in problems[0]


def test_batch_size_larger_than_data():
    # 100 images, 10 held out for validation: 90 left to fit
    problems = validate(ModelSpec(layers=MLP), _ok_train(batch_size=128, train_limit=100))
    assert len(problems) == 1
    assert "batch size (128)" in problems[0] and "90" in problems[0]
    assert validate(ModelSpec(layers=MLP), _ok_train(batch_size=90, train_limit=100)) == []
    problems = validate(ModelSpec(layers=MLP), _ok_train(batch_size=64), n_train=50)
    assert len(problems) == 1 and "batch size (64)" in problems[0] and "45" in problems[0]


def test_last_layer_wrong_number_of_outputs():
    problems = _problems([L("Flatten"), L("Dense", units=7, activation="softmax")])
    assert len(problems) == 1
    assert "7 outputs" in problems[0] and "10 classes" in problems[0] and "10 units" in problems[0]


def test_xor_accepts_one_or_two_outputs_with_binary_loss():
    assert expected_outputs("binary_crossentropy", 2) == (1, 2)
    assert expected_outputs("categorical_crossentropy", 10) == (10,)
    train = TrainSpec(dataset="xor", loss="binary_crossentropy", batch_size=4, validation_split=0)
    for units in (1, 2):
        assert validate(ModelSpec(layers=[L("Dense", units=2), L("Dense", units=units)]), train) == []
    problems = validate(ModelSpec(layers=[L("Dense", units=2), L("Dense", units=3)]), train)
    assert len(problems) == 1 and "3 outputs" in problems[0] and "sigmoid" in problems[0]


def test_missing_flatten():
    for layers in ([L("Dense", units=10)], [L("Conv2D", filters=4), L("Dense", units=10)]):
        problems = _problems(layers)
        assert len(problems) == 1
        assert "Flatten" in problems[0]


def test_pooling_shrinks_below_one_pixel():
    layers = [L("MaxPooling2D")] * 5 + [L("Flatten"), L("Dense", units=10)]  # 28 14 7 3 1 -> 0
    problems = _problems(layers)
    assert len(problems) == 1
    assert "Layer 5" in problems[0] and "1x1 pixels" in problems[0] and "'same'" in problems[0]
    # the same stack with padding "same" keeps at least 1 pixel
    same = [L("MaxPooling2D", padding="same")] * 5 + [L("Flatten"), L("Dense", units=10)]
    assert _problems(same) == []


def test_conv_kernel_larger_than_input():
    problems = _problems([L("Conv2D", kernel_size=29), L("Flatten"), L("Dense", units=10)])
    assert len(problems) == 1 and "29x29" in problems[0] and "28x28" in problems[0]


def test_empty_network():
    problems = _problems([])
    assert problems == ["The network has no layers: add at least one Dense layer."]


def test_validation_split_leaves_no_validation_examples():
    train = TrainSpec(dataset="xor", loss="binary_crossentropy", batch_size=2, validation_split=0.1)
    problems = validate(PRESETS["xor_2_2_1"].model, train)
    assert len(problems) == 1
    assert "validation split of 0.1" in problems[0] and "4 examples" in problems[0]
    assert "none for validation" in problems[0]


def test_validation_split_out_of_range():
    problems = _problems(MLP, validation_split=1.0)
    assert any("validation split is 1.0" in p for p in problems)


def test_several_problems_are_all_reported():
    problems = _problems([], learning_rate=-1, epochs=0, optimizer="sgdx")
    joined = "\n".join(problems)
    assert "no layers" in joined and "sgdx" in joined and "learning rate" in joined
    assert "at least 1 epoch" in joined


def test_early_stopping_needs_validation():
    problems = _problems(MLP, early_stopping=2, validation_split=0.0)
    assert len(problems) == 1 and "validation split above 0" in problems[0]


def test_unknown_dataset_and_activation():
    assert "Unknown dataset 'cifar'" in validate(ModelSpec(layers=MLP), TrainSpec(dataset="cifar"))[0]
    problems = _problems([L("Flatten"), L("Dense", units=10, activation="relux")])
    assert len(problems) == 1 and "relux" in problems[0]


def test_networks_too_big_for_a_shared_server_are_refused():
    from lab.settings import settings

    MAX_PARAMS = settings().max_params
    huge = ModelSpec(layers=[LayerSpec("Flatten"), LayerSpec("Dense", units=30000),
                             LayerSpec("Dense", units=10, activation="softmax")])
    problems = validate(huge, TrainSpec())
    assert any(f"{MAX_PARAMS:,}" in p for p in problems), problems
    wide = ModelSpec(layers=[LayerSpec("Conv2D", filters=512, padding="same"), LayerSpec("Flatten"),
                             LayerSpec("Dense", units=10, activation="softmax")])
    assert any("smaller batch size" in p for p in validate(wide, TrainSpec(batch_size=2000)))
    assert not any("smaller batch size" in p for p in validate(wide, TrainSpec(batch_size=8)))


@pytest.mark.parametrize("last, loss, words", [
    (LayerSpec("Dense", units=10, activation="relu"), "categorical_crossentropy",
     "The last layer ends with relu, but the loss categorical_crossentropy reads the outputs as probabilities"),
    (LayerSpec("Dense", units=10, activation="linear"), "sparse_categorical_crossentropy", "ends with linear"),
    (LayerSpec("BatchNormalization"), "categorical_crossentropy", "ends with a BatchNormalization layer"),
    (LayerSpec("Dense", units=10, activation="tanh"), "binary_crossentropy", "sigmoid (one unit) or softmax"),
])
def test_a_loss_that_reads_probabilities_after_other_outputs_is_a_caution_not_a_refusal(last, loss, words):
    net = ModelSpec(layers=[LayerSpec("Flatten"), LayerSpec("Dense", units=10, activation="softmax"), last,
                            LayerSpec("Dropout", rate=0.2)])
    train = TrainSpec(dataset="mnist", loss=loss)
    assert validate(net, train) == []  # it trains
    assert any(words in c for c in cautions(net, train)), cautions(net, train)


def test_the_usual_endings_draw_no_caution():
    for preset in load_presets().values():
        assert cautions(preset.model, preset.train) == []
    mse = ModelSpec(layers=[LayerSpec("Flatten"), LayerSpec("Dense", units=10, activation="linear")])
    assert cautions(mse, TrainSpec(loss="mse")) == []


@pytest.mark.parametrize("patience", [1, 2])
def test_a_patience_that_can_never_stop_the_run_is_a_caution_and_keras_agrees(patience):
    """Keras' EarlyStopping can end a run after ``patience + 1`` epochs at the earliest: the caution
    appears exactly when the run is not longer than that. Checked against a real fit whose validation
    accuracy never improves (learning rate 0)."""
    import keras
    x = np.random.default_rng(0).random((40, 2)).astype("float32")
    y = (x[:, 0] > 0.5).astype("float32")
    net = ModelSpec(layers=[LayerSpec("Dense", units=1, activation="sigmoid")])
    for epochs in (patience + 1, patience + 2):
        train = TrainSpec(dataset="xor", loss="binary_crossentropy", epochs=epochs, early_stopping=patience,
                          validation_split=0.5)
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="binary_crossentropy",
                      metrics=["accuracy"])
        history = model.fit(x, y, epochs=epochs, validation_split=0.5, verbose=0, callbacks=[
            keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=patience)])
        stopped_early = len(history.history["loss"]) < epochs
        warned = any("can never stop early" in c for c in cautions(net, train))
        assert warned != stopped_early, (epochs, patience, cautions(net, train))


def test_a_training_limit_above_the_dataset_is_a_caution_that_says_how_many_are_used():
    net = load_presets()["workshop_16_16_10"].model
    said = cautions(net, TrainSpec(dataset="mnist", train_limit=9000), n_train=8000)
    assert said == ["Only the first 9,000 training images were asked for, but the dataset holds 8,000: "
                    "all 8,000 will be used."]
    for limit in (0, 8000, 100):
        assert cautions(net, TrainSpec(dataset="mnist", train_limit=limit), n_train=8000) == []
