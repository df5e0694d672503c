"""The five pages, driven through Streamlit's AppTest (no browser).

Every test runs the real ``app.py`` (st.navigation) in its own LAB_HOME, so
each gets its own records and its own shared job manager. Trained models come
from one tiny training run per session (`trained_model` in conftest), copied
into each test's LAB_HOME, except the Train-page tests, which train through
the page itself. Helpers are in ``appkit.py``.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import lab.data
from appkit import (WORKSHOP, WORKSHOP_PARAMS, digit_png, install_model, layers_key, open_page, page,
                    page_manager, seed_run, set_spec, start_app, values, version)
from lab.records import Epoch, Status
from lab.records.sqlite import SQLiteStore as Store
from lab.settings import settings
from lab.spec import LayerSpec, ModelSpec

ROOT = Path(__file__).resolve().parents[1]


# ---- every page ------------------------------------------------------------------------------


@pytest.mark.parametrize("name, title", [("datasets", "Datasets"), ("architecture", "Architecture"),
                                         ("train", "Train"), ("results", "Results"),
                                         ("draw", "Draw and predict")])
def test_every_page_runs_inside_the_app(name, title):
    at = page(name)
    assert at.title[0].value == title
    assert at.text_input(key="owner").value.startswith("guest-")  # app.py's sidebar is there too
    assert values(at.sidebar.caption) == ["No training running."]
    at.run()  # and again, as after any click
    assert not at.exception and at.title[0].value == title


# ---- Datasets ------------------------------------------------------------------------------


def test_datasets_page_shows_samples_and_one_hot():
    at = start_app()  # the default page
    assert at.title[0].value == "Datasets"
    assert at.selectbox(key="ds_name").value == "mnist"
    assert any("IDX files in" in c and c.endswith("This copy holds 10,000 of them.") for c in values(at.caption)), \
        values(at.caption)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Training set"] == "8,000 x 28 x 28"
    assert metrics["Test set"] == "2,000 x 28 x 28"
    assert metrics["Network input"] == "float32, 0 to 1"
    samples = at.image[0]
    assert len(samples.value) == 24 and samples.captions[0].startswith("0: ")
    label = int(lab.data.load("mnist").y_train[0])
    one_hot = at.dataframe[-1].value
    assert list(one_hot.columns) == [str(i) for i in range(10)]
    assert one_hot.iloc[0].tolist() == [int(i == label) for i in range(10)]

    at.number_input(key="ds_one").set_value(7).run()
    assert not at.exception
    label = int(lab.data.load("mnist").y_train[7])
    assert at.dataframe[-1].value.iloc[0].tolist() == [int(i == label) for i in range(10)]


def test_datasets_page_xor_table():
    at = start_app()
    at.selectbox(key="ds_name").set_value("xor").run()
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert table["x1 XOR x2"].tolist() == [0, 1, 1, 0]
    words = " ".join(m.value for m in at.markdown)
    assert "divided by" not in words and "The values are 0 and 1 already" in words
    assert "Inputs **0, 0**" in words  # the one-hot example shows what its label belongs to
    assert "Loaded from the XOR truth table, built into the lab." in [c.value for c in at.caption]


def test_dataset_not_found_names_where_it_looked(monkeypatch, tmp_path):
    empty = {name: tmp_path / name for name in ("lab_datasets", "keras_home", "debian")}
    for folder in empty.values():
        folder.mkdir()
    monkeypatch.setenv("LAB_DATASETS", str(empty["lab_datasets"]))
    monkeypatch.setenv("KERAS_HOME", str(empty["keras_home"]))
    monkeypatch.setattr(lab.data, "DEBIAN_ROOT", empty["debian"])
    seed_run()
    before = Store().runs()

    at = start_app()
    at.selectbox(key="ds_name").set_value("mnist").run()
    assert not at.exception
    assert len(at.error) == 1
    message = at.error[0].value
    assert "MNIST handwritten digits dataset was not found" in message
    for where in (empty["lab_datasets"] / "mnist", empty["keras_home"] / "datasets" / "mnist.npz",
                  empty["debian"] / "mnist"):
        assert str(where) in message, (where, message)
    assert "LAB_OFFLINE" in message and "LAB_DATASETS" in message
    assert not at.image  # the page stopped before the samples
    assert Store().runs() == before


# ---- Architecture --------------------------------------------------------------------------


def test_architecture_page_shows_layers_and_parameters():
    at = page("architecture")
    assert at.selectbox(key="arch_preset").value == WORKSHOP
    editor = at.data_editor(key=layers_key(at))
    assert editor.value["kind"].tolist() == ["Flatten", "Dense", "Dense", "Dense"]
    table = [d for d in at.dataframe if d.key is None][0].value
    assert table["parameters"].tolist() == [0, 0, 12560, 272, 170]
    assert table["output shape"].tolist()[-1] == "(10,)"
    assert at.metric[0].label == "Total parameters" and at.metric[0].value == f"{WORKSHOP_PARAMS:,}"
    assert values(at.success) == ["This network can be trained."] and not at.error
    assert "keras.layers.Dense(16, activation='relu')" in at.code[0].value

    # loading another preset replaces the network and its numbers
    at.selectbox(key="arch_preset").set_value("mlp_512_512")
    at.button(key="arch_preset_load").click().run()
    assert not at.exception
    total = 784 * 512 + 512 + 512 * 512 + 512 + 512 * 10 + 10
    assert at.metric[0].value == f"{total:,}"



def same_browser(key: str) -> AppTest:
    """The app opened by the browser whose cookie holds ``key`` (a reload, or another tab)."""
    return start_app(key)


def test_the_network_being_edited_survives_a_reload_and_reaches_another_tab():
    """Edits live in the records under the person, not only in the page session: a reload
    (a new session of the same browser) opens the same network, settings and preset."""
    at = open_page(same_browser("k-ada"), "pages/architecture.py")
    at.selectbox(key="arch_preset").set_value("dense_784_32_10_sgd")
    at.button(key="arch_preset_load").click().run()
    at.session_state[layers_key(at)] = {"edited_rows": {1: {"units": 64.0}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception and not at.error
    again = open_page(same_browser("k-ada"), "pages/architecture.py")
    assert again.selectbox(key="arch_preset").value == "dense_784_32_10_sgd"
    assert again.data_editor(key=layers_key(again)).value["units"].tolist()[1] == 64
    train = open_page(again, "pages/train.py")
    assert any(t.startswith("Network: Dense 784-32-10") and "Dense(64, " in t for t in values(train.text)), values(train.text)
    third = open_page(same_browser("k-ada"), "pages/architecture.py")  # opening it keeps all of it for the next
    assert third.selectbox(key="arch_preset").value == "dense_784_32_10_sgd"
    tab_a, tab_b = third, open_page(same_browser("k-ada"), "pages/train.py")  # two tabs, each changing one part
    tab_b.number_input(key=f"train_epochs_{version(tab_b)}").set_value(7).run()
    tab_a.text_input(key=[t.key for t in tab_a.text_input if t.key and t.key.startswith("arch_name")][0]) \
        .set_value("mine").run()
    assert not tab_a.exception and not tab_b.exception
    after = open_page(same_browser("k-ada"), "pages/train.py")
    assert after.number_input(key=f"train_epochs_{version(after)}").value == 7  # tab a kept b's settings
    assert any(t.startswith("Network: mine ") for t in values(after.text)), values(after.text)
    stranger = open_page(same_browser("k-bob"), "pages/architecture.py")  # another person: the default preset
    assert stranger.selectbox(key="arch_preset").value == WORKSHOP


def test_an_ending_that_will_learn_badly_is_a_warning_on_architecture_and_train():
    relu_out = ModelSpec("relu out", [LayerSpec("Flatten"), LayerSpec("Dense", units=16),
                                      LayerSpec("Dense", units=10, activation="relu")])
    at = set_spec(page("architecture"), relu_out)
    assert values(at.success) == ["This network can be trained."]
    assert any(w.startswith("The last layer ends with relu, but the loss categorical_crossentropy") for w in values(at.warning))
    open_page(at, "pages/train.py")
    assert any(w.startswith("The last layer ends with relu") for w in values(at.warning))
    assert not at.button(key="train_start").disabled  # a caution, not a refusal: trying it is a lesson too


def test_settings_that_cannot_do_what_they_say_are_warnings_on_train_only():
    at = page("train")
    at.number_input(key=f"train_epochs_{version(at)}").set_value(3).run()
    at.number_input(key=f"train_patience_{version(at)}").set_value(5).run()
    at.number_input(key=f"train_limit_{version(at)}").set_value(1_000_000).run()
    said = values(at.warning)
    assert any(w.startswith("Early stopping waits 5 epochs without a better validation accuracy before it "
                            "stops, so in a run of 3 epochs it can never stop early") for w in said), said
    assert any(w.startswith("Only the first 1,000,000 training images were asked for, but the dataset holds ")
               for w in said), said
    assert not at.button(key="train_start").disabled
    open_page(at, "pages/architecture.py")  # epochs and patience are not set there
    assert not any("Early stopping" in w or "Only the first" in w for w in values(at.warning)), values(at.warning)

BAD_SPECS = {
    "conv_after_flatten": (
        [LayerSpec("Flatten"), LayerSpec("Conv2D", filters=8), LayerSpec("Dense", units=10, activation="softmax")],
        ["Layer 2 (Conv2D(8, 3x3, relu)) needs an image-shaped input", "before the Flatten layer"]),
    "dense_zero_units": (
        [LayerSpec("Flatten"), LayerSpec("Dense", units=0), LayerSpec("Dense", units=10, activation="softmax")],
        ["Layer 2 (Dense) has 0 units", "at least 1 unit"]),
    "dropout_1.5": (
        [LayerSpec("Flatten"), LayerSpec("Dense", units=16), LayerSpec("Dropout", rate=1.5),
         LayerSpec("Dense", units=10, activation="softmax")],
        ["Layer 3 (Dropout) has a rate of 1.5", "below 1"]),
}


@pytest.mark.parametrize("case", list(BAD_SPECS))
def test_bad_network_is_explained_and_cannot_start(case):
    layers, expected = BAD_SPECS[case]
    seed_run()
    before = Store().runs()
    at = page("architecture")
    set_spec(at, ModelSpec(name=f"bad {case}", layers=layers))

    errors = values(at.error)
    assert errors and all(part in errors[0] for part in expected), errors
    assert not at.success
    assert at.data_editor(key=layers_key(at)).value["kind"].tolist() == [x.kind for x in layers]
    assert not at.code  # no Keras code for a network that cannot be built

    # the Train page refuses to start it, with the same explanation
    open_page(at, "pages/train.py")
    assert errors[0] in values(at.error)
    assert at.button(key="train_start").disabled
    assert Store().runs() == before


@pytest.mark.parametrize("edit, expected", [
    ({"edited_rows": {1: {"units": 0}}}, "Layer 2 (Dense) has 0 units"),
    ({"added_rows": [{"kind": "Dropout", "rate": 1.5}]}, "Layer 5 (Dropout) has a rate of 1.5"),
    ({"edited_rows": {1: {"kind": "Conv2D", "filters": 8}}}, "needs an image-shaped input"),
    ({"edited_rows": {1: {"units": 1.5}}}, "must be a whole number, not 1.5. Fix that cell"),
    ({"edited_rows": {1: {"kind": "Bogus"}}}, "unknown kind 'Bogus'"),
    ({"deleted_rows": [0, 1, 2, 3]}, "The network has no layers"),
])
def test_bad_cell_edits_are_explained(edit, expected):
    """The same mistakes made in the layer table itself (its edit state, as the browser sends it)."""
    at = page("architecture")
    at.session_state[layers_key(at)] = {"edited_rows": {}, "added_rows": [], "deleted_rows": [],
                                                      **edit}
    at.run()
    assert not at.exception
    assert any(expected in e for e in values(at.error)), values(at.error)
    assert not at.success


@pytest.mark.parametrize("text, expected", [
    ("abc", "The learning rate must be a number, but 'abc' is not one. Type a number such as 0.001."),
    ("0", "The learning rate is 0: it must be above 0"),
])
def test_bad_learning_rate_on_architecture_page(text, expected):
    at = page("architecture")
    at.text_input(key=f"arch_{version(at)}_lr").set_value(text).run()
    assert not at.exception
    assert any(e.startswith(expected) for e in values(at.error)), values(at.error)
    assert not at.success


# ---- Train ---------------------------------------------------------------------------------


def test_train_page_settings_and_no_runs_yet():
    at = page("train")
    v = version(at)
    assert at.selectbox(key="train_preset").value == WORKSHOP
    assert at.selectbox(key=f"train_ds_{v}").value == "mnist"
    settings = {k: at.number_input(key=f"train_{k}_{v}").value
                for k in ("epochs", "batch", "split", "seed", "limit", "patience")}
    assert settings == {"epochs": 10, "batch": 128, "split": 0.1, "seed": 42, "limit": 0, "patience": 0}
    assert at.text_input(key=f"train_{v}_lr").value == "0.001"
    assert at.selectbox(key=f"train_{v}_opt").value == "rmsprop"
    start = at.button(key="train_start")
    assert start.label == "Start training" and not start.disabled
    assert values(at.info) == ["No runs yet: press Start training."]
    assert f"Runs train in this server, on its CPU ({os.cpu_count()} cores)" in values(at.caption)
    assert "No training running." in values(at.sidebar.caption)


@pytest.mark.parametrize("text, expected", [
    ("abc", "The learning rate must be a number, but 'abc' is not one. Type a number such as 0.001."),
    ("0", "The learning rate is 0: it must be above 0"),
])
def test_bad_learning_rate_on_train_page(text, expected):
    seed_run()
    before = Store().runs()
    at = page("train")
    at.text_input(key=f"train_{version(at)}_lr").set_value(text).run()
    assert not at.exception
    assert any(e.startswith(expected) for e in values(at.error)), values(at.error)
    assert at.button(key="train_start").disabled
    assert at.selectbox(key="train_watch")  # the rest of the page (watching, Stop) stays
    assert Store().runs() == before


@pytest.mark.parametrize("box, typed", [("epochs", 2.7), ("batch", 16.5), ("limit", 1000.5)])
def test_a_fraction_where_a_whole_number_belongs_is_said_not_cut(box, typed):
    """Streamlit's integer boxes cut 2.7 to 2 (and read 1e3 as 1) without a word; the lab's
    boxes keep what was typed and say it is not whole."""
    at = page("train")
    at.number_input(key=f"train_{box}_{version(at)}").set_value(typed).run()
    assert not at.exception
    assert any(e.endswith(f": {typed} is not a whole number. Type one without a fraction, such as {round(typed)}.")
               for e in values(at.error)), values(at.error)
    assert at.button(key="train_start").disabled


def test_a_number_too_long_for_the_browser_to_keep_is_refused():
    """Past 15 digits a browser's number box keeps only some of them (1234567890123456789 shows
    as 1234567890123456800): refused with the most the box takes, never silently changed."""
    at = page("train")
    at.number_input(key=f"train_limit_{version(at)}").set_value(1e20).run()
    assert "Use only the first N training images (0 = all): 1e+20 is far too large for this box. Use at most " \
           "1,000,000,000,000,000." in values(at.error), values(at.error)
    assert at.button(key="train_start").disabled


def test_batch_larger_than_the_data():
    seed_run()
    before = Store().runs()
    at = page("train")
    v = version(at)
    at.number_input(key=f"train_limit_{v}").set_value(1000)
    at.number_input(key=f"train_batch_{v}").set_value(1000).run()
    assert not at.exception
    assert values(at.error) == [
        "The batch size (1,000) is larger than the 900 training examples left after the validation "
        "split: use a batch size of at most 900."]
    assert at.button(key="train_start").disabled
    assert Store().runs() == before


def test_batch_larger_than_the_loaded_dataset_is_refused_before_start():
    """The check uses the images really loaded (8,000 here), not MNIST's nominal 60,000."""
    at = page("train")
    v = version(at)
    at.number_input(key=f"train_batch_{v}").set_value(10000)
    at.number_input(key=f"train_epochs_{v}").set_value(1).run()
    assert not at.exception
    assert any("The batch size (10,000) is larger than the 7,200 training examples" in e
               for e in values(at.error)), values(at.error)
    assert at.button(key="train_start").disabled
    assert Store().runs() == []


