"""The job queue: admits requests, keeps them in order, says which job may start. No threads.

A request is one job, or all the jobs of one group (a sweep): a sweep of
thirty runs takes one waiting place, not thirty. Requests take turns: the
queue starts the next job of the first request in line, and a request with
jobs left goes to the back of the line, so one person's sweep does not keep
everyone else waiting until it is done. `lab.jobs.manager.JobManager` calls
the queue under its lock and hands the jobs it releases to an executor.
"""

from __future__ import annotations

from lab.jobs.job import Job, QueueFull


class JobQueue:
    """At most ``max_running`` jobs running and ``max_waiting`` requests waiting.

    Example:
        >>> from lab.spec import ModelSpec, TrainSpec
        >>> q = JobQueue(max_running=1, max_waiting=1)
        >>> a, b, c = (Job(i, "ada", ModelSpec(), TrainSpec(), "f", "k") for i in (1, 2, 3))
        >>> q.add([a]); [j.id for j in q.release()]
        [1]
        >>> q.add([b]); q.place(1), q.place(2)
        (0, 1)
        >>> q.add([c])
        Traceback (most recent call last):
        ...
        lab.jobs.job.QueueFull: The queue is full: 1 running and 1 waiting. Try again when a job ends, ...
    """

    def __init__(self, max_running: int, max_waiting: int):
        self.max_running = max(1, int(max_running))
        self.max_waiting = max(0, int(max_waiting))
        self._running: list[Job] = []
        self._lines: dict[str, list[Job]] = {}  # request -> its waiting jobs, requests in turn order

    def check_room(self, request: str | None = None) -> None:
        """Raise `QueueFull` when a new request could neither run nor wait (jobs joining a
        request already waiting, ``request``, always fit)."""
        if request in self._lines:
            return
        free = self.max_running - len(self._running)
        if free <= 0 and len(self._lines) >= self.max_waiting:
            raise QueueFull(f"The queue is full: {len(self._running)} running and "
                            f"{len(self._lines)} waiting. Try again when a job ends, or ask the "
                            "teacher to raise LAB_QUEUE_SIZE.")

    def add(self, jobs: list[Job]) -> None:
        """Put the jobs of one request at the end of the line (`QueueFull` without room)."""
        request = jobs[0].request
        self.check_room(request)
        self._lines.setdefault(request, []).extend(jobs)

    def release(self) -> list[Job]:
        """Start waiting jobs while there is room, requests taking turns; returns them."""
        started = []
        while self._lines and len(self._running) < self.max_running:
            request, jobs = next(iter(self._lines.items()))
            job = jobs.pop(0)
            del self._lines[request]
            if jobs:
                self._lines[request] = jobs  # to the back of the line
            self._running.append(job)
            started.append(job)
        return started

    def finish(self, job_id: int) -> None:
        """A running job ended: its place is free."""
        self._running = [j for j in self._running if j.id != job_id]

    def withdraw(self, job_id: int) -> Job | None:
        """Take a waiting job out of the line; None when it is not waiting."""
        for request, jobs in list(self._lines.items()):
            for job in jobs:
                if job.id == job_id:
                    jobs.remove(job)
                    if not jobs:
                        del self._lines[request]
                    return job
        return None

    def place(self, job_id: int) -> int:
        """0 when running, 1.. for the order it will start in, -1 when not here."""
        if any(j.id == job_id for j in self._running):
            return 0
        for i, job in enumerate(self._waiting_in_order(), start=1):
            if job.id == job_id:
                return i
        return -1

    def active(self) -> list[Job]:
        """Running jobs, then waiting ones in the order they will start."""
        return list(self._running) + self._waiting_in_order()

    def running_count(self) -> int:
        """How many jobs run now."""
        return len(self._running)

    def _waiting_in_order(self) -> list[Job]:
        lines = [list(jobs) for jobs in self._lines.values()]
        order = []
        while any(lines):
            for line in lines:
                if line:
                    order.append(line.pop(0))
        return order
