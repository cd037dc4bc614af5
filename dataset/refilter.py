"""Apply this version's package filters to a built dataset, in place, without building it again.

    .venv/bin/python -m dataset.refilter --dataset data/real-dataset [--workers 2]

A build keeps the rows of the packages that passed the filters of its day. When a filter is added
(`init_parses_flags`, `too_large`), building a real listing again costs hours; this runs the
package filters (`dataset.filters`: the files' facts, then what the package's initialisation
does) again on each package that has rows, in the repos root the build left, and drops the rows
of those that fail now, with their reason (`not_on_disk` when the package's folder is gone). The
dataset, `counts.json` (its splits, and a `refilter` entry: packages and rows dropped by reason)
and `decisions.jsonl` (a line per package dropped) are written again only when something is
dropped, each whole or not at all, so an interrupted run changes nothing and a second run drops
nothing more. The build's own per-repo results are not touched: a later `dataset.build` into the
same folder assembles the old rows again, and this must then run again.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tqdm import tqdm

import gotools
from common.errors import first_line
from common.files import write_json_atomic
from dataset.assemble import replace_dataset
from dataset.filters import judge_files, package_problem
from dataset.rows import RowsError, built_repos_dir, load_rows
from dataset.split import SPLITS


def current_problem(package_dir: Path) -> tuple[str, str] | None:
    """Why the package would be dropped by this version's filters; None if it is kept."""
    if not package_dir.is_dir():
        return "not_on_disk", f"no folder {package_dir}"
    try:
        verdict = judge_files(str(package_dir))
        if verdict.problem is not None:
            return verdict.problem
        return package_problem(gotools.run("funcs", dir=str(package_dir)))
    except gotools.GoToolsError as err:
        return "helper_error", first_line(str(err))


def judge_packages(
    packages: list[tuple[str, str]], repos_dir: Path, workers: int
) -> dict[tuple[str, str], tuple[str, str]]:
    """The packages (repo, folder) that fail now, with their reason and detail."""

    def judge(package: tuple[str, str]):
        repo, folder = package
        return package, current_problem(repos_dir / repo / folder)

    failing = {}
    with ThreadPoolExecutor(max(1, workers)) as pool:
        bar = tqdm(pool.map(judge, packages), total=len(packages), unit="package")
        for package, problem in bar:
            if problem is not None:
                failing[package] = problem
    return failing


def refilter(dataset_dir: Path, repos_dir: Path, workers: int) -> dict:
    """Drops the rows of packages that fail the filters now; returns what was dropped."""
    from datasets.utils.logging import disable_progress_bar

    disable_progress_bar()
    started = time.monotonic()
    dataset = load_rows(str(dataset_dir))
    rows_of = Counter()
    for split in dataset.values():
        rows_of.update(zip(split["repo"], split["package"], strict=True))
    failing = judge_packages(sorted(rows_of), repos_dir, workers)
    rows_dropped = Counter()
    for package, (reason, _) in failing.items():
        rows_dropped[reason] += rows_of[package]
    report = {
        "packages_checked": len(rows_of),
        "packages_dropped": dict(Counter(reason for reason, _ in failing.values())),
        "rows_dropped": dict(rows_dropped),
        "rows_before": rows_of.total(),
        "seconds": round(time.monotonic() - started, 1),  # the judging: all but a few seconds
    }
    if failing:
        kept = dataset.filter(
            lambda repo, package: [
                (r, p) not in failing for r, p in zip(repo, package, strict=True)
            ],
            input_columns=["repo", "package"],
            batched=True,
        )
        staged = dataset_dir / "dataset.refilter.tmp"
        kept.save_to_disk(str(staged), num_shards={name: 1 for name in kept})
        decisions_path = dataset_dir / "decisions.jsonl"
        decisions_tmp = dataset_dir / "decisions.jsonl.tmp"
        shutil.copyfile(decisions_path, decisions_tmp)
        with decisions_tmp.open("a", encoding="utf-8") as decisions:
            for (repo, folder), (reason, detail) in sorted(failing.items()):
                line = {"stage": "packages", "name": folder, "reason": reason, "detail": detail}
                decisions.write(json.dumps({"repo": repo, **line, "refilter": True}) + "\n")
        counts_path = dataset_dir / "counts.json"
        counts = json.loads(counts_path.read_text(encoding="utf-8"))
        counts["splits"] = {name: len(kept[name]) if name in kept else 0 for name in SPLITS}
        counts.setdefault("refilter", []).append(report)
        # Everything is written aside first: the three replacements take milliseconds.
        replace_dataset(staged, dataset_dir)
        os.replace(decisions_tmp, decisions_path)
        write_json_atomic(counts_path, counts, indent=None)
    return report


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m dataset.refilter", description=__doc__.splitlines()[0]
    )
    p.add_argument("--dataset", required=True, type=Path, help="a folder built by dataset.build")
    p.add_argument("--repos-dir", type=Path, help="its repos root (default: from counts.json)")
    p.add_argument("--workers", type=int, default=2, help="packages judged at once (default: 2)")
    args = p.parse_args(argv)
    # counts.json is rewritten, so it must be there even with --repos-dir.
    counts_path = args.dataset / "counts.json"
    if not counts_path.is_file():
        print(f"refilter: error: {counts_path} not found: is it a built dataset?", file=sys.stderr)
        return 2
    try:
        repos_dir = built_repos_dir(args.dataset, args.repos_dir)
        report = refilter(args.dataset, repos_dir, args.workers)
    except RowsError as err:
        print(f"refilter: error: {err}", file=sys.stderr)
        return 2
    rows = sum(report["rows_dropped"].values())
    before = report["rows_before"]
    reasons = ", ".join(f"{r} {n}" for r, n in sorted(report["rows_dropped"].items()))
    print(
        f"{report['packages_checked']} packages checked in {report['seconds']}s: "
        f"{rows} of {before} rows dropped{f' ({reasons})' if reasons else ''}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
