"""What a CNN sees: latency of one image's feature maps against a plain Keras call.

The "What a CNN sees" view runs one image through a model that returns the output
of every Conv2D and pooling layer (`lab.feature_maps.maps`, the probe built once per
model file and kept). This builds a preset (random weights time the same as trained
ones), saves it as a .keras file, and times, alternating, over many real test
images:

* the lab: `lab.feature_maps.maps(path, mtime, image)`;
* plain Keras: ``model(x, training=False)`` on the loaded model (the final output
  only), and ``model.predict(x)`` (what a learner would type);

printing the median and 95th percentile in milliseconds (goal: p95 under 50 ms for
the Conv 32-64-64 CNN) and the first call (building the probe).

Usage (from the project root):
    .venv/bin/python bench/feature_maps.py
    .venv/bin/python bench/feature_maps.py --presets cnn_32_64_64,cnn_32_64_128 --images 300
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (sets LAB_OFFLINE, LAB_HOME before lab is imported)

import keras  # noqa: E402
import numpy as np  # noqa: E402

from lab import data, feature_maps  # noqa: E402
from lab.build import build_model, compile_model  # noqa: E402
from lab.spec import load_presets  # noqa: E402


def ms(fn) -> float:
    """Milliseconds one call of ``fn`` takes."""
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--presets", default="cnn_32_64_64,cnn_32_64_128")
    p.add_argument("--dataset", default="fashion_mnist")
    p.add_argument("--images", type=int, default=200)
    args = p.parse_args(argv)

    print(f"Machine: {common.machine()}")
    ds = data.load(args.dataset)
    images = ds.scaled(ds.x_test[:args.images]).reshape(-1, 28, 28)
    print(f"{len(images)} test images from {ds.source}, each timed once per way, alternating\n")
    print("| preset | maps() median ms | maps() p95 ms | model(x) median ms | model.predict median ms "
          "| maps / model(x) | first maps() call ms |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    presets = load_presets()
    for key in [k.strip() for k in args.presets.split(",") if k.strip()]:
        preset = presets[key]
        path = common.HOME / f"{key}.keras"
        compile_model(build_model(preset.model, (28, 28, 1)), preset.train).save(path)
        mtime = path.stat().st_mtime
        model = keras.saving.load_model(path)
        first = ms(lambda: feature_maps.maps(str(path), mtime, images[0]))
        for image in images[:5]:  # warm up the plain calls too
            model(image.reshape(1, 28, 28, 1), training=False)
            model.predict(image.reshape(1, 28, 28, 1), verbose=0)
        lab, plain, predict = [], [], []
        for image in images:
            x = image.reshape(1, 28, 28, 1)
            lab.append(ms(lambda: feature_maps.maps(str(path), mtime, image)))
            plain.append(ms(lambda: model(x, training=False)))
            predict.append(ms(lambda: model.predict(x, verbose=0)))
        med = {k: float(np.median(v)) for k, v in (("lab", lab), ("plain", plain), ("predict", predict))}
        print(f"| {preset.model.name} | {med['lab']:.1f} | {np.percentile(lab, 95):.1f} | {med['plain']:.1f} "
              f"| {med['predict']:.1f} | {med['lab'] / med['plain']:.2f} | {first:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
