"""Sharded, resumable building of the selected repos on datatrove's local executor.

Repo i of the selection belongs to task i mod tasks. A task builds its repos one by one and
writes each repo's result as soon as it is done (`results/<repo key>.json`, written to a temporary
name and renamed, so a result is either whole or absent). A killed build loses at most the repos
in progress: on the next run, datatrove skips the tasks it marked complete and a task skips the
repos that have a result. The same steps run on datatrove's Slurm or Ray executors, sharing the
work folder, to spread a large listing over a cluster.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import threading
from pathlib import Path

from datatrove.executor.local import LocalPipelineExecutor
from datatrove.pipeline.base import PipelineStep
from datatrove.utils.logging import logger
from tqdm import tqdm

from dataset.listing import RepoEntry
from dataset.repo import BuildSettings, RepoBuilder, repo_key

_DEVNULL = None


def write_json_atomic(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_entries(path: Path) -> list[RepoEntry]:
    with path.open(encoding="utf-8") as lines:
        return [RepoEntry.from_dict(json.loads(line)) for line in lines if line.strip()]


def result_path(work_dir: Path, entry: RepoEntry) -> Path:
    return work_dir / "results" / f"{repo_key(entry)}.json"


class BuildRepos(PipelineStep):
    """The datatrove step: builds this task's share of the repos, skipping those already built."""

    name = "build repos"
    type = "gotest-rl"

    def __init__(self, work_dir: Path, settings: BuildSettings) -> None:
        super().__init__()
        self.work_dir = Path(work_dir)
        self.settings = settings

    def run(self, data=None, rank: int = 0, world_size: int = 1):
        entries = read_entries(self.work_dir / "repos.jsonl")
        builder = RepoBuilder(self.settings)
        try:
            for entry in entries[rank::world_size]:
                path = result_path(self.work_dir, entry)
                if path.exists():
                    self.stat_update("repos_resumed")
                    continue
                with self.track_time():
                    result = builder.build(entry)
                write_json_atomic(path, result)
                self.stat_update("repos_kept" if result["kept"] else "repos_dropped")
        finally:
            builder.cache.close()
        yield from data or []


class QuietLocalExecutor(LocalPipelineExecutor):
    """datatrove's local executor with its per-task console log sent to the task's log file only.

    datatrove logs every task to the console as well; with our progress bar and final table that
    is noise, and the full logs stay in the work folder (datatrove/logs/task_NNNNN.log).
    """

    def _run_for_rank(self, rank: int, local_rank: int = 0, node_rank: int = -1):
        global _DEVNULL
        if _DEVNULL is None:
            # Never closed: datatrove's default logger keeps writing to it after the task.
            _DEVNULL = open(os.devnull, "w")  # noqa: SIM115
        console, sys.stderr = sys.stderr, _DEVNULL
        try:
            return super()._run_for_rank(rank, local_rank, node_rank)
        finally:
            sys.stderr = console


def count_results(work_dir: Path) -> int:
    folder = work_dir / "results"
    if not folder.is_dir():
        return 0
    return sum(1 for item in os.scandir(folder) if not item.name.startswith("."))


def run_pipeline(
    work_dir: Path, entries: list[RepoEntry], settings: BuildSettings, tasks: int, workers: int
) -> None:
    """Builds every entry that has no result yet, with a progress bar over all of them."""
    missing = [i for i, e in enumerate(entries) if not result_path(work_dir, e).exists()]
    if not missing:
        return
    done = len(entries) - len(missing)
    for rank in {i % tasks for i in missing}:
        # A task marked complete whose repo results were since removed must run again.
        (work_dir / "datatrove" / "completions" / f"{rank:05d}").unlink(missing_ok=True)
    executor = QuietLocalExecutor(
        pipeline=[BuildRepos(work_dir, settings)],
        tasks=tasks,
        workers=workers,
        logging_dir=str(work_dir / "datatrove"),
        # A task is redone if it has no completion mark; its finished repos are skipped anyway.
        skip_completed=True,
    )
    logger.remove()
    logger.add(sys.stderr, level="ERROR", format="{message}")
    failure: list[BaseException] = []

    def execute() -> None:
        try:
            executor.run()
        except BaseException as err:
            failure.append(err)

    worker = threading.Thread(target=execute, name="datatrove", daemon=True)
    worker.start()
    with tqdm(total=len(entries), initial=done, unit="repo", desc="repos", file=sys.stderr) as bar:
        while worker.is_alive():
            worker.join(0.5)
            bar.update(count_results(work_dir) - bar.n)
    if failure:
        raise PipelineError(
            f"a build task failed: {failure[0]}; its log is under {work_dir / 'datatrove' / 'logs'}"
        )
    with contextlib.suppress(OSError):
        settings.staging_dir.rmdir()  # empty once every repo is built
    missing = [e.repo for e in entries if not result_path(work_dir, e).exists()]
    if missing:
        raise PipelineError(f"{len(missing)} repos have no result (first: {missing[0]}); run again")


class PipelineError(Exception):
    """The build stopped; the message is one line for the user."""
