"""lab.xor: the XOR network's weights, forward pass by hand, decision surface and success test,
checked against real Keras models trained by the lab."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from insidekit import trained_xor
from lab import predict, xor
from lab.records import Status
from lab.spec import load_presets
from lab.summary import layer_table, total_params, validate


@pytest.fixture(scope="module")
def xor_run(datasets_dir):
    """The XOR lab's default network, trained by the lab's job manager."""
    return trained_xor(datasets_dir)


def _model(trained):
    run, path = trained
    return predict.load_model(str(path), path.stat().st_mtime)


def test_the_default_run_is_recorded_like_any_other_and_learns(xor_run):
    run, path = xor_run
    assert run.status == Status.FINISHED and run.dataset == "xor" and path.is_file()
    assert run.network == "XOR 2-2-1 (tanh)" and run.epochs_done == xor.XorSettings().epochs
    assert run.params == 9 and run.test_acc == 1.0
    net = xor.from_model(_model(xor_run))
    assert xor.learned(net.outputs(xor.INPUTS))


def test_forward_pass_by_hand_equals_the_model(xor_run):
    model = _model(xor_run)
    net = xor.from_model(model)
    keras_out = np.asarray(model(xor.INPUTS.astype(np.float32), training=False))[:, 0]
    for x, expected in zip(xor.INPUTS, keras_out):
        steps = xor.steps(net, x)
        assert [s.name for s in steps] == ["x · W1", "+ b1", "tanh", "· W2 + b2", "sigmoid", "answer"]
        assert abs(steps[4].values[0] - expected) < 1e-6
        assert abs(xor.model_output(model, x) - expected) < 1e-7
        # each step follows from the one before, with the model's own weights
        np.testing.assert_allclose(steps[0].values, x @ net.w1, atol=1e-12)
        np.testing.assert_allclose(steps[1].values, steps[0].values + net.b1, atol=1e-12)
        np.testing.assert_allclose(steps[2].values, np.tanh(steps[1].values), atol=1e-12)
        np.testing.assert_allclose(steps[3].values, steps[2].values @ net.w2 + net.b2, atol=1e-6)
        assert steps[5].values[0] == float(expected > 0.5)
        assert len(steps[0].worked) == net.hidden and steps[4].worked[0].endswith(f"{steps[4].values[0]:.6f}")
    np.testing.assert_allclose(net.outputs(xor.INPUTS), keras_out, atol=1e-6)


@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
def test_forward_pass_by_hand_for_every_hidden_activation(activation):
    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(5, activation=activation),
                              keras.layers.Dense(1, activation="sigmoid")])
    net = xor.from_model(model)
    for x in xor.INPUTS:
        assert abs(xor.steps(net, x)[4].values[0] - xor.model_output(model, x)) < 1e-6


def test_weights_shapes_and_parameter_count(xor_run):
    net = xor.from_model(_model(xor_run))
    assert (net.w1.shape, net.b1.shape, net.w2.shape, net.b2.shape) == ((2, 2), (2,), (2, 1), (1,))
    assert net.arithmetic() == "2x2 + 2 + 2x1 + 1 = 9"
    assert net.params == _model(xor_run).count_params() == 9
    tables = net.weight_tables()
    assert list(tables) == ["W1 (2, 2)", "b1 (2,)", "W2 (2, 1)", "b2 (1,)"]
    np.testing.assert_array_equal(tables["W1 (2, 2)"].to_numpy(), net.w1)
    wide = xor.from_model(keras.Sequential([keras.Input((2,)), keras.layers.Dense(8, activation="relu"),
                                            keras.layers.Dense(1, activation="sigmoid")]))
    assert wide.arithmetic() == "2x8 + 8 + 8x1 + 1 = 33"
    model, train = xor.spec(xor.XorSettings(hidden=8))
    assert total_params(layer_table(model, (2,))[0]) == 33 and validate(model, train, n_train=4) == []


def test_decision_surface_is_the_model_on_a_grid(xor_run):
    model = _model(xor_run)
    net = xor.from_model(model)
    s = xor.surface(net, cells=20)
    assert len(s) == 400
    assert s.x1.min() == -0.5 and s.x1_end.max() == 1.5 and s.x2.min() == -0.5 and s.x2_end.max() == 1.5
    centres = np.column_stack([(s.x1 + s.x1_end) / 2, (s.x2 + s.x2_end) / 2]).astype(np.float32)
    keras_out = np.asarray(model(centres, training=False))[:, 0]
    np.testing.assert_allclose(s.output, keras_out, atol=1e-6)
    # a learned network is low near (0, 0) and (1, 1) and high near (0, 1) and (1, 0)
    def at(a, b):
        return s.output[(s.x1 <= a) & (a < s.x1_end) & (s.x2 <= b) & (b < s.x2_end)].item()
    assert at(0.01, 0.01) < 0.5 < at(0.01, 0.99) and at(0.99, 0.01) > 0.5 > at(0.99, 0.99)


def test_the_lines_of_the_hidden_units_lie_where_their_sums_are_zero(xor_run):
    net = xor.from_model(_model(xor_run))
    lines = xor.unit_lines(net)
    assert 2 <= len(lines) <= 2 * net.hidden
    for _, row in lines.iterrows():
        j = int(row.unit.split()[1]) - 1
        assert abs(row.x1 * net.w1[0, j] + row.x2 * net.w1[1, j] + net.b1[j]) < 1e-5
        assert -0.5 - 1e-9 <= row.x1 <= 1.5 + 1e-9 and -0.5 - 1e-9 <= row.x2 <= 1.5 + 1e-9


def test_the_success_test_of_a_try():
    assert xor.learned([0.1, 0.9, 0.6, 0.4])
    assert not xor.learned([0.1, 0.9, 0.4, 0.4])  # (1, 0) on the wrong side
    assert not xor.learned([0.5, 0.9, 0.6, 0.4])  # exactly 0.5 is on neither side
    assert not xor.learned([0.1, 0.5, 0.6, 0.4])
    assert not xor.learned([0.9, 0.1, 0.1, 0.9])  # every answer reversed
    assert xor.learned([0.49, 0.51, 0.51, 0.49])


def test_diagnosis_names_dead_units_and_single_lines():
    dead = xor.XorNet(np.array([[-1.0, 1.0], [-1.0, 1.0]]), np.array([-0.5, -0.5]), np.array([[1.0], [1.0]]),
                      np.array([0.0]), "relu")
    notes = xor.diagnose(dead)
    assert notes[0].startswith("Hidden unit 1 is dead")
    assert any("Wrong: (0, 0) gives 0.500" in n for n in notes)
    assert any("at most one line" in n for n in notes)
    stuck = xor.XorNet(np.zeros((2, 2)), np.array([9.0, 0.0]), np.ones((2, 1)), np.zeros(1), "sigmoid")
    assert any(n.startswith("Hidden unit 1 is stuck") for n in xor.diagnose(stuck))


@pytest.mark.parametrize("hidden, expect", [
    (0, "A hidden size of 0 gives the network no hidden layer"),
    (-3, "A hidden size of -3 gives"),
    (1_000_000, "A hidden size of 1,000,000 is more than the lab's limit of 64 hidden units (LAB_MAX_HIDDEN)"),
    (2.5, "must be a whole number"),
])
def test_hidden_sizes_out_of_range_are_refused(hidden, expect):
    with pytest.raises(xor.XorError, match=expect.replace("(", r"\(").replace(")", r"\)")):
        xor.spec(xor.XorSettings(hidden=hidden))


def test_the_hidden_limit_is_a_setting(monkeypatch):
    monkeypatch.setenv("LAB_MAX_HIDDEN", "4")
    with pytest.raises(xor.XorError, match="limit of 4 hidden units"):
        xor.check_hidden(5)
    xor.check_hidden(4)


def test_image_networks_and_other_shapes_are_refused():
    image_net = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10)])
    with pytest.raises(xor.XorError, match=r"reads inputs of shape \(28, 28, 1\) \(images\)"):
        xor.from_model(image_net)
    deep = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2), keras.layers.Dense(2),
                             keras.layers.Dense(1, activation="sigmoid")])
    with pytest.raises(xor.XorError, match="Dense > Dense > Dense; the XOR lab opens"):
        xor.from_model(deep)
    two_out = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2), keras.layers.Dense(2, activation="softmax")])
    with pytest.raises(xor.XorError, match="needs one sigmoid output unit"):
        xor.from_model(two_out)
    layer_object = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, activation=keras.layers.ReLU()),
                                     keras.layers.Dense(1, activation="sigmoid")])
    with pytest.raises(xor.XorError, match=r"The hidden layer uses 'ReLU \(a layer object\)'"):
        xor.from_model(layer_object)


def test_a_diverged_network_is_refused():
    net = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2), keras.layers.Dense(1, activation="sigmoid")])
    net.set_weights([np.full_like(w, np.nan) for w in net.get_weights()])
    with pytest.raises(xor.XorError, match="its training diverged"):
        xor.from_model(net)


def test_the_xor_preset_opens_too():
    preset = load_presets()["xor_2_2_1"]
    from lab.build import build_model

    net = xor.from_model(build_model(preset.model, (2,)))
    assert net.activation == "relu" and net.params == 9
