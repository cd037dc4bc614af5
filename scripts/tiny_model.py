"""The demo's tiny model, built offline: a Go tokenizer, a small Llama, and a supervised warm start.

    python -m scripts.tiny_model --dataset data/sample-dataset --repos-dir data/repos \
        --out .cache/demo-model

No hub is reachable, and a randomly initialised model would score a wall of zeros that teaches
GRPO nothing, so the demo model is made here in three steps:

1. a byte-level BPE tokenizer trained on Go code that is on the machine (the repos of the dataset
   and part of the pinned Go toolchain's own sources), with a small chat template;
2. a small Llama-style model (a few million parameters) trained as a language model on that code,
   so that it has seen Go syntax;
3. a supervised warm start with TRL's SFTTrainer on pairs of a prompt of the dataset's train split
   and a test for its target, taken from the repo's own `_test.go` files, so that some of its
   samples build and run, and GRPO gets groups whose rewards differ.

The result is an ordinary `save_pretrained` folder that train.py and eval.py load like any model.
A build is skipped when the folder holds a build of the same inputs (`build.json`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import random
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import gotools

logger = logging.getLogger("tiny_model")

SPECIAL_TOKENS = ["<|pad|>", "<|end|>", "<|system|>", "<|user|>", "<|assistant|>"]
# Roles become special tokens and every message ends with <|end|>, which is also the end of a
# generation: the model learns to stop after its answer. Nothing follows a role token: a newline
# there would be merged by BPE with the answer's first characters in training, but stand alone
# at the end of a generation prompt, a token sequence the model has never seen.
CHAT_TEMPLATE = (
    "{% for message in messages %}<|{{ message['role'] }}|>{{ message['content'] }}<|end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}"
)
# Standard-library packages whose sources teach the tokenizer and the language model everyday
# Go, tests included; a fixed list keeps the build reproducible.
GOROOT_PACKAGES = (
    "bufio",
    "bytes",
    "container/list",
    "container/ring",
    "errors",
    "sort",
    "strconv",
    "strings",
    "unicode/utf8",
    "text/tabwriter",
    "path",
    "slices",
    "maps",
    "cmp",
)


@dataclass(frozen=True)
class TinyModelConfig:
    # Sized so that the whole build takes a couple of minutes on 2 CPU cores.
    vocab_size: int = 4096
    hidden_size: int = 192
    layers: int = 3
    heads: int = 3
    max_length: int = 2048
    # Warm-start pairs longer than this are left out: the cost of a step grows with the longest
    # sequence of its batch, and the shorter half of the pairs is enough to start GRPO.
    max_pair_tokens: int = 1024
    pretrain_steps: int = 0
    sft_epochs: int = 30
    sft_learning_rate: float = 3e-3
    seed: int = 0


# Corpus and tokenizer ---------------------------------------------------------------------------


def go_corpus(repos_dir: Path, with_tests: bool = True) -> list[str]:
    """Go sources: the dataset's repos (without their `_test.go` files unless with_tests), then
    the chosen packages of the pinned toolchain."""
    files = sorted(repos_dir.rglob("*.go"))
    if not with_tests:
        files = [path for path in files if not path.name.endswith("_test.go")]
    src = gotools.goroot() / "src"
    for package in GOROOT_PACKAGES:
        files += sorted((src / package).glob("*.go"))
    texts = []
    for path in files:
        try:
            texts.append(path.read_text())
        except (OSError, UnicodeDecodeError):
            continue
    return texts


def train_tokenizer(corpus: list[str], vocab_size: int):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(corpus, trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        pad_token="<|pad|>",
        eos_token="<|end|>",
        bos_token=None,
        model_max_length=4096,
    )
    fast.chat_template = CHAT_TEMPLATE
    return fast


# Warm-start pairs -------------------------------------------------------------------------------


def top_level_blocks(source: str) -> tuple[str, list[str]]:
    """The header (package clause and imports) and the top-level declarations of a gofmt-ed file.

    gofmt starts every top-level declaration at column 0 and indents everything inside one,
    which is all this split relies on; the files are the repos' own tests, not model output.
    """
    lines = source.splitlines()
    starts = []
    for i, line in enumerate(lines):
        if line.startswith(("func ", "type ", "var ", "const ")):
            while i > 0 and lines[i - 1].startswith("//"):  # its doc comment
                i -= 1
            starts.append(i)
    if not starts:
        return source.strip(), []
    bounds = zip(starts, [*starts[1:], len(lines)], strict=True)
    blocks = ["\n".join(lines[a:b]).strip() for a, b in bounds]
    return "\n".join(lines[: starts[0]]).strip(), blocks


def _test_name(block: str) -> str | None:
    for line in block.splitlines():
        if line.startswith("func Test") and "(t *testing.T)" in line:
            return line[len("func ") : line.index("(")]
    return None


def tests_for(package_dir: Path, target_function: str | None) -> str | None:
    """A test file for the target from the package's own tests, or None when none exercises it.

    A function target keeps the tests that mention it (a method by `.Method(`), with the test
    files' helpers; a file target keeps every test. Unused imports are left for goimports.
    """
    headers, kept, helpers = [], [], []
    for test_file in sorted(package_dir.glob("*_test.go")):
        header, blocks = top_level_blocks(test_file.read_text())
        if not header.startswith("package ") or header.split()[1].endswith("_test"):
            continue  # external tests need the package imported under its path; keep it simple
        headers.append(header)
        for block in blocks:
            if _test_name(block) is None:
                helpers.append(block)
            elif target_function is None or _mentions(block, target_function):
                kept.append(block)
    if not kept:
        return None
    header = max(headers, key=len)  # the file with the most imports; goimports drops the rest
    return "\n\n".join([header, *helpers, *kept]) + "\n"


def _mentions(block: str, target_function: str) -> bool:
    name = target_function.split(".")[-1]
    needle = f".{name}(" if "." in target_function else f"{name}("
    return needle in block


def answer_message(test: str) -> dict:
    """The assistant's turn that answers a prompt with a test file, in a ```go block."""
    return {"role": "assistant", "content": f"```go\n{test}```"}


