"""Latency of one prediction: `lab.predict.probabilities` against ``model.predict``.

The draw page asks for one image's probabilities after every stroke, so one
image's latency is what a learner feels. This trains nothing: it builds a
preset (random weights give the same timing as trained ones), takes one real
Fashion-MNIST test image, and times both calls after a few warm-up calls, and
the first call of each on a fresh model (what the first stroke costs).

Usage (from the project root):
    .venv/bin/python bench/predict_latency.py
    .venv/bin/python bench/predict_latency.py --preset mlp_512_512 --repeat 200
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (sets LAB_OFFLINE, LAB_HOME before lab is imported)

import numpy as np  # noqa: E402

from lab import data  # noqa: E402
from lab.build import build_model, compile_model  # noqa: E402
from lab.predict import probabilities  # noqa: E402
from lab.spec import load_presets  # noqa: E402


def timed(fn, repeat: int, warmup: int = 5) -> list[float]:
    """Milliseconds of each of ``repeat`` calls, after ``warmup`` uncounted ones."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--presets", default="workshop_16_16_10,cnn_32_64_64")
    p.add_argument("--dataset", default="fashion_mnist")
    p.add_argument("--repeat", type=int, default=100)
    args = p.parse_args(argv)

    print(f"Machine: {common.machine()}")
    ds = data.load(args.dataset)
    image = ds.scaled(ds.x_test[:1])[0].reshape(28, 28)
    print(f"One image from {ds.source}; {args.repeat} timed calls after 5 warm-up calls\n")
    print("| preset | probabilities() median ms (p90) | model.predict() median ms (p90) | predict / probabilities "
          "| first call ms: probabilities / predict |")
    print("| --- | --- | --- | --- | --- |")
    presets = load_presets()
    for key in [k.strip() for k in args.presets.split(",") if k.strip()]:
        preset = presets[key]
        net = compile_model(build_model(preset.model, ds.input_shape), preset.train)
        x = image.reshape((1,) + tuple(net.input_shape[1:])).astype(np.float32)
        first_ours = timed(lambda: probabilities(net, image), 1, warmup=0)[0]  # a fresh model: first call
        other = compile_model(build_model(preset.model, ds.input_shape), preset.train)
        first_theirs = timed(lambda: other.predict(x, verbose=0), 1, warmup=0)[0]
        ours = timed(lambda: probabilities(net, image), args.repeat)
        theirs = timed(lambda: net.predict(x, verbose=0), args.repeat)
        same = np.allclose(probabilities(net, image), net.predict(x, verbose=0)[0], atol=1e-5)
        med = statistics.median
        p90 = lambda v: float(np.percentile(v, 90))  # noqa: E731
        print(f"| {key} | {med(ours):.2f} ({p90(ours):.2f}) | {med(theirs):.2f} ({p90(theirs):.2f}) | "
              f"{med(theirs) / med(ours):.1f}x{'' if same else ' (OUTPUTS DIFFER)'} | {first_ours:.0f} / "
              f"{first_theirs:.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
