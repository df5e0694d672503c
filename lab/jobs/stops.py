"""What a lab server hears from, and tells, the other servers sharing its records while it has jobs.

- **Stop pressed elsewhere.** The server where Stop is pressed writes it into the run's
  record (`RecordStore.ask_to_stop`); the training server finds it
  (`RecordStore.stops_asked`) and stops the run here.
- **Signs of life.** The server records one every `BEAT_S` seconds (`RecordStore.beat`).
  Another server may let go a run of a server silent for ``LAB_SERVER_SILENT_S`` (it
  died, or its machine is gone): the run is marked interrupted, to be continued there.
- **Runs let go.** If this server was only frozen (a laptop closed, a machine paused) and
  wakes to find some of its runs let go (`RecordStore.taken`), it stops them without
  writing anything more: the records and files are now another server's to keep.

One thread per server, alive only while that server has jobs, makes one query a second:
no training thread ever waits on the records for it.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from lab.records import RecordStore

log = logging.getLogger(__name__)
POLL_S = 1.0  # how often a server with jobs looks in the records for a Stop pressed elsewhere
BEAT_S = 5.0  # how often it records a sign of life


class StopListener:
    """Hears, for lab server ``server``, the Stops pressed on other servers and the runs they
    let go, and tells them this server is alive.

    Args:
        store: the records the servers share.
        server: this server's name in the records.
        lock: the job manager's lock; `wake` is called under it, and the thread takes it
            to ask ``busy``.
        busy: whether this server has jobs running or waiting (asked under ``lock``).
        stop_here: stops one run this server trains or queues (no-op for one it does not), as
            asked by the person whose identity it is given.
        claimed: the runs this server's records say it trains or queues now.
        let_go: stops one run another server let go, writing nothing more for it.
    """

    def __init__(self, store: RecordStore, server: str, lock: threading.Lock, busy: Callable[[], bool],
                 stop_here: Callable[[int, str], None], claimed: Callable[[], list[int]],
                 let_go: Callable[[int], None]):
        self.store, self.server, self.lock = store, server, lock
        self.busy, self.stop_here, self.claimed, self.let_go = busy, stop_here, claimed, let_go
        self._thread: threading.Thread | None = None
        self._beaten = 0.0

    def wake(self) -> None:
        """A job was queued: say this server is alive (at once, from the thread), and listen
        until it has no jobs left (call under ``lock``)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._listen, name="stops-from-elsewhere", daemon=True)
            self._thread.start()

    def _beat(self) -> None:
        if time.monotonic() - self._beaten < BEAT_S:
            return
        try:
            self.store.beat(self.server)
            self._beaten = time.monotonic()
        except Exception as exc:  # the records are away for a moment: the next beat tries again
            log.warning("recording that this lab server is alive: %s", exc)

    def _listen(self) -> None:
        self._beaten = 0.0  # a first sign at once: this server may have been idle for hours
        while True:
            self._beat()
            time.sleep(POLL_S)
            with self.lock:
                if not self.busy():
                    self._thread = None  # the next job wakes another
                    return
                claimed = self.claimed()
            try:
                for run_id in self.store.taken(self.server, claimed):
                    self.let_go(run_id)
                for run_id, who in self.store.stops_asked(self.server):
                    self.stop_here(run_id, who)
                    self.store.update_run(run_id, stop_asked_by=None)  # heard
            except Exception as exc:  # the records are away for a moment: look again next time
                log.warning("looking for stops asked on other servers: %s", exc)