def test_train_a_tiny_run_then_see_it_in_results():
    at = page("train")
    v = version(at)
    at.number_input(key=f"train_limit_{v}").set_value(1000)
    at.number_input(key=f"train_epochs_{v}").set_value(1)
    at.text_input(key="train_comment").set_value("tiny run")
    at.text_input(key="owner").set_value("ada")  # the name in the sidebar owns the run
    at.button(key="train_start").click().run()
    assert not at.exception and not at.error

    runs = Store().runs()
    assert len(runs) == 1
    run = runs[0]
    assert run.network == "Workshop 16-16-10" and run.comment == "tiny run"
    assert run.owner == "ada"
    assert json.loads(run.train_json)["train_limit"] == 1000
    assert at.selectbox(key="train_watch").value == run.id

    progress = page_manager().wait(run.id, timeout=90)
    assert progress.status == "finished", progress.error
    run = Store().run(run.id)
    assert run.status == "finished" and run.epochs_done == 1
    assert 0 <= run.test_acc <= 1 and page_manager().models.has_model(run)

    at.run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Test accuracy"] == f"{run.test_acc:.2%}"
    assert at.selectbox(key="cont_run").value == run.id  # it can be continued
    assert at.selectbox(key="cont_run").options == [f"run {run.id}: {run.network}, 1 epoch saved"]
    Store().update_run(run.id, status=Status.STOPPED)  # a run that did not finish says how it ended
    assert at.run().selectbox(key="cont_run").options == [f"run {run.id}: {run.network}, 1 epoch saved (stopped)"]
    Store().update_run(run.id, status=Status.FINISHED)
    other = open_page(same_browser("k-bob"), "pages/train.py")  # by its author only (or a teacher)
    assert [s.key for s in other.selectbox if s.key == "cont_run"] == []
    assert "1 saved run of others not listed: only whoever started a run, or a teacher, can continue it. To " \
           "train someone's network yourself, press Run again under the run on Results." in values(other.caption)

    open_page(at, "pages/results.py")
    table = at.dataframe[0].value
    assert table["run"].tolist() == [run.id]
    row = table.iloc[0]
    assert row["comment"] == "tiny run" and row["status"] == "finished" and row["epochs"] == 1
    assert row["accuracy"] == pytest.approx(run.test_acc)

    open_page(at, "pages/draw.py")
    assert at.selectbox(key="draw_model").value == run.id


