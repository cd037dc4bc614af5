"""The warm-start experiment at demo scale: SFT on mined pairs then GRPO, against GRPO alone.

    python exp/warm-start/run.py                 # the README's run
    python exp/warm-start/run.py --size smoke    # every step at its smallest (the smoke test)

With the sample dataset (data/sample-dataset, built here if missing) and one scoring server on
loopback over its repos root:

1. mines the pairs of its train split (mine.py): the rows whose target the repo's own tests call;
2. builds the base model: the demo's tokenizer and small Llama (scripts/tiny_model.py), with no
   warm start; trained as a language model on Go code (the repos' non-test files and part of the
   Go toolchain's own sources) for `pretrain_steps` steps, 0 at both sizes: like the demo model
   before its warm start, it has seen none of the sample's tests;
3. SFT of the base on the pairs (sft.py, TRL's SFTTrainer);
4. GRPO from each (train.py, the same recipe, steps and seed): "grpo" from the base, "sft+grpo"
   from the SFT model;
5. evaluates the four models (base, grpo, sft, sft+grpo) on the train split and the test split
   (eval.py; 95% bootstrap intervals over targets, paired differences);
6. writes results.json and warm-start.png into --results (report.py).

Every step is one of the toolkit's commands, run as a user would type it; their logs are under
--out. The same --out is started afresh each time.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))  # the repo root: run as a script, not a module

from report import markdown, plot, results_of  # noqa: E402

DATASET = ROOT / "data" / "sample-dataset"
REPOS = ROOT / "data" / "repos"


@dataclass(frozen=True)
class Size:
    pretrain_steps: int
    sft_epochs: int
    # the recipe's 10 warm-up steps would leave a one-step SFT at a learning rate of 0
    sft_warmup_steps: int
    grpo_steps: int
    # GRPO's prompts a step are grpo_batch / num_generations
    grpo_batch: int
    num_generations: int
    max_completion_length: int
    eval_samples: int
    eval_targets: int | None  # per split; None: all
    sample_packages: int | None  # mining; None: all


SIZES = {
    "full": Size(
        # The demo's own warm start (30 epochs of SFT, scripts/tiny_model.py) and 10 GRPO steps
        # per arm, 2 samples on 10 targets a split: 25 minutes on the 2-core VM with other work
        # beside it (README). No language-model pretraining, as in the demo model.
        pretrain_steps=0,
        sft_epochs=30,
        sft_warmup_steps=10,
        grpo_steps=10,
        grpo_batch=8,
        num_generations=4,
        max_completion_length=320,
        eval_samples=2,
        eval_targets=10,
        sample_packages=None,
    ),
    "smoke": Size(
        pretrain_steps=1,
        sft_epochs=1,
        sft_warmup_steps=0,
        grpo_steps=1,
        grpo_batch=2,
        num_generations=2,
        max_completion_length=8,
        eval_samples=1,
        eval_targets=1,
        sample_packages=1,
    ),
}


def banner(text: str) -> None:
    print(f"\n== {text}", flush=True)


def step(what: str, command: list[str]) -> float:
    """Runs one of the toolkit's scripts as `python SCRIPT ARGS` would, in this process.

    In-process, so that torch, transformers and TRL are imported once, not once per step (on a
    loaded 2-core machine each import costs a minute). Returns the step's wall time.
    """
    import importlib

    from common.errors import UserError

    print("$ python " + " ".join(command), flush=True)
    started = time.monotonic()
    script, argv = Path(command[0]), command[1:]
    module = importlib.import_module(script.stem)
    try:
        if script.stem == "eval":
            module.main(module.parse_args(argv))
        else:
            module.main(*module.parse_args(argv))
    except UserError as err:
        sys.exit(f"run.py: {what}: {err}")
    return time.monotonic() - started


def build_base(repos_dir: Path, out: Path, pretrain_steps: int, seed: int = 0) -> None:
    """The demo's tokenizer and model, pretrained on Go code without any test of the repos."""
    import torch

    from scripts import tiny_model

    torch.manual_seed(seed)
    corpus = tiny_model.go_corpus(repos_dir, with_tests=False)
    config = tiny_model.TinyModelConfig(pretrain_steps=pretrain_steps, seed=seed)
    tokenizer = tiny_model.train_tokenizer(corpus, config.vocab_size)
    model = tiny_model.new_model(tokenizer, config)
    if pretrain_steps > 0:
        tiny_model.pretrain(model, tokenizer, corpus, config, out.with_name(out.name + ".work"))
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)


def grpo(
    size: Size, dataset: Path, model: Path, out: Path, logs: Path, run: str, url: str
) -> float:
    return step(
        f"GRPO from {model.name}",
        [
            "train.py",
            "--config",
            str(HERE / "recipes" / "grpo-demo.yaml"),
            "--dataset_name",
            str(dataset),
            "--model_name_or_path",
            str(model),
            "--output_dir",
            str(out),
            "--run_name",
            run,
            "--logs_dir",
            str(logs),
            "--max_steps",
            str(size.grpo_steps),
            "--per_device_train_batch_size",
            str(size.grpo_batch),
            "--num_generations",
            str(size.num_generations),
            "--max_completion_length",
            str(size.max_completion_length),
            "--scorer_urls",
            url,
        ],
    )


