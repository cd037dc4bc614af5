"""eval.py resumed: the same command again, a stopped run, more targets, other settings, a model
changed since, and the samples that the scorer failed on.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from evaluation import logs
from scoring.client import ScoringClient, ScoringError
from scoring.local_server import free_port
from tests.evaluation.eval_run import GenerationSpy, arguments, copy_run, eval_script, lines
from tests.sample import ROOT

# Resuming ----------------------------------------------------------------------------------------


def test_the_same_command_generates_nothing_again(small_run, tmp_path, monkeypatch):
    args, run_dir = copy_run(small_run, tmp_path)
    before = (run_dir / logs.SAMPLES).read_bytes()
    spy = GenerationSpy(monkeypatch)
    summary = eval_script.main(args)
    assert spy.loads == [] and spy.conversations == []
    assert (run_dir / logs.SAMPLES).read_bytes() == before
    assert summary["metrics"] == small_run[2]["metrics"]
    assert summary["generated_this_time"] == 0


def test_a_stopped_run_generates_only_what_is_missing(small_run, tmp_path, monkeypatch):
    args, run_dir = copy_run(small_run, tmp_path)
    records = lines(run_dir)
    kept = [r for r in records if r["model"] == "base"] + [
        r for r in records if r["model"] == "tuned" and r["turn"] == 1 and r["sample"] == 0
    ]
    missing = {logs.record_key(r) for r in records} - {logs.record_key(r) for r in kept}
    # As a kill leaves it: the tuned model half done, and a line cut in the middle.
    text = "".join(json.dumps(r) + "\n" for r in kept) + json.dumps(records[-1])[:50]
    (run_dir / logs.SAMPLES).write_text(text)
    spy = GenerationSpy(monkeypatch)
    eval_script.main(args)
    assert spy.loads == ["tuned"]
    after = lines(run_dir)  # every line parses: the cut one was removed
    assert len(after) == len({logs.record_key(r) for r in after})
    new_first_turn = {(r["id"], r["sample"]) for r in after[len(kept) :] if r["turn"] == 1}
    assert new_first_turn == {(k[1], k[2]) for k in missing if k[3] == 1}
    assert after[: len(kept)] == json.loads(json.dumps(kept))


def test_a_process_stopped_by_sigterm_keeps_what_it_scored(
    sample_dataset, sample_scorer, tiny_model, tmp_path
):
    command = [sys.executable, str(ROOT / "eval.py"), "--models", f"m={tiny_model}",
               "--dataset_name", str(sample_dataset[0]), "--dataset_split", "train",
               "--num_samples", "4", "--max_new_tokens", "48", "--batch_size", "2",
               "--scorer_urls", sample_scorer.url, "--logs_dir", str(tmp_path),
               "--run_name", "stopped"]  # fmt: skip
    samples = tmp_path / "stopped" / logs.SAMPLES
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not (samples.exists() and samples.read_bytes().count(b"\n") >= 4):
            assert process.poll() is None, process.communicate()[1].decode()[-2000:]
            assert time.monotonic() < deadline, "no sample was logged in time"
            time.sleep(0.1)
        process.terminate()  # as a scheduler stops a job
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 1
    last = err.decode().strip().splitlines()[-1]
    assert last == "eval.py: interrupted; what was scored is kept: run the same command to resume"
    assert "Traceback" not in err.decode()
    kept = lines(tmp_path / "stopped")  # every line whole
    assert 4 <= len(kept) < 55 * 4


def test_more_targets_generate_only_the_new_ones(small_run, tmp_path, monkeypatch):
    args, run_dir = copy_run(small_run, tmp_path)
    args.max_targets, args.fix_turn = 4, False
    spy = GenerationSpy(monkeypatch)
    eval_script.main(args)
    old_ids = {r["id"] for r in lines(small_run[1])}
    prompts = {c[1]["content"] for _, c in spy.conversations}
    assert len(spy.conversations) == 2 * 2 and len(prompts) == 1
    new = [r for r in lines(run_dir) if r["id"] not in old_ids]
    assert len(new) == 4 and {r["model"] for r in new} == {"base", "tuned"}


def test_a_resume_with_other_settings_is_refused(small_run, tmp_path):
    args, _ = copy_run(small_run, tmp_path)
    args.max_new_tokens = 99
    with pytest.raises(eval_script.UserError, match="max_new_tokens=48, not 99"):
        eval_script.main(args)


def test_a_model_changed_since_is_refused_unless_overwritten(
    sample_dataset, sample_scorer, tiny_model, tmp_path, monkeypatch
):
    model = tmp_path / "model"
    shutil.copytree(tiny_model, model)
    args = arguments(sample_dataset[0], sample_scorer, tmp_path / "logs", [f"m={model}"],
                     max_targets=1, num_samples=1, max_new_tokens=8, fix_turn=False)  # fmt: skip
    eval_script.main(args)
    weights = model / "model.safetensors"
    os.utime(weights, ns=(weights.stat().st_atime_ns, weights.stat().st_mtime_ns + 10**9))
    with pytest.raises(eval_script.UserError, match=r"model m as it was then .* changed since"):
        eval_script.main(args)
    args.overwrite = True
    spy = GenerationSpy(monkeypatch)
    eval_script.main(args)
    assert len(spy.conversations) == 1  # generated again, not resumed
    assert len(lines(tmp_path / "logs" / "small")) == 1


# The scorer failing ------------------------------------------------------------------------------


def test_samples_the_scorer_failed_on_are_kept_and_scored_on_resume(
    small_run, tmp_path, monkeypatch
):
    args, run_dir = copy_run(small_run, tmp_path)
    args.max_targets, args.fix_turn = 5, False
    before = lines(run_dir)
    real_score = ScoringClient.score

    def scorer_goes_down(self, items):
        raise ScoringError("scoring failed after 5 tries: connection refused")

    monkeypatch.setattr(ScoringClient, "score", scorer_goes_down)
    with pytest.raises(eval_script.UserError, match=r"the scorer failed: .*run the same command"):
        eval_script.main(args)
    after = lines(run_dir)
    assert after[: len(before)] == before, "a scored sample was lost"
    failed = after[len(before) :]
    assert failed and {r["status"] for r in failed} == {"error"}
    assert all(r["reward"] is None and r["completion"] is not None for r in failed)

    monkeypatch.setattr(ScoringClient, "score", real_score)
    spy = GenerationSpy(monkeypatch)
    summary = eval_script.main(args)
    # Only the second model's samples of the new targets are generated; the first model's,
    # generated before the scorer went down, are only scored.
    assert {r["model"] for r in failed} == {"base"}
    assert spy.loads == ["tuned"] and len(spy.conversations) == len(failed)
    final = {logs.record_key(r): r for r in lines(run_dir)}
    for r in failed:  # scored again from the logged completion, not generated again
        rescored = final[logs.record_key(r)]
        assert rescored["status"] != "error" and rescored["completion"] == r["completion"]
    assert all(m["errors"] == 0 for m in summary["metrics"]["turn1"].values())


def test_a_scorer_that_is_down_stops_before_any_model_loads(small_run, tmp_path, monkeypatch):
    args, run_dir = copy_run(small_run, tmp_path)
    args.scorer_urls = [f"http://127.0.0.1:{free_port()}"]
    args.overwrite = True  # and nothing is removed before the inputs check out
    before = (run_dir / logs.SAMPLES).read_bytes()
    spy = GenerationSpy(monkeypatch)
    with pytest.raises(eval_script.UserError, match="no scoring server is healthy"):
        eval_script.main(args)
    assert spy.loads == []
    assert (run_dir / logs.SAMPLES).read_bytes() == before
