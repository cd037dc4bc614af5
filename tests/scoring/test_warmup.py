"""The scorer's warm-up at scale: start-up never waits, the warm-up is bounded and cancellable,
and a package it never reached is scored exactly as a warm one."""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from scoring import warmup
from scoring.scoring_server import app
from scoring.settings import Settings, get_settings
from tests.sample import SAMPLE_REPOS
from tests.scoring.in_process import GCD_TEST
from tests.scoring.test_server_reward import go_cover_func

REPOS = 300  # generated repos in the big root, beside one real package named last


@contextmanager
def scoring_client(**settings):
    app.dependency_overrides[get_settings] = lambda: Settings(**settings)
    try:
        with TestClient(app) as client:
            yield client
    finally:
        app.dependency_overrides.clear()


@pytest.fixture(scope="module")
def big_root():
    """A repos root of 300 one-package repos, then the sample's mathx as zz/mathx."""
    base = Path(tempfile.mkdtemp(prefix="warmup-root-"))
    base.chmod(0o755)  # the sandbox reads the repos as another user
    root = base / "repos"
    for i in range(REPOS):
        repo = root / "gen" / f"r{i:03}"
        repo.mkdir(parents=True)
        (repo / "go.mod").write_text(f"module example.com/r{i:03}\n\ngo 1.22\n")
        (repo / "r.go").write_text(
            f"package r{i:03}\n\n// N is a number.\nfunc N() int {{ return {i} }}\n"
        )
    shutil.copytree(SAMPLE_REPOS / "gotest-sample" / "mathx", root / "zz" / "mathx")
    yield root
    shutil.rmtree(base, ignore_errors=True)


def test_package_folders_follow_go_rules_in_name_order_and_stop_at_the_cap(tmp_path):
    files = [
        "a/one/go.mod",
        "a/one/one.go",
        "a/one/sub/s.go",
        "a/one/testdata/t.go",
        "a/one/vendor/v/v.go",
        "a/one/_skip/x.go",
        "a/one/.hidden/h.go",
        "a/one/onlytests/x_test.go",
        "a/_under/u.go",  # a repo may be named anything but hidden
        "b/two/cmd/tool/main.go",
        ".git/objects/x.go",
    ]
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("package x\n")
    every = [
        ("a/_under", "."),
        ("a/one", "."),
        ("a/one", "sub"),
        ("b/two", "cmd/tool"),
    ]
    assert warmup.package_folders(tmp_path, 100) == every
    assert warmup.package_folders(tmp_path, 2) == every[:2]
    assert warmup.package_folders(tmp_path, 0) == []


def test_the_warm_up_stops_at_its_package_cap_and_its_time_cap_and_on_a_stop(tmp_path):
    for i in range(6):
        (tmp_path / "o" / f"r{i}").mkdir(parents=True)
        (tmp_path / "o" / f"r{i}" / "r.go").write_text("package r\n")
    warmed: list[str] = []

    async def warm_one(repo: str, package: str) -> None:
        warmed.append(repo)
        if repo == "o/r1":
            raise RuntimeError("its reference fails")  # the package's failure, not the warm-up's
        await asyncio.sleep(0.3)

    report = asyncio.run(warmup.warm_up(tmp_path, warm_one, packages=4, seconds=60))
    assert warmed == ["o/r0", "o/r1", "o/r2", "o/r3"]
    assert (report.listed, report.warmed, report.failed, report.stopped_by) == (4, 3, 1, "")

    warmed.clear()
    report = asyncio.run(warmup.warm_up(tmp_path, warm_one, packages=6, seconds=0.5))
    # r0 (0.3 s) and r1 (fails at once) start within the 0.5 s; r2 starts at 0.3 s; none after.
    assert warmed == ["o/r0", "o/r1", "o/r2"]
    assert report.stopped_by == "time" and report.warmed == 2

    async def stopped() -> tuple[float, bool]:
        async def forever(repo: str, package: str) -> None:
            await asyncio.sleep(3600)

        task = asyncio.ensure_future(warmup.warm_up(tmp_path, forever, packages=6, seconds=3600))
        await asyncio.sleep(0.2)
        started = time.monotonic()
        await warmup.stop(task)
        return time.monotonic() - started, task.cancelled()

    seconds, cancelled = asyncio.run(stopped())
    assert cancelled and seconds < 1


def test_start_up_does_not_wait_and_a_package_never_warmed_scores_as_a_warm_one(
    big_root, caplog, tmp_path
):
    caplog.set_level(logging.INFO, logger="scoring")
    mathx = {"repo": "zz/mathx", "package": ".", "target_function": "GCD"}
    settings = {"repos_dir": big_root, "concurrency": 2, "timeout_s": 10}
    with scoring_client(**settings, warmup=True, warmup_packages=2, warmup_s=600) as client:
        scorer = client.app.state.scorer
        # Start-up is over, and not one package of the warm-up has been built yet.
        assert not any(future.done() for future in scorer.references.values())
        assert client.get("/health").status_code == 200

        assert big_root / "zz" / "mathx" not in scorer.references
        first = client.post("/score", json={"items": [{**mathx, "completion": GCD_TEST}]})
        first = first.json()["results"][0]
        source = GCD_TEST.removeprefix("```go\n").removesuffix("```")
        salted = f"```go\n{source}\nvar salt = 1\n```"
        warm = client.post("/score", json={"items": [{**mathx, "completion": salted}]})
        warm = warm.json()["results"][0]
        for result in (first, warm):
            assert result["status"] == "ok", result["detail"]
            assert result["tests"] == {"passed": 1, "failed": 1, "skipped": 0}
        expected = go_cover_func("gotest-sample/mathx", source, "GCD", tmp_path)
        assert first["coverage"] == pytest.approx(expected, abs=0.0005)  # go prints 0.1%
        assert warm["coverage"] == first["coverage"] and warm["reward"] == first["reward"]

        # The warm-up built its two packages, the first in name order, and nothing else.
        deadline = time.monotonic() + 300
        while "warm-up: " not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.5)
        assert "warm-up: 2 of 2 package folders warm, 0 failed" in caplog.text
        warm_dirs = {path.relative_to(big_root).as_posix() for path in scorer.references}
        assert warm_dirs == {"gen/r000", "gen/r001", "zz/mathx"}


def test_a_stop_during_the_warm_up_does_not_wait_for_it(big_root, caplog):
    caplog.set_level(logging.INFO, logger="scoring")
    settings = {"repos_dir": big_root, "concurrency": 1, "timeout_s": 10}
    with scoring_client(**settings, warmup=True, warmup_packages=REPOS, warmup_s=3600) as client:
        scorer = client.app.state.scorer
        deadline = time.monotonic() + 120
        while not scorer.references and time.monotonic() < deadline:
            time.sleep(0.1)
        assert scorer.references, "the warm-up never started"
        started = time.monotonic()
    # 300 packages would take minutes; the stop cancels the warm-up instead.
    assert time.monotonic() - started < 30
    assert "warm-up: " not in caplog.text
