"""Judging one file's two runs: they agree, they differ (with the cause read from the two
outputs), or the file is put apart (neither side builds it alone, both time out, no tests).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.fidelity_sides import Case, Run
from common.errors import first_line

# Half a point of coverage: `go test` prints one decimal; the scorer's share is exact.
COVERAGE_TOLERANCE = 0.5
_UNDEFINED = re.compile(r"undefined: (?:[A-Za-z_]\w*\.)?([A-Za-z_]\w*)")


# Causes of a difference, read from the scorer's output; checked in this order. Each is a limit
# the sandbox sets on purpose (scoring-api: no network, the repo read-only, bounded runs).
CAUSES = (
    (
        "reads its own executable, which a run may only execute (by design: the binary holds "
        "the harness's names)",
        re.compile(r"open /sandbox/pkg\.test: permission denied"),
    ),
    (
        "no network (by design)",
        re.compile(
            r"dial (?:tcp|udp|unix)|no such host|network is unreachable|/dev/log|syslog|"
            r"lookup \S+ on|getaddrinfo|socket: operation not permitted"
        ),
    ),
    (
        "read-only repo and host folders (by design)",
        re.compile(r"read-only file system|permission denied"),
    ),
    (
        "runs the go command, which a run is not given (by design: no toolchain, no caches)",
        re.compile(r'exec: "go": executable file not found'),
    ),
)


@dataclass
class Result:
    case: Case
    external: bool  # package clause with the _test suffix
    verdict: str  # agree, differ; apart: both_fail_to_build, both_time_out, no_tests, not_posed
    cause: str
    scorer: Run | None
    go_test: Run | None
    timed: dict[str, float] = field(default_factory=dict)  # scorer_s, go_test_s: changed file
    # After an unexplained difference, each side's [passed, failed] on a second run.
    second: dict[str, list[int]] = field(default_factory=dict)


def coverage_agrees(scorer: Run, go_test: Run) -> bool:
    if go_test.coverage is None:  # the binary died before its report: nothing to compare
        return scorer.coverage in (None, 0.0)
    if scorer.coverage is None:
        return False
    return abs(scorer.coverage - go_test.coverage) <= COVERAGE_TOLERANCE


def needs_other_files(case: Case, repos_dir: Path, build_output: str) -> str | None:
    """The names the file uses that only another test file of its package declares."""
    undefined = set(_UNDEFINED.findall(build_output))
    if not undefined:
        return None
    folder = repos_dir / case.repo / case.package
    others = " ".join(
        p.read_text(errors="replace") for p in folder.glob("*_test.go") if p.name != case.file
    )
    found = sorted(n for n in undefined if re.search(rf"\b{re.escape(n)}\b", others))
    return ", ".join(found[:5]) or None


def first_error(text: str) -> str:
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "FAIL", "---", "===")):
            return line[:200]
    return text.strip()[:200]


# A fault the scorer had (benchmarks/NOTES.md, 2026-11-27), fixed since: scoring keeps the coverage
# of a run that an Example's panic ended, as go test does. Should it come back, the cause names it
# the scorer's fault, never "by design".
EXAMPLE_PANIC = (
    "scorer fault: a run that an Example's panic ended gets coverage 0; go test reports the "
    "coverage (the panic unwinds through M.Run, whose deferred after() writes the profile)"
)


def cause_of(scorer: Run, go_test: Run) -> str:
    if scorer.status == "timeout" and scorer.output.startswith("the build took over"):
        return "over the scorer's build time limit (SCORING_BUILD_TIMEOUT_S, by design)"
    if scorer.status == "timeout":
        return "over the scorer's run time limit (SCORING_TIMEOUT_S, by design)"
    if scorer.status == "deps_failed" and "SCORING_GOPROXY is off" in scorer.output:
        return (
            "no network (by design): go.sum lacks a module's hash, which the offline scorer may "
            "not fetch (go test -mod=mod takes it from the module cache)"
        )
    if scorer.status == "limit_exceeded":
        return f"over a run limit of the sandbox (by design): {first_line(scorer.output)}"
    if scorer.status == "error":
        return f"scorer error: {first_error(scorer.output)}"
    for cause, pattern in CAUSES:
        if pattern.search(scorer.output) and not pattern.search(go_test.output):
            return cause
    same_counts = (scorer.passed, scorer.failed) == (go_test.passed, go_test.failed)
    example_panicked = re.search(r"--- FAIL: Example\w*[^\n]*\n(?:.*\n)?panic: ", go_test.output)
    if same_counts and scorer.coverage == 0.0 and go_test.coverage and example_panicked:
        return EXAMPLE_PANIC
    if scorer.built != go_test.built:
        side = scorer if not scorer.built else go_test
        who = "the scorer" if side is scorer else "go test"
        return f"unexplained: only {who} fails to build: {first_error(side.output)}"
    return "unexplained"


def nondeterministic(scorer: Run, go_test: Run, second: dict[str, list[int]]) -> str | None:
    """The sides whose second run of the same file gave other counts than their first."""
    sides = (("the scorer", "scorer", scorer), ("go test", "go_test", go_test))
    changed = [
        name
        for name, key, first in sides
        if key in second and second[key] != [first.passed, first.failed]
    ]
    if not changed:
        return None
    return f"nondeterministic test: a second run of {' and '.join(changed)} gave other counts"


def judge(
    case: Case, repos_dir: Path, scorer: Run, go_test: Run, second: dict | None = None
) -> tuple[str, str]:
    if not scorer.built and not go_test.built:
        needed = needs_other_files(case, repos_dir, go_test.output)
        # The same cause on both sides: the scorer's refusal hides no other failure of its own.
        if needed and needed.split(", ")[0] in scorer.output:
            return "both_fail_to_build", f"needs other test files of its package ({needed})"
        if "GOPROXY=off" in go_test.output:
            return "both_fail_to_build", "imports a module the module cache lacks (offline)"
        return "both_fail_to_build", first_error(go_test.output)
    if go_test.status == "timeout" and scorer.status == "timeout":
        return "both_time_out", "a long test: over the scorer's limit and go test's own"
    no_tests = scorer.passed + scorer.failed == 0 and go_test.passed + go_test.failed == 0
    if scorer.built and go_test.built and no_tests:
        return "no_tests", "no top-level test ran on either side"
    same_counts = (scorer.passed, scorer.failed) == (go_test.passed, go_test.failed)
    if scorer.built and go_test.built and same_counts and coverage_agrees(scorer, go_test):
        return "agree", ""
    cause = cause_of(scorer, go_test)
    if cause.startswith("unexplained") and second:
        cause = nondeterministic(scorer, go_test, second) or cause
    return "differ", cause
