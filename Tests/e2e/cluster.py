"""Processes for the scale-out tests: a throwaway redis-server and `galaxy gateway` replicas.

Redis runs on a free loopback port without persistence, so a restart after SIGKILL comes back empty,
as a managed Redis that lost its node would.
"""

import shutil
import subprocess
import time
from pathlib import Path

from support import REPO_ROOT, GalaxyServer, free_port


class RedisServer:
    """One redis-server on 127.0.0.1 that can be killed and started again on the same port."""

    def __init__(self, work_dir):
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            raise RuntimeError("redis-server is not installed (Debian package redis-server)")
        self.work_dir = Path(work_dir)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}"

    def start(self, timeout=10):
        argv = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        argv += ["--dir", str(self.work_dir)]
        with open(self.work_dir / "redis.log", "ab") as log:
            self.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.process.returncode}")
            if self.ping():
                return self
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not answer on port {self.port} within {timeout} s")

    def ping(self):
        try:
            return self.cli("ping") == "PONG"
        except subprocess.TimeoutExpired:
            return False

    def cli(self, *arguments):
        """Runs one redis-cli command against this server and returns its output, stripped."""
        result = subprocess.run(
            ["redis-cli", "-p", str(self.port), *arguments], capture_output=True, text=True, timeout=2
        )
        return result.stdout.strip()

    def kill(self):
        """SIGKILL, as a crashed node: no clean shutdown, connections drop at once."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class GatewayReplica(GalaxyServer):
    """One `galaxy gateway` process; the same HTTP and WebSocket helpers as the engine's server."""

    def __init__(self, binary, work_dir, database_url, redis_url, gateway_id, postgres=None):
        super().__init__(binary, work_dir, "postgres", database_url=database_url, postgres=postgres)
        self.redis_url = redis_url
        self.gateway_id = gateway_id
        self.options = {}

    def command(self):
        return [
            str(self.binary), "gateway", "--port", str(self.port), "--bind", "127.0.0.1",
            "--database", self.database_url, "--redis", self.redis_url, "--gateway-id", self.gateway_id,
            "--web-root", str(REPO_ROOT / "Web"),
        ]


class Cluster:
    """An engine (`galaxy serve --redis`) and gateway replicas on one PostgreSQL database and one Redis."""

    def __init__(self, binary, work_dir, postgres):
        self.binary = binary
        self.work_dir = Path(work_dir)
        self.postgres = postgres
        self.database_name, self.database_url = postgres.create_database()
        self.redis = RedisServer(self.work_dir / "redis").start()
        self.engine = GalaxyServer(
            binary, self.work_dir / "engine", "postgres", database_url=self.database_url, postgres=postgres,
            redis=self.redis.url,
        ).start()
        self.gateways = []

    def add_gateway(self):
        gateway = GatewayReplica(
            self.binary, self.work_dir / f"gateway-{len(self.gateways)}", self.database_url, self.redis.url,
            f"gw{len(self.gateways)}", postgres=self.postgres,
        )
        self.gateways.append(gateway.start())
        return gateway

    def stop(self):
        """SIGTERM every process still running; each must exit 0."""
        failures = []
        for process in [*self.gateways, self.engine]:
            if not process.running():
                continue
            code, _ = process.terminate(timeout=20)
            if code != 0:
                failures.append(f"{process.command()[1]} exited with {code}:\n{process.log_tail()}")
        self.redis.stop()
        self.postgres.drop_database(self.database_name)
        assert not failures, "\n".join(failures)