def train_page_for_long_runs():
    """The Train page set for long runs (1,000 epochs, batches of 16) that the test stops, and
    the job manager behind it."""
    at = page("train")
    v = version(at)
    at.number_input(key=f"train_epochs_{v}").set_value(1000)
    at.number_input(key=f"train_batch_{v}").set_value(16).run()
    return at, page_manager()


def test_full_queue_is_refused(monkeypatch):
    monkeypatch.setenv("LAB_QUEUE_SIZE", "0")
    monkeypatch.setenv("LAB_MAX_JOBS", "1")
    at, manager = train_page_for_long_runs()
    try:
        at.button(key="train_start").click().run()
        assert not at.exception and not at.error
        assert [j.id for j in manager.active()] == [1]
        at.run()  # the sidebar is drawn before the page, so it shows the job from the next run on
        assert any(c.startswith("Training now: run 1, Workshop 16-16-10") for c in values(at.sidebar.caption))
        before = Store().runs()

        at.button(key="train_start").click().run()
        assert not at.exception
        assert any(e.startswith("The queue is full: 1 running and 0 waiting.") and "LAB_QUEUE_SIZE" in e
                   for e in values(at.error)), values(at.error)
        assert Store().runs() == before  # nothing recorded for the refused run
        assert [j.id for j in manager.active()] == [1]

        at.button(key="stop_1").click().run()  # its owner stops it from the page
        assert not at.exception
        assert manager.wait(1, timeout=60).status == "stopped"
        assert Store().run(1).status == "stopped"
    finally:
        for job in manager.active():
            manager.stop(job.id, job.owner)
            manager.wait(job.id, timeout=60)


