"""The builder on datatrove's other executors: Ray (a local instance) and Slurm (its submission)."""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
from pathlib import Path

import pytest

from dataset import build
from dataset.pipeline import ray_runtime_env
from tests.dataset.builds import LISTING, rows_of
from tests.sample import SAMPLE_REPOS


def run_build(out: Path, repos: Path, *extra: str) -> int:
    args = ["--listing", str(LISTING), "--out", str(out), "--repos-dir", str(repos)]
    return build.main([*args, "--source", "dir", "--source-dir", str(SAMPLE_REPOS), *extra])


@pytest.fixture(scope="module")
def ray_instance():
    """A local Ray instance of two CPUs, its files in a short folder of its own, then shut down."""
    import ray

    temp = Path(tempfile.mkdtemp(prefix="ray-"))  # Ray's socket paths must stay short
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        _temp_dir=str(temp),
        runtime_env=ray_runtime_env(),
    )
    yield
    ray.shutdown()
    shutil.rmtree(temp, ignore_errors=True)


@pytest.mark.slow
def test_ray_finishes_a_local_build_to_the_same_rows_and_builds_one_alike(ray_instance, tmp_path):
    # A build on the local executor, then the same --out with half its repos' results gone.
    assert run_build(tmp_path / "out", tmp_path / "repos", "--workers", "2") == 0
    local_rows = rows_of(tmp_path / "out")
    results = sorted((tmp_path / "out" / "build" / "results").iterdir())
    for result in results[::2]:
        result.unlink()
    executor_json = tmp_path / "out" / "build" / "datatrove" / "executor.json"
    executor_json.unlink()
    ray = ("--workers", "2", "--executor", "ray")
    assert run_build(tmp_path / "out", tmp_path / "repos", *ray) == 0
    # datatrove's record of the executor that ran the missing tasks: Ray's, not the local one's.
    ran = json.loads(executor_json.read_text())
    assert "mem_per_cpu_gb" in ran and "log_first" in ran and "start_method" not in ran
    assert rows_of(tmp_path / "out") == local_rows
    # A whole build on Ray alone gives the same rows.
    assert run_build(tmp_path / "ray", tmp_path / "ray-repos", *ray, "--tasks", "2") == 0
    assert rows_of(tmp_path / "ray") == local_rows
    counts = json.loads((tmp_path / "ray" / "counts.json").read_text())
    assert counts["splits"] == {name: len(rows) for name, rows in local_rows.items()}


def test_slurm_submits_a_job_array_and_a_later_run_assembles(tmp_path, monkeypatch, capsys):
    # A stand-in sbatch records what it was given and answers as Slurm does.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    sbatch = bin_dir / "sbatch"
    sbatch.write_text(
        f'#!/bin/sh\nfor a; do last=$a; done\ncat "$last" >> {tmp_path}/submitted.slurm\n'
        'echo "Submitted batch job 42"\n'
    )
    sbatch.chmod(sbatch.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    out, repos = tmp_path / "out", tmp_path / "repos"
    slurm = ["--executor", "slurm", "--slurm-partition", "cpu", "--tasks", "3"]
    assert run_build(out, repos, *slurm) == 0
    assert "run the same command again once they are done" in capsys.readouterr().out
    script = (tmp_path / "submitted.slurm").read_text()
    assert "#SBATCH --array=0-2" in script and "#SBATCH --partition=cpu" in script
    assert "launch_pickled_pipeline" in script and ".venv/bin/activate" in script
    assert not (out / "dataset_dict.json").exists()  # nothing to assemble yet
    # Here the tasks run on the local executor instead, over the same folder; then Slurm's
    # command again finds every result and assembles.
    assert run_build(out, repos, "--tasks", "3") == 0
    rows = rows_of(out)
    assert run_build(out, repos, *slurm) == 0
    assert rows_of(out) == rows and sum(len(r) for r in rows.values()) > 0


def test_slurm_without_a_partition_is_one_line(tmp_path, capsys):
    assert run_build(tmp_path / "out", tmp_path / "repos", "--executor", "slurm") == 2
    assert "needs --slurm-partition" in capsys.readouterr().err
