"""The class's pages through AppTest: Results actions, Sweeps, Leaderboard, identity, links."""

from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest

from appkit import ROOT, install_model, open_page, page, page_manager, seed_run, start_app, values
from lab import classroom, share
from lab.records import Epoch
from lab.records.sqlite import SQLiteStore as Store
from lab.spec import LayerSpec, ModelSpec, TrainSpec, load_presets

XOR = load_presets()["xor_2_2_1"]


def me(at: AppTest):
    return at.session_state["person"]


def mine(at: AppTest, store: Store, **fields) -> int:
    """A finished run owned by the browser ``at``."""
    return seed_run(store, owner=me(at).name, owner_id=me(at).id, **fields)


def test_filters_narrow_the_table():
    store = Store()
    a = seed_run(store, owner="ada", owner_id="p-a", dataset="mnist", network="Wide net")
    b = seed_run(store, owner="bob", owner_id="p-b", dataset="xor", network="XOR 2-2-1", status="failed")
    c = seed_run(store, owner="bob", owner_id="p-b", dataset="mnist", network="Deep net", hidden=1)
    store.set_tags(a, ["dropout"])
    store.set_tags(b, ["Dropout"])  # tagged before tags ignored case: still one tag
    at = page("results")
    shown = lambda: at.dataframe[0].value["run"].tolist()  # noqa: E731
    assert shown() == [b, a]  # the hidden run is not shown
    at.checkbox(key="filter_hidden").check().run()
    assert shown() == [c, b, a]
    at.multiselect(key="filter_person").set_value(["bob"]).run()
    assert shown() == [c, b]
    at.multiselect(key="filter_status").set_value(["failed"]).run()
    assert shown() == [b]
    at.multiselect(key="filter_person").set_value([]).run()
    at.multiselect(key="filter_status").set_value([]).run()
    at.text_input(key="filter_network").set_value("NET").run()
    assert shown() == [c, a]
    assert at.multiselect(key="filter_tag").options == ["dropout"]  # as the first run tagged spells it
    at.multiselect(key="filter_tag").set_value(["dropout"]).run()
    assert shown() == [a]
    assert "1 run shown of 3. Click a column header to sort." in values(at.caption)
    at.text_input(key="filter_network").set_value("").run()
    assert shown() == [b, a]


def test_the_dataset_and_sweep_filters_and_the_best_epoch_beside_the_final_one():
    store = Store()
    sweep = store.create_sweep(owner="ada", owner_id="p-a", size=2, network="Wide net", spec_json="{}",
                               train_json="{}", axes_json="{}", seeds_json="[1]")
    a = seed_run(store, dataset="mnist", sweep_id=sweep)
    b = seed_run(store, dataset="fashion_mnist", sweep_id=sweep)
    c = seed_run(store, dataset="mnist")
    for run_id, accuracies in ((a, [0.7, 0.9, 0.8]), (b, [0.6]), (c, [0.5, 0.55])):
        for epoch, acc in enumerate(accuracies, start=1):
            store.add_epoch(run_id, Epoch(epoch, loss=1.0, accuracy=acc, val_loss=1.0, val_accuracy=acc))
    at = page("results")
    table = lambda: at.dataframe[0].value  # noqa: E731
    assert table()["run"].tolist() == [c, b, a]
    columns = table().columns.tolist()
    assert columns[columns.index("val accuracy") + 1:columns.index("val accuracy") + 3] == [
        "best val accuracy", "best epoch"]
    best = table().set_index("run")
    assert (best.loc[a, "best val accuracy"], best.loc[a, "best epoch"]) == (0.9, 2)
    at.multiselect(key="filter_dataset").set_value(["mnist"]).run()
    assert table()["run"].tolist() == [c, a]
    at.multiselect(key="filter_dataset").set_value([]).run()
    at.selectbox(key="filter_sweep").set_value(sweep).run()
    assert table()["run"].tolist() == [b, a]


