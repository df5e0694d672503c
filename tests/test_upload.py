"""lab.upload: an uploaded model file is checked without running code in it, then recorded as
a run of its own (origin "uploaded") that every page lists; a refused one changes nothing."""

from __future__ import annotations

import io
import shutil
import sqlite3
import tracemalloc
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest
from PIL import Image

import lab.data
from appkit import page_manager
from lab import answers, predict, results, upload
from lab.records.migrations import LATEST
from lab.records.sqlite import SQLiteStore as Store
from lab.settings import settings

FIXTURE = Path(__file__).parent / "fixtures" / "runs_before_migrations.sqlite"


def saved(model) -> bytes:
    """A Keras model as the bytes of its .keras file, as a browser would send them."""
    path = settings().home / "made" / "model.keras"
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path)
    return path.read_bytes()


def send(raw: bytes, name: str = "mine.keras", dataset: str = "mnist", **more) -> int:
    manager = page_manager()
    return upload.receive(raw, name, dataset, manager.store, manager.models, owner="ada", owner_id="p1", **more)


def nothing_recorded() -> None:
    folder = settings().models_dir
    assert Store().runs() == []
    assert sorted(p.name for p in folder.iterdir()) == [], "no file may stay behind"


def test_an_uploaded_model_becomes_a_run_that_every_page_lists(trained_model):
    run_before, path = trained_model
    run_id = send(path.read_bytes(), "workshop net.keras")
    run = Store().run(run_id)
    models = page_manager().models
    assert (run.status, run.origin, run.owner, run.owner_id, run.dataset) == ("finished", "uploaded", "ada", "p1", "mnist")
    assert run.network == "workshop net" and run.comment == "uploaded as workshop net.keras"
    assert run.architecture == "Flatten > Dense(16, relu) > Dense(16, relu) > Dense(10, softmax)"
    assert run.activations == "relu, relu, softmax" and run.params == run_before.params
    assert run.test_acc == pytest.approx(run_before.test_acc, abs=1e-6)  # the same model, the same test set
    assert models.locate(run) == models.target(run_id)
    assert models.locate(run).read_bytes() == path.read_bytes()
    kept = models.predictions(run)
    stamp = kept.stat().st_mtime_ns
    p = answers.for_run(run, models)  # its answers were kept when it was uploaded
    assert kept.stat().st_mtime_ns == stamp and p.accuracy == pytest.approx(run.test_acc)
    assert predict.draws_for(run.dataset)
    row = results.table(Store().runs()).iloc[0]
    assert row["run"] == run_id and row["status"] == "finished" and row["s per epoch"] is None
    assert [f.name for f in models.folder.iterdir() if "tmp" in f.name] == []


def test_a_model_with_code_is_refused_unrun():
    ran = []
    net = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                            keras.layers.Lambda(lambda x: ran.append(1) or x * 2),
                            keras.layers.Dense(10, activation="softmax")])
    ran.clear()
    raw = saved(net)
    with pytest.raises(upload.UploadError, match=r"The model holds Python code \(a Lambda layer\); the lab never runs "
                                                 "code from a model file"):
        send(raw)
    assert ran == []
    nothing_recorded()


def test_a_model_whose_layer_this_lab_does_not_know_is_refused():
    @keras.saving.register_keras_serializable(package="elsewhere")
    class Doubler(keras.layers.Layer):
        def call(self, x):
            return x * 2

    raw = saved(keras.Sequential([keras.Input((28, 28, 1)), Doubler(), keras.layers.Flatten(),
                                  keras.layers.Dense(10)]))
    del keras.saving.get_custom_objects()["elsewhere>Doubler"]  # as on a lab that never saw that code
    with pytest.raises(upload.UploadError, match=r"Keras could not read the model file \(") as refused:
        send(raw)
    reason, advice = str(refused.value).split("). ")
    assert advice == 'Upload a file saved by Keras 3 with model.save("name.keras").'
    assert reason.endswith(" …")  # Keras says a long paragraph here: cut after a whole word
    nothing_recorded()


@pytest.mark.parametrize("model, message", [
    (lambda: keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Flatten(), keras.layers.Dense(10)]),
     "This model takes inputs of shape (32, 32, 3), but MNIST handwritten digits images are (28, 28, 1) (784 "
     "numbers each)."),
    (lambda: keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(5)]),
     "This model answers with shape (5,), but MNIST handwritten digits has 10 classes: its last layer must give "
     "10 numbers"),
    (lambda: keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, activation="relu"), keras.layers.Dense(1)]),
     "This model takes inputs of shape (2,), but MNIST handwritten digits images are (28, 28, 1)"),
    (lambda: two_inputs(), "This model has 2 inputs and 1 outputs"),
    (lambda: keras.Sequential([keras.layers.Flatten(), keras.layers.Dense(10)]),  # never built
     "This model was saved before it was built, so it has no input shape"),
])
def test_shapes_are_checked_against_the_dataset(model, message):
    with pytest.raises(upload.UploadError) as refused:
        send(saved(model()))
    assert message in str(refused.value)
    nothing_recorded()


