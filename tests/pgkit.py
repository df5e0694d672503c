"""A throwaway PostgreSQL server for the tests: Debian's ``initdb`` and ``pg_ctl``.

The cluster lives in a temporary folder, listens on a free TCP port of
127.0.0.1 (password login, as a lab server would use) and on a unix socket in
that folder, and is thrown away at the end. PostgreSQL refuses to run as root:
as root, the server runs as ``nobody`` (via ``runuser``) in a folder it owns.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

USER, PASSWORD = "lab", "lab-test-secret"
INSTALL_HINT = ("PostgreSQL's initdb and pg_ctl were not found (searched PATH, /usr/local/bin and "
                "/usr/lib/postgresql/*/bin). Install them: apt-get install postgresql")


class PostgresMissing(RuntimeError):
    """The server binaries are not installed; the message says how to install them."""


def find_bindir() -> Path:
    """The folder holding ``initdb``, ``pg_ctl`` and ``postgres`` (newest version first)."""
    candidates = [shutil.which("initdb"), "/usr/local/bin/initdb",
                  *sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                          key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
                          reverse=True)]
    for initdb in filter(None, candidates):
        bindir = Path(os.path.realpath(initdb)).parent  # Debian links /usr/local/bin/* into .../bin
        if all((bindir / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            return bindir
    raise PostgresMissing(INSTALL_HINT)


def free_port() -> int:
    """A TCP port of 127.0.0.1 nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """One private cluster: `start`, `restart`, `stop`, `create_database`."""

    def __init__(self, bindir: Path | None = None):
        self.bindir = bindir or find_bindir()
        self.root = Path(tempfile.mkdtemp(prefix="lab-pg-"))  # not pytest's tmp: it is private to root
        self.data, self.log = self.root / "data", self.root / "server.log"
        self.port = free_port()
        self._as = []
        if os.geteuid() == 0:
            if not shutil.which("runuser"):
                raise PostgresMissing("PostgreSQL cannot run as root and runuser is missing: "
                                      "apt-get install util-linux, or run the tests as another user")
            self._as = ["runuser", "-u", "nobody", "--"]
            shutil.chown(self.root, "nobody")
        self.root.chmod(0o700)
        self._databases = 0

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([*self._as, *args], capture_output=True, text=True, check=check, cwd=self.root)

    def start(self) -> "PostgresServer":
        """initdb (first time) and start the server; waits until it accepts connections."""
        if not self.data.exists():
            pwfile = self.root / "pw"
            pwfile.write_text(PASSWORD + "\n")
            if self._as:
                shutil.chown(pwfile, "nobody")
            self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", USER, f"--pwfile={pwfile}",
                      "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync")
        for attempt in range(3):
            done = self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w",
                             "-t", "60", "-o", self._options(), "start", check=False)
            if done.returncode == 0:
                return self
            self.port = free_port()  # someone took the port meanwhile
        raise RuntimeError(f"PostgreSQL did not start: {done.stderr}\n{self.log.read_text()[-3000:]}")

    def _options(self) -> str:
        return (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c full_page_writes=off")

    def restart(self) -> None:
        """Stop (fast: open sessions are cut) and start again, as an administrator would."""
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                  "-m", "fast", "-o", self._options(), "restart")

    def halt(self) -> None:
        """Stop the server as an outage would (open sessions cut), keeping its data: `start`
        brings it back."""
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def stop(self) -> None:
        """Stop the server and remove its folder."""
        if self.data.exists():
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop",
                      check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres", password: str = PASSWORD, port: int | None = None) -> str:
        """The ``postgresql://`` address of ``database`` (TCP, password login)."""
        return f"postgresql://{USER}:{password}@127.0.0.1:{port or self.port}/{database}"

    def admin(self, sql: str) -> None:
        """Run one statement on the ``postgres`` database (autocommit: CREATE DATABASE works)."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(sql)

    def create_database(self) -> str:
        """A new, empty database; returns its URL."""
        self._databases += 1
        name = f"lab_{self._databases}"
        self.admin(f"CREATE DATABASE {name}")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """Drop a database made by `create_database`, cutting its open connections."""
        self.admin(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")
