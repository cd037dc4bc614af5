"""Does the scorer score real tests as `go test` does? Each package's own test files, side by side.

    .venv/bin/python -m benchmarks.fidelity [--dataset data/real-dataset] [--repos-dir DIR]
        [--max-files 200] [--workers 2] [--timed 40] [--json fidelity.json]

Over the packages of a built dataset's rows (or, with `--repos-dir` alone, every package under a
repos root), each of the package's own `_test.go` files, one at a time:

- is scored by the scoring server (started here on the repos root, as training starts it, with
  `SCORING_GOPROXY=off`, so offline), posed as a completion for its package;
- and, beside it, run by a plain `go test -json -cover -count=1` of that file alone: in a copy of
  the repo (whose package holds no other test file), with the same module and build caches
  (`$GOMODCACHE`, `$GOCACHE`, else the project's), offline (`GOPROXY=off GOFLAGS=-mod=mod`).

A file agrees when the top-level passed and failed counts are the same and the package's coverage
is within half a point. Files that neither side can build alone (they use helpers from another
test file of their package), files with no top-level test and files that cannot be posed as a
completion (they hold a ``` fence) are listed apart and left out of the share. Each difference
is printed with a cause read from the two outputs (no network, the read-only repo, the run's time
limit...). A difference with no such cause is run once more on both sides (changed, so that
no cache answers): a side that then gives other counts marks a nondeterministic test (timing
under load, say), not a fault of either; "unexplained" marks one to look into.

For `--timed` of the files that both sides ran, a changed copy of the file (a new variable
appended) is scored and run again, one after the other, on the now warm caches: the p50 of each
is printed. The files are chosen deterministically, spread over the repos (round robin, each
repo's files in an order fixed by a hash of their paths). benchmarks/NOTES.md records the figures.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx

import gotools
from benchmarks import go_test_json
from benchmarks.stats import percentile
from common.errors import UserError, first_line

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATASET = ROOT / "data" / "real-dataset"
# Half a point of coverage: `go test` prints one decimal; the scorer's share is exact.
COVERAGE_TOLERANCE = 0.5
GO_TEST_TIMEOUT_S = 300
SCORER_TIMEOUT_S = 600
_COVERAGE = re.compile(r"coverage: ([0-9.]+)% of statements")
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


# Input ----------------------------------------------------------------------------------------


def dataset_packages(dataset: Path) -> tuple[list[tuple[str, str]], Path]:
    """The (repo, package) pairs of a dataset's rows, and its repos root.

    A finished build is read as `datasets.load_from_disk` reads it; an unfinished one (its
    `build/` work folder only) from the per-repo results written so far.
    """
    if (dataset / "dataset_dict.json").is_file():
        from dataset.rows import RowsError, load_split

        pairs = set()
        for split in ("train", "test"):
            try:
                rows = load_split(str(dataset), split, ("repo", "package"))
            except RowsError as err:  # a UserError: main prints it as it is
                if "has no" in str(err):
                    continue
                raise
            pairs.update(zip(rows["repo"], rows["package"], strict=True))
        counts = dataset / "counts.json"
        repos_dir = json.loads(counts.read_text())["repos_dir"] if counts.is_file() else None
    elif (dataset / "build" / "config.json").is_file():
        pairs = set()
        for path in sorted((dataset / "build" / "results").glob("*.json")):
            result = json.loads(path.read_text())
            pairs.update((row["repo"], row["package"]) for row in result.get("rows") or ())
        config = json.loads((dataset / "build" / "config.json").read_text())
        repos_dir = config["definition"]["repos_dir"]
    else:
        raise UserError(f"{dataset} is not a dataset built by python -m dataset.build")
    return sorted(pairs), Path(repos_dir) if repos_dir else None


def folder_packages(repos_dir: Path) -> list[tuple[str, str]]:
    """Every package folder under a repos root that holds test files and code."""
    pairs = set()
    for test_file in repos_dir.glob("*/*/**/*_test.go"):
        folder = test_file.parent
        if "testdata" in folder.relative_to(repos_dir).parts:
            continue
        if any(not p.name.endswith("_test.go") for p in folder.glob("*.go")):
            parts = folder.relative_to(repos_dir).parts
            pairs.add(("/".join(parts[:2]), "/".join(parts[2:]) or "."))
    return sorted(pairs)


def spread(pairs: list[tuple[str, str]], repos_dir: Path) -> list[Case]:
    """Every test file of the packages, round robin over the repos: the first N spread widely."""
    by_repo: dict[str, list[Case]] = defaultdict(list)
    for repo, package in pairs:
        folder = repos_dir / repo / package
        for path in folder.glob("*_test.go"):
            by_repo[repo].append(Case(repo, package, path.name))
    queues = [
        sorted(files, key=lambda c: hashlib.sha256(c.name.encode()).hexdigest())
        for _, files in sorted(by_repo.items())
    ]
    order = []
    for depth in range(max((len(q) for q in queues), default=0)):
        order += [q[depth] for q in queues if depth < len(q)]
    return order


def go(args: list[str], cwd: Path, timeout: float, extra: dict | None = None):
    env = gotools.go_env({"GOPROXY": "off", "GOFLAGS": "-mod=mod", **(extra or {})})
    return subprocess.run(
        [str(gotools.go_binary()), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


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


# The two sides ----------------------------------------------------------------------------------


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


# Verdicts ---------------------------------------------------------------------------------------


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


# A difference of the scorer's own, left unfixed so far: the cause says so, never "by design".
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


# The run ----------------------------------------------------------------------------------------


class Benchmark:
    def __init__(self, repos_dir: Path, url: str, copies: Copies, timed: int) -> None:
        self.repos_dir = repos_dir
        self.url = url
        self.copies = copies
        self.timed_left = timed
        self.timed_guard = threading.Lock()
        self.local = threading.local()

    def http(self) -> httpx.Client:
        if not hasattr(self.local, "http"):
            self.local.http = httpx.Client(timeout=SCORER_TIMEOUT_S)
        return self.local.http

    def run(self, case: Case) -> Result:
        source = (self.repos_dir / case.repo / case.package / case.file).read_text(errors="replace")
        external = bool(re.search(r"^package\s+\w+_test\b", source, re.MULTILINE))
        if "```" in source:
            cause = "holds a ``` fence, which ends a completion's code block (the contract)"
            return Result(case, external, "not_posed", cause, None, None)
        # go test first: its build fills the shared build cache with the package's dependencies,
        # as the server's warm-up (off here: it would build every package of the repos) does.
        with self.copies.lock(case.repo):
            go_test = self.copies.go_test(case, source)
        scorer = score(self.http(), self.url, case, source)
        verdict, cause = judge(case, self.repos_dir, scorer, go_test)
        result = Result(case, external, verdict, cause, scorer, go_test)
        if cause.startswith("unexplained"):
            # Once more, changed so that no cache answers: does each side repeat itself?
            again = salted(source)
            scorer_again = score(self.http(), self.url, case, again)
            with self.copies.lock(case.repo):
                go_again = self.copies.go_test(case, again)
            result.second = {
                "scorer": [scorer_again.passed, scorer_again.failed],
                "go_test": [go_again.passed, go_again.failed],
            }
            result.verdict, result.cause = judge(
                case, self.repos_dir, scorer, go_test, result.second
            )
        if scorer.status == "ok" and go_test.built and self.take_timed():
            changed = salted(source)
            scorer_timed = score(self.http(), self.url, case, changed)
            with self.copies.lock(case.repo):
                go_timed = self.copies.go_test(case, changed)
            result.timed = {"scorer_s": scorer_timed.seconds, "go_test_s": go_timed.seconds}
        return result

    def take_timed(self) -> bool:
        with self.timed_guard:
            if self.timed_left <= 0:
                return False
            self.timed_left -= 1
            return True


def summary(results: list[Result]) -> dict:
    verdicts = Counter(r.verdict for r in results)
    compared = verdicts["agree"] + verdicts["differ"]
    timed = [r.timed for r in results if r.timed]
    differences = [r for r in results if r.verdict == "differ"]
    return {
        "files": len(results),
        "repos": len({r.case.repo for r in results}),
        "packages": len({(r.case.repo, r.case.package) for r in results}),
        "verdicts": dict(verdicts),
        "compared": compared,
        "agreement": verdicts["agree"] / compared if compared else None,
        "by_design": sum("by design" in r.cause for r in differences),
        "nondeterministic": sum(r.cause.startswith("nondeterministic") for r in differences),
        "scorer_fault": sum(r.cause.startswith("scorer fault") for r in differences),
        "unexplained": sum(r.cause.startswith("unexplained") for r in differences),
        "timed_files": len(timed),
        "scorer_p50_s": percentile([t["scorer_s"] for t in timed], 0.5) if timed else None,
        "go_test_p50_s": percentile([t["go_test_s"] for t in timed], 0.5) if timed else None,
        "causes": dict(Counter(r.cause for r in differences)),
        "external_compared": sum(r.external for r in results if r.verdict in ("agree", "differ")),
        "external_agree": sum(r.external for r in results if r.verdict == "agree"),
    }


def report(results: list[Result], totals: dict) -> str:
    lines = []
    for result in sorted(results, key=lambda r: r.case.name):
        if result.verdict != "differ":
            continue
        s, g = result.scorer, result.go_test
        assert s is not None and g is not None
        lines.append(
            f"DIFFER {result.case.name}: scorer {s.status} {s.passed}/{s.failed} "
            f"cov {s.coverage}, go test {g.passed}/{g.failed} cov {g.coverage}: {result.cause}"
        )
    apart = defaultdict(list)
    for result in results:
        if result.verdict in ("both_fail_to_build", "both_time_out", "not_posed", "no_tests"):
            apart[result.verdict].append(result)
    for verdict, items in sorted(apart.items()):
        lines.append(f"{verdict.replace('_', ' ')}: {len(items)} files")
        for cause, count in Counter(r.cause.split(" (")[0] for r in items).most_common():
            lines.append(f"    {count:4}  {cause}")
    agreement = totals["agreement"]
    share = "n/a" if agreement is None else f"{agreement:.1%}"
    lines.append(
        f"{totals['files']} test files of {totals['packages']} packages in {totals['repos']} "
        f"repos; compared {totals['compared']}: {totals['verdicts'].get('agree', 0)} agree "
        f"({share}), {totals['verdicts'].get('differ', 0)} differ "
        f"({totals['by_design']} by design, {totals['nondeterministic']} nondeterministic tests, "
        f"{totals['scorer_fault']} scorer faults, {totals['unexplained']} unexplained)"
    )
    lines.append(
        f"of them external test packages (package x_test): {totals['external_compared']}, "
        f"{totals['external_agree']} agree"
    )
    if totals["timed_files"]:
        lines.append(
            f"changed file on a warm cache, p50 over {totals['timed_files']} files: "
            f"scorer {totals['scorer_p50_s'] * 1000:.0f} ms, "
            f"go test {totals['go_test_p50_s'] * 1000:.0f} ms"
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    class Parser(argparse.ArgumentParser):
        def error(self, message: str):
            raise UserError(f"{message} (see --help)")

    p = Parser(prog="python -m benchmarks.fidelity", description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--dataset",
        type=Path,
        help=f"a dataset built by dataset.build, finished or not (default: {DEFAULT_DATASET}, "
        "unless --repos-dir alone is given: then every package under it)",
    )
    p.add_argument("--repos-dir", type=Path, help="the repos root (default: the dataset's)")
    p.add_argument("--max-files", type=int, default=200, help="test files to compare (0: all)")
    p.add_argument("--workers", type=int, default=2, help="files compared at once")
    p.add_argument("--timed", type=int, default=40, help="files also timed changed on a warm cache")
    p.add_argument(
        "--files",
        action="append",
        metavar="GLOB",
        help="only the test files whose owner/name/package/file matches (repeatable)",
    )
    p.add_argument("--json", type=Path, help="write every file's result to this JSON file")
    p.add_argument("--timeout-s", default="30", help="the scorer's run limit (SCORING_TIMEOUT_S)")
    p.add_argument(
        "--rejudge",
        type=Path,
        help="run nothing: judge again the runs saved in this --json file and print the report",
    )
    args = p.parse_args(argv)
    if args.max_files < 0 or args.workers < 1 or args.timed < 0:
        raise UserError("--max-files and --timed must be >= 0 and --workers >= 1")
    return args


def select(args: argparse.Namespace) -> tuple[list[Case], Path]:
    if args.dataset is None and args.repos_dir is not None:
        repos_dir = args.repos_dir
        if not repos_dir.is_dir():
            raise UserError(f"--repos-dir {repos_dir} is not a folder")
        pairs = folder_packages(repos_dir.resolve())
    else:
        dataset = args.dataset or DEFAULT_DATASET
        if not dataset.is_dir():
            raise UserError(f"dataset {dataset} not found: build it, or give --repos-dir")
        pairs, found = dataset_packages(dataset)
        repos_dir = args.repos_dir or found
        if repos_dir is None or not repos_dir.is_dir():
            raise UserError(f"the repos root of {dataset} ({repos_dir}) is not a folder")
    repos_dir = repos_dir.resolve()
    listing = Listing(repos_dir)
    chosen = []
    for case in spread(pairs, repos_dir):
        if args.files and not any(fnmatch.fnmatchcase(case.name, g) for g in args.files):
            continue
        if args.max_files and len(chosen) >= args.max_files:
            break
        if case.file in listing.built_test_files(case):  # else excluded by build constraints
            chosen.append(case)
    if not chosen:
        raise UserError(f"no test files in the packages under {repos_dir}")
    return chosen, repos_dir


def compare(bench: Benchmark, cases: list[Case], workers: int, results: list[Result], save) -> bool:
    """Compares the cases into results, saved after each; on Ctrl-C or SIGTERM, what was done
    so far (True: interrupted)."""
    from tqdm import tqdm

    pool = ThreadPoolExecutor(workers)
    try:
        with tqdm(total=len(cases), unit="file", file=sys.stderr) as bar:
            futures = [pool.submit(bench.run, case) for case in cases]
            for future in as_completed(futures):
                results.append(future.result())
                save(results)
                bar.set_postfix(differ=sum(r.verdict == "differ" for r in results))
                bar.update()
    except KeyboardInterrupt:
        pool.shutdown(wait=False, cancel_futures=True)
        return True
    pool.shutdown()
    return False


def load(saved: Path) -> tuple[list[Result], Path, list[str]]:
    """The runs of a --json file, judged again by the rules above (its verdicts are not read)."""
    try:
        data = json.loads(saved.read_text())
        repos_dir = Path(data["repos_dir"])
        results = []
        for item in data["files"]:
            case = Case(**item["case"])
            scorer, go_test = (
                Run(**item[side]) if item[side] else None for side in ("scorer", "go_test")
            )
            second = item.get("second") or {}
            if scorer is None or go_test is None:
                verdict, cause = item["verdict"], item["cause"]
            else:
                verdict, cause = judge(case, repos_dir, scorer, go_test, second)
            result = Result(
                case, item["external"], verdict, cause, scorer, go_test, item["timed"], second
            )
            results.append(result)
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise UserError(f"--rejudge {saved}: not a fidelity --json file ({err})") from err
    return results, repos_dir, data.get("command", [])


def write_json(path: Path, command: list[str], repos_dir: Path, results: list[Result]) -> None:
    totals = summary(results)
    files = [asdict(r) for r in sorted(results, key=lambda r: r.case.name)]
    record = {"command": command, "repos_dir": str(repos_dir), "summary": totals, "files": files}
    path.write_text(json.dumps(record, indent=1) + "\n")


def main(argv: list[str] | None = None) -> int:
    try:
        args = parse_args(argv)
        if args.rejudge:
            results, repos_dir, command = load(args.rejudge)
            print(report(results, summary(results)))
            if args.json:
                write_json(args.json, command, repos_dir, results)
            return 0
        cases, repos_dir = select(args)
    except UserError as err:
        print(f"fidelity: error: {err}", file=sys.stderr)
        return 2
    from scoring.local_server import LocalScoringServer, ScorerStartError

    env = gotools.go_env()
    print(
        f"{len(cases)} test files from {len({c.repo for c in cases})} repos under {repos_dir}; "
        f"GOMODCACHE={env['GOMODCACHE']} GOCACHE={env['GOCACHE']}; "
        f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}",
        file=sys.stderr,
    )

    def save(done: list[Result]) -> None:
        if args.json:  # after every file: a run cut short still leaves its results
            write_json(args.json, sys.argv, repos_dir, done)

    # A SIGTERM ends the run as Ctrl-C does: the report of the files compared so far.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # also when started in the background
    scratch = Path(tempfile.mkdtemp(prefix="gotestrl-fidelity-"))
    results: list[Result] = []
    try:
        with LocalScoringServer(
            repos_dir,
            concurrency=str(args.workers),
            warmup="false",
            goproxy="off",
            timeout_s=args.timeout_s,
        ) as server:
            bench = Benchmark(repos_dir, server.url, Copies(repos_dir, scratch), args.timed)
            interrupted = compare(bench, cases, args.workers, results, save)
    except ScorerStartError as err:
        print(f"fidelity: error: {first_line(err)}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if interrupted:
        print(f"fidelity: interrupted: the {len(results)} files compared so far", file=sys.stderr)
    totals = summary(results)
    print(report(results, totals))
    save(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
