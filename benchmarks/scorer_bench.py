"""How fast the scoring server is, beside what a bare `go test` of the same file costs.

    .venv/bin/python -m benchmarks.scorer_bench [--rounds 5]

On the sample packages (each one's own test file, posed as a completion), side by side in one run:

- the scorer: p50/p95 latency of one item per request, and throughput, with one request at a time
  and with two at once (the server runs with SCORING_CONCURRENCY=2);
- the floor: a bare `go test -json -cover -count=1` of the same file in a scratch copy of the
  module, with the repo's own tests removed, a warm build cache and no sandbox;
- a reference-style pipeline, one completion at a time: goimports (the helper's), `go mod tidy`,
  `go test -coverprofile`, `go tool cover -func`;
- a duplicate: an item the server has scored already.

With --mutation, instead, the mutation score's cost, side by side in one run on the same
server and the same completions: plain scoring (`reward: coverage`) against mutation scoring
(`reward: mutation`, the whole package as target, the default cap of 24 mutants), and beside them
a one-build-per-mutant baseline as the existing Go mutation tools work (gremlins, go-mutesting):
a coverage run to find the covered mutants and the passing tests, then for each covered mutant an
overlay holding that mutant alone and a `go test` of it (no sandbox, warm build cache: in its
favour).

Every completion is new (a variable with a unique value is appended), so that nothing is answered
from a cache: neither the scorer's results nor Go's build cache (compiled test package, link).
Within a round the three pipelines take turns item by item, so that a noisy machine slows them
alike.
Prints figures and the ratios to the targets; benchmarks/NOTES.md records them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

import gotools
from benchmarks import go_test_json
from benchmarks.stats import percentile
from scoring.local_server import LocalScoringServer
from scoring.mutation import Mutant, covered, go_run_pattern

ROOT = Path(__file__).resolve().parent.parent

REPOS = ROOT / "dataset" / "sample" / "repos"


@dataclass(frozen=True)
class Case:
    repo: str  # owner/name under REPOS
    package: str  # package folder in the repo, "." for the root
    module_dir: Path  # the enclosing go.mod's folder
    test_file: Path

    @property
    def package_dir(self) -> Path:
        return REPOS / self.repo / self.package

    def salted(self) -> str:
        """The test file with a variable no other completion has: a new package to compile.

        A named variable, not `var _ = "..."`, which compiles to nothing: with an unchanged
        object, go test would take the linked binary from its cache, which new code never finds.
        """
        return f'{self.test_file.read_text()}\nvar benchSalt = "{uuid.uuid4().hex}"\n'


def cases() -> list[Case]:
    """Every sample package that has a test file and lies in a module inside its repo."""
    found = []
    for test_file in sorted(REPOS.glob("*/*/**/*_test.go")):
        package_dir = test_file.parent
        repo_dir = REPOS / "/".join(package_dir.relative_to(REPOS).parts[:2])
        module_dir = next(
            (d for d in [package_dir, *package_dir.parents] if (d / "go.mod").exists()), None
        )
        if module_dir is None or not module_dir.is_relative_to(repo_dir):
            continue
        package = package_dir.relative_to(repo_dir).as_posix()
        found.append(Case(repo_dir.relative_to(REPOS).as_posix(), package, module_dir, test_file))
    return found


OFFLINE = {"GOPROXY": "off", "GOFLAGS": "-mod=mod"}


def go_env() -> dict[str, str]:
    return gotools.go_env(OFFLINE)


class Scratch:
    """A private copy of a case's module without the package's own tests, as a person would test."""

    def __init__(self, case: Case, root: Path) -> None:
        self.case = case
        self.module_dir = root / uuid.uuid4().hex
        shutil.copytree(case.module_dir, self.module_dir)
        self.dir = self.module_dir / case.package_dir.relative_to(case.module_dir)
        for old in self.dir.glob("*_test.go"):
            old.unlink()
        self.test_file = self.dir / "bench_test.go"

    def go(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
        return gotools.run_go(list(args), cwd or self.dir, env=OFFLINE)

    def floor(self, source: str) -> float:
        self.test_file.write_text(source)
        started = time.perf_counter()
        run = self.go("test", "-json", "-cover", "-count=1", ".")
        elapsed = time.perf_counter() - started
        events = go_test_json.events(run.stdout)
        if not any(e["Action"] == "pass" and "Test" not in e for e in events):
            raise RuntimeError(f"floor run of {self.case.test_file} failed:\n{run.stdout[-2000:]}")
        return elapsed

    def reference(self, source: str) -> float:
        """goimports, go mod tidy, go test, go tool cover -func: one process after another."""
        raw = self.dir / "raw_test.go.txt"
        raw.write_text(source)
        name = [f"-name={self.test_file.name}"]
        started = time.perf_counter()
        fixed = subprocess.run(
            [str(gotools.helper_binary()), "imports", f"-dir={self.dir}", f"-src={raw}", *name],
            env=go_env(),
            capture_output=True,
            text=True,
            check=True,
        )
        self.test_file.write_text(json.loads(fixed.stdout)["source"])
        steps = [
            (["mod", "tidy"], self.module_dir),
            (["test", "-cover", "-count=1", "-coverprofile=c.out", "."], self.dir),
            (["tool", "cover", "-func=c.out"], self.dir),
        ]
        for args, cwd in steps:
            step = self.go(*args, cwd=cwd)
            if step.returncode != 0:
                raise RuntimeError(f"reference step go {' '.join(args)} failed:\n{step.stderr}")
        return time.perf_counter() - started


def post(
    http: httpx.Client, url: str, case: Case, completion: str, reward: str = "coverage"
) -> tuple[float, dict]:
    item = {
        "repo": case.repo,
        "package": case.package,
        "completion": f"```go\n{completion}```",
        "reward": reward,
    }
    started = time.perf_counter()
    response = http.post(f"{url}/score", json={"items": [item]})
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    result = response.json()["results"][0]
    if result["status"] != "ok":
        raise RuntimeError(f"{case.repo}/{case.package}: {result['status']}: {result['detail']}")
    return elapsed, result


def line(name: str, values: list[float], throughput: float | None = None) -> str:
    text = (
        f"{name:34} n={len(values):3}  p50 {percentile(values, 0.5) * 1000:7.1f} ms"
        f"  p95 {percentile(values, 0.95) * 1000:7.1f} ms"
    )
    if throughput is not None:
        text += f"  {throughput:5.2f} items/s"
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rounds", type=int, default=5, help="passes over the sample packages (default: 5)"
    )
    parser.add_argument(
        "--mutation",
        action="store_true",
        help="instead, the mutation score's cost: plain against mutation scoring, and a "
        "one-build-per-mutant baseline",
    )
    parser.add_argument(
        "--baseline-rounds",
        type=int,
        default=1,
        help="--mutation: rounds that also run the baseline (default: 1)",
    )
    args = parser.parse_args()
    if args.mutation:
        mutation_figures(args.rounds, args.baseline_rounds)
        return

    workload = cases()
    print(f"{time.strftime('%Y-%m-%d %H:%M %Z')}  {platform.node()}  {os.cpu_count()} CPUs")
    print(f"{platform.processor() or platform.machine()}, load average {os.getloadavg()}")
    print(f"{len(workload)} sample packages x {args.rounds} rounds\n")

    scratch_root = Path(tempfile.mkdtemp(prefix="gotestrl-bench-"))
    try:
        floors = {c: Scratch(c, scratch_root) for c in workload}
        second_floors = {c: Scratch(c, scratch_root) for c in workload}  # the floor, 2 at a time
        references = {c: Scratch(c, scratch_root) for c in workload}
        with (
            LocalScoringServer(REPOS, concurrency="2", log_path=ROOT / "logs" / "bench.log") as srv,
            httpx.Client(timeout=120) as http,
        ):
            # Untimed: every path warm (build cache, the server's per-package state, tidy).
            for case in workload:
                post(http, srv.url, case, case.salted())
                floors[case].floor(case.salted())
                second_floors[case].floor(case.salted())
                references[case].reference(case.salted())

            floor, one, reference, two, floor_two = [], [], [], [], []
            by_case: dict[Case, tuple[list[float], list[float]]] = {c: ([], []) for c in workload}
            two_wall = floor_two_wall = 0.0
            for _ in range(args.rounds):
                for case in workload:
                    floor.append(floors[case].floor(case.salted()))
                    one.append(post(http, srv.url, case, case.salted())[0])
                    reference.append(references[case].reference(case.salted()))
                    by_case[case][0].append(floor[-1])
                    by_case[case][1].append(one[-1])
                batch = [(case, case.salted()) for case in workload * 2]
                started = time.perf_counter()
                with ThreadPoolExecutor(2) as pool:
                    clients = [httpx.Client(timeout=120) for _ in range(2)]
                    futures = [
                        pool.submit(post, clients[i % 2], srv.url, case, completion)
                        for i, (case, completion) in enumerate(batch)
                    ]
                    two += [f.result()[0] for f in futures]
                    for client in clients:
                        client.close()
                two_wall += time.perf_counter() - started
                # Two bare go tests at once: how far this machine lets a build scale at all.
                started = time.perf_counter()
                with ThreadPoolExecutor(2) as pool:
                    futures = [
                        pool.submit((floors if i % 2 else second_floors)[case].floor, completion)
                        for i, (case, completion) in enumerate(batch)
                    ]
                    floor_two += [f.result() for f in futures]
                floor_two_wall += time.perf_counter() - started

            duplicate_case = workload[0]
            completion = duplicate_case.salted()
            post(http, srv.url, duplicate_case, completion)
            duplicate = [post(http, srv.url, duplicate_case, completion)[0] for _ in range(50)]
    finally:
        shutil.rmtree(scratch_root, ignore_errors=True)

    print(f"{'package':36} {'floor p50':>10} {'scorer p50':>11} {'ratio':>6}")
    for case, (case_floor, case_one) in by_case.items():
        f50, s50 = percentile(case_floor, 0.5), percentile(case_one, 0.5)
        name = f"{case.repo}/{case.package}".removesuffix("/.")
        print(f"{name:36} {f50 * 1000:7.0f} ms {s50 * 1000:8.0f} ms {s50 / f50:6.2f}")
    print()
    one_throughput = len(one) / sum(one)
    two_throughput = len(two) / two_wall
    print(line("floor: bare go test -json -cover", floor, len(floor) / sum(floor)))
    print(line("scorer, 1 at a time", one, one_throughput))
    print(line("scorer, 2 at a time", two, two_throughput))
    floor_two_throughput = len(floor_two) / floor_two_wall
    print(line("floor, 2 at a time", floor_two, floor_two_throughput))
    print(line("reference pipeline, 1 at a time", reference, len(reference) / sum(reference)))
    print(line("duplicate (answered from memory)", duplicate))
    p50_ratio = percentile(one, 0.5) / percentile(floor, 0.5)
    scaling = two_throughput / one_throughput
    versus_reference = percentile(reference, 0.5) / percentile(one, 0.5)
    print()
    print(f"scorer p50 / floor p50            {p50_ratio:5.2f}  (target <= 1.3)")
    print(f"throughput 2 at a time / 1        {scaling:5.2f}  (target >= 1.6)")
    floor_scaling = floor_two_throughput / (len(floor) / sum(floor))
    print(f"  the same for the bare floor      {floor_scaling:5.2f}  (what the machine allows)")
    print(
        f"duplicate p50                  {percentile(duplicate, 0.5) * 1000:6.1f} ms  (target < 10)"
    )
    print(f"reference p50 / scorer p50        {versus_reference:5.2f}")
    print(f"load average after: {os.getloadavg()}")


def one_build_per_mutant(scratch: Scratch, source: str) -> tuple[float, int, int]:
    """Seconds, killed and total of the baseline on one completion (mutants listed untimed)."""
    listed = gotools.run("mutants", dir=str(scratch.dir), max="24")["mutants"]
    scratch.test_file.write_text(source)
    started = time.perf_counter()
    run = scratch.go("test", "-json", "-count=1", "-coverprofile=c.out", ".")
    outcomes = go_test_json.top_level_outcomes(go_test_json.events(run.stdout))
    passed = [test for test, outcome in outcomes.items() if outcome == "pass"]
    files, blocks, counters = [], [], []
    for entry in (scratch.dir / "c.out").read_text().splitlines()[1:]:
        where, statements, count = entry.split()
        name, span = where.rsplit(":", 1)
        start, end = span.split(",")
        base = name.rsplit("/", 1)[1]
        if base not in files:
            files.append(base)
        numbers = [int(n) for n in (*start.split("."), *end.split("."))]
        blocks.append((files.index(base), *numbers, int(statements)))
        counters.append(int(count))
    killed = 0
    for m in listed:
        mutant = Mutant(m["id"], m["file"], m["stmt_line"], m["stmt_col"])
        if not covered(mutant, files, blocks, counters):
            continue
        original = (scratch.dir / m["file"]).read_bytes()
        lines = original.splitlines(keepends=True)
        start = sum(len(x) for x in lines[: m["line"] - 1]) + m["col"] - 1
        end = sum(len(x) for x in lines[: m["end_line"] - 1]) + m["end_col"] - 1
        # Outside the module: a .go file in a package folder is compiled into it.
        mutated = scratch.module_dir.parent / f"{scratch.module_dir.name}-mutant.go"
        mutated.write_bytes(original[:start] + m["replacement"].encode() + original[end:])
        overlay = scratch.module_dir.parent / f"{scratch.module_dir.name}-overlay.json"
        overlay.write_text(json.dumps({"Replace": {str(scratch.dir / m["file"]): str(mutated)}}))
        pattern = go_run_pattern(passed)
        try:
            argv = [str(gotools.go_binary()), "test", "-count=1", "-failfast", "-timeout=10s"]
            step = subprocess.run(
                [*argv, f"-overlay={overlay}", f"-run={pattern}", "."],
                cwd=scratch.dir,
                env=go_env(),
                capture_output=True,
                timeout=60,
                check=False,
            )
            killed += step.returncode != 0
        except subprocess.TimeoutExpired:
            killed += 1
    return time.perf_counter() - started, killed, len(listed)


def mutation_figures(rounds: int, baseline_rounds: int) -> None:
    workload = cases()
    print(f"{time.strftime('%Y-%m-%d %H:%M %Z')}  {platform.node()}  {os.cpu_count()} CPUs")
    print(f"{platform.processor() or platform.machine()}, load average {os.getloadavg()}")
    print(f"{len(workload)} sample packages x {rounds} rounds (baseline: {baseline_rounds})\n")
    plain, mutation, baseline, ours_on_baseline = [], [], [], []
    scores: dict[Case, tuple[str, str]] = {}
    scratch_root = Path(tempfile.mkdtemp(prefix="gotestrl-bench-"))
    try:
        scratches = {c: Scratch(c, scratch_root) for c in workload}
        with (
            LocalScoringServer(REPOS, concurrency="2", log_path=ROOT / "logs" / "bench.log") as srv,
            httpx.Client(timeout=600) as http,
        ):
            for case in workload:  # untimed: every path warm
                post(http, srv.url, case, case.salted(), "mutation")
                scratches[case].floor(case.salted())
            for round_number in range(rounds):
                for case in workload:
                    completion = case.salted()
                    plain.append(post(http, srv.url, case, completion)[0])
                    elapsed, result = post(http, srv.url, case, completion, "mutation")
                    mutation.append(elapsed)
                    m = result["mutation"]
                    ours = f"{m['killed']}/{m['total']}" if m else "-"
                    if round_number < baseline_rounds:
                        seconds, killed, total = one_build_per_mutant(scratches[case], completion)
                        baseline.append(seconds)
                        ours_on_baseline.append(elapsed)
                        scores[case] = (ours, f"{killed}/{total}")
    finally:
        shutil.rmtree(scratch_root, ignore_errors=True)
    print(f"{'package':36} {'killed (ours)':>14} {'killed (baseline)':>18}")
    for case, (ours, theirs) in scores.items():
        name = f"{case.repo}/{case.package}".removesuffix("/.")
        print(f"{name:36} {ours:>14} {theirs:>18}")
    print()
    print(line("plain scoring (coverage)", plain, len(plain) / sum(plain)))
    print(line("mutation scoring", mutation, len(mutation) / sum(mutation)))
    print(line("one build per mutant", baseline, len(baseline) / sum(baseline)))
    ratio = percentile(mutation, 0.5) / percentile(plain, 0.5)
    slower = percentile(baseline, 0.5) / percentile(ours_on_baseline, 0.5)
    print()
    print(f"mutation p50 / plain p50             {ratio:5.2f}  (target <= 2)")
    print(f"one build per mutant p50 / ours p50  {slower:5.2f}  (target >= 5)")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
