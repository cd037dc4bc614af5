"""Build a dataset of Go test-writing prompts from a listing of Go files.

    python -m dataset.build --listing dataset/sample/listing.jsonl --source dir \\
        --out data/sample-dataset --repos-dir data/repos
    python -m dataset.build --listing dataset/real/listing.parquet --source goproxy \\
        --out data/real-dataset --repos-dir data/repos --workers 2
    python -m dataset.build ... --executor ray --workers 64     # on a Ray cluster

Stages: listing -> download -> extract -> module checks -> filters -> targets -> rows (see the
package docstring). The dataset is saved with `datasets` in --out (load it with
`datasets.load_from_disk`), with counts.json and decisions.jsonl beside it; the repos it uses are
left under --repos-dir at their revision. Killed at any point, the same command resumes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path

import gotools
from common.errors import UserError
from common.files import write_json_atomic
from dataset.assemble import assemble
from dataset.counts import Counts, render_table
from dataset.extract import Limits
from dataset.listing import ListingError, group_repos, read_rows, select_repos
from dataset.pipeline import (
    EXECUTORS,
    ExecutorSettings,
    PipelineError,
    read_entries,
    run_pipeline,
)
from dataset.repo import BuildSettings
from dataset.sources import DEFAULT_GOPROXY, DEFAULT_MODULE_PATH, GITHUB_ARCHIVE, make_source
from dataset.tokens import BYTES_PER_TOKEN_ESTIMATE, TokenCounter, TokenizerError

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CACHE = ROOT / ".cache" / "dataset"
# Slurm's usual largest job array; on Ray as many tasks would only queue.
MAX_CLUSTER_TASKS = 1000


class UsageError(UserError):
    """A mistake of the caller; reported as one line, exit status 2."""


class ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str):
        raise UsageError(f"{message} (see --help)")


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Every option's default once: its value, or, where the value is decided later (None), what
    its help says happens."""

    def _get_help_string(self, action: argparse.Action) -> str:
        help = action.help or ""
        if action.required or action.default is None or "(default" in help:
            return help
        return super()._get_help_string(action)


def make_parser() -> ArgumentParser:
    p = ArgumentParser(
        prog="python -m dataset.build",
        description=__doc__.splitlines()[0],
        formatter_class=HelpFormatter,
    )
    p.add_argument("--listing", required=True, help="a .jsonl/.parquet listing, or a Hub name")
    p.add_argument("--out", required=True, type=Path, help="folder for the dataset")
    p.add_argument("--repos-dir", type=Path, default=Path("data/repos"), help="the repos root")
    p.add_argument(
        "--source",
        choices=("archive", "goproxy", "dir"),
        default="archive",
        help="where repos come from: archives (--archive-url), the Go module proxy, or folders",
    )
    p.add_argument(
        "--archive-url",
        default=GITHUB_ARCHIVE,
        help="archive URL template with {repo_name} (or {owner}, {name}) and {revision_id}; "
        "file:// works",
    )
    p.add_argument(
        "--source-dir",
        type=Path,
        help="--source dir: the folder holding owner/name (default: repos/ beside the listing)",
    )
    p.add_argument("--goproxy", help=f"module proxy URL (default: $GOPROXY or {DEFAULT_GOPROXY})")
    p.add_argument("--module-path", default=DEFAULT_MODULE_PATH, help="repo -> module path")
    p.add_argument(
        "--granularity",
        choices=("function", "file", "both"),
        default="both",
        help="targets: each function, each whole file, or both",
    )
    p.add_argument(
        "--workers", type=int, help="tasks run at once (default: 1 locally, all on a cluster)"
    )
    p.add_argument(
        "--tasks",
        type=int,
        help=f"shards (default: 4 per worker, or one per repo up to {MAX_CLUSTER_TASKS} on a "
        "cluster with no --workers; fixed per --out)",
    )
    p.add_argument(
        "--executor",
        choices=EXECUTORS,
        default="local",
        help="datatrove executor: local processes, a Ray cluster, or a Slurm job array",
    )
    p.add_argument("--ray-address", help="Ray cluster (default: $RAY_ADDRESS, else a local Ray)")
    p.add_argument(
        "--slurm-partition", help="--executor slurm: the partition (default: none, required there)"
    )
    p.add_argument("--slurm-time", default="24:00:00", help="--executor slurm: time per task")
    p.add_argument("--slurm-cpus-per-task", type=int, default=2, help="--executor slurm: CPUs")
    p.add_argument("--max-repos", type=int, help="keep the N most starred repos (default: all)")
    p.add_argument(
        "--min-stars", type=int, help="drop repos with fewer stars (default: none dropped)"
    )
    p.add_argument(
        "--license",
        action="append",
        help="accepted licence (repeat for several; default: any licence)",
    )
    p.add_argument(
        "--tokenizer",
        help="a local tokenizer folder or tokenizer.json (default: an estimate of "
        f"{BYTES_PER_TOKEN_ESTIMATE} bytes per token)",
    )
    p.add_argument("--max-prompt-tokens", type=int, default=2048, help="longer prompts dropped")
    p.add_argument("--test-fraction", type=float, default=0.1, help="share of repos in test")
    p.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE, help="downloads cache")
    p.add_argument("--hub-config", default="Go", help="Hub listing: configuration name")
    p.add_argument("--hub-split", default="train", help="Hub listing: split")
    p.add_argument(
        "--max-listing-rows", type=int, help="read at most this many listing rows (default: all)"
    )
    p.add_argument("--max-repo-mb", type=int, default=512, help="unpacked size limit per archive")
    p.add_argument("--max-repo-files", type=int, default=50_000, help="entries limit per archive")
    return p


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    args = make_parser().parse_args(argv)
    _check(args)
    return args


