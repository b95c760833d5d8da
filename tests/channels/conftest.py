"""The platform sandbox for channel tests: one server per test session, its
state emptied before each test."""

import pytest

from channels.sandbox.client import SandboxClient
from channels.sandbox.server import SandboxServer

#: Seed of the session's sandbox, so ids and fault dice replay.
SANDBOX_SEED = 20240601


@pytest.fixture(scope="session")
def sandbox_server():
    server = SandboxServer(port=0, seed=SANDBOX_SEED).start()
    yield server
    server.stop()


@pytest.fixture
def sandbox(sandbox_server):
    """A :class:`SandboxClient` of a freshly reset sandbox (``.server`` is the
    in-process server, ``.url`` its address)."""
    client = SandboxClient(sandbox_server.url)
    client.server = sandbox_server
    client.reset()
    yield client
    client.reset()
