"""The job queue: admits jobs, keeps them in order, says which may start. No threads.

`JobQueue` is plain bookkeeping; `lab.jobs.manager.JobManager` calls it under
its lock and hands the jobs it releases to an executor.
"""

from __future__ import annotations

from lab.jobs.job import Job, QueueFull


class JobQueue:
    """First in, first out, with at most ``max_running`` running and ``max_waiting`` waiting.

    Example:
        >>> from lab.spec import ModelSpec, TrainSpec
        >>> q = JobQueue(max_running=1, max_waiting=1)
        >>> a, b = (Job(i, "ada", ModelSpec(), TrainSpec(), "f", "k") for i in (1, 2))
        >>> q.add(a); q.add(b)
        >>> [j.id for j in q.release()], q.place(1), q.place(2)
        ([1], 0, 1)
    """

    def __init__(self, max_running: int, max_waiting: int):
        self.max_running = max(1, int(max_running))
        self.max_waiting = max(0, int(max_waiting))
        self._waiting: list[Job] = []
        self._running: list[Job] = []

    def check_room(self) -> None:
        """Raise `QueueFull` when a new job could neither run nor wait."""
        if len(self._running) >= self.max_running and len(self._waiting) >= self.max_waiting:
            raise QueueFull(f"The queue is full: {len(self._running)} running and "
                            f"{len(self._waiting)} waiting. Try again when a job ends, or ask the "
                            "teacher to raise LAB_QUEUE_SIZE.")

    def add(self, job: Job) -> None:
        """Put ``job`` at the end of the line (`QueueFull` when there is no room)."""
        self.check_room()
        self._waiting.append(job)

    def release(self) -> list[Job]:
        """Move waiting jobs to running while there is room; returns the ones to start."""
        started = []
        while self._waiting and len(self._running) < self.max_running:
            job = self._waiting.pop(0)
            self._running.append(job)
            started.append(job)
        return started

    def finish(self, job_id: int) -> None:
        """A running job ended: its place is free."""
        self._running = [j for j in self._running if j.id != job_id]

    def withdraw(self, job_id: int) -> Job | None:
        """Take a waiting job out of the line; None when it is not waiting."""
        for job in self._waiting:
            if job.id == job_id:
                self._waiting.remove(job)
                return job
        return None

    def place(self, job_id: int) -> int:
        """0 when running, 1.. for a place in line, -1 when not here."""
        if any(j.id == job_id for j in self._running):
            return 0
        for i, job in enumerate(self._waiting, start=1):
            if job.id == job_id:
                return i
        return -1

    def active(self) -> list[Job]:
        """Running jobs, then waiting ones in order."""
        return list(self._running) + list(self._waiting)

    def running_count(self) -> int:
        """How many jobs run now."""
        return len(self._running)
