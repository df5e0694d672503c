"""The Inside the network page, driven through Streamlit's AppTest (no browser): train XOR and
open it up, run a study of tries, a dense network step by step, a CNN's feature maps, and
the messages for runs and inputs these views cannot use."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from appkit import install_model, page, seed_run, values
from insidekit import trained_cnn, trained_xor
from lab import data, predict, trials, xor
from lab.records.sqlite import SQLiteStore as Store

TABS = ["XOR by hand", "How often does it learn?", "A dense network, step by step", "What a CNN sees"]


def tab(at, name: str):
    """Open a tab of the page (what a click on it does)."""
    at.session_state["inside_view"] = name
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def charts(at) -> list:
    return at.get("vega_lite_chart")


def plain(texts) -> list[str]:
    """Messages as a reader sees them (without the escapes that keep Markdown out)."""
    return [t.replace("\\", "").replace("\u200b", "") for t in texts]


def caption(image) -> str:
    """The caption under an image element."""
    return image.proto.imgs[0].caption


def snapshot():
    store = Store()
    return [(r.id, r.status) for r in store.runs()], store.trials()


# ---- XOR by hand -------------------------------------------------------------------------------


def test_train_xor_on_the_page_and_open_it_up():
    at = page("inside")
    assert at.title[0].value == "Inside the network"
    assert values(at.info) == ["No runs yet: press Train XOR."]
    at.button(key="xor_train").click().run()
    assert not at.exception and not at.error

    run = Store().runs()[0]  # recorded like any other run
    assert (run.dataset, run.network, run.status, run.epochs_done, run.params) == (
        "xor", "XOR 2-2-1 (tanh)", "finished", 100, 9)
    assert json.loads(run.train_json)["optimizer"] == "sgd" and run.owner.startswith("guest-")
    assert at.selectbox(key="xor_run").value == run.id

    table = at.dataframe[0].value
    assert table[["x1", "x2", "right answer"]].values.tolist() == [[0, 0, 0], [0, 1, 1], [1, 0, 1], [1, 1, 0]]
    model = predict.load_model(str(_path(run)), _path(run).stat().st_mtime)
    own = np.asarray(model(xor.INPUTS.astype(np.float32), training=False))[:, 0]
    np.testing.assert_allclose(table["output"], own, atol=1e-6)

    w1 = at.dataframe[1].value
    assert w1.shape == (2, 2) and list(w1.index) == ["from x1", "from x2"]
    np.testing.assert_allclose(w1.to_numpy(), model.layers[0].get_weights()[0])
    assert [c.value for c in at.caption[2:6]] == ["W1 (2, 2)", "b1 (2,)", "W2 (2, 1)", "b2 (1,)"]
    assert any("2x2 + 2 + 2x1 + 1 = 9" in m.value for m in at.markdown)

    at.selectbox(key="xor_input").set_value(2).run()  # x = (1, 0)
    steps = [m.value for m in at.markdown if re.match(r"\*\*\d\. ", m.value)]
    assert [s.split("**")[1] for s in steps] == ["1. x · W1", "2. + b1", "3. tanh", "4. · W2 + b2", "5. sigmoid",
                                                  "6. answer"]
    by_hand = float(re.search(r"\*\*5\. sigmoid\*\* = \[([0-9.]+)\]", steps[4]).group(1))
    assert abs(by_hand - own[2]) < 1e-4
    check = next(c.value for c in at.caption if c.value.startswith("By hand: "))
    hand, keras_own = (float(x) for x in re.findall(r": (-?\d+\.\d+)", check))
    assert abs(hand - own[2]) < 1e-6 and abs(keras_own - own[2]) < 1e-6
    assert len(charts(at)) == 1  # the decision surface


def _path(run):
    from lab.settings import settings

    return settings().models_dir / f"run_{run.id}.keras"


@pytest.mark.parametrize("hidden, expect", [
    (0, "A hidden size of 0 gives the network no hidden layer to draw lines with: use 1 to 64 units."),
    (1_000_000, "A hidden size of 1,000,000 is more than the lab's limit of 64 hidden units (LAB_MAX_HIDDEN)"),
    (2.5, "Hidden units: 2.5 is not a whole number. Type one without a fraction, such as 2."),
])
def test_xor_hidden_sizes_out_of_range_keep_train_disabled(hidden, expect):
    at = page("inside")
    before = snapshot()
    at.number_input(key="xor_hidden").set_value(hidden).run()
    assert any(expect in e for e in values(at.error)), values(at.error)
    assert at.button(key="xor_train").disabled
    assert snapshot() == before


def test_xor_epochs_and_rate_are_checked_like_any_run():
    at = page("inside")
    at.number_input(key="xor_epochs").set_value(5000).run()
    assert any("Epochs is 5,000: the lab's limit is 1,000" in e for e in values(at.error))
    at.number_input(key="xor_epochs").set_value(100)
    at.number_input(key="xor_rate").set_value(0.0).run()
    assert any("The learning rate is 0: it must be above 0 and at most 10 (1 suits the XOR network with SGD)."
               in e for e in values(at.error))
    assert at.button(key="xor_train").disabled


def test_an_image_network_picked_for_the_xor_view(trained_model):
    run_id = install_model(trained_model)
    at = page("inside")
    assert at.selectbox(key="xor_run").value is None  # no XOR run yet: the tab does not open on an error
    assert values(at.info) == ["No run fits this view yet: press Train XOR."] and not at.error
    at.selectbox(key="xor_run").set_value(run_id).run()
    assert values(at.error) == [f"Run {run_id}: This network reads inputs of shape (28, 28, 1) (images), not the two "
                                "numbers of an XOR row: pick a network trained on the XOR dataset, or open this one "
                                "on the image tabs."]
    assert not at.dataframe


def test_untrained_diverged_missing_and_damaged_runs_say_why(datasets_dir):
    at = page("inside")  # the lab starts first: a run it finds "running" then is one a dead server left
    store = Store()
    running = seed_run(store, dataset="xor", status="running", network="XOR busy")
    diverged = seed_run(store, dataset="xor", status="diverged", network="XOR blown up")
    missing = seed_run(store, dataset="xor", status="finished", network="XOR lost", model_path="run_999.keras",
                       saved_epoch=100)
    damaged = install_model(trained_xor(datasets_dir), store)
    _path(store.run(damaged)).write_bytes(b"this is not a model")
    before = snapshot()
    at.run()
    shown = {}
    for run_id in (running, diverged, missing, damaged):
        at.selectbox(key="xor_run").set_value(run_id).run()
        assert not at.exception
        shown[run_id] = values(at.info) + values(at.warning) + values(at.error) + values(at.text)
        assert not at.dataframe
    assert shown[diverged] == [f"Run {diverged} diverged (its weights became NaN), so they were not kept: start it "
                               "again. There is no trained model to look inside; pick another run."]
    assert shown[missing] == [f"Run {missing} has no model file any more: start it again. There is no trained model "
                              "to look inside; pick another run."]
    assert shown[damaged] == [f"The model of run {damaged} (run_{damaged}.keras) cannot be used: The file is not a "
                              "Keras model (.keras) the lab can read: it is damaged or of another kind. Train the run "
                              "again, or pick another."]
    assert shown[running] == [f"Run {running} · XOR busy · xor · started by ada · running"]  # followed live
    assert snapshot() == before


# ---- How often does it learn? --------------------------------------------------------------------


def test_a_small_study_on_the_page_is_recorded_and_charted():
    at = tab(page("inside"), TABS[1])
    assert values(at.info) == ["Press Run the tries: the chart of how often each size learned appears here."]
    at.text_input(key="trials_sizes").set_value("1, 4")
    at.number_input(key="trials_tries").set_value(6)
    at.number_input(key="trials_epochs").set_value(60).run()
    at.button(key="trials_run").click().run()
    assert not at.exception and not at.error
    batches = Store().trials()
    assert sorted(b.hidden for b in batches) == [1, 4] and {b.tries for b in batches} == {6}
    assert {b.study for b in batches} == {1} and {b.epochs for b in batches} == {60}
    one = next(b for b in batches if b.hidden == 1)
    assert one.learned == 0 and len(json.loads(one.outcomes_json)) == 6
    table = at.dataframe[0].value
    assert table["hidden units"].tolist() == [1, 4]
    assert table["learned"].tolist() == [one.learned, next(b for b in batches if b.hidden == 4).learned]
    assert len(charts(at)) == 2  # the share per size, and the first failed try's surface
    failed = at.selectbox(key="trials_failed_1")
    assert failed.options[0].startswith("1 hidden unit, try 1: outputs ")
    at.selectbox(key="trials_failed_1").set_value(3).run()
    assert any("at most one line" in m.value for m in at.markdown)
    assert len(Store().trials()) == 2  # looking at a try trains and records nothing
    at.number_input(key="trials_seed").set_value(7).run()
    at.button(key="trials_run").click().run()  # another study: its own failed tries, none of the first's
    assert not [s for s in at.selectbox if s.key == "trials_failed_1"]
    assert at.selectbox(key="trials_failed_2").options != failed.options


@pytest.mark.parametrize("what, value, expect", [
    ("trials_tries", 0, "0 tries per hidden size is too few: use 1 to 200 (50 is usual)."),
    ("trials_tries", 100_000, "100,000 tries per hidden size is more than the lab allows in one study (200, "
                              "LAB_MAX_TRIES)"),
    ("trials_sizes", "1, 1000000", "A hidden size of 1,000,000 is more than the lab's limit of 64"),
    ("trials_sizes", "0, 2", "A hidden size of 0 gives the network no hidden layer"),
    ("trials_sizes", "two", "'two' is not a whole number of hidden units"),
])
def test_studies_out_of_range_keep_run_disabled(what, value, expect):
    at = tab(page("inside"), TABS[1])
    before = snapshot()
    widget = at.number_input(key=what) if isinstance(value, int) else at.text_input(key=what)
    widget.set_value(value).run()
    assert any(expect in e for e in values(at.error)), values(at.error)
    assert at.button(key="trials_run").disabled
    assert snapshot() == before


def test_the_results_page_lists_recorded_studies():
    plan = trials.Plan((1, 2), tries=4, epochs=40, seed=3)
    Store().record_trials(trials.to_rows(plan, trials.run(plan), "ada", "p-ada"))
    seed_run()
    at = page("results")
    assert "How often does XOR learn? (trials)" in [s.value for s in at.subheader]
    studies = next(d.value for d in at.dataframe if "study" in d.value.columns)
    assert studies["study"].tolist() == [1] and studies["by"].tolist() == ["ada"]
    assert at.selectbox(key="results_trial_study").value == 1


# ---- a dense network, step by step -----------------------------------------------------------------


def test_a_dense_network_step_by_step(trained_model):
    run_id = install_model(trained_model)
    stopped = seed_run(status="stopped", epochs_done=0, message="Stopped before it started.")  # newer, no model
    at = tab(page("inside"), TABS[2])
    assert stopped > run_id and at.selectbox(key="dense_run").value == run_id  # one it can open comes first
    at.number_input(key="dense_index").set_value(3).run()
    assert not at.error and not at.warning
    label = int(data.load("mnist").y_test[3])
    assert caption(at.image[0]) == f"test image 3: {'an' if label == 8 else 'a'} {label}"
    assert len(charts(at)) == 4  # 784 inputs, two hidden layers, the probabilities
    outputs = at.dataframe[0].value
    assert list(outputs.columns) == ["class", "before softmax", "after softmax"]
    np.testing.assert_allclose(outputs["after softmax"].sum(), 1.0, atol=1e-9)
    sentence = at.info[0].value
    best = int(np.argmax(outputs["after softmax"]))
    assert sentence.startswith(f"The largest of the 10 outputs is number {best} (")
    assert any("the model's own outputs differ from these by at most" in c for c in values(at.caption))


def test_a_cnn_picked_for_the_dense_view_and_a_dense_net_for_the_cnn_view(trained_model, datasets_dir):
    cnn_id = install_model(trained_cnn(datasets_dir))
    dense_id = install_model(trained_model)
    at = tab(page("inside"), TABS[2])
    at.selectbox(key="dense_run").set_value(cnn_id).run()
    assert plain(values(at.warning)) == [f"Run {cnn_id}: This network has Conv2D, MaxPooling2D layers; the step-by-step view "
                                  "reads networks made only of Flatten, Dense and Dropout layers. For convolutions, "
                                  "see the tab \"What a CNN sees\"."]
    tab(at, TABS[3])
    at.selectbox(key="cnn_run").set_value(dense_id).run()
    assert plain(values(at.info))[0].startswith(f"Run {dense_id}: This network has no Conv2D layer (Flatten > Dense > Dense "
                                         "> Dense), so it makes no feature maps")


# ---- what a CNN sees -----------------------------------------------------------------------------


def test_the_feature_maps_of_a_cnn(datasets_dir):
    run_id = install_model(trained_cnn(datasets_dir))
    at = tab(page("inside"), TABS[3])
    assert at.selectbox(key="cnn_run").value == run_id
    assert not at.error and not at.info
    shown = [caption(image) for image in at.image]
    assert shown[0].startswith("test image 0: a")
    assert shown[1].startswith("the 32 learned filters of the first Conv2D layer, 3x3 each")
    assert shown[2:] == [
        "layer 1, Conv2D: output shape (28, 28, 32), 32 maps of 28x28",
        "layer 2, MaxPooling2D: output shape (14, 14, 32), 32 maps of 14x14",
        "layer 3, Conv2D: output shape (14, 14, 64), 64 maps of 14x14",
        "layer 4, MaxPooling2D: output shape (7, 7, 64), 64 maps of 7x7",
        "layer 5, Conv2D: output shape (7, 7, 64), 64 maps of 7x7",
        "layer 6, MaxPooling2D: output shape (3, 3, 64), 64 maps of 3x3"]


def test_the_cnn_view_reads_a_drawing_kept_in_the_session(datasets_dir):
    install_model(trained_cnn(datasets_dir))
    at = tab(page("inside"), TABS[3])
    at.radio(key="cnn_source").set_value("a drawing").run()
    assert values(at.info) == ["The canvas is empty: draw a digit first."]
    at.session_state["drawing"] = data.load("mnist").x_test[5].astype(np.float32) / 255  # drawn before
    at.run()
    assert not at.info and not at.error
    assert caption(at.image[0]) == "your last drawing, as the network receives it (28x28)"
    assert len(at.image) == 8


def test_an_xor_run_in_the_image_views_and_a_damaged_file_in_the_cnn_view(datasets_dir):
    """The image views say what is wrong with an XOR run or a broken model file; nothing is
    recorded by looking."""
    at = page("inside")
    at.button(key="xor_train").click().run()
    xor_id = Store().runs()[0].id
    cnn_id = install_model(trained_cnn(datasets_dir))
    before = snapshot()
    tab(at, TABS[2])
    at.selectbox(key="dense_run").set_value(xor_id).run()
    shown = plain(values(at.warning) + values(at.info) + values(at.error))
    assert any(f"Run {xor_id}" in m and "XOR" in m for m in shown), shown
    tab(at, TABS[3])
    at.selectbox(key="cnn_run").set_value(xor_id).run()
    shown = plain(values(at.warning) + values(at.info) + values(at.error))
    assert any(f"Run {xor_id}" in m and "XOR" in m for m in shown), shown
    _path(Store().run(cnn_id)).write_bytes(b"not a model any more")
    at.selectbox(key="cnn_run").set_value(cnn_id).run()
    shown = plain(values(at.warning) + values(at.info) + values(at.error))
    assert any("The file is not a Keras model" in m for m in shown), shown
    assert not at.exception and snapshot() == before
