"""What the lab's live-progress callback costs, measured without the noise of whole jobs.

`throughput.py` compares whole jobs, where each round builds, traces and
trains a new model; on a shared 2-core machine its wall-time ratios move by
several percent from round to round. This isolates the callback: one model,
compiled and traced once, then ``fit`` for one epoch at a time, alternating

* ``plain``: ``fit(verbose=0)`` with no callbacks, in the main thread;
* ``thread``: the same, in a fresh thread (as the lab's worker trains);
* ``reporter``: the same in a fresh thread with the lab's `lab.jobs._Reporter`
  (real `Job`, `Progress` and `Store`; its epoch hook is the real
  `Trainer._epoch_done`),

and prints the median images per second of each and their ratios. Because
whole-epoch timings on a shared virtual machine move by more than the effect
sought, it also adds up the wall time spent inside the callback's hooks
during the reporter epochs (an upper bound on what live progress costs), and
times ``_Reporter.on_train_batch_end`` alone, per call, against the time of
one batch.

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

from lab import data, jobs, prepare  # noqa: E402
from lab.build import build_model, compile_model  # noqa: E402
from lab.spec import load_presets  # noqa: E402
from lab.store import Store  # noqa: E402


def in_thread(fn):
    """Run ``fn`` in a new thread and wait for it (the lab trains in one)."""
    out = {}

    def run():
        out["value"] = fn()

    t = threading.Thread(target=run, name="bench-fit")
    t.start()
    t.join()
    return out["value"]


class TimedReporter(jobs._Reporter):
    """The lab's callback, with the wall time spent inside each of its hooks added up."""

    inside: dict[str, float] = {}

    def _timed(self, name, method, *args):
        t0 = time.perf_counter()
        try:
            return method(*args)
        finally:
            TimedReporter.inside[name] = TimedReporter.inside.get(name, 0.0) + time.perf_counter() - t0

    def on_epoch_begin(self, epoch, logs=None):
        return self._timed("on_epoch_begin", super().on_epoch_begin, epoch, logs)

    def on_train_batch_end(self, batch, logs=None):
        return self._timed("on_train_batch_end", super().on_train_batch_end, batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        return self._timed("on_test_batch_end", super().on_test_batch_end, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        return self._timed("on_epoch_end", super().on_epoch_end, epoch, logs)


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
    job = jobs.Job(run_id, "bench", preset.model, train, progress=jobs.Progress(epochs=10**6))
    trainer = jobs.Trainer(job, store, common.HOME)
    epoch = [0]

    def fit(callbacks):
        t0, c0 = time.perf_counter(), time.process_time()
        net.fit(arr.x_fit, arr.y_fit, batch_size=train.batch_size, epochs=epoch[0] + 1, initial_epoch=epoch[0],
                validation_data=(arr.x_val, arr.y_val), callbacks=callbacks, verbose=0, shuffle=True)
        epoch[0] += 1
        return time.perf_counter() - t0, time.process_time() - c0

    def reporter():
        return [TimedReporter(job, store, steps, train.batch_size, trainer._epoch_done)]

    arms = {
        "plain": lambda: fit([]),
        "thread": lambda: in_thread(lambda: fit([])),
        "reporter": lambda: in_thread(lambda: fit(reporter())),
    }
    for arm in arms.values():  # warm-up: trace train and test functions, start thread pools
        arm()
    TimedReporter.inside.clear()
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
    paired = [times["thread"][i] / times["reporter"][i] for i in range(args.pairs)]
    print(f"\nreporter / thread (the callback alone): {med(paired):.3f} median, "
          f"{min(paired):.3f}-{max(paired):.3f} over rounds")

    hooks = sum(TimedReporter.inside.values())
    spent = sum(times["reporter"])
    detail = ", ".join(f"{k} {v / args.pairs * 1e3:.2f} ms" for k, v in TimedReporter.inside.items())
    print(f"Inside the lab's hooks during the reporter epochs: {hooks / args.pairs * 1e3:.2f} ms per epoch "
          f"of {spent / args.pairs:.3f} s = {hooks / spent:.2%} of the fit ({detail})")

    # The callback alone, per call: unsampled batches return early; every `every`-th one samples.
    cb = reporter()[0]
    cb.set_model(net)
    cb.on_epoch_begin(0)
    logs = {"loss": 0.5, "accuracy": 0.8}
    t0 = time.perf_counter()
    for i in range(args.calls):
        if cb.batch >= cb.steps - 1:
            cb.batch = 0
        cb.on_train_batch_end(i, logs)
    per_call = (time.perf_counter() - t0) / args.calls
    batch_s = med(times["reporter"]) / steps  # includes validation: a slight overestimate of one step
    job.progress.update(samples=[])
    print(f"_Reporter.on_train_batch_end: {per_call * 1e6:.2f} us per call on average (a sample every "
          f"{cb.every} batches), {batch_s * 1e3:.2f} ms per batch -> {per_call / batch_s:.3%} of a step")
    return 0


if __name__ == "__main__":
    sys.exit(main())