def test_the_owner_tags_hides_and_deletes_after_a_confirmation(trained_model):
    store = Store()
    at = page("results")
    run_id = install_model(trained_model, store)
    store.update_run(run_id, owner=me(at).name, owner_id=me(at).id)
    at.run()
    at.selectbox(key="results_run").set_value(run_id).run()
    tags = next(t for t in at.text_input if t.key.startswith(f"tags_{run_id}_"))
    tags.set_value("x" * 31).run()
    at.button(key=f"save_tags_{run_id}").click().run()
    assert "A tag of 31 characters is too long" in at.error[0].value and store.tags() == {}
    next(t for t in at.text_input if t.key.startswith(f"tags_{run_id}_")).set_value("<b>dropout</b>, small").run()
    at.button(key=f"save_tags_{run_id}").click().run()
    assert store.tags() == {run_id: ["<b>dropout</b>", "small"]}
    assert at.dataframe[0].value["tags"].tolist() == ["<b>dropout</b>, small"]
    other = seed_run(store, owner="bob", owner_id="p-b")
    store.set_tags(other, ["Small"])
    at.run()
    next(t for t in at.text_input if t.key.startswith(f"tags_{run_id}_")).set_value("small, SMALL").run()
    at.button(key=f"save_tags_{run_id}").click().run()
    assert store.tags()[run_id] == ["Small"]  # one tag, spelled as the class already spells it
    store.delete_run(other)

    at.button(key=f"hide_{run_id}").click().run()
    assert store.run(run_id).hidden and at.dataframe[0].value.empty
    assert [t.value for t in at.toast] == [f'Run {run_id} is hidden. To see it again, open "Filter the runs" and '
                                           'tick "Show hidden runs too".']

    at.checkbox(key="filter_hidden").check().run()
    at.selectbox(key="results_run").set_value(run_id).run()
    assert at.button(key=f"hide_{run_id}").label == "Unhide"
    at.button(key=f"hide_{run_id}").click().run()
    assert not store.run(run_id).hidden
    at.checkbox(key="filter_hidden").uncheck().run()
    assert at.dataframe[0].value["run"].tolist() == [run_id]  # shown again without "hidden runs too"
    file = page_manager().models.locate(store.run(run_id))
    at.button(key=f"delete_{run_id}").click().run()
    assert any("Delete run" in w for w in values(at.warning)) and store.run(run_id) is not None
    at.button(key=f"delete_no_{run_id}").click().run()  # Keep it
    assert store.run(run_id) is not None and file.exists()
    at.button(key=f"delete_{run_id}").click().run()
    at.button(key=f"delete_yes_{run_id}").click().run()
    assert not at.exception and store.run(run_id) is None and not file.exists()



def test_a_run_deleted_here_is_said_deleted_not_deleted_meanwhile():
    store = Store()
    at = page("results")
    older, newer = mine(at, store), mine(at, store)
    at.run()
    at.selectbox(key="results_run").set_value(newer).run()
    at.button(key=f"delete_{newer}").click().run()
    at.button(key=f"delete_yes_{newer}").click().run()
    assert f"Run {newer} was deleted: run {older} is shown instead." in values(at.info), values(at.info)

def test_someone_else_cannot_change_the_comment_or_tags_hide_or_delete_but_can_run_it_again():
    """A run's comment is its owner's record of the experiment: a classmate reads it (as
    plain text) but cannot overwrite it."""
    store = Store()
    run_id = seed_run(store, owner="ada", owner_id="someone-else", comment="**mine**, lr 0.01")
    at = page("results")
    at.selectbox(key="results_run").set_value(run_id).run()
    keys = [b.key for b in at.button]
    assert f"delete_{run_id}" not in keys and f"hide_{run_id}" not in keys and f"save_tags_{run_id}" not in keys
    assert f"save_comment_{run_id}" not in keys and not [t for t in at.text_area if t.label == "Comment"]
    assert f"again_{run_id}" in keys
    assert "Comment: **mine**, lr 0.01" in [t.value for t in at.text]
    assert any("Only ada or a teacher can change its comment and tags, hide or delete" in c for c in values(at.caption))


