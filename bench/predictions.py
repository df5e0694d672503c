"""A run's answers on the whole test set: `lab.answers` against plain ``model.predict``.

The Evaluate page shows a run's probabilities for every test image, kept beside its
model file: handed over by the run's own test at the end of training, or computed once
on the first visit. This trains each preset briefly through the lab's own job manager
(so the run has a real model file and real weights), times opening it on Evaluate right
after training (once: the answers its test kept), then, alternating in one process:

* test, plain: ``model.evaluate`` on the test set (what a training run ends with in plain
  Keras: loss and accuracy only);
* test, lab: `lab.scoring.score`, the lab's end-of-training test: the same loss and
  accuracy and every answer, from one pass;
* plain: ``model.predict(x)`` on the scaled test images, the model already loaded (what
  a learner would type);
* lab, float32: `lab.answers.of_model` on the same loaded model and images (the very
  numbers of ``model.predict``);
* lab, compute: `lab.answers.quick`, what the lab computes anew with: on a CPU with
  bfloat16 matrix units (`lab.bf16`), a bfloat16 copy of the CNN, its answers checked in
  float32 near ties; elsewhere (or with ``LAB_BF16=0``) the float32 route above;
* lab, first open: `lab.answers.for_run` with nothing kept yet (read the .keras file,
  scale the images, compute, write the kept file);
* lab, open again: `lab.answers.for_run` when the answers are kept (what every later
  visit costs);
* the shift experiment's curve for the run (`lab.shift.curve`: 1,000 test images moved
  0 to 8 pixels, 9,000 answers), computed in float32 (``LAB_BF16=0``) and as the lab
  computes it; both must give the same accuracies.

Each in wall time (median of the rounds) and process CPU time (all threads), with the
share of the cores other programs used. It also counts the multiply-adds of one image
(convolutions and dense layers) to say how close to the CPU's arithmetic limit the
compute runs. It checks that the float32 route's answers and the ones a run's test kept
are exactly plain Keras', and that the lab's computed answers give every image the same
class (and says by how much their probabilities differ).

Usage (from the project root):
    .venv/bin/python bench/predictions.py                        # both CNN presets, Fashion-MNIST's 10,000 test images
    .venv/bin/python bench/predictions.py --presets workshop_16_16_10,mlp_512_512 --rounds 3
    LAB_BF16=0 .venv/bin/python bench/predictions.py             # float32 throughout
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (sets LAB_OFFLINE, LAB_HOME before lab is imported)

import keras  # noqa: E402
import numpy as np  # noqa: E402

from lab import answers, bf16, data, predict, scoring, shift  # noqa: E402
from lab.jobs import JobManager  # noqa: E402
from lab.records.sqlite import SQLiteStore as Store  # noqa: E402
from lab.spec import load_presets  # noqa: E402


def timed(fn) -> tuple[object, float, float]:
    """(result, wall seconds, process CPU seconds) of one call."""
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - t0, time.process_time() - c0


def multiply_adds(model) -> int:
    """Multiply-adds of one image through the Conv2D and Dense layers (the arithmetic that
    matters; pooling, activations and dropout are a rounding error)."""
    total = 0
    for layer in model.layers:
        config = layer.get_config()
        if isinstance(layer, keras.layers.Conv2D):
            _, h, w, filters = layer.output.shape
            k = int(np.prod(config["kernel_size"]))
            total += h * w * filters * k * layer.input.shape[-1]
        elif isinstance(layer, keras.layers.Dense):
            total += int(layer.input.shape[-1]) * config["units"]
    return int(total)


def trained_run(manager: JobManager, key: str, dataset: str, limit: int, epochs: int):
    preset = load_presets()[key]
    train = replace(preset.train, dataset=dataset, train_limit=limit, epochs=epochs)
    job = manager.submit(preset.model, train, owner="bench")
    outcome = manager.wait(job.id, 3600)
    if outcome.status != "finished":
        raise SystemExit(f"training {key} ended {outcome.status}: {outcome.error}")
    return manager.store.run(job.id)


def seconds(t) -> str:
    """A (wall, CPU) pair of seconds as a table cell: "1.02 (1.85)"."""
    return f"{t[0]:.2f} ({t[1]:.2f})"


def float32_only(fn):
    """``fn()`` with ``LAB_BF16=0`` (the float32 route), the setting restored after."""
    old = os.environ.get("LAB_BF16")
    os.environ["LAB_BF16"] = "0"
    try:
        return fn()
    finally:
        if old is None:
            del os.environ["LAB_BF16"]
        else:
            os.environ["LAB_BF16"] = old


def bench(key: str, args, manager: JobManager) -> dict:
    run = trained_run(manager, key, args.dataset, args.train_limit, args.epochs)
    models = manager.models
    path = models.locate(run)
    ds = data.load(args.dataset)
    after_training, *open_after = timed(lambda: answers.for_run(run, models))  # the run's test kept them
    model = keras.models.load_model(path, compile=False)
    tested = keras.models.load_model(path)  # compiled as trained, for the test
    x, y = ds.scaled(ds.x_test), keras.utils.to_categorical(ds.y_test, len(ds.class_names))
    model.predict(x[:512], verbose=0)  # uncounted warm-up of every code path
    answers.of_model(model, x[:512])
    tested.evaluate(x[:512], y[:512], batch_size=512, verbose=0)
    scoring.score(tested, x[:512], y[:512])
    rows = {"test, plain": [], "test, lab": [], "plain": [], "float32": [], "compute": [], "first open": [],
            "open again": [], "shift, float32": [], "shift": []}
    others, strays = [], []
    for _ in range(args.rounds):
        common.wait_idle(args.max_others, timeout_s=args.idle_timeout)
        watch = common.Others()
        figures, *t = timed(lambda: tested.evaluate(x, y, batch_size=512, verbose=0, return_dict=True))
        rows["test, plain"].append(t)
        score, *t = timed(lambda: scoring.score(tested, x, y))
        rows["test, lab"].append(t)
        assert abs(score.accuracy - figures["accuracy"]) < 1e-6 and abs(score.loss - figures["loss"]) < 1e-4
        plain, *t = timed(lambda: model.predict(ds.scaled(ds.x_test), verbose=0))
        rows["plain"].append(t)
        exact, *t = timed(lambda: answers.of_model(model, ds.scaled(ds.x_test)))
        rows["float32"].append(t)
        ours, *t = timed(lambda: answers.quick(model, ds.scaled(ds.x_test)))
        rows["compute"].append(t)
        models.predictions(run).unlink(missing_ok=True)
        predict.load_model.cache_clear()  # a first open reads the model file too
        opened, *t = timed(lambda: answers.for_run(run, models))
        rows["first open"].append(t)
        again, *t = timed(lambda: answers.for_run(run, models))
        rows["open again"].append(t)
        exact_curve, *t = timed(lambda: float32_only(lambda: shift.curve(model, ds, "right")))
        rows["shift, float32"].append(t)
        curve, *t = timed(lambda: shift.curve(model, ds, "right"))
        rows["shift"].append(t)
        assert curve == exact_curve
        others.append(watch.share())
        assert np.array_equal(exact, plain) and np.array_equal(again.probs, opened.probs)
        assert np.array_equal(score.outputs, plain) and np.array_equal(after_training.probs, plain)
        for computed in (ours, opened.probs):  # the same class for every image, probabilities a little apart
            assert np.array_equal(computed.argmax(axis=1), plain.argmax(axis=1))
            strays.append(float(np.abs(computed - plain).max()))
    out = {"preset": key, "images": len(x), "macs": multiply_adds(model), "others": max(others), "stray": max(strays),
           "test_acc": opened.accuracy, "open after training": tuple(open_after)}
    for name, values in rows.items():
        out[name] = (statistics.median(v[0] for v in values), statistics.median(v[1] for v in values))
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--presets", default="cnn_32_64_64,cnn_32_64_128")
    p.add_argument("--dataset", default="fashion_mnist")
    p.add_argument("--train-limit", type=int, default=3000, help="images each preset trains on (1 epoch)")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--max-others", type=float, default=0.10, help="wait until other programs use less than this")
    p.add_argument("--idle-timeout", type=float, default=60.0)
    args = p.parse_args(argv)

    print(f"Machine: {common.machine()}")
    ds = data.load(args.dataset)
    print(f"Test set: {len(ds.y_test):,} images from {ds.source}; {args.rounds} rounds, medians")
    route = ("a bfloat16 copy of each CNN, answers near ties checked in float32" if bf16.wanted() else
             "float32 (LAB_BF16=0, no bfloat16 matrix units, or a GPU)")
    print(f"Lab compute route: {route}\n")
    manager = JobManager(Store())
    results = [bench(k.strip(), args, manager) for k in args.presets.split(",") if k.strip()]
    print("| preset | multiply-adds per image | plain `model.predict` s (CPU s) | lab float32 s (CPU s) | "
          "lab compute s (CPU s) | lab first open s (CPU s) | lab open again ms | compute / plain | "
          "first open / plain | float32 GFLOP/s of CPU time | largest probability difference | others, max |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        flops = 2 * r["macs"] * r["images"]
        cells = [r["preset"], f"{r['macs'] / 1e6:.1f} M"]
        cells += [seconds(r[k]) for k in ("plain", "float32", "compute", "first open")]
        cells += [f"{r['open again'][0] * 1000:.0f}", f"{r['compute'][0] / r['plain'][0]:.2f}",
                  f"{r['first open'][0] / r['plain'][0]:.2f}", f"{flops / r['float32'][1] / 1e9:.0f}",
                  f"{r['stray']:.4f}", f"{r['others']:.0%}"]
        print("| " + " | ".join(cells) + " |")
    print("\nAt the end of training: the lab's test (figures and answers, one pass) against plain `model.evaluate`, "
          "and opening the run on Evaluate right after\n")
    print("| preset | plain `model.evaluate` s (CPU s) | lab test with answers s (CPU s) | lab / plain | "
          "Evaluate, first open after training ms |")
    print("| --- | --- | --- | --- | --- |")
    for r in results:
        plain, lab = r["test, plain"], r["test, lab"]
        print(f"| {r['preset']} | {seconds(plain)} | {seconds(lab)} | {lab[0] / plain[0]:.2f} | "
              f"{r['open after training'][0] * 1000:.0f} |")
    print("\nThe shift experiment's curve for the run: 1,000 test images moved 0-8 pixels right\n")
    print("| preset | float32 s (CPU s) | lab s (CPU s) | lab / float32 |")
    print("| --- | --- | --- | --- |")
    for r in results:
        plain, lab = r["shift, float32"], r["shift"]
        print(f"| {r['preset']} | {seconds(plain)} | {seconds(lab)} | {lab[0] / plain[0]:.2f} |")
    print("\nIn every round: the float32 route's answers and the ones the run's test kept are identical to "
          "`model.predict`'s (np.array_equal); the lab's computed answers give every image the class "
          "`model.predict` gives, and its shift curves equal float32's; the lab test's loss and accuracy equal "
          "`evaluate`'s (to 1e-4, 1e-6). Test accuracies " + ", ".join(f"{r['preset']} {r['test_acc']:.4f}" for r in results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
