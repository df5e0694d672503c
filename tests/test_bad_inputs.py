"""A catalogue of bad inputs: every page and every public `lab` entry point, one line a case.

Each case does one wrong thing (through a page, driven by AppTest, or by
calling `lab` directly, without the page's widgets) and names a part of the
message a user must see. For every case the test also checks that the page
raised no exception and that nothing in the records changed: not a run,
not an epoch, not a model file. A case with ``setup`` prepares what it
needs first (that part may change the records; the check starts after it).

To add a case, add one line to `CASES`.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import keras
import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

import lab.data
from appkit import (ROOT, WORKSHOP, digit_png, install_model, layers_key, open_page, page, page_manager, png, start_app,
                    values, version)
from evalkit import (evaluate_as, evaluate_page, lambda_bytes, largest_shift, model_bytes, picture_bytes, sent,
                      shifted, still_training, upload_on_page)
from lab import classroom, identity, predict, results, share, sweeps
from lab.data import DatasetError
from lab.jobs import JobRejected
from lab.jobs.lock import AnotherServer, ServerLock
from lab.records import StoreError
from lab.records.sqlite import SQLiteStore as Store
from lab.settings import Settings, SettingsError, settings
from lab.spec import LayerSpec, ModelSpec, SpecError, TrainSpec, load_presets, parse_number
from lab.summary import validate

L = LayerSpec
MLP = ModelSpec("mlp", [L("Flatten"), L("Dense", units=10, activation="softmax")])
PRESET = load_presets()[WORKSHOP]
MARKDOWN_NAME = "![i](http://127.0.0.1:9/t.png) $x$ :red[x]"
ERRORS = (JobRejected, SpecError, DatasetError, StoreError, SettingsError, AnotherServer, PermissionError,
          predict.BadImage, predict.EmptyImage, predict.BadModel, ValueError)  # ValueError: sweeps, tags,
# names, challenges and links raise its subclasses


@dataclass(frozen=True)
class World:
    """What a case acts on: this test's lab home, holding one finished run with a model file."""

    store: Store
    run_id: int

    def snapshot(self) -> dict:
        """Every run's id, and everything about the runs that are not training now (a case
        may need a run training in the background), their epochs and the model files; the
        class's record: tags, sweeps, challenges, studies of tries and the people."""
        runs = self.store.runs()
        ended = [r for r in runs if not r.status.active]
        files = sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns)
                       for p in settings().models_dir.glob("*.keras") if p.is_file()
                       and p.name not in {f"run_{r.id}.keras" for r in runs if r.status.active})
        return {"runs": [r.id for r in runs], "ended": ended, "epochs": {r.id: self.store.epochs(r.id) for r in ended},
                "files": files, "tags": self.store.tags(), "sweeps": self.store.sweeps(),
                "challenges": self.store.challenges(), "trials": self.store.trials(), "people": self.people()}

    def people(self) -> dict:
        """Everyone's name and role. A browser's first visit adds a guest (that is what a
        visit does), so a case may add people but must change no one already there."""
        import sqlite3

        db = sqlite3.connect(self.store.path)
        try:
            return {row[0]: row[1:] for row in db.execute("SELECT id, name, teacher FROM people")}
        finally:
            db.close()

    def unchanged_since(self, before: dict) -> bool:
        now = self.snapshot()
        people_before, people_now = before.pop("people"), now.pop("people")
        return now == before and all(people_now.get(k) == v for k, v in people_before.items())


@dataclass(frozen=True)
class Case:
    name: str
    act: Callable[[World], list[str]]  # does the wrong thing; returns the messages a user sees
    expect: str  # part of one of those messages
    setup: Callable[[World], None] | None = None


# ---- doing things ------------------------------------------------------------------------------

def raises(fn: Callable[[World], object]) -> Callable[[World], list[str]]:
    """A direct call to `lab` that must refuse: the message of what it raised."""
    def act(w: World) -> list[str]:
        try:
            out = fn(w)
        except ERRORS as exc:
            return [str(exc)]
        return out if isinstance(out, list) else [f"no refusal, returned {out!r}"]
    return act


def problems(model: ModelSpec = MLP, **train) -> Callable[[World], list[str]]:
    """`lab.summary.validate` called directly with these settings."""
    return lambda w: validate(model, TrainSpec(**{"batch_size": 32, **train}))


def messages(at) -> list[str]:
    assert not at.exception, [e.value for e in at.exception]
    return values(at.error) + values(at.warning) + values(at.info)


def train_page(lr: str | None = None, **numbers) -> Callable[[World], list[str]]:
    """The Train page with these numbers typed; Start must stay disabled."""
    def act(w: World) -> list[str]:
        at = page("train")
        v = version(at)
        for name, value in numbers.items():
            at.number_input(key=f"train_{name}_{v}").set_value(value)
        if lr is not None:
            at.text_input(key=f"train_{v}_lr").set_value(lr)
        at.run()
        assert at.button(key="train_start").disabled, "Start must stay disabled"
        return messages(at)
    return act


