"""GRPO on the scoring server's reward: teach a code model to write Go unit tests.

    python train.py --config recipes/demo.yaml

With no arguments, `python train.py` runs the real recipe, recipes/deepseek-coder-1.3b.yaml, on the
real repos' dataset; what it needs and lacks (the dataset, a GPU, vLLM, a scorer, the hub) stops
it in one line naming the command that makes it.

On several GPUs, with generation by vLLM and the scorers listed in the recipe or in SCORING_URLS:

    accelerate launch --config_file recipes/accelerate/zero2.yaml train.py \
        --config recipes/deepseek-coder-1.3b.yaml

Flags override the recipe (`--max_steps 10`). The dataset is a folder written by
`python -m dataset.build` (or a hub dataset with the same columns); the scorers must serve the
dataset's repos (SCORING_REPOS_DIR). Completions and their scores go to logs/train/<run>/.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml
from trl import GRPOConfig, ModelConfig, ScriptArguments, TrlParser

from common.errors import UserError, first_line
from common.prerequisites import check_real_training, hub_hint
from evaluation.formulas import check_formula
from scoring.client import healthy_urls, scorer_urls

logger = logging.getLogger("train")

REAL_RECIPE = Path(__file__).resolve().parent / "recipes" / "deepseek-coder-1.3b.yaml"

REQUIRED_COLUMNS = ("prompt", "repo", "package", "target_file", "target_function")


@dataclass
class GoTestScriptArguments(ScriptArguments):
    reward_funcs: list[str] = field(
        default_factory=lambda: ["go_test"],
        metadata={"help": "Reward functions, by name (training/rewards.py): go_test."},
    )
    scorer_urls: list[str] = field(
        default_factory=lambda: scorer_urls(),
        metadata={"help": "Scoring servers; batches are spread across them. Env: SCORING_URLS."},
    )
    reward_formula: str | None = field(
        default=None,
        metadata={
            "help": "The scorer's reward formula (scoring/reward.py): coverage, "
            "coverage_mutation or mutation. Default: the server's (SCORING_REWARD)."
        },
    )
    logs_dir: str = field(
        default="logs/train", metadata={"help": "Completions and scores go to LOGS_DIR/<run>/."}
    )
    sample_log_every: int = field(
        default=10,
        metadata={"help": "Write the scored completions of every N-th step (0: never)."},
    )
    max_train_samples: int | None = field(
        default=None, metadata={"help": "Use at most this many rows of the train split."}
    )

    def __post_init__(self):
        self.scorer_urls = scorer_urls(self.scorer_urls)
        check_formula(self.reward_formula)
        if self.dataset_name is None:
            raise ValueError("dataset_name is required: a folder from `python -m dataset.build`")


def load_rows(script_args: GoTestScriptArguments):
    from dataset.rows import RowsError, load_split

    try:
        train = load_split(
            script_args.dataset_name,
            script_args.dataset_train_split,
            REQUIRED_COLUMNS,
            config=script_args.dataset_config,
        )
    except RowsError as err:
        raise UserError(str(err)) from err
    if script_args.max_train_samples is not None:
        train = train.select(range(min(script_args.max_train_samples, len(train))))
    return train


def load_model(model_args: ModelConfig, training_args: GRPOConfig):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    name = model_args.model_name_or_path
    if name is None:
        raise UserError("model_name_or_path is required")
    dtype = (
        model_args.dtype if model_args.dtype in ("auto", None) else getattr(torch, model_args.dtype)
    )
    try:
        tokenizer = AutoTokenizer.from_pretrained(name, revision=model_args.model_revision)
        model = AutoModelForCausalLM.from_pretrained(
            name,
            revision=model_args.model_revision,
            dtype=dtype,
            attn_implementation=model_args.attn_implementation,
            trust_remote_code=training_args.trust_remote_code,
        )
    except (OSError, ValueError) as err:  # ValueError: not a path, nor a valid hub id
        raise UserError(f"cannot load model {name!r}: {first_line(err)}{hub_hint(name)}") from err
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer


def main(script_args: GoTestScriptArguments, training_args: GRPOConfig, model_args: ModelConfig):
    from transformers import set_seed
    from trl import GRPOTrainer, get_peft_config

    from training.rewards import SampleLog, get_reward_funcs

    ###############
    # Seed, logging
    ###############
    set_seed(training_args.seed)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    run = training_args.run_name or Path(training_args.output_dir).name
    run_dir = Path(script_args.logs_dir) / run
    run_dir.mkdir(parents=True, exist_ok=True)
    arguments = {
        "script": asdict(script_args),
        "training": training_args.to_dict(),
        "model": asdict(model_args),
    }
    (run_dir / "arguments.json").write_text(json.dumps(arguments, indent=2, default=str))
    logger.info("run %s: arguments in %s", run, run_dir / "arguments.json")

    ######
    # Data
    ######
    train = load_rows(script_args)
    logger.info("%d training prompts from %s", len(train), script_args.dataset_name)

    ############################################
    # Scorers (checked before the model loads)
    ############################################
    token = os.environ.get("SCORING_TOKEN")
    scorers = healthy_urls(script_args.scorer_urls, token)
    logger.info("scoring with %s", ", ".join(scorers))

    #####################
    # Tokenizer and model
    #####################
    model, tokenizer = load_model(model_args, training_args)

    ##################
    # Reward functions
    ##################
    try:
        reward_funcs = get_reward_funcs(
            script_args.reward_funcs,
            scorer_urls=scorers,
            scorer_token=token,
            sample_log=SampleLog(run_dir / "completions.jsonl", script_args.sample_log_every),
            reward_formula=script_args.reward_formula,
        )
    except ValueError as err:
        raise UserError(str(err)) from err

    #########
    # Trainer
    #########
    trainer = GRPOTrainer(
        model=model,
        processing_class=tokenizer,
        reward_funcs=reward_funcs,
        args=training_args,
        train_dataset=train,
        peft_config=get_peft_config(model_args),
    )

    #######
    # Train
    #######
    resume = training_args.resume_from_checkpoint
    if isinstance(resume, str) and resume.lower() in ("true", "last"):
        resume = True
    result = trainer.train(resume_from_checkpoint=resume)
    trainer.log_metrics("train", result.metrics)
    trainer.save_metrics("train", result.metrics)
    trainer.save_state()
    (run_dir / "log_history.json").write_text(json.dumps(trainer.state.log_history, indent=2))

    ######
    # Save
    ######
    trainer.save_model(training_args.output_dir)
    tokenizer.save_pretrained(training_args.output_dir)
    logger.info("model saved to %s", training_args.output_dir)


def parse_args(argv: list[str] | None = None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        check_real_training(REAL_RECIPE)
        argv = ["--config", str(REAL_RECIPE)]
    parser = TrlParser((GoTestScriptArguments, GRPOConfig, ModelConfig))
    try:
        return parser.parse_args_and_config(args=argv)
    except (ValueError, OSError, yaml.YAMLError) as err:
        raise UserError(str(err)) from err


if __name__ == "__main__":
    try:
        main(*parse_args())
    except UserError as err:
        sys.exit(f"train.py: {err}")