def test_run_again_opens_train_with_the_runs_network_and_settings():
    store = Store()
    wide = ModelSpec("Wide one", [LayerSpec("Flatten"), LayerSpec("Dense", units=64),
                                  LayerSpec("Dense", units=10, activation="softmax")])
    train = TrainSpec(optimizer="sgd", learning_rate=0.05, epochs=3, batch_size=32)
    run_id = seed_run(store, spec_json=wide.to_dict().__repr__().replace("'", '"'), network="Wide one",
                      train_json=TrainSpec.__name__ and __import__("json").dumps(train.to_dict()))
    at = page("results")
    at.selectbox(key="results_run").set_value(run_id).run()
    at.button(key=f"again_{run_id}").click().run()
    assert not at.exception and at.title[0].value == "Train"
    assert any(t.startswith("Network: Wide one    Flatten > Dense(64, relu)") for t in values(at.text))
    v = at.session_state["gen:network"]
    assert at.number_input(key=f"train_epochs_{v}").value == 3 and at.text_input(key=f"train_{v}_lr").value == "0.05"


def test_a_share_link_opens_the_lab_with_its_network():
    wide = ModelSpec("Shared net", [LayerSpec("Flatten"), LayerSpec("Dense", units=24),
                                    LayerSpec("Dense", units=10, activation="softmax")])
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["net"] = share.token(wide, TrainSpec(learning_rate=0.02))
    at.run()
    open_page(at, "pages/architecture.py")
    assert at.session_state["model_spec"] == wide
    assert at.text_input(key=f"arch_name_{at.session_state['gen:network']}").value == "Shared net"
    # the preset box is no claim about the shared network: its description says so
    described = [c for c in values(at.caption) if "Load preset to edit it instead of the network below" in c]
    assert len(described) == 1 and described[0].endswith("(Shared net).")
    at.button(key="arch_preset_load").click().run()
    assert at.session_state["model_spec"].name == at.selectbox(key="arch_preset").format_func(
        at.selectbox(key="arch_preset").value)
    assert not [c for c in values(at.caption) if "instead of the network below" in c]
    broken = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    broken.query_params["net"] = "garbage!"
    broken.run()
    assert not broken.exception
    assert values(broken.error) == ["This link does not hold a network the lab can read (it may have been cut "
                                    "short when copied): ask for the link again."]


def test_the_teacher_key_unlocks_teacher_powers(monkeypatch):
    monkeypatch.setenv("LAB_TEACHER_KEY", "s3cret")
    store = Store()
    run_id = seed_run(store, owner="ada", owner_id="someone-else")
    at = page("results")
    at.text_input(key="teacher_key").set_value("guess")
    at.button(key="teacher_unlock").click().run()
    assert "That is not the teacher key." in values(at.sidebar.error) and not me(at).teacher
    at.text_input(key="teacher_key").set_value("s3cret")
    at.button(key="teacher_unlock").click().run()
    assert me(at).teacher and any(c.startswith("Teacher mode") for c in values(at.sidebar.caption))
    at.selectbox(key="results_run").set_value(run_id).run()
    assert f"delete_{run_id}" in [b.key for b in at.button]  # a teacher may delete anyone's run
    at.button(key="teacher_leave").click().run()
    assert not me(at).teacher


def test_a_name_someone_has_is_refused_and_a_new_one_kept():
    ada, bob = page("train"), page("train")
    ada.text_input(key="owner").set_value("Ada").run()
    bob.text_input(key="owner").set_value("ada").run()
    assert "Someone else is already called 'ada': choose another name." in values(bob.sidebar.error)
    assert me(bob).name.startswith("guest-") and me(ada).name == "Ada"
    assert bob.text_input(key="owner").value == me(bob).name  # the box shows the name in use, not the refused one
    bob.run()
    assert not bob.sidebar.error  # said once
    bob.text_input(key="owner").set_value("x" * 41).run()  # the box stops at 40; a longer paste is refused
    assert not bob.exception



