"""eval.py end to end: the tiny model and a LoRA adapter of it, scored by a live scorer.

The run is small (3 targets, 2 samples each, short completions) and shared by the tests of a
module; each test that changes the logs works on its own copy.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time

import pytest
import torch
from datasets import load_from_disk

from evaluation import generation, logs
from evaluation.fix_turn import needs_fix
from evaluation.model_specs import ModelSpecError, resolve, resolve_all
from scoring.client import ScoringClient, ScoringError
from scoring.local_server import free_port
from tests.sample import ROOT

SAMPLE_FIELDS = {"model", "id", "repo", "package", "sample", "turn", "completion", "reward",
                 "status", "tests", "coverage", "assertions", "duration_s", "detail"}  # fmt: skip


def load_eval_script():
    # `import eval` would work but shadow the builtin here; load it under a name of its own.
    spec = importlib.util.spec_from_file_location("eval_script", ROOT / "eval.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["eval_script"] = module
    spec.loader.exec_module(module)
    return module


eval_script = load_eval_script()


class GenerationSpy:
    """Wraps load_generator: counts model loads and records every conversation generated."""

    def __init__(self, monkeypatch):
        self.loads: list[str] = []
        self.conversations: list[tuple[str, list[dict]]] = []
        real = generation.load_generator

        def load(spec, *args, **kwargs):
            self.loads.append(spec.name)
            generator = real(spec, *args, **kwargs)
            generate = generator.generate

            def spied(conversations, seeds):
                self.conversations += [(spec.name, c) for c in conversations]
                return generate(conversations, seeds)

            generator.generate = spied
            return generator

        monkeypatch.setattr(generation, "load_generator", load)


@pytest.fixture(scope="module")
def lora_adapter(tiny_model, tmp_path_factory):
    """A LoRA adapter on the tiny model, initialised at random so that it answers differently."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_model)
    config = LoraConfig(r=4, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    out = tmp_path_factory.mktemp("lora")
    get_peft_model(model, config).save_pretrained(out)
    return out


def arguments(dataset, scorer, logs_dir, models, **overrides):
    values = {
        "models": models,
        "dataset_name": str(dataset),
        "max_targets": 3,
        "num_samples": 2,
        "temperature": 1.0,
        "max_new_tokens": 48,
        "batch_size": 4,
        "fix_turn": True,
        "scorer_urls": [scorer.url],
        "run_name": "small",
        "logs_dir": str(logs_dir),
        "bootstrap_resamples": 200,
    }
    return eval_script.EvalArguments(**{**values, **overrides})


@pytest.fixture(scope="module")
def small_run(sample_dataset, sample_scorer, tiny_model, lora_adapter, tmp_path_factory):
    """(arguments, run folder, summary, spy) of one run of two models with the fix turn."""
    logs_dir = tmp_path_factory.mktemp("eval-logs")
    models = [f"base={tiny_model}", f"tuned={lora_adapter}"]
    args = arguments(sample_dataset[0], sample_scorer, logs_dir, models)
    with pytest.MonkeyPatch.context() as monkeypatch:
        spy = GenerationSpy(monkeypatch)
        summary = eval_script.main(args)
    return args, logs_dir / "small", summary, spy


def copy_run(small_run, tmp_path):
    """The small run's arguments pointed at a copy of its logs, for a test that changes them."""
    args, run_dir, _, _ = small_run
    shutil.copytree(run_dir, tmp_path / "small")
    return eval_script.EvalArguments(
        **{**vars(args), "logs_dir": str(tmp_path)}
    ), tmp_path / "small"


def lines(run_dir):
    return [json.loads(line) for line in (run_dir / logs.SAMPLES).read_text().splitlines()]


# The run -----------------------------------------------------------------------------------------


def test_every_sample_is_logged_scored_and_summarised(small_run):
    _, run_dir, summary, spy = small_run
    records = lines(run_dir)
    first = [r for r in records if r["turn"] == 1]
    assert len({logs.record_key(r) for r in records}) == len(records), "a sample logged twice"
    assert sorted((r["model"], r["sample"]) for r in first) == sorted(
        [(m, s) for m in ("base", "tuned") for s in (0, 1)] * 3
    )
    assert len({r["id"] for r in first}) == 3
    for r in records:
        assert set(r) >= SAMPLE_FIELDS
        assert r["status"] != "error", r["detail"]
        assert isinstance(r["reward"], float) and r["completion_tokens"] <= 48
    assert spy.loads == ["base", "tuned"]
    assert json.loads((run_dir / logs.SUMMARY).read_text()) == json.loads(json.dumps(summary))
    for model in ("base", "tuned"):
        m = summary["metrics"]["turn1"][model]
        assert (m["n"], m["targets"], m["k"], m["errors"]) == (6, 3, 2, 0)
        assert sum(m["status_counts"].values()) == 6
    (pair,) = summary["paired"]["turn1"]
    assert (pair["baseline"], pair["candidate"], pair["targets"]) == ("base", "tuned", 3)


def test_the_two_models_answer_differently(small_run):
    records = lines(small_run[1])
    completions = {
        m: [r["completion"] for r in records if r["model"] == m] for m in ("base", "tuned")
    }
    assert completions["base"] != completions["tuned"]


def test_the_fix_turn_sends_back_what_the_scorer_said(small_run):
    _, run_dir, summary, spy = small_run
    records = lines(run_dir)
    first = {(r["model"], r["id"], r["sample"]): r for r in records if r["turn"] == 1}
    second = [r for r in records if r["turn"] == 2]
    to_fix = [k for k, r in first.items() if needs_fix(r)]
    assert to_fix, "the tiny random model should fail somewhere"
    assert sorted((r["model"], r["id"], r["sample"]) for r in second) == sorted(to_fix)
    fix_prompts = [c for _, c in spy.conversations if len(c) == 4]
    assert len(fix_prompts) == len(second)
    for conversation in fix_prompts:
        answer, verdict = conversation[2]["content"], conversation[3]["content"]
        (earlier,) = [r for r in first.values() if r["completion"] == answer]
        assert earlier["detail"].strip()[:200] in verdict
    assert set(summary["metrics"]) == {"turn1", "after_fix"}
    assert summary["fix_turn"]["base"]["attempted"] == sum(k[0] == "base" for k in to_fix)


def test_the_printed_table(small_run, capsys, tmp_path):
    args, _ = copy_run(small_run, tmp_path)
    eval_script.main(args)
    out = capsys.readouterr().out
    assert "== first answers" in out and "== after the fix turn" in out
    assert "tuned - base: reward" in out and "on 3 shared targets" in out
    header = next(line for line in out.splitlines() if line.startswith("model"))
    for column in ("reward", "95% CI", "build", "run", "all passed", "coverage", "ok@k"):
        assert column in header


def test_a_greedy_answer_does_not_depend_on_its_batch(
    sample_dataset, sample_scorer, tiny_model, tmp_path
):
    # Left padding: with right padding the shorter prompts of a batch would be answered after
    # pad tokens, and differ from the same prompt generated alone.
    answers = {}
    for batch_size in (1, 3):
        args = arguments(sample_dataset[0], sample_scorer, tmp_path, [f"m={tiny_model}"],
                         num_samples=1, max_new_tokens=24, batch_size=batch_size,
                         fix_turn=False, run_name=f"greedy-{batch_size}")  # fmt: skip
        eval_script.main(args)
        answers[batch_size] = [r["completion"] for r in lines(tmp_path / args.run_name)]
    assert len(answers[1]) == 3 and answers[1] == answers[3]
    rows = load_from_disk(str(sample_dataset[0]))["test"].select(range(3))
    assert len(set(rows["prompt_tokens"])) > 1, "the batch needs prompts of different lengths"


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


# Bad input ---------------------------------------------------------------------------------------


def test_a_dataset_without_the_split_is_one_line(small_run, tmp_path):
    args, _ = copy_run(small_run, tmp_path)
    args.dataset_split = "validation"
    with pytest.raises(eval_script.UserError, match=r"has no 'validation' split \(it has: "):
        eval_script.main(args)


def test_a_missing_model_is_one_line_on_stderr(small_run, tmp_path):
    args, run_dir = copy_run(small_run, tmp_path)
    before = (run_dir / logs.SAMPLES).read_bytes()
    command = [sys.executable, str(ROOT / "eval.py"), "--models", "base=/no/such/model",
               "--dataset_name", args.dataset_name, "--scorer_urls", args.scorer_urls[0],
               "--logs_dir", str(tmp_path), "--run_name", "small"]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == "eval.py: model /no/such/model does not exist"
    assert "Traceback" not in done.stderr
    assert (run_dir / logs.SAMPLES).read_bytes() == before


def bare_eval(cwd) -> subprocess.CompletedProcess:
    """`python eval.py` with no arguments, from `cwd` (the recipe's paths are relative to it)."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, str(ROOT / "eval.py")]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def last_line(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr[-2000:]
    return done.stderr.strip().splitlines()[-1]


def test_the_bare_command_names_the_missing_dataset_and_model(tmp_path):
    line = last_line(bare_eval(tmp_path))
    assert line.startswith("eval.py: no dataset at data/real-dataset")
    assert "`python -m dataset.build --listing dataset/real/listing.jsonl" in line
    (tmp_path / "data" / "real-dataset").mkdir(parents=True)
    line = last_line(bare_eval(tmp_path))
    assert line == (
        "eval.py: no trained model at data/train/deepseek-coder-1.3b-grpo: "
        "train it with `python train.py`"
    )


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the stop where no GPU is")
def test_the_bare_command_without_a_gpu_points_at_the_demo(tmp_path):
    (tmp_path / "data" / "real-dataset").mkdir(parents=True)
    (tmp_path / "data" / "train" / "deepseek-coder-1.3b-grpo").mkdir(parents=True)
    line = last_line(bare_eval(tmp_path))
    assert line.startswith("eval.py: no CUDA GPU here, and eval-deepseek-coder-1.3b.yaml runs on")
    assert "`make demo`" in line


def test_a_hub_model_without_the_hub_is_one_line(sample_dataset, sample_scorer, tmp_path):
    command = [sys.executable, str(ROOT / "eval.py"), "--models", "base=no-such-owner/model",
               "--dataset_name", str(sample_dataset[0]), "--max_targets", "1",
               "--scorer_urls", sample_scorer.url, "--logs_dir", str(tmp_path)]  # fmt: skip
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    line = last_line(done)
    assert line.startswith("eval.py: cannot load model no-such-owner/model: ")
    assert line.endswith("fetch it with `hf download no-such-owner/model`)")


def test_arguments_are_checked_when_parsed():
    with pytest.raises(eval_script.UserError, match="num_samples must be 1 or more"):
        eval_script.parse_args(["--models", "m", "--dataset_name", "d", "--num_samples", "0"])
    with pytest.raises(eval_script.UserError, match="models is empty"):
        eval_script.parse_args(["--dataset_name", "d"])


def test_scorer_urls_take_commas_and_spaces(monkeypatch):
    monkeypatch.setenv("SCORING_URLS", "http://a:1,http://b:2 http://c:3")
    args = eval_script.parse_args(["--models", "m", "--dataset_name", "d"])
    assert args.scorer_urls == ["http://a:1", "http://b:2", "http://c:3"]
    flagged = ["--models", "m", "--dataset_name", "d", "--scorer_urls", "x:1,y:2", "z:3"]
    assert eval_script.parse_args(flagged).scorer_urls == ["x:1", "y:2", "z:3"]


@pytest.mark.parametrize(
    "recipe", sorted((ROOT / "recipes").glob("eval-*.yaml")), ids=lambda p: p.name
)
def test_the_recipes_parse(recipe):
    args = eval_script.parse_args(["--config", str(recipe)])
    assert len(args.models) == 2 and args.models[0].startswith("base=")
    assert args.dataset_split == "test" and args.fix_turn


def test_model_specs(tiny_model, lora_adapter, tmp_path):
    assert resolve(str(tiny_model)).name == tiny_model.name
    spec = resolve(f"tuned={lora_adapter}")
    assert spec.name == "tuned" and spec.is_adapter and spec.base_path == str(tiny_model)
    assert resolve("owner/model").path == "owner/model"  # a hub id, loaded later
    with pytest.raises(ModelSpecError, match="is not a model folder"):
        resolve(str(tmp_path))
    with pytest.raises(ModelSpecError, match="two models are named"):
        resolve_all([f"a={tiny_model}", f"a={lora_adapter}"])
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text('{"base_model_name_or_path": "/no/base"}')
    with pytest.raises(ModelSpecError, match=r"base model of adapter .* does not exist"):
        resolve(str(adapter))


# The notebook ------------------------------------------------------------------------------------


def test_the_analyzer_notebook_runs_top_to_bottom_on_the_run(small_run, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    _, run_dir, _, _ = small_run
    monkeypatch.setenv("EVAL_RUN_DIR", str(run_dir))
    notebook = nbformat.read(ROOT / "eval_analyzer.ipynb", as_version=4)
    # A failing cell raises CellExecutionError; Jupyter starts the notebook in the repo root.
    NotebookClient(notebook, timeout=300, kernel_name="python3").execute(cwd=str(ROOT))
    outputs = [o for cell in notebook.cells for o in cell.get("outputs", [])]
    text = "".join(o.get("text", "") for o in outputs if o["output_type"] == "stream")
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert f"run small: {len(lines(run_dir))} samples of base, tuned" in text
    assert "comparing tuned against base" in text
    assert "summary.json agrees with the samples: True" in text
    for column in ("reward base", "reward tuned", "ratio", "uplift", "all passed tuned"):
        assert column in html
    assert "gotest-sample/inilex" in html  # the per-repo differences
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 2, "the distributions, statuses, coverage and per-repo plots"