def layer_edit(**edit) -> Callable[[World], list[str]]:
    """The Architecture page's layer table edited as the browser sends it."""
    def act(w: World) -> list[str]:
        at = page("architecture")
        at.session_state[layers_key(at)] = {"edited_rows": {}, "added_rows": [], "deleted_rows": [], **edit}
        at.run()
        assert not at.success, "a broken network must not be called trainable"
        return messages(at)
    return act


def arch_lr(text: str) -> Callable[[World], list[str]]:
    """A learning rate typed on the Architecture page."""
    def act(w: World) -> list[str]:
        at = page("architecture")
        at.text_input(key=f"arch_{version(at)}_lr").set_value(text).run()
        assert not at.success
        return messages(at)
    return act


def arch_name(name: str) -> Callable[[World], list[str]]:
    """A network name typed on the Architecture page, then read on the Train page."""
    def act(w: World) -> list[str]:
        at = page("architecture")
        at.text_input(key=f"arch_name_{version(at)}").set_value(name).run()
        at.switch_page("pages/train.py").run()
        return messages(at) + values(at.text)
    return act


def train_texts(w: World) -> list[str]:
    """The plain-text lines of the Train page, watching the newest run."""
    at = page("train")
    at.selectbox(key="train_watch").set_value(max(r.id for r in w.store.runs())).run()
    return messages(at) + values(at.text)


def upload(make: Callable[[], bytes]) -> Callable[[World], list[str]]:
    """An upload (of the bytes ``make()`` returns) on the Draw page."""
    def act(w: World) -> list[str]:
        at = page("draw")
        at.file_uploader(key="draw_upload").set_value(("digit.png", make(), "image/png")).run()
        assert not at.metric, "nothing may be read from a bad picture"
        return messages(at)
    return act


def datasets_number(key: str, value: int) -> Callable[[World], list[str]]:
    def act(w: World) -> list[str]:
        at = start_app()
        at.number_input(key=key).set_value(value).run()
        return messages(at)
    return act


def app_with(var: str, value: str) -> Callable[[World], list[str]]:
    """The app started with an environment variable set to ``value``."""
    def act(w: World) -> list[str]:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv(var, value)
            return messages(start_app())
    return act


def continue_on_page(more: int = 1) -> Callable[[World], list[str]]:
    def act(w: World) -> list[str]:
        at = open_page(start_app(OWNER_KEY), "pages/train.py")  # only its author may continue it
        at.selectbox(key="cont_run").set_value(w.run_id)
        at.number_input(key="cont_more").set_value(more)
        at.button(key="cont_go").click().run()
        return messages(at)
    return act


# ---- what the cases need -------------------------------------------------------------------------

OWNER_KEY = "k-owner"  # the browser that started the world's run


def owner_of(w: World) -> str:
    """The identity of the browser that started the world's run."""
    return w.store.run(w.run_id).owner_id


def sweep_values(text: str) -> Callable[[World], list[str]]:
    """Learning-rate values typed on the Sweeps page; Start sweep must not be offered."""
    def act(w: World) -> list[str]:
        at = page("sweeps")
        at.selectbox(key="sweep_setting_1").set_value("learning_rate").run()
        at.text_input(key="sweep_values_1_learning_rate").set_value(text).run()
        assert not [b for b in at.button if b.key == "sweep_start"]
        return messages(at)
    return act


def sweep_seeds(n: int) -> Callable[[World], list[str]]:
    def act(w: World) -> list[str]:
        at = page("sweeps")
        at.number_input(key="sweep_seeds").set_value(n).run()
        assert not [b for b in at.button if b.key == "sweep_start"]
        return messages(at)
    return act


def shared_link(text: str) -> Callable[[World], list[str]]:
    def act(w: World) -> list[str]:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.query_params["net"] = text
        at.run()
        return messages(at)
    return act


def taken_name(w: World) -> list[str]:
    identity.rename(w.store, identity.sign_in(w.store, "first"), "Teacher")
    return raises(lambda w: identity.rename(w.store, identity.sign_in(w.store, "second"), "teacher"))(w)


def lambda_model(w: World) -> None:
    """Replace the run's model file with one holding a Lambda layer (code)."""
    net = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                            keras.layers.Lambda(lambda x: x * 2), keras.layers.Dense(10, activation="softmax")])
    path = page_manager().models.target(w.run_id)
    net.save(path.with_name("lambda.keras"))
    path.with_name("lambda.keras").replace(path)


def broken_model(w: World) -> None:
    page_manager().models.target(w.run_id).write_bytes(b"this is not a model")


def queued_when_the_lab_stopped(w: World) -> None:
    """A run that was waiting in the queue of a server that died, owned by ada."""
    run_id = w.store.create_run(owner="ada", dataset="mnist", network="waiting", status="queued",
                                spec_json=json.dumps(PRESET.model.to_dict()),
                                train_json=json.dumps(PRESET.train.to_dict()))
    w.store.update_run(run_id, status="interrupted", interrupted_while="queued")


