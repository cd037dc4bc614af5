"""exp/fix-turn at its smallest: first answers, the second-turn episodes, one GRPO step on them,
and both models' second answers, against a live scorer."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from evaluation.fix_turn import fix_conversation, needs_fix
from tests.sample import ROOT

SCRIPT = ROOT / "exp" / "fix-turn" / "run.py"

pytestmark = pytest.mark.slow


def test_smallest_run_builds_episodes_trains_and_measures(
    tiny_model, sample_dataset, sample_scorer, tmp_path
):
    from datasets import load_from_disk
    from transformers import AutoTokenizer

    from dataset.tokens import chat_prompt_tokens

    dataset, repos = sample_dataset
    out = tmp_path / "out"
    done = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            f"--model={tiny_model}",
            f"--dataset={dataset}",
            f"--repos-dir={repos}",
            f"--scorer-url={sample_scorer.url}",
            f"--out={out}",
            "--prompts=2",
            "--heldout-targets=1",
            "--first-samples=1",
            "--fix-samples=1",
            "--max-new-tokens=16",
            "--steps=1",
            "--train-override=per_device_train_batch_size=4",
            "--train-override=num_generations=4",
            "--train-override=max_completion_length=16",
        ],
        cwd=ROOT,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        capture_output=True,
        text=True,
        timeout=1200,  # four commands, each guarded like test_train's one
    )
    assert done.returncode == 0, done.stdout + done.stderr

    # Each episode is the very second turn eval.py's fix turn asks, of a first answer that needs it.
    source = load_from_disk(str(dataset))["train"]
    prompts = {row["id"]: row["prompt"] for row in source}
    # With --first-samples=1, sample 0 of each target is trained on, sample 1 is `fresh`.
    logged = [json.loads(line) for line in (out / "eval" / "first-train" / "samples.jsonl").open()]
    first = {f"train:{r['id']}#{r['sample']}": r for r in logged if r["sample"] == 0}
    episodes = load_from_disk(str(out / "episodes"))
    results = json.loads((out / "results.json").read_text())
    too_long = results["episodes"]["train"]["dropped_too_long"]
    assert len(episodes["train"]) == sum(needs_fix(r) for r in first.values()) - too_long > 0
    # The length kept is the chat prompt's in tokens (not the template's output's key count).
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    for episode in episodes["all"]:
        assert episode["prompt_tokens"] == chat_prompt_tokens(tokenizer, episode["prompt"])
        assert 100 < episode["prompt_tokens"] <= 1792
    assert set(episodes["train"]["id"]) < set(episodes["all"]["id"])
    for episode in episodes["train"]:
        record = first[episode["id"]]
        assert episode["prompt"] == fix_conversation(prompts[record["id"]], record)
        assert episode["first_status"] == record["status"]

    assert results["training"]["steps"] == 1
    assert results["evaluation"]["train"]["episodes"] == len(episodes["train"])
    assert set(results["evaluation"]) == {"train", "fresh", "test"}
    assert "| train |" in (out / "results.md").read_text()
    assert (out / "fix-turn.png").stat().st_size > 0
