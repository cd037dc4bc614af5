"""The scorer on real packages at scale: first and warm latency beside plain `go test`, and memory.

    .venv/bin/python -m benchmarks.scale_bench --out data/real-dataset --repos-dir data/repos \
        [--latency-packages 5] [--packages 250] [--samples 8]

The packages are those of a real build's rows (`--out`'s `build/results`, so a build still
running or stopped part way serves too), picked at random (`--seed`). Every test is one empty
test with a fresh salt, so that neither the scorer's results nor Go's build cache answer it. Two
build caches start as copies of one seed (`--seed-cache`, default the project's), so that plain
`go test` and the scorer meet the same cold packages.

1. Latency, side by side, for each of `--latency-packages` packages: plain `go test -cover
   -count=1` of the package with the test added through `-overlay` (its own tests left out, no
   sandbox) the first time and again; the scorer's first scoring of the package (no warm-up:
   it builds the package's reference, then the test) and a warm one.
2. Memory: a second server (`SCORING_CONCURRENCY=2`, warm-up on, its default caps) scores
   `--samples` tests of each of `--packages` packages, a package's samples in one request as
   GRPO sends them, and the resident memory of its long-lived processes (the server and its Go
   helpers) is sampled throughout: printed every 200 scorings, with its peak
   (`--minutes` caps its time). With `--refused` its tests also take an `unsafe.Pointer`, which
   the harness refuses before the build: each scoring still loads its package, instruments it
   once, calls the helpers and keeps its result, all of what stays in the server's memory, but
   builds and runs nothing (those processes end with each scoring), so that thousands of
   scorings over hundreds of packages fit in minutes on a small machine.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx

import gotools
from dataset.check_rows import trivial_completion
from scoring.local_server import LocalScoringServer

ROOT = Path(__file__).resolve().parent.parent
REPORT_EVERY = 200  # scorings between two lines of the memory run


def packages_of(out: Path) -> list[dict]:
    """One row per (repo, package) of the build's results, in name order."""
    seen: dict[tuple[str, str], dict] = {}
    for path in sorted((out / "build" / "results").glob("*.json")):
        for row in json.loads(path.read_text(encoding="utf-8"))["rows"]:
            seen.setdefault((row["repo"], row["package"]), row)
    return [seen[key] for key in sorted(seen)]


def salted(row: dict, refused: bool = False) -> str:
    """The trivial test of check_rows with a variable no other test has.

    refused: it also takes an unsafe.Pointer, which the harness refuses before the build.
    """
    completion = trivial_completion(row).removesuffix("```")
    if refused:
        completion = completion.replace('import "testing"', 'import (\n\t"testing"\n\t"unsafe"\n)')
        completion += "\nvar benchPointer = unsafe.Pointer(nil)\n"
    return f'{completion}\nvar benchSalt = "{uuid.uuid4().hex}"\n```'


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def server_rss_kib(pid: int) -> int:
    """The server process and its Go helpers: what lives as long as the server."""
    total = rss_kib(pid)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        if ppid == pid and comm == "gotools":
            total += rss_kib(int(entry.name))
    return total