def full_queue(w: World) -> None:
    """One place to run and none to wait, taken by a long run."""
    page_manager().queue.max_waiting = 0
    page_manager().submit(PRESET.model, replace(PRESET.train, epochs=500, batch_size=16), owner="ada")


def trained_by_markdown(w: World) -> None:
    """A short run whose owner and network names are Markdown."""
    model = replace(MLP, name=MARKDOWN_NAME)
    job = page_manager().submit(model, replace(PRESET.train, epochs=1, train_limit=500), owner=MARKDOWN_NAME)
    assert page_manager().wait(job.id, 120).status == "finished"


def waiting_run(w: World) -> int:
    return max(r.id for r in w.store.runs())


def picture(mode: str, size: tuple[int, int], colour) -> bytes:
    return png(Image.new(mode, size, colour))


def huge_png() -> bytes:
    return png(Image.new("1", (12_000, 12_000), 0))  # 144 million pixels in a few kilobytes


def covered_canvas() -> np.ndarray:
    canvas = np.zeros((280, 280, 4), np.uint8)
    canvas[..., 3] = 255
    canvas[10:275, 5:270, :3] = 255  # white paint over nearly all of it
    return canvas


def newer_records(w: World) -> list[str]:
    import sqlite3

    path = settings().home / "other" / "runs.sqlite"
    Store(path)
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.commit()
    db.close()
    return raises(lambda w: Store(path))(w)


def damaged_npz(w: World) -> list[str]:
    folder = settings().home / "data"
    folder.mkdir()
    (folder / "fashion_mnist.npz").write_bytes(b"PK\x03\x04 broken")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LAB_DATASETS", str(folder))
        return raises(lambda w: lab.data.load("fashion_mnist"))(w)


def truncated_idx(w: World) -> list[str]:
    path = settings().home / "t10k-images.gz"
    lab.data.write_idx(path, np.zeros((10, 28, 28), np.uint8))
    raw = path.read_bytes()
    import gzip

    path.write_bytes(gzip.compress(gzip.decompress(raw)[:500]))
    return raises(lambda w: lab.data.read_idx(path))(w)


def no_dataset_anywhere(w: World) -> list[str]:
    empty = settings().home / "nothing"
    empty.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LAB_DATASETS", str(empty))
        mp.setenv("KERAS_HOME", str(empty))
        mp.setattr(lab.data, "DEBIAN_ROOT", empty)
        return raises(lambda w: lab.data.load("fashion_mnist"))(w)


def damaged_records(w: World) -> list[str]:
    path = settings().home / "elsewhere" / "runs.sqlite"
    path.parent.mkdir()
    path.write_bytes(b"not a database " * 100)
    return raises(lambda w: Store(path))(w)


def second_server(w: World) -> list[str]:
    page_manager()  # this server holds the folder
    return raises(lambda w: ServerLock(settings().home))(w)


def csv_cell(comment: str) -> Callable[[World], list[str]]:
    def act(w: World) -> list[str]:
        run = replace(w.store.run(w.run_id), comment=comment)  # as if typed in the table
        rows = list(csv.DictReader(io.StringIO(results.csv(results.table([run])), newline="")))
        return [rows[0]["comment"]]
    return act


PRESET_COMMENT = "trained once per session"


def nan_model_probabilities(w: World) -> list[str]:
    net = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10)])
    net.set_weights([np.full_like(x, np.nan) for x in net.get_weights()])
    return raises(lambda w: predict.probabilities(net, np.zeros((28, 28), np.float32)))(w)


def xor_model_probabilities(w: World) -> list[str]:
    net = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    return raises(lambda w: predict.probabilities(net, np.zeros((28, 28), np.float32)))(w)


def model_file(content: Callable[[Path], None]) -> Callable[[World], list[str]]:
    def act(w: World) -> list[str]:
        path = settings().home / "upload.keras"
        content(path)
        return raises(lambda w: predict.load_model(str(path), path.stat().st_mtime))(w)
    return act


def lambda_file(path: Path) -> None:
    keras.Sequential([keras.Input((2,)), keras.layers.Lambda(lambda x: x + 1)]).save(path)


