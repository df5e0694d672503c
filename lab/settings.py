"""Every ``LAB_*`` environment variable, read in one place.

The lab reads its configuration from the environment once per distinct
environment: `settings()` keeps the parsed `Settings` and builds a new one
only when a ``LAB_*`` variable changed (tests and tools change them while a
process runs). A value that cannot be read raises `SettingsError` with the
variable's name and what to set instead, never a silent default.

The README's table "Settings" lists the same variables; `VARIABLES` is the
source of both.
"""

from __future__ import annotations

import functools
import math
import os
import socket
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


class SettingsError(ValueError):
    """A ``LAB_*`` variable holds a value the lab cannot use; the message names it."""


@dataclass(frozen=True)
class Variable:
    """One environment variable: its name, the `Settings` field, default, meaning."""

    name: str
    field: str
    default: object
    meaning: str
    minimum: float | None = None


VARIABLES: tuple[Variable, ...] = (
    Variable("LAB_HOME", "home", None, "data folder: the records (runs.sqlite) and trained models "
             "(trained/)"),
    Variable("LAB_DATABASE_URL", "database_url", None, "records in PostgreSQL, shared by several lab "
             "servers: postgresql://USER:PASSWORD@HOST:5432/DATABASE (needs requirements-cluster.txt; "
             "unset: runs.sqlite in LAB_HOME)"),
    Variable("LAB_MODELS_DIR", "models_folder", None, "where trained models are kept (unset: trained/ in "
             "LAB_HOME); lab servers sharing PostgreSQL records share this folder too (for example on NFS)"),
    Variable("LAB_SERVER_NAME", "server_name", None, "this server's name in the records (unset: HOST:LAB_HOME); "
             "every server sharing PostgreSQL records needs its own, kept across restarts"),
    Variable("LAB_SERVER_SILENT_S", "server_silent_s", 120.0, "seconds a lab server sharing the records may "
             "give no sign of life before its runs can be marked interrupted from another server", minimum=10),
    Variable("LAB_RAY_ADDRESS", "ray_address", None, "train on a Ray cluster instead of in this server: "
             "the head's HOST:PORT, e.g. 10.0.0.5:6379 (needs requirements-cluster.txt; unset: worker "
             "threads in this server)"),
    Variable("LAB_RAY_CPUS", "ray_cpus", 1, "CPUs one run asks of the Ray cluster (TensorFlow uses "
             "that many threads)", minimum=1),
    Variable("LAB_RAY_GPUS", "ray_gpus", 0.0, "GPUs one run asks of the Ray cluster (0: CPU only; 1: one "
             "GPU each; a run set to train on the CPU asks none)", minimum=0),
    Variable("LAB_RAY_FALLBACK", "ray_fallback", True, "1: when the Ray cluster cannot be reached, train "
             "in this server and say so on the Train page; 0: refuse to train until it can"),
    Variable("LAB_DATASETS", "datasets", None, "first folder searched for datasets"),
    Variable("LAB_OFFLINE", "offline", False, "1: never try the Keras download"),
    Variable("LAB_BF16", "bf16", True, "1: on a CPU with bfloat16 matrix units (Intel AMX), compute a run's "
             "answers anew (Evaluate, the shift experiment, uploads) with a CNN's convolutional part in "
             "bfloat16, each answer near a tie checked in float32 (about 3 times faster); 0: float32 throughout"),
    Variable("LAB_MAX_JOBS", "max_jobs", 1, "runs trained at the same time", minimum=1),
    Variable("LAB_QUEUE_SIZE", "queue_size", 8, "runs allowed to wait; more are refused with a "
             "message", minimum=0),
    Variable("LAB_CHECKPOINT_S", "checkpoint_s", 20.0, "seconds between saves of a training "
             "model at epoch ends (a crash loses at most this much)", minimum=0),
    Variable("LAB_MAX_LAYERS", "max_layers", 100, "layers a network may have", minimum=1),
    Variable("LAB_MAX_EPOCHS", "max_epochs", 1000, "epochs one run may plan", minimum=1),
    Variable("LAB_MAX_PARAMS", "max_params", 20_000_000, "parameters a network may have",
             minimum=1),
    Variable("LAB_MAX_IMAGE_PIXELS", "max_image_pixels", 25_000_000, "pixels (width x height) "
             "of an uploaded picture; larger ones are refused before decoding", minimum=1),
    Variable("LAB_MAX_SWEEP", "max_sweep", 50, "runs one sweep may queue (settings combinations x seeds)",
             minimum=1),
    Variable("LAB_TEACHER_KEY", "teacher_key", None, "the key that unlocks the teacher role in a "
             "browser (unset: no teacher role)"),
    Variable("LAB_MAX_MODEL_MB", "max_model_mb", 100, "megabytes an uploaded model file (.keras) may "
             "have; larger ones are refused unread", minimum=1),
    Variable("LAB_MAX_HIDDEN", "max_hidden", 64, "hidden units an XOR network may have on the Inside the "
             "network page (its lab and its trials)", minimum=1),
    Variable("LAB_MAX_TRIES", "max_tries", 200, "tries per hidden size in one \"How often does it "
             "learn?\" study", minimum=1),
)


