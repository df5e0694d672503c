"""The Evaluate page, and what issue "What the network gets right and wrong" added to Draw,
Train and Results, driven through Streamlit's AppTest with real trained models.

The figures the page shows are checked against `lab.evaluate` (itself checked against
plain Keras in test_evaluate.py); the widget keys are the page's own.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from appkit import digit_png, install_model, open_page, page, page_manager, seed_run, values
from lab import answers, evaluate, export
from lab.records.sqlite import SQLiteStore as Store


def view(at, name: str):
    at.segmented_control(key="eval_view").set_value(name).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def two_runs(trained_model) -> tuple[int, int]:
    """The session's run, and the same run continued by one epoch (another model)."""
    store = Store()
    first = install_model(trained_model, store)
    job = page_manager().continue_run(install_model(trained_model, store), 1, owner="ada", teacher=True)
    assert page_manager().wait(job.id, 120).status == "finished"
    return first, job.id


def test_evaluate_without_a_model_offers_train_and_upload():
    seed_run()  # no model file
    seed_run(dataset="xor", network="XOR 2-2-1")
    before = Store().runs()
    at = page("evaluate")
    assert at.title[0].value == "Evaluate"
    assert values(at.info) == ["There is no trained model to look at yet. Train a network on MNIST or Fashion-MNIST "
                               "on the Train page, or upload a Keras model below."]
    assert at.file_uploader(key="eval_files_upload_file") and at.button(key="eval_files_upload_go").disabled
    assert Store().runs() == before


def test_evaluate_a_run_gallery_and_confusion(trained_model):
    run_id = install_model(trained_model)
    seed_run()  # without a model: not listed, and said so
    at = page("evaluate")
    assert not at.error
    assert at.selectbox(key="eval_run").value == run_id
    assert "1 run not listed: without a saved model" in values(at.caption)[0]
    p = answers.for_run(Store().run(run_id), page_manager().models)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"Test images": "2,000", "Right": f"{int(p.correct.sum()):,}",
                       "Wrong": f"{int((~p.correct).sum()):,}", "Accuracy": f"{p.accuracy:.2%}"}

    # the gallery: every image, the most confidently wrong first, 24 to a page
    order = evaluate.gallery(p)
    tiles = at.image[0]
    assert len(tiles.value) == 24
    assert tiles.captions == [evaluate.caption(p, i) for i in order[:24]]
    assert tiles.captions[0].startswith(f"#{order[0]} · Digit: {p.labels[order[0]]} · Predicted: ")
    at.selectbox(key="eval_gallery_show").set_value("wrong").run()
    assert f"{int((~p.correct).sum()):,} test images" in values(at.caption)[1]
    at.selectbox(key="eval_gallery_show").set_value("class").run()
    at.selectbox(key="eval_gallery_class").set_value(3).run()
    threes = evaluate.gallery(p, 3)
    assert at.image[0].captions == [evaluate.caption(p, i) for i in threes[:24]]
    assert all(" · Digit: 3 · " in c for c in at.image[0].captions)

    # the confusion matrix starts at the most frequent mistake; the two boxes choose a cell
    view(at, "Confusion matrix")
    true, given = evaluate.worst_cell(p)
    assert at.selectbox(key=f"eval_cell_{run_id}_true").value == true
    assert at.selectbox(key=f"eval_cell_{run_id}_given").value == given
    cell = evaluate.cell(p, true, given)
    assert f"{len(cell):,} test images of class {true} were read as {given}:" in " ".join(values(at.caption))
    assert at.image[0].captions == [evaluate.caption(p, i) for i in cell[:24]]
    matrix = evaluate.confusion(p.labels, p.predicted, 10)
    t, g = max(((t, g) for t in range(10) for g in range(10) if t != g and (t, g) != (true, given)),
               key=lambda c: matrix[c])  # another mistake the network makes
    at.selectbox(key=f"eval_cell_{run_id}_true").set_value(t).run()
    at.selectbox(key=f"eval_cell_{run_id}_given").set_value(g).run()
    assert f"{matrix[t, g]:,} test images of class {t} were read as {g}" in " ".join(values(at.caption))
    assert at.image[0].captions == [evaluate.caption(p, i) for i in evaluate.cell(p, t, g)[:24]]
    assert all(f" · Digit: {t} · Predicted: {g} (" in c for c in at.image[0].captions)
    at.toggle(key=f"eval_cell_{run_id}_shares").set_value(True).run()
    assert not at.exception