def test_the_sidebar_names_every_run_training_and_counts_only_the_waiting_ones(monkeypatch):
    """Two places to train (LAB_MAX_JOBS=2), three runs started: two train, one waits."""
    monkeypatch.setenv("LAB_MAX_JOBS", "2")
    at, manager = train_page_for_long_runs()
    try:
        for _ in range(3):
            at.button(key="train_start").click().run()
        assert [manager.place(j.id) for j in manager.active()] == [0, 0, 1]
        at.run()
        line = [c for c in values(at.sidebar.caption) if c.startswith("Training now")]
        assert len(line) == 1 and "run 1, Workshop 16-16-10" in line[0] and "; run 2, Workshop 16-16-10" in line[0]
        assert line[0].endswith(". 1 waiting.") and "run 3" not in line[0]
    finally:
        for job in manager.active():
            manager.stop(job.id, job.owner_id)
        for job in Store().runs():
            manager.wait(job.id, timeout=60)

# ---- Results -------------------------------------------------------------------------------


def test_results_page_without_runs():
    at = page("results")
    assert values(at.info) == ["No runs recorded yet. Train a network on the Train page."]
    assert not at.data_editor


def comment_box(at: AppTest, run_id: int):
    """The Results page's comment box of run ``run_id`` (its key ends in the stored text's checksum)."""
    return next(t for t in at.text_area if t.key.startswith(f"comment_{run_id}_"))


