"""A training job as plain data, and why one can be refused.

A `Job` holds names and numbers only (specs, paths, settings), so it can be
handed to a thread, a process or a Ray worker alike. Control (Stop) and
progress travel through a `lab.jobs.sink.ProgressSink`, never inside the job.
"""

from __future__ import annotations

from dataclasses import dataclass

from lab.spec import ModelSpec, TrainSpec


class JobRejected(ValueError):
    """The job cannot be queued; the message says why and what to change."""


class QueueFull(JobRejected):
    """Every running and waiting place is taken."""


@dataclass(frozen=True)
class Job:
    """One training request; ``id`` is the id of its run in the records.

    ``model_file`` is where the trainer writes the model and ``model_key``
    what the records store to find it again (`lab.artifacts`). A continued
    run starts at ``initial_epoch`` from ``resume_from`` and adds its time to
    ``previous_seconds``. ``owner`` is the name shown; ``owner_id`` is who
    started the job (`lab.identity`), who may stop it as the run's owner may.
    Jobs of one ``group`` (a sweep) wait in the queue as one request.
    ``server`` names the lab server whose queue holds it.
    """

    id: int
    owner: str
    model: ModelSpec
    train: TrainSpec
    model_file: str
    model_key: str
    initial_epoch: int = 0
    resume_from: str | None = None
    previous_seconds: float = 0.0
    checkpoint_s: float = 20.0
    owner_id: str = ""
    group: str | None = None
    server: str | None = None

    def __post_init__(self):
        if not self.owner_id:  # a caller that knows no identities: the name is the identity
            object.__setattr__(self, "owner_id", self.owner)

    @property
    def request(self) -> str:
        """The queue request this job belongs to: its group, or itself."""
        return self.group or f"job:{self.id}"

    @property
    def resumes(self) -> bool:
        """Whether this job continues a recorded run."""
        return self.resume_from is not None