def test_a_run_deleted_while_someone_looks_at_it_is_said_not_swapped_silently(trained_model):
    """A teacher deletes the run a learner is looking at; the learner's next click says so."""
    older, newer = install_model(trained_model), install_model(trained_model)
    at = page("evaluate")
    at.selectbox(key="eval_run").set_value(older).run()
    page_manager().delete(older, "ada", teacher=True)
    at.run()
    assert not at.exception
    assert at.selectbox(key="eval_run").value == newer
    assert f"Run {older} was deleted meanwhile: run {newer} is shown instead." in values(at.info)
    at.run()
    assert not any("deleted meanwhile" in i for i in values(at.info))  # said once

def test_one_image_explained(trained_model):
    run_id = install_model(trained_model)
    at = view(page("evaluate"), "One image")
    p = answers.for_run(Store().run(run_id), page_manager().models)
    first = int(evaluate.gallery(p)[0])
    assert at.number_input(key=f"eval_one_{run_id}").value == first  # the most confidently wrong image
    assert evaluate.explain(p.probs[first], p.class_names, int(p.labels[first])) in values(at.markdown)
    at.number_input(key=f"eval_one_{run_id}").set_value(11).run()
    sentence = evaluate.explain(p.probs[11], p.class_names, int(p.labels[11]))
    assert sentence in values(at.markdown) and sentence.startswith("The largest of the ten numbers is in place ")
    assert at.metric[-1].label == "The network reads" and at.metric[-1].value == str(p.predicted[11])
    assert evaluate.top_answers(p.probs[11], p.class_names) in values(at.caption)
    assert np.allclose(at.dataframe[0].value.to_numpy()[0], p.probs[11])
    at.number_input(key=f"eval_one_{run_id}").set_value(5000).run()
    assert values(at.error) == ["Test image number (the # in the gallery's titles) 5,000 does not exist here: "
                                "choose one from 0 to 1,999."]


def test_compare_two_runs_and_the_shift_experiment(trained_model):
    first, second = two_runs(trained_model)
    at = view(page("evaluate"), "Compare two runs")
    at.selectbox(key="eval_run").set_value(first).run()
    assert at.selectbox(key="eval_compare_other").value == second
    models = page_manager().models
    a, b = answers.for_run(Store().run(first), models), answers.for_run(Store().run(second), models)
    table = at.dataframe[0].value
    expected = evaluate.compare(a, b, (f"run {first}", f"run {second}"))
    assert table["verdict"].tolist() == expected["verdict"].tolist()
    assert table["change (points)"].tolist() == pytest.approx(expected["change (points)"].tolist())
    only_first, only_second = evaluate.disagreements(a, b)
    texts = values(at.markdown)
    assert f"**{len(only_first):,}** test images run {first} gets right and run {second} gets wrong" in " ".join(texts)
    shown = [img for img in at.image]
    assert shown[-1].captions == [evaluate.caption_two(a, b, i, (f"run {first}", f"run {second}"))
                                  for i in only_second[:24]]

    view(at, "Shift experiment")
    assert at.multiselect(key="eval_shift_runs").value == [first, second]
    at.button(key="eval_shift_go").click().run()
    assert not at.exception and not at.error
    curve = at.dataframe[0].value
    assert curve.shape == (2, 9)
    assert curve.iloc[:, 0].tolist() == pytest.approx([a.correct[:1000].mean(), b.correct[:1000].mean()])
    assert len(at.image[-1].value) == 9 and at.image[-1].captions[8].startswith("8 px · run ")
    at.number_input(key="eval_shift_largest").set_value(30).run()
    assert values(at.error) == ["A shift of 30 pixels moves the whole 28-pixel image out of view: choose a shift "
                                "from 0 to 27 (a few pixels already show the effect)."]
    assert not [b for b in at.button if b.key == "eval_shift_go"]