def test_results_table_and_comment_saved():
    store = Store()
    first = seed_run(store, comment="first try")
    second = seed_run(store, comment="", test_acc=0.91)
    at = own(page("results"), first)
    table = at.dataframe[0].value
    assert table["run"].tolist() == [second, first]  # newest first
    assert table["comment"].tolist() == ["", "first try"]
    assert table["accuracy"].tolist() == pytest.approx([0.91, 0.87])
    assert at.multiselect(key="results_pick").value == [second, first]
    assert "These runs have no finished epochs." in values(at.caption)
    assert not at.warning

    fashion = seed_run(store, dataset="fashion_mnist")
    at.run().multiselect(key="results_pick").set_value([fashion, first]).run()
    assert values(at.warning) == ["These runs were trained on different datasets (Fashion-MNIST clothes, MNIST "
                                  "handwritten digits): their "
                                  "accuracies and losses do not compare. Pick runs of one dataset."]
    at.multiselect(key="results_pick").set_value([second, first]).run()
    store.delete_run(fashion)

    # a comment typed in the run's own box is saved with its button
    at.selectbox(key="results_run").set_value(first).run()
    comment_box(at, first).set_value("lr too high").run()
    at.button(key=f"save_comment_{first}").click().run()
    assert not at.exception
    assert store.run(first).comment == "lr too high"
    assert store.run(second).comment == ""
    assert values(at.toast) == [f"Comment of run {first} saved."]
    at.run()  # a rerun does not save (or announce) it again
    assert not at.toast
    assert store.run(first).comment == "lr too high"
    assert at.dataframe[0].value["comment"].tolist() == ["", "lr too high"]



def test_many_runs_at_once_compares_one_dataset_and_leaves_uploads_out():
    store = Store()
    for acc in (0.8, 0.9):
        seed_run(store, test_acc=acc)
    seed_run(store, dataset="xor", test_acc=1.0, train_json='{"optimizer": "sgd"}')
    seed_run(store, test_acc=0.95, train_json=None, spec_json=None, origin="uploaded")
    at = page("results")
    assert not at.exception
    assert at.selectbox(key="results_many_dataset").options == ["MNIST handwritten digits", "XOR truth table"]
    assert at.selectbox(key="results_many_dataset").value == "mnist"  # the dataset with the most runs first
    import pyarrow

    lines = at.get("vega_lite_chart")[-1].proto.datasets[0].data.data  # the chart's rows, as Arrow
    frame = pyarrow.ipc.open_stream(lines).read_all().to_pandas()
    assert sorted(frame["run"].unique()) == [1, 2]  # the two MNIST runs trained here: not XOR, not the upload
    assert "13,002" in set(frame["shown"])  # parameters in full, not 1.3e+04
    at.selectbox(key="results_many_dataset").set_value("xor").run()
    assert any(c.startswith("Two or more tested runs trained here on one dataset") for c in values(at.caption))


def _picker_after_a_stale_label():
    """A run picker whose session value is a label the browser showed before (as Streamlit
    hands it over when the label changed meanwhile: a run finished, its owner was renamed)."""
    import streamlit as st

    from lab.records import RunRecord
    from ui import state, widgets

    runs = [RunRecord(i, network="net", dataset="mnist", epochs_done=1, test_acc=0.5) for i in (3, 2, 1)]
    if st.session_state.pop("stale", False):  # the browser sends back the words it showed before
        st.session_state["pick"] = "run 2: net on mnist, 1 epoch, test accuracy 40.0%"
    chosen = widgets.run_picker("Run", runs, key="pick")
    st.text(f"chosen {chosen.id}")


def test_a_chosen_run_stays_chosen_when_the_browser_sends_back_an_old_label():
    """Streamlit would fall back to the first option (someone else's run); the lab keeps the
    run chosen last, by its number, and says nothing about a deletion."""
    at = AppTest.from_function(_picker_after_a_stale_label, default_timeout=60)
    at.run()
    at.selectbox(key="pick").set_value(2).run()
    assert values(at.text) == ["chosen 2"], values(at.text)
    at.session_state["stale"] = True
    at.run()
    assert not at.exception and values(at.text) == ["chosen 2"]
    assert not at.info

# ---- Draw ----------------------------------------------------------------------------------


def test_draw_page_without_a_trained_model():
    seed_run()  # a run without a model file does not count
    before = Store().runs()
    at = page("draw")
    assert len(at.info) == 1
    assert at.info[0].value.startswith("There is no trained model yet. Train a network on MNIST on the Train page")
    assert not at.selectbox
    assert Store().runs() == before


