"""Check that a built dataset's rows can be scored: a trivial test in each sampled row's package.

    .venv/bin/python -m dataset.check_rows --dataset data/real-dataset [--sample 500]

For a random sample of rows (all with `--sample 0`), a test file holding one empty test, in the
row's package, goes through the scoring server (started here on the dataset's repos root, as
training starts it) with the row's target. A row passes when its package builds and the test runs
(`ok`): any other status means the scorer could never reward a test of that row, which is a bug
of the builder's filters. Each package is scored once, since the trivial test's fate depends on
the package alone. Prints the share of rows that pass and each failing package with its status;
writes the whole report to `--report` (default: `score_check.json` in the dataset). Exit status 1
when the share is below `--min-share`. A progress bar counts packages; Ctrl-C ends the check with
the report of the packages scored so far.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path

from tqdm import tqdm

from common.errors import first_line
from dataset.rows import RowsError, built_repos_dir, load_split

TARGET_COLUMNS = ("repo", "package", "target_file", "target_function")
# Packages per request: enough to keep the scorer's slots busy, few enough for a live progress bar.
CHUNK = 8
PACKAGE_LINE = "starting with `package "


def trivial_completion(row: dict) -> str:
    """One empty test in the row's package, named as its prompt asks the model to name it."""
    package = row["prompt"][-1]["content"].split(PACKAGE_LINE, 1)[1].split("`", 1)[0]
    test = f'package {package}\n\nimport "testing"\n\nfunc TestNothing(t *testing.T) {{}}\n'
    return f"```go\n{test}```"


def sample_rows(dataset: str, size: int, seed: int) -> list[dict]:
    rows = []
    for split in ("train", "test"):
        try:
            rows += load_split(dataset, split, (*TARGET_COLUMNS, "prompt")).to_list()
        except RowsError as err:
            if "has no" not in str(err):
                raise
    if size and size < len(rows):
        rows = random.Random(seed).sample(rows, size)
    return rows


def check(rows: list[dict], repos_dir: Path, scorer_url: str | None = None) -> dict:
    """Scores one trivial test per package of rows; the report of rows and packages."""
    from scoring.client import ScoringClient
    from scoring.local_server import LocalScoringServer

    packages: dict[tuple[str, str], dict] = {}
    for row in rows:
        key = (row["repo"], row["package"])
        if key not in packages:
            item = {k: row[k] for k in TARGET_COLUMNS}
            packages[key] = {**item, "completion": trivial_completion(row)}
    items = list(packages.values())
    started = time.monotonic()
    results: list[dict] = []
    interrupted = False
    try:
        if scorer_url:
            with ScoringClient(scorer_url) as client:
                _score_in_chunks(client, items, results)
        else:
            # No warm-up: only the sampled packages are built, each once, by its own scoring.
            with (
                LocalScoringServer(repos_dir, warmup="false") as server,
                ScoringClient(server.url) as client,
            ):
                _score_in_chunks(client, items, results)
    except KeyboardInterrupt:
        interrupted = True  # a long check stopped by hand still reports what it scored
    by_package = {key: result for key, result in zip(packages, results, strict=False)}
    rows = [r for r in rows if (r["repo"], r["package"]) in by_package]
    passed = sum(by_package[(r["repo"], r["package"])]["status"] == "ok" for r in rows)
    failures = [
        {
            "repo": key[0],
            "package": key[1],
            "status": result["status"],
            "rows": sum((r["repo"], r["package"]) == key for r in rows),
            "detail": result["detail"].strip()[:500],
        }
        for key, result in by_package.items()
        if result["status"] != "ok"
    ]
    return {
        "rows": len(rows),
        "rows_ok": passed,
        "share_ok": passed / len(rows) if rows else None,
        "packages": len(by_package),
        "interrupted": interrupted,
        "package_statuses": dict(Counter(r["status"] for r in results)),
        "seconds": round(time.monotonic() - started, 1),
        "failures": sorted(failures, key=lambda f: -f["rows"]),
    }


def _score_in_chunks(client, items: list[dict], results: list[dict]) -> None:
    """Scores items a few at a time onto results, with a progress bar: a check of hundreds of
    cold packages takes an hour on a small machine, and Ctrl-C keeps what is done."""
    with tqdm(total=len(items), unit="package", desc="check_rows") as bar:
        for start in range(0, len(items), CHUNK):
            chunk = client.score(items[start : start + CHUNK])
            results += chunk
            bar.update(len(chunk))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m dataset.check_rows", description=__doc__.splitlines()[0]
    )
    p.add_argument("--dataset", required=True, help="a dataset folder built by dataset.build")
    p.add_argument("--repos-dir", type=Path, help="its repos root (default: from counts.json)")
    p.add_argument("--sample", type=int, default=500, help="rows to check (0: all; default: 500)")
    p.add_argument("--seed", type=int, default=0, help="seed of the sample (default: 0)")
    p.add_argument(
        "--min-share", type=float, default=0.98, help="exit 1 below this share (default: 0.98)"
    )
    p.add_argument("--scorer", help="a running scorer's URL (default: start one here)")
    p.add_argument("--report", type=Path, help="report file (default: DATASET/score_check.json)")
    args = p.parse_args(argv)
    try:
        repos_dir = built_repos_dir(args.dataset, args.repos_dir)
        rows = sample_rows(args.dataset, args.sample, args.seed)
    except RowsError as err:
        print(f"check_rows: error: {err}", file=sys.stderr)
        return 2
    print(f"scoring a trivial test for {len(rows)} rows of {args.dataset}", file=sys.stderr)
    report = check(rows, repos_dir, args.scorer)
    report_path = args.report or Path(args.dataset) / "score_check.json"
    report_path.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    for failure in report["failures"]:
        print(
            f"{failure['status']:16} {failure['rows']:5} rows  "
            f"{failure['repo']} {failure['package']}: {first_line(failure['detail'] or '')[:150]}"
        )
    share = report["share_ok"] or 0.0
    stopped = " (interrupted: the packages scored so far)" if report["interrupted"] else ""
    print(
        f"{report['rows_ok']}/{report['rows']} rows ({share:.1%}) build and run a test, "
        f"{report['packages']} packages in {report['seconds']}s{stopped}; report in {report_path}"
    )
    return 0 if share >= args.min_share else 1


if __name__ == "__main__":
    sys.exit(main())