def _check(args: argparse.Namespace) -> None:
    positive = ("workers", "tasks", "max_repos", "max_prompt_tokens", "max_repo_mb")
    for name in (*positive, "max_repo_files", "max_listing_rows"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise UsageError(f"--{name.replace('_', '-')} must be at least 1, not {value}")
    if not 0 <= args.test_fraction <= 1:
        raise UsageError(f"--test-fraction must be between 0 and 1, not {args.test_fraction}")
    if args.source == "archive":
        fields = {"repo_name": "o/n", "owner": "o", "name": "n", "revision_id": "r"}
        try:
            url = args.archive_url.format(**fields)
        except (KeyError, IndexError, ValueError) as err:
            raise UsageError(f"--archive-url {args.archive_url!r}: unknown field {err}") from None
        if "{revision_id}" not in args.archive_url or url == args.archive_url:
            raise UsageError(
                "--archive-url needs {revision_id} and {repo_name} (or {owner}/{name})"
            )
        if not url.startswith(("http://", "https://", "file://")):
            raise UsageError("--archive-url must be an http(s):// or file:// URL")
    if args.source == "dir":
        if args.source_dir is None:
            listing = Path(args.listing)
            args.source_dir = (listing if listing.is_dir() else listing.parent) / "repos"
        if not args.source_dir.is_dir():
            raise UsageError(f"--source-dir {args.source_dir} is not a folder")
    if args.source == "goproxy" and args.goproxy is None:
        proxies = [p for p in os.environ.get("GOPROXY", "").split(",") if p.startswith("http")]
        args.goproxy = proxies[0] if proxies else DEFAULT_GOPROXY
    if args.executor == "slurm" and not args.slurm_partition:
        raise UsageError("--executor slurm needs --slurm-partition")
    if args.out.exists() and not args.out.is_dir():
        raise UsageError(f"--out {args.out} exists and is not a folder")


def _definition(args: argparse.Namespace) -> dict:
    """The settings that decide the rows: a rerun into the same --out must use the same."""
    tokenizer_digest = None
    if args.tokenizer:
        path = Path(args.tokenizer)
        files = sorted(path.rglob("*")) if path.is_dir() else [path]
        digest = hashlib.sha256()
        for file in (f for f in files if f.is_file()):
            digest.update(file.read_bytes())
        tokenizer_digest = digest.hexdigest()
    return {
        "listing": str(Path(args.listing).resolve())
        if Path(args.listing).exists()
        else args.listing,
        "source": args.source,
        "archive_url": args.archive_url if args.source == "archive" else None,
        "source_dir": str(args.source_dir.resolve()) if args.source == "dir" else None,
        "module_path": args.module_path if args.source == "goproxy" else None,
        "repos_dir": str(args.repos_dir.resolve()),
        "granularity": args.granularity,
        "max_repos": args.max_repos,
        "min_stars": args.min_stars,
        "licenses": sorted(args.license or []),
        "tokenizer": tokenizer_digest,
        "max_prompt_tokens": args.max_prompt_tokens,
        "max_listing_rows": args.max_listing_rows,
        "hub": [args.hub_config, args.hub_split],
        "limits": [args.max_repo_mb, args.max_repo_files],
    }


def prepare(args: argparse.Namespace, work_dir: Path) -> tuple[list, Counts, int]:
    """The selected repos, the listing's counts and the task count: read once, then reused."""
    definition = _definition(args)
    config_path = work_dir / "config.json"
    if config_path.exists():
        saved = json.loads(config_path.read_text(encoding="utf-8"))
        changed = [k for k, v in definition.items() if saved["definition"].get(k) != v]
        if changed:
            raise UsageError(
                f"{args.out} holds a build made with other settings ({', '.join(changed)}): "
                "use another --out, or delete it to start over"
            )
        if (work_dir / "repos.jsonl").exists():
            counts = Counts.from_dict(saved["listing_counts"])
            return read_entries(work_dir / "repos.jsonl"), counts, saved["tasks"]
    counts = Counts()
    rows = read_rows(args.listing, args.hub_config, args.hub_split)
    if args.max_listing_rows:
        rows = (row for _, row in zip(range(args.max_listing_rows), rows, strict=False))
    entries = select_repos(
        group_repos(rows, counts),
        counts,
        min_stars=args.min_stars,
        licenses=args.license,
        max_repos=args.max_repos,
    )
    if args.tasks:
        tasks = args.tasks
    elif args.workers is None and args.executor != "local":
        tasks = max(1, min(len(entries), MAX_CLUSTER_TASKS))
    else:
        tasks = max(1, min(len(entries), 4 * (args.workers or 1)))
    work_dir.mkdir(parents=True, exist_ok=True)
    tmp = work_dir / "repos.jsonl.tmp"
    tmp.write_text("".join(json.dumps(e.to_dict()) + "\n" for e in entries), encoding="utf-8")
    # The config is written first, the selection last: a selection on disk is always complete.
    write_json_atomic(
        config_path,
        {"definition": definition, "listing_counts": counts.to_dict(), "tasks": tasks},
        indent=None,
    )
    os.replace(tmp, work_dir / "repos.jsonl")
    return entries, counts, tasks


def build(args: argparse.Namespace) -> dict | None:
    started = time.monotonic()
    gotools.go_binary()  # a missing toolchain is reported before any work
    tokens = TokenCounter(args.tokenizer)
    work_dir = args.out / "build"
    entries, listing_counts, tasks = prepare(args, work_dir)
    print(
        f"listing: {len(entries)} repos selected from {args.listing}; "
        f"source {args.source}; prompt length by {tokens.description}",
        file=sys.stderr,
    )
    repos_dir = args.repos_dir.resolve()
    settings = BuildSettings(
        source=make_source(
            args.source,
            archive_url=args.archive_url,
            source_dir=args.source_dir.resolve() if args.source_dir else Path("."),
            goproxy=args.goproxy or DEFAULT_GOPROXY,
            module_path=args.module_path,
        ),
        repos_dir=repos_dir,
        staging_dir=repos_dir.parent / f".{repos_dir.name}.staging",
        cache_dir=args.cache_dir.resolve(),
        granularity=args.granularity,
        tokenizer=str(Path(args.tokenizer).resolve()) if args.tokenizer else None,
        max_prompt_tokens=args.max_prompt_tokens,
        limits=Limits(max_bytes=args.max_repo_mb << 20, max_files=args.max_repo_files),
    )
    how = ExecutorSettings(
        kind=args.executor,
        ray_address=args.ray_address,
        slurm_partition=args.slurm_partition,
        slurm_time=args.slurm_time,
        slurm_cpus_per_task=args.slurm_cpus_per_task,
    )
    workers = args.workers or (1 if args.executor == "local" else -1)  # -1: no limit
    if not run_pipeline(work_dir, entries, settings, tasks=tasks, workers=workers, how=how):
        return None  # Slurm jobs submitted: the same command assembles once they are done
    about = {
        "elapsed_s": round(time.monotonic() - started, 1),
        "listing": str(Path(args.listing).resolve())
        if Path(args.listing).exists()
        else args.listing,
        "source": args.source,
        "granularity": args.granularity,
        "prompt_length": tokens.description,
        "max_prompt_tokens": args.max_prompt_tokens,
        "test_fraction": args.test_fraction,
        "repos_dir": str(repos_dir),
    }
    report = assemble(work_dir, args.out, entries, listing_counts, args.test_fraction, about)
    return report


def main(argv: list[str] | None = None) -> int:
    try:
        args = parse_args(argv)
        report = build(args)
        if report is None:
            print(
                f"Slurm jobs submitted (logs under {args.out / 'build' / 'datatrove'}); run the "
                "same command again once they are done to assemble the dataset"
            )
            return 0
    except UsageError as err:
        print(f"dataset.build: error: {err}", file=sys.stderr)
        return 2
    except (ListingError, TokenizerError, PipelineError, gotools.GoToolsError) as err:
        print(f"dataset.build: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("dataset.build: interrupted; run the same command again to resume", file=sys.stderr)
        return 130
    print(render_table(Counts.from_dict(report["stages"]), report["splits"], report["repos_kept"]))
    if report["internal_errors"]:
        print(
            f"warning: {report['internal_errors']} repos failed on an internal error; "
            f"see {args.out / 'decisions.jsonl'}",
            file=sys.stderr,
        )
    print(
        f"dataset saved to {args.out} in {report['elapsed_s']}s "
        f"({report['repo_seconds']}s of repo work in all runs; counts in {args.out}/counts.json)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