def plain_go_test(row: dict, repos_dir: Path, env: dict, work: Path) -> float:
    """`go test -cover -count=1` of the package with the test put in by -overlay; seconds."""
    package_dir = repos_dir / row["repo"] / row["package"]
    test = work / f"{uuid.uuid4().hex}.go"
    test.write_text(salted(row).removeprefix("```go\n").removesuffix("```"))
    replace = {str(package_dir / "zz_bench_test.go"): str(test)}
    replace.update({str(p): "" for p in package_dir.glob("*_test.go")})  # its own tests left out
    overlay = work / "overlay.json"
    overlay.write_text(json.dumps({"Replace": replace}))
    argv = [str(gotools.go_binary()), "test", "-cover", "-count=1", f"-overlay={overlay}", "."]
    started = time.perf_counter()
    run = subprocess.run(argv, cwd=package_dir, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if run.returncode != 0:
        raise RuntimeError(f"go test of {row['repo']} {row['package']}:\n{run.stdout[-1500:]}")
    return elapsed


def score(
    http: httpx.Client, url: str, rows: list[dict], refused: bool = False
) -> tuple[float, list[dict]]:
    items = [
        {
            "repo": r["repo"],
            "package": r["package"],
            "target_file": r["target_file"],
            "target_function": r["target_function"],
            "completion": salted(r, refused),
        }
        for r in rows
    ]
    started = time.perf_counter()
    response = http.post(f"{url}/score", json={"items": items}, timeout=3600)
    response.raise_for_status()
    return time.perf_counter() - started, response.json()["results"]


def latency(rows: list[dict], repos_dir: Path, caches: Path) -> None:
    plain_env = gotools.go_env({"GOPROXY": "off", "GOCACHE": str(caches / "plain")})
    print(f"{'package':58} {'go test 1st':>11} {'again':>7} {'scorer 1st':>10} {'warm':>7}")
    figures: list[tuple[float, float, float, float]] = []
    work = Path(tempfile.mkdtemp(prefix="scale-bench-"))
    server_env = {"GOCACHE": str(caches / "scorer")}
    old = {k: os.environ.get(k) for k in server_env}
    os.environ.update(server_env)
    try:
        with (
            LocalScoringServer(repos_dir, warmup="false", concurrency="2") as server,
            httpx.Client() as http,
        ):
            for row in rows:
                name = f"{row['repo']} {row['package']}"[:58]
                try:
                    plain = [plain_go_test(row, repos_dir, plain_env, work) for _ in range(2)]
                except RuntimeError as err:
                    print(f"{name:58} plain go test fails: {str(err).splitlines()[-1][:60]}")
                    continue
                first, (result,) = score(http, server.url, [row])
                warm, (again,) = score(http, server.url, [row])
                if {result["status"], again["status"]} != {"ok"}:
                    print(f"{name:58} scorer: {result['status']}, {again['status']}")
                    continue
                figures.append((plain[0], plain[1], first, warm))
                print(f"{name:58} {plain[0]:10.2f}s {plain[1]:6.2f}s {first:9.2f}s {warm:6.2f}s")
    finally:
        shutil.rmtree(work, ignore_errors=True)
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    columns = list(zip(*figures, strict=True))
    medians = [statistics.median(c) for c in columns]
    print(
        f"{'median':58} {medians[0]:10.2f}s {medians[1]:6.2f}s {medians[2]:9.2f}s "
        f"{medians[3]:6.2f}s"
    )


def memory(
    rows: list[dict], repos_dir: Path, samples: int, caches: Path, minutes: float, refused: bool
) -> None:
    os.environ["GOCACHE"] = str(caches / "memory")
    with LocalScoringServer(repos_dir, concurrency="2") as server, httpx.Client() as http:
        pid = server.proc.pid
        peak = [server_rss_kib(pid)]
        print(f"server and helpers at start: {peak[0] / 1024:.0f} MiB")
        done = threading.Event()

        def sample() -> None:
            while not done.wait(1.0):
                peak[0] = max(peak[0], server_rss_kib(pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        scored, packages, statuses, next_report = 0, 0, {}, REPORT_EVERY
        started = time.monotonic()
        for row in rows:
            if time.monotonic() - started > 60 * minutes:
                print(f"stopped by --minutes {minutes:g}")
                break
            _, results = score(http, server.url, [row] * samples, refused)
            scored += len(results)
            packages += 1
            for r in results:
                statuses[r["status"]] = statuses.get(r["status"], 0) + 1
            if scored >= next_report:
                now = server_rss_kib(pid)
                print(
                    f"{scored:5} scorings, {packages:4} packages, "
                    f"{time.monotonic() - started:6.0f}s: {now / 1024:.0f} MiB "
                    f"(peak {max(peak[0], now) / 1024:.0f} MiB)",
                    flush=True,
                )
                next_report += REPORT_EVERY
        done.set()
        sampler.join()
        end = server_rss_kib(pid)
        print(
            f"{scored} scorings of {packages} packages in {time.monotonic() - started:.0f}s; "
            f"statuses {statuses}; server and helpers at the end {end / 1024:.0f} MiB, "
            f"peak {max(peak[0], end) / 1024:.0f} MiB"
        )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, required=True, help="a dataset.build --out folder")
    p.add_argument("--repos-dir", type=Path, required=True, help="its repos root")
    p.add_argument("--latency-packages", type=int, default=5)
    p.add_argument("--packages", type=int, default=250, help="packages of the memory run")
    p.add_argument("--samples", type=int, default=8, help="tests per package in the memory run")
    p.add_argument(
        "--refused",
        action="store_true",
        help="memory run: tests refused before the build (all of a scoring but go build and run)",
    )
    p.add_argument("--minutes", type=float, default=60, help="time cap of the memory run")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--seed-cache", type=Path, default=ROOT / ".cache" / "go-build")
    args = p.parse_args()
    rows = packages_of(args.out)
    picked = random.Random(args.seed).sample(rows, min(len(rows), args.packages))
    print(f"{len(rows)} packages with rows in {args.out}; machine: {os.cpu_count()} cores")
    caches = Path(tempfile.mkdtemp(prefix="scale-bench-caches-"))
    caches.chmod(0o755)
    try:
        for name in ("plain", "scorer", "memory"):
            shutil.copytree(args.seed_cache, caches / name)
        if args.latency_packages:
            # Packages the memory run does not score, so that its caches stay apart.
            others = [r for r in rows if r not in picked] or rows
            chosen = random.Random(args.seed + 1).sample(
                others, min(len(others), args.latency_packages)
            )
            latency(chosen, args.repos_dir, caches)
        if args.packages:
            memory(picked, args.repos_dir, args.samples, caches, args.minutes, args.refused)
    finally:
        shutil.rmtree(caches, ignore_errors=True)


if __name__ == "__main__":
    main()