def test_another_tab_of_the_same_browser_follows_a_rename_and_leaving_teacher_mode(monkeypatch):
    """Runs started in the second tab must not go out under the old name, which is free for
    anyone to take once it is left."""
    monkeypatch.setenv("LAB_TEACHER_KEY", "s3cret")
    first, second = open_page(start_app("k-ada"), "pages/train.py"), open_page(start_app("k-ada"), "pages/train.py")
    first.text_input(key="teacher_key").set_value("s3cret")
    first.button(key="teacher_unlock").click().run()
    first.text_input(key="owner").set_value("Ada").run()
    second.run()
    assert (me(second).name, me(second).teacher) == ("Ada", True)
    assert second.text_input(key="owner").value == "Ada"  # the box shows the name in use
    first.button(key="teacher_leave").click().run()
    second.run()
    assert not me(second).teacher and "teacher_leave" not in [b.key for b in second.button]
    second.text_input(key="train_comment").set_value("from the second tab")
    boxes = {t.key.rsplit("_", 1)[0]: t for t in second.number_input if t.key and t.key.startswith("train_")}
    boxes["train_limit"].set_value(1000)
    boxes["train_epochs"].set_value(1).run()
    second.button(key="train_start").click().run()
    run = Store().runs()[0]
    assert (run.owner, run.owner_id) == ("Ada", me(first).id)
    page_manager().wait(run.id, 120)

def test_a_sweep_from_the_sweeps_page_runs_and_charts():
    at = page("train")
    at.selectbox(key="train_preset").set_value("xor_2_2_1")
    at.button(key="train_preset_load").click().run()
    epochs = next(t for t in at.number_input if t.key and t.key.startswith("train_epochs_"))
    epochs.set_value(40).run()  # the preset's 500 epochs are not what this test is about
    open_page(at, "pages/sweeps.py")
    at.selectbox(key="sweep_setting_1").set_value("learning_rate").run()
    at.text_input(key="sweep_values_1_learning_rate").set_value("0.1, 0.5, 1").run()
    at.number_input(key="sweep_seeds").set_value(1).run()
    assert "This sweep queues 3 runs (the lab's limit is 50), trained one after another with everyone else's " \
           "runs." in values(at.caption)
    at.button(key="sweep_start").click().run()
    assert not at.exception and not at.error, values(at.error)
    runs = Store().runs()
    assert len(runs) == 3 and len({r.sweep_id for r in runs}) == 1 and {r.owner_id for r in runs} == {me(at).id}
    for run in runs:
        assert page_manager().wait(run.id, 120).status == "finished"
    at.run()
    assert at.get("vega_lite_chart") or at.get("arrow_vega_lite_chart"), "the sweep's chart"
    table = at.dataframe[0].value
    assert table["learning rate"].tolist() == [0.1, 0.5, 1.0] and table["finished"].tolist() == [1, 1, 1]


@pytest.mark.parametrize("text, words", [
    ("0.1, fast", "must be a number, but 'fast' is not one"), ("0.1, 0.1", "0.1 appears 2 times"),
    ("0, 0.1", "must be above 0"),
    (", ".join(f"0.{i:04d}" for i in range(1, 10_001)), "10,000 learning rate values are more than one sweep"),
    (", ".join(f"0.{i:02d}" for i in range(1, 27)), "This sweep would queue 52 runs (26 values x 2 seeds); the lab's "
                                                    "limit is 50"),
])
def test_bad_sweep_lists_are_explained_and_start_nothing(text, words):
    """Including a sweep with more runs than the lab takes: said before Start, which is not offered."""
    at = page("sweeps")
    at.selectbox(key="sweep_setting_1").set_value("learning_rate").run()
    at.text_input(key="sweep_values_1_learning_rate").set_value(text).run()
    assert any(words in e for e in values(at.error)), values(at.error)
    assert not [b for b in at.button if b.key == "sweep_start"] and Store().runs() == []


