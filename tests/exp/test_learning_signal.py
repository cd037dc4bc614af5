"""exp/learning-signal at its smallest: one GRPO step of one setting, both evaluations, the
results table and the plot, against a live scorer."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.sample import ROOT

SCRIPT = ROOT / "exp" / "learning-signal" / "run.py"

pytestmark = pytest.mark.slow


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        cwd=ROOT,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        capture_output=True,
        text=True,
        timeout=1200,  # three commands, each guarded like test_train's one
    )


def test_smallest_run_trains_evaluates_and_reports(
    tiny_model, sample_dataset, sample_scorer, tmp_path
):
    dataset, repos = sample_dataset
    out = tmp_path / "out"
    done = run(
        f"--model={tiny_model}",
        f"--dataset={dataset}",
        f"--repos-dir={repos}",
        f"--scorer-url={sample_scorer.url}",
        f"--out={out}",
        "--settings",
        "demo",
        "--prompts=2",
        "--steps=1",
        "--heldout-targets=1",
        "--eval-samples=1",
        "--max-new-tokens=16",
        "--train-override=per_device_train_batch_size=4",
        "--train-override=max_completion_length=16",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads((out / "results.json").read_text())
    demo = results["settings"]["demo"]
    assert demo["training"]["steps"] == 1
    assert demo["train_split"]["targets"] == 2
    assert demo["heldout"]["targets"] == 1
    # The trained model is a new folder that eval.py sampled beside the start model.
    assert (out / "models" / "demo" / "config.json").exists()
    samples = [json.loads(line) for line in (out / "eval" / "train-k1" / "samples.jsonl").open()]
    assert {s["model"] for s in samples} == {"start", "demo"}
    assert "| demo | 1 |" in (out / "results.md").read_text()
    assert (out / "reward-per-step.png").read_bytes().startswith(b"\x89PNG")


def test_unknown_setting_is_one_line(tmp_path):
    done = run("--settings", "nope", f"--out={tmp_path}")
    assert done.returncode == 2
    assert "unknown settings ['nope']" in done.stderr
    assert "Traceback" not in done.stderr
