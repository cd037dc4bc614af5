"""The two sides of a fidelity comparison: plain `go test` of a test file alone, and the scorer.

Plain go test runs offline (`GOPROXY=off GOFLAGS=-mod=mod`) in a private copy of the repo whose
package holds no other test file; the scorer is posed the same file as a completion.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import httpx

import gotools
from benchmarks import go_test_json

GO_TEST_TIMEOUT_S = 300
_COVERAGE = re.compile(r"coverage: ([0-9.]+)% of statements")


@dataclass(frozen=True)
class Case:
    repo: str  # owner/name under the repos root
    package: str  # package folder in the repo, "." for the root
    file: str  # the test file's base name

    @property
    def name(self) -> str:
        return f"{self.repo}/{self.package}/{self.file}".replace("/./", "/")


@dataclass
class Run:
    """One side's outcome: counts of top-level tests, the package's coverage in percent."""

    built: bool
    status: str
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    coverage: float | None = None
    seconds: float = 0.0
    output: str = ""


def go(args: list[str], cwd: Path, timeout: float, extra: dict | None = None):
    env = {"GOPROXY": "off", "GOFLAGS": "-mod=mod", **(extra or {})}
    return gotools.run_go(args, cwd, env=env, timeout=timeout)


class Listing:
    """`go list` of each package once: which of its test files the go command builds."""

    def __init__(self, repos_dir: Path) -> None:
        self.repos_dir = repos_dir
        self.known: dict[tuple[str, str], set[str]] = {}

    def built_test_files(self, case: Case) -> set[str]:
        key = (case.repo, case.package)
        if key not in self.known:
            listed = go(
                ["list", "-e", "-json=TestGoFiles,XTestGoFiles", "."],
                self.repos_dir / case.repo / case.package,
                120,
                {"GOFLAGS": ""},  # reading only: never a go.mod change in the repos
            )
            try:
                answer = json.loads(listed.stdout)
            except json.JSONDecodeError:
                answer = {}
            self.known[key] = set(answer.get("TestGoFiles", []) + answer.get("XTestGoFiles", []))
        return self.known[key]


def parse_go_test(stdout: str, stderr: str, seconds: float) -> Run:
    """Top-level tests and coverage from `go test -json`."""
    events = go_test_json.events(stdout)
    build_output, output, coverage, build_failed = [], [], None, False
    for event in events:
        action, test = event.get("Action"), event.get("Test")
        if action == "build-output":
            build_output.append(event.get("Output", ""))
        elif action == "build-fail" or (action == "fail" and event.get("FailedBuild")):
            build_failed = True
        elif action == "output":
            text = event.get("Output", "")
            output.append(text)
            if test is None and (match := _COVERAGE.search(text)):
                coverage = float(match.group(1))
    ran = any(e.get("Action") in ("pass", "fail") and not e.get("Test") for e in events)
    if build_failed or not ran:
        text = "".join(build_output) or stderr or "".join(output)
        return Run(False, "build_failed", seconds=seconds, output=clip(text))
    counts = go_test_json.top_level_counts(events)
    timed_out = any("panic: test timed out after" in text for text in output)
    return Run(
        True,
        "timeout" if timed_out else "ran",
        passed=counts["passed"],
        failed=counts["failed"],
        skipped=counts["skipped"],
        coverage=coverage,
        seconds=seconds,
        output=clip("".join(output)),
    )


class Copies:
    """A private copy of each repo for plain `go test`, made when first needed; one run at a time.

    Plain go test may write the repo (-mod=mod, a test's own files): never the dataset's.
    """

    def __init__(self, repos_dir: Path, root: Path) -> None:
        self.repos_dir = repos_dir
        self.root = root
        self.locks: dict[str, threading.Lock] = defaultdict(threading.Lock)
        self.guard = threading.Lock()

    def lock(self, repo: str) -> threading.Lock:
        with self.guard:
            return self.locks[repo]

    def go_test(self, case: Case, source: str) -> Run:
        """go test -json -cover of the file alone in its package (call under the repo's lock)."""
        copy = self.root / case.repo
        if not copy.exists():
            shutil.copytree(self.repos_dir / case.repo, copy, symlinks=True)
        folder = copy / case.package
        for old in folder.glob("*_test.go"):
            old.unlink()
        (folder / case.file).write_text(source)
        started = time.perf_counter()
        try:
            proc = go(
                ["test", "-json", "-cover", "-count=1", f"-timeout={GO_TEST_TIMEOUT_S - 30}s", "."],
                folder,
                GO_TEST_TIMEOUT_S,
            )
        except subprocess.TimeoutExpired:
            elapsed = time.perf_counter() - started
            return Run(False, "timeout", seconds=elapsed, output="go test did not end in time")
        return parse_go_test(proc.stdout, proc.stderr, time.perf_counter() - started)


def score(http: httpx.Client, url: str, case: Case, source: str) -> Run:
    item = {"repo": case.repo, "package": case.package, "completion": f"```go\n{source}```"}
    started = time.perf_counter()
    response = http.post(f"{url}/score", json={"items": [item]})
    seconds = time.perf_counter() - started
    response.raise_for_status()
    result = response.json()["results"][0]
    tests = result.get("tests") or {}
    coverage = result.get("coverage")
    return Run(
        built=result["status"] in ("ok", "no_tests", "timeout", "limit_exceeded"),
        status=result["status"],
        passed=tests.get("passed", 0),
        failed=tests.get("failed", 0),
        skipped=tests.get("skipped", 0),
        coverage=None if coverage is None else round(coverage * 100, 2),
        seconds=seconds,
        output=clip(result.get("detail") or ""),
    )


def clip(text: str, limit: int = 4000) -> str:
    """The head (a limit's or a compiler's first word) and the tail (the test's summary)."""
    if len(text) <= limit:
        return text
    return f"{text[: limit // 2]}\n...\n{text[-limit // 2 :]}"


def salted(source: str) -> str:
    """A changed file: a new package-level variable, so that nothing is taken from a cache."""
    return f'{source}\nvar fidelitySalt{uuid.uuid4().hex} = "{uuid.uuid4().hex}"\n'