def test_draw_page_empty_canvas(trained_model):
    run_id = install_model(trained_model)
    at = page("draw")
    model = at.selectbox(key="draw_model")
    assert model.value == run_id
    assert model.options[0].startswith(f"run {run_id}: Workshop 16-16-10 on mnist, 1 epoch, test accuracy")
    assert at.button(key="draw_clear")
    assert at.file_uploader(key="draw_upload")
    assert values(at.info) == ["The canvas is empty: draw a digit first."]
    assert not at.metric


def test_draw_page_reads_an_uploaded_digit(trained_model):
    install_model(trained_model)
    at = page("draw")
    png, _ = digit_png(0)
    at.file_uploader(key="draw_upload").set_value(("digit.png", png, "image/png")).run()
    assert not at.exception and not at.info and not at.error
    assert any("reads the uploaded picture, not the canvas" in c for c in values(at.caption))
    assert at.toggle(key="draw_centre").disabled  # an uploaded picture is always centred
    reads = at.metric[0]
    assert reads.label == "The network reads" and reads.value in [str(i) for i in range(10)]
    assert reads.delta.endswith("sure")


def test_draw_page_bad_upload(trained_model):
    install_model(trained_model)
    before = Store().runs()
    at = page("draw")
    at.file_uploader(key="draw_upload").set_value(("digit.png", b"this is not a picture", "image/png")).run()
    assert not at.exception
    assert values(at.info) == ["This file is not a picture the lab can read: upload a PNG or JPEG of one digit."]
    assert Store().runs() == before


def _not_keras(path):
    path.write_bytes(b"not a keras file")


def _zip_without_config(path):
    import zipfile

    with zipfile.ZipFile(path, "w") as z:
        z.writestr("metadata.json", "{}")


@pytest.mark.parametrize("damage", [_not_keras, _zip_without_config])
def test_draw_page_damaged_model_file(trained_model, tmp_path, damage):
    store = Store()
    broken = tmp_path / "broken.keras"
    damage(broken)
    run_id = install_model(trained_model, store)
    store.update_run(run_id, model_path=str(broken))
    before = store.runs()
    at = page("draw")
    png, _ = digit_png(1)
    at.file_uploader(key="draw_upload").set_value(("digit.png", png, "image/png")).run()
    assert not at.exception
    assert len(at.error) == 1
    assert at.error[0].value.startswith(f"The model of run {run_id} ({broken}) cannot be used")
    assert at.error[0].value.endswith("Train the run again or pick another.")
    assert store.runs() == before


def own(at: AppTest, run_id: int) -> AppTest:
    """Make the person of browser ``at`` the owner of ``run_id`` (only the owner and teachers
    change a run's comment), and rerun."""
    Store().update_run(run_id, owner_id=at.session_state["person"].id)
    return at.run()


def save_comment(at: AppTest, run_id: int, text: str) -> AppTest:
    at.selectbox(key="results_run").set_value(run_id).run()
    comment_box(at, run_id).set_value(text).run()
    at.button(key=f"save_comment_{run_id}").click().run()
    assert not at.exception
    return at


def test_an_old_comment_edit_is_not_saved_again_over_a_newer_one():
    store = Store()
    run_id = seed_run(store, comment="")
    ada, laptop = (open_page(same_browser("k-ada"), "pages/results.py") for _ in range(2))  # two tabs of one person
    own(ada, run_id)
    save_comment(ada, run_id, "from ada")
    assert store.run(run_id).comment == "from ada"
    laptop.run()
    save_comment(laptop, run_id, "from the laptop")
    assert store.run(run_id).comment == "from the laptop"

    ada.multiselect(key="results_pick").set_value([]).run()  # any click reruns ada's page
    assert not ada.exception
    assert store.run(run_id).comment == "from the laptop"
    assert not ada.toast
    assert ada.dataframe[0].value["comment"].tolist() == ["from the laptop"]
    assert comment_box(ada, run_id).value == "from the laptop"  # what was saved elsewhere shows


def test_a_comment_being_typed_survives_another_run_appearing():
    store = Store()
    run_id = seed_run(store, comment="")
    at = own(page("results"), run_id)
    at.selectbox(key="results_run").set_value(run_id).run()
    comment_box(at, run_id).set_value("half-typed thought")  # typed, not yet saved
    newer = seed_run(store, network="someone else's new run")  # a run appears meanwhile
    at.run()
    assert at.dataframe[0].value["run"].tolist() == [newer, run_id]
    assert at.selectbox(key="results_run").value == run_id
    assert comment_box(at, run_id).value == "half-typed thought"
    at.button(key=f"save_comment_{run_id}").click().run()
    assert store.run(run_id).comment == "half-typed thought" and store.run(newer).comment == "first try"


