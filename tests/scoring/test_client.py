"""The scoring client and the reward built on it, against live servers on loopback, as a trainer
uses them."""

from __future__ import annotations

import asyncio
import json
import time
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest

from scoring.client import AsyncScoringClient, ScoringClient, ScoringError, scorer_urls
from scoring.local_server import LocalScoringServer, free_port
from tests.sample import SAMPLE_REPOS
from training.rewards import SampleLog, scorer_reward

MATHX = {"repo": "gotest-sample/mathx", "package": "."}


pytestmark = pytest.mark.usefixtures("sample_unchanged_by_each_test")


def passing_tests(n: int, salt: str = "") -> str:
    tests = "\n".join(f"func Test{salt}{n}_{i}(t *testing.T) {{}}" for i in range(n))
    return f'```go\npackage mathx\n\nimport "testing"\n\n{tests}\n```'


@pytest.fixture(scope="module")
def server():
    with LocalScoringServer(SAMPLE_REPOS, warmup="false", timeout_s="5") as live:
        yield live


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


def test_async_reward_function_spreads_across_servers_and_survives_one_dying(server, tmp_path):
    doomed = LocalScoringServer(SAMPLE_REPOS, warmup="false", timeout_s="5")
    doomed.start()
    client = AsyncScoringClient([doomed.url, server.url], backoff_s=0.05)
    reward = scorer_reward(client, SampleLog(tmp_path / "samples.jsonl", every=1))
    completions = [[{"role": "assistant", "content": passing_tests(n, "A")}] for n in (1, 2, 3, 4)]
    columns = {
        "repo": [MATHX["repo"]] * 4,
        "package": ["."] * 4,
        "trainer_state": SimpleNamespace(global_step=1),
    }

    async def run():
        first = await reward(completions, **columns)
        doomed.kill()  # the next batch's chunks for it must move to the live server
        second = await reward(completions[:2] + ["no code here"] * 2, **columns)
        await client.aclose()
        return first, second

    first, second = asyncio.run(run())
    assert first == [pytest.approx(0.8)] * 4  # all passed, nothing covered
    assert second[:2] == first[:2]
    assert second[2:] == [0.0, 0.0]
    seen = [json.loads(line) for line in (tmp_path / "samples.jsonl").read_text().splitlines()]
    assert len(seen) == 8


def test_errors_are_none_not_zero(server, monkeypatch):
    client = AsyncScoringClient(server.url)

    async def answer(items):
        none = {"passed": 0, "failed": 0, "skipped": 0}
        return [
            {"status": "error", "reward": None, "tests": none, "coverage": None, "assertions": 2},
            {
                "status": "ok",
                "reward": 0.9,
                "tests": {**none, "passed": 1},
                "coverage": 0.5,
                "assertions": 0,
            },
        ]

    monkeypatch.setattr(client, "score", answer)
    reward = scorer_reward(client)
    logged = {}
    got = asyncio.run(
        reward(["a", "b"], repo=["r", "r"], package=[".", "."], log_metric=logged.__setitem__)
    )
    assert got == [None, 0.9]
    # The breakdown reaches the trainer's metrics: half the batch failed in the scorer.
    assert logged["scorer/status/error"] == 0.5
    assert logged["scorer/status/ok"] == 0.5
    # Figures of the model leave the scorer's failure out (scoring.figures): the one sample it
    # judged ran.
    assert logged["scorer/run_rate"] == 1.0
    assert logged["scorer/no_assertion_share"] == 1.0  # of the tests that ran


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


@pytest.mark.parametrize(
    "given",
    ["http://a:1 http://b:2/", "http://a:1,http://b:2", " http://a:1 , http://b:2 ",
     ["http://a:1", "http://b:2"], ["http://a:1,http://b:2/"]],
)  # fmt: skip
def test_scorer_urls_are_separated_by_commas_or_spaces(given, monkeypatch):
    assert scorer_urls(given) == ["http://a:1", "http://b:2"]
    monkeypatch.setenv("SCORING_URLS", given if isinstance(given, str) else ",".join(given))
    assert scorer_urls() == ["http://a:1", "http://b:2"]
    assert ScoringClient(given).opts.urls == ["http://a:1", "http://b:2"]


def test_no_scorer_url_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("SCORING_URLS", " , ")
    with pytest.raises(ValueError, match="scorer_urls is empty"):
        scorer_urls()
    monkeypatch.delenv("SCORING_URLS")
    assert scorer_urls() == ["http://127.0.0.1:8000"]
