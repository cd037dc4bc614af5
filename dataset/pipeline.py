"""Sharded, resumable building of the selected repos on one of datatrove's executors.

Repo i of the selection belongs to task i mod tasks. A task builds its repos one by one and
writes each repo's result as soon as it is done (`results/<repo key>.json`, written to a temporary
name and renamed, so a result is either whole or absent). A killed build loses at most the repos
in progress: on the next run, datatrove skips the tasks it marked complete and a task skips the
repos that have a result.

The executor is datatrove's: `local` (processes on this machine), `ray` (tasks on a Ray cluster, or
on a local Ray instance when none is given) or `slurm` (a job array submitted with sbatch, which
returns at once: the same command, run again once the jobs are done, assembles the dataset). All
three share the work folder's results and completion marks, so a build started with one can be
finished with another; on a cluster the work folder, the repos root and the caches must be on a
file system every node sees at the same path, as must this checkout and its .venv.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from datatrove.executor.local import LocalPipelineExecutor
from datatrove.pipeline.base import PipelineStep
from datatrove.utils.logging import logger
from tqdm import tqdm

from common.errors import UserError
from common.files import write_json_atomic
from dataset.listing import RepoEntry
from dataset.repo import BuildSettings, RepoBuilder, repo_key

ROOT = Path(__file__).resolve().parent.parent
EXECUTORS = ("local", "ray", "slurm")
_DEVNULL = None


@dataclass
class ExecutorSettings:
    """Which datatrove executor runs the tasks, and what a cluster needs to know."""

    kind: str = "local"  # one of EXECUTORS
    ray_address: str | None = None  # None: $RAY_ADDRESS, else a local Ray instance
    slurm_partition: str | None = None
    slurm_time: str = "24:00:00"
    slurm_cpus_per_task: int = 2


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
                write_json_atomic(path, result, indent=None)
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


def _make_executor(
    work_dir: Path, settings: BuildSettings, tasks: int, workers: int, how: ExecutorSettings
):
    # A task is redone if it has no completion mark; its finished repos are skipped anyway.
    common = {
        "pipeline": [BuildRepos(work_dir, settings)],
        "tasks": tasks,
        "workers": workers,
        "logging_dir": str(work_dir / "datatrove"),
        "skip_completed": True,
    }
    if how.kind == "local":
        return QuietLocalExecutor(**common)
    if how.kind == "ray":
        _start_ray(how.ray_address)
        from datatrove.executor.ray import RayPipelineExecutor

        return RayPipelineExecutor(**common)
    from datatrove.executor.slurm import SlurmPipelineExecutor

    return SlurmPipelineExecutor(
        **common,
        time=how.slurm_time,
        partition=how.slurm_partition,
        cpus_per_task=how.slurm_cpus_per_task,
        job_name="gotest-dataset",
        # The job runs this checkout's code with its .venv (the Go toolchain lives there too).
        env_command=f"source {ROOT / '.venv' / 'bin' / 'activate'}\nexport PYTHONPATH={ROOT}",
    )


def ray_runtime_env() -> dict:
    """What Ray's workers need: this checkout on their path, before what the driver had."""
    path = [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    return {"env_vars": {"PYTHONPATH": os.pathsep.join(path)}}


def _start_ray(address: str | None) -> None:
    try:
        import ray
    except ImportError:
        raise PipelineError(
            "--executor ray needs Ray: install the pinned ray of requirements.txt"
        ) from None
    if ray.is_initialized():
        return
    runtime_env = ray_runtime_env()
    address = address or os.environ.get("RAY_ADDRESS")
    try:
        if address:
            ray.init(address=address, runtime_env=runtime_env, log_to_driver=False)
        else:
            ray.init(runtime_env=runtime_env, include_dashboard=False, log_to_driver=False)
    except (ConnectionError, RuntimeError, ValueError) as err:
        raise PipelineError(f"cannot start or reach Ray ({address or 'local'}): {err}") from None


def run_pipeline(
    work_dir: Path,
    entries: list[RepoEntry],
    settings: BuildSettings,
    tasks: int,
    workers: int,
    how: ExecutorSettings | None = None,
) -> bool:
    """Builds every entry that has no result yet, with a progress bar over all of them.

    Returns whether every entry has its result: always so, or an error, except with Slurm, whose
    jobs run after this returns.
    """
    how = how or ExecutorSettings()
    missing = [i for i, e in enumerate(entries) if not result_path(work_dir, e).exists()]
    if not missing:
        return True
    done = len(entries) - len(missing)
    for rank in {i % tasks for i in missing}:
        # A task marked complete whose repo results were since removed must run again.
        (work_dir / "datatrove" / "completions" / f"{rank:05d}").unlink(missing_ok=True)
    logger.remove()
    logger.add(sys.stderr, level="ERROR", format="{message}")
    executor = _make_executor(work_dir, settings, tasks, workers, how)
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
    if how.kind == "slurm":
        return False
    with contextlib.suppress(OSError):
        settings.staging_dir.rmdir()  # empty once every repo is built
    missing = [e.repo for e in entries if not result_path(work_dir, e).exists()]
    if missing:
        raise PipelineError(f"{len(missing)} repos have no result (first: {missing[0]}); run again")
    return True


class PipelineError(UserError):
    """The build stopped; the message is one line for the user."""
