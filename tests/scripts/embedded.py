"""Helpers for tests that start embedded PostgreSQL and Redis with scripts/services.sh.

Each test gets ports nobody listens on (no system server is configured for them) and
its own var/ directory inside the checkout: as root, the embedded PostgreSQL runs as an
unprivileged user, who cannot enter pytest's private temporary directories.
"""

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.service import REPO_DIR, free_port

SCRIPT = REPO_DIR / "scripts" / "services.sh"


@dataclass
class ServicePorts:
    postgres: int
    redis: int
    var_dir: Path
    database: str

    @property
    def database_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.postgres}/{self.database}"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis}/0"

    @property
    def environment(self) -> dict[str, str]:
        return {
            **os.environ,
            "TEST_DATABASE_URL": self.database_url,
            "TEST_REDIS_URL": self.redis_url,
            "POSTER_VAR_DIR": str(self.var_dir),
        }

    def postgres_pid(self) -> int:
        pid_file = self.var_dir / "services" / f"postgres-{self.postgres}"
        return int((pid_file / "data" / "postmaster.pid").read_text().split()[0])

    def redis_pid(self) -> int:
        pid_file = self.var_dir / "services" / f"redis-{self.redis}" / "redis.pid"
        return int(pid_file.read_text())


def services(ports: ServicePorts, *arguments: str, timeout: int = 300):
    return subprocess.run(
        [str(SCRIPT), *arguments],
        env=ports.environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@contextlib.contextmanager
def fresh_ports(database: str = "services_check") -> Iterator[ServicePorts]:
    """Two free ports and a var/ directory; whatever runs there is stopped after."""
    (REPO_DIR / "var").mkdir(exist_ok=True)
    var_dir = Path(tempfile.mkdtemp(prefix="test-services-", dir=REPO_DIR / "var"))
    var_dir.chmod(0o755)
    ports = ServicePorts(
        postgres=free_port(), redis=free_port(), var_dir=var_dir, database=database
    )
    try:
        yield ports
    finally:
        services(ports, "stop")
        remove_var_dir(var_dir)


def remove_var_dir(var_dir: Path) -> None:
    """Remove var_dir, and what its links point to in /var/tmp (a private checkout)."""
    for entry in (var_dir / "services").glob("postgres-*"):
        if entry.is_symlink():
            shutil.rmtree(entry.resolve().parent, ignore_errors=True)
    shutil.rmtree(var_dir, ignore_errors=True)


def is_listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0
