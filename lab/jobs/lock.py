"""One lab server per data folder.

A starting server marks the runs it finds active as interrupted (their
server died). A second server on the same folder would therefore mark the
first one's running jobs interrupted, and both would write one records file.
`ServerLock` holds an exclusive lock on ``server.lock`` in the folder for the
life of the process (the operating system drops it when the process dies,
however it dies), and names the holder when it is taken.
"""

from __future__ import annotations

import fcntl
import os
import socket
from pathlib import Path


class AnotherServer(RuntimeError):
    """Another lab server already uses this data folder; the message says which and what to do."""


class ServerLock:
    """Take the data folder ``home`` for this process, or raise `AnotherServer`.

    Example:
        >>> import tempfile
        >>> folder = tempfile.mkdtemp()
        >>> lock = ServerLock(folder)
        >>> ServerLock(folder)
        Traceback (most recent call last):
        ...
        lab.jobs.lock.AnotherServer: Another lab server (process ...) already uses the data folder ...
        >>> lock.release()
    """

    def __init__(self, home: Path | str):
        self.path = Path(home) / "server.lock"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(self._fd, 200, 0).decode(errors="replace").strip() or "unknown"
            os.close(self._fd)
            raise AnotherServer(
                f"Another lab server ({holder}) already uses the data folder {self.path.parent}. Two "
                "servers on one folder would mark each other's runs as interrupted: stop the other "
                "server, or give this one its own folder with LAB_HOME.") from None
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, f"process {os.getpid()} on {socket.gethostname()}".encode(), 0)

    def release(self) -> None:
        """Let another server take the folder (the process ending does the same)."""
        if self._fd >= 0:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = -1
