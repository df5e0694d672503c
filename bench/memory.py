"""Resident memory over many training jobs in one process.

A classroom lab trains one model after another for hours in the same
Streamlit process, so memory must level off, not grow with every run. This
trains ``--runs`` small models one after another through
`lab.jobs.JobManager` (submit, then wait), prints the process's resident
memory (VmRSS from /proc/self/status) after each, and the growth per run
from run ``--from`` to the last run: end to end, and as the least-squares
slope over those runs (RSS moves in a saw-tooth as the allocator hands
memory back, so one end point can hide or exaggerate a trend).

``--mode plain`` runs the same fits without the lab (build, compile, fit,
evaluate in the main thread), to tell growth of the lab's own from growth of
Keras/TensorFlow. ``--clear-session`` calls ``keras.backend.clear_session()``
after every run (safe only here, where nothing else trains).
``--purge-gradients`` applies to plain fits what the lab does after every
job (`lab.reclaim`): drop the ``CustomGradient-N`` entries TensorFlow's
global gradient registry gained during the run (see bench/README.md). In lab
mode the column "new CustomGradient entries" shows what the lab left behind
(0 once it purges).

Usage (from the project root):
    .venv/bin/python bench/memory.py                     # 20 lab jobs, about 1 minute
    .venv/bin/python bench/memory.py --mode plain        # the same without the lab
    .venv/bin/python bench/memory.py --mode plain --purge-gradients  # plain Keras plus the lab's fix
    .venv/bin/python bench/memory.py --runs 40 --preset cnn_32_64_64 --limit 2000
"""

from __future__ import annotations

import argparse
import gc
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (sets LAB_OFFLINE, LAB_HOME before lab is imported)

import keras  # noqa: E402

from lab import data, prepare, reclaim  # noqa: E402
from lab.build import build_model, compile_model  # noqa: E402
from lab.jobs import JobManager  # noqa: E402
from lab.spec import load_presets  # noqa: E402
from lab.records.sqlite import SQLiteStore as Store  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--preset", default="workshop_16_16_10")
    p.add_argument("--dataset", default="fashion_mnist")
    p.add_argument("--limit", type=int, default=5000, help="train_limit: training images per run (default 5000)")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--from", dest="start", type=int, default=5, help="growth is measured from this run (default 5)")
    p.add_argument("--mode", choices=("lab", "plain"), default="lab")
    p.add_argument("--clear-session", action="store_true", help="keras.backend.clear_session() after each run")
    p.add_argument("--purge-gradients", action="store_true",
                   help="after each run, drop the 'CustomGradient-N' entries TensorFlow's gradient registry gained "
                        "during it (the workaround suggested for lab/jobs.py; see bench/README.md)")
    p.add_argument("--max-growth", type=float, default=1.0,
                   help="MiB per run above which the verdict is 'grows' (default 1.0)")
    args = p.parse_args(argv)

    print(f"Machine: {common.machine()}")
    preset = load_presets()[args.preset]
    train = replace(preset.train, dataset=args.dataset, train_limit=args.limit, epochs=args.epochs)
    ds = data.load(args.dataset)
    extras = [x for x, on in (("clear_session after each run", args.clear_session),
                              ("CustomGradient entries purged after each run", args.purge_gradients)) if on]
    print(f"Data: {args.dataset} from {ds.source}; {args.preset}, {args.limit} images (10% of them for "
          f"validation), {args.epochs} epoch(s), then the 10,000-image test set; mode {args.mode}"
          f"{''.join(', ' + x for x in extras)}")
    manager = JobManager(Store(common.HOME / "runs.sqlite"), max_running=1, model_dir=common.HOME / "trained")
    gc.collect()
    print(f"before run 1 (TensorFlow imported, data loaded): RSS {common.rss_mib():.1f} MiB\n")
    print("| run | seconds | RSS MiB | change MiB | Python objects | new CustomGradient entries | test acc |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    rss, objects, last = [], [], common.rss_mib()
    for run in range(1, args.runs + 1):
        t0 = time.perf_counter()
        before = reclaim.custom_gradient_keys()
        if args.mode == "lab":
            job = manager.submit(preset.model, replace(train, seed=train.seed + run), owner="bench")
            state = manager.wait(job.id)
            if state.status != "finished":
                raise RuntimeError(f"run {run} ended {state.status}: {state.error or state.message}")
            acc = state.test_acc
            # the worker collects garbage and trims the heap just after it signals the
            # end: wait for its thread, so each reading is what stays
            for thread in threading.enumerate():
                if thread.name == f"train-{job.id}":
                    thread.join()
        else:
            keras.utils.set_random_seed(train.seed + run)
            arr = prepare.arrays(ds, preset.model, train)
            net = compile_model(build_model(preset.model, ds.input_shape), train)
            net.fit(arr.x_fit, arr.y_fit, batch_size=train.batch_size, epochs=train.epochs,
                    validation_data=(arr.x_val, arr.y_val), verbose=0, shuffle=True)
            acc = net.evaluate(arr.x_test, arr.y_test, batch_size=512, verbose=0, return_dict=True)["accuracy"]
            del net, arr
            gc.collect()
        leaked = reclaim.custom_gradient_keys() - before
        if args.purge_gradients:
            reclaim.forget_custom_gradients(leaked)
            gc.collect()
        if args.clear_session:
            keras.backend.clear_session()
            gc.collect()
        seconds = time.perf_counter() - t0
        now = common.rss_mib()
        rss.append(now)
        objects.append(len(gc.get_objects()))
        print(f"| {run} | {seconds:.1f} | {now:.1f} | {now - last:+.1f} | {objects[-1]:,} | {len(leaked)} | {acc:.4f} |",
              flush=True)
        last = now
    if args.runs > args.start:
        xs = list(range(args.start, args.runs + 1))
        ys = rss[args.start - 1:]
        mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
        slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
        end_to_end = rss[-1] - rss[args.start - 1]
        verdict = "keeps growing" if slope > args.max_growth else "levels off"
        print(f"\nGrowth from run {args.start} to run {args.runs}: {end_to_end:+.1f} MiB end to end "
              f"({end_to_end / (args.runs - args.start):+.2f} MiB per run); least-squares slope over those runs "
              f"{slope:+.2f} MiB per run -> resident memory {verdict} (threshold {args.max_growth:g} MiB/run). "
              f"Peak {max(rss):.1f} MiB; Python objects {objects[-1] - objects[args.start - 1]:+,} "
              f"({(objects[-1] - objects[args.start - 1]) / (args.runs - args.start):+,.0f} per run).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
