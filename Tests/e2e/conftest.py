"""Fixtures that run a real `galaxy serve` process per test (or per module) on a loopback port.

The server fixtures are parametrized over the two stores. The PostgreSQL variant runs only when
GALAXY_TEST_POSTGRES_URL names a server, as scripts/start-test-services.sh prints it. Each test then
gets a database of its own, created with psql and dropped afterwards.
"""

import os
import shutil

import pytest

from support import GalaxyServer, PostgresAdmin, galaxy_binary

POSTGRES_URL = os.environ.get("GALAXY_TEST_POSTGRES_URL")

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgres",
        id="postgres",
        marks=pytest.mark.skipif(
            not POSTGRES_URL, reason="GALAXY_TEST_POSTGRES_URL is not set, so the PostgreSQL variant does not run"
        ),
    ),
]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keeps each phase's report on the test item, so a fixture can tell in teardown that its test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def call_failed(request):
    """Returns whether the requesting test failed in its call phase (not in set-up or teardown)."""
    report = getattr(request.node, "report_call", None)
    return report is not None and report.failed


@pytest.fixture(scope="session")
def binary():
    path = galaxy_binary()
    if not path.is_file():
        pytest.fail(f"{path} does not exist: build it with `swift build --product galaxy` or set GALAXY_BIN")
    return path


@pytest.fixture(scope="session")
def postgres():
    return PostgresAdmin(POSTGRES_URL) if POSTGRES_URL else None


class ServerPool:
    """The servers of one test or module, stopped with SIGTERM at the end, each expected to exit 0."""

    def __init__(self, binary, backend, work_dir, postgres):
        self.binary = binary
        self.backend = backend
        self.work_dir = work_dir
        self.postgres = postgres
        self.servers = []
        self.databases = []

    def new(self, **options):
        """Start a server on fresh storage: a new data directory, or a new PostgreSQL database."""
        database_url = None
        if self.backend == "postgres":
            name, database_url = self.postgres.create_database()
            self.databases.append(name)
        server = GalaxyServer(
            self.binary,
            self.work_dir / f"server-{len(self.servers)}",
            self.backend,
            database_url=database_url,
            postgres=self.postgres,
            **options,
        )
        self.servers.append(server)
        return server.start()

    def stop_all(self):
        failures = []
        for server in self.servers:
            if not server.running():
                continue
            try:
                code, _ = server.terminate(timeout=10)
            except AssertionError as error:  # still running 10 s after SIGTERM, so it was killed
                failures.append(str(error))
                continue
            if code != 0:
                failures.append(f"galaxy serve exited with {code} after SIGTERM:\n{server.log_tail()}")
        for name in self.databases:
            self.postgres.drop_database(name)
        assert not failures, "\n".join(failures)


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture
def servers(binary, backend, tmp_path, postgres):
    """Factory for servers: `servers.new(**flags)` starts one on fresh storage."""
    pool = ServerPool(binary, backend, tmp_path, postgres)
    yield pool
    pool.stop_all()


@pytest.fixture
def server(servers):
    """A running server on fresh storage, at 10 ticks per second."""
    return servers.new()


@pytest.fixture(scope="module", params=BACKENDS)
def shared_server(request, binary, tmp_path_factory, postgres):
    """One server for a whole module of tests that do not depend on each other's state."""
    work_dir = tmp_path_factory.mktemp(f"shared-{request.param}")
    pool = ServerPool(binary, request.param, work_dir, postgres)
    yield pool.new()
    pool.stop_all()
    shutil.rmtree(work_dir, ignore_errors=True)
