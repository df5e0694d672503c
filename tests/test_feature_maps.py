"""lab.feature_maps: one forward pass returns every Conv2D and pooling layer's maps, with the
shapes Keras gives those layers, and the first layer's filters."""

from __future__ import annotations

import numpy as np
import pytest

from insidekit import trained_cnn, trained_xor
from lab import data, feature_maps, predict
from lab.build import build_model
from lab.spec import load_presets


def _digit(i=0):
    ds = data.load("mnist")
    return ds.scaled(ds.x_test[i:i + 1]).reshape(28, 28)


def test_maps_of_a_trained_cnn_have_the_layers_output_shapes(datasets_dir):
    run, path = trained_cnn(datasets_dir)
    mtime = path.stat().st_mtime
    model = predict.load_model(str(path), mtime)
    layers = feature_maps.maps(str(path), mtime, _digit())
    expected = [(i, layer) for i, layer in enumerate(model.layers, start=1)
                if type(layer).__name__ in ("Conv2D", "MaxPooling2D")]
    assert [(m.position, m.name, m.kind) for m in layers] == [(i, l.name, type(l).__name__) for i, l in expected]
    assert [m.shape for m in layers] == [tuple(l.output.shape[1:]) for _, l in expected]
    assert [m.shape for m in layers] == [(28, 28, 32), (14, 14, 32), (14, 14, 64), (7, 7, 64), (7, 7, 64), (3, 3, 64)]
    # the maps are the layers' real outputs: the first is relu(conv(image)) computed by Keras
    import keras

    first = keras.Model(model.inputs[0], model.layers[0].output)
    np.testing.assert_allclose(layers[0].values, np.asarray(first(_digit()[None, :, :, None]))[0], atol=1e-5)
    assert layers[0].values.min() >= 0 and layers[0].values.max() > 0  # relu, and the digit lights some up
    np.testing.assert_allclose(layers[1].values, layers[0].values.reshape(14, 2, 14, 2, 32).max(axis=(1, 3)),
                               atol=1e-6)  # max pooling by hand


def test_the_probe_is_built_once_per_model_file(datasets_dir):
    run, path = trained_cnn(datasets_dir)
    mtime = path.stat().st_mtime
    assert feature_maps.probe(str(path), mtime) is feature_maps.probe(str(path), mtime)
    a = feature_maps.maps(str(path), mtime, _digit(0))
    b = feature_maps.maps(str(path), mtime, _digit(1))
    assert not np.allclose(a[0].values, b[0].values)


def test_shapes_of_the_unpooled_preset_too(tmp_path):
    preset = load_presets()["cnn_32_64_128"]
    model = build_model(preset.model, (28, 28, 1))
    path = tmp_path / "cnn.keras"
    model.save(path)
    layers = feature_maps.maps(str(path), path.stat().st_mtime, _digit())
    assert [m.shape for m in layers] == [(26, 26, 32), (24, 24, 64), (22, 22, 128), (11, 11, 128)]
    assert [m.kind for m in layers] == ["Conv2D", "Conv2D", "Conv2D", "MaxPooling2D"]


def test_first_filters_and_their_grid(datasets_dir):
    run, path = trained_cnn(datasets_dir)
    model = predict.load_model(str(path), path.stat().st_mtime)
    kernel = feature_maps.first_filters(model)
    assert kernel.shape == (3, 3, 1, 32)
    np.testing.assert_array_equal(kernel, model.layers[0].get_weights()[0])
    grid = feature_maps.mosaic(kernel[:, :, 0, :], centred=True)
    assert grid.shape == (6 * 4 - 1, 6 * 4 - 1) and grid.dtype == np.uint8  # 6x6 cells of 3x3 + lines
    big = feature_maps.mosaic(kernel[:, :, 0, :], centred=True, fit=230)
    assert big.shape == (230, 230)  # each pixel repeated 10 times


def test_a_network_without_convolutions_says_so(trained_model, datasets_dir):
    _, path = trained_model
    with pytest.raises(feature_maps.NoMaps, match="This network has no Conv2D layer \\(Flatten > Dense > Dense > "
                                                  "Dense\\), so it makes no feature maps"):
        feature_maps.maps(str(path), path.stat().st_mtime, _digit())
    _, xor_path = trained_xor(datasets_dir)
    with pytest.raises(feature_maps.NoMaps, match="This is an XOR network"):
        feature_maps.maps(str(xor_path), xor_path.stat().st_mtime, _digit())


def test_damaged_and_missing_model_files_are_refused(tmp_path):
    junk = tmp_path / "junk.keras"
    junk.write_bytes(b"not a model")
    with pytest.raises(predict.BadModel, match="The file is not a Keras model"):
        feature_maps.maps(str(junk), junk.stat().st_mtime, _digit())
    with pytest.raises(predict.BadModel, match="The model file is missing"):
        feature_maps.maps(str(tmp_path / "gone.keras"), 0.0, _digit())