def zip_without_config(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("metadata.json", "{}")


def results_texts(w: World) -> list[str]:
    """The Results page with the world's run picked: messages, captions, plain text and the
    comment cells of the table."""
    at = page("results")
    at.selectbox(key="results_run").set_value(w.run_id).run()
    return messages(at) + values(at.caption) + values(at.text) + at.dataframe[0].value["comment"].tolist()


def odd_comment(w: World) -> None:
    w.store.set_comment(w.run_id, HOSTILE)


def odd_owner(w: World) -> None:
    w.store.update_run(w.run_id, owner=HOSTILE)


HOSTILE = "<img src=x onerror=alert(1)> '; DROP TABLE runs; -- **bold**"


def inside_page(key: str, value: int, tab_label: str | None = None) -> Callable[[World], list[str]]:
    """A number typed on the Inside the network page; its button must stay disabled."""
    def act(w: World) -> list[str]:
        at = page("inside")
        if tab_label:  # what a click on the tab does
            at.session_state["inside_view"] = tab_label
            at.run()
        at.number_input(key=key).set_value(value).run()
        assert at.button(key="trials_run" if key.startswith("trials") else "xor_train").disabled
        return messages(at)
    return act


def leaderboard_as(typed: str) -> AppTest:
    """The Leaderboard page after typing ``typed`` as the teacher key and pressing Unlock (the
    caller sets ``LAB_TEACHER_KEY``)."""
    at = page("leaderboard")
    at.text_input(key="teacher_key").set_value(typed)
    at.button(key="teacher_unlock").click().run()
    return at


def challenge_on_page(**numbers) -> Callable[[World], list[str]]:
    """A teacher sets a challenge with these numbers on the Leaderboard page."""
    def act(w: World) -> list[str]:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("LAB_TEACHER_KEY", "k")
            at = leaderboard_as("k")
            at.text_input(key="challenge_title").set_value("Small")
            for key, value in numbers.items():
                at.number_input(key=f"challenge_{key}").set_value(value)
            at.button(key="challenge_set").click().run()
            return messages(at)
    return act


def wrong_teacher_key_on_page(w: World) -> list[str]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LAB_TEACHER_KEY", "k")
        at = leaderboard_as("guess")
        return messages(at) + values(at.sidebar.error)


manager = page_manager  # the pages' job manager for this test's lab home

# ---- the catalogue -------------------------------------------------------------------------------

CASES = [
    # lab.summary.validate, called directly (no widgets in the way)
    Case("seed 2**70", problems(seed=2**70), "The seed is 1,180,591,620,717,411,303,424: use a whole number from 0 to 4,294,967,295."),
    Case("negative seed", problems(seed=-1), "The seed is -1: use a whole number from 0"),
    Case("negative image limit", problems(train_limit=-5), "The training image limit is -5: use 0 for all images"),
    Case("a billion epochs", problems(epochs=10**9), "Epochs is 1,000,000,000: the lab's limit is 1,000 epochs"),
    Case("zero epochs", problems(epochs=0), "Epochs is 0: train for at least 1 epoch."),
    Case("negative epochs", problems(epochs=-5), "Epochs is -5: train for at least 1 epoch."),
    Case("fractional epochs", problems(epochs=2.5), "The epochs must be a whole number, not 2.5."),
    Case("zero batch", problems(batch_size=0), "The batch size is 0: use at least 1"),
    Case("validation split 1.0", problems(validation_split=1.0), "The validation split is 1.0: use a fraction"),
    Case("negative validation split", problems(validation_split=-0.1), "The validation split is -0.1"),
    Case("learning rate 0", problems(learning_rate=0.0), "The learning rate is 0: it must be above 0"),
    Case("learning rate text", problems(learning_rate="abc"), "The learning rate must be a finite number, not 'abc'."),
    Case("learning rate NaN", problems(learning_rate=float("nan")), "The learning rate must be a finite number, not nan."),
    Case("learning rate 100", problems(learning_rate=100.0), "The learning rate is 100: it must be above 0 and at most 10"),
    Case("keep-best not a bool", problems(keep_best="yes"), "Keep-best must be True or False, not 'yes'."),
    Case("unknown optimizer", problems(optimizer="sgdx"), "Unknown optimizer 'sgdx'. Choose one of: adam"),
    Case("unknown loss", problems(loss="hinge"), "Unknown loss 'hinge'. Choose one of"),
    Case("unknown dataset", problems(dataset="cifar"), "Unknown dataset 'cifar'. Choose one of: mnist"),
    Case("patience without validation", problems(early_stopping=2, validation_split=0.0), "set a validation split above 0"),
    Case("batch larger than the data", problems(batch_size=5000, train_limit=1000), "The batch size (5,000) is larger than the 900 training examples"),
    Case("999 Dense layers", problems(ModelSpec(layers=[L("Flatten")] + [L("Dense", units=4)] * 999 + [L("Dense", units=10)])), "more than the lab's limit of 100 (LAB_MAX_LAYERS)"),
    Case("no layers", problems(ModelSpec(layers=[])), "The network has no layers: add at least one Dense layer."),
    Case("Dense with 0 units", problems(ModelSpec(layers=[L("Flatten"), L("Dense", units=0), L("Dense", units=10)])), "Layer 2 (Dense) has 0 units"),
    Case("Conv2D after Flatten", problems(ModelSpec(layers=[L("Flatten"), L("Conv2D"), L("Dense", units=10)])), "needs an image-shaped input"),
    Case("a CNN on the XOR table", problems(ModelSpec(layers=[L("Conv2D"), L("Flatten"), L("Dense", units=1, activation="sigmoid")]), dataset="xor", loss="binary_crossentropy"), "Layer 1 (Conv2D(32, 3x3, relu)) needs images, but this dataset gives rows of 2 numbers, not images. Choose an image dataset"),
    Case("pooling below one pixel", problems(ModelSpec(layers=[L("MaxPooling2D")] * 5 + [L("Flatten"), L("Dense", units=10)])), "only 1x1 pixels"),
    Case("kernel larger than the image", problems(ModelSpec(layers=[L("Conv2D", kernel_size=29), L("Flatten"), L("Dense", units=10)])), "29x29 window but its input is only 28x28"),
    Case("dropout rate 1.5", problems(ModelSpec(layers=[L("Flatten"), L("Dropout", rate=1.5), L("Dense", units=10)])), "has a rate of 1.5"),
    Case("negative slope", problems(ModelSpec(layers=[L("Flatten"), L("LeakyReLU", negative_slope=-1), L("Dense", units=10)])), "negative slope of -1"),
    Case("unknown activation", problems(ModelSpec(layers=[L("Flatten"), L("Dense", units=10, activation="relux")])), "unknown activation 'relux'"),
    Case("7 outputs for 10 classes", problems(ModelSpec(layers=[L("Flatten"), L("Dense", units=7)])), "The last layer has 7 outputs, but MNIST handwritten digits has 10 classes"),
    Case("no Flatten before Dense", problems(ModelSpec(layers=[L("Dense", units=10)])), "Add a Flatten layer before the first Dense layer."),
    Case("too many parameters", problems(ModelSpec(layers=[L("Flatten"), L("Dense", units=30000), L("Dense", units=10)])), "more than the lab's limit of 20,000,000"),
    Case("a batch too big for memory", problems(ModelSpec(layers=[L("Conv2D", filters=512, padding="same"), L("Flatten"), L("Dense", units=10)]), batch_size=2000), "use a smaller batch size or smaller layers"),
    # specs read from JSON or a table
    Case("unknown layer kind", raises(lambda w: ModelSpec.from_dict({"layers": [{"kind": "Dense2"}]})), "Layer 1: unknown kind 'Dense2'. Choose one of: Dense"),
    Case("layers not a list", raises(lambda w: ModelSpec.from_dict({"layers": "Dense"})), "A model spec needs a list called 'layers'."),
    Case("text for units", raises(lambda w: ModelSpec.from_dict({"layers": [{"kind": "Dense", "units": "many"}]})), "The units of layer 1 (Dense) must be a number, but 'many' is not one."),
    Case("empty units cell", raises(lambda w: ModelSpec.from_dict({"layers": [{"kind": "Dense", "units": None}]})), "The units of layer 1 (Dense) is empty"),
    Case("unknown training setting", raises(lambda w: TrainSpec.from_dict({"learnig_rate": 0.1})), "Unknown training setting(s): learnig_rate."),
    Case("text learning rate in JSON", raises(lambda w: TrainSpec.from_dict({"learning_rate": "fast"})), "The learning rate must be a number, but 'fast' is not one."),
    Case("infinite number typed", raises(lambda w: parse_number("learning rate", "inf")), "The learning rate must be a finite number, not inf."),
    # the job manager
    Case("missing dataset", no_dataset_anywhere, "The Fashion-MNIST clothes dataset was not found. The lab looked in"),
    Case("submit an impossible network", raises(lambda w: manager().submit(ModelSpec(layers=[]), PRESET.train, "ada")), "The network has no layers"),
    Case("continue a run that does not exist", raises(lambda w: manager().continue_run(999, 1, "ada")), "There is no run 999."),
    Case("continue for 0 epochs", raises(lambda w: manager().continue_run(w.run_id, 0, "ada", owner_id=owner_of(w))), "Continue for at least 1 more epoch."),
    Case("continue past the epoch limit", raises(lambda w: manager().continue_run(w.run_id, 5000, "ada", owner_id=owner_of(w))), "more than the lab's limit of 1,000 (LAB_MAX_EPOCHS)"),
    Case("continue a model with code", raises(lambda w: manager().continue_run(w.run_id, 1, "ada", owner_id=owner_of(w))), "cannot be continued: The model holds Python code (a Lambda layer)", setup=lambda_model),
    Case("continue a damaged model", raises(lambda w: manager().continue_run(w.run_id, 1, "ada", owner_id=owner_of(w))), "cannot be continued: The file is not a Keras model", setup=broken_model),
    Case("queue again a finished run", raises(lambda w: manager().requeue(w.run_id, "teacher")), "was not waiting in the queue when the lab stopped"),
    Case("queue again someone else's run", raises(lambda w: manager().requeue(waiting_run(w), "bob")), "Only ada, who started run", setup=queued_when_the_lab_stopped),
    Case("a second server on one folder", second_server, "Another lab server (process"),
    # data, records, settings
    Case("damaged npz", damaged_npz, "is not a Keras-style dataset .npz"),
    Case("truncated IDX file", truncated_idx, "is truncated: expected 7840 values"),
    Case("damaged records file", damaged_records, "is damaged (file is not a database)"),
    Case("records from a newer lab", newer_records, "written by a newer version of the lab"),
    Case("LAB_MAX_JOBS is text", raises(lambda w: Settings.from_env({"LAB_MAX_JOBS": "two"})), "LAB_MAX_JOBS is 'two', but it must be a whole number"),
    Case("a comment that is a formula", csv_cell("=HYPERLINK(\"http://x\")"), "'=HYPERLINK"),
    Case("a comment starting with @", csv_cell("@SUM(A1)"), "'@SUM(A1)"),
    Case("a comment starting with +", csv_cell("+1+2"), "'+1+2"),
    Case("a comment starting with -", csv_cell("-2+3"), "'-2+3"),
    Case("a comment starting with a tab", csv_cell("\t=1+1"), "'\t=1+1"),
    Case("a comment starting with a carriage return", csv_cell("\r=1+1"), "'\r=1+1"),
    # pictures and model files for prediction
    Case("upload that is not a picture", raises(lambda w: predict.from_upload(b"not a picture")), "This file is not a picture the lab can read"),
    Case("12,000 x 12,000 PNG", raises(lambda w: predict.from_upload(huge_png())), "This picture is 12,000 x 12,000 pixels (144 million)"),
    Case("1x1 picture", raises(lambda w: predict.from_upload(picture("L", (1, 1), 0))), "This picture is only 1 x 1 pixels"),
    Case("fully transparent picture", raises(lambda w: predict.from_upload(picture("RGBA", (64, 64), (0, 0, 0, 0)))), "This picture is fully transparent"),
    Case("one plain colour", raises(lambda w: predict.from_upload(picture("RGB", (64, 64), (90, 90, 200)))), "This picture is one plain colour"),
    Case("empty canvas", raises(lambda w: predict.from_canvas(None)), "The canvas is empty: draw a digit first."),
    Case("canvas painted over", raises(lambda w: predict.from_canvas(covered_canvas())), "The drawing covers 90% of the canvas"),
    Case("model file with code", model_file(lambda_file), "The model holds Python code (a Lambda layer)"),
    Case("model file that is not a model", model_file(lambda p: p.write_bytes(b"junk")), "The file is not a Keras model"),
    Case("model archive without its config", model_file(zip_without_config), "The file is not a Keras model"),
    Case("a model that answers NaN", nan_model_probabilities, "The model answers NaN: its training diverged."),
    Case("an XOR model asked about an image", xor_model_probabilities, "not a 28x28 image"),
    # the Train page (Start must stay disabled in each)
    Case("page: epochs -5", train_page(epochs=-5), "Epochs is -5: train for at least 1 epoch."),
    Case("page: epochs 0", train_page(epochs=0), "Epochs is 0: train for at least 1 epoch."),
    Case("page: 5000 epochs", train_page(epochs=5000), "Epochs is 5,000: the lab's limit is 1,000"),
    Case("page: batch size 0", train_page(batch=0), "The batch size is 0: use at least 1"),
    Case("page: validation split 1.0", train_page(split=1.0), "The validation split is 1.0"),
    Case("page: seed 2**40", train_page(seed=2**40), "The seed is 1,099,511,627,776"),
    Case("page: image limit -5", train_page(limit=-5), "The training image limit is -5"),
    Case("page: negative patience", train_page(patience=-1), "Early stopping patience must be 0 (off)"),
    Case("page: batch bigger than the loaded data", train_page(batch=10000), "larger than the 7,200 training examples"),
    Case("page: learning rate text", train_page(lr="abc"), "The learning rate must be a number, but 'abc' is not one. Type a number"),
    Case("page: learning rate 0", train_page(lr="0"), "The learning rate is 0: it must be above 0"),
    Case("page: continue for 0 epochs", continue_on_page(0), "Continue for at least 1 more epoch."),
    Case("page: continue a model with code", continue_on_page(1), "The model holds Python code", setup=lambda_model),
    Case("the queue is full", raises(lambda w: manager().submit(PRESET.model, replace(PRESET.train, epochs=1), "bob")), "The queue is full: 1 running and 0 waiting.", setup=full_queue),
    # the Architecture page
    Case("page: a units cell set to 0", layer_edit(edited_rows={1: {"units": 0}}), "Layer 2 (Dense) has 0 units"),
    Case("page: a units cell emptied", layer_edit(edited_rows={1: {"units": None}}), "The units of layer 2 (Dense) is empty: type a value (for example 32)."),
    Case("page: 1.5 units", layer_edit(edited_rows={1: {"units": 1.5}}), "must be a whole number, not 1.5. Fix that cell"),
    Case("page: 1e20 units (past 64 bits)", layer_edit(edited_rows={1: {"units": 1e20}}), "units: the lab allows at most 1,000,000"),
    Case("page: an unknown kind", layer_edit(edited_rows={1: {"kind": "Bogus"}}), "unknown kind 'Bogus'"),
    Case("page: every row deleted", layer_edit(deleted_rows=[0, 1, 2, 3]), "The network has no layers"),
    Case("page: a dropout row of 1.5", layer_edit(added_rows=[{"kind": "Dropout", "rate": 1.5}]), "Layer 5 (Dropout) has a rate of 1.5"),
    Case("page: learning rate 'fast'", arch_lr("fast"), "The learning rate must be a number, but 'fast' is not one."),
    Case("page: a network name with Markdown", arch_name(MARKDOWN_NAME), f"Network: {MARKDOWN_NAME}    Flatten"),
    # what a user typed is shown as text
    Case("page: Markdown in a name", train_texts, f"· {MARKDOWN_NAME} · mnist · started by {MARKDOWN_NAME} · finished", setup=trained_by_markdown),
    # the Draw page
    Case("page: an upload that is not a picture", upload(lambda: b"GIF89a not really"), "This file is not a picture the lab can read"),
    Case("page: a huge PNG", upload(huge_png), "12,000 x 12,000 pixels"),
    Case("page: a 1x1 PNG", upload(lambda: picture("L", (1, 1), 255)), "only 1 x 1 pixels"),
    Case("page: a transparent PNG", upload(lambda: picture("RGBA", (50, 50), (255, 0, 0, 0))), "fully transparent"),
    Case("page: a damaged model file", upload(lambda: digit_png(0)[0]), "cannot be used: The file is not a Keras model", setup=broken_model),
    Case("page: a model file with code", upload(lambda: digit_png(0)[0]), "cannot be used: The model holds Python code", setup=lambda_model),
    # the Datasets page and the app
    Case("page: sample number past the end", datasets_number("ds_one", 99_999), "Sample number 99,999 does not exist here: choose one from 0 to 7,999."),
    Case("page: negative first sample", datasets_number("ds_start", -24), "First sample -24 does not exist here"),
    Case("app: LAB_QUEUE_SIZE is text", app_with("LAB_QUEUE_SIZE", "lots"), "The lab cannot start: LAB_QUEUE_SIZE is 'lots'"),
    Case("app: LAB_MAX_JOBS is 0", app_with("LAB_MAX_JOBS", "0"), "LAB_MAX_JOBS is 0, but it must be at least 1"),
    # a class's records: sweeps, tags, names, challenges, powers, links
    Case("sweep values with text", raises(lambda w: sweeps.parse_values("learning_rate", "0.1, fast", 50)), "must be a number, but 'fast' is not one"),
    Case("sweep values repeated", raises(lambda w: sweeps.parse_values("batch_size", "32, 64, 32", 50)), "32 appears 2 times in the batch size values"),
    Case("a zero sweep value", raises(lambda w: sweeps.parse_values("epochs", "0, 2", 50)), "The epochs values must be above 0: 0 is not."),
    Case("a negative sweep value", raises(lambda w: sweeps.parse_values("units", "-8, 8", 50)), "The units values must be above 0: -8 is not."),
    Case("10,000 sweep values", raises(lambda w: sweeps.parse_values("epochs", " ".join(map(str, range(1, 10_001))), 50)), "10,000 epochs values are more than one sweep may run (50"),
    Case("a sweep of 10,000 runs", raises(lambda w: sweeps.plan(MLP, TrainSpec(), [sweeps.Axis("learning_rate", tuple(i / 1e4 for i in range(1, 101))), sweeps.Axis("batch_size", tuple(range(1, 101)))], [1], 50)), "This sweep would queue 10,000 runs"),
    Case("page: sweep values with text", sweep_values("0.01, lots"), "must be a number, but 'lots' is not one"),
    Case("page: seeds per point 0", sweep_seeds(0), "Seeds per point is 0: train each point at least once."),
    Case("page: 10 million seeds per point", sweep_seeds(10_000_000), "Seeds per point is 10,000,000: a sweep may queue at most 50 runs (LAB_MAX_SWEEP)"),
    Case("a challenge below 0%", raises(lambda w: classroom.check(classroom.ChallengeDraft("t", "mnist", -0.1, max_params=10))), "The minimum test accuracy is -10%"),
    Case("a challenge without limits", raises(lambda w: classroom.check(classroom.ChallengeDraft("t", "mnist", 0.9))), "Set at least one limit"),
    Case("a tag of 10,000 characters", raises(lambda w: results.parse_tags("x" * 10_000)), "A tag of 10,000 characters is too long"),
    Case("eleven tags", raises(lambda w: results.parse_tags(",".join(f"t{i}" for i in range(11)))), "That is 11 tags: keep at most 10 a run."),
    Case("a name of 10,000 characters", raises(lambda w: identity.check_name("x" * 10_000)), "That name has 10,000 characters: use at most 40."),
    Case("a name taken by someone else", taken_name, "Someone else is already called 'teacher'"),
    Case("delete someone else's run", raises(lambda w: manager().delete(w.run_id, "p-intruder")), "Only teacher, who started run"),
    Case("delete a run by typing its owner's name", raises(lambda w: manager().delete(w.run_id, "teacher")), "Only teacher, who started run"),
    Case("a wrong teacher key", raises(lambda w: identity.unlock_teacher(w.store, identity.sign_in(w.store, "k"), "guess", "right")), "That is not the teacher key."),
    Case("a share link cut short", raises(lambda w: share.read(share.token(PRESET.model, PRESET.train)[:-20])), "This link does not hold a network the lab can read"),
    Case("page: a broken share link", shared_link("not-a-network"), "This link does not hold a network the lab can read"),
    # the Results, Inside the network and Leaderboard pages
    Case("page: HTML and SQL in a comment", results_texts, HOSTILE, setup=odd_comment),
    Case("page: HTML and SQL in an owner's name", results_texts, f"started by {HOSTILE} · finished", setup=odd_owner),
    Case("page: tags of someone else's run", results_texts, "Only teacher or a teacher can change its comment and tags, hide or delete this run."),
    Case("page: XOR hidden size 0", inside_page("xor_hidden", 0), "A hidden size of 0 gives the network no hidden layer"),
    Case("page: 100,000 tries", inside_page("trials_tries", 100_000, "How often does it learn?"), "100,000 tries per hidden size is more than the lab allows"),
    Case("page: a challenge below 0%", challenge_on_page(acc=-5.0), "The minimum test accuracy is -5%"),
    Case("page: a challenge without limits", challenge_on_page(params=0), "Set at least one limit"),
    Case("page: a wrong teacher key", wrong_teacher_key_on_page, "That is not the teacher key."),
    # the Evaluate page, model files and the shift experiment
    Case("evaluate a run without a saved model", evaluate_as(model_path=None), "has no saved model (it ended before its first save"),
    Case("evaluate a run trained on XOR", evaluate_as(dataset="xor"), "trained on the XOR truth table, which has no test images to look at"),
    Case("evaluate a run still training", still_training, "is still training: these are the answers of its last saved epoch (epoch 1 of 5)"),
    Case("evaluate a damaged model file", evaluate_as(), "cannot be used: The file is not a Keras model", setup=broken_model),
    Case("evaluate a model file with code", evaluate_as(), "cannot be used: The model holds Python code", setup=lambda_model),
    Case("upload a picture as a model", sent(picture_bytes), "The file is not a Keras model (.keras) the lab can read"),
    Case("upload a model with a Lambda layer", sent(lambda_bytes), "The model holds Python code (a Lambda layer)"),
    Case("upload a model over the size limit", sent(lambda: b"PK" * 600_000, limit_mb="1"), "This file has 1.1 MB; the lab accepts model files of up to 1 MB (LAB_MAX_MODEL_MB)"),
    Case("upload a model for 32x32 colour images", sent(model_bytes(keras.layers.Flatten(), keras.layers.Dense(10), inputs=(32, 32, 3))), "This model takes inputs of shape (32, 32, 3), but MNIST handwritten digits images are (28, 28, 1)"),
    Case("upload a model with 5 outputs", sent(model_bytes(keras.layers.Flatten(), keras.layers.Dense(5))), "This model answers with shape (5,), but MNIST handwritten digits has 10 classes"),
    Case("upload a model for XOR", sent(model_bytes(keras.layers.Dense(1), inputs=(2,)), dataset="xor"), "Models can be uploaded for image datasets only"),
    Case("a shift of 28 pixels", shifted(28), "A shift of 28 pixels moves the whole 28-pixel image out of view: choose a shift from 0 to 27"),
    Case("a negative shift", shifted(-3), "A shift of -3 pixels is not possible: choose 0 or more"),
    Case("page: evaluate a damaged model file", evaluate_page(), "cannot be used: The file is not a Keras model", setup=broken_model),
    Case("page: evaluate a model file with code", evaluate_page(), "cannot be used: The model holds Python code", setup=lambda_model),
    Case("page: upload a picture as a model", evaluate_page("Model files", upload_on_page(picture_bytes, "digit.keras")), "The file is not a Keras model (.keras) the lab can read"),
    Case("page: upload a Lambda model", evaluate_page("Model files", upload_on_page(lambda_bytes)), "The model holds Python code (a Lambda layer)"),
    Case("page: upload a model over the limit", evaluate_page("Model files", upload_on_page(lambda: b"PK" * 600_000), limit_mb="1"), "the lab accepts model files of up to 1 MB"),
    Case("page: a shift larger than the image", evaluate_page("Shift experiment", largest_shift(30)), "A shift of 30 pixels moves the whole 28-pixel image out of view"),
]


@pytest.fixture
def world(trained_model) -> World:
    store = Store()
    run_id = install_model(trained_model, store)
    store.set_comment(run_id, PRESET_COMMENT)
    owner = identity.sign_in(store, OWNER_KEY)  # its owner's identity: not the name "teacher"
    store.update_run(run_id, owner_id=owner.id)
    return World(store, run_id)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_gets_a_message_and_changes_no_record(case: Case, world: World):
    if case.setup:
        case.setup(world)
    before = world.snapshot()
    try:
        shown = case.act(world)
        assert any(case.expect in m for m in shown), f"{case.expect!r} not in {shown!r}"
        assert world.unchanged_since(before), "the records changed"
    finally:
        for job in manager().active():
            manager().stop(job.id, job.owner)
            manager().wait(job.id, 60)


def test_the_catalogue_is_long_enough_and_names_are_unique():
    assert len(CASES) >= 60
    assert len({c.name for c in CASES}) == len(CASES)
