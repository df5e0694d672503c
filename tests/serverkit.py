"""The lab's app as a real server process on a free port: for the browser test and the
classroom load test (`bench/classroom_load.py`)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(url: str) -> bool:
    """Whether the Streamlit server at ``url`` answers its health check."""
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
            return r.status == 200 and r.read().strip() == b"ok"
    except OSError:
        return False


class LabServer:
    """``streamlit run app.py`` in its own process group, with ``env`` added to this
    process's environment and its output in ``log_path``; `start` waits until it is
    healthy (raising RuntimeError with the log's end if it exits or takes over 60 s),
    `stop` ends it and everything it started."""

    def __init__(self, env: dict[str, str], log_path: Path):
        self.env, self.log_path = {**os.environ, **env}, log_path
        self.port = free_port()
        self.url = f"http://localhost:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> str:
        """Start the server; its URL once it answers."""
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.port", str(self.port), "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"],  # files edited during the run must not disturb it
            cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while not healthy(self.url):
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.proc.returncode}:\n{self.log()[-3000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"streamlit not healthy after 60 s:\n{self.log()[-3000:]}")
            time.sleep(0.25)
        return self.url

    def log(self) -> str:
        """Everything the server printed so far."""
        return self.log_path.read_text(errors="replace")

    def rss_mib(self) -> float:
        """The server process's resident memory, in MiB."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
        raise RuntimeError("VmRSS not found")

    def stop(self) -> None:
        """End the server (its own session: the server and nothing else)."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        if getattr(self, "_log", None):
            self._log.close()
