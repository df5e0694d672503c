"""lab.bf16 and lab.answers.quick: a CNN's answers computed in bfloat16, every class checked against float32.

The CNN is a real preset trained through the lab on the real MNIST split, and its answers
are compared with plain Keras' float32 ones. The tests pretend the CPU has bfloat16 matrix
units (``bf16.wanted``), so they check the same thing on any CPU; without the units the
copy is only slower.
"""

from __future__ import annotations

from dataclasses import replace

import keras
import numpy as np
import pytest

import lab.data
from lab import answers, bf16
from lab.jobs import JobManager
from lab.records.sqlite import SQLiteStore as Store
from lab.spec import load_presets


@pytest.fixture(scope="module")
def cnn_run(tmp_path_factory, datasets_dir):
    """The 32-64-64 CNN preset trained 1 epoch on 2,000 real MNIST digits: (manager, run)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LAB_HOME", str(tmp_path_factory.mktemp("bf16_home")))
        mp.setenv("LAB_DATASETS", str(datasets_dir))
        preset = load_presets()["cnn_32_64_64"]
        manager = JobManager(Store())
        job = manager.submit(preset.model, replace(preset.train, epochs=1, train_limit=2000), owner="ada")
        assert manager.wait(job.id, timeout=300).status == "finished"
        yield manager, manager.store.run(job.id)


@pytest.fixture
def units(monkeypatch):
    """As on a CPU with bfloat16 matrix units."""
    monkeypatch.setattr(bf16, "wanted", lambda: True)


def plain(path, images) -> np.ndarray:
    """Plain Keras' float32 probabilities (``model.predict``)."""
    return keras.models.load_model(path, compile=False).predict(images, verbose=0)


def test_the_copy_computes_the_convolutional_part_in_bfloat16_with_the_same_weights(cnn_run):
    manager, run = cnn_run
    model = keras.models.load_model(manager.models.locate(run), compile=False)
    copy = bf16.conv_copy(model)
    first_dense = next(i for i, layer in enumerate(model.layers) if isinstance(layer, keras.layers.Dense))
    assert [layer.compute_dtype for layer in copy.layers] == \
        ["bfloat16"] * first_dense + ["float32"] * (len(model.layers) - first_dense)
    assert all(np.array_equal(a, b) for a, b in zip(copy.get_weights(), model.get_weights()))
    assert bf16.conv_copy(model) is copy  # made once per model

    ds = lab.data.load("mnist")
    x = ds.scaled(ds.x_test)
    exact, fast = answers.of_model(model, x), answers.of_model(copy, x)
    assert not np.array_equal(fast, exact)  # really computed another way
    assert np.abs(fast - exact).max() < answers.NEAR / 4

    dense = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10)])
    assert bf16.conv_copy(dense) is None  # no convolution, nothing to gain


def test_a_run_computed_anew_gives_every_image_plain_keras_class(cnn_run, units):
    manager, run = cnn_run
    models = manager.models
    models.predictions(run).unlink()  # as for a run recorded before its test kept them
    p = answers.for_run(run, models)
    ds = lab.data.load("mnist")
    reference = plain(models.locate(run), ds.scaled(ds.x_test))
    assert np.array_equal(p.predicted, reference.argmax(axis=1))
    assert p.accuracy == pytest.approx(run.test_acc, abs=1e-6)
    assert 0 < np.abs(p.probs - reference).max() < answers.NEAR / 4  # the bfloat16 copy's, a little apart
    assert np.allclose(p.probs.sum(axis=1), 1, atol=1e-5)


def test_lab_bf16_0_keeps_float32_throughout(cnn_run, monkeypatch):
    manager, run = cnn_run
    monkeypatch.setenv("LAB_BF16", "0")
    assert not bf16.wanted()
    model = keras.models.load_model(manager.models.locate(run), compile=False)
    ds = lab.data.load("mnist")
    x = ds.scaled(ds.x_test)
    assert np.array_equal(answers.quick(model, x), answers.of_model(model, x))


def linear(bias_shift: float, seed: int = 3):
    """A softmax layer on the raw pixels with fixed random weights, its biases moved by
    ``bias_shift`` in a fixed random direction: a stand-in for a bfloat16 copy that is a
    little off, nudging near ties the other way."""
    rng = np.random.default_rng(seed)
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(10, activation="softmax")])
    model.set_weights([rng.normal(0, 0.04, (784, 10)).astype("float32"),
                       (bias_shift * rng.choice([-1.0, 1.0], 10)).astype("float32")])
    return model


def real_images() -> np.ndarray:
    ds = lab.data.load("mnist")
    return np.concatenate([ds.scaled(ds.x_train), ds.scaled(ds.x_test)])


def test_answers_near_a_tie_are_checked_in_float32(monkeypatch, units):
    model, copy = linear(0.0), linear(0.004)
    monkeypatch.setattr(bf16, "conv_copy", lambda m: copy)
    x = real_images()
    exact, off = answers.of_model(model, x), answers.of_model(copy, x)
    assert np.abs(off - exact).max() < answers.NEAR / 4
    flipped = np.flatnonzero(off.argmax(axis=1) != exact.argmax(axis=1))
    assert len(flipped) > 0  # the copy alone would give these images another class

    got = answers.quick(model, x)
    assert np.array_equal(got.argmax(axis=1), exact.argmax(axis=1))
    top2 = np.sort(off, axis=1)[:, -2:]
    clear = np.flatnonzero(top2[:, 1] - top2[:, 0] >= answers.NEAR)
    clear = clear[clear >= answers.PROBE]
    assert len(clear) > len(x) // 2 and np.array_equal(got[clear], off[clear])  # the copy's, where it is sure
    assert np.array_equal(got[:answers.PROBE], exact[:answers.PROBE])


def test_a_copy_that_strays_is_not_trusted(monkeypatch, units):
    model, copy = linear(0.0), linear(0.5)
    monkeypatch.setattr(bf16, "conv_copy", lambda m: copy)
    x = real_images()
    assert np.array_equal(answers.quick(model, x), answers.of_model(model, x))
    assert np.array_equal(answers.quick(model, x[:answers.PROBE]), answers.of_model(model, x[:answers.PROBE]))
