"""Training throughput: the lab's job runner against a plain ``model.fit``.

The lab trains through `lab.jobs.JobManager` (worker thread, live-progress
callback that samples the in-epoch line and checks Stop every batch, every
epoch written to SQLite, the model saved, the test set evaluated). The
baseline is what a learner would type: the same arrays (`lab.prepare.arrays`),
the same compiled model (`lab.build`), the same seed, batch size and
validation data, and ``model.fit(verbose=0)`` with no callbacks.

Baseline and lab run alternately in one process (baseline, lab, baseline,
lab, ...), after one uncounted warm-up pair, and two ratios are reported,
each as the median of the per-round ratios:

* fit only: training images / seconds inside ``model.fit`` (one wrapper
  around ``keras.Model.fit`` times both, validation included). This is the
  cost of live progress; the issue's goal is lab/baseline >= 0.97.
* whole job: baseline = arrays + build + fit + test evaluation; lab =
  ``submit`` to ``wait`` returning (also validates the spec, records the
  run, saves the .keras file, and runs the worker's ``gc.collect()``).
  While the lab trains, ``--watchers`` threads (default 1) do what a browser
  on the Train page does: every second read the run's view and build its
  three charts as JSON. So the lab is measured with live charts. Both
  start from the dataset already loaded in memory (the lab caches it).

Each is given in wall time and in process CPU time (all threads). On a
machine other programs share, wall time moves by several percent from round
to round; CPU time much less. Before each round the script waits (up to
``--idle-timeout``) for the other programs to quieten, and it redoes a round
they disturbed (``--max-others``, ``--retries``). ``--profile`` adds a table
of where the lab's job spends its time; `callback_cost.py` isolates the
callback itself.

Usage (from the project root):
    .venv/bin/python bench/throughput.py                      # defaults, about 5 minutes on an idle machine
    .venv/bin/python bench/throughput.py --rounds 3 --presets workshop_16_16_10
    .venv/bin/python bench/throughput.py --cnn-limit 0 --epochs 2   # full 60k for the CNN too
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (sets LAB_OFFLINE, LAB_HOME before lab is imported)

import keras  # noqa: E402

from lab import charts, data, prepare  # noqa: E402
from lab.build import build_model, compile_model  # noqa: E402
from lab.jobs import JobManager  # noqa: E402
from lab.spec import load_presets  # noqa: E402
from lab.records.sqlite import SQLiteStore as Store  # noqa: E402


def baseline(model, train, ds, timer: common.FitTimer) -> dict:
    """Plain Keras: same arrays, model, seed and fit arguments as the lab's Trainer."""
    t0, c0 = time.perf_counter(), time.process_time()
    keras.utils.set_random_seed(train.seed)
    arr = prepare.arrays(ds, model, train)
    net = compile_model(build_model(model, ds.input_shape), train)
    validation = (arr.x_val, arr.y_val) if arr.x_val is not None else None
    hist = net.fit(arr.x_fit, arr.y_fit, batch_size=train.batch_size, epochs=train.epochs,
                   validation_data=validation, verbose=0, shuffle=True)
    test = net.evaluate(arr.x_test, arr.y_test, batch_size=512, verbose=0, return_dict=True)
    whole, whole_cpu = time.perf_counter() - t0, time.process_time() - c0
    del net
    gc.collect()  # untimed: a plain script would not, but both sides then start from the same heap
    (fit,) = timer.take()
    return {"fit_s": fit["seconds"], "fit_cpu_s": fit["cpu_s"], "whole_s": whole, "whole_cpu_s": whole_cpu,
            "images": len(arr.x_fit) * train.epochs,
            "val_acc": hist.history.get("val_accuracy", [float("nan")])[-1],
            "test_acc": float(test["accuracy"]), "thread": fit["thread"]}


def watch(manager: JobManager, job_id: int, stop: threading.Event, every: float) -> None:
    """What one browser on the Train page does while a run trains: every ``every``
    seconds read the run's view and build its three charts as JSON."""
    while not stop.wait(every):
        p = manager.view(job_id).progress
        if p.samples:
            json.dumps(charts.live_chart(p.samples))
        if p.history:
            json.dumps(charts.epoch_chart(p.history, "loss"))
            json.dumps(charts.epoch_chart(p.history, "accuracy"))


