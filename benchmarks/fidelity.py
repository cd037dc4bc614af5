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
import sys
import tempfile
import threading
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import httpx

import gotools
from benchmarks.fidelity_report import load, report, summary, write_json
from benchmarks.fidelity_sides import Case, Copies, Listing, salted, score
from benchmarks.fidelity_verdicts import Result, judge
from common.errors import UserError, first_line

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATASET = ROOT / "data" / "real-dataset"
SCORER_TIMEOUT_S = 600


# Input --------------------------------------------------------------------------------------------


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


# The run ------------------------------------------------------------------------------------------


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


# The command --------------------------------------------------------------------------------------


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
