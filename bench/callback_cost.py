"""What the lab's live-progress callback costs, measured without the noise of whole jobs.

`throughput.py` compares whole jobs, where each round builds, traces and
trains a new model; on a shared 2-core machine its wall-time ratios move by
several percent from round to round. This isolates the callback: one model,
compiled and traced once, then ``fit`` for one epoch at a time, alternating

* ``plain``: ``fit(verbose=0)`` with no callbacks, in the main thread;
* ``thread``: the same, in a fresh thread (as the lab's worker trains);
* ``callbacks``: the same in a fresh thread with the lab's callbacks, exactly
  the set a job passes to ``fit`` (`lab.jobs.trainer.JobCallbacks`: live
  progress, Stop, NaN, epoch records, checkpoints), reporting to a real
  `lab.jobs.recorder.Recorder` over a real SQLite store,

and prints the median images per second of each and their ratios. Because
whole-epoch timings on a shared virtual machine move by more than the effect
sought, it also adds up the wall time spent inside the callback's hooks
during the callbacks epochs (an upper bound on what live progress costs), and
times one batch's ``on_train_batch_end`` of all the callbacks, per call,
against the time of one batch.

Usage (from the project root):
    .venv/bin/python bench/callback_cost.py                       # workshop net, about 1 minute
    .venv/bin/python bench/callback_cost.py --preset cnn_32_64_64 --limit 6000 --pairs 8
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (sets LAB_OFFLINE, LAB_HOME before lab is imported)

import keras  # noqa: E402

from lab import data, prepare  # noqa: E402
from lab.build import build_model, compile_model  # noqa: E402
from lab.jobs.job import Job  # noqa: E402
from lab.jobs.recorder import Recorder  # noqa: E402
from lab.jobs.trainer import JobCallbacks  # noqa: E402
from lab.records.sqlite import SQLiteStore as Store  # noqa: E402
from lab.spec import load_presets  # noqa: E402


def in_thread(fn):
    """Run ``fn`` in a new thread and wait for it (the lab trains in one)."""
    out = {}

    def run():
        out["value"] = fn()

    t = threading.Thread(target=run, name="bench-fit")
    t.start()
    t.join()
    return out["value"]


INSIDE: dict[str, float] = {}  # hook name -> wall seconds spent inside the lab's callbacks


def timed(callbacks: list) -> list:
    """The same callback objects, each hook wrapped to add its wall time to `INSIDE`."""
    for cb in callbacks:
        for hook in ("on_epoch_begin", "on_train_batch_end", "on_test_batch_end", "on_epoch_end"):
            method = getattr(cb, hook)

            def wrapper(*args, _method=method, _name=f"{type(cb).__name__}.{hook}", **kwargs):
                t0 = time.perf_counter()
                try:
                    return _method(*args, **kwargs)
                finally:
                    INSIDE[_name] = INSIDE.get(_name, 0.0) + time.perf_counter() - t0

            setattr(cb, hook, wrapper)
    return callbacks


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--preset", default="workshop_16_16_10")
    p.add_argument("--dataset", default="fashion_mnist")
    p.add_argument("--limit", type=int, default=0, help="train_limit (0 = all 60,000 images)")
    p.add_argument("--pairs", type=int, default=12, help="rounds of plain / thread / reporter (default 12)")
    p.add_argument("--calls", type=int, default=200_000, help="on_train_batch_end calls in the micro-benchmark")
    args = p.parse_args(argv)

    print(f"Machine: {common.machine()}")
    preset = load_presets()[args.preset]
    train = replace(preset.train, dataset=args.dataset, train_limit=args.limit, epochs=1)
    ds = data.load(args.dataset)
    arr = prepare.arrays(ds, preset.model, train)
    keras.utils.set_random_seed(train.seed)
    net = compile_model(build_model(preset.model, ds.input_shape), train)
    steps = -(-len(arr.x_fit) // train.batch_size)
    print(f"Data: {args.dataset} from {ds.source}; {args.preset}, {len(arr.x_fit)} training images, "
          f"batch {train.batch_size} ({steps} steps), validation {len(arr.x_val)} images")

    store = Store(common.HOME / "runs.sqlite")
    run_id = store.create_run(dataset=train.dataset, network=preset.model.name, status="running")
    job = Job(run_id, "bench", preset.model, replace(train, epochs=10**6), str(common.HOME / "run.keras"),
              "run.keras")
    recorder = Recorder(job, store)
    epoch = [0]

    def fit(callbacks):
        t0, c0 = time.perf_counter(), time.process_time()
        net.fit(arr.x_fit, arr.y_fit, batch_size=train.batch_size, epochs=epoch[0] + 1, initial_epoch=epoch[0],
                validation_data=(arr.x_val, arr.y_val), callbacks=callbacks, verbose=0, shuffle=True)
        epoch[0] += 1
        return time.perf_counter() - t0, time.process_time() - c0

    def lab_callbacks():
        return timed(JobCallbacks(job, recorder, len(arr.x_fit), lambda net, epoch: None).all)

    arms = {
        "plain": lambda: fit([]),
        "thread": lambda: in_thread(lambda: fit([])),
        "callbacks": lambda: in_thread(lambda: fit(lab_callbacks())),
    }
    for arm in arms.values():  # warm-up: trace train and test functions, start thread pools
        arm()
    INSIDE.clear()
    times = {name: [] for name in arms}
    cpu = {name: [] for name in arms}
    shares = []
    for i in range(args.pairs):
        order = list(arms) if i % 2 == 0 else list(reversed(arms))  # ABC, CBA, ...: drift cancels
        others = common.Others()
        for name in order:
            wall, c = arms[name]()
            times[name].append(wall)
            cpu[name].append(c)
        shares.append(others.share())
    images = len(arr.x_fit)
    med = statistics.median
    print(f"\n{args.pairs} rounds of one epoch each, order alternating; other programs used "
          f"{med(shares):.0%} of the cores (median, max {max(shares):.0%})\n")
    print("| arm | median s per epoch | images/s (wall) | ratio to plain, wall (median of rounds) "
          "| ratio to plain, CPU time |")
    print("| --- | --- | --- | --- | --- |")
    for name in arms:
        ratio = med(times["plain"][i] / times[name][i] for i in range(args.pairs))
        cratio = med(cpu["plain"][i] / cpu[name][i] for i in range(args.pairs))
        print(f"| {name} | {med(times[name]):.3f} | {images / med(times[name]):,.0f} | {ratio:.3f} | {cratio:.3f} |")
    paired = [times["thread"][i] / times["callbacks"][i] for i in range(args.pairs)]
    print(f"\ncallbacks / thread (the callbacks alone): {med(paired):.3f} median, "
          f"{min(paired):.3f}-{max(paired):.3f} over rounds")

    hooks = sum(INSIDE.values())
    spent = sum(times["callbacks"])
    detail = ", ".join(f"{k} {v / args.pairs * 1e3:.2f} ms" for k, v in sorted(INSIDE.items(), key=lambda kv: -kv[1]))
    print(f"Inside the lab's hooks during the callbacks epochs: {hooks / args.pairs * 1e3:.2f} ms per epoch "
          f"of {spent / args.pairs:.3f} s = {hooks / spent:.2%} of the fit ({detail})")

    # One batch's worth of hooks, per call: unsampled batches are cheap; every `every`-th one samples.
    callbacks = JobCallbacks(job, Recorder(job, store), len(arr.x_fit), lambda net, epoch: None).all
    for cb in callbacks:
        cb.set_model(net)
        cb.on_epoch_begin(0)
    logs = {"loss": 0.5, "accuracy": 0.8}
    t0 = time.perf_counter()
    for i in range(args.calls):
        for cb in callbacks:
            cb.on_train_batch_end(i % steps, logs)
    per_call = (time.perf_counter() - t0) / args.calls
    batch_s = med(times["callbacks"]) / steps  # includes validation: a slight overestimate of one step
    print(f"on_train_batch_end of all {len(callbacks)} callbacks: {per_call * 1e6:.2f} us per batch on average "
          f"(a live-line sample every {callbacks[0].every} batches), {batch_s * 1e3:.2f} ms per batch -> "
          f"{per_call / batch_s:.3%} of a step")
    return 0


if __name__ == "__main__":
    sys.exit(main())
