"""train.py: GRPO steps of a tiny model on the CPU against a live scorer, resume, clear errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from datasets import Dataset, DatasetDict
from transformers import AutoModelForCausalLM

from scoring.local_server import free_port
from scripts.tiny_model import TinyModelConfig, warm_start
from tests.sample import ROOT

STATUSES = {
    "ok",
    "no_code",
    "goimports_failed",
    "deps_failed",
    "build_failed",
    "no_tests",
    "timeout",
    "limit_exceeded",
    "bad_request",
    "error",
}
GCD_TEST = """```go
package mathx

import "testing"

func TestGCD(t *testing.T) {
	if GCD(12, 8) != 4 {
		t.Fatal("GCD(12, 8) != 4")
	}
}
```"""
ROW = {
    "repo": "gotest-sample/mathx",
    "package": ".",
    "target_file": "mathx.go",
    "target_function": "GCD",
    "module": "github.com/gotest-sample/mathx",
    "revision": "sample",
    "granularity": "function",
}


def prompt(name: str) -> list[dict]:
    return [{"role": "user", "content": f"Test {name} of package mathx."}]


@pytest.fixture(scope="module")
def gcd_rows(tmp_path_factory) -> Path:
    rows = [{"id": f"gcd-{i}", "prompt": prompt("GCD"), **ROW} for i in range(2)]
    out = tmp_path_factory.mktemp("gcd-rows")
    DatasetDict(train=Dataset.from_list(rows), test=Dataset.from_list(rows[:1])).save_to_disk(out)
    return out


@pytest.fixture(scope="module")
def warm_model(tiny_model, tmp_path_factory) -> Path:
    """The tiny model taught one short test, so that GRPO's samples differ in reward."""
    from transformers import AutoTokenizer

    out = tmp_path_factory.mktemp("warm-model")
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    model = AutoModelForCausalLM.from_pretrained(tiny_model)
    pairs = [{"prompt": prompt("GCD"), "completion": [{"role": "assistant", "content": GCD_TEST}]}]
    config = TinyModelConfig(sft_epochs=150, sft_learning_rate=3e-3)
    warm_start(model, tokenizer, pairs * 4, config, out / "work")
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    shutil.rmtree(out / "work")
    return out


OFFLINE = {**os.environ, "HF_HUB_OFFLINE": "1"}  # a test never reaches a hub


def train(*flags: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "train.py", "--config", "recipes/demo.yaml", *flags],
        cwd=ROOT,
        env=OFFLINE,
        capture_output=True,
        text=True,
        timeout=600,
    )


def demo_flags(model: Path, rows: Path, scorer_url: str, out: Path) -> list[str]:
    return [
        f"--model_name_or_path={model}",
        f"--dataset_name={rows}",
        f"--scorer_urls={scorer_url}",
        f"--output_dir={out / 'model'}",
        f"--logs_dir={out / 'logs'}",
        "--run_name=test",
        "--per_device_train_batch_size=4",
        "--num_generations=4",
        "--max_completion_length=80",
        "--temperature=0.9",
        "--learning_rate=1e-3",
        "--save_steps=1",
    ]


def weights(folder: Path) -> dict[str, torch.Tensor]:
    return {
        k: v.clone() for k, v in AutoModelForCausalLM.from_pretrained(folder).state_dict().items()
    }


@pytest.mark.slow
def test_grpo_steps_learn_from_the_scorer_and_resume(warm_model, gcd_rows, sample_scorer, tmp_path):
    flags = demo_flags(warm_model, gcd_rows, sample_scorer.url, tmp_path)
    first = train(*flags, "--max_steps=2")
    assert first.returncode == 0, first.stderr[-3000:]

    samples = [json.loads(line) for line in (tmp_path / "logs/test/completions.jsonl").open()]
    assert len(samples) == 2 * 4  # two steps of one prompt-batch of 4 samples, all logged
    assert {s["status"] for s in samples} <= STATUSES
    rewards = [s["reward"] for s in samples]
    assert any(r > 0.5 for r in rewards), "the warm-started model never wrote a running test"
    assert any(r == 0.0 for r in rewards), "every sample was paid: no advantage to learn from"

    history = json.loads((tmp_path / "logs/test/log_history.json").read_text())
    logged = [entry for entry in history if "scorer/run_rate" in entry]
    assert len(logged) == 2
    assert logged[0]["reward"] == pytest.approx(sum(rewards[:4]) / 4, abs=1e-4)

    before, after = weights(warm_model), weights(tmp_path / "model")
    assert any(not torch.equal(before[name], after[name]) for name in before)

    resumed = train(
        *flags, "--max_steps=3", f"--resume_from_checkpoint={tmp_path / 'model/checkpoint-2'}"
    )
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    state = json.loads((tmp_path / "model/checkpoint-3/trainer_state.json").read_text())
    assert state["global_step"] == 3
    steps = [json.loads(line)["step"] for line in (tmp_path / "logs/test/completions.jsonl").open()]
    assert steps.count(2) == 4  # only the third step was generated again