def evaluate(
    size: Size, dataset: Path, models: dict[str, Path], split: str, logs: Path, url: str
) -> None:
    command = [
        "eval.py",
        "--config",
        str(HERE / "recipes" / "eval-demo.yaml"),
        "--dataset_name",
        str(dataset),
        "--models",
        *(f"{name}={path}" for name, path in models.items()),
        "--dataset_split",
        split,
        "--num_samples",
        str(size.eval_samples),
        "--max_new_tokens",
        str(size.max_completion_length),
        "--run_name",
        split,
        "--logs_dir",
        str(logs),
        "--scorer_urls",
        url,
    ]
    if size.eval_targets is not None:
        command += ["--max_targets", str(size.eval_targets)]
    step(f"evaluation on the {split} split", command)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--out", type=Path, help="work folder (default data/warm-start/SIZE)")
    parser.add_argument(
        "--results", type=Path, help="folder for results.json and the plot (default: --out)"
    )
    parser.add_argument(
        "--dataset", type=Path, default=DATASET, help="a build of the sample (made if missing)"
    )
    parser.add_argument("--repos-dir", type=Path, default=REPOS, help="the dataset's repos root")
    parser.add_argument(
        "--report-only", action="store_true", help="only redo results.json and the plot from --out"
    )
    args = parser.parse_args(argv)
    size = SIZES[args.size]
    out = (args.out or ROOT / "data" / "warm-start" / args.size).resolve()
    results_dir = (args.results or out).resolve()
    if args.report_only:
        if not (out / "times.json").exists():
            sys.exit(f"run.py: {out} holds no finished run (run it without --report-only)")
        report_from(out, results_dir, args.size)
        return
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    results_dir.mkdir(parents=True, exist_ok=True)
    times: dict[str, float] = {}
    started = time.monotonic()

    import mine

    from scoring.local_server import LocalScoringServer

    dataset, repos = args.dataset.resolve(), args.repos_dir.resolve()
    if not (dataset / "dataset_dict.json").exists():
        from dataset import build

        banner("The sample dataset (python -m dataset.build)")
        listing = ROOT / "dataset" / "sample" / "listing.jsonl"
        args = [f"--listing={listing}", "--source=dir", f"--out={dataset}", f"--repos-dir={repos}"]
        if build.main(args) != 0:
            sys.exit("run.py: the sample dataset could not be built (see the error above)")

    pairs = out / "pairs"
    with LocalScoringServer(repos, log_path=out / "scorer.log", goproxy="off") as server:
        banner("1. Pairs from the train split (mine.py)")
        t = time.monotonic()
        rows = mine.train_rows_of_dataset(dataset)
        report = mine.mine(rows, repos, pairs, size.sample_packages, seed=0, scorer_url=server.url)
        times["mine"] = time.monotonic() - t
        print(json.dumps(report["counts"]))
        if not report["counts"].get("pairs_built"):
            sys.exit("run.py: no pair was mined, so there is nothing to warm-start on")

        banner("2. The base model: tokenizer, small Llama, language-model pretraining on Go")
        t = time.monotonic()
        build_base(repos, out / "base", size.pretrain_steps)
        times["base"] = time.monotonic() - t

        banner("3. SFT of the base on the pairs (sft.py)")
        times["sft"] = step(
            "SFT",
            [
                "exp/warm-start/sft.py",
                "--config",
                str(HERE / "recipes" / "sft-demo.yaml"),
                "--model_name_or_path",
                str(out / "base"),
                "--dataset_name",
                str(pairs),
                "--output_dir",
                str(out / "sft"),
                "--num_train_epochs",
                str(size.sft_epochs),
                "--warmup_steps",
                str(size.sft_warmup_steps),
            ],
        )

        banner("4. GRPO from the base and from the SFT model (train.py, same recipe)")
        logs = out / "logs"
        train_logs = logs / "train"
        times["grpo"] = grpo(
            size, dataset, out / "base", out / "grpo", train_logs, "grpo", server.url
        )
        times["sft+grpo"] = grpo(
            size, dataset, out / "sft", out / "sft-grpo", train_logs, "sft+grpo", server.url
        )

        banner("5. Evaluation of the four models (eval.py)")
        models = {
            "base": out / "base",
            "grpo": out / "grpo",
            "sft": out / "sft",
            "sft+grpo": out / "sft-grpo",
        }
        t = time.monotonic()
        for split in ("train", "test"):
            evaluate(size, dataset, models, split, logs / "eval", server.url)
        times["eval"] = time.monotonic() - t

    times["total"] = time.monotonic() - started
    (out / "times.json").write_text(json.dumps({k: round(v) for k, v in times.items()}))
    report_from(out, results_dir, args.size)


def report_from(out: Path, results_dir: Path, size_name: str) -> None:
    """results.json and the plot from what a run left in out (--report-only redoes just this)."""
    logs = out / "logs"
    summaries = {
        split: json.loads((logs / "eval" / split / "summary.json").read_text())
        for split in ("train", "test")
    }
    histories = {
        run: json.loads((logs / "train" / run / "log_history.json").read_text())
        for run in ("grpo", "sft+grpo")
    }
    pairs_report = json.loads((out / "pairs" / "counts.json").read_text())
    times = json.loads((out / "times.json").read_text())
    results = results_of(summaries, histories, pairs_report, times)
    results["size"] = {"name": size_name, **asdict(SIZES[size_name])}
    results_dir.mkdir(parents=True, exist_ok=True)
    (results_dir / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    plot(results, results_dir / "warm-start.png")
    (results_dir / "results.md").write_text(markdown(results))
    print(markdown(results))
    banner(f"Results: {results_dir / 'results.json'}, {results_dir / 'warm-start.png'}")


if __name__ == "__main__":
    main()
