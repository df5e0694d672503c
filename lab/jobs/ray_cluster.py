"""Joining a Ray cluster, and what it offers: the lab's side of ``LAB_RAY_ADDRESS``.

`connect` checks the address, looks whether anything answers there (``ray.init`` itself
would wait minutes), and joins with the lab's own code shipped to every worker;
`describe` says what the cluster has and refuses settings no node can meet.
"""

from __future__ import annotations

import socket
from pathlib import Path

from lab.settings import VARIABLES, passed_on
from lab.words import plural

CONNECT_TIMEOUT_S = 5.0
LAB_PACKAGE = Path(__file__).resolve().parents[1]
# What a worker's checks need from the server's settings (never passwords or keys).
WORKER_VARIABLES = tuple(v.name for v in VARIABLES if v.field.startswith("max_")) + ("LAB_OFFLINE",)


class RayUnavailable(RuntimeError):
    """The Ray cluster cannot be used; the message says why and what to do."""


def connect(address: str, timeout_s: float = CONNECT_TIMEOUT_S):
    """Connect this process to the Ray cluster at ``address``; returns the ``ray`` module.

    The lab's own code goes with every job (Ray's ``py_modules``), so workers need
    only the packages of requirements.txt and requirements-cluster.txt.

    Raises:
        RayUnavailable: Ray is missing, the address is malformed, or nothing answers there.
    """
    try:
        import ray
    except ImportError:
        raise RayUnavailable("LAB_RAY_ADDRESS is set, but Ray is not installed here: "
                             "pip install -r requirements-cluster.txt") from None
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise RayUnavailable(f"LAB_RAY_ADDRESS is '{address}', but it must be the head node's HOST:PORT, "
                             "as `ray start --head` prints it (for example 10.0.0.5:6379).")
    try:  # a quick look first: ray.init itself waits minutes for an address where nothing answers
        socket.create_connection((host, int(port)), timeout=timeout_s).close()
    except OSError as exc:
        raise RayUnavailable(f"The Ray cluster at {address} cannot be reached ({exc.strerror or exc}). "
                             f"Start its head there with `ray start --head --port={port}`, or correct "
                             "LAB_RAY_ADDRESS.") from None
    if ray.is_initialized():  # one cluster per process: this one, or the one it replaces
        if ray.get_runtime_context().gcs_address == address:
            return ray
        ray.shutdown()
    env = passed_on(WORKER_VARIABLES)
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    try:
        ray.init(address=address, namespace="lab", log_to_driver=False,
                 runtime_env={"py_modules": [str(LAB_PACKAGE)], "excludes": ["__pycache__"], "env_vars": env})
    except Exception as exc:
        raise RayUnavailable(f"Ray could not join the cluster at {address}: {first_line(exc)}") from None
    return ray


def describe(ray, cpus: int, gpus: float, address: str) -> str:
    """The cluster in words, for the Train page.

    Raises:
        RayUnavailable: no node has the ``cpus`` or ``gpus`` one job would ask for.
    """
    nodes = [n for n in ray.nodes() if n.get("Alive")]
    most_cpus = max((n["Resources"].get("CPU", 0) for n in nodes), default=0)
    most_gpus = max((n["Resources"].get("GPU", 0) for n in nodes), default=0)
    total = ray.cluster_resources()
    found = (f"{plural(len(nodes), 'node')}, {total.get('CPU', 0):g} CPUs, "
             f"{total.get('GPU', 0):g} GPUs")
    if gpus > most_gpus:
        raise RayUnavailable(f"LAB_RAY_GPUS asks for {gpus:g} GPU per run, but no node of the Ray cluster at "
                             f"{address} has that many ({found}). Set LAB_RAY_GPUS=0 to train on CPUs, or "
                             f"join a node with a GPU: ray start --address={address} --num-gpus=1")
    if cpus > most_cpus:
        raise RayUnavailable(f"LAB_RAY_CPUS asks for {cpus} CPUs per run, but no node of the Ray cluster at "
                             f"{address} has that many ({found}). Lower LAB_RAY_CPUS to {most_cpus:g} or "
                             "join a bigger node.")
    gpu_words = f" and {gpus:g} GPU" if gpus else ""
    return f"{found}; each run asks for {plural(cpus, 'CPU')}{gpu_words}."


def first_line(exc: BaseException) -> str:
    """An exception in one line (Ray's can run to pages).

    Example:
        >>> first_line(RuntimeError("lost\\nmore")), first_line(KeyError())
        ('lost', 'KeyError')
    """
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__