def bomb(members: dict[str, int]) -> bytes:
    """A small .keras-looking file whose members unpack to ``members[name]`` bytes of spaces."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, size in members.items():
            with archive.open(name, "w", force_zip64=True) as member:
                for start in range(0, size, 2**20):
                    member.write(b" " * min(2**20, size - start))
    return buf.getvalue()


def test_a_small_upload_that_unpacks_to_a_huge_one_is_refused_without_unpacking_it(monkeypatch):
    """A file within the upload limit that would unpack to far more (a zip bomb) is refused
    from the archive's index or after reading at most `CONFIG_LIMIT` bytes of it: the
    server's memory never holds it."""
    config = bomb({"config.json": 64 * 2**20})  # 64 MB of spaces where the model's description goes
    assert len(config) < 2**20
    with pytest.raises(upload.UploadError, match=r"The model's description \(config.json\) is over 4 MB"):
        send(config)
    raw = bomb({"config.json": 2**27})  # 128 MB unpacked, within 2 x LAB_MAX_MODEL_MB (100 MB)
    tracemalloc.start()
    try:
        with pytest.raises(upload.UploadError, match="is over 4 MB"):
            send(raw)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 32 * 2**20, f"{peak / 2**20:.0f} MB held while refusing it"
    monkeypatch.setenv("LAB_MAX_MODEL_MB", "4")
    weights = bomb({"config.json": 10, "model.weights.h5": 9 * 2**20})
    with pytest.raises(upload.UploadError, match=r"The file unpacks to 9 MB, more than the lab reads \(8 MB\)"):
        send(weights)
    nothing_recorded()



def config_only(text: str) -> bytes:
    """A small .keras-looking file holding only ``text`` as its config.json."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("config.json", text)
    return buf.getvalue()


@pytest.mark.parametrize("text, message", [
    ("[" * 100_000 + "]" * 100_000, "is not a Keras model"),  # deeper than Python's JSON reader goes
    ('{"a": ' * 500 + "1" + "}" * 500, "is nested more than 200 levels deep"),  # read, but no model nests so
])
def test_a_config_nested_absurdly_deep_is_refused_in_a_sentence(text, message):
    raw = config_only(text)
    assert len(raw) < 2_000
    with pytest.raises(upload.UploadError, match=message):
        send(raw)
    nothing_recorded()

def two_inputs():
    a, b = keras.Input((28, 28, 1)), keras.Input((28, 28, 1))
    out = keras.layers.Dense(10)(keras.layers.Flatten()(keras.layers.Add()([a, b])))
    return keras.Model([a, b], out)


def test_a_flat_input_and_a_model_without_softmax_are_read_as_they_are():
    """784 inputs in a row and raw scores (logits) out: the images are reshaped, the scores
    turned into probabilities, and the answers are Keras' own."""
    net = keras.Sequential([keras.Input((784,)), keras.layers.Dense(10)])
    run_id = send(saved(net), "flat.keras")
    ds = lab.data.load("mnist")
    p = answers.for_run(Store().run(run_id), page_manager().models)
    assert np.allclose(p.probs.sum(axis=1), 1, atol=1e-5)
    assert np.array_equal(p.predicted, net.predict(ds.scaled(ds.x_test).reshape(-1, 784), verbose=0).argmax(axis=1))


def test_files_that_are_not_models_over_the_limit_or_damaged_are_refused(monkeypatch, trained_model):
    _, path = trained_model
    picture = io.BytesIO()
    Image.fromarray(lab.data.load("mnist").x_test[0]).save(picture, format="PNG")
    cases = [
        (picture.getvalue(), "The file is not a Keras model (.keras) the lab can read: it is damaged or of another kind."),
        (path.read_bytes()[:5000], "The file is not a Keras model (.keras) the lab can read"),
        (b"", "This file is empty: upload a Keras model file (.keras)."),
        (zip_with({"metadata.json": "{}"}), "The file is not a Keras model (.keras) the lab can read"),
    ]
    for raw, message in cases:
        with pytest.raises(upload.UploadError) as refused:
            send(raw)
        assert message in str(refused.value)
    with pytest.raises(upload.UploadError, match="Models can be uploaded for image datasets only"):
        send(path.read_bytes(), dataset="xor")
    with pytest.raises(upload.UploadError, match="That name has 81 characters: use at most 80."):
        send(path.read_bytes(), name="x" * 81)
    monkeypatch.setenv("LAB_MAX_MODEL_MB", "1")
    big = saved(keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(512),
                                  keras.layers.Dense(10)]))
    assert len(big) > 2**20
    with pytest.raises(upload.UploadError, match=rf"This file has {len(big) / 2**20:.1f} MB; the lab accepts model "
                                                 r"files of up to 1 MB \(LAB_MAX_MODEL_MB\)"):
        send(big)
    nothing_recorded()


def zip_with(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    return buf.getvalue()


def test_records_written_before_origins_existed_gain_the_column(tmp_path):
    path = tmp_path / "runs.sqlite"
    shutil.copy(FIXTURE, path)
    store = Store(path)
    assert store.schema_version() == LATEST
    db = sqlite3.connect(path)
    assert "origin" in [r[1] for r in db.execute("PRAGMA table_info(runs)")]
    db.close()
    assert [r.origin for r in store.runs()] == [None, None, None]  # trained by the lab
    store.update_run(1, origin=upload.ORIGIN)
    assert store.run(1).origin == "uploaded" and store.run(1).owner == "ada"
