"""Training throughput: the lab's job runner against a plain ``model.fit``.

The lab trains through `lab.jobs.JobManager` (worker thread, live-progress
callback that samples the in-epoch line and checks Stop every batch, every
epoch written to SQLite, the model saved, the test set evaluated). The
baseline is what a learner would type: the same arrays (`lab.prepare.arrays`),
the same compiled model (`lab.build`), the same seed, batch size and
validation data, and ``model.fit(verbose=0)`` with no callbacks.

Baseline and lab run alternately in one process (baseline, lab, baseline,
lab, ...), after one uncounted warm-up pair, and two ratios are reported:

* fit only: training images / seconds inside ``model.fit`` (one wrapper
  around ``keras.Model.fit`` times both, validation included). This is the
  cost of live progress; the issue's goal is lab/baseline >= 0.97.
* whole job: baseline = arrays + build + fit + test evaluation; lab =
  ``submit`` to ``wait`` returning (also validates the spec, records the
  run, saves the .keras file). Both start from the dataset already loaded
  in memory (the lab caches it per process).

Usage (from the project root):
    .venv/bin/python bench/throughput.py                      # defaults, about 4-5 minutes
    .venv/bin/python bench/throughput.py --rounds 3 --presets workshop_16_16_10
    .venv/bin/python bench/throughput.py --cnn-limit 0 --epochs 2   # full 60k for the CNN too
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (sets LAB_OFFLINE, LAB_HOME before lab is imported)

import keras  # noqa: E402

from lab import data, prepare  # noqa: E402
from lab.build import build_model, compile_model  # noqa: E402
from lab.jobs import JobManager  # noqa: E402
from lab.spec import load_presets  # noqa: E402
from lab.store import Store  # noqa: E402


def baseline(model, train, ds, timer: common.FitTimer) -> dict:
    """Plain Keras: same arrays, model, seed and fit arguments as the lab's Trainer."""
    t0 = time.perf_counter()
    keras.utils.set_random_seed(train.seed)
    arr = prepare.arrays(ds, model, train)
    net = compile_model(build_model(model, ds.input_shape), train)
    validation = (arr.x_val, arr.y_val) if arr.x_val is not None else None
    hist = net.fit(arr.x_fit, arr.y_fit, batch_size=train.batch_size, epochs=train.epochs,
                   validation_data=validation, verbose=0, shuffle=True)
    test = net.evaluate(arr.x_test, arr.y_test, batch_size=512, verbose=0, return_dict=True)
    whole = time.perf_counter() - t0
    del net
    gc.collect()  # the lab's worker does this too, inside its timed job
    (fit,) = timer.take()
    return {"fit_s": fit["seconds"], "whole_s": whole, "images": len(arr.x_fit) * train.epochs,
            "val_acc": hist.history.get("val_accuracy", [float("nan")])[-1],
            "test_acc": float(test["accuracy"]), "thread": fit["thread"]}


def lab_job(manager: JobManager, model, train, timer: common.FitTimer, n_fit: int) -> dict:
    """The lab: submit a job and wait for it, as a page would (minus the polling)."""
    t0 = time.perf_counter()
    job = manager.submit(model, train, owner="bench")
    state = manager.wait(job.id)
    whole = time.perf_counter() - t0
    if state["status"] != "finished":
        raise RuntimeError(f"lab job ended {state['status']}: {state['error'] or state['message']}")
    (fit,) = timer.take()
    return {"fit_s": fit["seconds"], "whole_s": whole, "images": n_fit * train.epochs,
            "val_acc": state["history"][-1].get("val_accuracy", float("nan")),
            "test_acc": state["test_acc"], "thread": fit["thread"], "samples": len(state["samples"])}


