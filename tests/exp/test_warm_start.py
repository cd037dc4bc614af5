"""exp/warm-start: the mined pairs against the Go helper and the scorer, and the whole run at its
smallest size."""

from __future__ import annotations

import importlib
import json

import pytest

import gotools

pytestmark = pytest.mark.slow


def test_mined_pairs_are_the_tests_that_call_the_target(sample_dataset, sample_scorer, tmp_path):
    mine = importlib.import_module("mine")
    dataset, repos = sample_dataset
    rows = [
        r
        for r in mine.train_rows_of_dataset(dataset)
        if (r["repo"], r["package"]) == ("gotest-sample/mathx", ".")
    ]
    assert {r["target_function"] for r in rows} >= {"GCD", "IsPrime", "Clamp"}
    out = tmp_path / "pairs"
    report = mine.mine(rows, repos, out, None, seed=0, scorer_url=sample_scorer.url)

    from datasets import load_from_disk

    pairs = load_from_disk(str(out))["train"].to_list()
    # The package's tests call GCD and IsPrime directly and Clamp not at all.
    assert sorted(p["target_function"] for p in pairs) == ["GCD", "IsPrime"]
    assert report["counts"]["rows_with_calling_tests"] == 2
    assert report["counts"]["pairs_built"] == 2
    assert json.loads((out / "counts.json").read_text()) == report
    calls = gotools.run("testcalls", dir=str(repos / "gotest-sample" / "mathx"))
    calling = {t["name"] for t in calls["tests"] if "GCD" in t["calls"]}
    for pair in pairs:
        row = next(r for r in rows if r["id"] == pair["id"])
        assert pair["prompt"] == row["prompt"]
        (answer,) = pair["completion"]
        assert answer["role"] == "assistant"
        assert answer["content"].startswith("```go\npackage mathx\n")
        source = answer["content"].removeprefix("```go\n").removesuffix("```")
        test_file = tmp_path / "x_test.go"
        test_file.write_text(source)
        declared = gotools.run("assertions", src=str(test_file))["tests"]
        assert declared == pair["tests"]
        # Scored as-is: the repo's own tests pass and cover their target.
        assert pair["status"] == "ok" and pair["failed"] == 0 and pair["coverage"] > 0
    gcd = next(p for p in pairs if p["target_function"] == "GCD")
    assert set(gcd["tests"]) == calling


def test_the_experiment_runs_end_to_end_at_its_smallest_size(sample_dataset, tmp_path):
    run = importlib.import_module("run")
    dataset, repos = sample_dataset
    out, results = tmp_path / "work", tmp_path / "results"
    run.main(
        [
            "--size=smoke",
            f"--out={out}",
            f"--results={results}",
            f"--dataset={dataset}",
            f"--repos-dir={repos}",
        ]
    )
    summary = json.loads((results / "results.json").read_text())
    assert summary["pairs"]["counts"]["pairs_built"] >= 1
    for split in ("train", "test"):
        models = summary["eval"][split]["models"]
        assert list(models) == ["base", "grpo", "sft", "sft+grpo"]
        assert all(m["n"] == 1 for m in models.values())
    assert [len(summary["grpo_steps"][r]) for r in ("grpo", "sft+grpo")] == [1, 1]
    assert (results / "warm-start.png").read_bytes().startswith(b"\x89PNG")

    # The SFT step learned from the pairs: its weights moved away from the base's.
    from safetensors.torch import load_file

    base = load_file(out / "base" / "model.safetensors")
    sft = load_file(out / "sft" / "model.safetensors")
    assert any(not base[k].equal(sft[k]) for k in base)
