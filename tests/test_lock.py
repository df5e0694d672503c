"""lab.jobs.lock: a second lab server on the same data folder is refused, across processes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lab.jobs.lock import AnotherServer, ServerLock

ROOT = Path(__file__).resolve().parents[1]
SECOND_SERVER = textwrap.dedent("""
    import sys
    sys.path.insert(0, {root!r})
    from lab.jobs import JobManager
    from lab.jobs.lock import AnotherServer
    from lab.records import open_store
    try:
        JobManager(open_store())
    except AnotherServer as exc:
        print(exc)
        sys.exit(3)
""")


def second_server() -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", SECOND_SERVER.format(root=str(ROOT))], capture_output=True,
                          text=True, timeout=120)


def test_a_second_server_process_is_refused_and_may_start_once_the_first_is_gone(tmp_path):
    from lab.records import open_store
    from lab.settings import settings

    home = settings().home
    run_id = open_store().create_run(network="training in the first server", status="running")
    first = ServerLock(home)
    try:
        out = second_server()
        assert out.returncode == 3, out.stderr[-2000:]
        assert out.stdout.startswith(f"Another lab server (process ") and str(home) in out.stdout
        assert open_store().run(run_id).status == "running"  # not marked interrupted by the second
    finally:
        first.release()
    assert second_server().returncode == 0  # the folder is free again
    assert open_store().run(run_id).status == "interrupted"


def test_one_process_cannot_take_a_folder_twice(tmp_path):
    lock = ServerLock(tmp_path)
    with pytest.raises(AnotherServer, match=f"process .* already uses the data folder {tmp_path}"):
        ServerLock(tmp_path)
    lock.release()
    ServerLock(tmp_path).release()
