"""Stop pressed on one lab server for a run another server trains (servers sharing records).

The server where Stop is pressed writes it into the run's record
(`RecordStore.ask_to_stop`); the training server's `StopListener` finds it
(`RecordStore.stops_asked`) and stops the run there. One listener thread per
server, alive only while that server has jobs, makes one query a second: no
training thread ever waits on the records for it.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from lab.records import RecordStore

log = logging.getLogger(__name__)
POLL_S = 1.0  # how often a server with jobs looks in the records for a Stop pressed elsewhere


class StopListener:
    """Hears, for lab server ``server``, the Stops pressed on other servers.

    Args:
        store: the records the servers share.
        server: this server's name in the records.
        lock: the job manager's lock; `wake` is called under it, and the thread takes it
            to ask ``busy``.
        busy: whether this server has jobs running or waiting (asked under ``lock``).
        stop_here: stops one run this server trains or queues (no-op for one it does not).
    """

    def __init__(self, store: RecordStore, server: str, lock: threading.Lock, busy: Callable[[], bool],
                 stop_here: Callable[[int], None]):
        self.store, self.server, self.lock = store, server, lock
        self.busy, self.stop_here = busy, stop_here
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        """A job was queued: listen until this server has no jobs left (call under ``lock``)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._listen, name="stops-from-elsewhere", daemon=True)
            self._thread.start()

    def _listen(self) -> None:
        while True:
            time.sleep(POLL_S)
            with self.lock:
                if not self.busy():
                    self._thread = None  # the next job wakes another
                    return
            try:
                for run_id in self.store.stops_asked(self.server):
                    self.stop_here(run_id)
                    self.store.update_run(run_id, stop_asked_by=None)  # heard
            except Exception as exc:  # the records are away for a moment: look again next time
                log.warning("looking for stops asked on other servers: %s", exc)