def test_a_running_job_survives_leaving_the_page_and_is_seen_by_another_browser():
    ada = page("train")
    v = version(ada)
    ada.text_input(key="owner").set_value("ada")
    ada.number_input(key=f"train_limit_{v}").set_value(4000)
    ada.number_input(key=f"train_batch_{v}").set_value(16)
    ada.number_input(key=f"train_epochs_{v}").set_value(200)
    ada.button(key="train_start").click().run()
    run_id = Store().runs()[0].id
    try:
        open_page(ada, "pages/results.py")
        open_page(ada, "pages/train.py")  # back again: the running job is what the page shows
        assert ada.selectbox(key="train_watch").value == run_id
        assert any("running" in m.value for m in ada.text), values(ada.text)
        assert ada.button(key=f"stop_{run_id}")  # its owner may stop it

        bob = page("train")  # another browser, another name
        assert bob.selectbox(key="train_watch").value == run_id
        assert any("started by ada" in m.value for m in bob.text)
        assert not [b for b in bob.button if b.key == f"stop_{run_id}"]  # bob can only watch
    finally:
        page_manager().stop(run_id, ada.session_state["person"].id)
        assert page_manager().wait(run_id, 60).status == "stopped"
    bob.run()
    assert f"Stopped by {ada.session_state['person'].name}." in values(bob.info)  # everyone sees who stopped it


def test_a_run_that_waited_when_the_lab_stopped_can_be_queued_again_by_its_owner():
    ada, bob = page("train"), page("train")
    me = ada.session_state["person"]
    store = Store()
    waited = seed_run(store, status="interrupted", interrupted_while="queued", owner=me.name, owner_id=me.id,
                      epochs_done=0, message="The lab stopped while this run waited in the queue: queue it "
                                             "again on the Train page.")
    broken = seed_run(store, status="interrupted", interrupted_while="running", owner=me.name, owner_id=me.id)
    bob.run()
    captions = values(bob.caption)
    assert f"Run {waited} was waiting in the queue when the lab stopped: queue it again." in captions
    assert (f"Run {broken} was interrupted before its first save, so there is nothing to continue from: "
            "start it again.") in captions
    assert not [b for b in bob.button if b.key == f"requeue_{waited}"]  # not bob's run
    ada.run()
    ada.button(key=f"requeue_{waited}").click().run()
    assert not ada.exception and not ada.error
    try:
        assert Store().run(waited).status in ("queued", "running")
        assert ada.selectbox(key="train_watch").value == waited
    finally:
        page_manager().stop(waited, me.id)
        page_manager().wait(waited, 60)
    assert Store().run(waited).owner == me.name


def test_a_page_run_leaves_keras_alone_and_does_no_full_garbage_collection(monkeypatch):
    """After every page run Streamlit would clear Keras's global session and collect all
    garbage: 0.2 s each with TensorFlow loaded, for every click of every browser, and a
    process-wide reset while jobs train (bench/README.md, a classroom's load)."""
    import keras
    from streamlit import config

    cleared = []
    monkeypatch.setattr(keras.backend, "clear_session", lambda *a, **k: cleared.append(a))
    at = page("results")
    at.run()
    open_page(at, "pages/architecture.py")
    assert cleared == []
    assert config.get_option("runner.postScriptGC") is False  # .streamlit/config.toml


def test_where_a_gpu_is_present_train_offers_the_cpu_instead(monkeypatch):
    """A server with a GPU (its detection replaced here: this machine has none) offers "Train
    on CPU instead"; a run started with it asks for the CPU, trains there and records it."""
    from lab import device

    monkeypatch.setattr(device, "has_gpu", lambda: True)
    monkeypatch.setattr(device, "device_name", lambda cpu_only=False, cores=None: device.cpu_name() if cpu_only else "GPU: Lab test")
    at = page("train")
    v = version(at)
    box = at.checkbox(key=f"train_cpu_{v}")
    assert box.label == "Train on CPU instead" and box.value is False
    assert "GPU: Lab test" in box.help
    box.check()
    at.number_input(key=f"train_limit_{v}").set_value(500)
    at.number_input(key=f"train_epochs_{v}").set_value(1).run()
    at.button(key="train_start").click().run()
    assert not at.exception and not at.error
    run_id = at.selectbox(key="train_watch").value
    assert page_manager().wait(run_id, timeout=120).status == "finished"
    run = Store().run(run_id)
    assert json.loads(run.train_json)["cpu_only"] is True and run.device.startswith("CPU")


def test_an_xor_runs_short_epochs_show_in_milliseconds():
    store = Store()
    run_id = seed_run(store, dataset="xor", network="XOR 2-2-1", test_acc=1.0, test_loss=0.03, duration_s=6.4,
                      epochs_done=3)
    for epoch in (1, 2, 3):
        store.add_epoch(run_id, Epoch(epoch, loss=0.7, accuracy=0.5, seconds=0.012))
    at = page("train")
    assert at.selectbox(key="train_watch").value == run_id
    assert {m.label: m.value for m in at.metric}["Per epoch"] == "12 ms"  # not "0.0 s"


def test_train_watches_an_uploaded_run_which_has_no_test_loss_or_times():
    """An uploaded model is recorded with its test accuracy only; Train picks the newest run
    to watch, so everyone opening Train after an upload sees it."""
    run_id = seed_run(test_loss=None, duration_s=None, device=None, epochs_done=0, test_acc=0.91,
                      origin="uploaded", message="Uploaded by ada as net.keras.")
    at = page("train")
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="train_watch").value == run_id
    shown = {m.label: m.value for m in at.metric}
    assert shown == {"Test accuracy": "91.00%", "Test loss": "—", "Total time": "—", "Per epoch": "—"}
    assert not any("Trained on" in c for c in values(at.caption))


