"""The scoring client against live servers on loopback, as a trainer uses it."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from conftest import ROOT, SAMPLE_REPOS

from scoring.client import AsyncScoringClient, ScoringClient, ScoringError, scorer_reward

MATHX = {"repo": "gotest-sample/mathx", "package": "."}


def passing_tests(n: int, salt: str = "") -> str:
    tests = "\n".join(f"func Test{salt}{n}_{i}(t *testing.T) {{}}" for i in range(n))
    return f'```go\npackage mathx\n\nimport "testing"\n\n{tests}\n```'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """`fastapi run scoring/scoring_server.py`, as the README starts it."""

    def __init__(self, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        server_env = {
            **os.environ,
            "SCORING_REPOS_DIR": str(SAMPLE_REPOS),
            "SCORING_WARMUP": "false",
            "SCORING_TIMEOUT_S": "5",
            **env,
        }
        fastapi = [sys.executable, "-m", "fastapi", "run", "scoring/scoring_server.py"]
        self.proc = subprocess.Popen(
            [*fastapi, "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT,
            env=server_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("the scoring server did not become healthy in 60 s")

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


@pytest.fixture(scope="module")
def server():
    live = LiveServer()
    yield live
    live.stop()


def test_sync_client_scores_in_order(server):
    with ScoringClient(server.url) as client:
        assert client.health()["status"] == "ok"
        results = client.score([{**MATHX, "completion": passing_tests(n, "S")} for n in (3, 1, 2)])
    assert [r["tests"]["passed"] for r in results] == [3, 1, 2]
    assert all(r["status"] == "ok" for r in results)


def test_concurrent_requests_for_one_package_do_not_see_each_other(server):
    def one(n: int) -> dict:
        with ScoringClient(server.url) as client:
            return client.score([{**MATHX, "completion": passing_tests(n, "C")}])[0]

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(one, (1, 2, 3, 4)))
    assert [r["tests"]["passed"] for r in results] == [1, 2, 3, 4]


def test_batches_are_split_to_the_contract_limit(server):
    with ScoringClient(server.url, chunk_size=2) as client:
        results = client.score(
            [{**MATHX, "completion": passing_tests(n, "B")} for n in range(1, 6)]
        )
    assert [r["tests"]["passed"] for r in results] == [1, 2, 3, 4, 5]


def test_async_reward_function_spreads_across_servers_and_survives_one_dying(server):
    doomed = LiveServer()
    client = AsyncScoringClient([doomed.url, server.url], backoff_s=0.05)
    seen = []
    reward = scorer_reward(client, on_results=seen.extend)
    completions = [[{"role": "assistant", "content": passing_tests(n, "A")}] for n in (1, 2, 3, 4)]
    columns = {"repo": [MATHX["repo"]] * 4, "package": ["."] * 4}

    async def run():
        first = await reward(completions, **columns)
        doomed.stop()  # the next batch's chunks for it must move to the live server
        second = await reward(completions[:2] + ["no code here"] * 2, **columns)
        await client.aclose()
        return first, second

    first, second = asyncio.run(run())
    assert first == [pytest.approx(0.8)] * 4  # all passed, nothing covered
    assert second[:2] == first[:2]
    assert second[2:] == [0.0, 0.0]
    assert len(seen) == 8


def test_errors_are_none_not_zero(server, monkeypatch):
    client = AsyncScoringClient(server.url)

    async def answer(items):
        return [
            {"status": "error", "reward": None, "tests": {"passed": 0, "failed": 0}},
            {"status": "ok", "reward": 0.9, "tests": {"passed": 1, "failed": 0}},
        ]

    monkeypatch.setattr(client, "score", answer)
    reward = scorer_reward(client)
    got = asyncio.run(reward(["a", "b"], repo=["r", "r"], package=[".", "."]))
    assert got == [None, 0.9]


def test_clear_error_when_no_server_answers():
    url = f"http://127.0.0.1:{free_port()}"
    with (
        ScoringClient(url, retries=2, backoff_s=0.01) as client,
        pytest.raises(ScoringError, match="after 3 tries"),
    ):
        client.score([{**MATHX, "completion": "x"}])


def test_caller_mistakes_are_not_retried(server):
    with ScoringClient(server.url, retries=5, backoff_s=10) as client:
        started = time.monotonic()
        with pytest.raises(ScoringError, match="422"):
            client.score([{"repo": "x", "package": ".", "completion": None}])
        assert time.monotonic() - started < 5