def one_line_error(result: subprocess.CompletedProcess) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("train.py: ")
    return last


def test_unknown_recipe_key_is_one_line(tmp_path):
    recipe = tmp_path / "bad.yaml"
    recipe.write_text((ROOT / "recipes/demo.yaml").read_text() + "\nnum_generation: 4\n")
    result = subprocess.run(
        [sys.executable, "train.py", "--config", str(recipe)],
        cwd=ROOT,
        env=OFFLINE,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "num_generation" in one_line_error(result)


def test_dataset_without_required_columns_is_one_line(tmp_path, tiny_model):
    rows = tmp_path / "rows"
    DatasetDict(train=Dataset.from_list([{"prompt": prompt("GCD")}])).save_to_disk(rows)
    flags = demo_flags(tiny_model, rows, "http://127.0.0.1:1", tmp_path)
    assert "lacks the columns" in one_line_error(train(*flags))


def test_no_healthy_scorer_stops_before_the_model_loads(tmp_path, gcd_rows):
    url = f"http://127.0.0.1:{free_port()}"
    flags = demo_flags(tmp_path / "no-such-model", gcd_rows, url, tmp_path)
    assert "no scoring server is healthy" in one_line_error(train(*flags))


def test_missing_model_is_one_line(tmp_path, gcd_rows, sample_scorer):
    flags = demo_flags(tmp_path / "no-such-model", gcd_rows, sample_scorer.url, tmp_path)
    assert "cannot load model" in one_line_error(train(*flags))


def test_scorer_urls_from_the_environment_take_commas_and_spaces(monkeypatch):
    import train as train_script

    monkeypatch.setenv("SCORING_URLS", "http://a:1,http://b:2 http://c:3")
    args = train_script.GoTestScriptArguments(dataset_name="rows")
    assert args.scorer_urls == ["http://a:1", "http://b:2", "http://c:3"]
    flagged = train_script.GoTestScriptArguments(dataset_name="rows", scorer_urls=["x:1,y:2"])
    assert flagged.scorer_urls == ["x:1", "y:2"]


def bare_train(cwd: Path) -> subprocess.CompletedProcess:
    """`python train.py` with no arguments, from `cwd` (the recipe's paths are relative to it)."""
    return subprocess.run(
        [sys.executable, str(ROOT / "train.py")],
        cwd=cwd,
        env=OFFLINE,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_bare_command_names_the_missing_dataset_and_how_to_build_it(tmp_path):
    line = one_line_error(bare_train(tmp_path))
    assert line.startswith("train.py: no dataset at data/real-dataset")
    assert "`python -m dataset.build --listing dataset/real/listing.parquet" in line
    assert "--out data/real-dataset" in line


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the stop where no GPU is")
def test_the_bare_command_without_a_gpu_points_at_the_demo(tmp_path):
    (tmp_path / "data" / "real-dataset").mkdir(parents=True)
    line = one_line_error(bare_train(tmp_path))
    assert line.startswith("train.py: no CUDA GPU here, and deepseek-coder-1.3b.yaml runs on GPUs")
    assert "`make demo`" in line


def test_a_hub_model_without_the_hub_is_one_line(tmp_path, gcd_rows, sample_scorer):
    flags = demo_flags(tmp_path, gcd_rows, sample_scorer.url, tmp_path)
    line = one_line_error(train(*flags, "--model_name_or_path=no-such-owner/no-such-model"))
    assert "cannot load model 'no-such-owner/no-such-model'" in line
    assert "fetch it with `hf download no-such-owner/no-such-model`" in line
