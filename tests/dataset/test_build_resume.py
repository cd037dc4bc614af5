"""A build resumes: after kill -9 at any moment, and when one repo's result is lost."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.dataset.builds import LISTING, rows_of, run_build
from tests.sample import ROOT, SAMPLE_REPOS


def bigger_sample(folder: Path) -> Path:
    """The sample three times over (owners a, b, c), so that a build takes long enough to kill."""
    lines = []
    for owner in ("a", "b", "c"):
        for line in LISTING.read_text().splitlines():
            row = json.loads(line)
            name = row["repo_name"].split("/")[1]
            row["repo_name"] = f"{owner}/{name}"
            lines.append(json.dumps(row))
            link = folder / "repos" / owner / name
            if not link.exists():
                link.parent.mkdir(parents=True, exist_ok=True)
                link.symlink_to(SAMPLE_REPOS / "gotest-sample" / name)
    listing = folder / "listing.jsonl"
    listing.write_text("\n".join(lines) + "\n")
    return listing


@pytest.mark.slow
def test_a_build_killed_at_any_moment_resumes_to_the_same_rows(tmp_path):
    listing = bigger_sample(tmp_path)
    command = [
        sys.executable,
        "-m",
        "dataset.build",
        "--listing",
        str(listing),
        "--source",
        "dir",
    ]
    # The reference: one uninterrupted build.
    reference = tmp_path / "reference"
    subprocess.run(
        [*command, "--out", str(reference), "--repos-dir", str(tmp_path / "ref-repos")],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    out, repos = tmp_path / "out", tmp_path / "repos-root"
    killed = subprocess.Popen(
        [*command, "--out", str(out), "--repos-dir", str(repos), "--workers", "2"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the kill takes the workers too
    )
    results = out / "build" / "results"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and killed.poll() is None:
        if results.is_dir() and len([p for p in results.iterdir() if p.suffix == ".json"]) >= 4:
            break
        time.sleep(0.01)
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait()
    done_at_kill = len(list(results.glob("*.json")))
    assert 4 <= done_at_kill < 24, "the kill did not land in the middle of the build"
    assert not (out / "dataset_dict.json").exists()

    resumed = subprocess.run(
        [*command, "--out", str(out), "--repos-dir", str(repos)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert rows_of(out) == rows_of(reference)
    assert (
        json.loads((out / "counts.json").read_text())["stages"]
        == json.loads((reference / "counts.json").read_text())["stages"]
    )
    assert sorted(p.relative_to(repos).as_posix() for p in repos.glob("*/*")) == sorted(
        p.relative_to(tmp_path / "ref-repos").as_posix()
        for p in (tmp_path / "ref-repos").glob("*/*")
    )
    assert not (tmp_path / ".repos-root.staging").exists()


def test_a_lost_repo_result_is_rebuilt_on_the_next_run(sample, tmp_path):
    out, _, _ = sample
    run_build(tmp_path / "out", tmp_path / "repos")
    results = sorted((tmp_path / "out" / "build" / "results").glob("*.json"))
    lost = next(p for p in results if "inilex" in p.name)
    lost.unlink()
    run_build(tmp_path / "out", tmp_path / "repos")
    assert lost.exists()
    assert rows_of(tmp_path / "out") == rows_of(out)
