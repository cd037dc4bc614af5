"""eval.py's one-line errors for bad input and a bare command, and its arguments, recipes and
model specs.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch

from evaluation import logs
from evaluation.model_specs import ModelSpecError, resolve, resolve_all
from tests.evaluation.eval_run import bare_eval, copy_run, eval_script, last_line
from tests.sample import ROOT

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


def test_the_bare_command_names_the_missing_dataset_and_model(tmp_path):
    line = last_line(bare_eval(tmp_path))
    assert line.startswith("eval.py: no dataset at data/real-dataset")
    assert "`python -m dataset.build --listing dataset/real/listing.parquet" in line
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