def test_a_run_another_lab_server_trains_can_be_stopped_from_this_one():
    """Servers sharing PostgreSQL records: the Stop pressed here is written into the records,
    and the training server stops the run (tests/test_servers.py)."""
    at = page("train")
    me = at.session_state["person"]
    run_id = seed_run(status="running", server="lab-elsewhere", owner_id=me.id, test_acc=None, epochs_done=1)
    Store().beat("lab-elsewhere")  # it answers
    at.run()
    assert at.selectbox(key="train_watch").value == run_id
    assert any("trains on another lab server (lab-elsewhere)" in c for c in values(at.caption))
    assert not at.warning and not [b for b in at.button if b.key == f"let_go_{run_id}"]
    assert [p.proto.text for p in at.get("progress")] == ["1 of 2 epochs done"]  # its finished epochs, no batches
    at.button(key=f"stop_{run_id}").click().run()
    assert not at.exception and not at.error
    assert Store().run(run_id).stop_asked_by == me.id and Store().run(run_id).status == "running"
    assert [t.value for t in at.toast] == [f"Asked lab-elsewhere to stop run {run_id}: it stops within a few seconds."]


def test_a_run_whose_lab_server_stopped_answering_can_be_marked_interrupted_and_queued_again():
    """Servers sharing records: one that gives no sign of life for LAB_SERVER_SILENT_S (it died,
    its machine is gone) leaves its runs "running" for everyone else. Its runs' owners (or a
    teacher) see why and may let them go, here."""
    at = page("train")
    me = at.session_state["person"]
    run_id = seed_run(status="queued", server="lab-gone", owner_id=me.id, test_acc=None, epochs_done=0)
    other = seed_run(status="running", server="lab-gone", owner_id="someone-else", test_acc=None)
    at.run()
    at.selectbox(key="train_watch").set_value(other).run()
    assert any("Lab server lab-gone, which trains run" in w and "has never been heard from" in w
               for w in values(at.warning))
    assert not [b for b in at.button if b.key == f"let_go_{other}"]  # not mine to let go
    at.selectbox(key="train_watch").set_value(run_id).run()
    at.button(key=f"let_go_{run_id}").click().run()
    assert not at.exception and not at.error
    run = Store().run(run_id)
    assert (run.status, run.interrupted_while) == ("interrupted", "queued")
    assert run.message.startswith("Lab server lab-gone stopped answering while this run was queued")
    assert [t.value for t in at.toast] == [f"Run {run_id} is marked interrupted."]
    assert Store().run(other).status == "running"


@pytest.mark.parametrize("name", ["train", "sweeps", "results", "evaluate", "draw", "inside", "leaderboard",
                                  "datasets", "architecture"])
def test_a_damaged_records_file_is_said_on_every_page_and_nothing_is_lost(name):
    """The records file is replaced by something else while browsers are open (a disk fault,
    a bad copy): every page says what is wrong and what to do, never a traceback, and all is
    back once the file is."""
    store = Store()
    run_id = seed_run(store, comment="kept")
    at = start_app()  # a browser is in: the server's job manager and its records are open
    path = settings().records_path
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the file itself
    aside = path.with_name("aside.sqlite")
    path.rename(aside)
    path.write_bytes(b"not the lab's records " * 500)
    try:
        at.switch_page(f"pages/{name}.py").run()
        assert not at.exception, [e.value for e in at.exception]
        shown = values(at.error)
        if name not in ("datasets", "architecture"):  # these two read no records
            assert shown and all(f"The records file {path} is damaged" in e for e in shown), shown
            assert all("Reload the page when they are back" in e or "Move it aside" in e for e in shown)
        newcomer = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()  # signs in: reads records
        assert not newcomer.exception and any("is damaged" in e for e in values(newcomer.error))
    finally:
        path.unlink()
        aside.rename(path)
    at.run()
    assert not at.exception and not at.error, values(at.error)
    assert Store().run(run_id).comment == "kept"


def _a_page_run_alone_at_a_servers_first_visit():
    """What Streamlit does for the first visitor after a start who opens /train: with a pages/
    folder and no st.navigation call yet in the process, it runs the page alone."""
    import sys

    import streamlit as st
    from streamlit.runtime.pages_manager import PagesManager

    runs = st.session_state["runs"] = st.session_state.get("runs", 0) + 1
    if runs == 1:
        PagesManager.uses_pages_directory = True  # the old mode, as at a server's first visit
        sys.modules.pop("ui.entry", None)  # not imported yet in this process
    import ui.entry  # noqa: F401 (every page's first import)
    st.text(f"ran {runs} times; old mode {PagesManager.uses_pages_directory}")


def test_a_page_run_alone_goes_back_through_the_app_before_loading_anything():
    """Else the first visitor after a start watched a menu of raw file names for the seconds the
    page took to load TensorFlow (every page's first import is ui.entry)."""
    at = AppTest.from_function(_a_page_run_alone_at_a_servers_first_visit, default_timeout=60)
    at.run()
    assert not at.exception
    assert values(at.text) == ["ran 2 times; old mode False"]  # the first run stopped at the import
    for page in sorted((ROOT / "pages").glob("*.py")):
        first = next(line for line in page.read_text().splitlines() if line.startswith(("import", "from")))
        assert first.startswith("import ui.entry"), (page.name, first)
