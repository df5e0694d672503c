"""lab.inside and lab.activations: a dense network's forward pass, redone by hand with NumPy
from the model's weights, equals the model's own output on real MNIST images."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from insidekit import trained_cnn, trained_preset, trained_xor
from lab import activations, data, inside, predict
from lab.layers import ACTIVATIONS


def _load(trained):
    run, path = trained
    return run, predict.load_model(str(path), path.stat().st_mtime)


def _test_images(n=5):
    ds = data.load("mnist")
    return ds.scaled(ds.x_test[:n]).reshape(n, 28, 28), ds.y_test[:n]


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_every_activation_by_hand_equals_keras(name):
    z = np.linspace(-6, 6, 49).reshape(7, 7).astype(np.float32)
    mine = activations.apply(name, z)
    theirs = np.asarray(keras.activations.get(name)(z))
    np.testing.assert_allclose(mine, theirs, atol=2e-6, rtol=1e-5)
    assert name in activations.FORMULAS


def test_an_unknown_activation_is_named():
    with pytest.raises(KeyError, match="'mish' is not one the lab can compute by hand"):
        activations.apply("mish", [1.0])


def test_the_workshop_network_step_by_step_equals_the_model(trained_model):
    """The session's trained workshop 16-16-10 run, on real test digits."""
    run, model = _load(trained_model)
    images, labels = _test_images()
    for image, label in zip(images, labels):
        walk = inside.walk(model, image)
        assert walk.inputs.shape == (784,) and np.array_equal(walk.inputs, image.reshape(-1))
        assert [l.label for l in walk.layers] == ["Dense(16, relu)", "Dense(16, relu)", "Dense(10, softmax)"]
        assert [l.position for l in walk.layers] == [2, 3, 4]
        own = np.asarray(model(image.reshape(1, 28, 28, 1), training=False))[0]
        np.testing.assert_allclose(walk.outputs, own, atol=1e-6)
        assert walk.difference < 1e-6 and walk.answer == int(np.argmax(own))
        # each layer from the one before, with the model's own weights
        w, b = model.layers[1].get_weights()
        np.testing.assert_allclose(walk.layers[0].before, image.reshape(-1) @ w + b, atol=1e-5)
        np.testing.assert_allclose(walk.layers[0].after, np.maximum(walk.layers[0].before, 0), atol=0)
        np.testing.assert_allclose(walk.outputs.sum(), 1.0, atol=1e-9)
        sentence = inside.sentence(walk, data.DATASETS["mnist"].class_names, int(label))
        assert sentence.startswith(f"The largest of the 10 outputs is number {walk.answer} (")
        assert ("That is right." in sentence) == (walk.answer == label)


@pytest.mark.parametrize("preset", ["mlp_512_512", "dense_784_32_10_sgd"])
def test_the_other_dense_presets_step_by_step(preset, datasets_dir):
    run, model = _load(trained_preset(preset, datasets_dir, train_limit=500))
    images, _ = _test_images(3)
    for image in images:
        walk = inside.walk(model, image)
        np.testing.assert_allclose(walk.outputs, np.asarray(model(image[None, :, :, None], training=False))[0],
                                   atol=1e-6)
    dropouts = sum(type(layer).__name__ == "Dropout" for layer in model.layers)
    assert len(walk.skipped) == dropouts
    assert len(walk.layers) == sum(type(layer).__name__ == "Dense" for layer in model.layers)


def test_convolutional_and_xor_networks_are_refused_with_where_to_look(datasets_dir):
    _, cnn = _load(trained_cnn(datasets_dir))
    with pytest.raises(inside.InsideError, match="has Conv2D, MaxPooling2D layers.*What a CNN sees"):
        inside.walk(cnn, np.zeros((28, 28), np.float32))
    _, xor_net = _load(trained_xor(datasets_dir))
    with pytest.raises(inside.InsideError, match="This is an XOR network: it reads two numbers"):
        inside.walk(xor_net, np.zeros((28, 28), np.float32))


@pytest.mark.parametrize("layers, words", [
    (lambda: [keras.layers.Flatten(), keras.layers.Dense(16, activation="leaky_relu"), keras.layers.Dense(10)],
     r"Layer 2 \(Dense\) uses the activation 'leaky_relu', which this view cannot compute by hand"),
    (lambda: [keras.layers.Flatten(), keras.layers.Dense(16, activation=keras.layers.ReLU()), keras.layers.Dense(10)],
     r"Layer 2 \(Dense\) uses the activation 'ReLU \(a layer object\)', which this view cannot compute by hand"),
    (lambda: [keras.layers.Flatten(), keras.layers.Dense(16, use_bias=False), keras.layers.Dense(10)],
     r"Layer 2 \(Dense\) has no bias \(use_bias=False\)"),
    (lambda: [keras.layers.Dense(4), keras.layers.Flatten(), keras.layers.Dense(10)],
     r"Layer 1 \(Dense\) does not read one row of numbers \(put a Flatten layer before it\)"),
])
def test_an_uploaded_dense_network_the_view_cannot_compute_by_hand_is_refused(tmp_path, layers, words):
    """Uploads are any Keras model made of Flatten, Dense and Dropout layers: one the view
    cannot follow is refused with a sentence, not a crash."""
    path = tmp_path / "uploaded.keras"
    keras.Sequential([keras.Input((28, 28, 1)), *layers()]).save(path)
    model = predict.load_model(str(path), path.stat().st_mtime)
    with pytest.raises(inside.InsideError, match=words):
        inside.walk(model, np.zeros((28, 28), np.float32))


def test_a_diverged_network_and_a_wrong_image_are_refused(trained_model):
    _, model = _load(trained_model)
    with pytest.raises(inside.InsideError, match=r"reads inputs of shape \(28, 28, 1\), not an image of \(2,\)"):
        inside.walk(model, np.zeros(2))
    broken = keras.models.clone_model(model)
    broken.set_weights([np.full_like(w, np.nan) for w in model.get_weights()])
    with pytest.raises(inside.InsideError, match="its training diverged"):
        inside.walk(broken, np.zeros((28, 28), np.float32))


def test_spec_kinds_read_from_a_record():
    assert inside.dense_only('{"layers": [{"kind": "Flatten"}, {"kind": "Dense"}, {"kind": "Dropout"}]}')
    assert not inside.dense_only('{"layers": [{"kind": "Conv2D"}, {"kind": "Flatten"}, {"kind": "Dense"}]}')
    assert not inside.dense_only('{"layers": [{"kind": "Dense"}]}')  # XOR: no Flatten
    assert not inside.dense_only("{broken")


def test_a_strip_of_values_has_room_for_its_cells():
    """Streamlit fits a chart, title and axis included, into its height: the strip's cells
    span one band of it (a rect without y was drawn 0 px tall, leaving only the title)."""
    from lab.inside_charts import strip_chart

    spec = strip_chart(np.arange(16.0), "16 activations of layer 2").to_dict()
    assert spec["mark"]["type"] == "rect" and spec["encoding"]["y"] == {"field": "row", "type": "nominal", "axis": None}
    assert spec["height"] >= 100  # title (~30 px) and axis (~25 px) leave the cells ~40 px
    scale = spec["encoding"]["color"]["scale"]  # Vega's greys run white to black: reversed, 0 is black,
    assert (scale["scheme"], scale["reverse"], scale["domain"][0]) == ("greys", True, 0.0)  # as the picture