def lab_job(manager: JobManager, model, train, timer: common.FitTimer, n_fit: int,
            watchers: int = 1, every: float = 1.0) -> dict:
    """The lab: submit a job and wait for it while ``watchers`` browsers poll its live charts."""
    t0, c0 = time.perf_counter(), time.process_time()
    job = manager.submit(model, train, owner="bench")
    stop = threading.Event()
    threads = [threading.Thread(target=watch, args=(manager, job.id, stop, every), daemon=True)
               for _ in range(watchers)]
    for t in threads:
        t.start()
    state = manager.wait(job.id)
    stop.set()
    for t in threads:
        t.join()
    whole, whole_cpu = time.perf_counter() - t0, time.process_time() - c0
    if state.status != "finished":
        raise RuntimeError(f"lab job ended {state.status}: {state.error or state.message}")
    (fit,) = timer.take()
    return {"fit_s": fit["seconds"], "fit_cpu_s": fit["cpu_s"], "whole_s": whole, "whole_cpu_s": whole_cpu,
            "images": n_fit * train.epochs,
            "val_acc": next((h.val_accuracy for h in state.history[-1:] if h.val_accuracy is not None), float("nan")),
            "test_acc": state.test_acc, "thread": fit["thread"], "samples": len(state.samples)}


def bench_preset(key: str, train_limit: int, epochs: int, rounds: int, dataset: str,
                 manager: JobManager, timer: common.FitTimer, max_others: float = 1.0,
                 retries: int = 0, idle_timeout: float = 120.0, spans: common.Spans | None = None,
                 watchers: int = 1) -> dict:
    """Alternate baseline and lab ``rounds`` times; a round during which other programs
    used more than ``max_others`` of the cores is run again (at most ``retries`` times)."""
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
    profiles, attempts, pairs = [], 0, []
    if spans:
        spans.take()
    while len(pairs) < rounds:
        attempts += 1
        waited = common.wait_idle(max_others, timeout_s=idle_timeout) if max_others < 1 else 0.0
        others = common.Others()
        b = baseline(model, train, ds, timer)
        if spans:
            spans.take()  # the baseline's calls are not the lab's
        lab = lab_job(manager, model, train, timer, n_fit, watchers)
        if spans:
            profiles.append(spans.take())
        pair = {"round": len(pairs) + 1, "baseline": b, "lab": lab,
                "fit_ratio": (lab["images"] / lab["fit_s"]) / (b["images"] / b["fit_s"]),
                "whole_ratio": b["whole_s"] / lab["whole_s"],
                "fit_cpu_ratio": b["fit_cpu_s"] / lab["fit_cpu_s"],
                "whole_cpu_ratio": b["whole_cpu_s"] / lab["whole_cpu_s"], "others": others.share()}
        # A disturbed round is run again while retries are left; after that it counts.
        keep = pair["others"] <= max_others or attempts - len(pairs) > retries
        label = f"round {pair['round']}" if keep else "(disturbed, redone)"
        if keep:
            pairs.append(pair)
        print(f"  {label}: baseline fit {b['fit_s']:6.2f} s ({b['images'] / b['fit_s']:6.0f} img/s), "
              f"lab fit {lab['fit_s']:6.2f} s ({lab['images'] / lab['fit_s']:6.0f} img/s), "
              f"ratio {pair['fit_ratio']:.3f} (CPU time {pair['fit_cpu_ratio']:.3f}) | whole: baseline "
              f"{b['whole_s']:6.2f} s, lab {lab['whole_s']:6.2f} s, ratio {pair['whole_ratio']:.3f} "
              f"(CPU {pair['whole_cpu_ratio']:.3f}) | val acc {b['val_acc']:.4f}/{lab['val_acc']:.4f} "
              f"| others {pair['others']:.0%}{f', waited {waited:.0f} s for idle' if waited > 2 else ''}",
              flush=True)
    med = statistics.median
    if spans:
        print(f"\n  Where the lab's job spends its time (--profile; median per job over {len(profiles)} jobs):\n")
        print("  " + profile_table(profiles, med(p["lab"]["fit_s"] for p in pairs),
                                   med(p["lab"]["whole_s"] for p in pairs)).replace("\n", "\n  "))
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
        "fit_cpu_ratio": med(p["fit_cpu_ratio"] for p in pairs),
        "whole_cpu_ratio": med(p["whole_cpu_ratio"] for p in pairs),
        "max_others": max(p["others"] for p in pairs),
        "pairs": pairs,
    }