def warm_start_pairs(dataset, repos_dir: Path) -> list[dict]:
    """Prompt-completion pairs, conversational, for the rows whose target has a test of its own."""
    pairs = []
    for row in dataset:
        package_dir = repos_dir / row["repo"] / row["package"]
        test = tests_for(package_dir, row["target_function"])
        if test is not None:
            pairs.append({"prompt": row["prompt"], "completion": [answer_message(test)]})
    return pairs


def pair_tokens(tokenizer, pair: dict) -> int:
    text = tokenizer.apply_chat_template(pair["prompt"] + pair["completion"], tokenize=False)
    return len(tokenizer(text)["input_ids"])


# Model ------------------------------------------------------------------------------------------


def new_model(tokenizer, config: TinyModelConfig):
    from transformers import LlamaConfig, LlamaForCausalLM

    model_config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=config.hidden_size,
        intermediate_size=config.hidden_size * 11 // 4,
        num_hidden_layers=config.layers,
        num_attention_heads=config.heads,
        num_key_value_heads=config.heads,
        max_position_embeddings=config.max_length,
        tie_word_embeddings=True,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=None,
    )
    return LlamaForCausalLM(model_config)


def cpu_run(config: TinyModelConfig) -> dict:
    """The training arguments of both the pretraining and the warm start: a seeded run on the
    CPU with a cosine schedule, that saves no checkpoint and reports nowhere."""
    return {
        "lr_scheduler_type": "cosine",
        # Off: TRL's configs turn it on by default, and it only costs time on a model this small.
        "gradient_checkpointing": False,
        "save_strategy": "no",
        "report_to": [],
        "seed": config.seed,
        "use_cpu": True,
    }