def test_model_files_download_and_upload(trained_model):
    run_id = install_model(trained_model)
    at = view(page("evaluate"), "Model files")
    run = Store().run(run_id)
    labels = {b.label for b in at.get("download_button")}
    assert labels == {"Download the model (.keras)", "Download the spec (JSON)"}
    spec = json.loads(export.spec_document(run, page_manager().models.locate(run)))
    assert spec["name"] == "Workshop 16-16-10" and spec["train"]["train_limit"] == 1000
    assert spec["run"]["test accuracy"] == run.test_acc

    before = Store().runs()
    at.file_uploader(key="eval_files_upload_file").set_value(("not a model.keras", b"PK\x03\x04junk",
                                                              "application/octet-stream")).run()
    at.button(key="eval_files_upload_go").click().run()
    assert any(e.startswith("The file is not a Keras model (.keras) the lab can read") for e in values(at.error))
    assert Store().runs() == before

    _, path = trained_model
    at.file_uploader(key="eval_files_upload_file").set_value(("my net.keras", path.read_bytes(),
                                                              "application/octet-stream"))
    at.text_input(key="eval_files_upload_name").set_value("**bold** net").run()
    at.button(key="eval_files_upload_go").click().run()
    assert not at.exception and not at.error
    new = Store().runs()[0]
    assert (new.network, new.origin, new.status) == ("**bold** net", "uploaded", "finished")
    assert at.selectbox(key="eval_run").value == new.id  # the upload is the run shown now
    assert values(at.toast) == [f"The model is now run {new.id}."]
    open_page(at, "pages/draw.py")  # and it can be drawn for
    assert any(o.startswith(f"run {new.id}: **bold** net on mnist") for o in at.selectbox(key="draw_model").options)


def test_draw_compares_two_models_and_says_the_top_three(trained_model):
    first, second = two_runs(trained_model)
    at = page("draw")
    assert at.toggle(key="draw_centre").value is True
    at.selectbox(key="draw_model").set_value(first)
    at.toggle(key="draw_compare").set_value(True).run()
    at.selectbox(key="draw_model_b").set_value(second)
    png, _ = digit_png(3)
    at.file_uploader(key="draw_upload").set_value(("digit.png", png, "image/png")).run()
    assert not at.exception and not at.error
    assert [m.label for m in at.metric] == [f"Run {first} reads", f"Run {second} reads"]
    tops = [c for c in values(at.caption) if c.startswith("First choice ")]
    assert len(tops) == 2 and all(c.count(", then ") == 2 for c in tops)
    assert tops[0].startswith(f"First choice {at.metric[0].value} (")
    at.selectbox(key="draw_model").set_value(second).run()  # the second model becomes the first
    assert not any("deleted" in i for i in values(at.info))  # it left the second list, it was not deleted


def test_train_says_there_is_no_gpu_and_results_show_speed_and_downloads(trained_model):
    at = page("train")
    assert any(c.startswith("This server has no GPU: every run trains on its CPU (") for c in values(at.caption))
    run_id = install_model(trained_model)
    run = Store().run(run_id)
    open_page(at, "pages/results.py")
    row = at.dataframe[0].value.set_index("run").loc[run_id]
    assert row["device"] == run.device and row["device"].startswith("CPU (")
    assert row["s per epoch"] == pytest.approx(run.duration_s / run.epochs_done, abs=0.01)
    assert {b.label for b in at.get("download_button")} >= {"Download the model (.keras)",
                                                            "Download the spec (JSON)"}
    assert f"Download run {run_id}" in [h.value for h in at.subheader]