PROFILED = (  # (module, class or None, attribute, label): what --profile times in the lab's job
    ("lab.jobs.manager", "JobManager", "submit", "JobManager.submit"),
    ("lab.jobs.trainer", None, "device_name", "device_name"),
    ("lab.data", None, "load", "data.load"),
    ("lab.jobs.trainer", None, "validate", "summary.validate"),
    ("lab.prepare", None, "arrays", "prepare.arrays"),
    ("lab.jobs.trainer", None, "build_model", "build_model"),
    ("lab.jobs.trainer", None, "compile_model", "compile_model"),
    ("keras", "Model", "fit", "fit"),
    ("keras", "Model", "evaluate", "evaluate"),
    ("lab.jobs.callbacks", "ReportProgress", "on_epoch_begin", "ReportProgress.on_epoch_begin"),
    ("lab.jobs.callbacks", "ReportProgress", "on_train_batch_end", "ReportProgress.on_train_batch_end"),
    ("lab.jobs.callbacks", "StopOnRequest", "on_train_batch_end", "StopOnRequest.on_train_batch_end"),
    ("lab.jobs.callbacks", "StopOnNaN", "on_train_batch_end", "StopOnNaN.on_train_batch_end"),
    ("lab.jobs.callbacks", "FinishedEpochs", "on_train_batch_end", "FinishedEpochs.on_train_batch_end"),
    ("lab.jobs.callbacks", "FinishedEpochs", "on_epoch_end", "FinishedEpochs.on_epoch_end"),
    ("lab.jobs.recorder", "Recorder", "position", "Recorder.position"),
    ("lab.jobs.recorder", "Recorder", "sample", "Recorder.sample"),
    ("lab.jobs.recorder", "Recorder", "epoch", "Recorder.epoch"),
    ("lab.jobs.recorder", "Recorder", "finish", "Recorder.finish"),
    ("lab.jobs.progress", "LiveProgress", "snapshot", "LiveProgress.snapshot"),
    ("lab.artifacts", None, "write_model", "artifacts.write_model"),
    ("lab.records.sql", "SQLStore", "add_epoch", "SQLStore.add_epoch"),
    ("lab.records.sql", "SQLStore", "update_run", "SQLStore.update_run"),
    ("lab.records.sql", "SQLStore", "create_run", "SQLStore.create_run"),
    ("gc", None, "collect", "gc.collect"),
)


def install_profile() -> common.Spans:
    """Wrap every call in `PROFILED` that exists in this version of the lab."""
    import importlib

    spans = common.Spans()
    for module, cls, attr, label in PROFILED:
        owner = importlib.import_module(module)
        owner = getattr(owner, cls, None) if cls else owner
        if owner is not None and hasattr(owner, attr):
            spans.wrap(owner, attr, label)
    return spans


def profile_table(runs: list[list[tuple]], fit_s: float, job_s: float) -> str:
    """Median per lab job of the time in each profiled call, with the call it ran inside."""
    per_run = []
    for records in runs:
        sums: dict[tuple, list] = {}
        for label, parent, seconds in records:
            row = sums.setdefault((label, parent), [0, 0.0])
            row[0] += 1
            row[1] += seconds
        per_run.append(sums)
    keys = sorted({k for sums in per_run for k in sums}, key=lambda k: -statistics.median(
        sums.get(k, [0, 0.0])[1] for sums in per_run))
    rows = ["| call | inside | calls per job | ms per job | us per call | % of fit | % of job |",
            "| --- | --- | --- | --- | --- | --- | --- |"]
    for label, parent in keys:
        n = statistics.median(sums.get((label, parent), [0, 0.0])[0] for sums in per_run)
        t = statistics.median(sums.get((label, parent), [0, 0.0])[1] for sums in per_run)
        rows.append(f"| {label} | {parent or '-'} | {n:g} | {t * 1000:.1f} | {t / max(n, 1) * 1e6:.0f} "
                    f"| {t / fit_s:.2%} | {t / job_s:.2%} |")
    return "\n".join(rows)