@dataclass(frozen=True)
class Settings:
    """The lab's configuration (see `VARIABLES` for each field's variable).

    Example:
        >>> s = Settings.from_env({"LAB_MAX_JOBS": "2", "LAB_HOME": "/tmp/lab"})
        >>> s.max_jobs, s.queue_size, str(s.home)
        (2, 8, '/tmp/lab')
    """

    home: Path
    database_url: str | None
    models_folder: Path | None
    server_name: str | None
    server_silent_s: float
    ray_address: str | None
    ray_cpus: int
    ray_gpus: float
    ray_fallback: bool
    datasets: Path | None
    offline: bool
    bf16: bool
    max_jobs: int
    queue_size: int
    checkpoint_s: float
    max_layers: int
    max_epochs: int
    max_params: int
    max_image_pixels: int
    max_sweep: int
    teacher_key: str | None
    max_model_mb: int
    max_hidden: int
    max_tries: int

    @classmethod
    def from_env(cls, env: dict[str, str]) -> "Settings":
        """Parse the variables in ``env`` (a mapping like ``os.environ``).

        Raises:
            SettingsError: a value is not a number where one is needed, or is too small.
        """
        values = {}
        for var in VARIABLES:
            raw = env.get(var.name, "")
            values[var.field] = _parse(var, raw.strip()) if raw.strip() else var.default
        values["home"] = Path(values["home"]) if values["home"] else REPO / "models"
        values["datasets"] = Path(values["datasets"]) if values["datasets"] else None
        values["models_folder"] = Path(values["models_folder"]) if values["models_folder"] else None
        return cls(**values)

    @property
    def records_path(self) -> Path:
        """The SQLite records file inside the data folder."""
        return self.home / "runs.sqlite"

    @property
    def models_dir(self) -> Path:
        """Where trained model files live: ``LAB_MODELS_DIR``, else inside the data folder."""
        return self.models_folder or self.home / "trained"

    @property
    def server(self) -> str:
        """This lab server's name in the records: ``LAB_SERVER_NAME``, else HOST:LAB_HOME."""
        return self.server_name or f"{socket.gethostname()}:{self.home}"


SWITCH_WORDS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False,
                "off": False}  # what an on/off setting may say

def _parse(var: Variable, raw: str):
    default = var.default
    if isinstance(default, bool):
        if raw.lower() not in SWITCH_WORDS:  # a typo must not switch anything on or off unseen
            raise SettingsError(f"{var.name} is '{raw}', but it must be 1 or 0 ({var.meaning}); for example "
                                f"{var.name}={int(default)}.")
        return SWITCH_WORDS[raw.lower()]
    if not isinstance(default, (int, float)):
        return raw
    kind = "whole number" if isinstance(default, int) else "number"
    try:
        value = int(raw) if isinstance(default, int) else float(raw)
        if not math.isfinite(value):
            raise ValueError(raw)
    except ValueError:
        raise SettingsError(f"{var.name} is '{raw}', but it must be a {kind} ({var.meaning}); "
                            f"for example {var.name}={default}.") from None
    if var.minimum is not None and value < var.minimum:
        raise SettingsError(f"{var.name} is {raw}, but it must be at least {var.minimum:g} "
                            f"({var.meaning}).")
    return value


def settings() -> Settings:
    """The current `Settings`, parsed once per distinct set of ``LAB_*`` values.

    Raises:
        SettingsError: see `Settings.from_env`.
    """
    return _cached(tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("LAB_"))))


@functools.lru_cache(maxsize=8)
def _cached(items: tuple[tuple[str, str], ...]) -> Settings:
    return Settings.from_env(dict(items))


def passed_on(names: tuple[str, ...]) -> dict[str, str]:
    """The variables among ``names`` that are set here, as they are set, to hand on to a
    process of the lab's elsewhere (a Ray worker checks a job with the server's limits).

    Example:
        >>> import os
        >>> os.environ["LAB_MAX_LAYERS"] = "12"
        >>> passed_on(("LAB_MAX_LAYERS", "LAB_NOT_SET_ANYWHERE"))
        {'LAB_MAX_LAYERS': '12'}
        >>> del os.environ["LAB_MAX_LAYERS"]
    """
    return {name: os.environ[name] for name in names if os.environ.get(name)}


def markdown_table() -> str:
    """The variables as a Markdown table (the README's "Settings" table is this one)."""
    lines = ["| variable | default | meaning |", "| --- | --- | --- |"]
    lines += [f"| `{var.name}` | {_shown(var)} | {var.meaning} |" for var in VARIABLES]
    return "\n".join(lines)


def _shown(var: Variable) -> str:
    if var.name == "LAB_HOME":
        return "`models/`"
    if var.default is None:
        return "unset"
    if isinstance(var.default, bool):
        return "1" if var.default else "0"
    if isinstance(var.default, int):
        return f"{var.default:,}"
    return f"{var.default:g}"