def test_the_leaderboard_shows_the_best_run_and_who_met_a_challenge(monkeypatch):
    monkeypatch.setenv("LAB_TEACHER_KEY", "k")
    store = Store()
    seed_run(store, owner="ada", owner_id="p-a", test_acc=0.91, params=13002)
    best = seed_run(store, owner="ada", owner_id="p-a", test_acc=0.95, params=50000)
    seed_run(store, owner="bob", owner_id="p-b", test_acc=0.93, params=8000)
    at = page("leaderboard")
    board = at.dataframe[0].value
    assert board["person"].tolist() == ["ada", "bob"] and board["run"].tolist()[0] == best
    at.text_input(key="teacher_key").set_value("k")
    at.button(key="teacher_unlock").click().run()
    at.text_input(key="challenge_title").set_value("Small")
    at.number_input(key="challenge_acc").set_value(-5.0)
    at.button(key="challenge_set").click().run()
    assert any("The minimum test accuracy is -5%" in e for e in values(at.error)) and store.challenges() == []
    at.number_input(key="challenge_acc").set_value(92.5)
    at.number_input(key="challenge_params").set_value(10000)
    at.button(key="challenge_set").click().run()
    assert [c.title for c in store.challenges()] == ["Small"]
    assert "Small: 92.5% test accuracy on MNIST handwritten digits, at most 10,000 parameters." in values(at.text)
    board = at.dataframe[0].value.set_index("person")
    assert board["challenge 1: Small"].to_dict() == {"ada": False, "bob": True}
    for title in ("Small", "test accuracy", "person"):  # a title taken, or a column's name: no crash
        at.text_input(key="challenge_title").set_value(title)
        at.button(key="challenge_set").click().run()
    assert not at.exception, [e.value for e in at.exception]
    board = at.dataframe[0].value
    assert board["person"].tolist() == ["ada", "bob"] and board["test accuracy"].tolist() == [0.95, 0.93]
    assert sorted(c for c in board.columns if c.startswith("challenge")) == [
        "challenge 1: Small", "challenge 2: Small", "challenge 3: test accuracy", "challenge 4: person"]
    assert len([b for b in at.button if b.key.startswith("challenge_close")]) == 4  # the teacher can close each


def test_the_leaderboard_keeps_a_challenge_met_before_a_continue_after_its_deadline(monkeypatch):
    store = Store()
    run_id = seed_run(store, owner="ada", owner_id="p-a", test_acc=0.95, params=8000)
    store.create_challenge(title="Small", dataset="mnist", min_accuracy=0.9, max_params=10000, max_epochs=None,
                           max_seconds=None, deadline=store.run(run_id).ended)
    time.sleep(1.1)  # the records keep whole seconds
    store.update_run(run_id, status="running")  # continued after the deadline ...
    store.update_run(run_id, status="finished", test_acc=0.96)  # ... and ended again
    at = page("leaderboard")
    assert at.dataframe[0].value.set_index("person")["challenge 1: Small"].to_dict() == {"ada": True}


def test_the_projector_view_is_large_and_plain(monkeypatch):
    store = Store()
    seed_run(store, owner="<b>ada</b> :red[x]", owner_id="p-a", test_acc=0.95)
    seed_run(store, owner="bob", owner_id="p-b", test_acc=0.90)
    for title, closed in (("<i>Small</i>", False), ("Gone", True)):
        made = store.create_challenge(**classroom.check(classroom.ChallengeDraft(title, "mnist", 0.92, 10**9)))
        store.close_challenge(made, closed)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["view"] = "projector"
    at.query_params["dataset"] = "mnist"
    at.run()
    assert not at.exception
    body = at.get("html")[0].proto.body
    assert "&lt;b&gt;ada&lt;/b&gt; :red[x]" in body and "95.00%" in body and "2.2rem" in body
    # the open challenge, as on the Leaderboard page: a tick for ada (95%), none for bob (90%), its words
    assert "<th colspan='1'>challenges</th>" in body and "<th>1</th>" in body
    assert "challenge 2" not in body and "Gone" not in body
    assert "<td>95.00%</td><td>✓</td>" in body and "<td>90.00%</td><td></td>" in body
    cut = "<div class='lab-cut' title='&lt;b&gt;ada&lt;/b&gt; :red[x]'>&lt;b&gt;ada&lt;/b&gt; :red[x]</div>"
    assert cut in body  # a long name is cut short on the projector, whole on hover
    assert "<li>challenge 1: &lt;i&gt;Small&lt;/i&gt;: 92% test accuracy on MNIST handwritten digits" in body
    assert not at.sidebar.text_input  # no sign-in, no sidebar on a projector
