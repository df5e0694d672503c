"""Lab server processes writing records at once, and the check that every row arrived.

Each writer is a separate Python process that opens the records with `open_store()`
(``LAB_HOME`` for SQLite, ``LAB_DATABASE_URL`` for PostgreSQL), as servers behind a load
balancer would, and writes runs, epochs, comments and tags.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

WRITER = textwrap.dedent("""
    import sys
    sys.path.insert(0, {root!r})
    from lab.records import Epoch, open_store
    store = open_store()
    w = int(sys.argv[1])
    for i in range({runs}):
        run_id = store.create_run(network=f"writer {{w}} run {{i}}", status="running")
        for e in range(1, {epochs} + 1):
            store.add_epoch(run_id, Epoch(e, loss=w + i / 100 + e / 10000))
            store.set_comment(run_id, f"w{{w}} r{{i}} e{{e}}")
        store.set_tags(run_id, [f"writer {{w}}", f"run {{i}}"])
        store.update_run(run_id, status="finished")
""")


def start_writers(env: dict[str, str], writers: int, runs: int, epochs: int) -> list[subprocess.Popen]:
    """Start ``writers`` processes, each writing ``runs`` runs of ``epochs`` epochs."""
    code = WRITER.format(root=str(ROOT), runs=runs, epochs=epochs)
    return [subprocess.Popen([sys.executable, "-c", code, str(w)], env={**os.environ, **env},
                             stderr=subprocess.PIPE, text=True) for w in range(writers)]


def wait_for(procs: list[subprocess.Popen], timeout: float = 300) -> None:
    """Wait for every writer; each must have succeeded (its stderr is shown if not)."""
    for proc in procs:
        _, err = proc.communicate(timeout=timeout)
        assert proc.returncode == 0, err[-3000:]


def assert_all_written(store, writers: int, runs: int, epochs: int) -> None:
    """Every run of every writer is there once, finished, with all its epochs, last comment and tags."""
    recorded = store.runs()
    assert sorted(r.network for r in recorded) == sorted(
        f"writer {w} run {i}" for w in range(writers) for i in range(runs))
    tags = store.tags()
    for run in recorded:
        w, i = (int(x) for x in run.network.split()[1::2])
        assert run.status == "finished" and run.epochs_done == epochs
        assert run.comment == f"w{w} r{i} e{epochs}"
        assert [e.loss for e in store.epochs(run.id)] == [w + i / 100 + e / 10000 for e in range(1, epochs + 1)]
        assert tags[run.id] == sorted([f"writer {w}", f"run {i}"])
