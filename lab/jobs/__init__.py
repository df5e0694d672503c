"""Training jobs: a queue, executors, a trainer, callbacks and live progress.

``lab.jobs.JobManager`` is what pages use; the parts behind it:

- `job`: the plain-data `Job` and why one can be refused;
- `queue`: admission and order, no threads;
- `executors`: what runs a job (worker threads; `ray_executor`, `ray_worker` and
  `ray_cluster` for a Ray cluster);
- `trainer`: one job -> one Keras ``fit``;
- `callbacks`: the Keras callbacks of a job, one idea each;
- `sink`: what a trainer reports to; `recorder`: the server's end of it;
- `progress`: typed live progress; `view`: what a page shows of a run.
"""

from lab.jobs.job import Job, JobRejected, QueueFull
from lab.jobs.manager import JobManager, shared_manager
from lab.jobs.progress import ProgressSnapshot, Sample
from lab.jobs.view import RunView

__all__ = ["Job", "JobManager", "JobRejected", "ProgressSnapshot", "QueueFull", "RunView", "Sample",
           "shared_manager"]
