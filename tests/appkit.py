"""Helpers for tests that drive the app through Streamlit's AppTest.

Every test runs the real ``app.py`` (st.navigation) in its own LAB_HOME (see
conftest), so each gets its own records and its own shared job manager.
"""

from __future__ import annotations

import io
import shutil
from dataclasses import asdict
from pathlib import Path

from PIL import Image
from streamlit.testing.v1 import AppTest

import lab.data
from lab.artifacts import ModelFiles
from lab.jobs import JobManager, shared_manager
from lab.records import RunRecord
from lab.records.sqlite import SQLiteStore as Store
from lab.settings import settings
from lab.spec import ModelSpec, load_presets
from lab.spec import to_json as spec_json

ROOT = Path(__file__).resolve().parents[1]
WORKSHOP = "workshop_16_16_10"
WORKSHOP_PARAMS = 784 * 16 + 16 + 16 * 16 + 16 + 16 * 10 + 10  # 13,002


def start_app(browser_key: str | None = None) -> AppTest:
    """The whole app, first run done (the Datasets page is the default); opened by the
    browser whose cookie holds ``browser_key`` (a reload, or another tab), or a new one."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if browser_key:
        at.session_state["scratch:browser_key"] = browser_key
    at.run()
    assert not at.exception, at.exception
    return at


def open_page(at: AppTest, page: str) -> AppTest:
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def page(name: str) -> AppTest:
    return open_page(start_app(), f"pages/{name}.py")


def values(elements) -> list[str]:
    return [e.value for e in elements]


def page_manager() -> JobManager:
    """The job manager the pages use in this test (the one ``ui.resources.manager()`` returns)."""
    return shared_manager(settings().home)


def seed_run(store: Store | None = None, **fields) -> int:
    """A finished run record, as training leaves it (without a model file unless given)."""
    preset = load_presets()[WORKSHOP]
    store = store or Store()
    record = dict(
        owner="ada", dataset="mnist", network=preset.model.name, architecture=preset.model.architecture(),
        activations=preset.model.activations(), spec_json=spec_json(preset.model),
        train_json=spec_json(preset.train), seed=42, params=WORKSHOP_PARAMS, status="finished",
        epochs_done=2, epochs_planned=2, train_acc=0.9, val_acc=0.88, test_loss=0.4, test_acc=0.87,
        duration_s=3.0, comment="first try", device="CPU")
    record.update(fields)
    return store.create_run(**record)


def set_spec(at: AppTest, model: ModelSpec) -> AppTest:
    """Put a network into the session as if it had been edited, and rerun.

    Resetting the "network" and "layers" widget groups is what ``ui.state.use_preset``
    does: the layer editor then starts again from ``model_spec`` instead of its previous table.
    """
    at.session_state["model_spec"] = model
    for group in ("network", "layers"):
        at.session_state[f"gen:{group}"] = at.session_state[f"gen:{group}"] + 1
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def version(at: AppTest) -> int:
    """The generation of the edited network's inputs (their keys end in it)."""
    return at.session_state["gen:network"]


def layers_key(at: AppTest) -> str:
    """The key of the Architecture page's layer table now."""
    return f"arch_layers_{at.session_state['gen:layers']}"


def digit_png(index: int = 0) -> tuple[bytes, int]:
    """A real MNIST test digit as PNG bytes, and its label."""
    ds = lab.data.load("mnist")
    return png(Image.fromarray(ds.x_test[index])), int(ds.y_test[index])


def install_model(trained: tuple[RunRecord, Path], store: Store | None = None) -> int:
    """Copy a trained run (record and model file) into this test's LAB_HOME."""
    run, path = trained
    store = store or Store()
    run_id = store.create_run(**{k: v for k, v in asdict(run).items() if k not in ("id", "model_path")})
    files = ModelFiles(settings().models_dir)
    files.folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, files.target(run_id))
    store.update_run(run_id, model_path=files.key(run_id))
    return run_id


def png(img: Image.Image) -> bytes:
    """A PIL image as PNG bytes."""
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()