def pretrain(model, tokenizer, corpus: list[str], config: TinyModelConfig, work_dir: Path):
    """Next-token prediction on Go code, in chunks of 512 tokens."""
    from datasets import Dataset
    from transformers import DataCollatorForLanguageModeling, Trainer, TrainingArguments

    ids = []
    for text in corpus:
        ids += tokenizer(text)["input_ids"] + [tokenizer.eos_token_id]
    block = 512
    chunks = [{"input_ids": ids[i : i + block]} for i in range(0, len(ids) - block, block)]
    random.Random(config.seed).shuffle(chunks)
    args = TrainingArguments(
        output_dir=str(work_dir / "pretrain"),
        max_steps=config.pretrain_steps,
        per_device_train_batch_size=8,
        learning_rate=2e-3,
        warmup_steps=min(30, config.pretrain_steps // 10),
        weight_decay=0.01,
        logging_steps=50,
        **cpu_run(config),
    )
    Trainer(
        model=model,
        args=args,
        train_dataset=Dataset.from_list(chunks),
        data_collator=DataCollatorForLanguageModeling(tokenizer, mlm=False),
    ).train()


def warm_start(model, tokenizer, pairs: list[dict], config: TinyModelConfig, work_dir: Path):
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    args = SFTConfig(
        output_dir=str(work_dir / "sft"),
        num_train_epochs=config.sft_epochs,
        per_device_train_batch_size=4,
        learning_rate=config.sft_learning_rate,
        warmup_steps=10,
        max_length=config.max_pair_tokens,
        completion_only_loss=True,
        logging_steps=20,
        **cpu_run(config),
    )
    SFTTrainer(
        model=model, args=args, train_dataset=Dataset.from_list(pairs), processing_class=tokenizer
    ).train()


# Build ------------------------------------------------------------------------------------------


def fingerprint(train_rows, repos_dir: Path, config: TinyModelConfig) -> str:
    """What the build depends on: its settings, the rows it warm-starts on, the Go code it reads."""
    digest = hashlib.sha256(json.dumps(asdict(config), sort_keys=True).encode())
    digest.update(json.dumps(train_rows.to_list(), sort_keys=True, default=str).encode())
    for path in sorted(repos_dir.rglob("*.go")):
        digest.update(str(path.relative_to(repos_dir)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def build(
    dataset_dir: Path,
    repos_dir: Path,
    out: Path,
    config: TinyModelConfig | None = None,
    *,
    augment: Callable[[list[dict]], list[dict]] | None = None,
) -> Path:
    """Builds the model into out (or finds it there, built from the same inputs).

    `augment` (an experiment's) turns the warm-start pairs into the ones trained on; its name is
    part of what the build depends on.
    """
    import torch
    from datasets import load_from_disk

    config = config or TinyModelConfig()
    dataset = load_from_disk(str(dataset_dir))["train"]
    stamp = out / "build.json"
    key = fingerprint(dataset, repos_dir, config)
    if augment is not None:
        key += f"+{augment.__module__}.{augment.__qualname__}"
    if stamp.exists() and json.loads(stamp.read_text()).get("fingerprint") == key:
        logger.info("tiny model in %s is up to date", out)
        return out
    torch.manual_seed(config.seed)
    random.seed(config.seed)
    pairs = warm_start_pairs(dataset, repos_dir)
    if augment is not None:
        pairs = augment(pairs)
    if not pairs:
        raise ValueError(f"no row of {dataset_dir} has a test of its own to warm-start on")
    corpus = go_corpus(repos_dir)
    logger.info("tokenizer: %d Go files", len(corpus))
    tokenizer = train_tokenizer(corpus, config.vocab_size)
    pairs = [p for p in pairs if pair_tokens(tokenizer, p) <= config.max_pair_tokens]
    if not pairs:
        raise ValueError(f"no warm-start pair is within {config.max_pair_tokens} tokens")
    model = new_model(tokenizer, config)
    logger.info("model: %.1fM parameters", model.num_parameters() / 1e6)
    work_dir = out.with_name(out.name + ".work")
    if config.pretrain_steps > 0:
        logger.info("language-model pretraining: %d steps", config.pretrain_steps)
        pretrain(model, tokenizer, corpus, config, work_dir)
    logger.info("warm start: %d prompt-test pairs, %d epochs", len(pairs), config.sft_epochs)
    warm_start(model, tokenizer, pairs, config, work_dir)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    # Written to a side folder and renamed: a build killed halfway never looks finished.
    partial = out.with_name(out.name + ".partial")
    model.save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    info = {"fingerprint": key, "config": asdict(config), "warm_start_pairs": len(pairs)}
    (partial / "build.json").write_text(json.dumps(info, indent=2))
    if out.exists():
        import shutil

        shutil.rmtree(out)
    partial.rename(out)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", type=Path, required=True, help="dataset folder (save_to_disk)")
    parser.add_argument("--repos-dir", type=Path, required=True, help="repos root of the dataset")
    parser.add_argument("--out", type=Path, required=True, help="folder for the model")
    parser.add_argument("--pretrain-steps", type=int, default=TinyModelConfig.pretrain_steps)
    parser.add_argument("--sft-epochs", type=int, default=TinyModelConfig.sft_epochs)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for path, what in ((args.dataset, "dataset"), (args.repos_dir, "repos root")):
        if not path.is_dir():
            sys.exit(f"tiny_model: the {what} {path} does not exist")
    config = TinyModelConfig(pretrain_steps=args.pretrain_steps, sft_epochs=args.sft_epochs)
    print(build(args.dataset, args.repos_dir, args.out, config))


if __name__ == "__main__":
    main()
