"""The live server that the hostile tests attack (`fastapi run`, on loopback), one per module.

A module changes how its server starts by overriding one of the fixtures it is made from:
`top_mode` (of the folder that holds the repos' copy), `server_settings` (SCORING_* settings
without the prefix), `server_env` (more of its environment, such as the Go caches) or `launcher`
(a command that the server's command line is appended to). The settings and the environment
also take a parameter, to run a module's attacks against more than one server:

    @pytest.mark.parametrize("server_settings", [{"memory_mb": "2048"}], indirect=True)
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from scoring.client import ScoringClient
from scoring.local_server import LocalScoringServer
from tests.sample import SAMPLE_REPOS, tree_digest
from tests.scoring.hostile.attack import TOKEN

SETTINGS = {"warmup": "false", "timeout_s": "5", "concurrency": "2", "token": TOKEN}


@pytest.fixture(scope="module")
def top_mode() -> int:
    # Readable by all: the sandbox runs as nobody when the server runs as root.
    return 0o755


@pytest.fixture(scope="module")
def top(top_mode):
    """A folder under the host's /tmp, the repos' copy inside: a sandbox that failed could not
    damage the checkout's sample, and the folders that lead to it must not be writable inside."""
    folder = Path(tempfile.mkdtemp(prefix="gotestrl-hostile-"))
    try:
        folder.chmod(top_mode)
        yield folder
    finally:
        shutil.rmtree(folder)


@pytest.fixture(scope="module")
def repos(top):
    shutil.copytree(SAMPLE_REPOS, top / "repos")
    return top / "repos"


@pytest.fixture(scope="module")
def server_settings(request) -> dict[str, str]:
    return {**SETTINGS, **getattr(request, "param", {})}


@pytest.fixture(scope="module")
def server_env(request) -> dict[str, str]:
    return dict(getattr(request, "param", {}))


@pytest.fixture(scope="module")
def launcher() -> list[str]:
    return []


@pytest.fixture(scope="module")
def server(repos, server_settings, server_env, launcher):
    live = LocalScoringServer(repos, launcher=launcher, **server_settings)
    live.env.update(server_env)
    with live:
        yield live


@pytest.fixture(scope="module")
def client(server):
    with ScoringClient(server.url, token=TOKEN, retries=0, timeout_s=300) as scoring:
        yield scoring


@pytest.fixture(autouse=True)
def repos_unchanged(repos):
    before = tree_digest(repos), tree_digest(SAMPLE_REPOS)
    yield
    assert (tree_digest(repos), tree_digest(SAMPLE_REPOS)) == before, "a repo changed on disk"
