"""Shared fixtures: real MNIST split, an isolated lab home, no downloads, one trained run,
a private PostgreSQL server, a local Ray cluster, and the two executors job tests run on."""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import streamlit.testing.v1.app_test as app_test
from streamlit.runtime.pages_manager import PagesManager

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["LAB_OFFLINE"] = "1"  # tests never wait on the network
os.environ["RAY_ENABLE_AUTO_CONNECT"] = "0"  # a Ray call after the test cluster stopped never starts another

from pgkit import PostgresMissing, PostgresServer  # noqa: E402
from raykit import RayCluster, RayMissing  # noqa: E402
from realdata import write_mnist_split  # noqa: E402

from lab.jobs import JobManager  # noqa: E402
from lab.jobs.executors import ThreadExecutor  # noqa: E402
from lab.records import RunRecord  # noqa: E402
from lab.records.sqlite import SQLiteStore as Store  # noqa: E402
from lab.spec import load_presets  # noqa: E402

WORKSHOP = "workshop_16_16_10"


class _NavigationPagesManager(PagesManager):
    """AppTest resets ``PagesManager.uses_pages_directory`` to None before every
    run, and because a ``pages/`` folder sits beside app.py it is then set to
    True: the old pages-folder mode, where after ``switch_page`` only the page
    file runs, never app.py (no sidebar, no set_page_config). On a server the
    first ``st.navigation`` call (or importing ui.py) turns that mode off for
    the process, so app.py runs every time; this does the same under AppTest."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        PagesManager.uses_pages_directory = False


@pytest.fixture(autouse=True)
def run_app_py_every_time(monkeypatch):
    """For AppTest: app.py runs on every page switch, as on a real server."""
    monkeypatch.setattr(app_test, "PagesManager", _NavigationPagesManager)


@pytest.fixture(scope="session")
def datasets_dir(tmp_path_factory) -> Path:
    """A LAB_DATASETS folder holding the real 8,000/2,000 MNIST split."""
    return write_mnist_split(tmp_path_factory.mktemp("datasets"))


@pytest.fixture(autouse=True)
def lab_env(monkeypatch, tmp_path, datasets_dir):
    """Each test gets its own LAB_HOME and sees the real MNIST split."""
    monkeypatch.setenv("LAB_HOME", str(tmp_path / "labhome"))
    monkeypatch.setenv("LAB_DATASETS", str(datasets_dir))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.delenv("LAB_DATABASE_URL", raising=False)  # SQLite unless a test asks for PostgreSQL
    yield


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL server of this session, run by Debian's initdb and pg_ctl in a temporary
    folder on a free port. Without those programs the test fails (never skips), saying
    what to install."""
    try:
        server = PostgresServer().start()
    except PostgresMissing as exc:
        pytest.fail(str(exc), pytrace=False)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres_server) -> str:
    """The URL of a database on the session's server, created once (shared by the tests
    that use it)."""
    return postgres_server.create_database()


@pytest.fixture
def fresh_postgres_url(postgres_server):
    """The URL of a new, empty database of this test's own, dropped afterwards."""
    url = postgres_server.create_database()
    yield url
    postgres_server.drop_database(url)


@pytest.fixture(scope="session")
def trained_model(tmp_path_factory, datasets_dir) -> tuple[RunRecord, Path]:
    """One tiny workshop run (1,000 images, 1 epoch), trained once per session: its record
    and its model file."""
    home = tmp_path_factory.mktemp("trained_home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LAB_HOME", str(home))
        mp.setenv("LAB_DATASETS", str(datasets_dir))
        preset = load_presets()[WORKSHOP]
        manager = JobManager(Store())
        job = manager.submit(preset.model, replace(preset.train, epochs=1, train_limit=1000), owner="teacher")
        assert manager.wait(job.id, timeout=120).status == "finished"
        run = manager.store.run(job.id)
        return run, manager.models.locate(run)


@pytest.fixture(scope="session")
def ray_cluster():
    """The address of a local Ray cluster of this session: a head and a second node, one
    CPU each. Without Ray the test fails (never skips), saying what to install."""
    try:
        cluster = RayCluster(nodes=2, cpus_per_node=1).start()
    except RayMissing as exc:
        pytest.fail(str(exc), pytrace=False)
    yield cluster.address
    cluster.stop()


@pytest.fixture(scope="session")
def ray_executor(ray_cluster):
    """One `RayExecutor` on the session's cluster, shared by the tests that train on Ray."""
    from lab.jobs.ray_executor import RayExecutor

    executor = RayExecutor(ray_cluster)
    yield executor
    executor.close()


@pytest.fixture(params=["threads", "ray"])
def executor(request):
    """Each job test runs twice: on worker threads in this process, and on the Ray cluster."""
    if request.param == "threads":
        return ThreadExecutor()
    return request.getfixturevalue("ray_executor")
