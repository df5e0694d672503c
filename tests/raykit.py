"""A local Ray cluster for the tests: a head node and a second node on this machine,
real Ray processes (GCS, two raylets, their workers) started with Ray's own
``ray.cluster_utils.Cluster``, one CPU each, stopped at the end.
"""

from __future__ import annotations


class RayMissing(RuntimeError):
    """Ray is not installed; the message says how to install it."""


class RayCluster:
    """`start` a head and ``nodes - 1`` more nodes; `address` is what LAB_RAY_ADDRESS takes."""

    def __init__(self, nodes: int = 2, cpus_per_node: int = 1):
        self.nodes, self.cpus = nodes, cpus_per_node
        self._cluster = None

    def start(self) -> "RayCluster":
        try:
            from ray.cluster_utils import Cluster
        except ImportError:
            raise RayMissing("Ray is not installed: pip install -r requirements-cluster.txt") from None
        args = {"num_cpus": self.cpus, "include_dashboard": False, "object_store_memory": 200 * 2**20}
        self._cluster = Cluster(initialize_head=True, connect=False, head_node_args=args)
        for _ in range(self.nodes - 1):
            self._cluster.add_node(**args)
        self._cluster.wait_for_nodes()
        return self

    @property
    def address(self) -> str:
        """The head's HOST:PORT."""
        return self._cluster.address

    def stop(self) -> None:
        """Disconnect this process and stop every Ray process of the cluster."""
        import ray

        ray.shutdown()
        self._cluster.shutdown()
