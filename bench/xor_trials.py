"""How often does XOR learn: the lab's vectorised tries against one ``model.fit`` per try.

The "How often does it learn?" view trains many tries of the XOR network, each from
its own random start. `lab.trials.train` trains all tries of one hidden size in one
compiled TensorFlow loop; the plain way is one Keras model and one ``model.fit`` per
try. In one process this times:

* the lab: a whole study (default 5 hidden sizes x 50 tries, 100 epochs each), first
  (compiling included) and again (compiled);
* plain Keras: ``--fits`` tries of each hidden size trained with `lab.trials.keras_fit`
  (``model.fit``, batch size 4, the same SGD), from the very same initial weights;

and prints seconds per try for both and their ratio, and how many of the compared tries
ended on the same side of 0.5 on all four inputs both ways.

Usage (from the project root):
    .venv/bin/python bench/xor_trials.py
    .venv/bin/python bench/xor_trials.py --sizes 2,4 --tries 200 --fits 3
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (sets LAB_OFFLINE, LAB_HOME before lab is imported)

import numpy as np  # noqa: E402

from lab import trials, xor  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="1,2,3,4,8")
    p.add_argument("--tries", type=int, default=trials.DEFAULT_TRIES)
    p.add_argument("--fits", type=int, default=4, help="tries per size trained with model.fit")
    args = p.parse_args(argv)

    plan = trials.Plan(trials.parse_sizes(args.sizes), args.tries)
    print(f"Machine: {common.machine()}")
    print(f"Study: hidden sizes {plan.sizes}, {plan.tries} tries each, {plan.epochs} epochs, "
          f"{plan.activation}, SGD learning rate {plan.learning_rate}\n")

    t0 = time.perf_counter()
    trials.run(plan)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    results = trials.run(plan)
    again = time.perf_counter() - t0
    n = len(plan.sizes) * plan.tries

    fit_seconds, same, compared = 0.0, 0, 0
    for result in results:
        start = trials.initial(result.hidden, plan.tries, plan.seed)
        for i in range(min(args.fits, plan.tries)):
            t0 = time.perf_counter()
            fitted = trials.keras_fit(start.net(i, plan.activation), plan.learning_rate, plan.epochs)
            fit_seconds += time.perf_counter() - t0
            lab_side = result.tries[i].net.outputs(xor.INPUTS) > 0.5
            same += bool(np.array_equal(lab_side, fitted.outputs(xor.INPUTS) > 0.5))
            compared += 1
    per_fit = fit_seconds / compared
    per_lab = again / n

    print("| | seconds | tries | ms per try |")
    print("| --- | --- | --- | --- |")
    print(f"| lab, whole study, first (compiles) | {first:.2f} | {n} | {first / n * 1000:.2f} |")
    print(f"| lab, whole study, again | {again:.2f} | {n} | {per_lab * 1000:.2f} |")
    print(f"| plain `model.fit`, one per try | {fit_seconds:.2f} | {compared} | {per_fit * 1000:.1f} |")
    print()
    print(f"Per try, plain model.fit / lab: {per_fit / per_lab:.0f}x (compiled), "
          f"{per_fit / (first / n):.0f}x (counting the first compile)")
    print(f"Whole study: {first:.2f} s the first time, {again:.2f} s again (goal: under 10 s)")
    print(f"Same side of 0.5 on all four inputs, lab and model.fit from the same start: {same} of {compared}")
    print("Learned per size: " + ", ".join(f"{r.hidden}: {r.learned}/{len(r.tries)}" for r in results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