def bench_preset(key: str, train_limit: int, epochs: int, rounds: int, dataset: str,
                 manager: JobManager, timer: common.FitTimer) -> dict:
    preset = load_presets()[key]
    model = preset.model
    train = replace(preset.train, dataset=dataset, train_limit=train_limit, epochs=epochs)
    ds = data.load(dataset)
    n_fit = len(prepare.arrays(ds, model, train).x_fit)
    print(f"\n{key}: {model.architecture()}")
    print(f"  {n_fit} training images x {epochs} epoch(s), batch {train.batch_size}, "
          f"{train.optimizer}, validation {train.validation_split:g}, seed {train.seed}")
    # Warm-up pair, not counted: first-use costs (thread pools, kernels, graph tracing caches).
    small = replace(train, epochs=1, train_limit=min(n_fit, 5000) or 5000)
    baseline(model, small, ds, timer)
    lab_job(manager, model, small, timer, len(prepare.arrays(ds, model, small).x_fit))
    pairs = []
    for r in range(1, rounds + 1):
        b = baseline(model, train, ds, timer)
        lab = lab_job(manager, model, train, timer, n_fit)
        pair = {"round": r, "baseline": b, "lab": lab,
                "fit_ratio": (lab["images"] / lab["fit_s"]) / (b["images"] / b["fit_s"]),
                "whole_ratio": b["whole_s"] / lab["whole_s"]}
        pairs.append(pair)
        print(f"  round {r}: baseline fit {b['fit_s']:6.2f} s ({b['images'] / b['fit_s']:7.0f} img/s), "
              f"lab fit {lab['fit_s']:6.2f} s ({lab['images'] / lab['fit_s']:7.0f} img/s), "
              f"fit ratio {pair['fit_ratio']:.3f} | whole: baseline {b['whole_s']:6.2f} s, "
              f"lab {lab['whole_s']:6.2f} s, ratio {pair['whole_ratio']:.3f} | "
              f"val acc {b['val_acc']:.4f} / {lab['val_acc']:.4f}", flush=True)
    med = statistics.median
    return {
        "preset": key, "images": n_fit, "epochs": epochs, "rounds": rounds,
        "base_ips": med(p["baseline"]["images"] / p["baseline"]["fit_s"] for p in pairs),
        "lab_ips": med(p["lab"]["images"] / p["lab"]["fit_s"] for p in pairs),
        "fit_ratio": med(p["fit_ratio"] for p in pairs),
        "fit_ratio_min": min(p["fit_ratio"] for p in pairs),
        "fit_ratio_max": max(p["fit_ratio"] for p in pairs),
        "base_whole_s": med(p["baseline"]["whole_s"] for p in pairs),
        "lab_whole_s": med(p["lab"]["whole_s"] for p in pairs),
        "whole_ratio": med(p["whole_ratio"] for p in pairs),
        "pairs": pairs,
    }


def table(results: list[dict], goal: float) -> str:
    head = ("| preset | train images x epochs | rounds | baseline fit img/s | lab fit img/s "
            "| fit-only ratio lab/baseline (min-max) | baseline whole s | lab whole job s "
            "| whole-job ratio | fit goal >= " + f"{goal:g} |")
    rows = [head, "|" + " --- |" * 10]
    for r in results:
        ok = "met" if r["fit_ratio"] >= goal else "NOT met"
        rows.append(f"| {r['preset']} | {r['images']} x {r['epochs']} | {r['rounds']} | {r['base_ips']:,.0f} "
                    f"| {r['lab_ips']:,.0f} | {r['fit_ratio']:.3f} ({r['fit_ratio_min']:.3f}-"
                    f"{r['fit_ratio_max']:.3f}) | {r['base_whole_s']:.2f} | {r['lab_whole_s']:.2f} "
                    f"| {r['whole_ratio']:.3f} | {ok} |")
    return "\n".join(rows)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--presets", default="workshop_16_16_10,cnn_32_64_64",
                   help="comma-separated preset keys (models/presets/*.json)")
    p.add_argument("--dataset", default="fashion_mnist")
    p.add_argument("--epochs", type=int, default=2, help="epochs per run (default 2)")
    p.add_argument("--mlp-limit", type=int, default=0,
                   help="train_limit for dense presets (0 = all 60,000 images; default 0)")
    p.add_argument("--cnn-limit", type=int, default=10000,
                   help="train_limit for presets with Conv2D layers (0 = all; default 10000)")
    p.add_argument("--rounds", type=int, default=5, help="baseline/lab pairs per preset (default 5)")
    p.add_argument("--goal", type=float, default=0.97, help="fit-only ratio the issue asks for")
    p.add_argument("--json", type=Path, help="also write every measurement to this JSON file")
    args = p.parse_args(argv)

    print(f"Machine: {common.machine()}")
    t0 = time.perf_counter()
    ds = data.load(args.dataset)
    print(f"Data: {args.dataset}, {len(ds.x_train)} train / {len(ds.x_test)} test images, "
          f"from {ds.source} (loaded in {time.perf_counter() - t0:.1f} s)")
    timer = common.FitTimer()
    manager = JobManager(Store(common.HOME / "runs.sqlite"), max_running=1, model_dir=common.HOME / "trained")
    presets = load_presets()
    results = []
    for key in [k.strip() for k in args.presets.split(",") if k.strip()]:
        conv = any(layer.kind == "Conv2D" for layer in presets[key].model.layers)
        limit = args.cnn_limit if conv else args.mlp_limit
        results.append(bench_preset(key, limit, args.epochs, args.rounds, args.dataset, manager, timer))
    print(f"\nMedians over rounds (alternating baseline, lab); total {time.perf_counter() - t0:.0f} s\n")
    print(table(results, args.goal))
    print("\nfit-only: training images / seconds inside model.fit (validation included), same timer for both."
          "\nwhole job: baseline = prepare.arrays + build + fit + evaluate(test); lab = submit() to wait()"
          " (adds validate, SQLite records, saving the .keras file). Ratio = baseline s / lab s.")
    if args.json:
        args.json.write_text(json.dumps({"machine": common.machine(), "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
