"""Supervised warm start on mined pairs (TRL's SFTTrainer), before GRPO with train.py.

    python exp/warm-start/sft.py --config exp/warm-start/recipes/sft-deepseek-coder-1.3b.yaml

On several GPUs:

    accelerate launch --config_file recipes/accelerate/zero2.yaml exp/warm-start/sft.py \
        --config exp/warm-start/recipes/sft-deepseek-coder-1.3b.yaml

The dataset is a folder written by exp/warm-start/mine.py: conversational prompt-completion pairs
(the row's prompt, then the repo's own test of its target as the assistant's answer); only the
completion is learned (`completion_only_loss`). Flags override the recipe. The model and its
tokenizer are saved in `output_dir`, where train.py's `--model_name_or_path` takes them.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field

import yaml
from trl import ModelConfig, SFTConfig, TrlParser

logger = logging.getLogger("sft")


@dataclass
class PairsArguments:
    dataset_name: str = field(metadata={"help": "Pairs from exp/warm-start/mine.py (a folder)."})
    max_train_samples: int | None = field(
        default=None, metadata={"help": "Use at most this many pairs."}
    )


def main(pairs_args: PairsArguments, training_args: SFTConfig, model_args: ModelConfig) -> None:
    import torch
    from datasets import load_from_disk
    from transformers import AutoModelForCausalLM, AutoTokenizer, set_seed
    from trl import SFTTrainer, get_peft_config

    ###############
    # Seed, logging
    ###############
    set_seed(training_args.seed)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    ######
    # Data
    ######
    try:
        pairs = load_from_disk(pairs_args.dataset_name)["train"]
    except (FileNotFoundError, KeyError) as err:
        sys.exit(f"sft.py: no pairs in {pairs_args.dataset_name} ({err}); run mine.py first")
    pairs = pairs.select_columns(["prompt", "completion"])
    if pairs_args.max_train_samples is not None:
        pairs = pairs.select(range(min(pairs_args.max_train_samples, len(pairs))))
    logger.info("%d pairs from %s", len(pairs), pairs_args.dataset_name)

    #####################
    # Tokenizer and model
    #####################
    name = model_args.model_name_or_path
    dtype = model_args.dtype
    dtype = dtype if dtype in ("auto", None) else getattr(torch, dtype)
    tokenizer = AutoTokenizer.from_pretrained(name)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(
        name, dtype=dtype, attn_implementation=model_args.attn_implementation
    )

    #########
    # Trainer
    #########
    trainer = SFTTrainer(
        model=model,
        args=training_args,
        train_dataset=pairs,
        processing_class=tokenizer,
        peft_config=get_peft_config(model_args),
    )

    #######
    # Train
    #######
    result = trainer.train()
    trainer.log_metrics("train", result.metrics)
    trainer.save_state()

    ######
    # Save
    ######
    trainer.save_model(training_args.output_dir)
    tokenizer.save_pretrained(training_args.output_dir)
    logger.info("model saved to %s", training_args.output_dir)


def parse_args(argv: list[str] | None = None):
    parser = TrlParser((PairsArguments, SFTConfig, ModelConfig))
    try:
        return parser.parse_args_and_config(args=argv)
    except (ValueError, OSError, yaml.YAMLError) as err:
        sys.exit(f"sft.py: {err}")


if __name__ == "__main__":
    main(*parse_args())
