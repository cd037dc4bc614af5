"""The eval.py run that the evaluation tests share: the tiny model and a LoRA adapter of it,
scored by a live scorer. Small (3 targets, 2 samples each, short completions) and made once; each
test that changes the logs works on its own copy (eval_run.copy_run)."""

from __future__ import annotations

import pytest

from tests.evaluation.eval_run import GenerationSpy, arguments, eval_script


@pytest.fixture(scope="session")
def lora_adapter(tiny_model, tmp_path_factory):
    """A LoRA adapter on the tiny model, initialised at random so that it answers differently."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_model)
    config = LoraConfig(r=4, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    out = tmp_path_factory.mktemp("lora")
    get_peft_model(model, config).save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def small_run(sample_dataset, sample_scorer, tiny_model, lora_adapter, tmp_path_factory):
    """(arguments, run folder, summary, spy) of one run of two models with the fix turn."""
    logs_dir = tmp_path_factory.mktemp("eval-logs")
    models = [f"base={tiny_model}", f"tuned={lora_adapter}"]
    args = arguments(sample_dataset[0], sample_scorer, logs_dir, models)
    with pytest.MonkeyPatch.context() as monkeypatch:
        spy = GenerationSpy(monkeypatch)
        summary = eval_script.main(args)
    return args, logs_dir / "small", summary, spy
