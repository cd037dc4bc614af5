"""What the eval.py tests share: the script loaded as a module, its arguments for a small run,
and the run's logs read back."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys

from evaluation import generation, logs
from tests.sample import ROOT


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


def copy_run(small_run, tmp_path):
    """The small run's arguments pointed at a copy of its logs, for a test that changes them."""
    args, run_dir, _, _ = small_run
    shutil.copytree(run_dir, tmp_path / "small")
    return eval_script.EvalArguments(
        **{**vars(args), "logs_dir": str(tmp_path)}
    ), tmp_path / "small"


def lines(run_dir):
    return [json.loads(line) for line in (run_dir / logs.SAMPLES).read_text().splitlines()]


def bare_eval(cwd) -> subprocess.CompletedProcess:
    """`python eval.py` with no arguments, from `cwd` (the recipe's paths are relative to it)."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, str(ROOT / "eval.py")]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def last_line(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr[-2000:]
    return done.stderr.strip().splitlines()[-1]