def table(results: list[dict], goal: float) -> str:
    rows = ["| preset | train images x epochs | rounds | baseline fit img/s | lab fit img/s "
            "| FIT-ONLY ratio lab/baseline, wall (min-max) | fit-only ratio, CPU time "
            "| baseline whole s | lab whole job s | WHOLE-JOB ratio, wall | whole-job ratio, CPU time "
            f"| fit goal >= {goal:g} |", "|" + " --- |" * 12]
    for r in results:
        ok = "met" if r["fit_ratio"] >= goal else "NOT met"
        rows.append(f"| {r['preset']} | {r['images']} x {r['epochs']} | {r['rounds']} | {r['base_ips']:,.0f} "
                    f"| {r['lab_ips']:,.0f} | {r['fit_ratio']:.3f} ({r['fit_ratio_min']:.3f}-"
                    f"{r['fit_ratio_max']:.3f}) | {r['fit_cpu_ratio']:.3f} | {r['base_whole_s']:.2f} "
                    f"| {r['lab_whole_s']:.2f} | {r['whole_ratio']:.3f} | {r['whole_cpu_ratio']:.3f} | {ok} |")
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
    p.add_argument("--rounds", type=int, default=7, help="baseline/lab pairs per preset (default 7)")
    p.add_argument("--max-others", type=float, default=0.15,
                   help="before each round wait (up to --idle-timeout s) until other programs use less than this "
                        "share of the cores, and redo a round they disturbed more (default 0.15; 1 = never)")
    p.add_argument("--retries", type=int, default=4, help="disturbed rounds redone per preset (default 4)")
    p.add_argument("--idle-timeout", type=float, default=30.0, help="seconds to wait for idle before a round")
    p.add_argument("--profile", action="store_true",
                   help="also time the lab's phases and callback hooks (the timing wrappers add a little overhead)")
    p.add_argument("--watchers", type=int, default=1,
                   help="browsers polling the lab run's live charts every second (default 1)")
    p.add_argument("--goal", type=float, default=0.97, help="fit-only ratio the issue asks for")
    p.add_argument("--json", type=Path, help="also write every measurement to this JSON file")
    args = p.parse_args(argv)

    print(f"Machine: {common.machine()}")
    t0 = time.perf_counter()
    ds = data.load(args.dataset)
    print(f"Data: {args.dataset}, {len(ds.x_train)} train / {len(ds.x_test)} test images, "
          f"from {ds.source} (loaded in {time.perf_counter() - t0:.1f} s)")
    timer = common.FitTimer()
    spans = install_profile() if args.profile else None
    manager = JobManager(Store(common.HOME / "runs.sqlite"), max_running=1, model_dir=common.HOME / "trained")
    presets = load_presets()
    results = []
    for key in [k.strip() for k in args.presets.split(",") if k.strip()]:
        conv = any(layer.kind == "Conv2D" for layer in presets[key].model.layers)
        limit = args.cnn_limit if conv else args.mlp_limit
        results.append(bench_preset(key, limit, args.epochs, args.rounds, args.dataset, manager, timer,
                                    args.max_others, args.retries, args.idle_timeout, spans,
                                    args.watchers))
    print(f"\nMedians over rounds (alternating baseline, lab); total {time.perf_counter() - t0:.0f} s\n")
    print(table(results, args.goal))
    print("\nfit-only: training images / seconds inside model.fit (validation included), same timer for both;"
          " ratio = lab img/s / baseline img/s, median of the per-round ratios."
          "\nwhole job: baseline = prepare.arrays + build + fit + evaluate(test); lab = submit() to wait()"
          " (adds validate, SQLite records, saving the .keras file, the worker's gc.collect()); ratio = baseline s / lab s."
          "\nCPU time: the same spans in process CPU seconds (all threads), which other programs on the"
          " machine disturb less than wall time (TensorFlow's spinning thread pools still make it move).")
    busy = max(r["max_others"] for r in results)
    print(f"others: share of all cores that other programs used during a round; at most {busy:.0%} here.")
    if busy > 0.05:
        print("WARNING: other programs shared the cores, so wall-time figures are noisy; the CPU-time ratios are"
              " the steadier measure. Rerun on an idle machine for wall-time figures.")
    if args.json:
        args.json.write_text(json.dumps({"machine": common.machine(), "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
